/*
** http.c: one request over a source's curl multi handle (see http.h).
**
** Usage:
**   http_req *r = http_req_new(&conn, "provisioning_events", "GET", zUrl);
**   int rc = http_req_run(r, &zErr);
**   -- or, for a page fetched ahead: http_req_start(r, 0, &bLater, &zErr),
**   -- then http_drive(&conn, 0) now and then, and http_req_run(r) to wait
**
** How it works: every transfer of a source runs through its multi handle,
** whose connection pool gives keep-alive across pages and statements; each
** attempt gets a fresh easy handle. Before each attempt the credential hook
** makes the token current, and the token is sent only to the source's
** origin, never through a redirect (none is followed). Retries (429 for
** every method; 503, 504 and connection errors for GET) honour
** Retry-After, else back off exponentially with jitter, within max_retries
** and max_wait, and send Retry-Attempt: N. A write (POST, PATCH, DELETE)
** goes at most once: on a fresh connection never reused, retried only on
** answers or errors that prove it was not processed (429, 503 with
** Retry-After, a refused connection); http_write_outcome() says whether a
** failed one may have reached the server. Every wait (pacing, Retry-After,
** the answer) checks for an interrupt every 100 ms. libcurl's memory is
** wiped before it is freed (the Authorization line, the client secret).
** PROVISIONING_TRACE=1 prints one stderr line per request and outcome.
**
** Calls http_pace.h (the pacing window), http_error.h (the error text),
** http_url.h, interrupt.h, trust.h (wiping, URL masking), libcurl; the
** layer above only through the http_cred hooks.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, RTLD_NODELETE */
#endif
#include "http.h"

#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_error.h"
#include "http_pace.h"
#include "trust.h"

SQLITE_EXTENSION_INIT3

#ifndef PROV_VERSION
#define PROV_VERSION "dev"
#endif

/* ------------------------------------------------------------------ */
/* Global init                                                          */

static pthread_once_t curlOnce = PTHREAD_ONCE_INIT;
static CURLcode curlInitRc = CURLE_OK;

/* libcurl's memory, wiped before it is freed: its copies of request headers
** (the Authorization line) and bodies (the client secret) leave nothing behind. */
static void cw_free(void *p) {
  if (p) trust_wipe(p, malloc_usable_size(p));
  free(p);
}
static void *cw_malloc(size_t n) { return malloc(n); }
static void *cw_calloc(size_t n, size_t m) { return calloc(n, m); }
static void *cw_realloc(void *p, size_t n) {
  if (!p) return malloc(n);
  size_t nOld = malloc_usable_size(p);
  void *q = malloc(n ? n : 1);
  if (!q) return 0;
  memcpy(q, p, nOld < n ? nOld : n);
  cw_free(p);
  return q;
}
static char *cw_strdup(const char *z) {
  size_t n = strlen(z) + 1;
  char *q = malloc(n);
  if (q) memcpy(q, z, n);
  return q;
}

/*
** Once libcurl holds the functions above, this library must stay mapped for
** the life of the process: SQLite unloads an extension when the connection
** that loaded it closes, while libcurl (and the libraries it loaded, which
** finalise themselves when unloaded) may still be in use by the rest of the
** process, and its global state points here. So the extension's own object
** is marked RTLD_NODELETE, and the reference kept. In a program linked with
** the extension (the unit tests) this is the program itself: harmless.
*/
static void pin_self(void) {
  Dl_info info;
  if (dladdr((void *)cw_free, &info) && info.dli_fname) {
    void *h = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    (void)h; /* never closed, on purpose */
  }
}

static void curl_init_once(void) {
  curlInitRc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, cw_malloc, cw_free, cw_realloc, cw_strdup, cw_calloc);
  if (curlInitRc == CURLE_OK) pin_self();
}

int http_global_init(void) {
  pthread_once(&curlOnce, curl_init_once);
  return curlInitRc == CURLE_OK ? SQLITE_OK : SQLITE_ERROR;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

double http_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int http_trace_on(void) {
  const char *z = getenv("PROVISIONING_TRACE");
  return z && z[0] && strcmp(z, "0") != 0;
}

/* ------------------------------------------------------------------ */
/* The connection                                                       */

int http_conn_open(http_conn *c) {
  c->multi = curl_multi_init();
  return c->multi ? SQLITE_OK : SQLITE_NOMEM;
}

void http_conn_close(http_conn *c) {
  if (c->multi) curl_multi_cleanup(c->multi);
  c->multi = 0;
  prov_intr_close(&c->intr);
  sqlite3_free(c->zPaceKey);
  c->zPaceKey = 0;
}

char *http_mask(http_conn *c, char *z) { return c->pCred ? c->pCred->xMask(c->pCred, z) : z; }

char *http_show_url(http_conn *c, const char *zUrl) { return http_mask(c, trust_url_masked(zUrl)); }

/* ------------------------------------------------------------------ */
/* One request, with its retries                                        */

static size_t on_body(char *p, size_t sz, size_t nm, void *pArg) {
  http_req *r = (http_req *)pArg;
  size_t n = sz * nm;
  if ((sqlite3_int64)(r->nResp + n) > r->nMax) {
    r->bTooBig = 1;
    return 0;
  }
  if (r->nResp + n + 1 > r->nRespAlloc) {
    size_t nNew = r->nRespAlloc ? r->nRespAlloc * 2 : 65536;
    while (nNew < r->nResp + n + 1) nNew *= 2;
    if ((sqlite3_int64)nNew > r->nMax + 1) nNew = (size_t)r->nMax + 1;
    char *zNew;
    if (r->bToken) { /* a token endpoint's answer: no copy left in freed memory */
      zNew = sqlite3_malloc64(nNew);
      if (zNew && r->zResp) {
        memcpy(zNew, r->zResp, r->nResp);
        trust_wipe(r->zResp, r->nRespAlloc);
        sqlite3_free(r->zResp);
      }
    } else {
      zNew = sqlite3_realloc64(r->zResp, nNew);
    }
    if (!zNew) {
      r->bNoMem = 1;
      return 0;
    }
    r->zResp = zNew;
    r->nRespAlloc = nNew;
  }
  memcpy(r->zResp + r->nResp, p, n);
  r->nResp += n;
  r->zResp[r->nResp] = 0;
  return n;
}

static void hdr_copy(char *zDst, size_t nDst, const char *z, size_t n) {
  while (n > 0 && (*z == ' ' || *z == '\t')) z++, n--;
  while (n > 0 && (z[n - 1] == '\r' || z[n - 1] == '\n' || z[n - 1] == ' ' || z[n - 1] == '\t')) n--;
  if (n >= nDst) n = nDst - 1;
  memcpy(zDst, z, n);
  zDst[n] = 0;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *pArg) {
  http_req *r = (http_req *)pArg;
  size_t n = sz * nm;
  if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response (after 100 Continue) */
    r->zRetryAfter[0] = r->zReqId[0] = r->zLocation[0] = 0;
    return n;
  }
  const char *c = memchr(p, ':', n);
  if (!c) return n;
  int nName = (int)(c - p);
  const char *v = c + 1;
  size_t nv = n - (size_t)(v - p);
  if (nName == 11 && sqlite3_strnicmp(p, "retry-after", 11) == 0) {
    hdr_copy(r->zRetryAfter, sizeof(r->zRetryAfter), v, nv);
  } else if (nName == 10 && sqlite3_strnicmp(p, "request-id", 10) == 0) {
    hdr_copy(r->zReqId, sizeof(r->zReqId), v, nv);
  } else if (nName == 8 && sqlite3_strnicmp(p, "location", 8) == 0) {
    hdr_copy(r->zLocation, sizeof(r->zLocation), v, nv);
  }
  return n;
}

http_req *http_req_new(http_conn *c, const char *zWho, const char *zMethod, const char *zUrl) {
  http_req *r = sqlite3_malloc64(sizeof(*r));
  if (!r) return 0;
  memset(r, 0, sizeof(*r));
  r->pConn = c;
  r->zWho = zWho;
  r->zMethod = zMethod;
  r->zUrl = sqlite3_mprintf("%s", zUrl);
  if (!r->zUrl) {
    sqlite3_free(r);
    return 0;
  }
  r->nMax = c->o->nMaxResponse > 0 ? c->o->nMaxResponse : (sqlite3_int64)256 * 1024 * 1024;
  r->zProto = c->bLoopback ? "http,https" : "https";
  r->bAuth = c->pCred && c->pCred->bSend;
  r->bPace = 1;
  r->iPaceEntry = -1;
  return r;
}

/* Free a header list, its lines (the Authorization line) wiped first. */
static void slist_wipe_free(struct curl_slist *l) {
  for (struct curl_slist *p = l; p; p = p->next) {
    if (p->data) trust_wipe(p->data, strlen(p->data));
  }
  curl_slist_free_all(l);
}

static void req_release_handle(http_req *r) {
  if (r->bRunning) {
    curl_multi_remove_handle(r->pConn->multi, r->h);
    r->bRunning = 0;
    pace_done(r->iPaceEntry, r->paceSeq);
    r->iPaceEntry = -1;
  }
  if (r->pHdr) {
    slist_wipe_free(r->pHdr); /* holds the Authorization line */
    r->pHdr = 0;
  }
  if (r->h) {
    curl_easy_cleanup(r->h);
    r->h = 0;
  }
}

void http_req_free(http_req *r) {
  if (!r) return;
  req_release_handle(r);
  sqlite3_free(r->zUrl);
  if (r->bToken && r->zResp) trust_wipe(r->zResp, r->nRespAlloc);
  sqlite3_free(r->zResp);
  sqlite3_free(r);
}

/* Take the response body out of r (sqlite3_malloc'd, NUL-terminated). */
char *http_req_take_body(http_req *r, size_t *pn) {
  char *z = r->zResp;
  *pn = r->nResp;
  r->zResp = 0;
  r->nResp = r->nRespAlloc = 0;
  return z;
}

/* Collect the transfers that ended; returns how many. */
static int multi_collect(http_conn *c) {
  CURLMsg *m;
  int nQ, nDone = 0;
  while ((m = curl_multi_info_read(c->multi, &nQ)) != 0) {
    if (m->msg != CURLMSG_DONE) continue;
    CURL *h = m->easy_handle;
    CURLcode cc = m->data.result;
    http_req *r = 0;
    curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&r);
    curl_multi_remove_handle(c->multi, h);
    if (!r) continue;
    r->cc = cc;
    r->bRunning = 0;
    r->bDone = 1;
    r->iStatus = 0;
    nDone++;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->iStatus);
    pace_done(r->iPaceEntry, r->paceSeq);
    r->iPaceEntry = -1;
    if (!r->bToken && c->pStats) c->pStats->nBytes += (sqlite3_int64)r->nResp;
    if (!r->bToken && r->pStats) r->pStats->nBytes += (sqlite3_int64)r->nResp;
    if (http_trace_on()) {
      int ms2 = (int)((http_now() - r->tStart) * 1000 + 0.5);
      char *zShow = http_show_url(c, r->zUrl);
      if (cc == CURLE_OK) {
        fprintf(stderr, "provisioning: %s %s -> %ld (%d ms, %llu bytes)\n", r->zMethod, zShow ? zShow : "?",
                r->iStatus, ms2, (unsigned long long)r->nResp);
      } else {
        fprintf(stderr, "provisioning: %s %s -> %s (%d ms)\n", r->zMethod, zShow ? zShow : "?",
                r->bTooBig ? "response too large" : curl_easy_strerror(cc), ms2);
      }
      sqlite3_free(zShow);
    }
  }
  return nDone;
}

/*
** Run the source's transfers. Unless one ends at once, wait up to ms for
** activity (with no transfer at all, this sleeps ms).
*/
void http_drive(http_conn *c, int ms) {
  int nRunning = 0;
  curl_multi_perform(c->multi, &nRunning);
  if (multi_collect(c) > 0 || ms <= 0) return;
  curl_multi_poll(c->multi, 0, 0, ms, 0);
  curl_multi_perform(c->multi, &nRunning);
  multi_collect(c);
}

/*
** Wait secs seconds, keeping the source's other transfers moving. Returns
** 1 as soon as the connection is interrupted (checked every 100 ms), else 0.
*/
static int conn_sleep(http_conn *c, double secs) {
  double tEnd = http_now() + secs;
  for (;;) {
    if (prov_intr_check(&c->intr)) return 1;
    double left = tEnd - http_now();
    if (left <= 0) break;
    int ms = (int)(left * 1000) + 1;
    if (ms > 100) ms = 100;
    http_drive(c, ms);
  }
  return 0;
}

/* The statement was interrupted while r waited: stop its transfer. */
static int req_interrupted(http_req *r, const char *zWhile, char **pzErr) {
  if (http_trace_on()) {
    char *zShow = http_show_url(r->pConn, r->zUrl);
    fprintf(stderr, "provisioning: %s %s: interrupted while %s\n", r->zMethod, zShow ? zShow : "?", zWhile);
    sqlite3_free(zShow);
  }
  req_release_handle(r);
  *pzErr = sqlite3_mprintf("interrupted");
  return *pzErr ? SQLITE_INTERRUPT : SQLITE_NOMEM;
}

/*
** Start one attempt of r if pacing allows. bWait: wait for pacing.
** Returns SQLITE_OK (started, or *pbLater when pacing said not yet), or an
** error with *pzErr set.
*/
int http_req_start(http_req *r, int bWait, int *pbLater, char **pzErr) {
  http_conn *c = r->pConn;
  if (pbLater) *pbLater = 0;
  if (r->bAuth) {
    int rc = c->pCred->xToken(c->pCred, r->zWho, pzErr);
    if (rc) return rc;
    /* defence in depth: the token goes to the source's origin only */
    url_origin o;
    rc = url_origin_parse(0, r->zUrl, &o);
    if (rc == SQLITE_NOMEM) return rc;
    if (rc || o.bUserinfo || !url_origin_same(&o, &c->org)) {
      *pzErr = sqlite3_mprintf("%s: refusing to send the token outside the source's origin", r->zWho);
      return SQLITE_ERROR;
    }
  }
  if (r->bPace) {
    for (;;) {
      double w = pace_try(c->zPaceKey, c->o->nRateLimit, c->o->rRateWindow, &r->iPaceEntry, &r->paceSeq);
      if (w <= 0) break;
      if (!bWait) {
        if (pbLater) *pbLater = 1;
        return SQLITE_OK;
      }
      if (http_trace_on()) {
        char *zShow = http_show_url(c, r->zUrl);
        fprintf(stderr, "provisioning: pacing: waiting %.3f s before %s %s (rate_limit %d per %g s)\n", w, r->zMethod,
                zShow ? zShow : "?", c->o->nRateLimit, c->o->rRateWindow);
        sqlite3_free(zShow);
      }
      if (conn_sleep(c, w)) return req_interrupted(r, "pacing", pzErr);
    }
  }
  if (r->pHdr) {
    slist_wipe_free(r->pHdr);
    r->pHdr = 0;
  }
  /* A fresh easy handle for each attempt, never curl_easy_reset(): libcurl
  ** ignores a failed allocation of its defaults there and leaves a broken
  ** handle ("Empty reply from server"), where curl_easy_init() reports it.
  ** Keep-alive does not depend on it: connections live in the multi
  ** handle's pool. */
  if (r->h) {
    curl_easy_cleanup(r->h);
    r->h = 0;
  }
  CURL *h = curl_easy_init();
  if (!h) goto nomem;
  r->h = h;
  /* loopback never through a proxy, and nothing in clear (http) through one */
  url_origin oP;
  int rcP = url_origin_parse(0, r->zUrl, &oP);
  if (rcP == SQLITE_NOMEM) goto nomem;
  int bNoProxy = rcP || trust_is_loopback(oP.zHost) || strcmp(oP.zScheme, "https") != 0;
  struct curl_slist *l = 0, *l2;
#define ADD_HDR(z)                        \
  do {                                    \
    l2 = curl_slist_append(l, (z));       \
    if (!l2) goto nomem_list;             \
    l = l2;                               \
  } while (0)
  ADD_HDR("Accept: application/json");
  ADD_HDR("Expect:");
  if (r->zCtype) {
    char zCt[128];
    snprintf(zCt, sizeof(zCt), "Content-Type: %s", r->zCtype);
    ADD_HDR(zCt);
  }
  if (r->zHdrMore) ADD_HDR(r->zHdrMore);
  if (r->nRetry > 0) {
    char zRa[64];
    snprintf(zRa, sizeof(zRa), "Retry-Attempt: %d", r->nRetry);
    ADD_HDR(zRa);
  }
  if (r->bAuth && c->pCred->zToken) {
    size_t nTok = strlen(c->pCred->zToken); /* built in one allocation: no copy left in freed memory */
    char *zH = sqlite3_malloc64(nTok + 23);
    if (!zH) goto nomem_list;
    memcpy(zH, "Authorization: Bearer ", 22);
    memcpy(zH + 22, c->pCred->zToken, nTok + 1);
    l2 = curl_slist_append(l, zH);
    trust_wipe_free(zH);
    if (!l2) goto nomem_list;
    l = l2;
  }
#undef ADD_HDR
  r->pHdr = l;
  r->nResp = 0;
  if (r->zResp) r->zResp[0] = 0;
  r->bTooBig = r->bNoMem = 0;
  r->zRetryAfter[0] = r->zReqId[0] = r->zLocation[0] = r->zErrBuf[0] = 0;
  r->cc = CURLE_OK;
  r->iStatus = 0;
  /* every option is checked: an option libcurl could not take (its copy of
  ** the URL, the protocol list, the CA file...) must not go unnoticed */
  CURLcode cs = CURLE_OK;
#define SETOPT(hh, opt, val)                                 \
  do {                                                       \
    if (cs == CURLE_OK) cs = curl_easy_setopt(hh, opt, val); \
  } while (0)
  SETOPT(h, CURLOPT_URL, r->zUrl);
  SETOPT(h, CURLOPT_PRIVATE, (char *)r);
  if (bNoProxy) SETOPT(h, CURLOPT_NOPROXY, "*");
  SETOPT(h, CURLOPT_NOSIGNAL, 1L);
  SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
  SETOPT(h, CURLOPT_PROTOCOLS_STR, r->zProto);
  SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, r->zProto);
  SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
  SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (c->o->zCaFile) SETOPT(h, CURLOPT_CAINFO, c->o->zCaFile);
  SETOPT(h, CURLOPT_ACCEPT_ENCODING, "gzip");
  SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
  SETOPT(h, CURLOPT_WRITEDATA, (void *)r);
  SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
  SETOPT(h, CURLOPT_HEADERDATA, (void *)r);
  SETOPT(h, CURLOPT_ERRORBUFFER, r->zErrBuf);
  SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->nMax);
  SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, (long)((c->o->rConnectTimeout > 0 ? c->o->rConnectTimeout : 10) * 1000));
  SETOPT(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  SETOPT(h, CURLOPT_LOW_SPEED_TIME, (long)(c->o->rLowSpeedTime >= 1 ? c->o->rLowSpeedTime : 30));
  SETOPT(h, CURLOPT_TIMEOUT_MS, (long)((c->o->rTimeout > 0 ? c->o->rTimeout : 100) * 1000));
  SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
  SETOPT(h, CURLOPT_USERAGENT, "provisioning-sqlite/" PROV_VERSION);
  SETOPT(h, CURLOPT_HTTPHEADER, l);
  if (strcmp(r->zMethod, "GET") != 0) {
    /* a write never rides a kept-alive connection: libcurl resends a request
    ** that died on a reused connection, and a write must go at most once */
    SETOPT(h, CURLOPT_FRESH_CONNECT, 1L);
    SETOPT(h, CURLOPT_FORBID_REUSE, 1L);
    if (strcmp(r->zMethod, "POST") == 0) {
      SETOPT(h, CURLOPT_POST, 1L);
    } else {
      SETOPT(h, CURLOPT_CUSTOMREQUEST, r->zMethod);
    }
    if (r->zBody || strcmp(r->zMethod, "DELETE") != 0) {
      SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->nBody);
      SETOPT(h, CURLOPT_POSTFIELDS, r->zBody ? r->zBody : "");
    }
  }
#undef SETOPT
  if (cs != CURLE_OK) {
    r->pHdr = 0;
    curl_easy_cleanup(h); /* it points at the header list, freed below */
    r->h = 0;
    if (cs == CURLE_OUT_OF_MEMORY) goto nomem_list;
    slist_wipe_free(l);
    pace_done(r->iPaceEntry, r->paceSeq);
    r->iPaceEntry = -1;
    *pzErr = sqlite3_mprintf("%s: libcurl refused an option: %s", r->zWho, curl_easy_strerror(cs));
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  r->tStart = http_now();
  CURLMcode mc = curl_multi_add_handle(c->multi, h);
  if (mc != CURLM_OK) {
    pace_done(r->iPaceEntry, r->paceSeq);
    r->iPaceEntry = -1;
    if (mc == CURLM_OUT_OF_MEMORY) return SQLITE_NOMEM;
    *pzErr = sqlite3_mprintf("%s: cannot start a transfer (libcurl multi: %s)", r->zWho, curl_multi_strerror(mc));
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  r->bRunning = 1;
  r->bDone = 0;
  if (!r->bToken && c->pStats) c->pStats->nRequests++;
  if (!r->bToken && r->pStats) r->pStats->nRequests++;
  return SQLITE_OK;
nomem_list:
  slist_wipe_free(l);
nomem:
  pace_done(r->iPaceEntry, r->paceSeq);
  r->iPaceEntry = -1;
  return SQLITE_NOMEM;
}

/* Retry-After as seconds from now; 0 if absent or unparseable. */
static int parse_retry_after(const char *z, double *pSec) {
  if (!z[0]) return 0;
  int bNum = 1, nDot = 0;
  for (const char *p = z; *p; p++) {
    if (*p == '.') nDot++;
    else if (*p < '0' || *p > '9') bNum = 0;
  }
  if (bNum && nDot <= 1 && z[0] != '.') {
    *pSec = strtod(z, 0);
    return 1;
  }
  time_t t = curl_getdate(z, 0);
  if (t == (time_t)-1) return 0;
  double d = difftime(t, time(0));
  *pSec = d < 0 ? 0 : d;
  return 1;
}

static int is_conn_error(CURLcode cc) {
  switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return 1;
    default:
      return 0;
  }
}

static const char *perm_hint(const char *zWho) {
  return strstr(zWho, "flows") ? "IndustryData-OutboundFlow.ReadWrite.All" : "AuditLog.Read.All";
}

/*
** Run r to completion, retries included. SQLITE_OK when the answer is 2xx
** (body in r->zResp), else an error with *pzErr set.
*/
int http_req_run(http_req *r, char **pzErr) {
  http_conn *c = r->pConn;
  const prov_options *o = c->o;
  int bGet = strcmp(r->zMethod, "GET") == 0;
  for (;;) {
    if (!r->bRunning && !r->bDone) {
      int rc = http_req_start(r, 1, 0, pzErr);
      if (rc) return rc;
    }
    while (!r->bDone) {
      http_drive(c, 100);
      if (!r->bDone && prov_intr_check(&c->intr)) return req_interrupted(r, "waiting for the answer", pzErr);
    }
    /* our buffer or libcurl's own allocations: out of memory, not a connection error */
    if (r->bNoMem || r->cc == CURLE_OUT_OF_MEMORY) return SQLITE_NOMEM;
    int bRetryable = 0;
    sqlite3_str *m = sqlite3_str_new(0);
    sqlite3_str_appendf(m, "%s: ", r->zWho);
    if (r->cc != CURLE_OK) {
      if (r->bTooBig || r->cc == CURLE_FILESIZE_EXCEEDED) {
        sqlite3_str_appendf(m, "response larger than %lld bytes (max_response=)", r->nMax);
        http_error_where(m, r);
        goto fail;
      }
      /* a write is retried only when it cannot have reached the server */
      bRetryable = bGet ? is_conn_error(r->cc) : r->cc == CURLE_COULDNT_CONNECT;
      if (r->cc == CURLE_OPERATION_TIMEDOUT) {
        sqlite3_str_appendall(m, "time-out: ");
      } else {
        sqlite3_str_appendall(m, "connection error: ");
      }
      sqlite3_str_appendall(m, curl_easy_strerror(r->cc));
      if (r->zErrBuf[0]) {
        sqlite3_str_appendall(m, " (");
        url_append_clean(m, r->zErrBuf, strlen(r->zErrBuf));
        sqlite3_str_appendchar(m, 1, ')');
      }
      if (r->cc == CURLE_OPERATION_TIMEDOUT) { /* the whole URL: which host did not answer */
        sqlite3_str_appendf(m, " on %s ", r->zMethod);
        url_append_clean(m, r->zUrl, strlen(r->zUrl));
        sqlite3_str_appendf(m, " (timeout=%g s for the whole transfer, connect_timeout=%g s, low_speed_time=%g s)",
                            o->rTimeout, o->rConnectTimeout, o->rLowSpeedTime);
      } else {
        http_error_where(m, r);
      }
    } else if (r->iStatus >= 200 && r->iStatus < 300) {
      sqlite3_free(sqlite3_str_finish(m));
      return SQLITE_OK;
    } else if (r->iStatus >= 300 && r->iStatus < 400) {
      url_origin oLoc;
      int rcLoc = r->zLocation[0] ? url_origin_parse(r->zUrl, r->zLocation, &oLoc) : SQLITE_ERROR;
      if (rcLoc == SQLITE_NOMEM) {
        sqlite3_free(sqlite3_str_finish(m));
        return SQLITE_NOMEM;
      }
      sqlite3_str_appendf(m, "HTTP %ld redirect", r->iStatus);
      if (rcLoc == SQLITE_OK) {
        sqlite3_str_appendall(m, " to ");
        url_origin_text(m, &oLoc);
      } else if (r->zLocation[0]) {
        sqlite3_str_appendall(m, " to an invalid Location");
      }
      sqlite3_str_appendall(m, " not followed (redirects are never followed, so the token stays with the source)");
      http_error_where(m, r);
      goto fail;
    } else {
      if (r->iStatus == 401 && r->bAuth && c->pCred->bRenew && !r->bRenewed) {
        /* the token may have been revoked or expired early: renew once */
        sqlite3_free(sqlite3_str_finish(m));
        r->bRenewed = 1;
        trust_wipe_free(c->pCred->zToken);
        c->pCred->zToken = 0;
        r->bDone = 0;
        if (http_trace_on()) fprintf(stderr, "provisioning: HTTP 401: renewing the token and retrying once\n");
        continue;
      }
      http_error_append(m, r);
      http_error_where(m, r);
      if ((r->iStatus == 401 || r->iStatus == 403) && !r->bToken) {
        sqlite3_str_appendf(m, "; check the token and that the app has %s", perm_hint(r->zWho));
      }
      bRetryable = r->iStatus == 429 || (bGet && (r->iStatus == 503 || r->iStatus == 504)) ||
                   (!bGet && r->iStatus == 503 && r->zRetryAfter[0]);
    }
    if (!bRetryable) goto fail;
    if (r->nRetry >= o->nMaxRetries) {
      sqlite3_str_appendf(m, " (gave up after %d %s)", r->nRetry, r->nRetry == 1 ? "retry" : "retries");
      goto fail;
    }
    double left = o->rMaxWait - r->rWaited;
    double w;
    if (parse_retry_after(r->zRetryAfter, &w)) {
      if (w > left) {
        sqlite3_str_appendf(m, " (the server asked to retry after %g s, more than the %g s left of max_wait=%g: "
                            "not retrying)", w, left < 0 ? 0 : left, o->rMaxWait);
        goto fail;
      }
    } else {
      unsigned u = 0;
      sqlite3_randomness(sizeof(u), &u);
      w = o->rRetryBase;
      for (int i = 0; i < r->nRetry && w < 3600; i++) w *= 2;
      w *= 1.0 + 0.25 * (double)(u % 10001) / 10000.0; /* jitter */
      if (w > 60 && o->rRetryBase <= 60) w = 60;
      if (w > left) w = left;
      if (w <= 0 && o->rMaxWait > 0 && left <= 0) {
        sqlite3_str_appendf(m, " (gave up: max_wait=%g s of retry waits used)", o->rMaxWait);
        goto fail;
      }
      if (w < 0) w = 0;
    }
    r->nRetry++;
    r->rWaited += w;
    if (http_trace_on()) {
      char *zWhat = sqlite3_str_finish(m);
      m = 0;
      zWhat = http_error_mask(r, zWhat);
      fprintf(stderr, "provisioning: retry %d of %d in %.3f s: %s\n", r->nRetry, o->nMaxRetries, w,
              zWhat ? zWhat : "");
      sqlite3_free(zWhat);
    } else {
      sqlite3_free(sqlite3_str_finish(m));
    }
    if (w > 0 && conn_sleep(c, w)) return req_interrupted(r, "waiting to retry", pzErr);
    r->bDone = 0;
    continue;
  fail: {
    char *z = sqlite3_str_finish(m);
    z = http_error_mask(r, z);
    if (!z) return SQLITE_NOMEM;
    if (http_trace_on()) fprintf(stderr, "provisioning: error: %s\n", z);
    *pzErr = z;
    return SQLITE_ERROR;
  }
  }
}

/* What became of a failed write (source.h): the HTTP status answered, or whether it may have reached the server. */
int http_write_outcome(http_req *r) {
  curl_off_t t = 0;
  if (!r->bDone) return PROV_WRITE_NOT_SENT; /* the last attempt never started; earlier ones were refused */
  if (r->bNoMem || r->bTooBig) return PROV_WRITE_UNKNOWN;
  if (r->cc == CURLE_OK) return r->iStatus > 0 ? (int)r->iStatus : PROV_WRITE_UNKNOWN;
  if (r->cc == CURLE_COULDNT_CONNECT || r->cc == CURLE_COULDNT_RESOLVE_HOST || r->cc == CURLE_COULDNT_RESOLVE_PROXY) {
    return PROV_WRITE_NOT_SENT;
  }
  /* no connection (TLS included) was ever made: no byte of the request left */
  CURLINFO eInfo = sqlite3_strnicmp(r->zUrl, "https:", 6) == 0 ? CURLINFO_APPCONNECT_TIME_T : CURLINFO_CONNECT_TIME_T;
  if (r->h && curl_easy_getinfo(r->h, eInfo, &t) == CURLE_OK && t == 0) return PROV_WRITE_NOT_SENT;
  return PROV_WRITE_UNKNOWN;
}

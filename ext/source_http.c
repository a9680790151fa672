/*
** source_http.c: Microsoft Graph as a source, over libcurl.
**
** Usage:
**   CREATE VIRTUAL TABLE ev USING provisioning_events(
**       source='https://graph.microsoft.com/v1.0', auth='env:GRAPH_TOKEN');
**   -- tests and local proxies: plain http on loopback only
**   CREATE VIRTUAL TABLE ev USING provisioning_events(
**       source='http://127.0.0.1:8080/v1.0', rate_limit=50, rate_window=1);
**
** How it works:
**   xOpen builds GET {source}{path}?{odata_build(q)}; xNext splits each
**   response body into records (records.c) and follows the page's whole
**   @odata.nextLink, lazily, after checking it has the source's origin.
**   Once the consumer has taken half of a page (and LIMIT still wants more
**   than this page holds), the next page is requested in the background on
**   the source's curl multi handle, so network and parsing overlap without
**   threads. Every transfer runs through that multi handle, whose
**   connection pool gives keep-alive across pages and statements.
**
**   Auth is by reference only: env:NAME, file:PATH, or the Azure credential
**   chain (auth='azure' or 'azure:NAME': auth_azure.c picks the credential
**   and builds its token request; the request runs here, under
**   token_host_allowed(); token cached, renewed before expiry and once on a
**   401). The token is sent
**   only to the source's origin, never to a nextLink or a redirect
**   elsewhere, and never appears in an error or a trace line; nor do the
**   client secret (as is or form-encoded) and the password and secret
**   members of a request body, even when the server echoes them back.
**
**   Pacing: a process-wide sliding window per (origin, auth reference)
**   keeps at most rate_limit requests in any rate_window seconds. A slot
**   counts from the request's start until it completes and then from its
**   completion time, so the server, which sees the request somewhere in
**   between, can never count more than rate_limit in its own window.
**   Retries (429 for every method; 503, 504 and connection errors for GET)
**   honour Retry-After, else back off exponentially with jitter, within
**   max_retries and max_wait, and send Retry-Attempt: N. A write (POST,
**   PATCH, DELETE) goes at most once: on a fresh connection never reused,
**   retried only on answers or errors that prove it was not processed (429,
**   503 with Retry-After, a refused connection); hs_write says whether a
**   failed one may have reached the server (source.h).
**
**   PROVISIONING_TRACE=1 prints one stderr line per request and outcome.
*/
#include "cache.h"
#include "source_http.h"
#include "auth_azure.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "interrupt.h"
#include "json.h"
#include "odata.h"
#include "page_check.h"
#include "odata_forms.h"
#include "records.h"
#include "source.h"
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

static void curl_init_once(void) {
  curlInitRc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, cw_malloc, cw_free, cw_realloc, cw_strdup, cw_calloc);
}

int source_http_global_init(void) {
  pthread_once(&curlOnce, curl_init_once);
  return curlInitRc == CURLE_OK ? SQLITE_OK : SQLITE_ERROR;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static double now_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int trace_on(void) {
  const char *z = getenv("PROVISIONING_TRACE");
  return z && z[0] && strcmp(z, "0") != 0;
}

/* True if z holds a byte that may not go into a URL or a header. */
static int has_ctl(const char *z) {
  for (; *z; z++) {
    unsigned char c = (unsigned char)*z;
    if (c < 0x20 || c == 0x7f) return 1;
  }
  return 0;
}

/* Append z[0..n) as printable ASCII (others become '?'). */
static void append_clean(sqlite3_str *s, const char *z, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)z[i];
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    sqlite3_str_appendchar(s, 1, (c >= 0x20 && c < 0x7f) ? (char)c : '?');
  }
}

/* The path and query of an absolute URL (what error messages show). */
static const char *url_path(const char *zUrl) {
  const char *p = strstr(zUrl, "://");
  if (!p) return zUrl;
  p = strchr(p + 3, '/');
  return p ? p : "/";
}

/* Parsed origin of a URL. */
typedef struct url_origin {
  char zScheme[16];
  char zHost[256];
  long iPort;
  int bUserinfo;
} url_origin;

/*
** Parse zUrl (resolved against zBase when zBase is not NULL) into *o.
** Returns SQLITE_OK, SQLITE_ERROR if the URL cannot be parsed, or
** SQLITE_NOMEM when libcurl's URL parser ran out of memory (never taken
** for "no port" or "no user info": that would change the origin).
*/
static int origin_parse(const char *zBase, const char *zUrl, url_origin *o) {
  CURLU *u = curl_url();
  char *z = 0;
  int rc = SQLITE_ERROR;
  CURLUcode uc;
  memset(o, 0, sizeof(*o));
  if (!u) return SQLITE_NOMEM;
#define URL_STEP(call)                                 \
  do {                                                 \
    uc = (call);                                       \
    if (uc == CURLUE_OUT_OF_MEMORY) rc = SQLITE_NOMEM; \
    if (uc != CURLUE_OK) goto done;                    \
  } while (0)
  if (zBase) URL_STEP(curl_url_set(u, CURLUPART_URL, zBase, CURLU_NON_SUPPORT_SCHEME));
  URL_STEP(curl_url_set(u, CURLUPART_URL, zUrl, CURLU_NON_SUPPORT_SCHEME));
  URL_STEP(curl_url_get(u, CURLUPART_SCHEME, &z, 0));
  if (strlen(z) >= sizeof(o->zScheme)) goto done;
  for (int i = 0; z[i]; i++) o->zScheme[i] = (char)((z[i] >= 'A' && z[i] <= 'Z') ? z[i] + 32 : z[i]);
  curl_free(z);
  z = 0;
  URL_STEP(curl_url_get(u, CURLUPART_HOST, &z, 0));
  if (strlen(z) >= sizeof(o->zHost)) goto done;
  for (int i = 0; z[i]; i++) o->zHost[i] = (char)((z[i] >= 'A' && z[i] <= 'Z') ? z[i] + 32 : z[i]);
  curl_free(z);
  z = 0;
  uc = curl_url_get(u, CURLUPART_PORT, &z, CURLU_DEFAULT_PORT);
  if (uc == CURLUE_OUT_OF_MEMORY) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  if (uc == CURLUE_OK && z) {
    o->iPort = strtol(z, 0, 10);
    curl_free(z);
    z = 0;
  } else {
    o->iPort = strcmp(o->zScheme, "https") == 0 ? 443 : strcmp(o->zScheme, "http") == 0 ? 80 : 0;
  }
  for (int k = 0; k < 2; k++) {
    uc = curl_url_get(u, k ? CURLUPART_PASSWORD : CURLUPART_USER, &z, 0);
    curl_free(z);
    z = 0;
    if (uc == CURLUE_OUT_OF_MEMORY) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    if (uc == CURLUE_OK) o->bUserinfo = 1;
  }
#undef URL_STEP
  rc = SQLITE_OK;
done:
  curl_free(z);
  curl_url_cleanup(u);
  return rc;
}

static void origin_text(sqlite3_str *s, const url_origin *o) {
  append_clean(s, o->zScheme, strlen(o->zScheme));
  sqlite3_str_appendall(s, "://");
  append_clean(s, o->zHost, strlen(o->zHost));
  sqlite3_str_appendf(s, ":%ld", o->iPort);
}

/* ------------------------------------------------------------------ */
/* Pacing: a process-wide sliding window per (origin, auth reference)   */

#define PACE_ENTRIES 32
#define PACE_RING 256

typedef struct pace_entry {
  char zKey[256];
  int bUsed;
  double tLast;
  double aT[PACE_RING];     /* start time while in flight, then completion time */
  unsigned aSeq[PACE_RING]; /* 0 = empty slot */
  unsigned char aFlight[PACE_RING];
  int iHead;
  unsigned seqNext;
} pace_entry;

static pace_entry aPace[PACE_ENTRIES];
static pthread_mutex_t paceMutex = PTHREAD_MUTEX_INITIALIZER;

static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Find or make the entry for zKey (mutex held). */
static int pace_entry_for(const char *zKey, double now) {
  int iFree = -1, iOld = 0;
  for (int i = 0; i < PACE_ENTRIES; i++) {
    if (aPace[i].bUsed && strcmp(aPace[i].zKey, zKey) == 0) return i;
    if (!aPace[i].bUsed && iFree < 0) iFree = i;
    if (aPace[i].tLast < aPace[iOld].tLast) iOld = i;
  }
  int i = iFree >= 0 ? iFree : iOld;
  memset(&aPace[i], 0, sizeof(aPace[i]));
  aPace[i].bUsed = 1;
  aPace[i].tLast = now;
  snprintf(aPace[i].zKey, sizeof(aPace[i].zKey), "%s", zKey);
  return i;
}

/*
** Take a send slot for key zKey under "nLimit per rWindow seconds".
** Returns 0 and sets *piEntry / *pSeq when granted, else the seconds to
** wait before asking again. nLimit <= 0 or rWindow <= 0: no pacing.
*/
static double pace_try(const char *zKey, int nLimit, double rWindow, int *piEntry, unsigned *pSeq) {
  *piEntry = -1;
  *pSeq = 0;
  if (nLimit <= 0 || rWindow <= 0) return 0;
  if (nLimit > PACE_RING) { /* same rate, smaller bursts */
    rWindow = rWindow * PACE_RING / nLimit;
    nLimit = PACE_RING;
  }
  double aIn[PACE_RING];
  int nIn = 0;
  double wait = 0;
  pthread_mutex_lock(&paceMutex);
  double now = now_mono();
  int k = pace_entry_for(zKey, now);
  pace_entry *e = &aPace[k];
  e->tLast = now;
  for (int i = 0; i < PACE_RING; i++) {
    if (!e->aSeq[i]) continue;
    double t = e->aFlight[i] ? now : e->aT[i];
    if (t > now - rWindow) aIn[nIn++] = t;
  }
  if (nIn < nLimit) {
    int i = e->iHead;
    e->aT[i] = now;
    e->aFlight[i] = 1;
    if (++e->seqNext == 0) e->seqNext = 1;
    e->aSeq[i] = e->seqNext;
    e->iHead = (i + 1) % PACE_RING;
    *piEntry = k;
    *pSeq = e->seqNext;
  } else {
    qsort(aIn, (size_t)nIn, sizeof(double), dbl_cmp);
    wait = aIn[nIn - nLimit] + rWindow - now;
    if (wait < 0.001) wait = 0.001;
  }
  pthread_mutex_unlock(&paceMutex);
  return wait;
}

/* The request of slot (iEntry, seq) has completed (or was abandoned). */
static void pace_done(int iEntry, unsigned seq) {
  if (iEntry < 0 || iEntry >= PACE_ENTRIES || seq == 0) return;
  pthread_mutex_lock(&paceMutex);
  pace_entry *e = &aPace[iEntry];
  for (int i = 0; i < PACE_RING; i++) {
    if (e->aSeq[i] == seq && e->aFlight[i]) {
      e->aFlight[i] = 0;
      e->aT[i] = now_mono();
      break;
    }
  }
  pthread_mutex_unlock(&paceMutex);
}

/* ------------------------------------------------------------------ */
/* The source                                                           */

#define AUTH_NONE 0
#define AUTH_ENV 1
#define AUTH_FILE 2
#define AUTH_AZURE 3

typedef struct http_source {
  prov_source base;
  prov_options o;  /* copy; strings below are owned */
  char *zSource;
  char *zAuth;
  char *zCaFile;
  char *zCache;    /* cache= spec ('memory' or a file), or NULL */
  char *zRoot;     /* source without trailing '/' */
  url_origin org;  /* the source's origin */
  int bLoopback;
  int eAuth;
  int eAzCred;         /* auth='azure...': AZ_CRED_CHAIN or the credential named */
  const char *zAuthSecret; /* during a token request: its secret or assertion, masked in messages */
  char *zPaceKey;
  char *zToken;        /* current bearer token (wiped on free) */
  double rTokenRenew;  /* monotonic time to renew an azure token */
  int bTokenStale;     /* env/file: read again before the next request */
  CURLM *multi;
  prov_intr intr;      /* the table's connection: was it interrupted? */
} http_source;

static void wipe_free(char *z) {
  if (z) {
    trust_wipe(z, strlen(z));
    sqlite3_free(z);
  }
}

/* z with every occurrence of zS replaced by zMask (z is freed; NULL when out of memory). */
static char *replace_all(char *z, const char *zS, const char *zMask) {
  size_t nS = strlen(zS);
  char *p;
  if (!z || nS == 0 || !strstr(z, zS)) return z;
  sqlite3_str *m = sqlite3_str_new(0);
  const char *q = z;
  while ((p = strstr(q, zS)) != 0) {
    sqlite3_str_append(m, q, (int)(p - q));
    sqlite3_str_appendall(m, zMask);
    q = p + nS;
  }
  sqlite3_str_appendall(m, q);
  sqlite3_free(z);
  return sqlite3_str_finish(m);
}

/* z percent-encoded as in the token request's form body (curl_easy_escape's form). */
static char *form_encode(const char *z) {
  sqlite3_str *m = sqlite3_str_new(0);
  for (; *z; z++) {
    unsigned char c = (unsigned char)*z;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      sqlite3_str_appendchar(m, 1, (char)c);
    } else {
      sqlite3_str_appendf(m, "%%%02X", c);
    }
  }
  return sqlite3_str_finish(m);
}

/*
** Replace every occurrence of the token and the client secret in z (the
** secret also as the token request's form body carries it, for a server or
** proxy that echoes the body). z is freed; NULL when out of memory.
*/
static char *redact(http_source *s, char *z) {
  const char *azSecret[4];
  azSecret[0] = s->zToken;
  azSecret[1] = s->eAuth == AUTH_AZURE ? getenv("AZURE_CLIENT_SECRET") : 0;
  azSecret[2] = s->eAuth == AUTH_AZURE ? s->zAuthSecret : 0;
  azSecret[3] = s->eAuth == AUTH_AZURE ? getenv("IDENTITY_HEADER") : 0;
  for (int k = 0; k < 4 && z; k++) {
    const char *zS = azSecret[k];
    if (!zS || strlen(zS) < 4) continue;
    z = trust_mask_secret(z, zS, "[redacted]"); /* any 8 characters of it, not only the whole */
    if (k >= 1 && z) {
      char *zEnc = form_encode(zS);
      if (!zEnc) {
        sqlite3_free(z);
        return 0;
      }
      z = trust_mask_secret(z, zEnc, "[redacted]");
      sqlite3_free(zEnc);
    }
  }
  return z;
}

/*
** z with zS replaced by ********, both as it is and as append_clean()
** writes it into a message (a non-ASCII password comes out as '?'s there).
*/
static char *mask_value(char *z, const char *zS) {
  z = replace_all(z, zS, "********");
  sqlite3_str *m = sqlite3_str_new(0);
  append_clean(m, zS, strlen(zS));
  char *zClean = sqlite3_str_finish(m);
  if (!zClean) {
    sqlite3_free(z);
    return 0;
  }
  if (strcmp(zClean, zS) != 0) z = replace_all(z, zClean, "********");
  sqlite3_free(zClean);
  return z;
}

/*
** Replace, in z, every password or secret a JSON request body carries: the
** string value of each member whose name holds "password" or "secret"
** (any case), as written in the body and unescaped. A server that echoes
** the body in its error ("Invalid password '...'") must not put it in an
** error message or a trace line. z is freed; NULL when out of memory.
*/
static char *redact_body(const char *zBody, char *z) {
  if (!z || !zBody) return z;
  size_t n = strlen(zBody), end = 0, errOff = 0;
  const char *zWhy;
  if (pj_value_end(zBody, n, &end, &errOff, &zWhy) != PJ_OK) return z; /* not JSON (a form body) */
  pj_doc d;
  memset(&d, 0, sizeof(d));
  int rc = pj_parse(&d, zBody, n);
  if (rc) {
    pj_doc_free(&d);
    if (rc != SQLITE_NOMEM) return z;
    sqlite3_free(z);
    return 0;
  }
  for (int i = 1; i + 1 < d.nTok && z; i++) {
    const jsmntok_t *k = &d.aTok[i];
    if (k->type != JSMN_STRING || k->parent < 0 || d.aTok[k->parent].type != JSMN_OBJECT) continue;
    int nKey = k->end - k->start, bSecret = 0;
    for (int j = 0; j + 6 <= nKey && !bSecret; j++) {
      bSecret = sqlite3_strnicmp(zBody + k->start + j, "secret", 6) == 0 ||
                (j + 8 <= nKey && sqlite3_strnicmp(zBody + k->start + j, "password", 8) == 0);
    }
    const jsmntok_t *v = &d.aTok[i + 1];
    if (!bSecret || v->type != JSMN_STRING || v->end <= v->start) continue;
    int nV = v->end - v->start;
    char *zRaw = sqlite3_mprintf("%.*s", nV, zBody + v->start);
    char *zPlain = sqlite3_malloc64((sqlite3_uint64)nV + 1);
    int nPlain = zPlain ? pj_unescape(zBody + v->start, (size_t)nV, zPlain, 0) : -1;
    if (!zRaw || !zPlain) {
      sqlite3_free(z);
      z = 0;
    } else {
      if (nPlain > 0) {
        zPlain[nPlain] = 0;
        z = mask_value(z, zPlain);
      }
      z = mask_value(z, zRaw);
    }
    sqlite3_free(zRaw);
    sqlite3_free(zPlain);
  }
  pj_doc_free(&d);
  return z;
}

/* Does z[0..n) hold any 8 characters of the token or the client secret? */
static int holds_secret(http_source *s, const char *z, size_t n) {
  return trust_holds_secret(z, n, s->zToken) ||
         (s->eAuth == AUTH_AZURE && trust_holds_secret(z, n, getenv("AZURE_CLIENT_SECRET")));
}

/* zUrl as a trace line may show it: credential-looking query values and secrets masked. */
static char *show_url(http_source *s, const char *zUrl) { return redact(s, trust_url_masked(zUrl)); }

/* ------------------------------------------------------------------ */
/* One request, with its retries                                        */

typedef struct http_req {
  http_source *pSrc;
  const char *zWho;     /* "provisioning_events", for messages */
  const char *zMethod;  /* static */
  char *zUrl;
  const char *zBody;    /* borrowed; never printed */
  size_t nBody;
  const char *zCtype;   /* request Content-Type or NULL */
  const char *zHdrMore; /* one more header line or NULL (managed identity) */
  const char *zProto;   /* allowed protocols */
  int bAuth;            /* send the token (source origin only) */
  int bPace;
  int bToken;           /* the token endpoint (messages) */
  CURL *h;
  struct curl_slist *pHdr;
  /* response */
  char *zResp;
  size_t nResp, nRespAlloc;
  sqlite3_int64 nMax;
  int bTooBig, bNoMem;
  char zRetryAfter[64];
  char zReqId[128];
  char zLocation[1024];
  char zErrBuf[CURL_ERROR_SIZE];
  /* state */
  int bRunning, bDone;
  CURLcode cc;
  long iStatus;
  double tStart;
  int iPaceEntry;
  unsigned paceSeq;
  int nRetry;
  double rWaited;
  int bRenewed;
  prov_stats *pStats; /* the stream that asked, to count its own requests */
} http_req;

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

static http_req *req_new(http_source *s, const char *zWho, const char *zMethod, const char *zUrl) {
  http_req *r = sqlite3_malloc64(sizeof(*r));
  if (!r) return 0;
  memset(r, 0, sizeof(*r));
  r->pSrc = s;
  r->zWho = zWho;
  r->zMethod = zMethod;
  r->zUrl = sqlite3_mprintf("%s", zUrl);
  if (!r->zUrl) {
    sqlite3_free(r);
    return 0;
  }
  r->nMax = s->o.nMaxResponse > 0 ? s->o.nMaxResponse : (sqlite3_int64)256 * 1024 * 1024;
  r->zProto = s->bLoopback ? "http,https" : "https";
  r->bAuth = s->eAuth != AUTH_NONE;
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
  http_source *s = r->pSrc;
  if (r->bRunning) {
    curl_multi_remove_handle(s->multi, r->h);
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

static void req_free(http_req *r) {
  if (!r) return;
  req_release_handle(r);
  sqlite3_free(r->zUrl);
  if (r->bToken && r->zResp) trust_wipe(r->zResp, r->nRespAlloc);
  sqlite3_free(r->zResp);
  sqlite3_free(r);
}

/* Take the response body out of r (sqlite3_malloc'd, NUL-terminated). */
static char *req_take_body(http_req *r, size_t *pn) {
  char *z = r->zResp;
  *pn = r->nResp;
  r->zResp = 0;
  r->nResp = r->nRespAlloc = 0;
  return z;
}

/* Collect the transfers that ended; returns how many. */
static int multi_collect(http_source *s) {
  CURLMsg *m;
  int nQ, nDone = 0;
  while ((m = curl_multi_info_read(s->multi, &nQ)) != 0) {
    if (m->msg != CURLMSG_DONE) continue;
    CURL *h = m->easy_handle;
    CURLcode cc = m->data.result;
    http_req *r = 0;
    curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&r);
    curl_multi_remove_handle(s->multi, h);
    if (!r) continue;
    r->cc = cc;
    r->bRunning = 0;
    r->bDone = 1;
    r->iStatus = 0;
    nDone++;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->iStatus);
    pace_done(r->iPaceEntry, r->paceSeq);
    r->iPaceEntry = -1;
    if (!r->bToken) s->base.stats.nBytes += (sqlite3_int64)r->nResp;
    if (!r->bToken && r->pStats) r->pStats->nBytes += (sqlite3_int64)r->nResp;
    if (trace_on()) {
      int ms2 = (int)((now_mono() - r->tStart) * 1000 + 0.5);
      char *zShow = show_url(s, r->zUrl);
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
static void multi_drive(http_source *s, int ms) {
  int nRunning = 0;
  curl_multi_perform(s->multi, &nRunning);
  if (multi_collect(s) > 0 || ms <= 0) return;
  curl_multi_poll(s->multi, 0, 0, ms, 0);
  curl_multi_perform(s->multi, &nRunning);
  multi_collect(s);
}

/*
** Wait secs seconds, keeping the source's other transfers moving. Returns
** 1 as soon as the connection is interrupted (checked every 100 ms), else 0.
*/
static int src_sleep(http_source *s, double secs) {
  double tEnd = now_mono() + secs;
  for (;;) {
    if (prov_intr_check(&s->intr)) return 1;
    double left = tEnd - now_mono();
    if (left <= 0) break;
    int ms = (int)(left * 1000) + 1;
    if (ms > 100) ms = 100;
    multi_drive(s, ms);
  }
  return 0;
}

/* The statement was interrupted while r waited: stop its transfer. */
static int req_interrupted(http_req *r, const char *zWhile, char **pzErr) {
  if (trace_on()) fprintf(stderr, "provisioning: %s %s: interrupted while %s\n", r->zMethod, r->zUrl, zWhile);
  req_release_handle(r);
  *pzErr = sqlite3_mprintf("interrupted");
  return *pzErr ? SQLITE_INTERRUPT : SQLITE_NOMEM;
}

static int auth_token(http_source *s, const char *zWho, char **pzErr);

/*
** Start one attempt of r if pacing allows. bWait: wait for pacing.
** Returns SQLITE_OK (started, or *pbLater when pacing said not yet), or an
** error with *pzErr set.
*/
static int req_start(http_req *r, int bWait, int *pbLater, char **pzErr) {
  http_source *s = r->pSrc;
  if (pbLater) *pbLater = 0;
  if (r->bAuth) {
    int rc = auth_token(s, r->zWho, pzErr);
    if (rc) return rc;
    /* defence in depth: the token goes to the source's origin only */
    url_origin o;
    rc = origin_parse(0, r->zUrl, &o);
    if (rc == SQLITE_NOMEM) return rc;
    if (rc || o.bUserinfo || strcmp(o.zScheme, s->org.zScheme) || strcmp(o.zHost, s->org.zHost) ||
        o.iPort != s->org.iPort) {
      *pzErr = sqlite3_mprintf("%s: refusing to send the token outside the source's origin", r->zWho);
      return SQLITE_ERROR;
    }
  }
  if (r->bPace) {
    for (;;) {
      double w = pace_try(s->zPaceKey, s->o.nRateLimit, s->o.rRateWindow, &r->iPaceEntry, &r->paceSeq);
      if (w <= 0) break;
      if (!bWait) {
        if (pbLater) *pbLater = 1;
        return SQLITE_OK;
      }
      if (trace_on()) {
        char *zShow = show_url(s, r->zUrl);
        fprintf(stderr, "provisioning: pacing: waiting %.3f s before %s %s (rate_limit %d per %g s)\n", w, r->zMethod,
                zShow ? zShow : "?", s->o.nRateLimit, s->o.rRateWindow);
        sqlite3_free(zShow);
      }
      if (src_sleep(s, w)) return req_interrupted(r, "pacing", pzErr);
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
  int rcP = origin_parse(0, r->zUrl, &oP);
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
  if (r->bAuth && s->zToken) {
    size_t nTok = strlen(s->zToken); /* built in one allocation: no copy left in freed memory */
    char *zH = sqlite3_malloc64(nTok + 23);
    if (!zH) goto nomem_list;
    memcpy(zH, "Authorization: Bearer ", 22);
    memcpy(zH + 22, s->zToken, nTok + 1);
    l2 = curl_slist_append(l, zH);
    wipe_free(zH);
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
  if (s->zCaFile) SETOPT(h, CURLOPT_CAINFO, s->zCaFile);
  SETOPT(h, CURLOPT_ACCEPT_ENCODING, "gzip");
  SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
  SETOPT(h, CURLOPT_WRITEDATA, (void *)r);
  SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
  SETOPT(h, CURLOPT_HEADERDATA, (void *)r);
  SETOPT(h, CURLOPT_ERRORBUFFER, r->zErrBuf);
  SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->nMax);
  SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, (long)((s->o.rConnectTimeout > 0 ? s->o.rConnectTimeout : 10) * 1000));
  SETOPT(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  SETOPT(h, CURLOPT_LOW_SPEED_TIME, (long)(s->o.rLowSpeedTime >= 1 ? s->o.rLowSpeedTime : 30));
  SETOPT(h, CURLOPT_TIMEOUT_MS, (long)((s->o.rTimeout > 0 ? s->o.rTimeout : 100) * 1000));
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
  r->tStart = now_mono();
  CURLMcode mc = curl_multi_add_handle(s->multi, h);
  if (mc != CURLM_OK) {
    pace_done(r->iPaceEntry, r->paceSeq);
    r->iPaceEntry = -1;
    if (mc == CURLM_OUT_OF_MEMORY) return SQLITE_NOMEM;
    *pzErr = sqlite3_mprintf("%s: cannot start a transfer (libcurl multi: %s)", r->zWho, curl_multi_strerror(mc));
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  r->bRunning = 1;
  r->bDone = 0;
  if (!r->bToken) s->base.stats.nRequests++;
  if (!r->bToken && r->pStats) r->pStats->nRequests++;
  return SQLITE_OK;
nomem_list:
  slist_wipe_free(l);
nomem:
  pace_done(r->iPaceEntry, r->paceSeq);
  r->iPaceEntry = -1;
  return SQLITE_NOMEM;
}

/*
** Append z[0..n) as append_clean() does, with every secret masked first and
** only then cut to nMax characters: a cut never leaves part of a secret.
*/
static void append_masked(sqlite3_str *m, http_req *r, const char *z, size_t n, size_t nMax) {
  size_t nIn = n > nMax + 70000 ? nMax + 70000 : n; /* the longest token (64 KiB) is still whole */
  sqlite3_str *t = sqlite3_str_new(0);
  append_clean(t, z, nIn);
  char *zT = redact_body(r->zBody, redact(r->pSrc, sqlite3_str_finish(t)));
  if (!zT) return;
  size_t k = strlen(zT);
  sqlite3_str_append(m, zT, (int)(k > nMax ? nMax : k));
  trust_wipe(zT, k);
  sqlite3_free(zT);
}

/* Append Graph's (or the token endpoint's) error details from the body. */
static void append_http_error(sqlite3_str *m, http_req *r) {
  const char *zCode = 0, *zMsg = 0, *zId = 0;
  int nCode = 0, nMsg = 0, nId = 0;
  pj_doc d;
  memset(&d, 0, sizeof(d));
  int bJson = 0;
  if (r->zResp && r->nResp > 0) {
    size_t end, errOff;
    const char *zWhy;
    size_t i0 = pj_skip_ws(r->zResp, r->nResp, 0);
    if (i0 < r->nResp && r->zResp[i0] == '{' &&
        pj_value_end(r->zResp, r->nResp, &end, &errOff, &zWhy) == PJ_OK &&
        pj_parse(&d, r->zResp, r->nResp) == SQLITE_OK && d.nTok > 0 && d.aTok[0].type == JSMN_OBJECT) {
      bJson = 1;
      int iErr = pj_find(&d, 0, "error", 5);
      int i;
      if (iErr >= 0 && d.aTok[iErr].type == JSMN_OBJECT) {
        if ((i = pj_find(&d, iErr, "code", 4)) >= 0 && d.aTok[i].type == JSMN_STRING) {
          zCode = d.z + d.aTok[i].start;
          nCode = d.aTok[i].end - d.aTok[i].start;
        }
        if ((i = pj_find(&d, iErr, "message", 7)) >= 0 && d.aTok[i].type == JSMN_STRING) {
          zMsg = d.z + d.aTok[i].start;
          nMsg = d.aTok[i].end - d.aTok[i].start;
        }
        int iInner = pj_find(&d, iErr, "innerError", 10);
        if (iInner < 0) iInner = pj_find(&d, iErr, "innererror", 10);
        if (iInner >= 0 && (i = pj_find(&d, iInner, "request-id", 10)) >= 0 && d.aTok[i].type == JSMN_STRING) {
          zId = d.z + d.aTok[i].start;
          nId = d.aTok[i].end - d.aTok[i].start;
        }
      } else if (iErr >= 0 && d.aTok[iErr].type == JSMN_STRING) { /* OAuth: error, error_description */
        zCode = d.z + d.aTok[iErr].start;
        nCode = d.aTok[iErr].end - d.aTok[iErr].start;
        if ((i = pj_find(&d, 0, "error_description", 17)) >= 0 && d.aTok[i].type == JSMN_STRING) {
          zMsg = d.z + d.aTok[i].start;
          nMsg = d.aTok[i].end - d.aTok[i].start;
        }
      }
    }
  }
  sqlite3_str_appendf(m, "HTTP %ld", r->iStatus);
  if (zCode && nCode > 0) {
    sqlite3_str_appendchar(m, 1, ' ');
    append_masked(m, r, zCode, (size_t)nCode, 100);
  }
  if (zMsg && nMsg > 0) {
    sqlite3_str_appendall(m, ": ");
    append_masked(m, r, zMsg, (size_t)nMsg, 500);
  } else if (!bJson && r->zResp && r->nResp > 0) {
    sqlite3_str_appendall(m, ": ");
    append_masked(m, r, r->zResp, r->nResp, 200);
  }
  if (zId && nId > 0) {
    sqlite3_str_appendall(m, " (request-id ");
    append_masked(m, r, zId, (size_t)nId, 100);
    sqlite3_str_appendchar(m, 1, ')');
  } else if (r->zReqId[0]) {
    sqlite3_str_appendall(m, " (request-id ");
    append_clean(m, r->zReqId, strlen(r->zReqId));
    sqlite3_str_appendchar(m, 1, ')');
  }
  pj_doc_free(&d);
}

/* "on GET /path?query" */
static void append_where(sqlite3_str *m, http_req *r) {
  sqlite3_str_appendf(m, " on %s ", r->zMethod);
  char *zShow = trust_url_masked(url_path(r->zUrl)); /* no access_token=, sig=... values */
  if (zShow) append_clean(m, zShow, strlen(zShow));
  sqlite3_free(zShow);
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
static int req_run(http_req *r, char **pzErr) {
  http_source *s = r->pSrc;
  int bGet = strcmp(r->zMethod, "GET") == 0;
  for (;;) {
    if (!r->bRunning && !r->bDone) {
      int rc = req_start(r, 1, 0, pzErr);
      if (rc) return rc;
    }
    while (!r->bDone) {
      multi_drive(s, 100);
      if (!r->bDone && prov_intr_check(&s->intr)) return req_interrupted(r, "waiting for the answer", pzErr);
    }
    /* our buffer or libcurl's own allocations: out of memory, not a connection error */
    if (r->bNoMem || r->cc == CURLE_OUT_OF_MEMORY) return SQLITE_NOMEM;
    int bRetryable = 0;
    sqlite3_str *m = sqlite3_str_new(0);
    sqlite3_str_appendf(m, "%s: ", r->zWho);
    if (r->cc != CURLE_OK) {
      if (r->bTooBig || r->cc == CURLE_FILESIZE_EXCEEDED) {
        sqlite3_str_appendf(m, "response larger than %lld bytes (max_response=)", r->nMax);
        append_where(m, r);
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
        append_clean(m, r->zErrBuf, strlen(r->zErrBuf));
        sqlite3_str_appendchar(m, 1, ')');
      }
      if (r->cc == CURLE_OPERATION_TIMEDOUT) { /* the whole URL: which host did not answer */
        sqlite3_str_appendf(m, " on %s ", r->zMethod);
        append_clean(m, r->zUrl, strlen(r->zUrl));
        sqlite3_str_appendf(m, " (timeout=%g s for the whole transfer, connect_timeout=%g s, low_speed_time=%g s)",
                            s->o.rTimeout, s->o.rConnectTimeout, s->o.rLowSpeedTime);
      } else {
        append_where(m, r);
      }
    } else if (r->iStatus >= 200 && r->iStatus < 300) {
      sqlite3_free(sqlite3_str_finish(m));
      return SQLITE_OK;
    } else if (r->iStatus >= 300 && r->iStatus < 400) {
      url_origin o;
      int rcLoc = r->zLocation[0] ? origin_parse(r->zUrl, r->zLocation, &o) : SQLITE_ERROR;
      if (rcLoc == SQLITE_NOMEM) {
        sqlite3_free(sqlite3_str_finish(m));
        return SQLITE_NOMEM;
      }
      sqlite3_str_appendf(m, "HTTP %ld redirect", r->iStatus);
      if (rcLoc == SQLITE_OK) {
        sqlite3_str_appendall(m, " to ");
        origin_text(m, &o);
      } else if (r->zLocation[0]) {
        sqlite3_str_appendall(m, " to an invalid Location");
      }
      sqlite3_str_appendall(m, " not followed (redirects are never followed, so the token stays with the source)");
      append_where(m, r);
      goto fail;
    } else {
      if (r->iStatus == 401 && s->eAuth == AUTH_AZURE && r->bAuth && !r->bRenewed) {
        /* the token may have been revoked or expired early: renew once */
        sqlite3_free(sqlite3_str_finish(m));
        r->bRenewed = 1;
        wipe_free(s->zToken);
        s->zToken = 0;
        r->bDone = 0;
        if (trace_on()) fprintf(stderr, "provisioning: HTTP 401: renewing the token and retrying once\n");
        continue;
      }
      append_http_error(m, r);
      append_where(m, r);
      if ((r->iStatus == 401 || r->iStatus == 403) && !r->bToken) {
        sqlite3_str_appendf(m, "; check the token and that the app has %s", perm_hint(r->zWho));
      }
      bRetryable = r->iStatus == 429 || (bGet && (r->iStatus == 503 || r->iStatus == 504)) ||
                   (!bGet && r->iStatus == 503 && r->zRetryAfter[0]);
    }
    if (!bRetryable) goto fail;
    if (r->nRetry >= s->o.nMaxRetries) {
      sqlite3_str_appendf(m, " (gave up after %d %s)", r->nRetry, r->nRetry == 1 ? "retry" : "retries");
      goto fail;
    }
    double left = s->o.rMaxWait - r->rWaited;
    double w;
    if (parse_retry_after(r->zRetryAfter, &w)) {
      if (w > left) {
        sqlite3_str_appendf(m, " (the server asked to retry after %g s, more than the %g s left of max_wait=%g: "
                            "not retrying)", w, left < 0 ? 0 : left, s->o.rMaxWait);
        goto fail;
      }
    } else {
      unsigned u = 0;
      sqlite3_randomness(sizeof(u), &u);
      w = s->o.rRetryBase;
      for (int i = 0; i < r->nRetry && w < 3600; i++) w *= 2;
      w *= 1.0 + 0.25 * (double)(u % 10001) / 10000.0; /* jitter */
      if (w > 60 && s->o.rRetryBase <= 60) w = 60;
      if (w > left) w = left;
      if (w <= 0 && s->o.rMaxWait > 0 && left <= 0) {
        sqlite3_str_appendf(m, " (gave up: max_wait=%g s of retry waits used)", s->o.rMaxWait);
        goto fail;
      }
      if (w < 0) w = 0;
    }
    r->nRetry++;
    r->rWaited += w;
    if (trace_on()) {
      char *zWhat = sqlite3_str_finish(m);
      m = 0;
      zWhat = redact_body(r->zBody, redact(s, zWhat));
      fprintf(stderr, "provisioning: retry %d of %d in %.3f s: %s\n", r->nRetry, s->o.nMaxRetries, w,
              zWhat ? zWhat : "");
      sqlite3_free(zWhat);
    } else {
      sqlite3_free(sqlite3_str_finish(m));
    }
    if (w > 0 && src_sleep(s, w)) return req_interrupted(r, "waiting to retry", pzErr);
    r->bDone = 0;
    continue;
  fail: {
    char *z = sqlite3_str_finish(m);
    z = redact_body(r->zBody, redact(s, z));
    if (!z) return SQLITE_NOMEM;
    if (trace_on()) fprintf(stderr, "provisioning: error: %s\n", z);
    *pzErr = z;
    return SQLITE_ERROR;
  }
  }
}

/* ------------------------------------------------------------------ */
/* Auth                                                                 */

/* Trim, strip a "Bearer " prefix, check header safety. */
static int token_set(http_source *s, const char *zWho, const char *z, size_t n, const char *zFrom,
                     char **pzErr) {
  while (n > 0 && (*z == ' ' || *z == '\t' || *z == '\r' || *z == '\n')) z++, n--;
  while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t' || z[n - 1] == '\r' || z[n - 1] == '\n')) n--;
  if (n > 7 && sqlite3_strnicmp(z, "Bearer ", 7) == 0) z += 7, n -= 7;
  if (n == 0) {
    *pzErr = sqlite3_mprintf("%s: %s is empty: put a bearer token there (e.g. from az account get-access-token "
                             "--resource-type ms-graph --query accessToken -o tsv)",
                             zWho, zFrom);
    return SQLITE_ERROR;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)z[i];
    if (c <= 0x20 || c >= 0x7f) {
      *pzErr = sqlite3_mprintf("%s: the token in %s holds a character not allowed in an HTTP header (space, "
                               "control or non-ASCII)",
                               zWho, zFrom);
      return SQLITE_ERROR;
    }
  }
  char *zTok = sqlite3_malloc64(n + 1);
  if (!zTok) return SQLITE_NOMEM;
  memcpy(zTok, z, n);
  zTok[n] = 0;
  wipe_free(s->zToken);
  s->zToken = zTok;
  return SQLITE_OK;
}

static int read_token_file(http_source *s, const char *zWho, char **pzErr) {
  const char *zPath = s->zAuth + 5;
  /* read(2), not stdio: no library buffer keeps a copy of the token */
  /* O_NONBLOCK: a FIFO named by a database file's schema cannot hang the statement */
  int fd = open(zPath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  char *zMsg;
  if (fd < 0) {
    zMsg = sqlite3_mprintf("%s: auth='file:%s': cannot open the token file", zWho, zPath);
    goto err;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    zMsg = sqlite3_mprintf("%s: auth='file:%s': the token file is not a regular file", zWho, zPath);
    goto err;
  }
  char aBuf[65537];
  size_t n = 0;
  int bErr = 0;
  while (n < sizeof(aBuf)) {
    ssize_t k = read(fd, aBuf + n, sizeof(aBuf) - n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) bErr = 1;
    if (k <= 0) break;
    n += (size_t)k;
  }
  close(fd);
  if (bErr) {
    trust_wipe(aBuf, n);
    zMsg = sqlite3_mprintf("%s: auth='file:%s': cannot read the token file", zWho, zPath);
    goto err;
  }
  if (n == sizeof(aBuf)) {
    trust_wipe(aBuf, sizeof(aBuf));
    zMsg = sqlite3_mprintf("%s: auth='file:%s': the token file is larger than 64 KiB", zWho, zPath);
    goto err;
  }
  char *zFrom = sqlite3_mprintf("the token file %s", zPath);
  if (!zFrom) {
    trust_wipe(aBuf, n);
    return SQLITE_NOMEM;
  }
  int rc = token_set(s, zWho, aBuf, n, zFrom, pzErr);
  trust_wipe(aBuf, n);
  sqlite3_free(zFrom);
  return rc;
err:
  if (!zMsg) return SQLITE_NOMEM;
  *pzErr = zMsg;
  return SQLITE_ERROR;
}

/* The authority (login host) for client credentials, without trailing '/'. */
static char *authority_url(http_source *s, const char *zWho, const char **pzProto, char **pzErr) {
  const char *zVar = "PROVISIONING_AUTHORITY_HOST";
  const char *z = getenv(zVar);
  char *zHttps = 0;
  if (!z || !z[0]) {
    zVar = "AZURE_AUTHORITY_HOST"; /* the Azure SDKs' name; it may come without a scheme */
    z = getenv(zVar);
    if (z && z[0] && !strstr(z, "://")) {
      zHttps = sqlite3_mprintf("https://%s", z);
      if (!zHttps) {
        *pzErr = 0;
        return 0;
      }
      z = zHttps;
    }
  }
  if (!z || !z[0]) {
    if (sqlite3_stricmp(s->org.zHost, "graph.microsoft.us") == 0 ||
        sqlite3_stricmp(s->org.zHost, "dod-graph.microsoft.us") == 0) {
      z = "https://login.microsoftonline.us";
    } else if (sqlite3_stricmp(s->org.zHost, "microsoftgraph.chinacloudapi.cn") == 0) {
      z = "https://login.chinacloudapi.cn";
    } else {
      z = "https://login.microsoftonline.com";
    }
  }
  url_origin o;
  int rc = has_ctl(z) ? SQLITE_ERROR : origin_parse(0, z, &o);
  if (rc == SQLITE_NOMEM) {
    sqlite3_free(zHttps);
    *pzErr = 0;
    return 0;
  }
  if (rc || o.bUserinfo || strchr(z, '?') || strchr(z, '#')) {
    *pzErr = sqlite3_mprintf("%s: %s must be an https:// URL (http:// only on loopback), "
                             "without user info, query or fragment",
                             zWho, zVar);
    sqlite3_free(zHttps);
    return 0;
  }
  /* the client secret goes only to Microsoft's login hosts and allowed hosts */
  if (trust_login_host_allowed(o.zScheme, o.zHost, o.iPort, pzErr)) {
    sqlite3_free(zHttps);
    return 0;
  }
  *pzProto = strcmp(o.zScheme, "http") == 0 ? "http,https" : "https";
  size_t n = strlen(z);
  while (n > 0 && z[n - 1] == '/') n--;
  char *zOut = sqlite3_mprintf("%.*s", (int)n, z);
  sqlite3_free(zHttps);
  if (!zOut) *pzErr = 0;
  return zOut;
}

static const char *const azLoginHosts[] = {"login.microsoftonline.com", "login.microsoft.com", "login.windows.net",
                                           "login.microsoftonline.us", "login.chinacloudapi.cn",
                                           "login.partner.microsoftonline.cn", 0};

/*
** The host rule for token endpoints, in one place (the trust module may
** take its place): a token request goes to Microsoft's login hosts over
** https, to the managed-identity endpoints (IDENTITY_ENDPOINT, which the
** environment names; the instance metadata endpoint 169.254.169.254 over
** http, as the Azure SDKs use it), or to a host listed in
** PROVISIONING_ALLOWED_HOSTS (plain http only on loopback). On success
** *pzProto is the protocol list for libcurl.
*/
static int token_host_allowed(const char *zWho, const char *zUrl, int eEndpoint, const char **pzProto,
                              char **pzErr) {
  url_origin o;
  int rc = origin_parse(0, zUrl, &o);
  if (rc == SQLITE_NOMEM) return rc;
  int bHttp = rc == SQLITE_OK && strcmp(o.zScheme, "http") == 0;
  int bOk = 0;
  if (rc == SQLITE_OK && !o.bUserinfo && (bHttp || strcmp(o.zScheme, "https") == 0)) {
    if (eEndpoint == AZ_EP_IDENTITY) {
      bOk = 1;
    } else if (eEndpoint == AZ_EP_IMDS && strcmp(o.zHost, "169.254.169.254") == 0) {
      bOk = 1;
    } else if (trust_env_allows(o.zHost, o.iPort)) {
      bOk = !bHttp || trust_is_loopback(o.zHost);
    } else if (!bHttp && eEndpoint == AZ_EP_LOGIN) {
      for (int i = 0; azLoginHosts[i] && !bOk; i++) bOk = sqlite3_stricmp(o.zHost, azLoginHosts[i]) == 0;
    }
  }
  if (bOk) {
    *pzProto = bHttp ? "http,https" : "https";
    return SQLITE_OK;
  }
  sqlite3_str *m = sqlite3_str_new(0);
  sqlite3_str_appendf(m, "%s: the token endpoint ", zWho);
  if (rc == SQLITE_OK) {
    origin_text(m, &o);
  } else {
    sqlite3_str_appendall(m, "URL");
  }
  sqlite3_str_appendall(m, " is not allowed: tokens are asked only of Microsoft's login hosts (https://"
                           "login.microsoftonline.com and the national clouds' hosts), the managed identity "
                           "endpoints (IDENTITY_ENDPOINT, http://169.254.169.254) and hosts listed in the "
                           "environment variable PROVISIONING_ALLOWED_HOSTS (plain http only on loopback)");
  *pzErr = sqlite3_str_finish(m);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/*
** Get a token from the Azure credential (auth='azure...'): the one the
** chain picks (auth_azure.c decides and builds the request), asked here so
** that the host rule, retries and the masking of secrets apply.
*/
static int azure_token(http_source *s, const char *zWho, char **pzErr) {
  if (s->zToken && now_mono() < s->rTokenRenew) return SQLITE_OK;
  int eKind = AZ_CRED_SECRET;
  int rc = azure_cred_pick(s->eAzCred, zWho, &eKind, pzErr);
  if (rc) return rc;
  const char *zScopeHost = trust_is_graph_host(s->org.zHost) ? s->org.zHost : "graph.microsoft.com";
  long long tNow = (long long)time(0);
  char *zTok = 0, *zAnswer = 0;
  double rLife = 0;
  az_token_req p;
  memset(&p, 0, sizeof(p));
  http_req *r = 0;
  const char *zFrom = "(Azure CLI: az account get-access-token)";
  if (eKind == AZ_CRED_CLI) {
    size_t nAnswer = 0;
    rc = azure_cli_run(zWho, zScopeHost, &zAnswer, &nAnswer, pzErr);
    if (rc == SQLITE_OK) rc = azure_token_answer(zWho, zFrom, zAnswer, nAnswer, tNow, &zTok, &rLife, pzErr);
  } else {
    const char *zProto = "https";
    char *zAuthority = 0;
    if (azure_cred_uses_login(eKind)) {
      zAuthority = authority_url(s, zWho, &zProto, pzErr);
      if (!zAuthority) return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    rc = azure_token_request(eKind, zWho, zAuthority, zScopeHost, tNow, &p, pzErr);
    sqlite3_free(zAuthority);
    if (rc == SQLITE_OK) rc = token_host_allowed(zWho, p.zUrl, p.eEndpoint, &zProto, pzErr);
    if (rc) goto done;
    zFrom = p.zFrom;
    r = req_new(s, zWho, p.zMethod, p.zUrl);
    if (!r) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    r->bAuth = 0;
    r->bPace = 0;
    r->bToken = 1;
    r->zProto = zProto;
    r->zHdrMore = p.zHeader;
    if (p.zBody) {
      r->zBody = p.zBody;
      r->nBody = strlen(p.zBody);
      r->zCtype = "application/x-www-form-urlencoded";
    }
    r->nMax = 1024 * 1024;
    s->zAuthSecret = p.zSecret;
    char *zErr = 0;
    rc = req_run(r, &zErr);
    if (rc) {
      if (zErr) {
        *pzErr = sqlite3_mprintf("%s %s", zErr, p.zFrom);
        sqlite3_free(zErr);
        if (!*pzErr) rc = SQLITE_NOMEM;
      }
    } else {
      rc = azure_token_answer(zWho, zFrom, r->zResp, r->nResp, tNow, &zTok, &rLife, pzErr);
    }
    s->zAuthSecret = 0;
  }
  if (rc == SQLITE_OK) {
    rc = token_set(s, zWho, zTok, strlen(zTok), "the token endpoint's answer", pzErr);
    if (rc == SQLITE_OK) {
      /* renewed ahead of expiry: 10% of the lifetime, at most 5 minutes */
      double margin = rLife * 0.1 < 300 ? rLife * 0.1 : 300;
      s->rTokenRenew = now_mono() + rLife - margin;
      if (trace_on()) {
        fprintf(stderr, "provisioning: token from %s %s, valid for %.0f s\n", azure_cred_name(eKind), zFrom, rLife);
      }
    }
  }
done:
  s->zAuthSecret = 0;
  wipe_free(zTok);
  wipe_free(zAnswer);
  req_free(r);
  azure_token_request_clear(&p);
  return rc;
}

/* Make sure s->zToken holds the token to send (or none for AUTH_NONE). */
static int auth_token(http_source *s, const char *zWho, char **pzErr) {
  switch (s->eAuth) {
    case AUTH_ENV: {
      if (s->zToken && !s->bTokenStale) return SQLITE_OK;
      const char *zName = s->zAuth + 4;
      const char *z = getenv(zName);
      if (!z || !z[0]) {
        *pzErr = sqlite3_mprintf("%s: auth='env:%s': the environment variable %s is not set or empty (put a "
                                 "bearer token in it)",
                                 zWho, zName, zName);
        return SQLITE_ERROR;
      }
      char *zFrom = sqlite3_mprintf("the environment variable %s", zName);
      if (!zFrom) return SQLITE_NOMEM;
      int rc = token_set(s, zWho, z, strlen(z), zFrom, pzErr);
      sqlite3_free(zFrom);
      if (rc == SQLITE_OK) s->bTokenStale = 0;
      return rc;
    }
    case AUTH_FILE: {
      if (s->zToken && !s->bTokenStale) return SQLITE_OK;
      int rc = read_token_file(s, zWho, pzErr);
      if (rc == SQLITE_OK) s->bTokenStale = 0;
      return rc;
    }
    case AUTH_AZURE:
      return azure_token(s, zWho, pzErr);
    default:
      return SQLITE_OK;
  }
}

/* ------------------------------------------------------------------ */
/* Response cache keys and checks                                       */

/*
** The cache key of GET zUrl: the origin, the auth reference, a hash of
** whose credentials these are (the bearer token of env: or file:, the
** client id and secret of azure), and the URL. So a cache file shared by
** two users, or kept after a token was replaced, never answers one with
** what the other was given. Reading the credential sends no request.
*/
static char *cache_key(http_source *s, const char *zWho, const char *zUrl, int *pRc, char **pzErr) {
  sqlite3_uint64 h = 0;
  *pRc = SQLITE_OK;
  if (s->eAuth == AUTH_ENV || s->eAuth == AUTH_FILE) {
    *pRc = auth_token(s, zWho, pzErr);
    if (*pRc) return 0;
    h = s->zToken ? pj_hash64(s->zToken, strlen(s->zToken)) : 0;
  } else if (s->eAuth == AUTH_AZURE) {
    int eKind = AZ_CRED_SECRET;
    char *zErr = 0;
    if (azure_cred_pick(s->eAzCred, zWho, &eKind, &zErr) == SQLITE_OK) h = azure_cred_hash(eKind);
    sqlite3_free(zErr); /* the token request reports it */
  }
  char *zKey = sqlite3_mprintf("%s|%016llx %s", s->zPaceKey, (unsigned long long)h, zUrl);
  if (!zKey) *pRc = SQLITE_NOMEM;
  return zKey;
}

/*
** Is body z[0..n) a whole, well-formed answer, every record of it
** readable? Only then may it be cached (a 200 whose body does not parse
** would otherwise be served again for the whole TTL).
*/
static int cache_worthy(const char *z, size_t n) {
  rec_splitter *sp = 0;
  const char *zRec;
  size_t nRec;
  sqlite3_int64 iOff;
  char *zErr = 0;
  int rc = rec_open(&sp, "cache check", 0, 0, z, n);
  rec_set_page_only(sp);
  while (rc == SQLITE_OK) {
    rc = rec_next(sp, &zRec, &nRec, &iOff, &zErr);
    if (rc == SQLITE_ROW) rc = SQLITE_OK;
  }
  sqlite3_free(zErr);
  rec_close(sp);
  return rc == SQLITE_DONE;
}

/* ------------------------------------------------------------------ */
/* Streams                                                              */

typedef struct http_stream {
  http_source *pSrc;
  const char *zWho;
  sqlite3_int64 nTop;
  int bEof;
  int rcFail;           /* a failed stream keeps failing */
  char *zUrl;           /* current page's URL */
  int iPage;
  char *zBody;          /* current page */
  size_t nBody;
  rec_splitter *sp;
  sqlite3_int64 nPageRec;   /* records in the current page (-1 unknown) */
  sqlite3_int64 nPageTaken; /* of them, yielded */
  sqlite3_int64 nYieldedBefore, nYielded;
  char *zPeekLink;      /* nextLink found by the page scan */
  int bPreTried;        /* prefetch considered for this page */
  http_req *pPre;       /* the next page, requested ahead */
  prov_stats stats;     /* this stream's own counters */
  unsigned nTick;
  pc_scan seen;         /* the URLs requested: a nextLink cycle ends the scan */
  int bCacheBusy;       /* the cache file was locked: this scan goes on without it */
  const pq_query *q;    /* the query (the table's; lives as long as the stream) */
  const char *zPath;
  unsigned mAllow;      /* OData forms this stream may send */
  unsigned mUsed;       /* forms its first request carries */
  unsigned mPending;    /* forms left out after a 400, remembered once a retry succeeds */
} http_stream;

/* The cache file is locked by another process: the rest of the scan does without it. */
static void stream_cache_busy(http_stream *st, const char *zUrl) {
  st->bCacheBusy = 1;
  if (trace_on()) {
    char *zShow = show_url(st->pSrc, zUrl);
    fprintf(stderr, "provisioning: cache %s is locked by another process: GET %s and the rest of this scan go "
            "without the cache\n", st->pSrc->zCache, zShow ? zShow : "?");
    sqlite3_free(zShow);
  }
}

static size_t scan_str(const char *z, size_t n, size_t i) {
  for (i++; i < n; i++) {
    if (z[i] == '\\') i++;
    else if (z[i] == '"') return i + 1;
  }
  return n;
}

/* Skip the value at z[i]; when pnElem is set and it is an array, count elements. */
static size_t scan_value(const char *z, size_t n, size_t i, sqlite3_int64 *pnElem) {
  if (i >= n) return n;
  if (z[i] == '"') return scan_str(z, n, i);
  if (z[i] != '{' && z[i] != '[') {
    while (i < n && !strchr(",}] \t\r\n", z[i])) i++;
    return i;
  }
  if (pnElem) {
    size_t j = pj_skip_ws(z, n, i + 1);
    *pnElem = (z[i] == '[' && j < n && z[j] != ']') ? 1 : 0;
  }
  int depth = 0;
  int bArr = z[i] == '[';
  while (i < n) {
    char c = z[i];
    if (c == '"') {
      i = scan_str(z, n, i);
      continue;
    }
    if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    } else if (c == ',' && depth == 1 && bArr && pnElem) {
      (*pnElem)++;
    }
    i++;
  }
  return n;
}

/*
** A light pass over a page (no validation; the splitter validates):
** the number of records in "value" and the @odata.nextLink, wherever it
** sits in the page. Used only to decide and aim the prefetch.
*/
static void page_scan(http_stream *st) {
  const char *z = st->zBody;
  size_t n = st->nBody;
  st->nPageRec = -1;
  size_t i = pj_skip_ws(z, n, 0);
  if (i >= n || z[i] != '{') return;
  i++;
  sqlite3_int64 nRec = -1;
  for (;;) {
    i = pj_skip_ws(z, n, i);
    if (i >= n) return;
    if (z[i] == '}') break;
    if (z[i] == ',') {
      i++;
      continue;
    }
    if (z[i] != '"') return;
    size_t k0 = i + 1, k1 = scan_str(z, n, i);
    if (k1 >= n) return;
    size_t nKey = k1 - 1 - k0;
    i = pj_skip_ws(z, n, k1);
    if (i >= n || z[i] != ':') return;
    i = pj_skip_ws(z, n, i + 1);
    if (i >= n) return;
    if (nKey == 5 && memcmp(z + k0, "value", 5) == 0 && z[i] == '[') {
      i = scan_value(z, n, i, &nRec);
    } else if (nKey == 15 && memcmp(z + k0, "@odata.nextLink", 15) == 0 && z[i] == '"') {
      size_t e = scan_str(z, n, i);
      if (e >= n || e < i + 2) return;
      size_t nRaw = e - i - 2;
      char *zL = sqlite3_malloc64(nRaw + 1);
      if (!zL) return;
      int nOut = pj_unescape(z + i + 1, nRaw, zL, 0);
      if (nOut < 0) {
        sqlite3_free(zL);
        return;
      }
      zL[nOut] = 0;
      sqlite3_free(st->zPeekLink);
      st->zPeekLink = zL;
      i = e;
    } else {
      i = scan_value(z, n, i, 0);
    }
  }
  st->nPageRec = nRec;
}

/* Check a nextLink before anything is sent there. */
static int link_check(http_stream *st, const char *zLink, char **pzErr) {
  http_source *s = st->pSrc;
  url_origin o;
  sqlite3_str *m;
  const char *zWhy = 0;
  int rc = SQLITE_OK;
  if (has_ctl(zLink) || strchr(zLink, ' ')) {
    zWhy = "holding a control character or space";
  } else if ((rc = origin_parse(0, zLink, &o)) == SQLITE_NOMEM) {
    return SQLITE_NOMEM;
  } else if (rc) {
    zWhy = "that is not a valid absolute URL";
  } else if (o.bUserinfo) {
    zWhy = "with user info";
  } else if (strcmp(o.zScheme, s->org.zScheme) || strcmp(o.zHost, s->org.zHost) || o.iPort != s->org.iPort) {
    zWhy = "";
  }
  if (!zWhy) return SQLITE_OK;
  if (!pzErr) return SQLITE_ERROR;
  m = sqlite3_str_new(0);
  sqlite3_str_appendf(m, "%s: refusing the @odata.nextLink of page %d ", st->zWho, st->iPage);
  if (zWhy[0]) {
    sqlite3_str_appendall(m, zWhy);
  } else {
    sqlite3_str_appendall(m, "to another origin, ");
    origin_text(m, &o);
    sqlite3_str_appendall(m, " (the source is ");
    origin_text(m, &s->org);
    sqlite3_str_appendall(m, "; the token is sent only to the source's origin)");
  }
  *pzErr = sqlite3_str_finish(m);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Drop the prefetch (its transfer is aborted). */
static void stream_drop_prefetch(http_stream *st) {
  if (st->pPre) {
    if (trace_on() && st->pPre->bRunning) {
      char *zShow = show_url(st->pSrc, st->pPre->zUrl);
      fprintf(stderr, "provisioning: %s %s aborted (prefetch not needed)\n", st->pPre->zMethod, zShow ? zShow : "?");
      sqlite3_free(zShow);
    }
    req_free(st->pPre);
    st->pPre = 0;
  }
}

/* Consider requesting the next page now. */
static void stream_prefetch(http_stream *st) {
  http_source *s = st->pSrc;
  if (st->pPre) {
    if (!st->pPre->bRunning && !st->pPre->bDone) { /* waiting for pacing */
      int bLater = 0;
      char *zErr = 0;
      if (req_start(st->pPre, 0, &bLater, &zErr)) {
        sqlite3_free(zErr);
        stream_drop_prefetch(st);
        st->bPreTried = 1;
      }
    } else if (st->pPre->bRunning && (++st->nTick & 31) == 0) {
      multi_drive(s, 0);
    }
    return;
  }
  if (st->bPreTried) return;
  if (st->nPageRec <= 0 || !st->zPeekLink) return;
  if (st->nPageTaken * 2 < st->nPageRec) return;
  st->bPreTried = 1;
  if (st->nTop > 0 && st->nYieldedBefore + st->nPageRec >= st->nTop) return;
  if (link_check(st, st->zPeekLink, 0) || pc_seen(&st->seen, st->zPeekLink) != 0) return;
  if (s->zCache && !st->bCacheBusy) {
    /* a cached next page needs no request */
    char *zErr = 0, *zBody = 0;
    int rcKey;
    char *zKey = cache_key(s, st->zWho, st->zPeekLink, &rcKey, &zErr);
    size_t n = 0;
    int rcGet = zKey ? cache_get(s->zCache, zKey, s->o.rCacheTtl, &zBody, &n) : SQLITE_NOMEM;
    int bHit = rcGet == SQLITE_OK;
    if (rcGet == SQLITE_BUSY) stream_cache_busy(st, st->zPeekLink);
    sqlite3_free(zErr);
    sqlite3_free(zKey);
    sqlite3_free(zBody);
    if (bHit) return;
  }
  http_req *r = req_new(s, st->zWho, "GET", st->zPeekLink);
  if (!r) return;
  r->pStats = &st->stats;
  int bLater = 0;
  char *zErr = 0;
  if (req_start(r, 0, &bLater, &zErr)) {
    sqlite3_free(zErr);
    req_free(r);
    return;
  }
  st->pPre = r;
  if (r->bRunning) multi_drive(s, 0); /* send it now */
}

static int stream_refused(http_stream *st, const char *zBody, const char *zErr);
static void stream_refusal_learnt(http_stream *st);

/* Fetch zUrl (or take the prefetched answer) and open its splitter. */
static int stream_fetch(http_stream *st, char **pzErr) {
  http_source *s = st->pSrc;
  http_req *r = st->pPre;
  int rc;
  char *zCached = 0;
  size_t nCached = 0;
  char *zKey = 0;
  st->pPre = 0;
  if (r && strcmp(r->zUrl, st->zUrl) != 0) {
    req_free(r);
    r = 0;
  }
  if (s->zCache && !st->bCacheBusy) {
    zKey = cache_key(s, st->zWho, st->zUrl, &rc, pzErr);
    if (!zKey) {
      req_free(r);
      return rc;
    }
    int rcGet = cache_get(s->zCache, zKey, s->o.rCacheTtl, &zCached, &nCached);
    if (rcGet == SQLITE_BUSY) {
      stream_cache_busy(st, st->zUrl);
      sqlite3_free(zKey);
      zKey = 0;
    }
    if (rcGet == SQLITE_OK) {
      if (trace_on()) {
        char *zShow = show_url(s, st->zUrl);
        fprintf(stderr, "provisioning: GET %s -> cache hit (%zu bytes)\n", zShow ? zShow : "?", nCached);
        sqlite3_free(zShow);
      }
      req_free(r);
      r = 0;
    }
  }
  if (zCached) {
    sqlite3_free(st->zBody);
    st->zBody = zCached;
    st->nBody = nCached;
  } else {
    if (!r) r = req_new(s, st->zWho, "GET", st->zUrl);
    if (!r) {
      sqlite3_free(zKey);
      return SQLITE_NOMEM;
    }
    r->pStats = &st->stats;
    rc = req_run(r, pzErr);
    if (rc == SQLITE_ERROR && r->iStatus == 400 && st->iPage == 0 && st->q) {
      /* a query form this origin refuses: once more without it (odata_refusal) */
      int rcR = stream_refused(st, r->zResp, *pzErr);
      if (rcR != SQLITE_ERROR) {
        sqlite3_free(*pzErr);
        *pzErr = 0;
        sqlite3_free(zKey);
        req_free(r);
        return rcR == SQLITE_OK ? stream_fetch(st, pzErr) : rcR;
      }
    }
    if (rc) {
      sqlite3_free(zKey);
      req_free(r);
      return rc;
    }
    if (st->iPage == 0 && st->mPending) stream_refusal_learnt(st);
    sqlite3_free(st->zBody);
    st->zBody = req_take_body(r, &st->nBody);
    req_free(r);
    /* only a whole successful answer gets here: keep it if it also reads */
    if (zKey && st->zBody && cache_worthy(st->zBody, st->nBody) && !holds_secret(s, zKey, strlen(zKey)) &&
        !holds_secret(s, st->zBody, st->nBody) && /* never a page (or nextLink) that echoes a secret */
        cache_put(s->zCache, zKey, st->zBody, st->nBody) == SQLITE_BUSY) {
      stream_cache_busy(st, st->zUrl);
    }
  }
  sqlite3_free(zKey);
  if (!st->zBody) {
    st->zBody = sqlite3_malloc64(1);
    if (!st->zBody) return SQLITE_NOMEM;
    st->zBody[0] = 0;
    st->nBody = 0;
  }
  st->iPage++;
  st->nPageTaken = 0;
  st->nYieldedBefore = st->nYielded;
  st->bPreTried = 0;
  sqlite3_free(st->zPeekLink);
  st->zPeekLink = 0;
  page_scan(st);
  char *zName = sqlite3_mprintf("%s: page %d of GET %s", st->zWho, st->iPage, url_path(st->zUrl));
  if (!zName) return SQLITE_NOMEM;
  rc = rec_open(&st->sp, zName, 0, 0, st->zBody, st->nBody);
  sqlite3_free(zName);
  rec_set_page_only(st->sp);
  return rc;
}

static int hs_next(prov_stream *pStream, const char **pz, size_t *pn, char **pzOut) {
  http_stream *st = (http_stream *)pStream;
  http_source *s = st->pSrc;
  char *zErr = 0, **pzErr = &zErr; /* set *pzOut only on error */
  if (st->rcFail) {
    *pzOut = sqlite3_mprintf("%s: the scan already failed", st->zWho);
    return st->rcFail;
  }
  int rc;
  for (;;) {
    if (st->bEof) return SQLITE_DONE;
    if (st->sp) {
      sqlite3_int64 iOff;
      rc = rec_next(st->sp, pz, pn, &iOff, pzErr);
      if (rc == SQLITE_ROW) {
        st->nPageTaken++;
        st->nYielded++;
        s->base.stats.nScanned++;
        st->stats.nScanned++;
        stream_prefetch(st);
        return SQLITE_ROW;
      }
      if (rc != SQLITE_DONE) goto fail;
      const char *zLink = rec_next_link(st->sp);
      char *zNext = zLink ? sqlite3_mprintf("%s", zLink) : 0;
      if (zLink && !zNext) {
        rc = SQLITE_NOMEM;
        goto fail;
      }
      rec_close(st->sp);
      st->sp = 0;
      sqlite3_free(st->zBody);
      st->zBody = 0;
      if (!zNext) {
        stream_drop_prefetch(st);
        st->bEof = 1;
        return SQLITE_DONE;
      }
      rc = link_check(st, zNext, pzErr);
      if (rc == SQLITE_OK) rc = pc_follow(&st->seen, st->zWho, st->iPage, st->nPageTaken, zNext, pzErr);
      if (rc) {
        sqlite3_free(zNext);
        goto fail;
      }
      sqlite3_free(st->zUrl);
      st->zUrl = zNext;
    }
    rc = stream_fetch(st, pzErr);
    if (rc) goto fail;
  }
fail:
  stream_drop_prefetch(st);
  st->rcFail = (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) ? rc : SQLITE_ERROR;
  if (rc != SQLITE_NOMEM && !zErr) zErr = sqlite3_mprintf("%s: %s", st->zWho, sqlite3_errstr(rc));
  *pzOut = redact(s, zErr); /* a page's first bytes may be in it */
  return st->rcFail;
}

static void hs_stats(prov_stream *pStream, prov_stats *p) { *p = ((http_stream *)pStream)->stats; }

/* The members of the record last returned, found while its page was validated. */
static const pj_member *hs_members(prov_stream *pStream, int *pn) {
  http_stream *st = (http_stream *)pStream;
  if (!st->sp) {
    *pn = -1;
    return 0;
  }
  return rec_members(st->sp, pn);
}

static void hs_close(prov_stream *pStream) {
  http_stream *st = (http_stream *)pStream;
  if (!st) return;
  stream_drop_prefetch(st);
  rec_close(st->sp);
  sqlite3_free(st->zBody);
  sqlite3_free(st->zUrl);
  sqlite3_free(st->zPeekLink);
  pc_free(&st->seen);
  sqlite3_free(st);
}

static const char *who_for(const char *zPath) {
  if (!zPath || !strstr(zPath, "industryData")) return "provisioning_events";
  return strstr(zPath, "/provisioningFlows") ? "provisioning_flows" : "provisioning_flow_sets";
}

static int path_check(const char *zWho, const char *zPath, char **pzErr) {
  if (!zPath || zPath[0] != '/' || has_ctl(zPath) || strchr(zPath, ' ') || strchr(zPath, '#')) {
    *pzErr = sqlite3_mprintf("%s: invalid Graph path (it must start with '/' and hold no space, '#' or control "
                             "character)",
                             zWho);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* The OData forms of the source's profile (odata=, select=). */
static unsigned hs_profile(http_source *s) {
  unsigned m = s->o.bODataExtended ? ODATA_PROFILE_EXTENDED : ODATA_PROFILE_DOCUMENTED;
  return s->o.bSelect ? m | ODATA_FORM_SELECT : m & ~ODATA_FORM_SELECT;
}

/* The origin's key for the refused-forms memory. */
static void hs_origin_key(http_source *s, char *zBuf, int nBuf) {
  sqlite3_snprintf(nBuf, zBuf, "%s://%s:%ld", s->org.zScheme, s->org.zHost, s->org.iPort);
}

/* The profile's forms minus those this origin refused. */
static unsigned hs_forms(prov_source *pSrc) {
  http_source *s = (http_source *)pSrc;
  char zOrigin[300];
  hs_origin_key(s, zOrigin, sizeof(zOrigin));
  return hs_profile(s) & ~odata_refused_get(zOrigin);
}

/* The URL of the stream's first request, with the forms it may send (NULL: out of memory). */
static char *stream_first_url(http_stream *st) {
  http_source *s = st->pSrc;
  char *zQs = odata_build_ex(st->q, 1, s->o.nPageSize, s->o.nPageMax, st->mAllow, &st->mUsed);
  if (!zQs) return 0;
  int bQ = strchr(s->zRoot, '?') || strchr(st->zPath, '?');
  char *zUrl = sqlite3_mprintf("%s%s%s%s", s->zRoot, st->zPath, zQs[0] ? (bQ ? "&" : "?") : "", zQs);
  sqlite3_free(zQs);
  return zUrl;
}

/*
** The first request was answered 400 (body zBody, message zErr). If it
** carried a form that can be left out (the rows are re-checked by SQLite
** either way; $orderby only when no order was promised), leave out the
** one the answer names, or the least documented one, and rebuild the URL:
** SQLITE_OK to retry. SQLITE_ERROR when there is nothing to leave out
** (the 400 stays an error), SQLITE_NOMEM.
*/
static int stream_refused(http_stream *st, const char *zBody, const char *zErr) {
  unsigned mDrop = st->mUsed & ~st->mPending;
  if (st->q->iOrderCol >= 0 && (mDrop & ODATA_FORM_ORDERBY) &&
      odata_form_to_drop(ODATA_FORM_ORDERBY, zBody) == ODATA_FORM_ORDERBY) {
    /* SQLite was promised this order: the statement fails, but the next
       ones are planned to sort in SQLite */
    char zOrigin[300];
    hs_origin_key(st->pSrc, zOrigin, sizeof(zOrigin));
    odata_refused_add(zOrigin, ODATA_FORM_ORDERBY);
    if (trace_on()) fprintf(stderr, "provisioning: %s refuses $orderby: not sent there again by this process\n", zOrigin);
    return SQLITE_ERROR;
  }
  if (st->q->iOrderCol >= 0) mDrop &= ~ODATA_FORM_ORDERBY;
  unsigned form = odata_form_to_drop(mDrop, zBody);
  if (!form) return SQLITE_ERROR;
  st->mPending |= form;
  st->mAllow &= ~form;
  st->stats.nRefused++;
  st->stats.mRefusedForms |= form;
  if (trace_on()) {
    fprintf(stderr, "provisioning: the server refused `%s` (%s): retrying once without it\n", odata_form_name(form),
            zErr ? zErr : "HTTP 400");
  }
  char *zUrl = stream_first_url(st);
  if (!zUrl) return SQLITE_NOMEM;
  sqlite3_free(st->zUrl);
  st->zUrl = zUrl;
  return SQLITE_OK;
}

/* The retry without the refused forms succeeded: remember them for this origin. */
static void stream_refusal_learnt(http_stream *st) {
  char zOrigin[300];
  hs_origin_key(st->pSrc, zOrigin, sizeof(zOrigin));
  odata_refused_add(zOrigin, st->mPending);
  if (trace_on()) {
    sqlite3_str *m = sqlite3_str_new(0);
    odata_forms_append(m, st->mPending, 0);
    char *z = sqlite3_str_finish(m);
    fprintf(stderr, "provisioning: %s refuses %s: not sent there again by this process\n", zOrigin, z ? z : "?");
    sqlite3_free(z);
  }
  st->mPending = 0;
}

static int hs_open(prov_source *pSrc, const char *zPath, const pq_query *q, prov_stream **ppStream,
                   char **pzErr) {
  http_source *s = (http_source *)pSrc;
  const char *zWho = who_for(zPath);
  *ppStream = 0;
  if (path_check(zWho, zPath, pzErr)) return SQLITE_ERROR;
  http_stream *st = sqlite3_malloc64(sizeof(*st));
  if (!st) return SQLITE_NOMEM;
  memset(st, 0, sizeof(*st));
  st->pSrc = s;
  st->zWho = zWho;
  st->nTop = q->nTop;
  st->nPageRec = -1;
  if (q->bNever) {
    st->bEof = 1;
    *ppStream = (prov_stream *)st;
    return SQLITE_OK;
  }
  st->q = q;
  st->zPath = zPath;
  st->mAllow = hs_forms(pSrc);
  st->stats.mRefusedForms = hs_profile(s) & ~st->mAllow;
  st->zUrl = stream_first_url(st);
  if (!st->zUrl) goto nomem;
  if (has_ctl(st->zUrl)) {
    *pzErr = sqlite3_mprintf("%s: the request URL would hold a control character", zWho);
    hs_close((prov_stream *)st);
    return SQLITE_ERROR;
  }
  if (pc_add(&st->seen, st->zUrl, 1)) goto nomem;
  /* env/file tokens are read again for each statement (they may be rotated) */
  s->bTokenStale = 1;
  int rc = auth_token(s, zWho, pzErr);
  if (rc) {
    hs_close((prov_stream *)st);
    return rc;
  }
  *ppStream = (prov_stream *)st;
  return SQLITE_OK;
nomem:
  hs_close((prov_stream *)st);
  return SQLITE_NOMEM;
}

/* What became of a failed write (source.h): the HTTP status answered, or whether it may have reached the server. */
static int write_outcome(http_req *r) {
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

static int hs_write(prov_source *pSrc, const char *zMethod, const char *zPath, const char *zBody, int *piStatus,
                    char **pzResp, char **pzErr) {
  http_source *s = (http_source *)pSrc;
  const char *zWho = who_for(zPath);
  static const char *const azMethod[] = {"POST", "PATCH", "DELETE", "PUT", "GET", 0};
  const char *zM = 0;
  *piStatus = 0;
  *pzResp = 0;
  for (int i = 0; azMethod[i]; i++) {
    if (zMethod && strcmp(zMethod, azMethod[i]) == 0) zM = azMethod[i];
  }
  if (!zM) {
    *pzErr = sqlite3_mprintf("%s: unsupported HTTP method", zWho);
    return SQLITE_ERROR;
  }
  if (path_check(zWho, zPath, pzErr)) return SQLITE_ERROR;
  char *zUrl = sqlite3_mprintf("%s%s", s->zRoot, zPath);
  if (!zUrl) return SQLITE_NOMEM;
  s->bTokenStale = 1;
  http_req *r = req_new(s, zWho, zM, zUrl);
  sqlite3_free(zUrl);
  if (!r) return SQLITE_NOMEM;
  if (zBody) {
    r->zBody = zBody;
    r->nBody = strlen(zBody);
    r->zCtype = "application/json";
  }
  int rc = req_run(r, pzErr);
  if (rc != SQLITE_OK) *piStatus = write_outcome(r); /* the HTTP status (e.g. a 404), not sent, or unknown */
  if (rc == SQLITE_OK) {
    size_t n;
    *piStatus = (int)r->iStatus;
    char *z = req_take_body(r, &n);
    if (z && n == 0) {
      sqlite3_free(z);
      z = 0;
    }
    *pzResp = z;
  }
  req_free(r);
  return rc;
}

static void hs_destroy(prov_source *pSrc) {
  http_source *s = (http_source *)pSrc;
  if (!s) return;
  if (s->multi) curl_multi_cleanup(s->multi);
  prov_intr_close(&s->intr);
  wipe_free(s->zToken);
  sqlite3_free(s->zSource);
  sqlite3_free(s->zAuth);
  sqlite3_free(s->zCaFile);
  sqlite3_free(s->zCache);
  sqlite3_free(s->zRoot);
  sqlite3_free(s->zPaceKey);
  sqlite3_free(s);
}

static char *dup_or_null(const char *z, int *pbOom) {
  if (!z) return 0;
  char *zOut = sqlite3_mprintf("%s", z);
  if (!zOut) *pbOom = 1;
  return zOut;
}

int source_http_open(const prov_options *opts, prov_source **pp, char **pzErr) {
  const char *zWho = "provisioning";
  *pp = 0;
  if (source_http_global_init() != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("%s: libcurl could not be initialised", zWho);
    return SQLITE_ERROR;
  }
  http_source *s = sqlite3_malloc64(sizeof(*s));
  if (!s) return SQLITE_NOMEM;
  memset(s, 0, sizeof(*s));
  s->o = *opts;
  s->intr.db = opts->db;
  int bOom = 0;
  s->zSource = dup_or_null(opts->zSource, &bOom);
  s->zAuth = dup_or_null(opts->zAuth, &bOom);
  s->zCaFile = dup_or_null(opts->zCaFile, &bOom);
  s->zCache = dup_or_null(opts->zCache, &bOom);
  if (bOom) goto nomem;
  s->o.zSource = s->zSource;
  s->o.zAuth = s->zAuth;
  s->o.zCaFile = s->zCaFile;
  s->o.zCollection = 0;
  s->o.zCache = s->zCache;
  if (s->o.nMaxResponse <= 0) s->o.nMaxResponse = (sqlite3_int64)256 * 1024 * 1024;
  if (s->o.nMaxRetries < 0) s->o.nMaxRetries = 0;

  const char *zSrc = s->zSource;
  if (!zSrc || has_ctl(zSrc) || strchr(zSrc, ' ')) {
    *pzErr = sqlite3_mprintf("%s: source= must be a URL without spaces or control characters", zWho);
    goto error;
  }
  int rcUrl = origin_parse(0, zSrc, &s->org);
  if (rcUrl == SQLITE_NOMEM) goto nomem;
  if (rcUrl) {
    *pzErr = sqlite3_mprintf("%s: source= is not a valid URL (e.g. https://graph.microsoft.com/v1.0)", zWho);
    goto error;
  }
  if (strchr(zSrc, '#') || strchr(zSrc, '?')) {
    *pzErr = sqlite3_mprintf("%s: source= must not hold a %s: it is stored in the database file in plain text, "
                             "so credentials go in auth= (auth='env:NAME', auth='file:PATH' or auth='azure'), and "
                             "the query is built from the SQL",
                             zWho, strchr(zSrc, '?') ? "query string ('?')" : "fragment ('#')");
    goto error;
  }
  if (s->org.bUserinfo) {
    *pzErr = sqlite3_mprintf("%s: source= must not hold user info (user:password@): credentials go in auth=", zWho);
    goto error;
  }
  s->bLoopback = trust_is_loopback(s->org.zHost);
  if (trust_host_allowed(s->org.zScheme, s->org.zHost, s->org.iPort, pzErr)) goto error; /* nothing sent */
  size_t nRoot = strlen(zSrc);
  while (nRoot > 0 && zSrc[nRoot - 1] == '/') nRoot--;
  s->zRoot = sqlite3_mprintf("%.*s", (int)nRoot, zSrc);
  if (!s->zRoot) goto nomem;

  /* auth: references only */
  const char *zA = s->zAuth;
  if (!zA) {
    s->eAuth = azure_env_configured() ? AUTH_AZURE : AUTH_NONE;
  } else if (azure_cred_parse(zA, &s->eAzCred)) {
    s->eAuth = AUTH_AZURE;
  } else if (strncmp(zA, "env:", 4) == 0 && zA[4] && !has_ctl(zA) && !strpbrk(zA + 4, " =")) {
    s->eAuth = AUTH_ENV;
  } else if (strncmp(zA, "file:", 5) == 0 && zA[5] && !has_ctl(zA)) {
    s->eAuth = AUTH_FILE;
  } else if (strcmp(zA, "none") == 0) {
    s->eAuth = AUTH_NONE;
  } else {
    *pzErr = sqlite3_mprintf("%s: auth= takes a reference, never a token or secret (the CREATE VIRTUAL TABLE text "
                             "is stored in the database file): put the token in an environment variable and use "
                             "auth='env:NAME', or use auth='file:PATH', or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                             "AZURE_CLIENT_SECRET and use auth='azure'",
                             zWho);
    goto error;
  }
  if (s->zCaFile && has_ctl(s->zCaFile)) {
    *pzErr = sqlite3_mprintf("%s: ca_file= must not hold control characters", zWho);
    goto error;
  }
  {
    sqlite3_str *k = sqlite3_str_new(0);
    origin_text(k, &s->org);
    sqlite3_str_appendf(k, "|%s", zA ? zA : (s->eAuth == AUTH_AZURE ? "azure" : ""));
    s->zPaceKey = sqlite3_str_finish(k);
    if (!s->zPaceKey) goto nomem;
  }
  s->multi = curl_multi_init();
  if (!s->multi) goto nomem;
  s->base.eProfile = PQ_PROFILE_GRAPH;
  s->base.xOpen = hs_open;
  s->base.xNext = hs_next;
  s->base.xClose = hs_close;
  s->base.xMembers = hs_members;
  s->base.xStats = hs_stats;
  s->base.xWrite = hs_write;
  s->base.xDestroy = hs_destroy;
  s->base.xForms = hs_forms;
  *pp = &s->base;
  return SQLITE_OK;
nomem:
  hs_destroy(&s->base);
  return SQLITE_NOMEM;
error:
  hs_destroy(&s->base);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

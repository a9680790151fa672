/*
** source_http.c: Microsoft Graph as a source: the page stream.
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
**   @odata.nextLink, lazily, after checking it has the source's origin
**   and does not repeat (page_check.c). Once the consumer has taken half
**   of a page (and LIMIT still wants more than this page holds), the next
**   page is requested in the background on the source's curl multi handle
**   (http.c), so network and parsing overlap without threads. A first
**   request answered 400 for an OData form is sent once more without it,
**   and the origin's refusal remembered (odata_forms.c). With cache=, a
**   page is looked up first and a whole, readable answer stored
**   (cache.c), keyed by whose credentials asked. Writes (xWrite) go
**   through the same connection, at most once.
**
**   Auth is by reference only (auth.c): env:NAME, file:PATH, or the Azure
**   credential chain. The token is sent only to the source's origin, never
**   to a nextLink or a redirect elsewhere, and never appears in an error
**   or a trace line.
**
**   PROVISIONING_TRACE=1 prints one stderr line per request and outcome.
**
** Calls auth.h, http.h (and http_url.h), cache.h, records.h, page_check.h,
** odata.h, odata_forms.h, trust.h (the host rule), json.h (types).
*/
#include "source_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cache.h"
#include "http.h"
#include "json.h"
#include "odata.h"
#include "odata_forms.h"
#include "page_check.h"
#include "records.h"
#include "source.h"
#include "trust.h"

SQLITE_EXTENSION_INIT3

int source_http_global_init(void) { return http_global_init(); }

/* ------------------------------------------------------------------ */
/* The source                                                           */

typedef struct http_source {
  prov_source base;
  prov_options o;  /* copy; strings below are owned */
  char *zSource;
  char *zAuth;
  char *zCaFile;
  char *zCache;    /* cache= spec ('memory' or a file), or NULL */
  char *zRoot;     /* source without trailing '/' */
  http_conn conn;  /* the source's origin, pacing key, multi handle, interrupt check */
  auth_state auth; /* where the token comes from */
} http_source;

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
  *pRc = auth_identity_hash(&s->auth, zWho, &h, pzErr);
  if (*pRc) return 0;
  char *zKey = sqlite3_mprintf("%s|%016llx %s", s->conn.zPaceKey, (unsigned long long)h, zUrl);
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
  if (http_trace_on()) {
    char *zShow = http_show_url(&st->pSrc->conn, zUrl);
    fprintf(stderr, "provisioning: cache %s is locked by another process: GET %s and the rest of this scan go "
            "without the cache\n", st->pSrc->zCache, zShow ? zShow : "?");
    sqlite3_free(zShow);
  }
}

/* Check a nextLink before anything is sent there. */
static int link_check(http_stream *st, const char *zLink, char **pzErr) {
  http_source *s = st->pSrc;
  url_origin o;
  sqlite3_str *m;
  const char *zWhy = 0;
  int rc = SQLITE_OK;
  if (url_has_ctl(zLink) || strchr(zLink, ' ')) {
    zWhy = "holding a control character or space";
  } else if ((rc = url_origin_parse(0, zLink, &o)) == SQLITE_NOMEM) {
    return SQLITE_NOMEM;
  } else if (rc) {
    zWhy = "that is not a valid absolute URL";
  } else if (o.bUserinfo) {
    zWhy = "with user info";
  } else if (!url_origin_same(&o, &s->conn.org)) {
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
    url_origin_text(m, &o);
    sqlite3_str_appendall(m, " (the source is ");
    url_origin_text(m, &s->conn.org);
    sqlite3_str_appendall(m, "; the token is sent only to the source's origin)");
  }
  *pzErr = sqlite3_str_finish(m);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Drop the prefetch (its transfer is aborted). */
static void stream_drop_prefetch(http_stream *st) {
  if (st->pPre) {
    if (http_trace_on() && st->pPre->bRunning) {
      char *zShow = http_show_url(&st->pSrc->conn, st->pPre->zUrl);
      fprintf(stderr, "provisioning: %s %s aborted (prefetch not needed)\n", st->pPre->zMethod, zShow ? zShow : "?");
      sqlite3_free(zShow);
    }
    http_req_free(st->pPre);
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
      if (http_req_start(st->pPre, 0, &bLater, &zErr)) {
        sqlite3_free(zErr);
        stream_drop_prefetch(st);
        st->bPreTried = 1;
      }
    } else if (st->pPre->bRunning && (++st->nTick & 31) == 0) {
      http_drive(&s->conn, 0);
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
  http_req *r = http_req_new(&s->conn, st->zWho, "GET", st->zPeekLink);
  if (!r) return;
  r->pStats = &st->stats;
  int bLater = 0;
  char *zErr = 0;
  if (http_req_start(r, 0, &bLater, &zErr)) {
    sqlite3_free(zErr);
    http_req_free(r);
    return;
  }
  st->pPre = r;
  if (r->bRunning) http_drive(&s->conn, 0); /* send it now */
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
    http_req_free(r);
    r = 0;
  }
  if (s->zCache && !st->bCacheBusy) {
    zKey = cache_key(s, st->zWho, st->zUrl, &rc, pzErr);
    if (!zKey) {
      http_req_free(r);
      return rc;
    }
    int rcGet = cache_get(s->zCache, zKey, s->o.rCacheTtl, &zCached, &nCached);
    if (rcGet == SQLITE_BUSY) {
      stream_cache_busy(st, st->zUrl);
      sqlite3_free(zKey);
      zKey = 0;
    }
    if (rcGet == SQLITE_OK) {
      if (http_trace_on()) {
        char *zShow = http_show_url(&s->conn, st->zUrl);
        fprintf(stderr, "provisioning: GET %s -> cache hit (%zu bytes)\n", zShow ? zShow : "?", nCached);
        sqlite3_free(zShow);
      }
      http_req_free(r);
      r = 0;
    }
  }
  if (zCached) {
    sqlite3_free(st->zBody);
    st->zBody = zCached;
    st->nBody = nCached;
  } else {
    if (!r) r = http_req_new(&s->conn, st->zWho, "GET", st->zUrl);
    if (!r) {
      sqlite3_free(zKey);
      return SQLITE_NOMEM;
    }
    r->pStats = &st->stats;
    rc = http_req_run(r, pzErr);
    if (rc == SQLITE_ERROR && r->iStatus == 400 && st->iPage == 0 && st->q) {
      /* a query form this origin refuses: once more without it (odata_refusal) */
      int rcR = stream_refused(st, r->zResp, *pzErr);
      if (rcR != SQLITE_ERROR) {
        sqlite3_free(*pzErr);
        *pzErr = 0;
        sqlite3_free(zKey);
        http_req_free(r);
        return rcR == SQLITE_OK ? stream_fetch(st, pzErr) : rcR;
      }
    }
    if (rc) {
      sqlite3_free(zKey);
      http_req_free(r);
      return rc;
    }
    if (st->iPage == 0 && st->mPending) stream_refusal_learnt(st);
    sqlite3_free(st->zBody);
    st->zBody = http_req_take_body(r, &st->nBody);
    http_req_free(r);
    /* only a whole successful answer gets here: keep it if it also reads */
    if (zKey && st->zBody && cache_worthy(st->zBody, st->nBody) && !auth_holds_secret(&s->auth, zKey, strlen(zKey)) &&
        !auth_holds_secret(&s->auth, st->zBody, st->nBody) && /* never a page (or nextLink) that echoes a secret */
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
  pc_peek(st->zBody, st->nBody, &st->nPageRec, &st->zPeekLink);
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
  *pzOut = auth_mask(&s->auth, zErr); /* a page's first bytes may be in it */
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
  if (!zPath || zPath[0] != '/' || url_has_ctl(zPath) || strchr(zPath, ' ') || strchr(zPath, '#')) {
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
  sqlite3_snprintf(nBuf, zBuf, "%s://%s:%ld", s->conn.org.zScheme, s->conn.org.zHost, s->conn.org.iPort);
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
    if (http_trace_on()) fprintf(stderr, "provisioning: %s refuses $orderby: not sent there again by this process\n", zOrigin);
    return SQLITE_ERROR;
  }
  if (st->q->iOrderCol >= 0) mDrop &= ~ODATA_FORM_ORDERBY;
  unsigned form = odata_form_to_drop(mDrop, zBody);
  if (!form) return SQLITE_ERROR;
  st->mPending |= form;
  st->mAllow &= ~form;
  st->stats.nRefused++;
  st->stats.mRefusedForms |= form;
  if (http_trace_on()) {
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
  if (http_trace_on()) {
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
  if (url_has_ctl(st->zUrl)) {
    *pzErr = sqlite3_mprintf("%s: the request URL would hold a control character", zWho);
    hs_close((prov_stream *)st);
    return SQLITE_ERROR;
  }
  if (pc_add(&st->seen, st->zUrl, 1)) goto nomem;
  /* env/file tokens are read again for each statement (they may be rotated) */
  auth_stale(&s->auth);
  int rc = auth_token(&s->auth, zWho, pzErr);
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
  auth_stale(&s->auth);
  http_req *r = http_req_new(&s->conn, zWho, zM, zUrl);
  sqlite3_free(zUrl);
  if (!r) return SQLITE_NOMEM;
  if (zBody) {
    r->zBody = zBody;
    r->nBody = strlen(zBody);
    r->zCtype = "application/json";
  }
  int rc = http_req_run(r, pzErr);
  if (rc != SQLITE_OK) *piStatus = http_write_outcome(r); /* the HTTP status (e.g. a 404), not sent, or unknown */
  if (rc == SQLITE_OK) {
    size_t n;
    *piStatus = (int)r->iStatus;
    char *z = http_req_take_body(r, &n);
    if (z && n == 0) {
      sqlite3_free(z);
      z = 0;
    }
    *pzResp = z;
  }
  http_req_free(r);
  return rc;
}

static void hs_destroy(prov_source *pSrc) {
  http_source *s = (http_source *)pSrc;
  if (!s) return;
  http_conn_close(&s->conn);
  auth_clear(&s->auth);
  sqlite3_free(s->zSource);
  sqlite3_free(s->zAuth);
  sqlite3_free(s->zCaFile);
  sqlite3_free(s->zCache);
  sqlite3_free(s->zRoot);
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
  s->conn.o = &s->o;
  s->conn.intr.db = opts->db;
  s->conn.pStats = &s->base.stats;
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
  if (!zSrc || url_has_ctl(zSrc) || strchr(zSrc, ' ')) {
    *pzErr = sqlite3_mprintf("%s: source= must be a URL without spaces or control characters", zWho);
    goto error;
  }
  int rcUrl = url_origin_parse(0, zSrc, &s->conn.org);
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
  if (s->conn.org.bUserinfo) {
    *pzErr = sqlite3_mprintf("%s: source= must not hold user info (user:password@): credentials go in auth=", zWho);
    goto error;
  }
  url_origin *org = &s->conn.org;
  s->conn.bLoopback = trust_is_loopback(org->zHost);
  if (trust_host_allowed(org->zScheme, org->zHost, org->iPort, pzErr)) goto error; /* nothing sent */
  size_t nRoot = strlen(zSrc);
  while (nRoot > 0 && zSrc[nRoot - 1] == '/') nRoot--;
  s->zRoot = sqlite3_mprintf("%.*s", (int)nRoot, zSrc);
  if (!s->zRoot) goto nomem;

  /* auth: references only */
  if (auth_init(&s->auth, s->zAuth, &s->conn, zWho, pzErr)) goto error;
  s->conn.pCred = &s->auth.cred;
  if (s->zCaFile && url_has_ctl(s->zCaFile)) {
    *pzErr = sqlite3_mprintf("%s: ca_file= must not hold control characters", zWho);
    goto error;
  }
  {
    sqlite3_str *k = sqlite3_str_new(0);
    url_origin_text(k, org);
    sqlite3_str_appendf(k, "|%s", s->zAuth ? s->zAuth : (s->auth.eAuth == AUTH_AZURE ? "azure" : ""));
    s->conn.zPaceKey = sqlite3_str_finish(k);
    if (!s->conn.zPaceKey) goto nomem;
  }
  if (http_conn_open(&s->conn)) goto nomem;
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

/*
** test_http.c: the Graph source (ext/source_http.c) against the mock Graph
** server, asserting what went over the wire through the mock's request log.
**
** Needs MOCK_URL (tests/run.sh starts the mock); exits 77 (skip) without it.
** Each test uses its own mock scenario (/s/NAME/...), so knobs and request
** logs never mix.
*/
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "json.h"
#include "schema.h"
#include "source.h"
#include "source_http.h"
#include "trust.h"
#include "unit.h"

static const char *zMock;

/* ---- talking to the mock's control API (plain libcurl) */

static char *mock_call(const char *zMethod, const char *zPath, const char *zBody) {
  return unit_mock_call(zMethod, zPath, zBody, 0);
}

/* Reset scenario zName and give it the knobs zJson. */
static void scenario(const char *zName, const char *zJson) {
  char zPath[256];
  snprintf(zPath, sizeof(zPath), "/_mock/s/%s/reset", zName);
  free(mock_call("POST", zPath, "{}"));
  snprintf(zPath, sizeof(zPath), "/_mock/s/%s/config", zName);
  free(mock_call("POST", zPath, zJson));
}

/* One logged request. */
typedef struct logreq {
  char zMethod[16];
  char zUrl[1024];
  char zAuth[256];
  char zRetryAttempt[16];
  char zBody[1024];
  long iStatus;
  double rTime;
} logreq;

static void tok_copy(pj_doc *d, int i, char *zOut, size_t nOut) {
  zOut[0] = 0;
  if (i < 0 || d->aTok[i].type != JSMN_STRING) return;
  int n = d->aTok[i].end - d->aTok[i].start;
  char *tmp = malloc((size_t)n + 1);
  int m = pj_unescape(d->z + d->aTok[i].start, (size_t)n, tmp, 0);
  if (m < 0) m = 0;
  if ((size_t)m >= nOut) m = (int)nOut - 1;
  memcpy(zOut, tmp, (size_t)m);
  zOut[m] = 0;
  free(tmp);
}

static double tok_num(pj_doc *d, int i) {
  if (i < 0) return 0;
  char z[64];
  int n = d->aTok[i].end - d->aTok[i].start;
  if (n <= 0 || n >= 64) return 0;
  memcpy(z, d->z + d->aTok[i].start, (size_t)n);
  z[n] = 0;
  return strtod(z, 0);
}

/* The request log of scenario zName; returns the count, *paOut malloc'd. */
static int mock_log(const char *zName, logreq **paOut) {
  char zPath[256];
  snprintf(zPath, sizeof(zPath), "/_mock/s/%s/requests", zName);
  char *z = mock_call("GET", zPath, 0);
  pj_doc d;
  memset(&d, 0, sizeof(d));
  int n = 0;
  logreq *a = 0;
  if (pj_parse(&d, z, strlen(z)) == SQLITE_OK && d.nTok > 0 && d.aTok[0].type == JSMN_ARRAY) {
    int nElem = d.aTok[0].size;
    a = calloc((size_t)nElem + 1, sizeof(logreq));
    int i = 1;
    for (int k = 0; k < nElem; k++) {
      logreq *r = &a[n++];
      tok_copy(&d, pj_find(&d, i, "method", 6), r->zMethod, sizeof(r->zMethod));
      tok_copy(&d, pj_find(&d, i, "url", 3), r->zUrl, sizeof(r->zUrl));
      tok_copy(&d, pj_find(&d, i, "body", 4), r->zBody, sizeof(r->zBody));
      r->iStatus = (long)tok_num(&d, pj_find(&d, i, "status", 6));
      r->rTime = tok_num(&d, pj_find(&d, i, "time", 4));
      int iH = pj_find(&d, i, "headers", 7);
      if (iH >= 0) {
        tok_copy(&d, pj_find(&d, iH, "authorization", 13), r->zAuth, sizeof(r->zAuth));
        tok_copy(&d, pj_find(&d, iH, "retry-attempt", 13), r->zRetryAttempt, sizeof(r->zRetryAttempt));
      }
      i = pj_skip(&d, i);
    }
  } else {
    fprintf(stderr, "cannot parse the mock's log: %.200s\n", z);
  }
  pj_doc_free(&d);
  free(z);
  *paOut = a;
  return n;
}

/* ---- driving the source */

static char zSrcBuf[64][512];
static int iSrcBuf;

static prov_options opts_for(const char *zScen) {
  prov_options o;
  memset(&o, 0, sizeof(o));
  char *zSrc = zSrcBuf[iSrcBuf++ % 64];
  snprintf(zSrc, 512, "%s/s/%s/v1.0", zMock, zScen);
  o.zSource = zSrc;
  o.zCollection = "provisioning";
  o.nPageMax = 1000;
  o.bSelect = 0;
  o.nRateLimit = 1000;
  o.rRateWindow = 1;
  o.nMaxRetries = 3;
  o.rMaxWait = 180;
  o.rRetryBase = 0.05;
  o.rConnectTimeout = 5;
  o.rLowSpeedTime = 30;
  o.nMaxResponse = 256 * 1024 * 1024;
  o.rCacheTtl = 300;
  return o;
}

static pq_query query_top(sqlite3_int64 nTop) {
  pq_query q;
  memset(&q, 0, sizeof(q));
  q.iOrderCol = -1;
  q.nTop = nTop;
  return q;
}

/*
** Open a source and read up to nWant records (0 = all). Returns the rc of
** the scan; *pnRows the records read, *pzErr any error (sqlite3_free).
*/
static int scan(const prov_options *o, const char *zPath, const pq_query *q, int nWant, int *pnRows,
                char **pzErr, prov_stats *pStats) {
  prov_source *src = 0;
  prov_stream *st = 0;
  *pnRows = 0;
  *pzErr = 0;
  int rc = source_http_open(o, &src, pzErr);
  if (rc) return rc;
  rc = src->xOpen(src, zPath, q, &st, pzErr);
  if (rc == SQLITE_OK) {
    for (;;) {
      if (nWant > 0 && *pnRows >= nWant) break;
      const char *z;
      size_t n;
      rc = src->xNext(st, &z, &n, pzErr);
      if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
        break;
      }
      if (rc != SQLITE_ROW) break;
      rc = SQLITE_OK;
      if (n < 2 || z[0] != '{') {
        fprintf(stderr, "record is not an object\n");
        rc = SQLITE_ERROR;
        break;
      }
      (*pnRows)++;
    }
    src->xClose(st);
  }
  if (pStats) *pStats = src->stats;
  src->xDestroy(src);
  return rc;
}

static int count_status(logreq *a, int n, long st) {
  int k = 0;
  for (int i = 0; i < n; i++) k += a[i].iStatus == st;
  return k;
}

static const char *mock_hostport(void) { return zMock + strlen("http://"); }

/* ---- tests */

static void test_urls_and_limit(void) {
  scenario("h_urls", "{}");
  prov_options o = opts_for("h_urls");
  pq_query q = query_top(5);
  int nRows;
  char *zErr;
  prov_stats stats;
  /* LIMIT 5: one request, exact URL, even though the consumer drains the page */
  int rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, &stats);
  CHECK(rc == SQLITE_OK, "%s", zErr ? zErr : "");
  CHECK(nRows == 5, "rows %d", nRows);
  usleep(300 * 1000); /* a stray prefetch would have reached the mock by now */
  logreq *a;
  int n = mock_log("h_urls", &a);
  CHECK(n == 1, "requests %d", n);
  if (n >= 1) {
    CHECK(strcmp(a[0].zUrl, "/s/h_urls/v1.0/auditLogs/provisioning?$top=5") == 0, "url %s", a[0].zUrl);
    CHECK(a[0].zAuth[0] == 0, "no auth configured, yet sent '%s'", a[0].zAuth);
    CHECK(strcmp(a[0].zMethod, "GET") == 0, "%s", a[0].zMethod);
  }
  CHECK(stats.nRequests == 1, "nRequests %lld", stats.nRequests);
  CHECK(stats.nScanned == 5, "nScanned %lld", stats.nScanned);
  CHECK(stats.nBytes > 50, "nBytes %lld", stats.nBytes);
  free(a);
  sqlite3_free(zErr);

  /* a filter with a quote, the beta alias path, a path that has '?' already */
  scenario("h_urls", "{}");
  pv_value v = {SQLITE_TEXT, 0, 0, "fail'ure", 8};
  pq_cond c = {3 /* job_id: status would keep a value outside its enumeration local */, PQ_EQ, 1, &v};
  q.nCond = 1;
  q.aCond = &c;
  rc = scan(&o, "/auditLogs/directoryProvisioning", &q, 5, &nRows, &zErr, 0);
  sqlite3_free(zErr);
  q.nCond = 0;
  q.nTop = 0;
  o.nPageSize = 7;
  rc = scan(&o, "/auditLogs/provisioning?x=1", &q, 3, &nRows, &zErr, 0);
  sqlite3_free(zErr);
  n = mock_log("h_urls", &a);
  CHECK(n >= 2, "requests %d", n);
  if (n >= 2) {
    CHECK(strcmp(a[0].zUrl, "/s/h_urls/v1.0/auditLogs/directoryProvisioning"
                            "?$filter=jobId%20eq%20%27fail%27%27ure%27&$top=5") == 0,
          "url %s", a[0].zUrl);
    CHECK(strcmp(a[1].zUrl, "/s/h_urls/v1.0/auditLogs/provisioning?x=1&$top=7") == 0, "url %s", a[1].zUrl);
  }
  free(a);

  /* bNever: no request at all */
  scenario("h_urls", "{}");
  q.bNever = 1;
  rc = scan(&o, "/auditLogs/provisioning", &q, 0, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_OK && nRows == 0, "rc %d rows %d", rc, nRows);
  n = mock_log("h_urls", &a);
  CHECK(n == 0, "requests %d", n);
  free(a);
}

static void test_paging_and_prefetch(void) {
  scenario("h_page", "{}");
  prov_options o = opts_for("h_page");
  o.nPageSize = 10;
  pq_query q = query_top(0);
  prov_source *src = 0;
  prov_stream *st = 0;
  char *zErr = 0;
  int rc = source_http_open(&o, &src, &zErr);
  CHECK(rc == SQLITE_OK, "%s", zErr ? zErr : "");
  if (rc) return;
  rc = src->xOpen(src, "/auditLogs/provisioning", &q, &st, &zErr);
  CHECK(rc == SQLITE_OK, "%s", zErr ? zErr : "");
  const char *z;
  size_t nz;
  char zFirst[64] = "";
  for (int i = 0; i < 5 && rc == SQLITE_OK; i++) {
    rc = src->xNext(st, &z, &nz, &zErr) == SQLITE_ROW ? SQLITE_OK : SQLITE_ERROR;
    if (i == 0) snprintf(zFirst, sizeof(zFirst), "%.*s", (int)(nz < 60 ? nz : 60), z);
  }
  CHECK(rc == SQLITE_OK, "%s", zErr ? zErr : "");
  /* half of page 1 taken: page 2 is requested in the background */
  logreq *a = 0;
  int n = 0;
  for (int t = 0; t < 50; t++) {
    free(a);
    n = mock_log("h_page", &a);
    if (n >= 2) break;
    usleep(50 * 1000);
  }
  CHECK(n == 2, "requests after half a page: %d", n);
  if (n == 2) {
    CHECK(strstr(a[1].zUrl, "/s/h_page/v1.0/auditLogs/provisioning") == a[1].zUrl, "page 2 url %s", a[1].zUrl);
    CHECK(strcmp(a[0].zUrl, a[1].zUrl) != 0, "same url twice: %s", a[1].zUrl);
  }
  free(a);
  /* 30 more records: pages 2..4, each exactly once */
  int nRows = 5;
  for (int i = 0; i < 30; i++) {
    rc = src->xNext(st, &z, &nz, &zErr);
    if (rc != SQLITE_ROW) break;
    nRows++;
  }
  CHECK(nRows == 35, "rows %d (%s)", nRows, zErr ? zErr : "");
  src->xClose(st);
  n = mock_log("h_page", &a);
  CHECK(n >= 4 && n <= 5, "requests %d", n);
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < i; j++) CHECK(strcmp(a[i].zUrl, a[j].zUrl) != 0, "duplicate request %s", a[i].zUrl);
  }
  free(a);
  sqlite3_free(zErr);
  src->xDestroy(src);
}

static void test_retry_after(void) {
  scenario("h_ra", "{\"fail\":[{\"page\":1,\"status\":429,\"retryAfter\":1,\"times\":1}]}");
  prov_options o = opts_for("h_ra");
  pq_query q = query_top(5);
  int nRows;
  char *zErr;
  int rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_OK && nRows == 5, "rc %d rows %d %s", rc, nRows, zErr ? zErr : "");
  sqlite3_free(zErr);
  logreq *a;
  int n = mock_log("h_ra", &a);
  CHECK(n == 2, "requests %d", n);
  if (n == 2) {
    CHECK(a[0].iStatus == 429 && a[1].iStatus == 200, "%ld %ld", a[0].iStatus, a[1].iStatus);
    CHECK(a[0].zRetryAttempt[0] == 0, "first attempt has Retry-Attempt %s", a[0].zRetryAttempt);
    CHECK(strcmp(a[1].zRetryAttempt, "1") == 0, "Retry-Attempt '%s'", a[1].zRetryAttempt);
    CHECK(a[1].rTime - a[0].rTime >= 990, "retried after %g ms", a[1].rTime - a[0].rTime);
    CHECK(strcmp(a[0].zUrl, a[1].zUrl) == 0, "retry is the same request");
  }
  free(a);

  /* Retry-After beyond max_wait: no retry, a clear error */
  scenario("h_ra", "{\"fail\":[{\"page\":1,\"status\":429,\"retryAfter\":86400,\"times\":5}]}");
  rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, 0);
  CHECK(rc != SQLITE_OK && zErr && strstr(zErr, "HTTP 429") && strstr(zErr, "max_wait"), "%s",
        zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  n = mock_log("h_ra", &a);
  CHECK(n == 1, "requests %d", n);
  free(a);

  /* garbage Retry-After: back-off instead */
  scenario("h_ra", "{\"fail\":[{\"page\":1,\"status\":503,\"retryAfter\":\"soon-ish\",\"times\":1}]}");
  rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_OK && nRows == 5, "rc %d %s", rc, zErr ? zErr : "");
  sqlite3_free(zErr);
  n = mock_log("h_ra", &a);
  CHECK(n == 2, "requests %d", n);
  free(a);

  /* a date in the past: retried at once */
  scenario("h_ra", "{\"fail\":[{\"page\":1,\"status\":429,\"retryAfter\":\"Wed, 21 Oct 2015 07:28:00 GMT\","
                   "\"times\":1}]}");
  o.rRetryBase = 30; /* a back-off would take far longer than the test */
  rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_OK && nRows == 5, "rc %d %s", rc, zErr ? zErr : "");
  sqlite3_free(zErr);
  n = mock_log("h_ra", &a);
  CHECK(n == 2 && a[1].rTime - a[0].rTime < 10000, "requests %d", n);
  free(a);
}

static void test_give_up_and_mid_scan(void) {
  scenario("h_503", "{\"fail\":[{\"page\":1,\"status\":503,\"times\":100}]}");
  prov_options o = opts_for("h_503");
  o.nMaxRetries = 2;
  pq_query q = query_top(5);
  int nRows;
  char *zErr;
  int rc = scan(&o, "/auditLogs/provisioning", &q, 0, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_ERROR && nRows == 0, "rc %d rows %d", rc, nRows);
  CHECK(zErr && strstr(zErr, "provisioning_events: HTTP 503") && strstr(zErr, "gave up after 2 retries") &&
            strstr(zErr, "on GET /s/h_503/v1.0/auditLogs/provisioning?$top=5"),
        "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  logreq *a;
  int n = mock_log("h_503", &a);
  CHECK(n == 3, "requests %d", n);
  if (n == 3) CHECK(strcmp(a[2].zRetryAttempt, "2") == 0, "Retry-Attempt %s", a[2].zRetryAttempt);
  free(a);

  /* 500 on page 3: 20 rows, then the statement fails naming HTTP 500 and the request-id */
  scenario("h_500", "{\"fail\":[{\"page\":3,\"status\":500,\"times\":1}]}");
  o = opts_for("h_500");
  o.nPageSize = 10;
  q = query_top(0);
  rc = scan(&o, "/auditLogs/provisioning", &q, 0, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_ERROR, "rc %d", rc);
  CHECK(nRows == 20, "rows before the failure %d", nRows);
  CHECK(zErr && strstr(zErr, "HTTP 500") && strstr(zErr, "(request-id "), "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  n = mock_log("h_500", &a);
  CHECK(n == 3 && count_status(a, n, 500) == 1, "requests %d (500 is not retried)", n);
  free(a);

  /* 403 with Graph's error body: code, message, request-id, permission hint */
  scenario("h_403", "{\"requireAuth\":true,\"staticToken\":\"right-token\"}");
  o = opts_for("h_403");
  setenv("H_TEST_TOKEN", "wrong-token-0123456789", 1);
  o.zAuth = "env:H_TEST_TOKEN";
  q = query_top(5);
  rc = scan(&o, "/auditLogs/provisioning", &q, 0, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "HTTP 401") && strstr(zErr, "AuditLog.Read.All") &&
            strstr(zErr, "request-id"),
        "%s", zErr ? zErr : "(none)");
  CHECK(zErr && !strstr(zErr, "wrong-token-0123456789"), "token in the error: %s", zErr);
  sqlite3_free(zErr);
  n = mock_log("h_403", &a);
  CHECK(n == 1 && strcmp(a[0].zAuth, "Bearer wrong-token-0123456789") == 0, "auth sent: %s",
        n ? a[0].zAuth : "");
  free(a);
  /* the right token works */
  setenv("H_TEST_TOKEN", "right-token", 1);
  rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_OK && nRows == 5, "%s", zErr ? zErr : "");
  sqlite3_free(zErr);
  /* missing variable */
  o.zAuth = "env:H_TEST_NOT_SET";
  unsetenv("H_TEST_NOT_SET");
  rc = scan(&o, "/auditLogs/provisioning", &q, 0, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "H_TEST_NOT_SET"), "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
}

static void test_next_link_origin(void) {
  char zKnob[512];
  const char *azHost[] = {"localhost:%s", "user:pw@%s", "127.0.0.1.evil.test:%s"};
  const char *azWant[] = {"to another origin, http://localhost:", "with user info",
                          "to another origin, http://127.0.0.1.evil.test:"};
  setenv("H_TEST_TOKEN", "right-token", 1);
  for (int k = 0; k < 3; k++) {
    const char *zPort = strrchr(zMock, ':') + 1;
    char zHost[256];
    snprintf(zHost, sizeof(zHost), azHost[k], k == 1 ? mock_hostport() : zPort);
    snprintf(zKnob, sizeof(zKnob), "{\"nextLinkHost\":\"%s\",\"requireAuth\":true,\"staticToken\":\"right-token\"}",
             zHost);
    scenario("h_link", zKnob);
    prov_options o = opts_for("h_link");
    o.zAuth = "env:H_TEST_TOKEN";
    o.nPageSize = 10;
    pq_query q = query_top(0);
    int nRows;
    char *zErr;
    int rc = scan(&o, "/auditLogs/provisioning", &q, 0, &nRows, &zErr, 0);
    CHECK(rc == SQLITE_ERROR && nRows == 10, "rc %d rows %d", rc, nRows);
    CHECK(zErr && strstr(zErr, "@odata.nextLink") && strstr(zErr, azWant[k]), "%s", zErr ? zErr : "(none)");
    CHECK(zErr && !strstr(zErr, "right-token"), "token in the error");
    sqlite3_free(zErr);
    logreq *a;
    int n = mock_log("h_link", &a);
    CHECK(n == 1, "case %d: requests %d (nothing may be sent to the nextLink)", k, n);
    free(a);
  }
}

static void test_redirect_size_speed(void) {
  char zKnob[512];
  snprintf(zKnob, sizeof(zKnob), "{\"redirect\":{\"page\":1,\"location\":\"http://localhost:%s/elsewhere\"}}",
           strrchr(zMock, ':') + 1);
  scenario("h_redir", zKnob);
  prov_options o = opts_for("h_redir");
  pq_query q = query_top(5);
  int nRows;
  char *zErr;
  int rc = scan(&o, "/auditLogs/provisioning", &q, 0, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "redirect to http://localhost:") &&
            strstr(zErr, "not followed"),
        "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  logreq *a;
  int n = mock_log("h_redir", &a);
  CHECK(n == 1, "requests %d", n);
  free(a);

  scenario("h_huge", "{\"hugeBody\":{\"bytes\":67108864}}");
  o = opts_for("h_huge");
  o.nMaxResponse = 1048576;
  rc = scan(&o, "/auditLogs/provisioning", &q, 0, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "response larger than 1048576 bytes"), "%s",
        zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  n = mock_log("h_huge", &a);
  CHECK(n == 1, "requests %d (a size cap is not retried)", n);
  free(a);

  scenario("h_slow", "{\"slowBytesPerSec\":1}");
  o = opts_for("h_slow");
  o.rLowSpeedTime = 1;
  o.nMaxRetries = 1;
  rc = scan(&o, "/auditLogs/provisioning", &q, 0, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "time-out") && strstr(zErr, "low_speed_time=1"), "%s",
        zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  n = mock_log("h_slow", &a);
  CHECK(n == 2, "requests %d (a time-out is retried once)", n);
  free(a);

  /* truncated body and connection reset: retried, then the full result */
  scenario("h_trunc", "{\"truncate\":{\"page\":1}}");
  o = opts_for("h_trunc");
  o.nMaxRetries = 2;
  rc = scan(&o, "/auditLogs/provisioning", &q, 0, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "connection error") && strstr(zErr, "gave up after 2 retries"),
        "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  n = mock_log("h_trunc", &a);
  CHECK(n == 3, "requests %d", n);
  free(a);
}

static void test_pacing(void) {
  scenario("h_pace", "{\"rateLimit\":{\"requests\":5,\"windowMs\":500}}");
  prov_options o = opts_for("h_pace");
  o.nRateLimit = 5;
  o.rRateWindow = 0.5;
  o.nPageSize = 10;
  pq_query q = query_top(0);
  int nRows;
  char *zErr;
  int rc = scan(&o, "/auditLogs/provisioning", &q, 300, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_OK && nRows == 300, "rc %d rows %d %s", rc, nRows, zErr ? zErr : "");
  sqlite3_free(zErr);
  logreq *a;
  int n = mock_log("h_pace", &a);
  CHECK(n >= 30 && n <= 31, "requests %d", n);
  CHECK(count_status(a, n, 429) == 0, "%d requests throttled", count_status(a, n, 429));
  free(a);
}

static void test_open_refusals(void) {
  prov_options o = opts_for("h_open");
  prov_source *src = 0;
  char *zErr = 0;
  o.zAuth = "eyJ0eXAiOiJKV1QiLCJhbGciOi.secret";
  int rc = source_http_open(&o, &src, &zErr);
  CHECK(rc == SQLITE_ERROR && !src && zErr && strstr(zErr, "auth='env:NAME'") && !strstr(zErr, "eyJ0eXAi"), "%s",
        zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  zErr = 0;
  o = opts_for("h_open");
  o.zSource = "https://graph.microsoft.com.evil.test/v1.0";
  char *zAllowed = getenv("PROVISIONING_ALLOWED_HOSTS") ? strdup(getenv("PROVISIONING_ALLOWED_HOSTS")) : 0;
  unsetenv("PROVISIONING_ALLOWED_HOSTS");
  rc = source_http_open(&o, &src, &zErr);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "not allowed") && strstr(zErr, "PROVISIONING_ALLOWED_HOSTS"),
        "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  zErr = 0;
  setenv("PROVISIONING_ALLOWED_HOSTS", "other.example, graph.microsoft.com.evil.test", 1);
  rc = source_http_open(&o, &src, &zErr);
  CHECK(rc == SQLITE_OK, "%s", zErr ? zErr : "");
  if (src) src->xDestroy(src);
  src = 0;
  unsetenv("PROVISIONING_ALLOWED_HOSTS");
  o.zSource = "http://graph.microsoft.com/v1.0";
  rc = source_http_open(&o, &src, &zErr);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "https"), "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  zErr = 0;
  /* loopback only when the environment lists it (never implicitly) */
  const char *azLoop[] = {"http://localhost:9/x", "http://[::1]:9/x", "http://127.1.2.3:9/x", "https://127.0.0.1:9/x",
                          0};
  for (int i = 0; azLoop[i]; i++) {
    o.zSource = azLoop[i];
    rc = source_http_open(&o, &src, &zErr);
    CHECK(rc == SQLITE_ERROR && !src && zErr && strstr(zErr, "is not allowed") &&
              strstr(zErr, "PROVISIONING_ALLOWED_HOSTS") && strstr(zErr, "(port 9)"),
          "%s without the environment: %s", azLoop[i], zErr ? zErr : "(accepted)");
    if (src) src->xDestroy(src);
    src = 0;
    sqlite3_free(zErr);
    zErr = 0;
  }
  /* host = every port, host:port = that port only, any case */
  setenv("PROVISIONING_ALLOWED_HOSTS", " LocalHost ,[::1]:9,127.1.2.3:9, 127.0.0.1:8", 1);
  const char *azOk[] = {"https://graph.microsoft.com/v1.0", "https://graph.microsoft.com/beta/",
                        "https://dod-graph.microsoft.us/v1.0", "https://microsoftgraph.chinacloudapi.cn/v1.0",
                        "http://localhost:9/x", "http://LOCALHOST:1234/x", "http://[::1]:9/x", "http://127.1.2.3:9/x",
                        "https://127.0.0.1:8/x", 0};
  for (int i = 0; azOk[i]; i++) {
    o.zSource = azOk[i];
    rc = source_http_open(&o, &src, &zErr);
    CHECK(rc == SQLITE_OK, "%s: %s", azOk[i], zErr ? zErr : "");
    if (src) src->xDestroy(src);
    src = 0;
    sqlite3_free(zErr);
    zErr = 0;
  }
  const char *azBad[] = {"http://127.0.0.1.evil.test/x", "https://user:pw@graph.microsoft.com/v1.0",
                         "ftp://127.0.0.1/x", "http://[::1]:10/x", "http://127.1.2.3:90/x", "https://127.0.0.1:9/x",
                         "http://127.0.0.2:9/x", 0};
  for (int i = 0; azBad[i]; i++) {
    o.zSource = azBad[i];
    rc = source_http_open(&o, &src, &zErr);
    CHECK(rc == SQLITE_ERROR && zErr, "%s accepted", azBad[i]);
    sqlite3_free(zErr);
    zErr = 0;
  }
  /* plain http only for loopback, even when the host is allowed */
  setenv("PROVISIONING_ALLOWED_HOSTS", "graph-proxy.example", 1);
  o.zSource = "http://graph-proxy.example/v1.0";
  rc = source_http_open(&o, &src, &zErr);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "must be https://"), "%s", zErr ? zErr : "(accepted)");
  sqlite3_free(zErr);
  zErr = 0;
  o.zSource = "https://graph-proxy.example:8443/v1.0";
  rc = source_http_open(&o, &src, &zErr);
  CHECK(rc == SQLITE_OK, "%s", zErr ? zErr : "");
  if (src) src->xDestroy(src);
  src = 0;
  /* credentials never in the URL: a query string, user info or a fragment is refused, saying where they go */
  const char *azCred[] = {"https://graph.microsoft.com/v1.0?access_token=eyJhbGciOiJIUzI1NiJ9.secret",
                          "https://graph.microsoft.com/v1.0?client_secret=s3cr3t-value",
                          "https://graph.microsoft.com/v1.0?sig=abcdefgh12345678",
                          "https://graph.microsoft.com/v1.0#access_token=eyJhbGciOiJIUzI1NiJ9.secret",
                          "https://me:eyJhbGciOiJIUzI1NiJ9.secret@graph.microsoft.com/v1.0", 0};
  for (int i = 0; azCred[i]; i++) {
    o.zSource = azCred[i];
    rc = source_http_open(&o, &src, &zErr);
    CHECK(rc == SQLITE_ERROR && !src && zErr && strstr(zErr, "auth=") && !strstr(zErr, "secret") &&
              !strstr(zErr, "eyJhbGci") && !strstr(zErr, "abcdefgh"),
          "%s: %s", azCred[i], zErr ? zErr : "(accepted)");
    if (src) src->xDestroy(src);
    src = 0;
    sqlite3_free(zErr);
    zErr = 0;
  }
  /* the loopback mock (tests/run.sh), for the tests that follow */
  setenv("PROVISIONING_ALLOWED_HOSTS", zAllowed ? zAllowed : "127.0.0.1", 1);
  free(zAllowed);
  /* CR/LF in a path */
  o = opts_for("h_open");
  rc = source_http_open(&o, &src, &zErr);
  if (rc == SQLITE_OK) {
    prov_stream *st = 0;
    pq_query q = query_top(5);
    rc = src->xOpen(src, "/auditLogs/provisioning\r\nX-Evil: 1", &q, &st, &zErr);
    CHECK(rc == SQLITE_ERROR && !st, "CR/LF path accepted");
    sqlite3_free(zErr);
    src->xDestroy(src);
  }
}

static void test_client_credentials(void) {
  scenario("h_az", "{\"requireAuth\":true}");
  char zAuthority[512];
  snprintf(zAuthority, sizeof(zAuthority), "%s/s/h_az", zMock);
  setenv("PROVISIONING_AUTHORITY_HOST", zAuthority, 1);
  setenv("AZURE_TENANT_ID", "tenant-1", 1);
  setenv("AZURE_CLIENT_ID", "test-client", 1);
  setenv("AZURE_CLIENT_SECRET", "test-secret", 1);
  prov_options o = opts_for("h_az");
  o.zAuth = "azure";
  pq_query q = query_top(5);
  int nRows;
  char *zErr;
  int rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_OK && nRows == 5, "rc %d %s", rc, zErr ? zErr : "");
  sqlite3_free(zErr);
  logreq *a;
  int n = mock_log("h_az", &a);
  CHECK(n == 2, "requests %d", n);
  if (n == 2) {
    CHECK(strcmp(a[0].zMethod, "POST") == 0 && strcmp(a[0].zUrl, "/s/h_az/tenant-1/oauth2/v2.0/token") == 0,
          "%s %s", a[0].zMethod, a[0].zUrl);
    CHECK(strstr(a[0].zBody, "grant_type=client_credentials") && strstr(a[0].zBody, "client_id=test-client") &&
              strstr(a[0].zBody, "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"),
          "token body %s", a[0].zBody);
    CHECK(a[0].zAuth[0] == 0, "authorization sent to the token endpoint");
    CHECK(strncmp(a[1].zAuth, "Bearer ", 7) == 0 && strlen(a[1].zAuth) > 7 && a[1].iStatus == 200, "GET auth %s",
          a[1].zAuth);
  }
  free(a);

  /* a 401 on the GET: the token is renewed once and the request retried once */
  scenario("h_az", "{\"requireAuth\":true,\"fail\":[{\"request\":2,\"status\":401,\"times\":1}]}");
  rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_OK && nRows == 5, "rc %d %s", rc, zErr ? zErr : "");
  sqlite3_free(zErr);
  n = mock_log("h_az", &a);
  CHECK(n == 4, "requests %d", n);
  if (n == 4) {
    CHECK(!strcmp(a[0].zMethod, "POST") && !strcmp(a[1].zMethod, "GET") && a[1].iStatus == 401 &&
              !strcmp(a[2].zMethod, "POST") && !strcmp(a[3].zMethod, "GET") && a[3].iStatus == 200,
          "%s %ld, %s, %s %ld", a[1].zMethod, a[1].iStatus, a[2].zMethod, a[3].zMethod, a[3].iStatus);
  }
  free(a);
  /* a second 401: renewed only once, then the error */
  scenario("h_az", "{\"requireAuth\":true,\"fail\":[{\"request\":2,\"status\":401,\"times\":1},"
                   "{\"request\":4,\"status\":401,\"times\":1}]}");
  rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "HTTP 401"), "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  n = mock_log("h_az", &a);
  CHECK(n == 4, "requests %d", n);
  free(a);

  /* a wrong secret: a clear error without the secret */
  scenario("h_az", "{\"requireAuth\":true}");
  setenv("AZURE_CLIENT_SECRET", "wrong-secret-4242", 1);
  rc = scan(&o, "/auditLogs/provisioning", &q, 0, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "HTTP 4") && strstr(zErr, "AZURE_CLIENT_SECRET") &&
            !strstr(zErr, "wrong-secret-4242"),
        "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  unsetenv("AZURE_TENANT_ID");
  unsetenv("AZURE_CLIENT_ID");
  unsetenv("AZURE_CLIENT_SECRET");
  unsetenv("PROVISIONING_AUTHORITY_HOST");
}

static void test_write(void) {
  scenario("h_w", "{\"fail\":[{\"request\":1,\"status\":504,\"times\":1,\"methods\":[\"POST\"]}]}");
  prov_options o = opts_for("h_w");
  prov_source *src = 0;
  char *zErr = 0;
  int rc = source_http_open(&o, &src, &zErr);
  CHECK(rc == SQLITE_OK, "%s", zErr ? zErr : "");
  if (rc) return;
  int st = 0;
  char *zResp = 0;
  const char *zBody = "{\"id\":\"x\",\"password\":\"P@ssw0rd-secret\"}";
  rc = src->xWrite(src, "POST", "/auditLogs/provisioning", zBody, &st, &zResp, &zErr);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "HTTP 504") && strstr(zErr, "on POST /s/h_w/v1.0/auditLogs") &&
            !strstr(zErr, "P@ssw0rd"),
        "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  zErr = 0;
  sqlite3_free(zResp);
  zResp = 0;
  logreq *a;
  int n = mock_log("h_w", &a);
  CHECK(n == 1, "504 on a POST must not be retried: %d requests", n);
  free(a);

  scenario("h_w", "{\"fail\":[{\"request\":1,\"status\":429,\"retryAfter\":0,\"times\":1,\"methods\":[\"POST\"]}]}");
  rc = src->xWrite(src, "POST", "/auditLogs/provisioning", zBody, &st, &zResp, &zErr);
  CHECK(rc == SQLITE_OK && st >= 200 && st < 300, "rc %d status %d %s", rc, st, zErr ? zErr : "");
  n = mock_log("h_w", &a);
  CHECK(n == 2, "429 on a POST is retried: %d requests", n);
  if (n == 2) {
    CHECK(strcmp(a[1].zBody, zBody) == 0, "body %s", a[1].zBody);
    CHECK(strcmp(a[1].zRetryAttempt, "1") == 0, "Retry-Attempt %s", a[1].zRetryAttempt);
  }
  free(a);
  sqlite3_free(zErr);
  sqlite3_free(zResp);
  src->xDestroy(src);
}

static void test_trace(void) {
  scenario("h_tr", "{\"requireAuth\":true,\"staticToken\":\"trace-token-77\"}");
  setenv("H_TEST_TOKEN", "trace-token-77", 1);
  prov_options o = opts_for("h_tr");
  o.zAuth = "env:H_TEST_TOKEN";
  pq_query q = query_top(5);
  char zPath[] = "/tmp/test_http_trace_XXXXXX";
  int fd = mkstemp(zPath);
  fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  setenv("PROVISIONING_TRACE", "1", 1);
  int nRows;
  char *zErr;
  int rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, 0);
  unsetenv("PROVISIONING_TRACE");
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  CHECK(rc == SQLITE_OK, "%s", zErr ? zErr : "");
  sqlite3_free(zErr);
  FILE *f = fopen(zPath, "r");
  char aBuf[8192];
  size_t n = f ? fread(aBuf, 1, sizeof(aBuf) - 1, f) : 0;
  aBuf[n] = 0;
  if (f) fclose(f);
  unlink(zPath);
  char zWant[512];
  snprintf(zWant, sizeof(zWant), "provisioning: GET %s/s/h_tr/v1.0/auditLogs/provisioning?$top=5 -> 200 (", zMock);
  CHECK(strstr(aBuf, zWant) != 0, "trace: %s", aBuf);
  CHECK(strstr(aBuf, "trace-token-77") == 0, "token in the trace");
}

/* Does z hold any 8 consecutive characters of zSecret? */
static int holds_8(const char *z, const char *zSecret) {
  size_t n = strlen(zSecret);
  for (size_t i = 0; z && i + 8 <= n; i++) {
    char a[9];
    memcpy(a, zSecret + i, 8);
    a[8] = 0;
    if (strstr(z, a)) return 1;
  }
  return 0;
}

/* Run a scan with stderr (the trace) captured into aTrace. */
static int scan_traced(const prov_options *o, int nWant, int *pnRows, char **pzErr, char *aTrace, size_t nTrace) {
  char zPath[] = "/tmp/test_http_trace2_XXXXXX";
  int fd = mkstemp(zPath);
  fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  setenv("PROVISIONING_TRACE", "1", 1);
  pq_query q = query_top(0);
  int rc = scan(o, "/auditLogs/provisioning", &q, nWant, pnRows, pzErr, 0);
  unsetenv("PROVISIONING_TRACE");
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  FILE *f = fopen(zPath, "r");
  size_t n = f ? fread(aTrace, 1, nTrace - 1, f) : 0;
  aTrace[n] = 0;
  if (f) fclose(f);
  unlink(zPath);
  return rc;
}

/*
** A server that echoes a long token (2,000 characters) in its error: masked
** before the message is cut, so no 8 characters of it in the error or the
** trace; the same for a raw (non-JSON) body, for the client secret, and
** for a nextLink that carries credentials (the trace shows *** for them).
*/
static void test_secret_echo(void) {
  static char zTok[2001];
  for (int i = 0; i < 2000; i++) zTok[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[(i * 7 + i / 64) % 64];
  zTok[2000] = 0;
  setenv("H_LONG_TOKEN", zTok, 1);
  static char zKnob[8192], aTrace[65536];
  for (int k = 0; k < 2; k++) {
    if (k == 0) {
      snprintf(zKnob, sizeof(zKnob),
               "{\"fail\":[{\"request\":1,\"status\":401,\"code\":\"InvalidAuthenticationToken\","
               "\"message\":\"Access token %s has expired or is not valid yet.\",\"times\":1}]}",
               zTok);
    } else {
      snprintf(zKnob, sizeof(zKnob),
               "{\"fail\":[{\"request\":1,\"status\":400,\"body\":\"upstream said: bad token=%s (end)\",\"times\":1}]}",
               zTok);
    }
    scenario("h_echo", zKnob);
    prov_options o = opts_for("h_echo");
    o.zAuth = "env:H_LONG_TOKEN";
    int nRows;
    char *zErr = 0;
    int rc = scan_traced(&o, 0, &nRows, &zErr, aTrace, sizeof(aTrace));
    CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, k ? "HTTP 400" : "HTTP 401"), "%s", zErr ? zErr : "(none)");
    CHECK(!holds_8(zErr, zTok), "case %d: 8+ characters of the token in the error: %.300s", k, zErr);
    CHECK(!holds_8(aTrace, zTok), "case %d: 8+ characters of the token in the trace: %.300s", k, aTrace);
    CHECK(zErr && strstr(zErr, "[redacted]") && strstr(zErr, k ? "(end)" : "has expired"),
          "case %d: the text after the token is kept: %.600s", k, zErr ? zErr : "");
    sqlite3_free(zErr);
  }
  /* a nextLink carrying credential-looking values: the trace masks them */
  char zLink[512];
  snprintf(zLink, sizeof(zLink), "{\"pageSize\":2,\"nextLinkHost\":\"%s\"}", mock_hostport());
  scenario("h_nl", zLink);
  prov_options o = opts_for("h_nl");
  o.nPageSize = 2;
  int nRows;
  char *zErr = 0;
  int rc = scan_traced(&o, 3, &nRows, &zErr, aTrace, sizeof(aTrace));
  CHECK(rc == SQLITE_OK && nRows == 3, "rc %d %s", rc, zErr ? zErr : "");
  sqlite3_free(zErr);
  CHECK(strstr(aTrace, "$skiptoken=") != 0, "the trace shows the nextLink's $skiptoken: %.400s", aTrace);
  char *zM = trust_url_masked("https://h/x?$top=5&access_token=eyJabc.def&sig=AbCd%2B&code=C0de&x=1&Client_Secret=s#f");
  CHECK(zM && strcmp(zM, "https://h/x?$top=5&access_token=***&sig=***&code=***&x=1&Client_Secret=***#f") == 0, "%s",
        zM);
  sqlite3_free(zM);
  zM = trust_url_masked("https://me:pw@h/x?password=p&token=t&refresh_token=r&$skiptoken=k");
  CHECK(zM && strcmp(zM, "https://***@h/x?password=***&token=***&refresh_token=***&$skiptoken=k") == 0, "%s", zM);
  sqlite3_free(zM);
  unsetenv("H_LONG_TOKEN");
}

/* With every proxy variable pointing at a dead port, a loopback source is reached directly. */
static void test_proxy_bypass(void) {
  scenario("h_px", "{\"requireAuth\":true,\"staticToken\":\"proxy-test-token\"}");
  setenv("H_TEST_TOKEN", "proxy-test-token", 1);
  const char *az[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy", 0};
  for (int i = 0; az[i]; i++) setenv(az[i], "http://127.0.0.1:9", 1);
  unsetenv("NO_PROXY");
  unsetenv("no_proxy");
  prov_options o = opts_for("h_px");
  o.zAuth = "env:H_TEST_TOKEN";
  o.nMaxRetries = 0;
  pq_query q = query_top(5);
  int nRows;
  char *zErr;
  int rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_OK && nRows == 5, "loopback through a proxy? rc %d %s", rc, zErr ? zErr : "");
  sqlite3_free(zErr);
  for (int i = 0; az[i]; i++) unsetenv(az[i]);
}

/* The login host of client credentials follows the host rule. */
static void test_login_host(void) {
  setenv("AZURE_TENANT_ID", "tenant-1", 1);
  setenv("AZURE_CLIENT_ID", "test-client", 1);
  setenv("AZURE_CLIENT_SECRET", "login-host-secret-123", 1);
  scenario("h_lh", "{\"requireAuth\":true}");
  char zAuthority[512];
  snprintf(zAuthority, sizeof(zAuthority), "%s/s/h_lh", zMock);
  setenv("PROVISIONING_AUTHORITY_HOST", zAuthority, 1);
  prov_options o = opts_for("h_lh");
  o.zAuth = "azure";
  /* the source is allowed (127.0.0.1:PORT), the login host on the same host only when listed */
  char zAllow[256];
  snprintf(zAllow, sizeof(zAllow), "%s", mock_hostport());
  setenv("PROVISIONING_ALLOWED_HOSTS", zAllow, 1);
  snprintf(zAuthority, sizeof(zAuthority), "http://localhost:%s/s/h_lh", strrchr(zMock, ':') + 1);
  setenv("PROVISIONING_AUTHORITY_HOST", zAuthority, 1);
  pq_query q = query_top(5);
  int nRows;
  char *zErr;
  int rc = scan(&o, "/auditLogs/provisioning", &q, 5, &nRows, &zErr, 0);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "host 'localhost'") && strstr(zErr, "PROVISIONING_AUTHORITY_HOST") &&
            strstr(zErr, "PROVISIONING_ALLOWED_HOSTS") && strstr(zErr, "login.microsoftonline.com"),
        "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  logreq *a;
  int n = mock_log("h_lh", &a);
  CHECK(n == 0, "requests %d (the secret may not go to a login host not allowed)", n);
  free(a);
  CHECK(trust_login_host_allowed("https", "login.microsoftonline.com", 443, 0) == SQLITE_OK, "public cloud");
  CHECK(trust_login_host_allowed("https", "login.partner.microsoftonline.cn", 443, 0) == SQLITE_OK, "China");
  CHECK(trust_login_host_allowed("https", "login.microsoftonline.com.evil.test", 443, 0) != SQLITE_OK, "lookalike");
  CHECK(trust_login_host_allowed("http", "login.microsoftonline.com", 80, 0) != SQLITE_OK, "http");
  CHECK(trust_host_allowed("https", "login.microsoftonline.com", 443, 0) != SQLITE_OK, "a login host is no Graph host");
  setenv("PROVISIONING_ALLOWED_HOSTS", "127.0.0.1", 1);
  unsetenv("AZURE_TENANT_ID");
  unsetenv("AZURE_CLIENT_ID");
  unsetenv("AZURE_CLIENT_SECRET");
  unsetenv("PROVISIONING_AUTHORITY_HOST");
}

int main(void) {
  zMock = unit_mock_url();
  if (!zMock) {
    printf("MOCK_URL not set: skipped\n");
    return 77;
  }
  source_http_global_init();
  setenv("PROVISIONING_ALLOWED_HOSTS", "127.0.0.1", 1); /* the mock (as tests/run.sh sets it) */
  unsetenv("AZURE_TENANT_ID");
  unsetenv("PROVISIONING_TRACE");
  test_open_refusals();
  test_urls_and_limit();
  test_paging_and_prefetch();
  test_retry_after();
  test_give_up_and_mid_scan();
  test_next_link_origin();
  test_redirect_size_speed();
  test_write();
  test_client_credentials();
  test_trace();
  test_secret_echo();
  test_proxy_bypass();
  test_login_host();
  test_pacing();
  return unit_finish();
}

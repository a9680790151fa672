/*
** unit.h: what the unit tests (tests/unit/test_*.c) share. Header-only, so
** tests/run.sh's compile line (each test with every ext/ C file) stays the same.
**
**   CHECK(cond)              counts a pass, or a failure printed with the
**   CHECK(cond, fmt, ...)    file, line and condition (and the message)
**   CHECK_STR(got, want)     the two strings are equal (NULL never is)
**   unit_finish()            prints "N checks passed, N failed"; the exit
**                            status for main (1 when a check failed)
**   unit_mock_url()          MOCK_URL, or NULL when unset or empty
**   unit_root(z, n)          the repository root: ROOT, else cwd/../..
**                            (tests/run.sh runs a test in build/test-MODE)
**   unit_mock_call(method, path, body, &status)   the mock's control API
**                            (MOCK_URL + path), plain libcurl: the answer's
**                            body (malloc'd, never NULL)
**   unit_open_db()           a :memory: connection with the extension
**                            registered (for the tests that include
**                            ext/provisioning.c); exits on failure
**
** The counters are atomic and a failure is one write: test_threads checks
** from several threads at once.
*/
#ifndef UNIT_H
#define UNIT_H

#include <curl/curl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int nPass, nFail;

__attribute__((format(printf, 4, 5))) static inline void unit_fail(const char *zFile, int iLine, const char *zCond,
                                                                   const char *zFmt, ...) {
  char z[4096];
  int n = snprintf(z, sizeof(z), "FAIL %s:%d: %s", zFile, iLine, zCond);
  if (zFmt[0] && n >= 0 && (size_t)n < sizeof(z)) {
    n += snprintf(z + n, sizeof(z) - (size_t)n, ": ");
    va_list ap;
    va_start(ap, zFmt);
    if ((size_t)n < sizeof(z)) vsnprintf(z + n, sizeof(z) - (size_t)n, zFmt, ap);
    va_end(ap);
  }
  __atomic_add_fetch(&nFail, 1, __ATOMIC_SEQ_CST);
  fprintf(stderr, "%s\n", z);
}

/* "" __VA_ARGS__: the message, when given, must be a literal format */
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#define CHECK(cond, ...)                                          \
  do {                                                            \
    if (cond) {                                                   \
      __atomic_add_fetch(&nPass, 1, __ATOMIC_SEQ_CST);            \
    } else {                                                      \
      unit_fail(__FILE__, __LINE__, #cond, "" __VA_ARGS__);       \
    }                                                             \
  } while (0)

#define CHECK_STR(got, want)                                                                      \
  do {                                                                                            \
    const char *g_ = (got), *w_ = (want);                                                         \
    CHECK(g_ && w_ && strcmp(g_, w_) == 0, "got  [%s]\n    want [%s]", g_ ? g_ : "(null)", \
          w_ ? w_ : "(null)");                                                                    \
  } while (0)

static inline int unit_finish(void) {
  printf("%d checks passed, %d failed\n", nPass, nFail);
  return nFail ? 1 : 0;
}

static inline const char *unit_mock_url(void) {
  const char *z = getenv("MOCK_URL");
  return z && z[0] ? z : 0;
}

static inline void unit_root(char *zRoot, size_t nRoot) {
  const char *z = getenv("ROOT");
  if (z) {
    snprintf(zRoot, nRoot, "%s", z);
  } else if (getcwd(zRoot, nRoot - 8)) {
    strcat(zRoot, "/../..");
  } else {
    fprintf(stderr, "no ROOT and no working directory\n");
    exit(1);
  }
}

typedef struct unit_buf {
  char *z;
  size_t n;
} unit_buf;

static inline size_t unit_buf_write(char *p, size_t sz, size_t nm, void *a) {
  unit_buf *b = a;
  size_t n = sz * nm;
  b->z = realloc(b->z, b->n + n + 1);
  memcpy(b->z + b->n, p, n);
  b->n += n;
  b->z[b->n] = 0;
  return n;
}

static inline char *unit_mock_call(const char *zMethod, const char *zPath, const char *zBody, long *piStatus) {
  CURL *h = curl_easy_init();
  unit_buf b = {0, 0};
  char zUrl[2048];
  snprintf(zUrl, sizeof(zUrl), "%s%s", unit_mock_url() ? unit_mock_url() : "", zPath);
  struct curl_slist *l = curl_slist_append(0, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_URL, zUrl);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, zMethod);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
  if (zBody) curl_easy_setopt(h, CURLOPT_POSTFIELDS, zBody);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, unit_buf_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  CURLcode cc = curl_easy_perform(h);
  if (cc) fprintf(stderr, "mock %s %s: %s\n", zMethod, zPath, curl_easy_strerror(cc));
  if (piStatus) {
    *piStatus = 0;
    if (cc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, piStatus);
  }
  curl_slist_free_all(l);
  curl_easy_cleanup(h);
  if (!b.z) b.z = calloc(1, 1);
  return b.z;
}

int sqlite3_provisioning_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

static inline sqlite3 *unit_open_db(void) {
  sqlite3 *db = 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    fprintf(stderr, "open: %s\n", sqlite3_errmsg(db));
    exit(1);
  }
  char *zErr = 0;
  if (sqlite3_provisioning_init(db, &zErr, 0) != SQLITE_OK) {
    fprintf(stderr, "init: %s\n", zErr ? zErr : "?");
    exit(1);
  }
  return db;
}

#endif

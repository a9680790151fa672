/*
** test_oom.c: out-of-memory behaviour of the extension.
**
** A failing allocator wraps SQLite's default one (SQLITE_CONFIG_MALLOC,
** installed after sqlite3_shutdown and before sqlite3_initialize) and
** libcurl's (curl_global_init_mem, before anything calls curl_global_init;
** the extension's source_http_global_init() then only bumps libcurl's
** count). Allocation number N fails (fail-once), or N and every later one
** (keep-failing). Each scenario below (open a connection, register the
** extension as sqlite3_provisioning_init does, run its statements) is run
** for N = 1, 2, 3, ... until it completes without an injected failure.
**
** Every run must end in SQLITE_OK with exactly the rows of the run without
** failures (an OOM must never quietly drop rows), or in SQLITE_NOMEM whose
** message says "out of memory"; anything else (an OOM reported as "not a
** valid URL", "SQL logic error", a libcurl error...) is a failure, listed
** per mode with its first N. The only exceptions are two texts libcurl
** itself gives its own allocation failures (libcurl_own_misreport). It
** must never crash. Leaks are LeakSanitizer's (asan mode).
** After each failed run the scenario is run again without
** failures and must give the baseline (no state was corrupted: a write
** copy is either before or after the statement, never broken).
**
** Scenarios: a pushed-down SELECT over the file source; a join with the
** provisioning_steps() TVF; INSERT and UPDATE on a writable file copy in
** the cwd; a SELECT, an INSERT + UPDATE of events, and an INSERT + UPDATE
** of provisioning_flows over the mock server (when MOCK_URL is set; its
** scenario is reset before each run).
** OOM_MAX_N (default 20000) caps N; OOM_STEP (default 1) strides it;
** OOM_FIRST (default 1) is the first N; OOM_ONLY=NAME runs the scenarios
** whose name starts with NAME; OOM_SHOW (default 3) wrong runs are printed
** in full per mode (the rest are counted).
*/
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../ext/provisioning.c" /* the entry point (excluded from the unit build) */
#include "unit.h"

/* ---- the failing allocators */

static sqlite3_mem_methods mDefault;
static volatile long nAllocs;       /* allocations since arming */
static volatile long iFailAt;       /* 0: never fail */
static volatile int bKeep;          /* keep failing after the first failure */
static volatile long nFailed;       /* failures injected */
static volatile long nFailedSqlite; /* of them, in SQLite's allocator */

/* A breakpoint for debuggers: gdb -ex 'break oom_fired' (with OOM_ONLY). */
__attribute__((noinline)) void oom_fired(long k);
__attribute__((noinline)) void oom_fired(long k) { __asm__ volatile("" ::"r"(k)); }

static int should_fail_in(int bSqlite) {
  if (!iFailAt) return 0;
  long k = __atomic_add_fetch(&nAllocs, 1, __ATOMIC_SEQ_CST);
  if (k == iFailAt || (bKeep && k > iFailAt)) {
    __atomic_add_fetch(&nFailed, 1, __ATOMIC_SEQ_CST);
    if (bSqlite) __atomic_add_fetch(&nFailedSqlite, 1, __ATOMIC_SEQ_CST);
    oom_fired(k);
    return 1;
  }
  return 0;
}

static void *oom_malloc(int n) { return should_fail_in(1) ? 0 : mDefault.xMalloc(n); }
static void oom_free(void *p) { mDefault.xFree(p); }
static void *oom_realloc(void *p, int n) {
  if (n > mDefault.xSize(p) && should_fail_in(1)) return 0;
  return mDefault.xRealloc(p, n);
}
static int oom_size(void *p) { return mDefault.xSize(p); }
static int oom_roundup(int n) { return mDefault.xRoundup(n); }
static int oom_init(void *p) { return mDefault.xInit(p); }
static void oom_shutdown(void *p) { mDefault.xShutdown(p); }

static void *c_malloc(size_t n) { return should_fail_in(0) ? 0 : malloc(n); }
static void c_free(void *p) { free(p); }
static void *c_realloc(void *p, size_t n) { return should_fail_in(0) ? 0 : realloc(p, n); }
static char *c_strdup(const char *z) {
  if (should_fail_in(0)) return 0;
  return strdup(z);
}
static void *c_calloc(size_t a, size_t b) { return should_fail_in(0) ? 0 : calloc(a, b); }

static void arm(long n, int keep) {
  nAllocs = 0;
  nFailed = 0;
  nFailedSqlite = 0;
  bKeep = keep;
  iFailAt = n;
}
static void disarm(void) { iFailAt = 0; }

/* ---- running a scenario */

typedef struct scen {
  const char *zName;
  const char *zSetup; /* run first (CREATE VIRTUAL TABLE...), its rows ignored */
  const char *zSql;   /* the statements whose rows are collected */
  const char *zCopy;  /* a file copied to ./oom_copy.json before each run */
  const char *zReset; /* a mock scenario reset before each run (writes change it) */
} scen;

static char zRoot[1024];

static void copy_file(const char *zFrom, const char *zTo) {
  FILE *in = fopen(zFrom, "rb"), *out = fopen(zTo, "wb");
  if (!in || !out) {
    fprintf(stderr, "cannot copy %s to %s\n", zFrom, zTo);
    exit(1);
  }
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), in)) > 0) fwrite(buf, 1, n, out);
  fclose(in);
  fclose(out);
}

/* POST /_mock/s/NAME/reset (while no failure is armed). */
static void mock_reset(const char *zName) {
  char zPath[512];
  snprintf(zPath, sizeof(zPath), "/_mock/s/%s/reset", zName);
  long iStatus = 0;
  free(unit_mock_call("POST", zPath, "{}", &iStatus));
  if (iStatus != 200) {
    fprintf(stderr, "cannot reset the mock scenario %s (HTTP %ld)\n", zName, iStatus);
    exit(1);
  }
}

/* Substitute @ROOT@ and @MOCK@. Plain malloc: not counted. */
static char *subst(const char *z) {
  const char *zMock = getenv("MOCK_URL");
  size_t n = strlen(z) * 4 + 4096;
  char *out = malloc(n), *o = out;
  while (*z) {
    if (strncmp(z, "@ROOT@", 6) == 0) {
      o += sprintf(o, "%s", zRoot);
      z += 6;
    } else if (strncmp(z, "@MOCK@", 6) == 0) {
      o += sprintf(o, "%s", zMock ? zMock : "");
      z += 6;
    } else {
      *o++ = *z++;
    }
  }
  *o = 0;
  return out;
}

typedef struct res {
  int rc;
  char zErr[512];
  char *zRows; /* malloc'd */
  size_t nRows;
} res;

static void res_add(res *r, const char *z) {
  size_t n = strlen(z);
  r->zRows = realloc(r->zRows, r->nRows + n + 2);
  memcpy(r->zRows + r->nRows, z, n);
  r->nRows += n;
  r->zRows[r->nRows++] = '\n';
  r->zRows[r->nRows] = 0;
}

/* Run every statement of zSql; rows go to r (when not NULL). */
static int run_sql(sqlite3 *db, const char *zSql, res *r) {
  const char *zTail = zSql;
  while (zTail && *zTail) {
    sqlite3_stmt *st = 0;
    int rc = sqlite3_prepare_v2(db, zTail, -1, &st, &zTail);
    if (rc) return rc;
    if (!st) continue;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if (!r) continue;
      char line[4096];
      size_t o = 0;
      line[0] = 0;
      for (int i = 0; i < sqlite3_column_count(st) && o < sizeof(line) - 1; i++) {
        const char *v = (const char *)sqlite3_column_text(st, i);
        if (!v && sqlite3_column_type(st, i) != SQLITE_NULL) {
          sqlite3_finalize(st);
          return SQLITE_NOMEM; /* the text conversion failed */
        }
        o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s", i ? "|" : "", v ? v : "NULL");
      }
      res_add(r, line);
    }
    if (rc != SQLITE_DONE) {
      sqlite3_finalize(st);
      return rc;
    }
    rc = sqlite3_finalize(st);
    if (rc) return rc;
  }
  return SQLITE_OK;
}

static void run_scen(const scen *s, res *r) {
  memset(r, 0, sizeof(*r));
  if (s->zReset) {
    long iSave = iFailAt; /* the reset's own allocations are neither counted nor failed */
    iFailAt = 0;
    mock_reset(s->zReset);
    iFailAt = iSave;
  }
  if (s->zCopy) {
    char zFrom[2048];
    snprintf(zFrom, sizeof(zFrom), "%s/%s", zRoot, s->zCopy);
    copy_file(zFrom, "oom_copy.json");
  }
  char *zSetup = subst(s->zSetup), *zSql = subst(s->zSql);
  sqlite3 *db = 0;
  int rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0);
  if (rc == SQLITE_OK) {
    char *zErr = 0;
    rc = sqlite3_provisioning_init(db, &zErr, 0);
    /* the init function's answer is its return code and *pzErr, not the
    ** connection's last message (still "not an error") */
    if (rc != SQLITE_OK) snprintf(r->zErr, sizeof(r->zErr), "%s", zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
  } else if (!db) {
    snprintf(r->zErr, sizeof(r->zErr), "%s", sqlite3_errstr(rc)); /* no handle to ask */
  }
  if (rc == SQLITE_OK) rc = run_sql(db, zSetup, 0);
  if (rc == SQLITE_OK) rc = run_sql(db, zSql, r);
  if (rc != SQLITE_OK && !r->zErr[0] && db) snprintf(r->zErr, sizeof(r->zErr), "%s", sqlite3_errmsg(db));
  r->rc = rc;
  int rcClose = sqlite3_close(db);
  if (rcClose != SQLITE_OK) {
    fprintf(stderr, "%s: sqlite3_close: %d (a statement or blob left open)\n", s->zName, rcClose);
    r->rc = 1000 + rcClose;
    sqlite3_close_v2(db);
  }
  free(zSetup);
  free(zSql);
}

/*
** libcurl 7.88 itself reports two of its allocation failures as other
** errors, which no caller can tell from the real ones: the address of an
** IP literal that cannot be allocated is "Couldn't resolve host name", and
** zlib's window that cannot be allocated (Z_MEM_ERROR, no zlib message) is
** CURLE_BAD_CONTENT_ENCODING. Accepted only with exactly these texts and
** only when every injected failure was one of libcurl's allocations; every
** CURLE_OUT_OF_MEMORY must be SQLITE_NOMEM.
*/
static int libcurl_own_misreport(const res *r, long nFired, long nFiredSqlite) {
  static const char *const azText[] = {
      "connection error: Couldn't resolve host name (Could not resolve host: 127.0.0.1) on ",
      "connection error: Unrecognized or bad HTTP Content or Transfer-Encoding (Error while processing content "
      "unencoding: Unknown failure within decompression software.) on ",
      0};
  if (r->rc != SQLITE_ERROR || nFired == 0 || nFiredSqlite != 0) return 0;
  for (int i = 0; azText[i]; i++) {
    if (strstr(r->zErr, azText[i])) return 1;
  }
  return 0;
}

/* Distinct wrong outcomes of one mode (rc and message), each with its first N
** and a count, so a summary names every misreport, not only the first few. */
typedef struct wrong {
  int rc;
  char zErr[160];
  long nFirst;
  int nSeen;
} wrong;
static wrong aWrong[32];
static int nWrong;

static void wrong_add(int rc, const char *zErr, long n) {
  for (int i = 0; i < nWrong; i++) {
    if (aWrong[i].rc == rc && strncmp(aWrong[i].zErr, zErr, sizeof(aWrong[i].zErr) - 1) == 0) {
      aWrong[i].nSeen++;
      return;
    }
  }
  if (nWrong == (int)(sizeof(aWrong) / sizeof(aWrong[0]))) return;
  wrong *w = &aWrong[nWrong++];
  w->rc = rc;
  snprintf(w->zErr, sizeof(w->zErr), "%s", zErr);
  w->nFirst = n;
  w->nSeen = 1;
}

static void test_scen(const scen *s) {
  long nMax = getenv("OOM_MAX_N") ? atol(getenv("OOM_MAX_N")) : 20000;
  long nStep = getenv("OOM_STEP") ? atol(getenv("OOM_STEP")) : 1;
  if (nStep < 1) nStep = 1;
  int nShow = getenv("OOM_SHOW") ? atoi(getenv("OOM_SHOW")) : 3; /* wrong runs printed per mode */
  res base;
  run_scen(s, &base);
  CHECK(base.rc == SQLITE_OK && base.nRows > 0, "%s: baseline rc %d %s", s->zName, base.rc, base.zErr);
  if (base.rc != SQLITE_OK) return;
  for (int keep = 0; keep <= 1; keep++) {
    long n;
    int nNomem = 0, nOk = 0, nCurl = 0, bDone = 0, nBad = 0;
    nWrong = 0;
    long nFirst = getenv("OOM_FIRST") ? atol(getenv("OOM_FIRST")) : 1;
    for (n = nFirst > 0 ? nFirst : 1; n <= nMax; n += nStep) {
      res r;
      arm(n, keep);
      run_scen(s, &r);
      long fired = nFailed, firedSqlite = nFailedSqlite;
      disarm();
      if (r.rc == SQLITE_OK) {
        nOk++;
        if (r.nRows != base.nRows || memcmp(r.zRows, base.zRows, base.nRows) != 0) {
          if (++nBad > nShow) {
            nFail++; /* counted, not printed: the summary line has the total */
          } else
          CHECK(0, "%s: N=%ld %s: OK but rows differ (%zu vs %zu bytes):\n%.600s\n-- want --\n%.600s", s->zName, n,
                keep ? "keep" : "once", r.nRows, base.nRows, r.zRows ? r.zRows : "", base.zRows);
        }
      } else if ((r.rc & 0xff) == SQLITE_NOMEM && fired) {
        nNomem++;
        /* the message says so: not a misleading "not a valid URL" with
        ** SQLITE_NOMEM. The one other text is SQLite's own (build.c, when
        ** the temp schema of "CREATE VIRTUAL TABLE temp.x" cannot be opened
        ** for lack of memory), which the extension never sees. */
        if (!strstr(r.zErr, "out of memory") &&
            strcmp(r.zErr, "unable to open a temporary database file for storing temporary tables") != 0) {
          wrong_add(r.rc, r.zErr, n);
          if (++nBad > nShow) {
            nFail++;
          } else
          CHECK(0, "%s: N=%ld %s: SQLITE_NOMEM with the message \"%s\", not \"out of memory\"", s->zName, n,
                keep ? "keep" : "once", r.zErr);
        }
      } else if (libcurl_own_misreport(&r, fired, firedSqlite)) {
        nCurl++;
      } else {
        /* any other error is an out-of-memory reported as something else
        ** ("not a valid URL", "SQL logic error", an HTTP error...) */
        wrong_add(r.rc, r.zErr, n);
        if (++nBad > nShow) {
          nFail++;
        } else
        CHECK(0, "%s: N=%ld %s: rc %d (%s), %ld failures injected", s->zName, n, keep ? "keep" : "once", r.rc,
              r.zErr, fired);
      }
      free(r.zRows);
      if (r.rc != SQLITE_OK) {
        /* the same scenario without failures still gives the baseline */
        res again;
        run_scen(s, &again);
        if (again.rc != SQLITE_OK || again.nRows != base.nRows || memcmp(again.zRows, base.zRows, base.nRows)) {
          if (++nBad > nShow) {
            nFail++;
          } else
          CHECK(0, "%s: after N=%ld %s: rc %d %s; rows differ from the baseline", s->zName, n,
                keep ? "keep" : "once", again.rc, again.zErr);
        }
        free(again.zRows);
      }
      if (fired == 0) {
        bDone = 1;
        break;
      }
    }
    CHECK(bDone, "%s: still failing at N=%ld", s->zName, nMax);
    printf("%-20s %-12s: N=1..%ld: %d NOMEM, %d OK, %d libcurl's own, %d WRONG\n", s->zName,
           keep ? "keep-failing" : "fail-once", n, nNomem, nOk, nCurl, nBad);
    for (int i = 0; i < nWrong && i < 12; i++) {
      printf("  WRONG x%d (first N=%ld): rc %d: %s\n", aWrong[i].nSeen, aWrong[i].nFirst, aWrong[i].rc, aWrong[i].zErr);
    }
    if (nWrong > 12) printf("  ... %d more distinct wrong outcomes\n", nWrong - 12);
    fflush(stdout);
  }
  free(base.zRows);
}

int main(void) {
  unit_root(zRoot, sizeof(zRoot));
  /* libcurl's allocations through the counter, before any curl_global_init */
  if (curl_global_init_mem(CURL_GLOBAL_ALL, c_malloc, c_free, c_realloc, c_strdup, c_calloc) != CURLE_OK) {
    fprintf(stderr, "curl_global_init_mem failed\n");
    return 1;
  }
  sqlite3_shutdown();
  if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &mDefault) != SQLITE_OK) return 1;
  sqlite3_mem_methods m = {oom_malloc, oom_free, oom_realloc, oom_size, oom_roundup, oom_init, oom_shutdown, 0};
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK) return 1;
  /* lookaside would hide most small allocations from the allocator */
  sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
  if (sqlite3_initialize() != SQLITE_OK) return 1;

  static const scen aScen[] = {
      {"file pushdown",
       "CREATE VIRTUAL TABLE temp.ev USING provisioning_events(source='file:@ROOT@/tests/data/seed003_page_success_fixed.json');",
       "SELECT id, status, activity_date_time, duration_ms, target_identity_name FROM ev "
       " WHERE status = 'success' AND activity_date_time > '2019-01-01' ORDER BY activity_date_time DESC LIMIT 5;"
       "SELECT count(*), sum(duration_ms) FROM ev WHERE job_id LIKE '%%' OR duration_ms > 0;",
       0, 0},
      {"tvf join",
       "CREATE VIRTUAL TABLE temp.ev USING provisioning_events(source='file:@ROOT@/tests/data/seed003_page_failure.json');",
       "SELECT e.id, s.step, s.name, s.status, m.name, m.new_value FROM ev e, provisioning_steps(e.provisioning_steps) s"
       " LEFT JOIN provisioning_modified_properties(e.modified_properties) m ON m.position = s.step"
       " ORDER BY e.id, s.step;",
       0, 0},
      {"insert + update",
       "CREATE VIRTUAL TABLE temp.w USING provisioning_events(source='file:oom_copy.json', writable=1);",
       "INSERT INTO w(activity_date_time, job_id, action, duration_ms, status, target_identity_name) "
       " VALUES ('2024-06-01T12:00:00+02:00', 'job-oom', 'create', 12, 'failure', 'O''Brien');"
       "UPDATE w SET status = 'success', duration_ms = 30 WHERE job_id = 'job-oom';"
       "SELECT job_id, status, duration_ms, activity_date_time FROM w ORDER BY activity_date_time;",
       "tests/data/seed003_page_failure.json", 0},
      {"sync",
       "CREATE VIRTUAL TABLE temp.ev USING provisioning_events(source='file:@ROOT@/tests/data/seed003_page_failure.json');"
       "CREATE TABLE temp.loc(id TEXT PRIMARY KEY, activity_date_time TEXT NOT NULL, status TEXT, raw TEXT);",
       "SELECT provisioning_sync('ev', 'loc', '2 hours', 'slog');"
       "SELECT count(*), group_concat(status) FROM loc;",
       0, 0},
      {"mock select",
       "CREATE VIRTUAL TABLE temp.g USING provisioning_events(source='@MOCK@/s/oom/v1.0', page_size=3, max_retries=0, "
       " rate_limit=100000, rate_window=1);",
       "SELECT id, status, duration_ms FROM g WHERE status = 'failure' LIMIT 4;",
       0, 0},
      {"mock insert + update",
       "CREATE VIRTUAL TABLE temp.w USING provisioning_events(source='@MOCK@/s/oomw/v1.0', writable=1, "
       " max_retries=0, rate_limit=100000, rate_window=1);",
       "INSERT INTO w(activity_date_time, job_id, action, duration_ms, status, target_identity_name) "
       " VALUES ('2024-06-01T12:00:00+02:00', 'job-oom', 'create', 12, 'failure', 'O''Brien');"
       "UPDATE w SET status = 'success', duration_ms = 30 WHERE job_id = 'job-oom';"
       "SELECT job_id, status, duration_ms, activity_date_time, target_identity_name FROM w WHERE job_id = 'job-oom';",
       0, "oomw"},
      {"mock flows",
       "CREATE VIRTUAL TABLE temp.f USING provisioning_flows(source='@MOCK@/s/oomfl/beta', writable=1, "
       " max_retries=0, rate_limit=100000, rate_window=1);",
       "INSERT INTO f(flow_set_id, flow_type, readiness_status, creation_options) VALUES ('fs-0001', "
       " 'administrativeUnit', 'notReady', '{\"createBasedOnOrg\":true, \"createBasedOnOrgPlusRoleGroup\":false}');"
       "UPDATE f SET create_unmatched_users = 1, management_options = '{\"additionalOptions\":{\"studentAgeGroup\":\"minor\"}}'"
       " WHERE flow_set_id = 'fs-0001' AND readiness_status = 'notReady';"
       "SELECT flow_set_id, flow_type, readiness_status, creation_options, create_unmatched_users, management_options"
       " FROM f WHERE flow_set_id = 'fs-0001' ORDER BY flow_type, readiness_status;"
       "SELECT id, flow_type FROM f WHERE flow_set_id = 'fs-0001' AND id IN ('fl-0002', 'fl-9999');"
       "SELECT provisioning_flow_reset('fs-0001', 'fl-0001'), provisioning_flow_reset('fs-0002', 'fl-0003', 'temp.f');",
       0, "oomfl"},
      {"mock flow sets",
       "CREATE VIRTUAL TABLE temp.s USING provisioning_flow_sets(source='@MOCK@/s/oomfs/beta', writable=1, "
       " max_retries=0, rate_limit=100000, rate_window=1);",
       "INSERT INTO s(display_name, filter) VALUES ('O''Brien set', '{\"attribute\": \"orgExternalId\", \"in\": [\"o\"]}');"
       "UPDATE s SET display_name = 'renamed', filter = NULL WHERE id = 'fs-0002';"
       "DELETE FROM s WHERE id = 'fs-0001';"
       "SELECT display_name, filter FROM s ORDER BY display_name;",
       0, "oomfs"},
  };
  int nScen = (int)(sizeof(aScen) / sizeof(aScen[0]));
  const char *zMock = getenv("MOCK_URL");
  for (int i = 0; i < nScen; i++) {
    const char *zOnly = getenv("OOM_ONLY");
    if (zOnly && strncmp(aScen[i].zName, zOnly, strlen(zOnly)) != 0) continue;
    if (strncmp(aScen[i].zName, "mock", 4) == 0 && (!zMock || !zMock[0])) {
      printf("%s: skipped (no MOCK_URL)\n", aScen[i].zName);
      continue;
    }
    test_scen(&aScen[i]);
  }
  unlink("oom_copy.json");
  return unit_finish();
}

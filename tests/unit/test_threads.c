/*
** test_threads.c: the extension used from several threads.
**
**  1. Two connections, each in its own thread, query the mock server at
**     once (and the file source), several rounds each: every result equals
**     the one-thread baseline.
**  2. One connection used from two threads in turn, serialized with a
**     mutex (as ODBC hosts do): each thread prepares, steps and finalizes
**     its own statements on the shared connection, alternating.
**
** The mock part needs MOCK_URL (skipped without it; the file part runs).
** tests/sh/tsan_threads.sh builds this file with -fsanitize=thread and runs
** it: ThreadSanitizer then checks the extension's shared state (curl global
** init, the memory cache, the per-connection globals) for races.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../ext/provisioning.c" /* the entry point (excluded from the unit build) */
#include "unit.h"

static char zRoot[1024];
static const char *zMock;

/* Run zSql (one statement) and return its rows as text (malloc'd), or NULL with the error. */
static char *query(sqlite3 *db, const char *zSql, char *zErrOut, size_t nErrOut) {
  sqlite3_stmt *st = 0;
  if (sqlite3_prepare_v2(db, zSql, -1, &st, 0) != SQLITE_OK) {
    snprintf(zErrOut, nErrOut, "%s", sqlite3_errmsg(db));
    return 0;
  }
  size_t n = 0, nAlloc = 1024;
  char *z = malloc(nAlloc);
  z[0] = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(st); i++) {
      const char *v = (const char *)sqlite3_column_text(st, i);
      size_t k = strlen(v ? v : "NULL") + 2;
      if (n + k + 1 > nAlloc) {
        nAlloc = (n + k + 1) * 2;
        z = realloc(z, nAlloc);
      }
      n += (size_t)sprintf(z + n, "%s%c", v ? v : "NULL", i + 1 < sqlite3_column_count(st) ? '|' : '\n');
    }
  }
  if (rc != SQLITE_DONE) {
    snprintf(zErrOut, nErrOut, "%s", sqlite3_errmsg(db));
    free(z);
    z = 0;
  }
  sqlite3_finalize(st);
  return z;
}

static void exec(sqlite3 *db, const char *zSql) {
  char *zErr = 0;
  if (sqlite3_exec(db, zSql, 0, 0, &zErr) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", zSql, zErr);
    exit(1);
  }
}

/* ---- 1. two connections at once */

#define N_ROUND 4

typedef struct job {
  int id;
  const char *zSetup;
  const char *azSql[3];
  char *azWant[3];
  int nOk;
} job;

static void *job_main(void *p) {
  job *j = p;
  for (int r = 0; r < N_ROUND; r++) {
    sqlite3 *db = unit_open_db();
    exec(db, j->zSetup);
    for (int k = 0; k < 3 && j->azSql[k]; k++) {
      char zErr[512] = "";
      char *z = query(db, j->azSql[k], zErr, sizeof(zErr));
      CHECK(z && strcmp(z, j->azWant[k]) == 0, "thread %d round %d query %d: %s", j->id, r, k,
            z ? "rows differ from the baseline" : zErr);
      if (z && strcmp(z, j->azWant[k]) == 0) j->nOk++;
      free(z);
    }
    sqlite3_close(db);
  }
  return 0;
}

static void baseline(job *j) {
  sqlite3 *db = unit_open_db();
  exec(db, j->zSetup);
  for (int k = 0; k < 3 && j->azSql[k]; k++) {
    char zErr[512] = "";
    j->azWant[k] = query(db, j->azSql[k], zErr, sizeof(zErr));
    if (!j->azWant[k] || !j->azWant[k][0]) {
      fprintf(stderr, "baseline %d/%d: %s (%s)\n", j->id, k, zErr, j->azSql[k]);
      exit(1);
    }
  }
  sqlite3_close(db);
}

static void test_two_connections(void) {
  char zSetupMock[2][2048], zSetupFile[2048];
  job aJob[4];
  int nJob = 0;
  snprintf(zSetupFile, sizeof(zSetupFile),
           "CREATE VIRTUAL TABLE temp.ev USING provisioning_events(source='file:%s/tests/data/seed003_page_failure.json');",
           zRoot);
  for (int t = 0; t < 2; t++) {
    if (zMock) {
      /* the two threads read different scenarios of the same mock at once,
      ** both through the process-wide memory cache (1 s TTL: hits and misses) */
      snprintf(zSetupMock[t], sizeof(zSetupMock[t]),
               "CREATE VIRTUAL TABLE temp.g USING provisioning_events(source='%s/s/thr%d/v1.0', page_size=50, "
               "rate_limit=100000, rate_window=1%s);",
               zMock, t, ", cache='memory', cache_ttl=1");
      job *j = &aJob[nJob++];
      memset(j, 0, sizeof(*j));
      j->id = nJob;
      j->zSetup = zSetupMock[t];
      j->azSql[0] = t == 0 ? "SELECT id, status, duration_ms FROM g WHERE status = 'failure' LIMIT 120"
                           : "SELECT count(*), sum(duration_ms) FROM (SELECT duration_ms FROM g LIMIT 300)";
      j->azSql[1] = "SELECT s.name, s.status FROM (SELECT provisioning_steps FROM g LIMIT 20) e, "
                    "provisioning_steps(e.provisioning_steps) s";
      j->azSql[2] = "SELECT provisioning_scan_stats() IS NOT NULL";
    }
    job *j = &aJob[nJob++];
    memset(j, 0, sizeof(*j));
    j->id = nJob;
    j->zSetup = zSetupFile;
    j->azSql[0] = "SELECT id, status, activity_date_time FROM ev ORDER BY activity_date_time";
    j->azSql[1] = "SELECT e.id, s.step, s.name FROM ev e, provisioning_steps(e.provisioning_steps) s";
  }
  for (int i = 0; i < nJob; i++) baseline(&aJob[i]);
  pthread_t aThr[4];
  for (int i = 0; i < nJob; i++) pthread_create(&aThr[i], 0, job_main, &aJob[i]);
  for (int i = 0; i < nJob; i++) pthread_join(aThr[i], 0);
  for (int i = 0; i < nJob; i++) {
    int nWant = 0;
    for (int k = 0; k < 3 && aJob[i].azSql[k]; k++) nWant++;
    CHECK(aJob[i].nOk == nWant * N_ROUND, "job %d: %d of %d queries right", aJob[i].id, aJob[i].nOk,
          nWant * N_ROUND);
    for (int k = 0; k < 3; k++) free(aJob[i].azWant[k]);
  }
  printf("two connections: %d threads x %d rounds (%s)\n", nJob, N_ROUND, zMock ? "mock and file" : "file only");
}

/* ---- 2. one connection, two threads in turn */

typedef struct shared {
  sqlite3 *db;
  pthread_mutex_t m;
  pthread_cond_t c;
  int turn; /* whose turn: 0 or 1 */
  int nStep;
  const char *zSql;
  const char *zWant;
  int nOk[2];
} shared;

typedef struct turn_arg {
  shared *s;
  int me;
} turn_arg;

#define N_TURN 6

static void *turn_main(void *p) {
  turn_arg *a = p;
  shared *s = a->s;
  for (int i = 0; i < N_TURN; i++) {
    pthread_mutex_lock(&s->m);
    while (s->turn != a->me) pthread_cond_wait(&s->c, &s->m);
    char zErr[512] = "";
    char *z = query(s->db, s->zSql, zErr, sizeof(zErr));
    CHECK(z && strcmp(z, s->zWant) == 0, "thread %d turn %d: %s", a->me, i, z ? "rows differ" : zErr);
    if (z && strcmp(z, s->zWant) == 0) s->nOk[a->me]++;
    free(z);
    /* a statement left half-stepped, finished by the other thread */
    sqlite3_stmt *st = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM t", -1, &st, 0) == SQLITE_OK) {
      sqlite3_step(st);
      sqlite3_finalize(st);
    }
    s->turn = !s->turn;
    pthread_cond_broadcast(&s->c);
    pthread_mutex_unlock(&s->m);
  }
  return 0;
}

static void test_one_connection(void) {
  shared s;
  memset(&s, 0, sizeof(s));
  pthread_mutex_init(&s.m, 0);
  pthread_cond_init(&s.c, 0);
  s.db = unit_open_db();
  char zSql[2048];
  if (zMock) {
    snprintf(zSql, sizeof(zSql),
             "CREATE VIRTUAL TABLE temp.t USING provisioning_events(source='%s/s/thr_one/v1.0', page_size=40, "
             "rate_limit=100000, rate_window=1);",
             zMock);
    s.zSql = "SELECT id, status FROM t WHERE status = 'success' LIMIT 100";
  } else {
    snprintf(zSql, sizeof(zSql),
             "CREATE VIRTUAL TABLE temp.t USING provisioning_events(source='file:%s/tests/data/beta_and_v1.ndjson');",
             zRoot);
    s.zSql = "SELECT id, status FROM t";
  }
  exec(s.db, zSql);
  char zErr[512] = "";
  char *zWant = query(s.db, s.zSql, zErr, sizeof(zErr));
  if (!zWant || !zWant[0]) {
    fprintf(stderr, "baseline: %s\n", zErr);
    exit(1);
  }
  s.zWant = zWant;
  pthread_t t0, t1;
  turn_arg a0 = {&s, 0}, a1 = {&s, 1};
  pthread_create(&t0, 0, turn_main, &a0);
  pthread_create(&t1, 0, turn_main, &a1);
  pthread_join(t0, 0);
  pthread_join(t1, 0);
  CHECK(s.nOk[0] == N_TURN && s.nOk[1] == N_TURN, "turns right: %d and %d of %d", s.nOk[0], s.nOk[1], N_TURN);
  free(zWant);
  sqlite3_close(s.db);
  pthread_mutex_destroy(&s.m);
  pthread_cond_destroy(&s.c);
  printf("one connection: two threads x %d turns (%s)\n", N_TURN, zMock ? "mock" : "file");
}

int main(void) {
  unit_root(zRoot, sizeof(zRoot));
  zMock = unit_mock_url();
  if (!sqlite3_threadsafe()) {
    printf("sqlite3 built without threads: skipped\n");
    return 77;
  }
  test_two_connections();
  test_one_connection();
  return unit_finish();
}

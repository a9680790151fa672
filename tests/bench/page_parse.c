/*
** page_parse.c: how long one Graph page of events takes to split and index
** in memory (the HTTP source's work per response, without the network).
**
**   page_parse FILE [REPS]
**
** FILE holds one page {"value":[...]} (build/gen_events --format page).
** The page is read into memory once; then, REPS times (default 5), it is
** split with rec_open(..., NULL, NULL, buf, len) / rec_next and every record
** is indexed with ev_row_load (the table's per-row work before any column is
** read); a second pass also reads the 15 benchmark columns with
** ev_row_value. Prints the best time of each, in milliseconds:
**   events=N bytes=B load_ms=X cols15_ms=Y
** Built against the repository's ext sources with -DSQLITE_CORE (tests/bench/run.sh).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_row.h"
#include "records.h"
#include "schema.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *azCol[15] = {
    "id", "activity_date_time", "tenant_id", "job_id", "cycle_id",
    "change_id", "action", "duration_ms", "status", "error_code",
    "service_principal_id", "service_principal_name", "initiated_by_name",
    "source_identity_id", "target_identity_type"};

/* One pass over the page; bCols: also read the 15 columns. -1 on error. */
static long one_pass(const char *buf, size_t len, int *aiCol, int bCols, double *pMs) {
  rec_splitter *p = 0;
  ev_row row;
  long nEv = 0;
  const char *z;
  size_t n;
  sqlite3_int64 off;
  char *zErr = 0;
  int rc;
  double t0 = now_ms();
  memset(&row, 0, sizeof(row));
  if (rec_open(&p, "page", NULL, NULL, buf, len) != SQLITE_OK) return -1;
  while ((rc = rec_next(p, &z, &n, &off, &zErr)) == SQLITE_ROW) {
    int nm = -1;
    const pj_member *am = rec_members(p, &nm);
    if (ev_row_load(&row, z, n, am, nm) != SQLITE_OK) { rc = SQLITE_ERROR; break; }
    if (bCols) {
      int i;
      for (i = 0; i < 15; i++) {
        pv_value v;
        if (ev_row_value(&row, aiCol[i], &v) != SQLITE_OK) { rc = SQLITE_ERROR; break; }
      }
      if (rc == SQLITE_ERROR) break;
    }
    nEv++;
  }
  *pMs = now_ms() - t0;
  if (rc != SQLITE_DONE) {
    fprintf(stderr, "page_parse: %s\n", zErr ? zErr : "error");
    nEv = -1;
  }
  sqlite3_free(zErr);
  ev_row_free(&row);
  rec_close(p);
  return nEv;
}

int main(int argc, char **argv) {
  FILE *f;
  char *buf;
  long len, nEv = 0;
  int reps = argc > 2 ? atoi(argv[2]) : 5, i, aiCol[15];
  double best[2] = {1e18, 1e18};
  if (argc < 2) { fprintf(stderr, "usage: page_parse FILE [REPS]\n"); return 2; }
  for (i = 0; i < 15; i++) {
    aiCol[i] = sch_events_find(azCol[i]);
    if (aiCol[i] < 0) { fprintf(stderr, "no column %s\n", azCol[i]); return 1; }
  }
  f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 1; }
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc(len + 1);
  if (!buf || fread(buf, 1, len, f) != (size_t)len) { fprintf(stderr, "read failed\n"); return 1; }
  fclose(f);
  for (i = 0; i < reps; i++) {
    int k;
    for (k = 0; k < 2; k++) {
      double ms;
      nEv = one_pass(buf, len, aiCol, k, &ms);
      if (nEv < 0) return 1;
      if (ms < best[k]) best[k] = ms;
    }
  }
  printf("events=%ld bytes=%ld load_ms=%.3f cols15_ms=%.3f\n", nEv, len, best[0], best[1]);
  free(buf);
  return 0;
}

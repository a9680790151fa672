/*
** fuzz_tvf.c: libFuzzer target for provisioning_steps(json) and
** provisioning_modified_properties(json) (ext/steps.c).
**
** Build and run with tests/fuzz/run.sh SECONDS (make fuzz), or by hand:
**   clang -g -O1 -fsanitize=fuzzer,address,undefined -DSQLITE_CORE -Iext \
**     tests/fuzz/fuzz_tvf.c ext/json.c ext/steps.c -lsqlite3 -o fuzz_tvf
**   ./fuzz_tvf tests/fuzz/corpus_tvf
**
** Each input is bound as TEXT (embedded NUL bytes included) to both
** functions on one in-memory database; every row is stepped and every
** column, the hidden argument and the rowid are read, so each string
** column goes through the unescaper. SQL errors (bad JSON, wrong shapes,
** bad surrogates) are expected results; crashes, sanitizer reports and
** leaks are the failures. Error messages are checked to name the function.
*/
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "steps.h"

static sqlite3 *db;
static sqlite3_stmt *aStmt[3];

static const char *azSql[] = {
    "SELECT step, name, step_type, status, description, details, json, rowid FROM provisioning_steps(?1)",
    "SELECT position, name, old_value, new_value, json, rowid FROM provisioning_modified_properties(?1)",
    /* the function on the inner side of a join with a usable argument */
    ("SELECT s.name, m.new_value FROM (SELECT ?1 AS j) e, provisioning_steps(e.j) s "
     "LEFT JOIN provisioning_modified_properties(e.j) m ON m.position = s.step"),
};

static void setup(void) {
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) abort();
  if (steps_register(db) != SQLITE_OK) abort();
  for (int i = 0; i < 3; i++) {
    if (sqlite3_prepare_v2(db, azSql[i], -1, &aStmt[i], 0) != SQLITE_OK) {
      fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
      abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!db) setup();
  if (size > 1000000) return 0;
  for (int i = 0; i < 3; i++) {
    sqlite3_stmt *p = aStmt[i];
    sqlite3_bind_text(p, 1, (const char *)data, (int)size, SQLITE_STATIC);
    int rc;
    long long nRow = 0;
    while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
      int nCol = sqlite3_column_count(p);
      for (int c = 0; c < nCol; c++) {
        const unsigned char *z = sqlite3_column_text(p, c);
        int n = sqlite3_column_bytes(p, c);
        volatile unsigned char sink = 0;
        if (z && n > 0) sink ^= z[0] ^ z[n - 1];
        (void)sink;
      }
      /* the position column counts from 0 without gaps */
      if (i < 2 && sqlite3_column_int64(p, 0) != nRow) abort();
      nRow++;
    }
    if (rc != SQLITE_DONE) {
      const char *zErr = sqlite3_errmsg(db);
      if (rc != SQLITE_ERROR && rc != SQLITE_NOMEM && rc != SQLITE_TOOBIG) abort();
      if (rc == SQLITE_ERROR && strncmp(zErr, "provisioning_", 13) != 0) {
        fprintf(stderr, "unexpected error text: %s\n", zErr);
        abort();
      }
    }
    sqlite3_reset(p);
    sqlite3_clear_bindings(p);
  }
  return 0;
}

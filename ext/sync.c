/*
** sync.c: provisioning_sync(), the incremental copy of events into an
** ordinary table (sql/sync.sql calls it).
**
** Usage:
**   SELECT provisioning_sync('events', 'events_local', '2 hours', 'sync_log');
**   -- {"since":"2024-06-30 21:59:59.0000000","fetched":57,"new":7,"committed":7}
**
** provisioning_sync(SOURCE, LOCAL [, LOOKBACK [, LOG]]) copies the rows of
** the table SOURCE (a provisioning_events table) into the ordinary table
** LOCAL (id PRIMARY KEY or UNIQUE, and the columns to copy: every column of
** LOCAL that SOURCE has, by name):
**   1. since = the newest activity_date_time in LOCAL minus LOOKBACK (an
**      SQLite time span such as '2 hours' or '90 minutes', or seconds;
**      default SYNC_DEFAULT_LOOKBACK), or 1970 when LOCAL is empty. Graph
**      lists some events late, with an activity time before events already
**      listed: re-reading a window before the newest copy picks them up,
**      and INSERT OR IGNORE on id skips what LOCAL already has.
**   2. SELECT ... FROM SOURCE WHERE activity_date_time > since ORDER BY
**      activity_date_time (sent to Graph as $filter and $orderby), copied in
**      that order and committed every SYNC_CHUNK rows. A failure part-way
**      (page 40 of 60) commits what was copied, which is every event up to
**      some time in order, so the next run resumes from there.
**   3. LOG (optional; created or completed when needed) gets one row:
**      synced_at, since, lookback, fetched (rows the source returned),
**      new_rows (rows LOCAL did not have), status ('ok' or the error).
** Why a function and not plain SQL: one INSERT ... SELECT is one statement,
** and a statement that fails rolls back everything it inserted; SQL cannot
** commit in the middle of a statement. It must be called outside BEGIN ...
** COMMIT, since it commits.
**
** Calls only the public SQLite API, on the caller's connection.
*/
#include <string.h>

#include "sync.h"
SQLITE_EXTENSION_INIT3

#define SYNC_DEFAULT_LOOKBACK "2 hours"
#define SYNC_CHUNK 1000

typedef struct sync_run {
  sqlite3 *db;
  const char *zSrc, *zLocal, *zLog;
  char *zLookback; /* as given, for the log */
  char *zSince;
  sqlite3_int64 nFetched, nNew, nCommitted;
} sync_run;

static int sync_exec(sqlite3 *db, const char *zSql) { return sqlite3_exec(db, zSql, 0, 0, 0); }

/* One text value from zSql with up to two text parameters (sqlite3_malloc'd, NULL for NULL). */
static int sync_value(sqlite3 *db, const char *zSql, const char *a, const char *b, char **pz) {
  sqlite3_stmt *p = 0;
  *pz = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &p, 0);
  if (rc == SQLITE_OK && a) rc = sqlite3_bind_text(p, 1, a, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK && b) rc = sqlite3_bind_text(p, 2, b, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(p);
    if (rc == SQLITE_ROW) {
      rc = SQLITE_OK;
      if (sqlite3_column_type(p, 0) != SQLITE_NULL) {
        *pz = sqlite3_mprintf("%s", sqlite3_column_text(p, 0));
        if (!*pz) rc = SQLITE_NOMEM;
      }
    } else if (rc == SQLITE_DONE) {
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(p);
  return rc;
}

/* Does table zTab have column zCol? *pbHas, or an error code. */
static int sync_has_column(sqlite3 *db, const char *zTab, const char *zCol, int *pbHas) {
  char *z = 0;
  int rc = sync_value(db, "SELECT name FROM pragma_table_xinfo(?1) WHERE name = ?2 COLLATE NOCASE", zTab, zCol, &z);
  *pbHas = z != 0;
  sqlite3_free(z);
  return rc;
}

/* The log table, with the columns this version writes (an older sync_log gets the new ones). */
static int sync_log_prepare(sqlite3 *db, const char *zLog) {
  static const char *const azCol[][2] = {{"synced_at", "TIMESTAMP"}, {"since", "TIMESTAMP"},
                                         {"lookback", "VARCHAR(32)"}, {"fetched", "INTEGER"},
                                         {"new_rows", "INTEGER"},     {"status", "TEXT"}};
  char *zSql = sqlite3_mprintf("CREATE TABLE IF NOT EXISTS \"%w\"(synced_at TIMESTAMP NOT NULL, since TIMESTAMP, "
                               "lookback VARCHAR(32), fetched INTEGER, new_rows INTEGER, status TEXT)",
                               zLog);
  int rc = zSql ? sync_exec(db, zSql) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  for (size_t i = 0; rc == SQLITE_OK && i < sizeof(azCol) / sizeof(azCol[0]); i++) {
    int h = 0;
    rc = sync_has_column(db, zLog, azCol[i][0], &h);
    if (rc || h) continue;
    zSql = sqlite3_mprintf("ALTER TABLE \"%w\" ADD COLUMN %s %s", zLog, azCol[i][0], azCol[i][1]);
    rc = zSql ? sync_exec(db, zSql) : SQLITE_NOMEM;
    sqlite3_free(zSql);
  }
  return rc;
}

static int sync_log_write(sync_run *r, const char *zStatus) {
  if (!r->zLog) return SQLITE_OK;
  char *zSql = sqlite3_mprintf("INSERT INTO \"%w\"(synced_at, since, lookback, fetched, new_rows, status) "
                               "VALUES (strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now'), ?1, ?2, %lld, %lld, ?3)",
                               r->zLog, r->nFetched, r->nNew);
  sqlite3_stmt *p = 0;
  int rc = zSql ? sqlite3_prepare_v2(r->db, zSql, -1, &p, 0) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(p, 1, r->zSince, -1, SQLITE_STATIC);
    sqlite3_bind_text(p, 2, r->zLookback, -1, SQLITE_STATIC);
    sqlite3_bind_text(p, 3, zStatus, -1, SQLITE_STATIC);
    rc = sqlite3_step(p) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(r->db);
  }
  sqlite3_finalize(p);
  return rc;
}

/* The columns of LOCAL that SOURCE has: "a","b",... and ?1,?2,... (sqlite3_malloc'd). */
static int sync_columns(sync_run *r, char **pzCols, char **pzSlots, int *pnCol, char **pzErr) {
  sqlite3_stmt *p = 0;
  sqlite3_str *c = sqlite3_str_new(0), *s = sqlite3_str_new(0);
  int n = 0, bId = 0, bTime = 0;
  int rc = sqlite3_prepare_v2(r->db,
                              "SELECT l.name FROM pragma_table_info(?1) l WHERE EXISTS "
                              "(SELECT 1 FROM pragma_table_xinfo(?2) s WHERE s.name = l.name COLLATE NOCASE) "
                              "ORDER BY l.cid",
                              -1, &p, 0);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(p, 1, r->zLocal, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(p, 2, r->zSrc, -1, SQLITE_STATIC);
  while (rc == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW) {
    const char *zName = (const char *)sqlite3_column_text(p, 0);
    if (!zName) {
      rc = SQLITE_NOMEM;
      break;
    }
    if (sqlite3_stricmp(zName, "id") == 0) bId = 1;
    if (sqlite3_stricmp(zName, "activity_date_time") == 0) bTime = 1;
    sqlite3_str_appendf(c, "%s\"%w\"", n ? "," : "", zName);
    sqlite3_str_appendf(s, "%s?%d", n ? "," : "", n + 1);
    n++;
  }
  if (rc == SQLITE_OK) rc = sqlite3_finalize(p);
  else sqlite3_finalize(p);
  *pzCols = sqlite3_str_finish(c);
  *pzSlots = sqlite3_str_finish(s);
  *pnCol = n;
  if (rc == SQLITE_OK && (!*pzCols || !*pzSlots)) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK && (!bId || !bTime)) {
    *pzErr = sqlite3_mprintf("provisioning_sync: '%s' and '%s' must both have the columns id and "
                             "activity_date_time (does '%s' exist?)",
                             r->zSrc, r->zLocal, r->zLocal);
    rc = SQLITE_ERROR;
  }
  return rc;
}

static void syncFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sync_run r;
  sqlite3_stmt *pSel = 0, *pIns = 0;
  char *zCols = 0, *zSlots = 0, *zErr = 0, *zNewest = 0, *zSql = 0;
  int nCol = 0, rc = SQLITE_OK, bTxn = 0;
  memset(&r, 0, sizeof(r));
  r.db = sqlite3_context_db_handle(ctx);
  r.zSrc = (const char *)sqlite3_value_text(argv[0]);
  r.zLocal = (const char *)sqlite3_value_text(argv[1]);
  r.zLog = argc > 3 ? (const char *)sqlite3_value_text(argv[3]) : 0;
  if (!r.zSrc || !r.zLocal) {
    sqlite3_result_error(ctx, "provisioning_sync(source_table, local_table [, lookback [, log_table]]): "
                              "the two table names are required", -1);
    return;
  }
  if (!sqlite3_get_autocommit(r.db)) {
    sqlite3_result_error(ctx, "provisioning_sync: it commits as it copies: call it outside BEGIN ... COMMIT", -1);
    return;
  }
  /* the look-back window as an SQLite modifier */
  char *zMod;
  if (argc > 2 && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
    int t = sqlite3_value_type(argv[2]);
    r.zLookback = sqlite3_mprintf("%s", sqlite3_value_text(argv[2]));
    zMod = t == SQLITE_TEXT ? sqlite3_mprintf("-%s", sqlite3_value_text(argv[2]))
                            : sqlite3_mprintf("-%f seconds", sqlite3_value_double(argv[2]));
  } else {
    r.zLookback = sqlite3_mprintf("%s", SYNC_DEFAULT_LOOKBACK);
    zMod = sqlite3_mprintf("-%s", SYNC_DEFAULT_LOOKBACK);
  }
  if (!r.zLookback || !zMod) {
    sqlite3_free(zMod);
    rc = SQLITE_NOMEM;
    goto done;
  }
  if (strchr(r.zLookback, '"') || strchr(r.zLookback, '\\')) {
    rc = SQLITE_ERROR;
  } else {
    char *zOk = 0;
    rc = sync_value(r.db, "SELECT strftime('%s', 'now', ?1)", zMod, 0, &zOk);
    if (rc == SQLITE_OK && !zOk) rc = SQLITE_ERROR;
    sqlite3_free(zOk);
  }
  if (rc == SQLITE_ERROR) {
    zErr = sqlite3_mprintf("provisioning_sync: lookback '%s' is not a time span (e.g. '2 hours', '90 minutes', "
                           "or a number of seconds)", r.zLookback);
    sqlite3_free(zMod);
    goto done;
  }
  if (rc == SQLITE_OK && r.zLog) rc = sync_log_prepare(r.db, r.zLog);
  if (rc == SQLITE_OK) rc = sync_columns(&r, &zCols, &zSlots, &nCol, &zErr);
  if (rc == SQLITE_OK) {
    zSql = sqlite3_mprintf("SELECT max(activity_date_time) FROM \"%w\"", r.zLocal);
    rc = zSql ? sync_value(r.db, zSql, 0, 0, &zNewest) : SQLITE_NOMEM;
    sqlite3_free(zSql);
  }
  if (rc == SQLITE_OK) {
    if (zNewest) {
      /* whole seconds, a little earlier at most: the window only grows */
      rc = sync_value(r.db, "SELECT strftime('%Y-%m-%d %H:%M:%S', ?1, ?2) || '.0000000'", zNewest, zMod, &r.zSince);
      if (rc == SQLITE_OK && !r.zSince) {
        zErr = sqlite3_mprintf("provisioning_sync: the newest time in '%s' ('%s') is not a date-time", r.zLocal,
                               zNewest);
        rc = SQLITE_ERROR;
      }
    } else {
      r.zSince = sqlite3_mprintf("1970-01-01 00:00:00.0000000");
      if (!r.zSince) rc = SQLITE_NOMEM;
    }
  }
  sqlite3_free(zMod);
  if (rc == SQLITE_OK) {
    zSql = sqlite3_mprintf("SELECT %s FROM \"%w\" WHERE activity_date_time > ?1 ORDER BY activity_date_time", zCols,
                           r.zSrc);
    rc = zSql ? sqlite3_prepare_v2(r.db, zSql, -1, &pSel, 0) : SQLITE_NOMEM;
    sqlite3_free(zSql);
  }
  if (rc == SQLITE_OK) {
    zSql = sqlite3_mprintf("INSERT OR IGNORE INTO \"%w\"(%s) VALUES (%s)", r.zLocal, zCols, zSlots);
    rc = zSql ? sqlite3_prepare_v2(r.db, zSql, -1, &pIns, 0) : SQLITE_NOMEM;
    sqlite3_free(zSql);
  }
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(pSel, 1, r.zSince, -1, SQLITE_STATIC);
  if (rc && !zErr) zErr = sqlite3_mprintf("provisioning_sync: %s", sqlite3_errmsg(r.db));
  if (rc == SQLITE_OK) {
    rc = sync_exec(r.db, "BEGIN");
    bTxn = rc == SQLITE_OK;
  }
  sqlite3_int64 nChunk = 0;
  while (rc == SQLITE_OK) {
    int rcStep = sqlite3_step(pSel);
    if (rcStep == SQLITE_DONE) break;
    if (rcStep != SQLITE_ROW) {
      /* the source failed part-way: keep what was copied (every event up to a time, in order) */
      zErr = sqlite3_mprintf("provisioning_sync: %s (%lld rows copied and kept; the next run resumes)",
                             sqlite3_errmsg(r.db), r.nFetched);
      rc = (rcStep & 0xff) == SQLITE_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
      break;
    }
    r.nFetched++;
    for (int i = 0; i < nCol && rc == SQLITE_OK; i++) rc = sqlite3_bind_value(pIns, i + 1, sqlite3_column_value(pSel, i));
    if (rc == SQLITE_OK) {
      int rcIns = sqlite3_step(pIns);
      if (rcIns == SQLITE_DONE) {
        r.nNew += sqlite3_changes(r.db);
      } else {
        zErr = sqlite3_mprintf("provisioning_sync: inserting into '%s': %s", r.zLocal, sqlite3_errmsg(r.db));
        rc = (rcIns & 0xff) == SQLITE_NOMEM || sqlite3_errcode(r.db) == SQLITE_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
      }
      sqlite3_reset(pIns);
    }
    if (rc == SQLITE_OK && ++nChunk >= SYNC_CHUNK) {
      rc = sync_exec(r.db, "COMMIT");
      if (rc == SQLITE_OK) {
        r.nCommitted = r.nNew;
        nChunk = 0;
        rc = sync_exec(r.db, "BEGIN");
      }
      if (rc) {
        bTxn = !sqlite3_get_autocommit(r.db);
        if (!zErr) zErr = sqlite3_mprintf("provisioning_sync: commit: %s", sqlite3_errmsg(r.db));
      }
    }
  }
  sqlite3_finalize(pSel);
  pSel = 0;
  sqlite3_finalize(pIns);
  pIns = 0;
  if (bTxn && rc != SQLITE_NOMEM) {
    /* what was copied stays, also when the source failed: the log row goes with it */
    int rc2 = sync_log_write(&r, rc == SQLITE_OK ? "ok" : (zErr ? zErr : "failed"));
    if (rc2 == SQLITE_OK) rc2 = sync_exec(r.db, "COMMIT");
    if (rc2 == SQLITE_OK) {
      bTxn = 0;
      r.nCommitted = r.nNew;
    } else if (rc == SQLITE_OK) {
      rc = rc2;
      zErr = sqlite3_mprintf("provisioning_sync: commit: %s", sqlite3_errmsg(r.db));
    }
  }
done:
  if (bTxn && !sqlite3_get_autocommit(r.db)) sync_exec(r.db, "ROLLBACK");
  sqlite3_finalize(pSel);
  sqlite3_finalize(pIns);
  if ((rc & 0xff) == SQLITE_NOMEM) {
    sqlite3_result_error_nomem(ctx); /* whatever message could be made */
  } else if (rc == SQLITE_OK) {
    char *z = sqlite3_mprintf("{\"since\":\"%s\",\"lookback\":\"%s\",\"fetched\":%lld,\"new\":%lld}", r.zSince,
                              r.zLookback, r.nFetched, r.nNew);
    if (z) sqlite3_result_text(ctx, z, -1, sqlite3_free);
    else sqlite3_result_error_nomem(ctx);
  } else {
    sqlite3_result_error(ctx, zErr ? zErr : "provisioning_sync: failed", -1);
  }
  sqlite3_free(zErr);
  sqlite3_free(zCols);
  sqlite3_free(zSlots);
  sqlite3_free(zNewest);
  sqlite3_free(r.zSince);
  sqlite3_free(r.zLookback);
}

int sync_register(sqlite3 *db) {
  int rc = SQLITE_OK;
  for (int n = 2; n <= 4 && rc == SQLITE_OK; n++) {
    rc = sqlite3_create_function(db, "provisioning_sync", n, SQLITE_UTF8 | SQLITE_DIRECTONLY, 0, syncFunc, 0, 0);
  }
  return rc;
}

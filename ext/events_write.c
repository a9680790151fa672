/*
** events_write.c: writes to provisioning_events (writable=1).
**
** Usage:
**   CREATE VIRTUAL TABLE ev USING provisioning_events(
**       source='https://graph.microsoft.com/v1.0', auth='env:GRAPH_TOKEN', writable=1);
**   INSERT INTO ev(job_id, status) VALUES ('job-1', 'success');
**   SELECT provisioning_last_insert_id();      -- after COMMIT
**   UPDATE ev SET status = 'failure' WHERE id = '...';
**
** How it works: each change is checked and queued (writes.h); the queue is
** sent at COMMIT:
**   INSERT  POST  /auditLogs/provisioning (or directoryProvisioning; /$ref
**           with ref=1): the columns given at their Graph paths in the
**           nested shape, or raw as the whole object;
**   UPDATE  PATCH {collection}/{id}: only the columns that changed.
**   DELETE is refused (Graph has none for these events). Values are bound
**   into json_set() by the event catalogue (schema.c): times in ISO form,
**   Int32 checked, JSON columns checked and kept as JSON.
**
** Calls: writes.h (queue), global.h, schema.h (catalogue), plan.h (values,
** time text), json.h (checks, hash), odata.h (percent-encoding), SQLite.
*/
#include "events_write.h"

#include <string.h>

#include "json.h"
#include "odata.h"
#include "plan.h"
#include "schema.h"

SQLITE_EXTENSION_INIT3

/* What the writes need of the table. */
typedef struct evw {
  writes_table *t;
  sqlite3 *db;
  const prov_options *opts;
  const char *zPath; /* Graph path of the collection */
} evw;

/* Set the table's error message; SQLITE_ERROR, or SQLITE_NOMEM when the message could not be made. */
static int ev_set_error(evw *v, char *zMsg) { return prov_vtab_error(&v->t->base, zMsg); }

/* The Graph property path of column i in a request body ('a/b' -> '$.a.b'). */
static char *ev_json_path(evw *v, int i) {
  const sch_column *col = &sch_events[i];
  const char *zPath = col->azPath[0];
  int bBeta = strcmp(v->opts->zCollection, "directoryProvisioning") == 0;
  if (bBeta && col->azPath[1] &&
      (strncmp(zPath, "provisioningStatusInfo", 22) == 0 || strcmp(zPath, "provisioningAction") == 0)) {
    zPath = col->azPath[1];
  }
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "$.");
  for (const char *p = zPath; *p; p++) sqlite3_str_appendchar(s, 1, *p == '/' ? '.' : *p);
  return sqlite3_str_finish(s);
}

/*
** Check value pVal for column i and bind it for json_set() at slot iSlot
** (as Graph wants it: times in ISO form, JSON columns as JSON).
*/
static int ev_bind_value(evw *v, sqlite3_stmt *pStmt, int iSlot, int i, sqlite3_value *pVal) {
  const sch_column *col = &sch_events[i];
  int t = sqlite3_value_type(pVal);
  if (t == SQLITE_NULL) return sqlite3_bind_null(pStmt, iSlot);
  switch (col->eKind) {
    case SCH_TIME: {
      char zCanon[PQ_TIME_LEN + 1], zIso[30];
      const char *z = (const char *)sqlite3_value_text(pVal);
      if (!z) return SQLITE_NOMEM; /* not NULL (checked above): out of memory */
      if (!pq_time_normalize(z, sqlite3_value_bytes(pVal), zCanon)) {
        return ev_set_error(v, sqlite3_mprintf("provisioning_events: %s: '%s' is not a date-time (e.g. "
                                        "'2024-06-01 10:00:00' or '2024-06-01T10:00:00Z')",
                                        col->zName, z ? z : ""));
      }
      pq_time_to_odata(zCanon, zIso);
      return sqlite3_bind_text(pStmt, iSlot, zIso, -1, SQLITE_TRANSIENT);
    }
    case SCH_INT: {
      pv_value pv;
      int rc = pq_prepare_value(i, pVal, &pv);
      if (rc) return rc;
      sqlite3_free((char *)pv.z);
      if (pv.eType != SQLITE_INTEGER || pv.i < -2147483648LL || pv.i > 2147483647LL) {
        return ev_set_error(v, sqlite3_mprintf("provisioning_events: %s must be an integer (Int32), not '%s'", col->zName,
                                        sqlite3_value_text(pVal)));
      }
      return sqlite3_bind_int64(pStmt, iSlot, pv.i);
    }
    case SCH_JSON:
    case SCH_RAW: {
      const char *z = (const char *)sqlite3_value_text(pVal);
      size_t n = (size_t)sqlite3_value_bytes(pVal), errOff;
      const char *zWhy;
      if (!z) return SQLITE_NOMEM;
      if (pj_check_one(z, n, &errOff, &zWhy, 0) != PJ_OK) {
        return ev_set_error(v, sqlite3_mprintf("provisioning_events: %s is not valid JSON (%s at byte %lld)", col->zName,
                                        zWhy, (long long)errOff));
      }
      return sqlite3_bind_text(pStmt, iSlot, z, (int)n, SQLITE_TRANSIENT);
    }
    default:
      if (t != SQLITE_TEXT) {
        /* TEXT columns take text; numbers become their text, as in SQLite */
        return sqlite3_bind_text(pStmt, iSlot, (const char *)sqlite3_value_text(pVal), -1, SQLITE_TRANSIENT);
      }
      return sqlite3_bind_value(pStmt, iSlot, pVal);
  }
}

/*
** A JSON object holding, at each column's Graph path, the value of argv
** for the columns where aUse[i] is set; zBase is the starting object.
*/
static int ev_build_body(evw *v, const char *zBase, sqlite3_value **aCol, const int *aUse, char **pzBody) {
  sqlite3_str *s = sqlite3_str_new(0);
  char *azPath[EV_NCOLUMN];
  int aSlotCol[EV_NCOLUMN], nSlot = 0, rc = SQLITE_OK;
  sqlite3_stmt *pStmt = 0;
  *pzBody = 0;
  sqlite3_str_appendall(s, "SELECT json_set(?1");
  for (int i = 0; i < EV_NCOLUMN; i++) {
    if (!aUse[i] || i == EV_COLUMN_RAW) continue;
    azPath[nSlot] = ev_json_path(v, i);
    if (!azPath[nSlot]) rc = SQLITE_NOMEM;
    aSlotCol[nSlot] = i;
    int k = 2 + nSlot * 2;
    int bJson = sch_events[i].eKind == SCH_JSON && sqlite3_value_type(aCol[i]) != SQLITE_NULL;
    sqlite3_str_appendf(s, ", ?%d, %s?%d%s", k, bJson ? "json(" : "", k + 1, bJson ? ")" : "");
    nSlot++;
  }
  sqlite3_str_appendall(s, ")");
  char *zSql = sqlite3_str_finish(s);
  if (!zSql) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(v->db, zSql, -1, &pStmt, 0);
  sqlite3_free(zSql);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(pStmt, 1, zBase, -1, SQLITE_STATIC);
  for (int k = 0; k < nSlot && rc == SQLITE_OK; k++) {
    rc = sqlite3_bind_text(pStmt, 2 + k * 2, azPath[k], -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = ev_bind_value(v, pStmt, 3 + k * 2, aSlotCol[k], aCol[aSlotCol[k]]);
  }
  if (rc == SQLITE_OK) {
    if (sqlite3_step(pStmt) == SQLITE_ROW) {
      *pzBody = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
      if (!*pzBody) rc = SQLITE_NOMEM;
    } else {
      rc = sqlite3_errcode(v->db);
      if (rc == SQLITE_OK) rc = SQLITE_ERROR;
    }
  }
  sqlite3_finalize(pStmt);
  for (int k = 0; k < nSlot; k++) sqlite3_free(azPath[k]);
  return rc;
}

static int ev_update(evw *v, int argc, sqlite3_value **argv, sqlite_int64 *pRowid) {
  sqlite3_value **aCol = argv + 2;
  int aUse[EV_NCOLUMN];
  char *zBody = 0;
  int rc;
  if (argc == 1) {
    return ev_set_error(v, sqlite3_mprintf("provisioning_events: DELETE is not possible: Microsoft Graph has no delete "
                                    "for provisioning events"));
  }
  if (writes_table_check(v->t, "INSERT and UPDATE to its source")) return SQLITE_ERROR;
  if (argc != EV_NCOLUMN + 2) return SQLITE_ERROR;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    /* INSERT: POST the event, in Graph's nested shape (or raw as given) */
    int nSet = 0;
    for (int i = 0; i < EV_NCOLUMN; i++) {
      aUse[i] = sqlite3_value_type(aCol[i]) != SQLITE_NULL;
      if (aUse[i] && i != EV_COLUMN_RAW) nSet++;
    }
    if (aUse[EV_COLUMN_ID]) {
      return ev_set_error(v, sqlite3_mprintf("provisioning_events: id is assigned by Graph: leave it out of the INSERT "
                                      "and read it with provisioning_last_insert_id()"));
    }
    if (aUse[EV_COLUMN_RAW]) {
      if (nSet) {
        return ev_set_error(v, sqlite3_mprintf("provisioning_events: INSERT either raw (the whole object) or columns, "
                                        "not both"));
      }
      const char *z = (const char *)sqlite3_value_text(aCol[EV_COLUMN_RAW]);
      size_t n = (size_t)sqlite3_value_bytes(aCol[EV_COLUMN_RAW]), errOff;
      const char *zWhy;
      int bObject = 0;
      if (!z) return SQLITE_NOMEM;
      int r = pj_check_one(z, n, &errOff, &zWhy, &bObject);
      if (r != PJ_OK || !bObject) {
        return ev_set_error(v, sqlite3_mprintf("provisioning_events: raw must be one JSON object (%s at byte %lld)",
                                        r == PJ_OK ? "not an object" : zWhy, r == PJ_OK ? 0LL : (long long)errOff));
      }
      zBody = sqlite3_mprintf("%s", z);
      if (!zBody) return SQLITE_NOMEM;
    } else {
      rc = ev_build_body(v, "{\"@odata.type\":\"#microsoft.graph.provisioningObjectSummary\"}", aCol, aUse,
                         &zBody);
      if (rc) return rc;
    }
    const char *zColl = strcmp(v->opts->zCollection, "directoryProvisioning") == 0 ? "directoryProvisioning"
                                                                                 : "provisioning";
    v->t->nInsert++;
    *pRowid = 0; /* the id is Graph's to give: provisioning_last_insert_id() after COMMIT */
    return writes_add(&v->t->writes, "POST", sqlite3_mprintf("/auditLogs/%s%s", zColl, v->opts->bRef ? "/$ref" : ""),
                      zBody, sqlite3_mprintf("INSERT of event %d", v->t->nInsert));
  }
  /* UPDATE: PATCH only the columns that changed */
  if (sqlite3_value_int64(argv[0]) != sqlite3_value_int64(argv[1])) {
    return ev_set_error(v, sqlite3_mprintf("provisioning_events: the rowid is a hash of the id and cannot be set"));
  }
  const char *zId = (const char *)sqlite3_value_text(aCol[EV_COLUMN_ID]);
  int nId = sqlite3_value_bytes(aCol[EV_COLUMN_ID]);
  if (!zId || (sqlite3_int64)(pj_hash64(zId, (size_t)nId) & 0x7fffffffffffffffULL) != sqlite3_value_int64(argv[0])) {
    return ev_set_error(v, sqlite3_mprintf("provisioning_events: id is read-only (Graph assigns it)"));
  }
  if (!sqlite3_value_nochange(aCol[EV_COLUMN_RAW]) && sqlite3_value_type(aCol[EV_COLUMN_RAW]) != SQLITE_NULL) {
    return ev_set_error(v, sqlite3_mprintf("provisioning_events: raw cannot be updated: set the columns instead"));
  }
  int nSet = 0;
  for (int i = 0; i < EV_NCOLUMN; i++) {
    aUse[i] = i != EV_COLUMN_ID && i != EV_COLUMN_RAW && !sqlite3_value_nochange(aCol[i]);
    nSet += aUse[i];
  }
  if (nSet == 0) return SQLITE_OK;
  aUse[EV_COLUMN_ID] = 1;
  rc = ev_build_body(v, "{}", aCol, aUse, &zBody);
  if (rc) return rc;
  sqlite3_str *path = sqlite3_str_new(0);
  sqlite3_str_appendf(path, "%s/", v->zPath);
  odata_percent(path, zId, nId);
  return writes_add(&v->t->writes, "PATCH", sqlite3_str_finish(path), zBody,
                    sqlite3_mprintf("UPDATE of event %s", zId));
}

int evw_update(writes_table *t, sqlite3 *db, const prov_options *opts, const char *zPath, int argc,
               sqlite3_value **argv, sqlite_int64 *pRowid) {
  evw v = {t, db, opts, zPath};
  return ev_update(&v, argc, argv, pRowid);
}

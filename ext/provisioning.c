/*
** provisioning.c: the extension's entry point.
**
** Usage:
**   .load ./provisioning
**   SELECT provisioning_version();
**   CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:sql/sample/events.json');
**
** Registers, on each connection:
**   provisioning_events                 virtual table module (events.c)
**   provisioning_flows, provisioning_flow_sets   modules (flows.c, flow_sets.c)
**   provisioning_flow_reset(flow_set_id, id [, table])  reset action of a
**                                       flow, sent at once (flow_reset.c)
**   provisioning_steps(json), provisioning_modified_properties(json)
**                                       table-valued functions (steps.c)
**   provisioning_version()              the VERSION file's text
**   provisioning_contains(text, part)   case-sensitive substring test; on a
**                                       provisioning_events column it is
**                                       sent to Graph as contains()
**   provisioning_last_insert_id()       id Graph gave the last INSERTed object
**   provisioning_inserted_ids()         JSON array of the ids the last COMMIT created
**   provisioning_last_commit()          JSON report of the last COMMIT that sent writes
**                                       (writes.c): each write's outcome, local fate
**   provisioning_sync(src, local [, lookback [, log]])
**                                       incremental copy into a table (sync.c)
**   provisioning_scan_stats()           JSON counters of the last scan (refused OData forms too)
**                                       (events scanned, rows returned,
**                                       HTTP requests, bytes)
**
** Calls: every module's register function (events.h, flows.h, flow_sets.h,
** steps.h, sync.h, time_order.h), global.h (the connection's state),
** writes.h (provisioning_last_commit), odata_forms.h, source_http.h
** (libcurl's global init), SQLite. Nothing calls it.
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1

#include "events.h"
#include "flow_sets.h"
#include "flows.h"
#include "global.h"
#include "source_http.h"
#include "steps.h"
#include "time_order.h"
#include "odata_forms.h"
#include "sync.h"
#include "writes.h"

#ifndef PROV_VERSION
#define PROV_VERSION "unknown"
#endif


static void versionFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3_result_text(ctx, PROV_VERSION, -1, SQLITE_STATIC);
}

static void scanStatsFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  prov_global *g = (prov_global *)sqlite3_user_data(ctx);
  sqlite3_str *m = sqlite3_str_new(0);
  sqlite3_str_appendf(m, "{\"scanned\":%lld,\"returned\":%lld,\"requests\":%lld,\"bytes\":%lld",
                      g->last.nScanned, g->last.nReturned, g->last.nRequests, g->last.nBytes);
  /* query forms the source refused (HTTP 400), now or earlier, and left out */
  sqlite3_str_appendf(m, ",\"refused_requests\":%lld,\"refused_forms\":[", g->last.nRefused);
  odata_forms_append(m, g->last.mRefusedForms, 1);
  sqlite3_str_appendall(m, "]}");
  char *z = sqlite3_str_finish(m);
  if (!z) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, z, -1, sqlite3_free);
}

static void lastInsertIdFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  prov_global *g = (prov_global *)sqlite3_user_data(ctx);
  if (g->zLastId) sqlite3_result_text(ctx, g->zLastId, -1, SQLITE_TRANSIENT);
}

static void insertedIdsFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  prov_global *g = (prov_global *)sqlite3_user_data(ctx);
  sqlite3_result_text(ctx, g->zLastIds ? g->zLastIds : "[]", -1, SQLITE_TRANSIENT);
}

__attribute__((visibility("default"))) int sqlite3_provisioning_init(sqlite3 *db, char **pzErrMsg,
                                                                    const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  int rc;
  if (source_http_global_init() != SQLITE_OK) {
    *pzErrMsg = sqlite3_mprintf("provisioning: libcurl could not be initialised");
    return SQLITE_ERROR;
  }
  prov_global *g = prov_global_new();
  if (!g) return SQLITE_NOMEM;
  /* the scan-stats function owns g; the modules borrow it */
  rc = sqlite3_create_function_v2(db, "provisioning_scan_stats", 0, SQLITE_UTF8, g, scanStatsFunc, 0, 0,
                                  prov_global_free);
  if (rc) return rc;
  rc = sqlite3_create_function(db, "provisioning_last_insert_id", 0, SQLITE_UTF8, g, lastInsertIdFunc, 0, 0);
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function(db, "provisioning_inserted_ids", 0, SQLITE_UTF8, g, insertedIdsFunc, 0, 0);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function(db, "provisioning_last_commit", 0, SQLITE_UTF8, g, writes_last_commit_func, 0, 0);
  }
  if (rc) return rc;
  rc = sqlite3_create_function(db, "provisioning_version", 0,
                               SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, 0, versionFunc, 0, 0);
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function(db, "provisioning_contains", 2,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, 0, prov_contains_func,
                                 0, 0);
  }
  if (rc == SQLITE_OK) rc = pt_register(db);
  if (rc == SQLITE_OK) rc = sync_register(db);
  if (rc == SQLITE_OK) rc = events_register(db, g);
  if (rc == SQLITE_OK) rc = steps_register(db);
  if (rc == SQLITE_OK) rc = flows_register(db, g);
  if (rc == SQLITE_OK) rc = flow_sets_register(db, g);
  return rc;
}

/* The generic name, so a renamed library file still loads. */
__attribute__((visibility("default"))) int sqlite3_extension_init(sqlite3 *db, char **pzErrMsg,
                                                                 const sqlite3_api_routines *pApi) {
  return sqlite3_provisioning_init(db, pzErrMsg, pApi);
}

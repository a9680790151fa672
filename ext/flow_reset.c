/*
** flow_reset.c: provisioning_flow_reset(), the reset action of an
** industryData provisioningFlow, and the registry of the connection's
** provisioning_flows tables it sends through.
**
** Usage:
**   CREATE VIRTUAL TABLE fl USING provisioning_flows(
**       source='https://graph.microsoft.com/beta', auth='env:GRAPH_TOKEN');
**   SELECT provisioning_flow_reset('9ab41255-...', '417a82c8-...');        -- 202
**   SELECT provisioning_flow_reset(flow_set_id, id, 'fl') FROM fl WHERE readiness_status = 'failed';
**
** How it works:
**   provisioning_flow_reset(flow_set_id, id [, table]) sends
**   POST {source}/external/industryData/outboundProvisioningFlowSets/{flow_set_id}/provisioningFlows/{id}/reset
**   (no body) at once, when the call is evaluated: not queued until COMMIT,
**   and a ROLLBACK does not undo it (Graph has no transactions). It returns
**   Graph's HTTP status (202 Accepted); an error answer is an SQL error.
**   The source, credentials, limits and retries are those of a
**   provisioning_flows table: the one named by the third argument ('fl' or
**   'schema.fl'), else the connection's only one (several with the same
**   source= and auth= count as one). A table stored in the database file
**   but not used yet on this connection is connected first. The function is
**   SQLITE_DIRECTONLY: no view, trigger or schema default can call it.
**   It works on read-only tables too: the call is the user's own statement.
**
**   The registry: xConnect of provisioning_flows notes (schema, name,
**   source) here and xDisconnect forgets it; it is the module's client data.
**
** Calls: source.h (xWrite), odata.h (percent-encoding), SQLite.
*/
#include "flow_reset.h"

#include <string.h>

#include "odata.h"

SQLITE_EXTENSION_INIT3

#define FR_SETS_PATH "/external/industryData/outboundProvisioningFlowSets"

typedef struct fr_table {
  char *zDb;
  char *zName;
  char *zSource;
  char *zAuth; /* may be NULL */
  prov_source *pSrc;
} fr_table;

struct flow_registry {
  prov_global *g;
  fr_table *a;
  int n, nAlloc;
};

flow_registry *flow_registry_new(prov_global *g) {
  flow_registry *r = sqlite3_malloc64(sizeof(*r));
  if (!r) return 0;
  memset(r, 0, sizeof(*r));
  r->g = g;
  return r;
}

static void fr_table_free(fr_table *t) {
  sqlite3_free(t->zDb);
  sqlite3_free(t->zName);
  sqlite3_free(t->zSource);
  sqlite3_free(t->zAuth);
}

void flow_registry_free(void *p) {
  flow_registry *r = (flow_registry *)p;
  if (!r) return;
  for (int i = 0; i < r->n; i++) fr_table_free(&r->a[i]);
  sqlite3_free(r->a);
  sqlite3_free(r);
}

prov_global *flow_registry_global(flow_registry *r) { return r ? r->g : 0; }

int flow_registry_add(flow_registry *r, const char *zDb, const char *zName, prov_source *pSrc,
                      const char *zSource, const char *zAuth) {
  if (!r) return SQLITE_OK;
  if (r->n >= r->nAlloc) {
    int nNew = r->nAlloc ? r->nAlloc * 2 : 4;
    fr_table *aNew = sqlite3_realloc64(r->a, sizeof(fr_table) * (sqlite3_uint64)nNew);
    if (!aNew) return SQLITE_NOMEM;
    r->a = aNew;
    r->nAlloc = nNew;
  }
  fr_table t;
  t.zDb = sqlite3_mprintf("%s", zDb ? zDb : "main");
  t.zName = sqlite3_mprintf("%s", zName ? zName : "");
  t.zSource = sqlite3_mprintf("%s", zSource ? zSource : "");
  t.zAuth = zAuth ? sqlite3_mprintf("%s", zAuth) : 0;
  t.pSrc = pSrc;
  if (!t.zDb || !t.zName || !t.zSource || (zAuth && !t.zAuth)) {
    fr_table_free(&t);
    return SQLITE_NOMEM;
  }
  r->a[r->n++] = t;
  return SQLITE_OK;
}

void flow_registry_remove(flow_registry *r, prov_source *pSrc) {
  if (!r) return;
  for (int i = 0; i < r->n; i++) {
    if (r->a[i].pSrc != pSrc) continue;
    fr_table_free(&r->a[i]);
    memmove(&r->a[i], &r->a[i + 1], sizeof(fr_table) * (size_t)(r->n - i - 1));
    r->n--;
    return;
  }
}

/* Table zName ("name" or "schema.name") among the registered ones, or NULL. */
static fr_table *fr_find(flow_registry *r, const char *zName) {
  const char *zDot = strchr(zName, '.');
  for (int i = 0; i < r->n; i++) {
    fr_table *t = &r->a[i];
    if (zDot) {
      size_t nDb = (size_t)(zDot - zName);
      if (strlen(t->zDb) == nDb && sqlite3_strnicmp(t->zDb, zName, (int)nDb) == 0 &&
          sqlite3_stricmp(t->zName, zDot + 1) == 0) {
        return t;
      }
    } else if (sqlite3_stricmp(t->zName, zName) == 0 && sqlite3_stricmp(t->zDb, "temp") == 0) {
      return t; /* SQLite's own order: temp first */
    }
  }
  if (zDot) return 0;
  for (int i = 0; i < r->n; i++) {
    if (sqlite3_stricmp(r->a[i].zName, zName) == 0) return &r->a[i];
  }
  return 0;
}

/* Prepare (and drop) a statement naming the table, so that SQLite connects it. */
static int fr_touch(sqlite3 *db, const char *zDb, const char *zName) {
  char *zSql = zDb ? sqlite3_mprintf("SELECT 0 FROM \"%w\".\"%w\" WHERE 0", zDb, zName)
                   : sqlite3_mprintf("SELECT 0 FROM \"%w\" WHERE 0", zName);
  if (!zSql) return SQLITE_NOMEM;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  sqlite3_free(zSql);
  sqlite3_finalize(pStmt);
  return rc == SQLITE_NOMEM ? rc : SQLITE_OK; /* not a table: the lookup says so */
}

/* Connect every table of the database file that names provisioning_flows. */
static int fr_touch_all(sqlite3 *db) {
  sqlite3_stmt *pDbs = 0;
  int rc = sqlite3_prepare_v2(db, "SELECT name FROM pragma_database_list", -1, &pDbs, 0);
  sqlite3_str *names = sqlite3_str_new(0); /* "schema\0name\0" pairs */
  while (rc == SQLITE_OK && sqlite3_step(pDbs) == SQLITE_ROW) {
    const char *zDb = (const char *)sqlite3_column_text(pDbs, 0);
    if (!zDb) continue;
    char *zSql = sqlite3_mprintf("SELECT name FROM \"%w\".sqlite_schema WHERE type = 'table' AND "
                                 "sql LIKE 'CREATE VIRTUAL TABLE%%USING%%provisioning_flows%%'",
                                 zDb);
    if (!zSql) {
      rc = SQLITE_NOMEM;
      break;
    }
    sqlite3_stmt *pT = 0;
    if (sqlite3_prepare_v2(db, zSql, -1, &pT, 0) == SQLITE_OK) {
      while (sqlite3_step(pT) == SQLITE_ROW) {
        const char *zName = (const char *)sqlite3_column_text(pT, 0);
        if (zName) sqlite3_str_appendf(names, "%s%c%s%c", zDb, 0, zName, 0);
      }
    }
    sqlite3_finalize(pT);
    sqlite3_free(zSql);
  }
  sqlite3_finalize(pDbs);
  int n = sqlite3_str_length(names);
  char *z = sqlite3_str_finish(names);
  if (n && !z) rc = SQLITE_NOMEM;
  for (int i = 0; rc == SQLITE_OK && z && i < n;) {
    const char *zDb = z + i;
    const char *zName = zDb + strlen(zDb) + 1;
    rc = fr_touch(db, zDb, zName);
    i = (int)(zName - z) + (int)strlen(zName) + 1;
  }
  sqlite3_free(z);
  return rc == SQLITE_NOMEM ? rc : SQLITE_OK;
}

/* Same source and credentials? */
static int fr_same(const fr_table *a, const fr_table *b) {
  return strcmp(a->zSource, b->zSource) == 0 &&
         ((!a->zAuth && !b->zAuth) || (a->zAuth && b->zAuth && strcmp(a->zAuth, b->zAuth) == 0));
}

static void fr_error(sqlite3_context *ctx, char *zMsg) {
  if (!zMsg) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_error(ctx, zMsg, -1);
  sqlite3_free(zMsg);
}

/* The table a call sends through, or NULL with the error set. */
static fr_table *fr_pick(sqlite3_context *ctx, flow_registry *r, int argc, sqlite3_value **argv) {
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  if (argc >= 3) {
    const char *zName = (const char *)sqlite3_value_text(argv[2]);
    if (!zName) {
      fr_error(ctx, sqlite3_value_type(argv[2]) == SQLITE_NULL
                        ? sqlite3_mprintf("provisioning_flow_reset: the third argument names a provisioning_flows "
                                          "table, e.g. 'fl'")
                        : 0);
      return 0;
    }
    fr_table *t = fr_find(r, zName);
    if (!t) {
      const char *zDot = strchr(zName, '.');
      char *zDb = zDot ? sqlite3_mprintf("%.*s", (int)(zDot - zName), zName) : 0;
      int rc = (zDot && !zDb) ? SQLITE_NOMEM : fr_touch(db, zDb, zDot ? zDot + 1 : zName);
      sqlite3_free(zDb);
      if (rc) {
        sqlite3_result_error_nomem(ctx);
        return 0;
      }
      t = fr_find(r, zName);
    }
    if (!t) {
      fr_error(ctx, sqlite3_mprintf("provisioning_flow_reset: no provisioning_flows table named '%s' (the third "
                                    "argument names one, e.g. 'fl')",
                                    zName));
    }
    return t;
  }
  if (r->n == 0 && fr_touch_all(db)) {
    sqlite3_result_error_nomem(ctx);
    return 0;
  }
  if (r->n == 0) {
    fr_error(ctx, sqlite3_mprintf("provisioning_flow_reset: no provisioning_flows table on this connection: create "
                                  "one (CREATE VIRTUAL TABLE fl USING provisioning_flows(source='https://"
                                  "graph.microsoft.com/beta', auth='env:GRAPH_TOKEN')) or name it as the third "
                                  "argument"));
    return 0;
  }
  for (int i = 1; i < r->n; i++) {
    if (fr_same(&r->a[0], &r->a[i])) continue;
    sqlite3_str *s = sqlite3_str_new(0);
    sqlite3_str_appendall(s, "provisioning_flow_reset: several provisioning_flows tables with different sources (");
    for (int k = 0; k < r->n; k++) sqlite3_str_appendf(s, "%s%s", k ? ", " : "", r->a[k].zName);
    sqlite3_str_appendf(s, "): name one as the third argument, e.g. provisioning_flow_reset(flow_set_id, id, '%s')",
                        r->a[0].zName);
    fr_error(ctx, sqlite3_str_finish(s));
    return 0;
  }
  return &r->a[0];
}

static void flowResetFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  flow_registry *r = (flow_registry *)sqlite3_user_data(ctx);
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    fr_error(ctx, sqlite3_mprintf("provisioning_flow_reset: flow_set_id and id must be text (the flow set's id and "
                                  "the flow's id)"));
    return;
  }
  const char *zSet = (const char *)sqlite3_value_text(argv[0]);
  int nSet = sqlite3_value_bytes(argv[0]);
  const char *zId = (const char *)sqlite3_value_text(argv[1]);
  int nId = sqlite3_value_bytes(argv[1]);
  if (!zSet || !zId) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (nSet == 0 || nId == 0) {
    fr_error(ctx, sqlite3_mprintf("provisioning_flow_reset: flow_set_id and id must not be empty"));
    return;
  }
  fr_table *t = fr_pick(ctx, r, argc, argv);
  if (!t) return;
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, FR_SETS_PATH "/");
  odata_percent(s, zSet, nSet);
  sqlite3_str_appendall(s, "/provisioningFlows/");
  odata_percent(s, zId, nId);
  sqlite3_str_appendall(s, "/reset");
  char *zPath = sqlite3_str_finish(s);
  if (!zPath) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  int iStatus = 0;
  char *zResp = 0, *zErr = 0;
  int rc = t->pSrc->xWrite(t->pSrc, "POST", zPath, 0, &iStatus, &zResp, &zErr);
  sqlite3_free(zPath);
  sqlite3_free(zResp);
  if (rc == SQLITE_NOMEM) {
    sqlite3_free(zErr);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (rc) {
    /* the source names itself provisioning_flows: this is the function's error */
    const char *zWhy = zErr ? zErr : sqlite3_errstr(rc);
    if (strncmp(zWhy, "provisioning_flows: ", 20) == 0) zWhy += 20;
    fr_error(ctx, sqlite3_mprintf("provisioning_flow_reset: %s", zWhy));
    sqlite3_free(zErr);
    return;
  }
  sqlite3_free(zErr);
  sqlite3_result_int(ctx, iStatus);
}

int flow_reset_register(sqlite3 *db, flow_registry *r) {
  int rc = sqlite3_create_function_v2(db, "provisioning_flow_reset", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, r,
                                      flowResetFunc, 0, 0, 0);
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db, "provisioning_flow_reset", 3, SQLITE_UTF8 | SQLITE_DIRECTONLY, r,
                                    flowResetFunc, 0, 0, 0);
  }
  return rc;
}

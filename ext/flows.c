/*
** flows.c: the provisioning_flows virtual table (Microsoft Graph beta:
** industryData outbound provisioning flows). Its writes: flows_write.c;
** provisioning_flow_sets: flow_sets.c; what both share: flow_common.c.
**
** Usage:
**   .load ./provisioning
**   CREATE VIRTUAL TABLE fl USING provisioning_flows(
**       source='https://graph.microsoft.com/beta', auth='env:GRAPH_TOKEN', writable=1);
**   SELECT flow_type, readiness_status FROM fl WHERE flow_set_id = '9ab41255-...';
**   SELECT raw FROM fl WHERE flow_set_id = '9ab41255-...' AND id = '417a82c8-...';  -- one GET
**   INSERT INTO fl(flow_set_id, flow_type, creation_options)
**     VALUES ('9ab41255-...', 'administrativeUnit',
**             '{"createBasedOnOrg":true,"createBasedOnOrgPlusRoleGroup":true}');
**   SELECT provisioning_last_insert_id();        -- after COMMIT
**   UPDATE fl SET create_unmatched_users = 0 WHERE id = '...';
**   DELETE FROM fl WHERE id = '...';
**   SELECT provisioning_flow_reset(flow_set_id, id) FROM fl WHERE id = '...';  -- flow_reset.c
**
** Schema (declared types for BI tools, as provisioning_events; the times
** are TIMESTAMP COLLATE provisioning_time, compared as instants):
**   provisioning_flows(
**     id VARCHAR(64),                  id
**     flow_set_id VARCHAR(64),         the flow set the flow belongs to
**     flow_type VARCHAR(32),           administrativeUnit | classGroup |
**                                      securityGroup | user, from @odata.type
**                                      #microsoft.graph.industryData.<type>ProvisioningFlow
**     readiness_status VARCHAR(32),    readinessStatus
**     created_date_time TIMESTAMP,     createdDateTime (normalised, UTC)
**     last_modified_date_time TIMESTAMP, lastModifiedDateTime
**     creation_options TEXT,           creationOptions (JSON)
**     configuration TEXT,              configuration (JSON)
**     management_options TEXT,         managementOptions (JSON)
**     create_unmatched_users INTEGER,  createUnmatchedUsers (0/1)
**     raw TEXT HIDDEN)                 the whole object (JSON)
**
** How it works:
**   Reading. xBestIndex uses flow_set_id = ? and id = ? (BINARY, EQ):
**     idxNum 3, argv[0] = the set id, argv[1] = the flow id:
**       GET .../outboundProvisioningFlowSets/{set}/provisioningFlows/{id}
**       (a 404 is no row; SQLite re-checks id; IN sends one GET per value)
**     idxNum 1, argv[0] = the set id: GET .../outboundProvisioningFlowSets/{id}/provisioningFlows
**     idxNum 0, no argv: GET .../outboundProvisioningFlowSets, then each set's
**       flows, one set at a time, only when SQLite asks for more rows.
**   idxStr is a static description of the requests, for EXPLAIN QUERY PLAN.
**   Every other condition is left to SQLite. No request carries $top (or
**   any other query option): these endpoints document none. Rowids are a
**   63-bit hash of the flow id, so they are stable across scans.
**
**   Writing (writable=1 only; the table is then DIRECTONLY, so no trigger or
**   view can drive it). xUpdate (flows_write.c) validates the change and
**   queues one request (writes.h, whose transaction methods the module
**   uses); nothing is sent before COMMIT (xSync), ROLLBACK drops the
**   queue, and a failing request fails the COMMIT naming which requests were
**   applied and which were not:
**     INSERT  POST   .../outboundProvisioningFlowSets/{flow_set_id}/provisioningFlows
**             body: @odata.type from flow_type and the columns given (Graph's
**             names), or raw as the whole body (a JSON object carrying a flow
**             @odata.type). The new id: provisioning_last_insert_id().
**     UPDATE  PATCH  .../provisioningFlows/{id}: @odata.type and only the columns
**             that changed (sqlite3_vtab_nochange, and a comparison with the row
**             as read when SQLite cannot tell). Graph's update takes only
**             createUnmatchedUsers, creationOptions and managementOptions: a
**             change of readiness_status or configuration is refused.
**     DELETE  DELETE .../provisioningFlows/{id}
**   DELETE and UPDATE need the row's id and flow set: xRowid of a writable
**   table remembers, per rowid, the set id and the record as read, until the
**   transaction ends.
**   Request bodies may carry passwords (userProvisioningFlow): they never go
**   into an error message, and a failed COMMIT's message is scrubbed of every
**   password value the queued bodies held (flw_secrets, writes.c).
**   Each connected provisioning_flows table is noted in the registry of
**   flow_reset.c (the module's client data), where provisioning_flow_reset()
**   finds its source.
**
** Calls: flow_common.h (catalogue, columns, source), flows_write.h,
** flow_reset.h (registry, provisioning_flow_reset), writes.h (transaction
** methods), global.h, json.h, odata.h, source.h (the source's methods),
** SQLite. No other table module.
*/
#include "flows.h"

#include <string.h>

#include "flow_common.h"
#include "flow_reset.h"
#include "flows_write.h"
#include "json.h"
#include "odata.h"
#include "writes.h"

SQLITE_EXTENSION_INIT3

#define FL_WHO "provisioning_flows"

typedef struct fl_vtab {
  writes_table w; /* first: base, the source, the write queue (writes.h) */
  sqlite3 *db;
  prov_options opts;
  char *zOptStore;
  flw_state seen;      /* rows whose rowid SQLite asked for, this transaction (flows_write.c) */
  flow_registry *pReg; /* where provisioning_flow_reset() finds this table */
} fl_vtab;

typedef struct fl_cursor {
  sqlite3_vtab_cursor base;
  int bAllSets;         /* reading every flow set */
  prov_stream *pSets;   /* the flow-set list (bAllSets) */
  prov_stream *pFlows;  /* the current set's flows */
  char *zSet;           /* the current set's id */
  fl_record rec;        /* the current flow */
  char *zOne;           /* the flow read by id (idxNum 3), owned */
  int bEof;
  int bScanned; /* a scan ran: record its counters when it ends */
  prov_stats start;
  sqlite3_int64 nReturned;
} fl_cursor;

/* Returns SQLITE_ERROR, or SQLITE_NOMEM when zMsg could not be made. */
static int fl_set_error(fl_vtab *v, char *zMsg) { return prov_vtab_error(&v->w.base, zMsg); }

/* writes_table.xEnd: the rows read in the transaction are forgotten. */
static void fl_end(writes_table *t) { flw_seen_clear(&((fl_vtab *)t)->seen); }

static int flConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                     char **pzErr) {
  fl_vtab *v = sqlite3_malloc64(sizeof(*v));
  int rc;
  *ppVtab = 0;
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->db = db;
  v->pReg = (flow_registry *)pAux;
  rc = fl_open_source(db, "provisioning_flows", argc, argv, &v->opts, &v->zOptStore, &v->w.pSrc, pzErr);
  if (rc) goto error;
  rc = flow_registry_add(v->pReg, argv[1], argv[2], v->w.pSrc, v->opts.zSource, v->opts.zAuth);
  if (rc) goto error;
  char *zDdl = fl_ddl(fl_flow_columns, FLOWS_NCOLUMN);
  if (!zDdl) {
    rc = SQLITE_NOMEM;
    goto error;
  }
  rc = sqlite3_declare_vtab(db, zDdl);
  sqlite3_free(zDdl);
  if (rc) goto error;
  writes_table_init(&v->w, db, "provisioning_flows", flow_registry_global(v->pReg), v->opts.bWritable);
  v->w.xSecrets = flw_secrets; /* request bodies may carry passwords */
  v->w.xEnd = fl_end;
  *ppVtab = &v->w.base;
  return SQLITE_OK;
error:
  flow_registry_remove(v->pReg, v->w.pSrc);
  if (v->w.pSrc) v->w.pSrc->xDestroy(v->w.pSrc);
  sqlite3_free(v->zOptStore);
  sqlite3_free(v);
  return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

static int flDisconnect(sqlite3_vtab *pVtab) {
  fl_vtab *v = (fl_vtab *)pVtab;
  flow_registry_remove(v->pReg, v->w.pSrc);
  if (v->w.pSrc) v->w.pSrc->xDestroy(v->w.pSrc);
  sqlite3_free(v->zOptStore);
  writes_clear(&v->w.writes);
  flw_seen_clear(&v->seen);
  sqlite3_free(v);
  return SQLITE_OK;
}

/*
** idxNum 3: flow_set_id = argv[0] AND id = argv[1]: GET that one flow
**   (.../provisioningFlows/{id}; a 404 is no row). SQLite still checks id.
** idxNum 1: flow_set_id = argv[0] (one set's flows);
** idxNum 0: no argv, every set's flows. idxStr: the requests, for EXPLAIN.
** id = ? without the set is left to SQLite (lower row estimate only).
*/
static int flBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *p) {
  int iSet = -1, bId = 0, iId = -1;
  for (int i = 0; i < p->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &p->aConstraint[i];
    if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    const char *zColl = sqlite3_vtab_collation(p, i);
    if (zColl && sqlite3_stricmp(zColl, "BINARY") != 0) continue;
    if (c->iColumn == FLOWS_COLUMN_FLOW_SET_ID && iSet < 0) iSet = i;
    if (c->iColumn == FLOWS_COLUMN_ID) {
      bId = 1;
      if (iId < 0) iId = i;
    }
  }
  if (iSet >= 0 && iId >= 0) {
    p->aConstraintUsage[iSet].argvIndex = 1;
    p->aConstraintUsage[iSet].omit = 1;
    p->aConstraintUsage[iId].argvIndex = 2;
    p->idxNum = 3;
    p->idxStr = "GET " FL_SETS_PATH "/{flow_set_id}/provisioningFlows/{id}";
    p->estimatedRows = 1;
    p->estimatedCost = 10;
  } else if (iSet >= 0) {
    p->aConstraintUsage[iSet].argvIndex = 1;
    p->aConstraintUsage[iSet].omit = 1;
    p->idxNum = 1;
    p->idxStr = "GET " FL_SETS_PATH "/{flow_set_id}/provisioningFlows";
    p->estimatedRows = bId ? 1 : 10;
    p->estimatedCost = 100;
  } else {
    p->idxNum = 0;
    p->idxStr = "GET " FL_SETS_PATH ", then GET .../{id}/provisioningFlows of each set";
    p->estimatedRows = bId ? 1 : 100;
    p->estimatedCost = 10000;
  }
  p->needToFreeIdxStr = 0;
  return SQLITE_OK;
}

static int flOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  int rc = fl_cursor_open(sizeof(fl_cursor), ppCursor);
  if (rc == SQLITE_OK) ((fl_cursor *)*ppCursor)->bEof = 1;
  return rc;
}

static void fl_cursor_reset(fl_cursor *c) {
  fl_vtab *v = (fl_vtab *)c->base.pVtab;
  int bHad = c->bScanned;
  c->bScanned = 0;
  if (c->pFlows) v->w.pSrc->xClose(c->pFlows);
  if (c->pSets) v->w.pSrc->xClose(c->pSets);
  c->pFlows = c->pSets = 0;
  if (bHad) fl_scan_done(v->w.pGlobal, v->w.pSrc, &c->start, c->nReturned);
  sqlite3_free(c->zSet);
  c->zSet = 0;
  sqlite3_free(c->zOne);
  c->zOne = 0;
  c->rec.zRec = 0;
  c->rec.bParsed = 0;
  c->bEof = 1;
  c->nReturned = 0;
}

static int flClose(sqlite3_vtab_cursor *cur) {
  fl_cursor *c = (fl_cursor *)cur;
  fl_cursor_reset(c);
  pj_doc_free(&c->rec.doc);
  sqlite3_free(c);
  return SQLITE_OK;
}

/* Open the flow list of set zSet (taken over by the cursor). */
static int fl_open_flows(fl_cursor *c, char *zSet) {
  fl_vtab *v = (fl_vtab *)c->base.pVtab;
  pq_query q;
  char *zErr = 0;
  sqlite3_free(c->zSet);
  c->zSet = zSet;
  if (!zSet) return SQLITE_NOMEM;
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, FL_SETS_PATH "/");
  odata_percent(s, zSet, (int)strlen(zSet));
  sqlite3_str_appendall(s, "/provisioningFlows");
  char *zPath = sqlite3_str_finish(s);
  if (!zPath) return SQLITE_NOMEM;
  fl_query_init(&q);
  int rc = v->w.pSrc->xOpen(v->w.pSrc, zPath, &q, &c->pFlows, &zErr);
  sqlite3_free(zPath);
  if (rc) {
    c->pFlows = 0;
    return fl_source_error(&v->w.base, rc, zErr, "provisioning_flows: %s");
  }
  return SQLITE_OK;
}

/* The "id" of a flow set record, unescaped (sqlite3_malloc'd), or NULL with *pbOom. */
static char *fl_record_id(const char *z, size_t n, pj_doc *d, int *pbOom) {
  *pbOom = 0;
  int rc = pj_parse(d, z, n);
  if (rc) {
    *pbOom = rc == SQLITE_NOMEM;
    return 0;
  }
  if (d->nTok < 1 || d->aTok[0].type != JSMN_OBJECT) return 0;
  int i = pj_find(d, 0, "id", 2);
  if (i < 0 || d->aTok[i].type != JSMN_STRING) return 0;
  return fl_token_string(d, i, pbOom);
}

static int flNext(sqlite3_vtab_cursor *cur) {
  fl_cursor *c = (fl_cursor *)cur;
  fl_vtab *v = (fl_vtab *)cur->pVtab;
  c->rec.bParsed = 0;
  if (c->zOne) { /* the one flow read by id was the row */
    c->bEof = 1;
    return SQLITE_OK;
  }
  for (;;) {
    const char *z;
    size_t n;
    char *zErr = 0;
    int rc;
    if (c->pFlows) {
      rc = v->w.pSrc->xNext(c->pFlows, &z, &n, &zErr);
      if (rc == SQLITE_ROW) {
        c->rec.zRec = z;
        c->rec.nRec = n;
        c->nReturned++;
        return SQLITE_OK;
      }
      if (rc != SQLITE_DONE) goto fail;
      v->w.pSrc->xClose(c->pFlows);
      c->pFlows = 0;
    }
    if (!c->pSets) {
      c->bEof = 1;
      return SQLITE_OK;
    }
    rc = v->w.pSrc->xNext(c->pSets, &z, &n, &zErr);
    if (rc == SQLITE_DONE) {
      c->bEof = 1;
      return SQLITE_OK;
    }
    if (rc != SQLITE_ROW) goto fail;
    int bOom = 0;
    char *zId = fl_record_id(z, n, &c->rec.doc, &bOom);
    if (!zId) {
      c->bEof = 1;
      if (bOom) return SQLITE_NOMEM;
      return fl_set_error(
          v, sqlite3_mprintf("provisioning_flows: a flow set in the answer of GET %s has no \"id\"", FL_SETS_PATH));
    }
    rc = fl_open_flows(c, zId);
    if (rc) {
      c->bEof = 1;
      return rc;
    }
    continue;
  fail:
    c->bEof = 1;
    return fl_source_error(&v->w.base, rc, zErr, "provisioning_flows: reading Graph failed (%s)");
  }
}

/* idxNum 3: GET .../{set}/provisioningFlows/{id}: the row, or none on a 404. */
static int fl_read_one(fl_cursor *c, sqlite3_value *pSet, sqlite3_value *pId) {
  fl_vtab *v = (fl_vtab *)c->base.pVtab;
  if (sqlite3_value_type(pSet) == SQLITE_NULL || sqlite3_value_type(pId) == SQLITE_NULL) return SQLITE_OK;
  const char *zSet = (const char *)sqlite3_value_text(pSet);
  const char *zId = (const char *)sqlite3_value_text(pId);
  if (!zSet || !zId) return SQLITE_NOMEM;
  c->bAllSets = 0;
  c->zSet = sqlite3_mprintf("%s", zSet);
  char *zPath = c->zSet ? fl_flow_path(zSet, zId) : 0;
  if (!zPath) return SQLITE_NOMEM;
  int iStatus = 0;
  char *zResp = 0, *zErr = 0;
  int rc = v->w.pSrc->xWrite(v->w.pSrc, "GET", zPath, 0, &iStatus, &zResp, &zErr);
  sqlite3_free(zPath);
  if (rc == SQLITE_ERROR && iStatus == 404) { /* no such flow (in that set): no row */
    sqlite3_free(zErr);
    return SQLITE_OK;
  }
  if (rc) {
    sqlite3_free(zResp);
    int rcMsg = fl_set_error(v, zErr ? zErr : sqlite3_mprintf("provisioning_flows: %s", sqlite3_errstr(rc)));
    return rc == SQLITE_NOMEM ? rc : rcMsg;
  }
  size_t n = zResp ? strlen(zResp) : 0, errOff = 0;
  const char *zWhy = 0;
  int bObject = 0;
  if (!zResp || pj_check_one(zResp, n, &errOff, &zWhy, &bObject) != PJ_OK || !bObject) {
    sqlite3_free(zResp);
    return fl_set_error(v, sqlite3_mprintf("provisioning_flows: the answer of GET %s/{set}/provisioningFlows/{id} "
                                           "is not one JSON object",
                                           FL_SETS_PATH));
  }
  c->zOne = zResp;
  c->rec.zRec = zResp;
  c->rec.nRec = n;
  c->nReturned++;
  v->w.pSrc->stats.nScanned++;
  c->bEof = 0;
  return SQLITE_OK;
}

static int flFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  fl_cursor *c = (fl_cursor *)cur;
  fl_vtab *v = (fl_vtab *)cur->pVtab;
  int rc;
  fl_cursor_reset(c);
  if (!v->w.bInTxn && v->seen.nSeen) flw_seen_clear(&v->seen);
  c->start = v->w.pSrc->stats;
  c->bScanned = 1;
  if (idxNum == 3 && argc >= 2) return fl_read_one(c, argv[0], argv[1]);
  if (idxNum == 1 && argc >= 1) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return SQLITE_OK; /* = NULL: no row */
    const char *zSet = (const char *)sqlite3_value_text(argv[0]);
    if (!zSet) return SQLITE_NOMEM;
    c->bAllSets = 0;
    rc = fl_open_flows(c, sqlite3_mprintf("%s", zSet));
    if (rc) return rc;
  } else {
    pq_query q;
    char *zErr = 0;
    fl_query_init(&q);
    c->bAllSets = 1;
    rc = v->w.pSrc->xOpen(v->w.pSrc, FL_SETS_PATH, &q, &c->pSets, &zErr);
    if (rc) {
      c->pSets = 0;
      return fl_source_error(&v->w.base, rc, zErr, "provisioning_flows: %s");
    }
  }
  c->bEof = 0;
  return flNext(cur);
}

static int flEof(sqlite3_vtab_cursor *cur) { return ((fl_cursor *)cur)->bEof; }

static int flColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  fl_cursor *c = (fl_cursor *)cur;
  if (i < 0 || i >= FLOWS_NCOLUMN) return SQLITE_OK;
  /* an UPDATE that leaves this column alone needs no value; id, set and
     type are always given (they name the flow to PATCH) */
  if (i != FLOWS_COLUMN_ID && i != FLOWS_COLUMN_FLOW_SET_ID && i != FLOWS_COLUMN_FLOW_TYPE &&
      sqlite3_vtab_nochange(ctx)) {
    return SQLITE_OK;
  }
  return fl_record_column(&c->rec, cur->pVtab, FL_WHO, "a flow", fl_flow_columns, c->zSet, ctx, i);
}

static int flRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  fl_cursor *c = (fl_cursor *)cur;
  fl_vtab *v = (fl_vtab *)cur->pVtab;
  int rc = fl_record_rowid(&c->rec, cur->pVtab, FL_WHO, "a flow", fl_flow_columns, c->zSet, pRowid);
  if (rc == SQLITE_OK && v->opts.bWritable) rc = flw_seen_add(&v->seen, *pRowid, c->zSet, c->rec.zRec, c->rec.nRec);
  return rc;
}

/* Writes: flows_write.c (writable=1 only). */
static int flUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite_int64 *pRowid) {
  fl_vtab *v = (fl_vtab *)pVtab;
  int rc = writes_table_check(&v->w, "INSERT, UPDATE and DELETE to Microsoft Graph");
  if (rc) return rc;
  return flw_update(&v->w, &v->seen, argc, argv, pRowid);
}

/* The transaction methods are writes.c's (WRITES_TABLE_METHODS). */
static sqlite3_module flModule = {
    .iVersion = 3, .xCreate = flConnect, .xConnect = flConnect, .xBestIndex = flBestIndex,
    .xDisconnect = flDisconnect, .xDestroy = flDisconnect, .xOpen = flOpen, .xClose = flClose,
    .xFilter = flFilter, .xNext = flNext, .xEof = flEof, .xColumn = flColumn, .xRowid = flRowid,
    .xUpdate = flUpdate, WRITES_TABLE_METHODS,
};

int flows_register(sqlite3 *db, prov_global *g) {
  /* the registry of flows tables, for provisioning_flow_reset(): freed with the module */
  flow_registry *r = flow_registry_new(g);
  if (!r) return SQLITE_NOMEM;
  int rc = sqlite3_create_module_v2(db, "provisioning_flows", &flModule, r, flow_registry_free);
  if (rc == SQLITE_OK) rc = flow_reset_register(db, r);
  return rc;
}

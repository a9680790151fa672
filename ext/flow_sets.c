/*
** flow_sets.c: the provisioning_flow_sets virtual table (Microsoft Graph
** beta: industryData outboundProvisioningFlowSets).
**
** Usage:
**   .load ./provisioning
**   CREATE VIRTUAL TABLE fs USING provisioning_flow_sets(
**       source='https://graph.microsoft.com/beta', auth='env:GRAPH_TOKEN');
**   SELECT id, display_name FROM fs;
**   -- with writable=1: INSERT / UPDATE / DELETE of display_name and filter
**   -- (flow_sets_write.c), sent at COMMIT
**
** Schema (declared types for BI tools; the times are TIMESTAMP COLLATE
** provisioning_time, compared as instants):
**   provisioning_flow_sets(
**     id VARCHAR(64), display_name VARCHAR(255), filter TEXT (JSON),
**     created_date_time TIMESTAMP, last_modified_date_time TIMESTAMP,
**     raw TEXT HIDDEN)
**
** How it works: one plan, GET .../outboundProvisioningFlowSets (idxNum 0,
** no argv; idxStr names the request, for EXPLAIN QUERY PLAN); SQLite checks
** every condition. No request carries $top (or any other query option).
** Rowids are a 63-bit hash of the id. Writing (writable=1 only; the table
** is then DIRECTONLY): flow_sets_write.c checks and queues each change,
** writes.c sends the queue at COMMIT; xRowid remembers the records read,
** which UPDATE and DELETE need, until the transaction ends.
**
** Calls: flow_common.h (catalogue, columns, source), flow_sets_write.h,
** writes.h (transaction methods), global.h, source.h (the source's
** methods), SQLite. No other table module.
*/
#include "flow_sets.h"

#include <string.h>

#include "flow_common.h"
#include "flow_sets_write.h"
#include "writes.h"

SQLITE_EXTENSION_INIT3

#define FS_WHO "provisioning_flow_sets"

typedef struct fs_vtab {
  writes_table w; /* first: base, the source, the write queue (writes.h) */
  prov_options opts;
  char *zOptStore;
  fsw_state seen; /* flow sets whose rowid SQLite asked for (flow_sets_write.c) */
} fs_vtab;

typedef struct fs_cursor {
  sqlite3_vtab_cursor base;
  prov_stream *pStream;
  fl_record rec; /* the current flow set */
  int bEof;
  prov_stats start;
  sqlite3_int64 nReturned;
} fs_cursor;

/* writes_table.xEnd: the flow sets read in the transaction are forgotten. */
static void fs_end(writes_table *t) { fsw_seen_clear(&((fs_vtab *)t)->seen); }

static int fsConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                     char **pzErr) {
  fs_vtab *v = sqlite3_malloc64(sizeof(*v));
  int rc;
  *ppVtab = 0;
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  rc = fl_open_source(db, FS_WHO, argc, argv, &v->opts, &v->zOptStore, &v->w.pSrc, pzErr);
  if (rc) goto error;
  char *zDdl = fl_ddl(fl_set_columns, FLOW_SETS_NCOLUMN);
  if (!zDdl) {
    rc = SQLITE_NOMEM;
    goto error;
  }
  rc = sqlite3_declare_vtab(db, zDdl);
  sqlite3_free(zDdl);
  if (rc) goto error;
  writes_table_init(&v->w, db, FS_WHO, (prov_global *)pAux, v->opts.bWritable);
  v->w.xEnd = fs_end;
  *ppVtab = &v->w.base;
  return SQLITE_OK;
error:
  if (v->w.pSrc) v->w.pSrc->xDestroy(v->w.pSrc);
  sqlite3_free(v->zOptStore);
  sqlite3_free(v);
  return rc;
}

static int fsDisconnect(sqlite3_vtab *pVtab) {
  fs_vtab *v = (fs_vtab *)pVtab;
  writes_clear(&v->w.writes);
  fsw_seen_clear(&v->seen);
  if (v->w.pSrc) v->w.pSrc->xDestroy(v->w.pSrc);
  sqlite3_free(v->zOptStore);
  sqlite3_free(v);
  return SQLITE_OK;
}

/* One plan: GET the list (idxNum 0, no argv); SQLite checks every condition. */
static int fsBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *p) {
  p->idxNum = 0;
  p->idxStr = "GET " FL_SETS_PATH;
  p->needToFreeIdxStr = 0;
  p->estimatedRows = 10;
  p->estimatedCost = 1000;
  return SQLITE_OK;
}

static int fsOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  int rc = fl_cursor_open(sizeof(fs_cursor), ppCursor);
  if (rc == SQLITE_OK) ((fs_cursor *)*ppCursor)->bEof = 1;
  return rc;
}

static void fs_cursor_reset(fs_cursor *c) {
  fs_vtab *v = (fs_vtab *)c->base.pVtab;
  if (c->pStream) {
    v->w.pSrc->xClose(c->pStream);
    c->pStream = 0;
    fl_scan_done(v->w.pGlobal, v->w.pSrc, &c->start, c->nReturned);
  }
  c->rec.bParsed = 0;
  c->bEof = 1;
  c->nReturned = 0;
}

static int fsClose(sqlite3_vtab_cursor *cur) {
  fs_cursor *c = (fs_cursor *)cur;
  fs_cursor_reset(c);
  pj_doc_free(&c->rec.doc);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int fsNext(sqlite3_vtab_cursor *cur) {
  fs_cursor *c = (fs_cursor *)cur;
  fs_vtab *v = (fs_vtab *)cur->pVtab;
  const char *z;
  size_t n;
  char *zErr = 0;
  c->rec.bParsed = 0;
  int rc = v->w.pSrc->xNext(c->pStream, &z, &n, &zErr);
  if (rc == SQLITE_ROW) {
    c->rec.zRec = z;
    c->rec.nRec = n;
    c->nReturned++;
    return SQLITE_OK;
  }
  c->bEof = 1;
  if (rc == SQLITE_DONE) return SQLITE_OK;
  return fl_source_error(&v->w.base, rc, zErr, FS_WHO ": reading Graph failed (%s)");
}

static int fsFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  fs_cursor *c = (fs_cursor *)cur;
  fs_vtab *v = (fs_vtab *)cur->pVtab;
  pq_query q;
  char *zErr = 0;
  fs_cursor_reset(c);
  if (!v->w.bInTxn && v->seen.nSeen) fsw_seen_clear(&v->seen);
  fl_query_init(&q);
  c->start = v->w.pSrc->stats;
  int rc = v->w.pSrc->xOpen(v->w.pSrc, FL_SETS_PATH, &q, &c->pStream, &zErr);
  if (rc) {
    c->pStream = 0;
    return fl_source_error(&v->w.base, rc, zErr, FS_WHO ": %s");
  }
  c->bEof = 0;
  return fsNext(cur);
}

static int fsEof(sqlite3_vtab_cursor *cur) { return ((fs_cursor *)cur)->bEof; }

static int fsColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  fs_cursor *c = (fs_cursor *)cur;
  if (i < 0 || i >= FLOW_SETS_NCOLUMN) return SQLITE_OK;
  /* an UPDATE that leaves this column alone: "no change" (flow_sets_write.c) */
  if (((fs_vtab *)cur->pVtab)->opts.bWritable && sqlite3_vtab_nochange(ctx)) return SQLITE_OK;
  return fl_record_column(&c->rec, cur->pVtab, FS_WHO, "a flow set", fl_set_columns, 0, ctx, i);
}

static int fsRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  fs_cursor *c = (fs_cursor *)cur;
  int rc = fl_record_rowid(&c->rec, cur->pVtab, FS_WHO, "a flow set", fl_set_columns, 0, pRowid);
  if (rc) return rc;
  fs_vtab *v = (fs_vtab *)cur->pVtab;
  if (v->opts.bWritable) return fsw_seen_add(&v->seen, *pRowid, c->rec.zRec, c->rec.nRec);
  return SQLITE_OK;
}

/* Writes: flow_sets_write.c (writable=1 only). */
static int fsUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite_int64 *pRowid) {
  fs_vtab *v = (fs_vtab *)pVtab;
  int rc = writes_table_check(&v->w, "INSERT, UPDATE and DELETE to Microsoft Graph");
  if (rc) return rc;
  *pRowid = 0; /* the id is Graph's to give: provisioning_last_insert_id() after COMMIT */
  return fsw_update(&v->w, &v->seen, argc, argv);
}

/* The transaction methods are writes.c's (WRITES_TABLE_METHODS). */
static sqlite3_module fsModule = {
    .iVersion = 2, .xCreate = fsConnect, .xConnect = fsConnect, .xBestIndex = fsBestIndex,
    .xDisconnect = fsDisconnect, .xDestroy = fsDisconnect, .xOpen = fsOpen, .xClose = fsClose,
    .xFilter = fsFilter, .xNext = fsNext, .xEof = fsEof, .xColumn = fsColumn, .xRowid = fsRowid,
    .xUpdate = fsUpdate, WRITES_TABLE_METHODS,
};

int flow_sets_register(sqlite3 *db, prov_global *g) {
  return sqlite3_create_module_v2(db, FS_WHO, &fsModule, g, 0);
}

/*
** events.c: the provisioning_events virtual table.
**
** Usage:
**   .load ./provisioning
**   CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:sql/sample/events.json');
**   CREATE VIRTUAL TABLE live USING provisioning_events(
**       source='https://graph.microsoft.com/v1.0', auth='env:GRAPH_TOKEN');
**   SELECT job_id, count(*) FROM ev WHERE status = 'failure' GROUP BY job_id;
**   -- with PROVISIONING_SOURCE set in the environment, no CREATE is needed:
**   SELECT count(*) FROM provisioning_events;
**
** How it works: one row per provisioningObjectSummary. The declared schema
** is built from schema.c (36 columns, raw HIDDEN). A source (source.h)
** streams event objects; event_row.c reads their columns.
**
** The plan (DESIGN.md "The plan"):
**   xBestIndex decides what ships with pq_shippable() and stores the plan
**   (the shipped terms, order, LIMIT/OFFSET argv slots, colUsed) in the
**   table's plan list; idxNum is the plan's index there. idxStr is the
**   OData query template, shown by EXPLAIN QUERY PLAN: values known at plan
**   time appear as literals, others as ?N (N = argv slot, 1-based).
**   argv order: the shipped terms in plan order, then LIMIT, then OFFSET.
**   xFilter prepares the values (pq_prepare_value) into a pq_query and
**   opens a stream on the source; Graph gets it as OData, the file source
**   evaluates it in-process. omit=1 only where the source's answer is
**   exactly SQLite's; LIMIT and OFFSET are never omitted ($top is a page
**   size: no row is ever dropped because of it), and are used only when the
**   source takes the order or there is no ORDER BY (else full pages).
**   Graph gets the forms of its profile (odata_forms.h) minus those its
**   origin refused; without `or`, an IN of 2..8 values is read as one eq
**   request per value (ev_plan_split), each part re-checked against its own
**   value so that no row comes twice. Rows from a remote source are always
**   re-checked against every shipped condition, so a form left out after a
**   refusal never changes a result.
**   Rowids are a hash of the event id, stable across scans, so SQLite's
**   OR-by-union (one scan per branch, duplicates removed by rowid) is right.
**
** Writes (writable=1): xUpdate (events_write.c) turns INSERT and UPDATE
** into POST and PATCH requests queued in writes.c, whose transaction
** methods the module uses.
**
** Calls: global.h (state, source opening), events_write.h, writes.h, plan.h,
** odata.h,
** odata_forms.h, event_row.h, schema.h, graph_url.h, trust.h, source.h
** (the source's methods), SQLite. No other table module.
*/
#include <stdlib.h>
#include <string.h>

#include "event_row.h"
#include "events.h"
#include "events_write.h"
#include "global.h"
#include "graph_url.h"
#include "odata.h"
#include "odata_forms.h"
#include "schema.h"
#include "source.h"
#include "trust.h"
#include "writes.h"

SQLITE_EXTENSION_INIT3

#define EV_MAX_TERMS 32

typedef struct ev_plan {
  int nTerm;
  struct {
    int iCol;
    int op; /* PQ_* */
  } aTerm[EV_MAX_TERMS];
  int iOrderCol;
  int bDesc;
  int iArgLimit; /* argv slot of LIMIT, or -1 */
  int iArgOffset;
  uint64_t colUsed;
} ev_plan;

typedef struct ev_vtab {
  writes_table w; /* first: base, the source, the write queue (writes.h) */
  sqlite3 *db;
  prov_options opts;
  char *zOptStore;
  char *zConfigErr; /* eponymous table without a source: the error to give */
  char *zEnvSource; /* PROVISIONING_SOURCE, when the source comes from there */
  const char *zPath; /* Graph path of the collection */
  ev_plan *aPlan;
  int nPlan;
} ev_vtab;

typedef struct ev_cursor {
  sqlite3_vtab_cursor base;
  pq_query q;
  prov_stream *pStream;
  ev_row row;      /* the cursor's own tokens, when the source has none */
  ev_row *pRow;    /* the current row's tokens, or NULL until needed */
  const char *zRec; /* the current record (valid until the next xNext) */
  size_t nRec;
  int bEof;
  int bRecheck; /* re-evaluate the query locally (remote sources) */
  sqlite3_int64 nReturned;
  int bRecorded; /* counters published (at the end of the scan) */
  sqlite3_int64 iSeq; /* when the scan started, among this connection's scans */
  /* an IN list sent as one eq request per value (no `or` in the profile) */
  int iSplit;       /* the IN condition of q, or -1 */
  int iPart;        /* the value of it the current stream asks for */
  pq_query qPart;   /* q with that IN as "= value" (borrows q's values) */
  prov_stats acc;   /* counters of the parts already read */
} ev_cursor;

/* Set the table's error message; SQLITE_ERROR, or SQLITE_NOMEM when the message could not be made. */
static int ev_set_error(ev_vtab *v, char *zMsg) { return prov_vtab_error(&v->w.base, zMsg); }

static int evConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                     char **pzErr) {
  ev_vtab *v = sqlite3_malloc64(sizeof(*v));
  int rc;
  *ppVtab = 0;
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->db = db;
  rc = prov_options_parse("provisioning_events", argc, argv, &v->opts, &v->zOptStore, pzErr);
  /* a table loaded from a database file's schema cannot widen limits or files */
  if (rc == SQLITE_OK) rc = trust_options("provisioning_events", &v->opts, trust_is_create(db, argv[2]), pzErr);
  if (rc) goto error;
  if (!v->opts.zSource) {
    const char *zEnv = getenv("PROVISIONING_SOURCE");
    if (zEnv && zEnv[0]) {
      v->zEnvSource = sqlite3_mprintf("%s", zEnv);
      if (!v->zEnvSource) {
        rc = SQLITE_NOMEM;
        goto error;
      }
      v->opts.zSource = v->zEnvSource;
    } else {
      v->zConfigErr = sqlite3_mprintf(
          "provisioning_events: no source configured: set the environment variable PROVISIONING_SOURCE "
          "(file:PATH or https://graph.microsoft.com/v1.0), or CREATE VIRTUAL TABLE ev USING "
          "provisioning_events(source='file:PATH')");
      if (!v->zConfigErr) {
        rc = SQLITE_NOMEM;
        goto error;
      }
    }
  }
  rc = gu_source_base("provisioning_events", GU_EVENTS, &v->opts, pzErr);
  if (rc) goto error;
  v->zPath = strcmp(v->opts.zCollection, "directoryProvisioning") == 0 ? "/auditLogs/directoryProvisioning"
                                                                       : "/auditLogs/provisioning";
  v->opts.db = db;
  if (v->opts.zSource) {
    rc = prov_source_open("provisioning_events", &v->opts, &v->w.pSrc, pzErr);
    if (rc) goto error;
  }
  char *zDdl = sch_events_ddl();
  if (!zDdl) {
    rc = SQLITE_NOMEM;
    goto error;
  }
  rc = sqlite3_declare_vtab(db, zDdl);
  sqlite3_free(zDdl);
  if (rc) goto error;
  writes_table_init(&v->w, db, "provisioning_events", (prov_global *)pAux, v->opts.bWritable);
  *ppVtab = &v->w.base;
  return SQLITE_OK;
error:
  if (v->w.pSrc) v->w.pSrc->xDestroy(v->w.pSrc);
  sqlite3_free(v->zOptStore);
  sqlite3_free(v->zConfigErr);
  sqlite3_free(v->zEnvSource);
  sqlite3_free(v);
  return rc;
}

static int evDisconnect(sqlite3_vtab *pVtab) {
  ev_vtab *v = (ev_vtab *)pVtab;
  if (v->w.pSrc) v->w.pSrc->xDestroy(v->w.pSrc);
  sqlite3_free(v->zOptStore);
  sqlite3_free(v->zConfigErr);
  sqlite3_free(v->zEnvSource);
  sqlite3_free(v->aPlan);
  writes_clear(&v->w.writes);
  sqlite3_free(v);
  return SQLITE_OK;
}

/* Index of plan p in the table's plan list (added when new), or -1 on OOM. */
static int ev_plan_intern(ev_vtab *v, const ev_plan *p) {
  for (int i = 0; i < v->nPlan; i++) {
    if (memcmp(&v->aPlan[i], p, sizeof(*p)) == 0) return i;
  }
  ev_plan *aNew = sqlite3_realloc64(v->aPlan, sizeof(ev_plan) * (sqlite3_uint64)(v->nPlan + 1));
  if (!aNew) return -1;
  v->aPlan = aNew;
  v->aPlan[v->nPlan] = *p;
  return v->nPlan++;
}

static int evBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *p) {
  ev_vtab *v = (ev_vtab *)pVtab;
  int eProfile = v->w.pSrc ? v->w.pSrc->eProfile : PQ_PROFILE_LOCAL;
  /* the OData forms Graph may be sent now (profile minus what its origin refused) */
  unsigned mForms = v->w.pSrc && v->w.pSrc->xForms ? v->w.pSrc->xForms(v->w.pSrc) : ODATA_PROFILE_DOCUMENTED;
  int bInSplit = 0; /* an IN goes as one request per value: no order across them */
  ev_plan plan;
  pq_cond aCond[EV_MAX_TERMS];
  pv_value aVal[EV_MAX_TERMS];
  pq_query disp;
  int nArg = 0;
  double rRows = eProfile == PQ_PROFILE_GRAPH ? 1e6 : 1e5;
  int bUnique = 0;
  int iLimit = -1, iOffset = -1;

  memset(&plan, 0, sizeof(plan));
  memset(&disp, 0, sizeof(disp));
  memset(aVal, 0, sizeof(aVal));
  plan.iOrderCol = -1;
  plan.iArgLimit = plan.iArgOffset = -1;
  disp.aCond = aCond;
  disp.iOrderCol = -1;

  for (int i = 0; i < p->nConstraint && v->opts.bPushdown; i++) {
    const struct sqlite3_index_constraint *c = &p->aConstraint[i];
    if (!c->usable) continue;
    if (c->op == SQLITE_INDEX_CONSTRAINT_LIMIT) {
      iLimit = i;
      continue;
    }
    if (c->op == SQLITE_INDEX_CONSTRAINT_OFFSET) {
      iOffset = i;
      continue;
    }
    if (plan.nTerm >= EV_MAX_TERMS) continue;
    sqlite3_value *pRhs = 0;
    if (sqlite3_vtab_rhs_value(p, i, &pRhs) != SQLITE_OK) pRhs = 0;
    const char *zColl = sqlite3_vtab_collation(p, i);
    int bIn = c->op == SQLITE_INDEX_CONSTRAINT_EQ && sqlite3_vtab_in(p, i, -1);
    int bExact = 0;
    int op = pq_shippable(eProfile, c->iColumn, c->op, zColl, bIn ? 0 : pRhs, &bExact);
    if (!op) continue;
    if (bIn) {
      sqlite3_vtab_in(p, i, 1);
      op = PQ_IN;
      if (eProfile != PQ_PROFILE_LOCAL) bExact = 0;
      if (eProfile == PQ_PROFILE_GRAPH && !(mForms & ODATA_FORM_OR)) bInSplit = 1;
    }
    int k = plan.nTerm++;
    plan.aTerm[k].iCol = c->iColumn;
    plan.aTerm[k].op = op;
    p->aConstraintUsage[i].argvIndex = ++nArg;
    p->aConstraintUsage[i].omit = (unsigned char)bExact;
    aCond[k].iCol = c->iColumn;
    aCond[k].op = op;
    aCond[k].aVal = &aVal[k];
    aCond[k].nVal = (op == PQ_ISNULL || op == PQ_ISNOTNULL) ? 0 : 1;
    if (pRhs && !bIn) {
      if (pq_prepare_value(c->iColumn, pRhs, &aVal[k]) != SQLITE_OK) {
        for (int j = 0; j < k; j++) sqlite3_free((char *)aVal[j].z);
        return SQLITE_NOMEM;
      }
    } else {
      aVal[k].eType = 0;
      aVal[k].i = nArg;
    }
    disp.nCond = k + 1;
    /* selectivity guesses: enough to make SQLite prefer pushed plans */
    if (op == PQ_EQ && c->iColumn == EV_COLUMN_ID && bExact) {
      rRows = 1;
      bUnique = 1;
    } else if (op == PQ_EQ) {
      rRows /= 20;
    } else if (op == PQ_IN) {
      rRows /= 5;
    } else {
      rRows /= 3;
    }
  }
  if (rRows < 1) rRows = 1;

  if (v->opts.bPushdown && p->nOrderBy == 1 && p->aOrderBy[0].iColumn == EV_COLUMN_ACTIVITY_DATE_TIME &&
      sqlite3_vtab_distinct(p) == 0 &&
      (eProfile != PQ_PROFILE_GRAPH || ((mForms & ODATA_FORM_ORDERBY) && !bInSplit))) {
    plan.iOrderCol = EV_COLUMN_ACTIVITY_DATE_TIME;
    plan.bDesc = p->aOrderBy[0].desc;
    p->orderByConsumed = 1;
    disp.iOrderCol = plan.iOrderCol;
    disp.bDesc = plan.bDesc;
  }
  /* LIMIT is a number of rows in the source's order only when SQLite takes
     that order (or asks for none): otherwise SQLite sorts every row, and a
     $top from the LIMIT would only make the pages small */
  if (iLimit >= 0 && p->nOrderBy > 0 && !p->orderByConsumed) iLimit = -1;
  if (iLimit >= 0) {
    sqlite3_value *pLim = 0, *pOff = 0;
    p->aConstraintUsage[iLimit].argvIndex = ++nArg;
    plan.iArgLimit = nArg - 1;
    if (sqlite3_vtab_rhs_value(p, iLimit, &pLim) == SQLITE_OK && sqlite3_value_type(pLim) == SQLITE_INTEGER) {
      disp.nTop = sqlite3_value_int64(pLim);
    }
    if (iOffset >= 0) {
      p->aConstraintUsage[iOffset].argvIndex = ++nArg;
      plan.iArgOffset = nArg - 1;
      if (disp.nTop > 0 && sqlite3_vtab_rhs_value(p, iOffset, &pOff) == SQLITE_OK &&
          sqlite3_value_type(pOff) == SQLITE_INTEGER && sqlite3_value_int64(pOff) > 0) {
        disp.nTop += sqlite3_value_int64(pOff);
      }
    }
    if (disp.nTop < 0) disp.nTop = 0;
  }
  plan.colUsed = p->colUsed;
  disp.colUsed = p->colUsed;

  int iPlan = ev_plan_intern(v, &plan);
  char *zShow = 0;
  if (iPlan >= 0) {
    zShow = eProfile == PQ_PROFILE_GRAPH
                ? odata_build_ex(&disp, 0, v->opts.nPageSize, v->opts.nPageMax, mForms, 0)
                : odata_display_local(&disp);
  }
  if (zShow && eProfile == PQ_PROFILE_GRAPH && odata_never(&disp)) {
    /* what is really sent: nothing */
    sqlite3_free(zShow);
    zShow = sqlite3_mprintf("no request (a condition no value of Graph's type meets)");
  }
  for (int j = 0; j < disp.nCond; j++) sqlite3_free((char *)aVal[j].z);
  if (iPlan < 0 || !zShow) {
    sqlite3_free(zShow);
    return SQLITE_NOMEM;
  }
  p->idxNum = iPlan;
  p->idxStr = zShow;
  p->needToFreeIdxStr = 1;
  p->estimatedRows = (sqlite3_int64)rRows;
  p->estimatedCost = eProfile == PQ_PROFILE_GRAPH ? rRows * 10 + 100 : rRows;
  if (bUnique) p->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  return SQLITE_OK;
}

static int evOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  ev_cursor *c = sqlite3_malloc64(sizeof(*c));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  c->bEof = 1;
  c->iSplit = -1;
  *ppCursor = &c->base;
  return SQLITE_OK;
}

/* Publish this scan's counters as the last scan's (once per scan). */
static void ev_cursor_record(ev_cursor *c) {
  ev_vtab *v = (ev_vtab *)c->base.pVtab;
  if (!c->pStream || c->bRecorded || !v->w.pGlobal) return;
  /* the most recently started scan wins (a subquery's may close later) */
  if (c->iSeq < v->w.pGlobal->iLastSeq) return;
  v->w.pGlobal->iLastSeq = c->iSeq;
  prov_stats *g = &v->w.pGlobal->last;
  memset(g, 0, sizeof(*g));
  if (v->w.pSrc->xStats) v->w.pSrc->xStats(c->pStream, g);
  g->nScanned += c->acc.nScanned;
  g->nRequests += c->acc.nRequests;
  g->nBytes += c->acc.nBytes;
  g->nRefused += c->acc.nRefused;
  g->mRefusedForms |= c->acc.mRefusedForms;
  g->nReturned = c->nReturned;
  c->bRecorded = 1;
}

static void ev_cursor_reset(ev_cursor *c) {
  ev_vtab *v = (ev_vtab *)c->base.pVtab;
  if (c->pStream) {
    ev_cursor_record(c);
    v->w.pSrc->xClose(c->pStream);
    c->pStream = 0;
  }
  pq_query_free(&c->q);
  memset(&c->q, 0, sizeof(c->q));
  sqlite3_free(c->qPart.aCond); /* its values are q's */
  memset(&c->qPart, 0, sizeof(c->qPart));
  memset(&c->acc, 0, sizeof(c->acc));
  c->iSplit = -1;
  c->iPart = 0;
  c->bEof = 1;
  c->nReturned = 0;
  c->bRecorded = 0;
}

static int evClose(sqlite3_vtab_cursor *cur) {
  ev_cursor *c = (ev_cursor *)cur;
  ev_cursor_reset(c);
  ev_row_free(&c->row);
  sqlite3_free(c);
  return SQLITE_OK;
}

/* Tokenise the current record if that has not been done yet. */
static int ev_cursor_row(ev_cursor *c) {
  if (c->pRow) return SQLITE_OK;
  int nMember = -1;
  ev_vtab *v = (ev_vtab *)c->base.pVtab;
  const pj_member *aMember = v->w.pSrc->xMembers ? v->w.pSrc->xMembers(c->pStream, &nMember) : 0;
  int rc = ev_row_load(&c->row, c->zRec, c->nRec, aMember, nMember);
  if (rc) {
    if (rc == SQLITE_NOMEM) return rc;
    ev_set_error((ev_vtab *)c->base.pVtab,
                 sqlite3_mprintf("provisioning_events: an event could not be tokenised (%s)", sqlite3_errstr(rc)));
    return SQLITE_ERROR;
  }
  c->pRow = &c->row;
  return SQLITE_OK;
}

/*
** Without `or`, an IN list of 2..ODATA_IN_SPLIT_MAX values whose every
** value has an eq form is read as one request per value (the first such
** IN of q; duplicates of a value are dropped first). Longer lists, and
** the others, stay with SQLite (their condition is not sent).
*/
static int ev_plan_split(ev_cursor *c) {
  ev_vtab *v = (ev_vtab *)c->base.pVtab;
  pq_query *q = &c->q;
  unsigned mForms = v->w.pSrc->xForms ? v->w.pSrc->xForms(v->w.pSrc) : ODATA_PROFILE_DOCUMENTED;
  c->iSplit = -1;
  if (q->bNever || (mForms & ODATA_FORM_OR) || !(mForms & ODATA_FORM_EQ)) return SQLITE_OK;
  for (int k = 0; k < q->nCond && c->iSplit < 0; k++) {
    pq_cond *cond = &q->aCond[k];
    if (cond->op != PQ_IN) continue;
    int n = 0, bOk = 1;
    for (int j = 0; j < cond->nVal; j++) {
      int bDup = 0, bNull;
      for (int i = 0; i < n && !bDup; i++) bDup = pq_compare(&cond->aVal[i], &cond->aVal[j], &bNull) == 0 && !bNull;
      if (bDup) {
        sqlite3_free((char *)cond->aVal[j].z);
        continue;
      }
      cond->aVal[n++] = cond->aVal[j];
      if (!odata_value_sendable(cond->iCol, &cond->aVal[j])) bOk = 0;
    }
    cond->nVal = n;
    if (bOk && n >= 2 && n <= ODATA_IN_SPLIT_MAX) c->iSplit = k;
  }
  if (c->iSplit < 0) return SQLITE_OK;
  c->qPart = *q;
  c->qPart.aCond = sqlite3_malloc64(sizeof(pq_cond) * (sqlite3_uint64)q->nCond);
  if (!c->qPart.aCond) {
    c->iSplit = -1;
    return SQLITE_NOMEM;
  }
  memcpy(c->qPart.aCond, q->aCond, sizeof(pq_cond) * (size_t)q->nCond);
  return SQLITE_OK;
}

/* Open the stream of part iPart of the split IN (closing the previous one). */
static int ev_open_part(ev_cursor *c, int iPart) {
  ev_vtab *v = (ev_vtab *)c->base.pVtab;
  char *zErr = 0;
  if (c->pStream) {
    prov_stats st;
    memset(&st, 0, sizeof(st));
    if (v->w.pSrc->xStats) v->w.pSrc->xStats(c->pStream, &st);
    c->acc.nScanned += st.nScanned;
    c->acc.nRequests += st.nRequests;
    c->acc.nBytes += st.nBytes;
    c->acc.nRefused += st.nRefused;
    c->acc.mRefusedForms |= st.mRefusedForms;
    v->w.pSrc->xClose(c->pStream);
    c->pStream = 0;
  }
  const pq_cond *in = &c->q.aCond[c->iSplit];
  pq_cond *part = &c->qPart.aCond[c->iSplit];
  part->op = PQ_EQ;
  part->nVal = 1;
  part->aVal = &in->aVal[iPart];
  c->iPart = iPart;
  c->qPart.bNever = c->q.bNever || odata_never(&c->qPart);
  int rc = v->w.pSrc->xOpen(v->w.pSrc, v->zPath, &c->qPart, &c->pStream, &zErr);
  if (rc) {
    ev_set_error(v, zErr ? zErr : sqlite3_mprintf("provisioning_events: %s", sqlite3_errstr(rc)));
    return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  }
  return SQLITE_OK;
}

static int evNext(sqlite3_vtab_cursor *cur) {
  ev_cursor *c = (ev_cursor *)cur;
  ev_vtab *v = (ev_vtab *)cur->pVtab;
  for (;;) {
    const char *z;
    size_t n;
    char *zErr = 0;
    int rc = v->w.pSrc->xNext(c->pStream, &z, &n, &zErr);
    if (rc == SQLITE_DONE && c->iSplit >= 0 && c->iPart + 1 < c->q.aCond[c->iSplit].nVal) {
      /* the next value of the IN list: its own request */
      rc = ev_open_part(c, c->iPart + 1);
      if (rc) {
        c->bEof = 1;
        return rc;
      }
      continue;
    }
    if (rc == SQLITE_DONE) {
      c->bEof = 1;
      ev_cursor_record(c);
      return SQLITE_OK;
    }
    if (rc != SQLITE_ROW) {
      c->bEof = 1;
      ev_set_error(v, zErr ? zErr : sqlite3_mprintf("provisioning_events: reading the source failed (%s)",
                                                    sqlite3_errstr(rc)));
      return (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) ? rc : SQLITE_ERROR;
    }
    c->zRec = z;
    c->nRec = n;
    c->pRow = v->w.pSrc->xParsed ? (ev_row *)v->w.pSrc->xParsed(c->pStream) : 0;
    if (c->bRecheck && c->q.nCond) {
      rc = ev_cursor_row(c);
      if (rc) {
        c->bEof = 1;
        return rc;
      }
      int bMatch = 1;
      /* a part keeps only its own value's rows: none comes twice, even
         from a server that compares case-insensitively */
      rc = pq_row_matches(c->iSplit >= 0 ? &c->qPart : &c->q, ev_row_column_fn, c->pRow, &bMatch);
      if (rc == SQLITE_NOMEM) return rc;
      if (rc == SQLITE_OK && !bMatch) continue;
    }
    c->nReturned++;
    return SQLITE_OK;
  }
}

static int evFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  ev_cursor *c = (ev_cursor *)cur;
  ev_vtab *v = (ev_vtab *)cur->pVtab;
  int rc = SQLITE_OK;
  char *zErr = 0;
  ev_cursor_reset(c);
  if (v->zConfigErr) {
    return ev_set_error(v, sqlite3_mprintf("%s", v->zConfigErr));
  }
  if (idxNum < 0 || idxNum >= v->nPlan) {
    return ev_set_error(v, sqlite3_mprintf("provisioning_events: unknown plan %d", idxNum));
  }
  const ev_plan *plan = &v->aPlan[idxNum];
  pq_query *q = &c->q;
  q->iOrderCol = plan->iOrderCol;
  q->bDesc = plan->bDesc;
  q->colUsed = plan->colUsed;
  if (plan->nTerm) {
    q->aCond = sqlite3_malloc64(sizeof(pq_cond) * (sqlite3_uint64)plan->nTerm);
    if (!q->aCond) return SQLITE_NOMEM;
    memset(q->aCond, 0, sizeof(pq_cond) * (size_t)plan->nTerm);
  }
  for (int k = 0; k < plan->nTerm && k < argc; k++) {
    pq_cond *cond = &q->aCond[k];
    cond->iCol = plan->aTerm[k].iCol;
    cond->op = plan->aTerm[k].op;
    q->nCond = k + 1;
    if (cond->op == PQ_ISNULL || cond->op == PQ_ISNOTNULL) continue;
    if (cond->op == PQ_IN) {
      sqlite3_value *pVal = 0;
      int nAlloc = 0;
      for (rc = sqlite3_vtab_in_first(argv[k], &pVal); rc == SQLITE_OK && pVal;
           rc = sqlite3_vtab_in_next(argv[k], &pVal)) {
        if (sqlite3_value_type(pVal) == SQLITE_NULL) continue;
        if (cond->nVal >= nAlloc) {
          nAlloc = nAlloc ? nAlloc * 2 : 8;
          pv_value *aNew = sqlite3_realloc64(cond->aVal, sizeof(pv_value) * (sqlite3_uint64)nAlloc);
          if (!aNew) return SQLITE_NOMEM;
          cond->aVal = aNew;
        }
        rc = pq_prepare_value(cond->iCol, pVal, &cond->aVal[cond->nVal]);
        if (rc) return rc;
        cond->nVal++;
      }
      if (rc != SQLITE_OK && rc != SQLITE_DONE) return rc;
      rc = SQLITE_OK;
      if (cond->nVal == 0) q->bNever = 1;
      continue;
    }
    cond->aVal = sqlite3_malloc64(sizeof(pv_value));
    if (!cond->aVal) return SQLITE_NOMEM;
    cond->nVal = 1;
    rc = pq_prepare_value(cond->iCol, argv[k], &cond->aVal[0]);
    if (rc) {
      cond->nVal = 0;
      return rc;
    }
    if (cond->aVal[0].eType == SQLITE_NULL) q->bNever = 1; /* nothing compares with NULL */
  }
  if (plan->iArgLimit >= 0 && plan->iArgLimit < argc) {
    sqlite3_int64 nLim = sqlite3_value_int64(argv[plan->iArgLimit]);
    sqlite3_int64 nOff = 0;
    if (plan->iArgOffset >= 0 && plan->iArgOffset < argc) nOff = sqlite3_value_int64(argv[plan->iArgOffset]);
    if (nOff < 0) nOff = 0;
    if (nLim >= 0) q->nTop = nLim + nOff;
    if (nLim == 0) q->bNever = 1;
  }
  c->bRecheck = v->w.pSrc->eProfile != PQ_PROFILE_LOCAL;
  if (v->w.pGlobal) c->iSeq = ++v->w.pGlobal->nSeq;
  if (v->w.pSrc->eProfile == PQ_PROFILE_GRAPH) {
    /* Graph's types can decide a condition without a request (Int32) */
    if (odata_never(q)) q->bNever = 1;
    rc = ev_plan_split(c);
    if (rc) return rc;
  }
  if (c->iSplit >= 0) {
    rc = ev_open_part(c, 0);
    if (rc) return rc;
    c->bEof = 0;
    return evNext(cur);
  }
  rc = v->w.pSrc->xOpen(v->w.pSrc, v->zPath, q, &c->pStream, &zErr);
  if (rc) {
    ev_set_error(v, zErr ? zErr : sqlite3_mprintf("provisioning_events: %s", sqlite3_errstr(rc)));
    return (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) ? rc : SQLITE_ERROR;
  }
  c->bEof = 0;
  return evNext(cur);
}

static int evEof(sqlite3_vtab_cursor *cur) { return ((ev_cursor *)cur)->bEof; }

static int evColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  ev_cursor *c = (ev_cursor *)cur;
  if (i < 0 || i >= EV_NCOLUMN) return SQLITE_OK;
  /* an UPDATE that does not change this column: no value needed (the id
     is always read: it names the event to PATCH) */
  if (i != EV_COLUMN_ID && sqlite3_vtab_nochange(ctx)) return SQLITE_OK;
  int rc = ev_cursor_row(c);
  if (rc) return rc;
  rc = ev_row_result(c->pRow, i, ctx);
  return rc == SQLITE_NOMEM ? rc : SQLITE_OK;
}

static int evRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  ev_cursor *c = (ev_cursor *)cur;
  int rc = ev_cursor_row(c);
  if (rc) return rc;
  *pRowid = ev_row_rowid(c->pRow);
  return SQLITE_OK;
}

/* provisioning_contains(text, part): 1 if part occurs in text (case-sensitive). */
void prov_contains_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) return;
  const char *zHay = (const char *)sqlite3_value_text(argv[0]);
  int nHay = sqlite3_value_bytes(argv[0]);
  const char *zNeedle = (const char *)sqlite3_value_text(argv[1]);
  int nNeedle = sqlite3_value_bytes(argv[1]);
  if (!zHay || !zNeedle) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  int found = nNeedle == 0;
  for (int i = 0; !found && i + nNeedle <= nHay; i++) {
    found = memcmp(zHay + i, zNeedle, (size_t)nNeedle) == 0;
  }
  sqlite3_result_int(ctx, found);
}

static int evFindFunction(sqlite3_vtab *pVtab, int nArg, const char *zName,
                          void (**pxFunc)(sqlite3_context *, int, sqlite3_value **), void **ppArg) {
  if (nArg == 2 && sqlite3_stricmp(zName, "provisioning_contains") == 0) {
    *pxFunc = prov_contains_func;
    *ppArg = 0;
    return SQLITE_INDEX_CONSTRAINT_FUNCTION;
  }
  return 0;
}

/* Writes (writable=1): events_write.c. */
static int evUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite_int64 *pRowid) {
  ev_vtab *v = (ev_vtab *)pVtab;
  return evw_update(&v->w, v->db, &v->opts, v->zPath, argc, argv, pRowid);
}

/* The transaction methods are writes.c's (WRITES_TABLE_METHODS). */
static sqlite3_module evModule = {
    .iVersion = 3, .xCreate = evConnect, .xConnect = evConnect, .xBestIndex = evBestIndex,
    .xDisconnect = evDisconnect, .xDestroy = evDisconnect, .xOpen = evOpen, .xClose = evClose,
    .xFilter = evFilter, .xNext = evNext, .xEof = evEof, .xColumn = evColumn, .xRowid = evRowid,
    .xUpdate = evUpdate, .xFindFunction = evFindFunction, WRITES_TABLE_METHODS,
};

int events_register(sqlite3 *db, prov_global *pGlobal) {
  return sqlite3_create_module_v2(db, "provisioning_events", &evModule, pGlobal, 0);
}

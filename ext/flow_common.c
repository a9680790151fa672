/*
** flow_common.c: what the provisioning_flows and provisioning_flow_sets
** tables share (see flow_common.h): the column catalogues and flow types,
** a JSON record's columns in the form xColumn gives, the DDL, opening the
** Graph source, and the cursor's current record (xColumn, xRowid).
**
** Calls: global.h (prov_source_open, prov_vtab_error), graph_url.h,
** trust.h, prov_options_parse (source.h), json.h, odata.h (percent-encoding),
** plan.h, schema.h (EV_COLUMN_RAW), SQLite. No table module.
*/
#include "flow_common.h"

#include <string.h>

#include "graph_url.h"
#include "odata.h"
#include "plan.h"
#include "schema.h"
#include "trust.h"

SQLITE_EXTENSION_INIT3

const fl_column fl_flow_columns[FLOWS_NCOLUMN] = {
    {"id", "VARCHAR(64)", FL_KIND_TEXT, "id", 1},
    {"flow_set_id", "VARCHAR(64)", FL_KIND_SET, 0, 0},
    {"flow_type", "VARCHAR(32)", FL_KIND_TYPE, "@odata.type", 0},
    {"readiness_status", "VARCHAR(32)", FL_KIND_TEXT, "readinessStatus", 0},
    {"created_date_time", "TIMESTAMP COLLATE provisioning_time", FL_KIND_TIME, "createdDateTime", 1},
    {"last_modified_date_time", "TIMESTAMP COLLATE provisioning_time", FL_KIND_TIME, "lastModifiedDateTime", 1},
    {"creation_options", "TEXT", FL_KIND_JSON, "creationOptions", 0},
    {"configuration", "TEXT", FL_KIND_JSON, "configuration", 0},
    {"management_options", "TEXT", FL_KIND_JSON, "managementOptions", 0},
    {"create_unmatched_users", "INTEGER", FL_KIND_BOOL, "createUnmatchedUsers", 0},
    {"raw", "TEXT", FL_KIND_RAW, 0, 0},
};

const fl_column fl_set_columns[FLOW_SETS_NCOLUMN] = {
    {"id", "VARCHAR(64)", FL_KIND_TEXT, "id", 1},
    {"display_name", "VARCHAR(255)", FL_KIND_TEXT, "displayName", 1},
    {"filter", "TEXT", FL_KIND_JSON, "filter", 1},
    {"created_date_time", "TIMESTAMP COLLATE provisioning_time", FL_KIND_TIME, "createdDateTime", 1},
    {"last_modified_date_time", "TIMESTAMP COLLATE provisioning_time", FL_KIND_TIME, "lastModifiedDateTime", 1},
    {"raw", "TEXT", FL_KIND_RAW, 0, 1},
};

const char *const fl_flow_types[] = {"administrativeUnit", "classGroup", "securityGroup", "user", 0};

/* Index of flow type z[0..n) in fl_flow_types, or -1. */
int fl_type_index(const char *z, int n) {
  for (int i = 0; fl_flow_types[i]; i++) {
    if ((int)strlen(fl_flow_types[i]) == n && memcmp(fl_flow_types[i], z, (size_t)n) == 0) return i;
  }
  return -1;
}

/* Index of the flow type an @odata.type value z[0..n) names, or -1. */
int fl_odata_type_index(const char *z, int n) {
  int nPre = (int)sizeof(FL_TYPE_PREFIX) - 1, nSuf = (int)sizeof(FL_TYPE_SUFFIX) - 1;
  if (n > 0 && z[0] != '#') { /* Graph also accepts the type without '#' */
    nPre--;
    if (n < nPre + nSuf || memcmp(z, &FL_TYPE_PREFIX[1], (size_t)nPre) != 0) return -1;
  } else if (n < nPre + nSuf || memcmp(z, FL_TYPE_PREFIX, (size_t)nPre) != 0) {
    return -1;
  }
  if (memcmp(z + n - nSuf, FL_TYPE_SUFFIX, (size_t)nSuf) != 0) return -1;
  return fl_type_index(z + nPre, n - nPre - nSuf);
}


/* The string token i unescaped (sqlite3_malloc'd), or NULL (also on OOM: *pbOom). */
char *fl_token_string(const pj_doc *d, int i, int *pbOom) {
  int n = d->aTok[i].end - d->aTok[i].start;
  char *z = sqlite3_malloc64((sqlite3_uint64)n + 1);
  if (!z) {
    *pbOom = 1;
    return 0;
  }
  int nOut = pj_unescape(d->z + d->aTok[i].start, (size_t)n, z, 0);
  if (nOut < 0) {
    /* invalid escape: keep the raw bytes rather than fail the row */
    memcpy(z, d->z + d->aTok[i].start, (size_t)n);
    nOut = n;
  }
  z[nOut] = 0;
  return z;
}

/* The whole JSON text of token i (strings with their quotes), minified, sqlite3_malloc'd. */
static char *fl_token_json(const pj_doc *d, int i, int *pbOom) {
  const jsmntok_t *t = &d->aTok[i];
  int iStart = t->start, iEnd = t->end;
  if (t->type == JSMN_STRING) {
    iStart--;
    iEnd++;
  }
  int n = iEnd - iStart;
  char *z = sqlite3_malloc64((sqlite3_uint64)n + 1);
  if (!z) {
    *pbOom = 1;
    return 0;
  }
  int nOut = (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) ? pj_minify(d->z + iStart, (size_t)n, z) : n;
  if (nOut == n) memcpy(z, d->z + iStart, (size_t)n);
  z[nOut] = 0;
  return z;
}

/*
** Column iCol of an object (d, token 0) as text, the form xColumn gives
** (times normalised, JSON minified, booleans "1"/"0", flow types short),
** sqlite3_malloc'd; NULL for SQL NULL. zSet is the flow set's id.
** SQLITE_OK or SQLITE_NOMEM.
*/
int fl_column_text(const fl_column *aCol, const pj_doc *d, const char *zSet, int iCol, char **pz) {
  const fl_column *col = &aCol[iCol];
  int bOom = 0;
  char *z = 0;
  *pz = 0;
  if (col->eKind == FL_KIND_SET) {
    if (zSet) {
      z = sqlite3_mprintf("%s", zSet);
      if (!z) return SQLITE_NOMEM;
    }
    *pz = z;
    return SQLITE_OK;
  }
  if (col->eKind == FL_KIND_RAW) {
    z = sqlite3_malloc64((sqlite3_uint64)d->n + 1);
    if (!z) return SQLITE_NOMEM;
    int n = pj_minify(d->z, (size_t)d->n, z);
    z[n] = 0;
    *pz = z;
    return SQLITE_OK;
  }
  int i = pj_find(d, 0, col->zProp, (int)strlen(col->zProp));
  if (i < 0 || pj_is_null(d, i)) return SQLITE_OK;
  const jsmntok_t *t = &d->aTok[i];
  switch (col->eKind) {
    case FL_KIND_TEXT:
    case FL_KIND_TIME:
    case FL_KIND_TYPE:
      if (t->type != JSMN_STRING) {
        z = fl_token_json(d, i, &bOom);
        break;
      }
      z = fl_token_string(d, i, &bOom);
      break;
    case FL_KIND_JSON:
      z = fl_token_json(d, i, &bOom);
      break;
    case FL_KIND_BOOL:
      if (t->type == JSMN_PRIMITIVE && d->z[t->start] == 't') {
        z = sqlite3_mprintf("1");
        bOom = !z;
      } else if (t->type == JSMN_PRIMITIVE && d->z[t->start] == 'f') {
        z = sqlite3_mprintf("0");
        bOom = !z;
      } else {
        z = fl_token_json(d, i, &bOom);
      }
      break;
  }
  if (bOom) return SQLITE_NOMEM;
  if (z && col->eKind == FL_KIND_TIME) {
    char zCanon[PQ_TIME_LEN + 1];
    if (pq_time_normalize(z, (int)strlen(z), zCanon)) {
      sqlite3_free(z);
      z = sqlite3_mprintf("%s", zCanon);
      if (!z) return SQLITE_NOMEM;
    }
  }
  if (z && col->eKind == FL_KIND_TYPE) {
    int k = fl_odata_type_index(z, (int)strlen(z));
    if (k >= 0) {
      sqlite3_free(z);
      z = sqlite3_mprintf("%s", fl_flow_types[k]);
      if (!z) return SQLITE_NOMEM;
    }
  }
  *pz = z;
  return SQLITE_OK;
}

/* Set the SQL result of column iCol from its text form (z is freed). */
static void fl_result(sqlite3_context *ctx, const fl_column *col, char *z) {
  if (!z) {
    sqlite3_result_null(ctx);
    return;
  }
  if (col->eKind == FL_KIND_BOOL && (strcmp(z, "1") == 0 || strcmp(z, "0") == 0)) {
    sqlite3_result_int(ctx, z[0] == '1');
    sqlite3_free(z);
    return;
  }
  sqlite3_result_text(ctx, z, -1, sqlite3_free);
}

/* The id of object d as a rowid: a 63-bit hash. */
static sqlite3_int64 fl_rowid_of(const char *zId) {
  return (sqlite3_int64)(pj_hash64(zId, strlen(zId)) & 0x7fffffffffffffffULL);
}

char *fl_ddl(const fl_column *aCol, int nCol) {
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "CREATE TABLE x(");
  for (int i = 0; i < nCol; i++) {
    sqlite3_str_appendf(s, "%s%s %s%s", i ? ", " : "", aCol[i].zName, aCol[i].zDecl,
                        aCol[i].eKind == FL_KIND_RAW ? " HIDDEN" : "");
  }
  sqlite3_str_appendall(s, ")");
  return sqlite3_str_finish(s);
}

/*
** Parse the options and open the source, refusing anything but Graph
** (https, or http on loopback). On error *pzErr is set.
*/
int fl_open_source(sqlite3 *db, const char *zModule, int argc, const char *const *argv, prov_options *o,
                   char **pzStore, prov_source **ppSrc, char **pzErr) {
  int rc = prov_options_parse(zModule, argc, argv, o, pzStore, pzErr);
  /* a table loaded from a database file's schema cannot widen limits or files */
  if (rc == SQLITE_OK) rc = trust_options(zModule, o, trust_is_create(db, argv[2]), pzErr);
  if (rc) return rc;
  o->db = db;
  /* these endpoints document no $top: send none (page_size= and page_max= do not apply) */
  o->nPageSize = 0;
  o->nPageMax = 0;
  if (!o->zSource || !o->zSource[0]) {
    *pzErr = sqlite3_mprintf("%s: source= is required, e.g. %s(source='https://graph.microsoft.com/beta', "
                             "auth='env:GRAPH_TOKEN')",
                             zModule, zModule);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if (sqlite3_strnicmp(o->zSource, "https://", 8) != 0 && sqlite3_strnicmp(o->zSource, "http://", 7) != 0) {
    *pzErr = sqlite3_mprintf("%s reads Microsoft Graph only: source= must be the Graph beta URL "
                             "(https://graph.microsoft.com/beta), not a file",
                             zModule);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  rc = gu_source_base(zModule, GU_FLOWS, o, pzErr);
  if (rc) return rc;
  return prov_source_open(zModule, o, ppSrc, pzErr);
}

/* A query that sends no $select, $filter or $orderby: every record whole. */
void fl_query_init(pq_query *q) {
  memset(q, 0, sizeof(*q));
  q->iOrderCol = -1;
  q->colUsed = (uint64_t)1 << EV_COLUMN_RAW;
}

/* Path of flow zId in set zSet: .../outboundProvisioningFlowSets/{set}/provisioningFlows/{id}. */
char *fl_flow_path(const char *zSet, const char *zId) {
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, FL_SETS_PATH "/");
  odata_percent(s, zSet, (int)strlen(zSet));
  sqlite3_str_appendall(s, "/provisioningFlows");
  if (zId) {
    sqlite3_str_appendchar(s, 1, '/');
    odata_percent(s, zId, (int)strlen(zId));
  }
  return sqlite3_str_finish(s);
}

int fl_source_error(sqlite3_vtab *pVtab, int rc, char *zErr, const char *zFormat) {
  int rcMsg = prov_vtab_error(pVtab, zErr ? zErr : sqlite3_mprintf(zFormat, sqlite3_errstr(rc)));
  return (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) ? rc : rcMsg;
}

void fl_scan_done(prov_global *g, const prov_source *pSrc, const prov_stats *pStart, sqlite3_int64 nReturned) {
  if (!g) return;
  prov_stats *s = &g->last;
  s->nScanned = pSrc->stats.nScanned - pStart->nScanned;
  s->nRequests = pSrc->stats.nRequests - pStart->nRequests;
  s->nBytes = pSrc->stats.nBytes - pStart->nBytes;
  s->nReturned = nReturned;
}

int fl_cursor_open(size_t nByte, sqlite3_vtab_cursor **ppCursor) {
  sqlite3_vtab_cursor *c = sqlite3_malloc64(nByte);
  *ppCursor = c;
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, nByte);
  return SQLITE_OK;
}

/* Tokenise the current record if that has not been done yet. */
static int fl_record_parse(fl_record *r, sqlite3_vtab *pVtab, const char *zModule, const char *zRow) {
  if (r->bParsed) return SQLITE_OK;
  int rc = pj_parse(&r->doc, r->zRec, r->nRec);
  if (rc == SQLITE_OK && (r->doc.nTok < 1 || r->doc.aTok[0].type != JSMN_OBJECT)) rc = SQLITE_MISMATCH;
  if (rc) {
    if (rc == SQLITE_NOMEM) return rc;
    return prov_vtab_error(pVtab,
                           sqlite3_mprintf("%s: %s is not a JSON object (%s)", zModule, zRow, sqlite3_errstr(rc)));
  }
  r->bParsed = 1;
  return SQLITE_OK;
}

int fl_record_column(fl_record *r, sqlite3_vtab *pVtab, const char *zModule, const char *zRow,
                     const fl_column *aCol, const char *zSet, sqlite3_context *ctx, int i) {
  int rc = fl_record_parse(r, pVtab, zModule, zRow);
  if (rc) return rc;
  char *z = 0;
  rc = fl_column_text(aCol, &r->doc, zSet, i, &z);
  if (rc) return rc;
  fl_result(ctx, &aCol[i], z);
  return SQLITE_OK;
}

int fl_record_rowid(fl_record *r, sqlite3_vtab *pVtab, const char *zModule, const char *zRow,
                    const fl_column *aCol, const char *zSet, sqlite3_int64 *pRowid) {
  int rc = fl_record_parse(r, pVtab, zModule, zRow);
  if (rc) return rc;
  char *zId = 0;
  rc = fl_column_text(aCol, &r->doc, zSet, 0, &zId); /* column 0 is the id in both tables */
  if (rc) return rc;
  *pRowid = zId ? fl_rowid_of(zId) : 0;
  sqlite3_free(zId);
  return SQLITE_OK;
}

/*
** flows.c: the provisioning_flows and provisioning_flow_sets virtual tables
** (Microsoft Graph beta: industryData outbound provisioning flows).
**
** Usage:
**   .load ./provisioning
**   CREATE VIRTUAL TABLE fl USING provisioning_flows(
**       source='https://graph.microsoft.com/beta', auth='env:GRAPH_TOKEN', writable=1);
**   CREATE VIRTUAL TABLE fs USING provisioning_flow_sets(
**       source='https://graph.microsoft.com/beta', auth='env:GRAPH_TOKEN');
**   SELECT id, display_name FROM fs;
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
** Schemas (declared types for BI tools, as provisioning_events; the times
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
**   provisioning_flow_sets(
**     id VARCHAR(64), display_name VARCHAR(255), filter TEXT (JSON),
**     created_date_time TIMESTAMP, last_modified_date_time TIMESTAMP,
**     raw TEXT HIDDEN)
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
**   view can drive it). xUpdate validates the change and queues one request
**   (writes.h); nothing is sent before COMMIT (xSync), ROLLBACK drops the
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
**   password value the queued bodies held.
**   provisioning_flow_sets with writable=1 takes INSERT / UPDATE / DELETE of
**   display_name and filter (flow_sets_write.c: POST, PATCH, DELETE at COMMIT).
**   Each connected provisioning_flows table is noted in the registry of
**   flow_reset.c (the module's client data), where provisioning_flow_reset()
**   finds its source.
*/
#include "flows.h"
#include "graph_url.h"

#include <string.h>

#include "flow_reset.h"
#include "flow_sets_write.h"
#include "json.h"
#include "odata.h"
#include "plan.h"
#include "schema.h"
#include "source.h"
#include "trust.h"
#include "writes.h"

SQLITE_EXTENSION_INIT3

#define FLOWS_COLUMN_ID 0
#define FLOWS_COLUMN_FLOW_SET_ID 1
#define FLOWS_COLUMN_FLOW_TYPE 2
#define FLOWS_COLUMN_READINESS_STATUS 3
#define FLOWS_COLUMN_CREATED_DATE_TIME 4
#define FLOWS_COLUMN_LAST_MODIFIED_DATE_TIME 5
#define FLOWS_COLUMN_CREATION_OPTIONS 6
#define FLOWS_COLUMN_CONFIGURATION 7
#define FLOWS_COLUMN_MANAGEMENT_OPTIONS 8
#define FLOWS_COLUMN_CREATE_UNMATCHED_USERS 9
#define FLOWS_COLUMN_RAW 10
#define FLOWS_NCOLUMN 11

#define FLOW_SETS_COLUMN_ID 0
#define FLOW_SETS_COLUMN_DISPLAY_NAME 1
#define FLOW_SETS_COLUMN_FILTER 2
#define FLOW_SETS_COLUMN_CREATED_DATE_TIME 3
#define FLOW_SETS_COLUMN_LAST_MODIFIED_DATE_TIME 4
#define FLOW_SETS_COLUMN_RAW 5
#define FLOW_SETS_NCOLUMN 6

#define FL_KIND_TEXT 1
#define FL_KIND_TIME 2
#define FL_KIND_JSON 3
#define FL_KIND_BOOL 4
#define FL_KIND_TYPE 5 /* flow_type, from @odata.type */
#define FL_KIND_SET 6  /* flow_set_id: not in the object */
#define FL_KIND_RAW 7

typedef struct fl_column {
  const char *zName;
  const char *zDecl;
  int eKind;
  const char *zProp; /* Graph property, or NULL */
  int bReadOnly;     /* never set by INSERT or UPDATE */
} fl_column;

static const fl_column aFlowCol[FLOWS_NCOLUMN] = {
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

static const fl_column aSetCol[FLOW_SETS_NCOLUMN] = {
    {"id", "VARCHAR(64)", FL_KIND_TEXT, "id", 1},
    {"display_name", "VARCHAR(255)", FL_KIND_TEXT, "displayName", 1},
    {"filter", "TEXT", FL_KIND_JSON, "filter", 1},
    {"created_date_time", "TIMESTAMP COLLATE provisioning_time", FL_KIND_TIME, "createdDateTime", 1},
    {"last_modified_date_time", "TIMESTAMP COLLATE provisioning_time", FL_KIND_TIME, "lastModifiedDateTime", 1},
    {"raw", "TEXT", FL_KIND_RAW, 0, 1},
};

#define FL_SETS_PATH "/external/industryData/outboundProvisioningFlowSets"
#define FL_TYPE_PREFIX "#microsoft.graph.industryData."
#define FL_TYPE_SUFFIX "ProvisioningFlow"

static const char *const azFlowType[] = {"administrativeUnit", "classGroup", "securityGroup", "user", 0};

/* ------------------------------------------------------------ shared helpers */

/* Index of flow type z[0..n) in azFlowType, or -1. */
static int fl_type_index(const char *z, int n) {
  for (int i = 0; azFlowType[i]; i++) {
    if ((int)strlen(azFlowType[i]) == n && memcmp(azFlowType[i], z, (size_t)n) == 0) return i;
  }
  return -1;
}

/* Index of the flow type an @odata.type value z[0..n) names, or -1. */
static int fl_odata_type_index(const char *z, int n) {
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

/* Append z[0..n) as a JSON string (quoted, escaped). */
static void fl_json_string(sqlite3_str *s, const char *z, int n) {
  static const char hex[] = "0123456789abcdef";
  sqlite3_str_appendchar(s, 1, '"');
  for (int i = 0; i < n; i++) {
    unsigned char c = (unsigned char)z[i];
    if (c == '"' || c == '\\') {
      sqlite3_str_appendchar(s, 1, '\\');
      sqlite3_str_appendchar(s, 1, (char)c);
    } else if (c < 0x20) {
      char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
      sqlite3_str_appendall(s, esc);
    } else {
      sqlite3_str_appendchar(s, 1, (char)c);
    }
  }
  sqlite3_str_appendchar(s, 1, '"');
}

/* The string token i unescaped (sqlite3_malloc'd), or NULL (also on OOM: *pbOom). */
static char *fl_token_string(const pj_doc *d, int i, int *pbOom) {
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
static int fl_column_text(const fl_column *aCol, const pj_doc *d, const char *zSet, int iCol, char **pz) {
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
      z = sqlite3_mprintf("%s", azFlowType[k]);
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

static char *fl_ddl(const fl_column *aCol, int nCol) {
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
static int fl_open_source(sqlite3 *db, const char *zModule, int argc, const char *const *argv, prov_options *o,
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
static void fl_query_init(pq_query *q, const prov_options *o) {
  memset(q, 0, sizeof(*q));
  q->iOrderCol = -1;
  q->colUsed = (uint64_t)1 << EV_COLUMN_RAW;
  (void)o;
}

/* ------------------------------------------------------------ provisioning_flows */

/* What xRowid saw of a row, for the UPDATE or DELETE that follows. */
typedef struct fl_seen {
  sqlite3_int64 iRowid;
  char *zSet; /* the flow set's id */
  char *zRec; /* the object as read */
  int nRec;
} fl_seen;

typedef struct fl_vtab {
  sqlite3_vtab base;
  sqlite3 *db;
  prov_global *pGlobal;
  prov_options opts;
  char *zOptStore;
  prov_source *pSrc;
  prov_writes writes; /* queued until COMMIT */
  int nInsert;        /* INSERTs queued, for messages */
  int bInTxn;
  fl_seen *aSeen; /* rows whose rowid SQLite asked for, this transaction */
  int nSeen, nSeenAlloc;
  int *aHash; /* open addressing: index+1 into aSeen, 0 = empty */
  int nHash;
  flow_registry *pReg; /* where provisioning_flow_reset() finds this table */
} fl_vtab;

typedef struct fl_cursor {
  sqlite3_vtab_cursor base;
  int bAllSets;         /* reading every flow set */
  prov_stream *pSets;   /* the flow-set list (bAllSets) */
  prov_stream *pFlows;  /* the current set's flows */
  char *zSet;           /* the current set's id */
  const char *zRec;     /* the current flow (valid until the next xNext) */
  size_t nRec;
  char *zOne;           /* the flow read by id (idxNum 3), owned */
  pj_doc doc;
  int bParsed;
  int bEof;
  int bScanned; /* a scan ran: record its counters when it ends */
  prov_stats start;
  sqlite3_int64 nReturned;
} fl_cursor;

/* Returns SQLITE_ERROR, or SQLITE_NOMEM when zMsg could not be made. */
static int fl_set_error(fl_vtab *v, char *zMsg) {
  sqlite3_free(v->base.zErrMsg);
  v->base.zErrMsg = zMsg;
  return zMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

static void fl_seen_clear(fl_vtab *v) {
  for (int i = 0; i < v->nSeen; i++) {
    sqlite3_free(v->aSeen[i].zSet);
    sqlite3_free(v->aSeen[i].zRec);
  }
  sqlite3_free(v->aSeen);
  sqlite3_free(v->aHash);
  v->aSeen = 0;
  v->aHash = 0;
  v->nSeen = v->nSeenAlloc = v->nHash = 0;
}

static fl_seen *fl_seen_find(fl_vtab *v, sqlite3_int64 iRowid) {
  if (!v->nHash) return 0;
  unsigned h = (unsigned)((sqlite3_uint64)iRowid % (unsigned)v->nHash);
  while (v->aHash[h]) {
    fl_seen *p = &v->aSeen[v->aHash[h] - 1];
    if (p->iRowid == iRowid) return p;
    h = (h + 1) % (unsigned)v->nHash;
  }
  return 0;
}

static int fl_seen_rehash(fl_vtab *v, int nHash) {
  int *aNew = sqlite3_malloc64(sizeof(int) * (sqlite3_uint64)nHash);
  if (!aNew) return SQLITE_NOMEM;
  memset(aNew, 0, sizeof(int) * (size_t)nHash);
  for (int i = 0; i < v->nSeen; i++) {
    unsigned h = (unsigned)((sqlite3_uint64)v->aSeen[i].iRowid % (unsigned)nHash);
    while (aNew[h]) h = (h + 1) % (unsigned)nHash;
    aNew[h] = i + 1;
  }
  sqlite3_free(v->aHash);
  v->aHash = aNew;
  v->nHash = nHash;
  return SQLITE_OK;
}

/* Remember the set and record of a row SQLite may UPDATE or DELETE next. */
static int fl_seen_add(fl_vtab *v, sqlite3_int64 iRowid, const char *zSet, const char *zRec, size_t nRec) {
  fl_seen *p = fl_seen_find(v, iRowid);
  char *zS = sqlite3_mprintf("%s", zSet ? zSet : "");
  char *zR = sqlite3_malloc64(nRec + 1);
  if (!zS || !zR) {
    sqlite3_free(zS);
    sqlite3_free(zR);
    return SQLITE_NOMEM;
  }
  memcpy(zR, zRec, nRec);
  zR[nRec] = 0;
  if (p) {
    sqlite3_free(p->zSet);
    sqlite3_free(p->zRec);
  } else {
    if (v->nSeen >= v->nSeenAlloc) {
      int nNew = v->nSeenAlloc ? v->nSeenAlloc * 2 : 16;
      fl_seen *aNew = sqlite3_realloc64(v->aSeen, sizeof(fl_seen) * (sqlite3_uint64)nNew);
      if (!aNew) goto nomem;
      v->aSeen = aNew;
      v->nSeenAlloc = nNew;
    }
    if ((v->nSeen + 1) * 2 > v->nHash && fl_seen_rehash(v, v->nHash ? v->nHash * 2 : 64)) goto nomem;
    p = &v->aSeen[v->nSeen++];
    unsigned h = (unsigned)((sqlite3_uint64)iRowid % (unsigned)v->nHash);
    while (v->aHash[h]) h = (h + 1) % (unsigned)v->nHash;
    v->aHash[h] = v->nSeen;
    p->iRowid = iRowid;
  }
  p->zSet = zS;
  p->zRec = zR;
  p->nRec = (int)nRec;
  return SQLITE_OK;
nomem:
  sqlite3_free(zS);
  sqlite3_free(zR);
  return SQLITE_NOMEM;
}

static int flConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                     char **pzErr) {
  fl_vtab *v = sqlite3_malloc64(sizeof(*v));
  int rc;
  *ppVtab = 0;
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->db = db;
  v->pReg = (flow_registry *)pAux;
  v->pGlobal = flow_registry_global(v->pReg);
  rc = fl_open_source(db, "provisioning_flows", argc, argv, &v->opts, &v->zOptStore, &v->pSrc, pzErr);
  if (rc) goto error;
  rc = flow_registry_add(v->pReg, argv[1], argv[2], v->pSrc, v->opts.zSource, v->opts.zAuth);
  if (rc) goto error;
  char *zDdl = fl_ddl(aFlowCol, FLOWS_NCOLUMN);
  if (!zDdl) {
    rc = SQLITE_NOMEM;
    goto error;
  }
  rc = sqlite3_declare_vtab(db, zDdl);
  sqlite3_free(zDdl);
  if (rc) goto error;
  if (v->opts.bWritable) sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &v->base;
  return SQLITE_OK;
error:
  flow_registry_remove(v->pReg, v->pSrc);
  if (v->pSrc) v->pSrc->xDestroy(v->pSrc);
  sqlite3_free(v->zOptStore);
  sqlite3_free(v);
  return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

static int flDisconnect(sqlite3_vtab *pVtab) {
  fl_vtab *v = (fl_vtab *)pVtab;
  flow_registry_remove(v->pReg, v->pSrc);
  if (v->pSrc) v->pSrc->xDestroy(v->pSrc);
  sqlite3_free(v->zOptStore);
  writes_clear(&v->writes);
  fl_seen_clear(v);
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
  fl_cursor *c = sqlite3_malloc64(sizeof(*c));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  c->bEof = 1;
  *ppCursor = &c->base;
  return SQLITE_OK;
}

static void fl_cursor_reset(fl_cursor *c) {
  fl_vtab *v = (fl_vtab *)c->base.pVtab;
  int bHad = c->bScanned;
  c->bScanned = 0;
  if (c->pFlows) v->pSrc->xClose(c->pFlows);
  if (c->pSets) v->pSrc->xClose(c->pSets);
  c->pFlows = c->pSets = 0;
  if (bHad && v->pGlobal) {
    prov_stats *g = &v->pGlobal->last;
    g->nScanned = v->pSrc->stats.nScanned - c->start.nScanned;
    g->nRequests = v->pSrc->stats.nRequests - c->start.nRequests;
    g->nBytes = v->pSrc->stats.nBytes - c->start.nBytes;
    g->nReturned = c->nReturned;
  }
  sqlite3_free(c->zSet);
  c->zSet = 0;
  sqlite3_free(c->zOne);
  c->zOne = 0;
  c->zRec = 0;
  c->bParsed = 0;
  c->bEof = 1;
  c->nReturned = 0;
}

static int flClose(sqlite3_vtab_cursor *cur) {
  fl_cursor *c = (fl_cursor *)cur;
  fl_cursor_reset(c);
  pj_doc_free(&c->doc);
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
  fl_query_init(&q, &v->opts);
  int rc = v->pSrc->xOpen(v->pSrc, zPath, &q, &c->pFlows, &zErr);
  sqlite3_free(zPath);
  if (rc) {
    c->pFlows = 0;
    int rcMsg = fl_set_error(v, zErr ? zErr : sqlite3_mprintf("provisioning_flows: %s", sqlite3_errstr(rc)));
    return (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) ? rc : rcMsg;
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
  c->bParsed = 0;
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
      rc = v->pSrc->xNext(c->pFlows, &z, &n, &zErr);
      if (rc == SQLITE_ROW) {
        c->zRec = z;
        c->nRec = n;
        c->nReturned++;
        return SQLITE_OK;
      }
      if (rc != SQLITE_DONE) goto fail;
      v->pSrc->xClose(c->pFlows);
      c->pFlows = 0;
    }
    if (!c->pSets) {
      c->bEof = 1;
      return SQLITE_OK;
    }
    rc = v->pSrc->xNext(c->pSets, &z, &n, &zErr);
    if (rc == SQLITE_DONE) {
      c->bEof = 1;
      return SQLITE_OK;
    }
    if (rc != SQLITE_ROW) goto fail;
    int bOom = 0;
    char *zId = fl_record_id(z, n, &c->doc, &bOom);
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
    int rcMsg = fl_set_error(
        v, zErr ? zErr : sqlite3_mprintf("provisioning_flows: reading Graph failed (%s)", sqlite3_errstr(rc)));
    return (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) ? rc : rcMsg;
  }
}

static char *fl_flow_path(const char *zSet, const char *zId);

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
  int rc = v->pSrc->xWrite(v->pSrc, "GET", zPath, 0, &iStatus, &zResp, &zErr);
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
  c->zRec = zResp;
  c->nRec = n;
  c->nReturned++;
  v->pSrc->stats.nScanned++;
  c->bEof = 0;
  return SQLITE_OK;
}

static int flFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  fl_cursor *c = (fl_cursor *)cur;
  fl_vtab *v = (fl_vtab *)cur->pVtab;
  int rc;
  fl_cursor_reset(c);
  if (!v->bInTxn && v->nSeen) fl_seen_clear(v);
  c->start = v->pSrc->stats;
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
    fl_query_init(&q, &v->opts);
    c->bAllSets = 1;
    rc = v->pSrc->xOpen(v->pSrc, FL_SETS_PATH, &q, &c->pSets, &zErr);
    if (rc) {
      c->pSets = 0;
      int rcMsg = fl_set_error(v, zErr ? zErr : sqlite3_mprintf("provisioning_flows: %s", sqlite3_errstr(rc)));
      return (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) ? rc : rcMsg;
    }
  }
  c->bEof = 0;
  return flNext(cur);
}

static int flEof(sqlite3_vtab_cursor *cur) { return ((fl_cursor *)cur)->bEof; }

/* Tokenise the current flow if that has not been done yet. */
static int fl_cursor_parse(fl_cursor *c) {
  if (c->bParsed) return SQLITE_OK;
  int rc = pj_parse(&c->doc, c->zRec, c->nRec);
  if (rc == SQLITE_OK && (c->doc.nTok < 1 || c->doc.aTok[0].type != JSMN_OBJECT)) rc = SQLITE_MISMATCH;
  if (rc) {
    if (rc == SQLITE_NOMEM) return rc;
    return fl_set_error((fl_vtab *)c->base.pVtab,
                        sqlite3_mprintf("provisioning_flows: a flow is not a JSON object (%s)", sqlite3_errstr(rc)));
  }
  c->bParsed = 1;
  return SQLITE_OK;
}

static int flColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  fl_cursor *c = (fl_cursor *)cur;
  if (i < 0 || i >= FLOWS_NCOLUMN) return SQLITE_OK;
  /* an UPDATE that leaves this column alone needs no value; id, set and
     type are always given (they name the flow to PATCH) */
  if (i != FLOWS_COLUMN_ID && i != FLOWS_COLUMN_FLOW_SET_ID && i != FLOWS_COLUMN_FLOW_TYPE &&
      sqlite3_vtab_nochange(ctx)) {
    return SQLITE_OK;
  }
  int rc = fl_cursor_parse(c);
  if (rc) return rc;
  char *z = 0;
  rc = fl_column_text(aFlowCol, &c->doc, c->zSet, i, &z);
  if (rc) return rc;
  fl_result(ctx, &aFlowCol[i], z);
  return SQLITE_OK;
}

static int flRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  fl_cursor *c = (fl_cursor *)cur;
  fl_vtab *v = (fl_vtab *)cur->pVtab;
  int rc = fl_cursor_parse(c);
  if (rc) return rc;
  char *zId = 0;
  rc = fl_column_text(aFlowCol, &c->doc, c->zSet, FLOWS_COLUMN_ID, &zId);
  if (rc) return rc;
  *pRowid = zId ? fl_rowid_of(zId) : 0;
  sqlite3_free(zId);
  if (v->opts.bWritable) rc = fl_seen_add(v, *pRowid, c->zSet, c->zRec, c->nRec);
  return rc;
}

/* ------------------------------------------------------------ writes */

/* SQLITE_OK when the table takes writes, else the error (set). */
static int fl_writable(fl_vtab *v) {
  if (v->opts.bWritable) return SQLITE_OK;
  return fl_set_error(v, sqlite3_mprintf("provisioning_flows: this table is read-only: create it with writable=1 "
                                         "to send INSERT, UPDATE and DELETE to Microsoft Graph"));
}

/*
** Check pVal, a new value of writable column i, and append its body member
** ("name":value) to s. The message never holds the value (it may be a
** password). SQLITE_OK, or SQLITE_ERROR with the error set.
*/
static int fl_append_member(fl_vtab *v, sqlite3_str *s, int i, sqlite3_value *pVal) {
  const fl_column *col = &aFlowCol[i];
  int t = sqlite3_value_type(pVal);
  sqlite3_str_appendchar(s, 1, ',');
  fl_json_string(s, col->zProp, (int)strlen(col->zProp));
  sqlite3_str_appendchar(s, 1, ':');
  if (t == SQLITE_NULL) {
    sqlite3_str_appendall(s, "null");
    return SQLITE_OK;
  }
  switch (col->eKind) {
    case FL_KIND_BOOL: {
      int nt = sqlite3_value_numeric_type(pVal);
      sqlite3_int64 x = sqlite3_value_int64(pVal);
      if (nt != SQLITE_INTEGER || (x != 0 && x != 1)) {
        return fl_set_error(v, sqlite3_mprintf("provisioning_flows: %s must be 0 or 1 (or NULL)", col->zName));
      }
      sqlite3_str_appendall(s, x ? "true" : "false");
      return SQLITE_OK;
    }
    case FL_KIND_JSON: {
      const char *z = (const char *)sqlite3_value_text(pVal);
      size_t n = (size_t)sqlite3_value_bytes(pVal), errOff;
      const char *zWhy;
      int bObject = 0;
      if (!z) return SQLITE_NOMEM;
      if (pj_check_one(z, n, &errOff, &zWhy, &bObject) != PJ_OK) {
        return fl_set_error(v, sqlite3_mprintf("provisioning_flows: %s is not valid JSON (%s at byte %lld)", col->zName,
                                               zWhy, (long long)errOff));
      }
      if (!bObject) {
        return fl_set_error(v, sqlite3_mprintf("provisioning_flows: %s must be a JSON object (or NULL)", col->zName));
      }
      char *zMin = sqlite3_malloc64(n + 1);
      if (!zMin) return SQLITE_NOMEM;
      int nMin = pj_minify(z, n, zMin);
      sqlite3_str_append(s, zMin, nMin);
      sqlite3_free(zMin);
      return SQLITE_OK;
    }
    default: {
      const char *z = (const char *)sqlite3_value_text(pVal);
      if (!z) return SQLITE_NOMEM;
      fl_json_string(s, z, sqlite3_value_bytes(pVal));
      return SQLITE_OK;
    }
  }
}

/* Path of flow zId in set zSet: .../outboundProvisioningFlowSets/{set}/provisioningFlows/{id}. */
static char *fl_flow_path(const char *zSet, const char *zId) {
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

/* Check a JSON text given as raw: one object whose @odata.type names a flow type. */
static int fl_check_raw(fl_vtab *v, const char *z, size_t n, int *piType) {
  size_t errOff;
  const char *zWhy;
  int bObject = 0;
  int r = pj_check_one(z, n, &errOff, &zWhy, &bObject);
  if (r != PJ_OK || !bObject) {
    return fl_set_error(v, sqlite3_mprintf("provisioning_flows: raw must be one JSON object (%s at byte %lld)",
                                           r == PJ_OK ? "not an object" : zWhy, r == PJ_OK ? 0LL : (long long)errOff));
  }
  pj_doc d;
  memset(&d, 0, sizeof(d));
  int rc = pj_parse(&d, z, n);
  int iType = -1;
  if (rc == SQLITE_OK) {
    int i = pj_find(&d, 0, "@odata.type", 11);
    if (i >= 0 && d.aTok[i].type == JSMN_STRING) {
      int bOom = 0;
      char *zT = fl_token_string(&d, i, &bOom);
      if (bOom) rc = SQLITE_NOMEM;
      if (zT) iType = fl_odata_type_index(zT, (int)strlen(zT));
      sqlite3_free(zT);
    }
  }
  pj_doc_free(&d);
  if (rc) return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  if (iType < 0) {
    return fl_set_error(v, sqlite3_mprintf("provisioning_flows: raw must carry \"@odata.type\": "
                                           "\"" FL_TYPE_PREFIX "<type>" FL_TYPE_SUFFIX "\" with <type> one of "
                                           "administrativeUnit, classGroup, securityGroup, user"));
  }
  *piType = iType;
  return SQLITE_OK;
}

/* The value is not repeated: a password typed into the wrong column must not show. */
static int fl_bad_type(fl_vtab *v) {
  return fl_set_error(v, sqlite3_mprintf("provisioning_flows: flow_type must be one of administrativeUnit, classGroup, "
                                         "securityGroup, user (case-sensitive)"));
}

static int fl_insert(fl_vtab *v, sqlite3_value **aCol) {
  static const int aBodyCol[] = {FLOWS_COLUMN_READINESS_STATUS, FLOWS_COLUMN_CREATE_UNMATCHED_USERS,
                                 FLOWS_COLUMN_MANAGEMENT_OPTIONS, FLOWS_COLUMN_CREATION_OPTIONS,
                                 FLOWS_COLUMN_CONFIGURATION};
  int iType = -1, rc;
  char *zBody = 0;
  for (int i = 0; i < FLOWS_NCOLUMN; i++) {
    if (aFlowCol[i].bReadOnly && sqlite3_value_type(aCol[i]) != SQLITE_NULL) {
      return fl_set_error(v, sqlite3_mprintf("provisioning_flows: %s is read-only (Graph sets it): leave it out of the "
                                             "INSERT%s",
                                             aFlowCol[i].zName,
                                             i == FLOWS_COLUMN_ID ? " and read it with provisioning_last_insert_id() "
                                                                    "after COMMIT"
                                                                  : ""));
    }
  }
  if (sqlite3_value_type(aCol[FLOWS_COLUMN_FLOW_SET_ID]) == SQLITE_NULL) {
    return fl_set_error(v, sqlite3_mprintf("provisioning_flows: flow_set_id is required: the INSERT must name the flow "
                                           "set (see provisioning_flow_sets)"));
  }
  const char *zSet = (const char *)sqlite3_value_text(aCol[FLOWS_COLUMN_FLOW_SET_ID]);
  if (!zSet) return SQLITE_NOMEM;
  if (sqlite3_value_type(aCol[FLOWS_COLUMN_FLOW_TYPE]) != SQLITE_NULL) {
    const char *zT = (const char *)sqlite3_value_text(aCol[FLOWS_COLUMN_FLOW_TYPE]);
    if (!zT) return SQLITE_NOMEM; /* not "flow_type must be one of ..." */
    iType = fl_type_index(zT, sqlite3_value_bytes(aCol[FLOWS_COLUMN_FLOW_TYPE]));
    if (iType < 0) return fl_bad_type(v);
  }
  if (sqlite3_value_type(aCol[FLOWS_COLUMN_RAW]) != SQLITE_NULL) {
    for (size_t k = 0; k < sizeof(aBodyCol) / sizeof(aBodyCol[0]); k++) {
      if (sqlite3_value_type(aCol[aBodyCol[k]]) != SQLITE_NULL) {
        return fl_set_error(v, sqlite3_mprintf("provisioning_flows: INSERT either raw (the whole body) or columns, not "
                                               "both (%s was given with raw)",
                                               aFlowCol[aBodyCol[k]].zName));
      }
    }
    const char *z = (const char *)sqlite3_value_text(aCol[FLOWS_COLUMN_RAW]);
    if (!z) return SQLITE_NOMEM;
    int iRawType = -1;
    rc = fl_check_raw(v, z, (size_t)sqlite3_value_bytes(aCol[FLOWS_COLUMN_RAW]), &iRawType);
    if (rc) return rc;
    if (iType >= 0 && iType != iRawType) {
      return fl_set_error(v, sqlite3_mprintf("provisioning_flows: flow_type '%s' differs from the @odata.type of raw "
                                             "(%s)",
                                             azFlowType[iType], azFlowType[iRawType]));
    }
    iType = iRawType;
    zBody = sqlite3_mprintf("%s", z);
    if (!zBody) return SQLITE_NOMEM;
  } else {
    if (iType < 0) {
      return fl_set_error(v,
                          sqlite3_mprintf("provisioning_flows: flow_type is required (administrativeUnit, classGroup, "
                                          "securityGroup or user), or raw with its @odata.type"));
    }
    sqlite3_str *s = sqlite3_str_new(0);
    sqlite3_str_appendf(s, "{\"@odata.type\":\"" FL_TYPE_PREFIX "%s" FL_TYPE_SUFFIX "\"", azFlowType[iType]);
    for (size_t k = 0; k < sizeof(aBodyCol) / sizeof(aBodyCol[0]); k++) {
      int i = aBodyCol[k];
      if (sqlite3_value_type(aCol[i]) == SQLITE_NULL) continue;
      rc = fl_append_member(v, s, i, aCol[i]);
      if (rc) {
        sqlite3_free(sqlite3_str_finish(s));
        return rc;
      }
    }
    sqlite3_str_appendchar(s, 1, '}');
    zBody = sqlite3_str_finish(s);
    if (!zBody) return SQLITE_NOMEM;
  }
  v->nInsert++;
  return writes_add(&v->writes, "POST", fl_flow_path(zSet, 0), zBody,
                    sqlite3_mprintf("INSERT of flow %d (%s)", v->nInsert, azFlowType[iType]));
}

/*
** Is the new value pVal of column i the same as the row's text form zOld?
** 1 same, 0 changed, -1 out of memory (never taken for "changed": that
** would PATCH a column nobody set, or refuse an UPDATE of id).
*/
static int fl_same(int i, sqlite3_value *pVal, const char *zOld) {
  int t = sqlite3_value_type(pVal);
  if (t == SQLITE_NULL || !zOld) return t == SQLITE_NULL && !zOld;
  const fl_column *col = &aFlowCol[i];
  if (col->eKind == FL_KIND_BOOL) {
    return sqlite3_value_numeric_type(pVal) == SQLITE_INTEGER && (zOld[0] == '0' || zOld[0] == '1') &&
           zOld[1] == 0 && sqlite3_value_int64(pVal) == zOld[0] - '0';
  }
  const char *z = (const char *)sqlite3_value_text(pVal);
  if (!z) return -1;
  size_t n = (size_t)sqlite3_value_bytes(pVal);
  if (col->eKind == FL_KIND_JSON || col->eKind == FL_KIND_RAW) {
    size_t errOff;
    const char *zWhy;
    if (pj_check_one(z, n, &errOff, &zWhy, 0) != PJ_OK) return 0;
    char *zMin = sqlite3_malloc64(n + 1);
    if (!zMin) return -1;
    int nMin = pj_minify(z, n, zMin);
    int bSame = (size_t)nMin == strlen(zOld) && memcmp(zMin, zOld, (size_t)nMin) == 0;
    sqlite3_free(zMin);
    return bSame;
  }
  return n == strlen(zOld) && memcmp(z, zOld, n) == 0;
}

static int fl_update(fl_vtab *v, sqlite3_value **argv) {
  sqlite3_value **aCol = argv + 2;
  sqlite3_int64 iRowid = sqlite3_value_int64(argv[0]);
  int aChanged[FLOWS_NCOLUMN], nChanged = 0, rc = SQLITE_OK;
  char *zOld[FLOWS_NCOLUMN];
  pj_doc d;
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL || sqlite3_value_int64(argv[1]) != iRowid) {
    return fl_set_error(v, sqlite3_mprintf("provisioning_flows: the rowid is a hash of the id and cannot be set"));
  }
  fl_seen *e = fl_seen_find(v, iRowid);
  if (!e) {
    return fl_set_error(v, sqlite3_mprintf("provisioning_flows: the flow to UPDATE was not read in this statement"));
  }
  memset(&d, 0, sizeof(d));
  memset(zOld, 0, sizeof(zOld));
  rc = pj_parse(&d, e->zRec, (size_t)e->nRec);
  if (rc) return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  for (int i = 0; i < FLOWS_NCOLUMN && rc == SQLITE_OK; i++) {
    aChanged[i] = 0;
    if (sqlite3_value_nochange(aCol[i])) continue;
    rc = fl_column_text(aFlowCol, &d, e->zSet, i, &zOld[i]);
    int bSame = rc == SQLITE_OK ? fl_same(i, aCol[i], zOld[i]) : 1;
    if (bSame < 0) rc = SQLITE_NOMEM;
    if (bSame == 0) {
      aChanged[i] = 1;
      nChanged++;
    }
  }
  if (rc) goto done;
  for (int i = 0; i < FLOWS_NCOLUMN; i++) {
    if (!aChanged[i]) continue;
    if (aFlowCol[i].bReadOnly || i == FLOWS_COLUMN_FLOW_SET_ID || i == FLOWS_COLUMN_FLOW_TYPE) {
      rc = fl_set_error(v, sqlite3_mprintf("provisioning_flows: %s cannot be changed by UPDATE%s", aFlowCol[i].zName,
                                           i == FLOWS_COLUMN_FLOW_SET_ID || i == FLOWS_COLUMN_FLOW_TYPE
                                               ? " (DELETE the flow and INSERT a new one)"
                                               : " (Graph sets it)"));
      goto done;
    }
    if (i == FLOWS_COLUMN_RAW) {
      rc = fl_set_error(v, sqlite3_mprintf("provisioning_flows: raw cannot be updated: set the columns instead"));
      goto done;
    }
    if (i != FLOWS_COLUMN_CREATE_UNMATCHED_USERS && i != FLOWS_COLUMN_CREATION_OPTIONS &&
        i != FLOWS_COLUMN_MANAGEMENT_OPTIONS) { /* readiness_status, configuration: not in the update API */
      rc = fl_set_error(v, sqlite3_mprintf("provisioning_flows: %s cannot be changed by UPDATE: Graph's update of a "
                                           "flow takes only create_unmatched_users, creation_options and "
                                           "management_options",
                                           aFlowCol[i].zName));
      goto done;
    }
  }
  if (nChanged == 0) goto done;
  {
    int iT = pj_find(&d, 0, "@odata.type", 11);
    int bOom = 0;
    char *zType = (iT >= 0 && d.aTok[iT].type == JSMN_STRING) ? fl_token_string(&d, iT, &bOom) : 0;
    if (bOom) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    if (!zType || !zOld[FLOWS_COLUMN_ID]) {
      sqlite3_free(zType);
      rc = fl_set_error(v, sqlite3_mprintf("provisioning_flows: the flow as read has no %s: cannot PATCH it",
                                           zType ? "id" : "@odata.type"));
      goto done;
    }
    sqlite3_str *s = sqlite3_str_new(0);
    sqlite3_str_appendall(s, "{\"@odata.type\":");
    fl_json_string(s, zType, (int)strlen(zType));
    sqlite3_free(zType);
    for (int i = 0; i < FLOWS_NCOLUMN && rc == SQLITE_OK; i++) {
      if (aChanged[i]) rc = fl_append_member(v, s, i, aCol[i]);
    }
    sqlite3_str_appendchar(s, 1, '}');
    char *zBody = sqlite3_str_finish(s);
    if (rc) {
      sqlite3_free(zBody);
      goto done;
    }
    if (!zBody) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    rc = writes_add(&v->writes, "PATCH", fl_flow_path(e->zSet, zOld[FLOWS_COLUMN_ID]), zBody,
                    sqlite3_mprintf("UPDATE of flow %s", zOld[FLOWS_COLUMN_ID]));
  }
done:
  for (int i = 0; i < FLOWS_NCOLUMN; i++) sqlite3_free(zOld[i]);
  pj_doc_free(&d);
  return rc;
}

static int fl_delete(fl_vtab *v, sqlite3_int64 iRowid) {
  fl_seen *e = fl_seen_find(v, iRowid);
  if (!e) {
    return fl_set_error(v, sqlite3_mprintf("provisioning_flows: the flow to DELETE was not read in this statement"));
  }
  pj_doc d;
  memset(&d, 0, sizeof(d));
  char *zId = 0;
  int rc = pj_parse(&d, e->zRec, (size_t)e->nRec);
  if (rc == SQLITE_OK) rc = fl_column_text(aFlowCol, &d, e->zSet, FLOWS_COLUMN_ID, &zId);
  pj_doc_free(&d);
  if (rc) return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
  if (!zId) {
    return fl_set_error(v, sqlite3_mprintf("provisioning_flows: the flow as read has no id: cannot DELETE it"));
  }
  rc = writes_add(&v->writes, "DELETE", fl_flow_path(e->zSet, zId), 0, sqlite3_mprintf("DELETE of flow %s", zId));
  sqlite3_free(zId);
  return rc;
}

static int flUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite_int64 *pRowid) {
  fl_vtab *v = (fl_vtab *)pVtab;
  int rc = fl_writable(v);
  if (rc) return rc;
  if (argc == 1) return fl_delete(v, sqlite3_value_int64(argv[0]));
  if (argc != FLOWS_NCOLUMN + 2) return SQLITE_ERROR;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    *pRowid = 0; /* the id is Graph's to give: provisioning_last_insert_id() after COMMIT */
    return fl_insert(v, argv + 2);
  }
  return fl_update(v, argv);
}

/* Every password (or secret) string value in the JSON body z, appended to *pa. */
static int fl_collect_secrets(const char *z, char ***pa, int *pn) {
  pj_doc d;
  memset(&d, 0, sizeof(d));
  size_t n = strlen(z), end = 0, errOff = 0;
  const char *zWhy;
  if (pj_value_end(z, n, &end, &errOff, &zWhy) != PJ_OK) return SQLITE_OK;
  int rc = pj_parse(&d, z, n);
  if (rc) return rc == SQLITE_NOMEM ? rc : SQLITE_OK;
  for (int i = 1; i + 1 < d.nTok && rc == SQLITE_OK; i++) {
    const jsmntok_t *k = &d.aTok[i];
    if (k->type != JSMN_STRING || k->parent < 0 || d.aTok[k->parent].type != JSMN_OBJECT) continue;
    int nKey = k->end - k->start;
    int bSecret = 0;
    for (int j = 0; j + 6 <= nKey && !bSecret; j++) {
      bSecret = sqlite3_strnicmp(z + k->start + j, "secret", 6) == 0 ||
                (j + 8 <= nKey && sqlite3_strnicmp(z + k->start + j, "password", 8) == 0);
    }
    const jsmntok_t *val = &d.aTok[i + 1];
    if (!bSecret || val->type != JSMN_STRING || val->end <= val->start) continue;
    int bOom = 0;
    char *zRaw = sqlite3_mprintf("%.*s", val->end - val->start, z + val->start);
    char *zPlain = fl_token_string(&d, i + 1, &bOom);
    char **aNew = sqlite3_realloc64(*pa, sizeof(char *) * (sqlite3_uint64)(*pn + 2));
    if (!zRaw || !zPlain || !aNew) {
      sqlite3_free(zRaw);
      sqlite3_free(zPlain);
      if (aNew) *pa = aNew;
      rc = SQLITE_NOMEM;
      break;
    }
    *pa = aNew;
    aNew[(*pn)++] = zPlain;
    if (strcmp(zRaw, zPlain) != 0) {
      aNew[(*pn)++] = zRaw;
    } else {
      sqlite3_free(zRaw);
    }
  }
  pj_doc_free(&d);
  return rc;
}

/* zMsg with every occurrence of each secret replaced by ********. */
static char *fl_scrub(char *zMsg, char **aSecret, int nSecret) {
  for (int k = 0; k < nSecret && zMsg; k++) {
    const char *zS = aSecret[k];
    size_t nS = strlen(zS);
    if (nS == 0 || !strstr(zMsg, zS)) continue;
    sqlite3_str *s = sqlite3_str_new(0);
    const char *p = zMsg, *q;
    while ((q = strstr(p, zS)) != 0) {
      sqlite3_str_append(s, p, (int)(q - p));
      sqlite3_str_appendall(s, "********");
      p = q + nS;
    }
    sqlite3_str_appendall(s, p);
    sqlite3_free(zMsg);
    zMsg = sqlite3_str_finish(s);
  }
  return zMsg;
}

static int flBegin(sqlite3_vtab *pVtab) {
  ((fl_vtab *)pVtab)->bInTxn = 1;
  return SQLITE_OK;
}

static int flSync(sqlite3_vtab *pVtab) {
  fl_vtab *v = (fl_vtab *)pVtab;
  char *zErr = 0;
  char **aSecret = 0;
  int nSecret = 0, rc = SQLITE_OK;
  v->nInsert = 0;
  if (v->writes.n == 0) return SQLITE_OK;
  for (int i = 0; i < v->writes.n && rc == SQLITE_OK; i++) {
    if (v->writes.a[i].zBody) rc = fl_collect_secrets(v->writes.a[i].zBody, &aSecret, &nSecret);
  }
  if (rc == SQLITE_OK) rc = writes_flush(&v->writes, v->pSrc, "provisioning_flows", v->pGlobal, &zErr);
  /* the report of provisioning_last_commit() holds the servers' messages too */
  if (v->pGlobal && v->pGlobal->zCommitWrites) {
    v->pGlobal->zCommitWrites = fl_scrub(v->pGlobal->zCommitWrites, aSecret, nSecret);
  }
  if (rc) {
    zErr = fl_scrub(zErr, aSecret, nSecret);
    /* no message (none made, or the scrubbed copy failed): out of memory */
    if (!zErr) rc = SQLITE_NOMEM;
    fl_set_error(v, zErr);
  } else {
    sqlite3_free(zErr);
  }
  for (int i = 0; i < nSecret; i++) sqlite3_free(aSecret[i]);
  sqlite3_free(aSecret);
  return rc;
}

static int flCommit(sqlite3_vtab *pVtab) {
  fl_vtab *v = (fl_vtab *)pVtab;
  writes_local_done(v->pGlobal, "provisioning_flows", 1);
  writes_clear(&v->writes);
  fl_seen_clear(v);
  v->nInsert = 0;
  v->bInTxn = 0;
  return SQLITE_OK;
}

static int flRollback(sqlite3_vtab *pVtab) {
  fl_vtab *v = (fl_vtab *)pVtab;
  writes_local_done(v->pGlobal, "provisioning_flows", 0);
  writes_clear(&v->writes); /* never sent */
  fl_seen_clear(v);
  v->nInsert = 0;
  v->bInTxn = 0;
  return SQLITE_OK;
}

static int flSavepoint(sqlite3_vtab *pVtab, int iSave) {
  writes_savepoint(&((fl_vtab *)pVtab)->writes, iSave);
  return SQLITE_OK;
}

static int flRelease(sqlite3_vtab *pVtab, int iSave) { return SQLITE_OK; }

static int flRollbackTo(sqlite3_vtab *pVtab, int iSave) {
  writes_rollback_to(&((fl_vtab *)pVtab)->writes, iSave);
  return SQLITE_OK;
}

static sqlite3_module flModule = {
    /* iVersion    */ 3,
    /* xCreate     */ flConnect,
    /* xConnect    */ flConnect,
    /* xBestIndex  */ flBestIndex,
    /* xDisconnect */ flDisconnect,
    /* xDestroy    */ flDisconnect,
    /* xOpen       */ flOpen,
    /* xClose      */ flClose,
    /* xFilter     */ flFilter,
    /* xNext       */ flNext,
    /* xEof        */ flEof,
    /* xColumn     */ flColumn,
    /* xRowid      */ flRowid,
    /* xUpdate     */ flUpdate,
    /* xBegin      */ flBegin,
    /* xSync       */ flSync,
    /* xCommit     */ flCommit,
    /* xRollback   */ flRollback,
    /* xFindFunction */ 0,
    /* xRename     */ 0,
    /* xSavepoint  */ flSavepoint,
    /* xRelease    */ flRelease,
    /* xRollbackTo */ flRollbackTo,
    /* xShadowName */ 0,
};

/* ------------------------------------------------------------ provisioning_flow_sets */

typedef struct fs_vtab {
  sqlite3_vtab base;
  prov_global *pGlobal;
  prov_options opts;
  char *zOptStore;
  prov_source *pSrc;
  fsw_state w; /* writes (writable=1): flow_sets_write.c */
} fs_vtab;

_Static_assert(FLOW_SETS_COLUMN_ID == FSW_COLUMN_ID && FLOW_SETS_COLUMN_DISPLAY_NAME == FSW_COLUMN_DISPLAY_NAME &&
                   FLOW_SETS_COLUMN_FILTER == FSW_COLUMN_FILTER && FLOW_SETS_COLUMN_RAW == FSW_COLUMN_RAW &&
                   FLOW_SETS_COLUMN_CREATED_DATE_TIME == FSW_COLUMN_CREATED_DATE_TIME &&
                   FLOW_SETS_COLUMN_LAST_MODIFIED_DATE_TIME == FSW_COLUMN_LAST_MODIFIED_DATE_TIME &&
                   FLOW_SETS_NCOLUMN == FSW_NCOLUMN,
               "flow_sets_write.h knows the columns of provisioning_flow_sets");

typedef struct fs_cursor {
  sqlite3_vtab_cursor base;
  prov_stream *pStream;
  const char *zRec;
  size_t nRec;
  pj_doc doc;
  int bParsed;
  int bEof;
  prov_stats start;
  sqlite3_int64 nReturned;
} fs_cursor;

/* Returns SQLITE_ERROR, or SQLITE_NOMEM when zMsg could not be made. */
static int fs_set_error(fs_vtab *v, char *zMsg) {
  sqlite3_free(v->base.zErrMsg);
  v->base.zErrMsg = zMsg;
  return zMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

static int fsConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                     char **pzErr) {
  fs_vtab *v = sqlite3_malloc64(sizeof(*v));
  int rc;
  *ppVtab = 0;
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->pGlobal = (prov_global *)pAux;
  rc = fl_open_source(db, "provisioning_flow_sets", argc, argv, &v->opts, &v->zOptStore, &v->pSrc, pzErr);
  if (rc) goto error;
  char *zDdl = fl_ddl(aSetCol, FLOW_SETS_NCOLUMN);
  if (!zDdl) {
    rc = SQLITE_NOMEM;
    goto error;
  }
  rc = sqlite3_declare_vtab(db, zDdl);
  sqlite3_free(zDdl);
  if (rc) goto error;
  if (v->opts.bWritable) sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &v->base;
  return SQLITE_OK;
error:
  if (v->pSrc) v->pSrc->xDestroy(v->pSrc);
  sqlite3_free(v->zOptStore);
  sqlite3_free(v);
  return rc;
}

static int fsDisconnect(sqlite3_vtab *pVtab) {
  fs_vtab *v = (fs_vtab *)pVtab;
  fsw_free(&v->w);
  if (v->pSrc) v->pSrc->xDestroy(v->pSrc);
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
  fs_cursor *c = sqlite3_malloc64(sizeof(*c));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  c->bEof = 1;
  *ppCursor = &c->base;
  return SQLITE_OK;
}

static void fs_cursor_reset(fs_cursor *c) {
  fs_vtab *v = (fs_vtab *)c->base.pVtab;
  if (c->pStream) {
    v->pSrc->xClose(c->pStream);
    c->pStream = 0;
    if (v->pGlobal) {
      prov_stats *g = &v->pGlobal->last;
      g->nScanned = v->pSrc->stats.nScanned - c->start.nScanned;
      g->nRequests = v->pSrc->stats.nRequests - c->start.nRequests;
      g->nBytes = v->pSrc->stats.nBytes - c->start.nBytes;
      g->nReturned = c->nReturned;
    }
  }
  c->bParsed = 0;
  c->bEof = 1;
  c->nReturned = 0;
}

static int fsClose(sqlite3_vtab_cursor *cur) {
  fs_cursor *c = (fs_cursor *)cur;
  fs_cursor_reset(c);
  pj_doc_free(&c->doc);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int fsNext(sqlite3_vtab_cursor *cur) {
  fs_cursor *c = (fs_cursor *)cur;
  fs_vtab *v = (fs_vtab *)cur->pVtab;
  const char *z;
  size_t n;
  char *zErr = 0;
  c->bParsed = 0;
  int rc = v->pSrc->xNext(c->pStream, &z, &n, &zErr);
  if (rc == SQLITE_ROW) {
    c->zRec = z;
    c->nRec = n;
    c->nReturned++;
    return SQLITE_OK;
  }
  c->bEof = 1;
  if (rc == SQLITE_DONE) return SQLITE_OK;
  int rcMsg = fs_set_error(
      v, zErr ? zErr : sqlite3_mprintf("provisioning_flow_sets: reading Graph failed (%s)", sqlite3_errstr(rc)));
  return (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) ? rc : rcMsg;
}

static int fsFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  fs_cursor *c = (fs_cursor *)cur;
  fs_vtab *v = (fs_vtab *)cur->pVtab;
  pq_query q;
  char *zErr = 0;
  fs_cursor_reset(c);
  fsw_scan_start(&v->w);
  fl_query_init(&q, &v->opts);
  c->start = v->pSrc->stats;
  int rc = v->pSrc->xOpen(v->pSrc, FL_SETS_PATH, &q, &c->pStream, &zErr);
  if (rc) {
    c->pStream = 0;
    int rcMsg = fs_set_error(v, zErr ? zErr : sqlite3_mprintf("provisioning_flow_sets: %s", sqlite3_errstr(rc)));
    return (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) ? rc : rcMsg;
  }
  c->bEof = 0;
  return fsNext(cur);
}

static int fsEof(sqlite3_vtab_cursor *cur) { return ((fs_cursor *)cur)->bEof; }

static int fs_cursor_parse(fs_cursor *c) {
  if (c->bParsed) return SQLITE_OK;
  int rc = pj_parse(&c->doc, c->zRec, c->nRec);
  if (rc == SQLITE_OK && (c->doc.nTok < 1 || c->doc.aTok[0].type != JSMN_OBJECT)) rc = SQLITE_MISMATCH;
  if (rc) {
    if (rc == SQLITE_NOMEM) return rc;
    return fs_set_error(
        (fs_vtab *)c->base.pVtab,
        sqlite3_mprintf("provisioning_flow_sets: a flow set is not a JSON object (%s)", sqlite3_errstr(rc)));
  }
  c->bParsed = 1;
  return SQLITE_OK;
}

static int fsColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  fs_cursor *c = (fs_cursor *)cur;
  if (i < 0 || i >= FLOW_SETS_NCOLUMN) return SQLITE_OK;
  /* an UPDATE that leaves this column alone: "no change" (flow_sets_write.c) */
  if (((fs_vtab *)cur->pVtab)->opts.bWritable && sqlite3_vtab_nochange(ctx)) return SQLITE_OK;
  int rc = fs_cursor_parse(c);
  if (rc) return rc;
  char *z = 0;
  rc = fl_column_text(aSetCol, &c->doc, 0, i, &z);
  if (rc) return rc;
  fl_result(ctx, &aSetCol[i], z);
  return SQLITE_OK;
}

static int fsRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  fs_cursor *c = (fs_cursor *)cur;
  int rc = fs_cursor_parse(c);
  if (rc) return rc;
  char *zId = 0;
  rc = fl_column_text(aSetCol, &c->doc, 0, FLOW_SETS_COLUMN_ID, &zId);
  if (rc) return rc;
  *pRowid = zId ? fl_rowid_of(zId) : 0;
  sqlite3_free(zId);
  fs_vtab *v = (fs_vtab *)cur->pVtab;
  if (v->opts.bWritable) return fsw_seen_add(&v->w, *pRowid, c->zRec, c->nRec);
  return SQLITE_OK;
}

/* Writes: flow_sets_write.c (writable=1 only). */
static int fsUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite_int64 *pRowid) {
  fs_vtab *v = (fs_vtab *)pVtab;
  if (!v->opts.bWritable) {
    return fs_set_error(v, sqlite3_mprintf("provisioning_flow_sets: this table is read-only: create it with "
                                           "writable=1 to send INSERT, UPDATE and DELETE to Microsoft Graph"));
  }
  *pRowid = 0; /* the id is Graph's to give: provisioning_last_insert_id() after COMMIT */
  return fsw_update(&v->w, pVtab, argc, argv);
}
static int fsBegin(sqlite3_vtab *pVtab) {
  fsw_begin(&((fs_vtab *)pVtab)->w);
  return SQLITE_OK;
}
static int fsSync(sqlite3_vtab *pVtab) {
  fs_vtab *v = (fs_vtab *)pVtab;
  return fsw_sync(&v->w, pVtab, v->pSrc, v->pGlobal);
}
static int fsEnd(sqlite3_vtab *pVtab) {
  fsw_end(&((fs_vtab *)pVtab)->w);
  return SQLITE_OK;
}
static int fsSavepoint(sqlite3_vtab *pVtab, int iSave) {
  fsw_savepoint(&((fs_vtab *)pVtab)->w, iSave);
  return SQLITE_OK;
}
static int fsRelease(sqlite3_vtab *pVtab, int iSave) { return SQLITE_OK; }
static int fsRollbackTo(sqlite3_vtab *pVtab, int iSave) {
  fsw_rollback_to(&((fs_vtab *)pVtab)->w, iSave);
  return SQLITE_OK;
}

static sqlite3_module fsModule = {
    /* iVersion    */ 2,
    /* xCreate     */ fsConnect,
    /* xConnect    */ fsConnect,
    /* xBestIndex  */ fsBestIndex,
    /* xDisconnect */ fsDisconnect,
    /* xDestroy    */ fsDisconnect,
    /* xOpen       */ fsOpen,
    /* xClose      */ fsClose,
    /* xFilter     */ fsFilter,
    /* xNext       */ fsNext,
    /* xEof        */ fsEof,
    /* xColumn     */ fsColumn,
    /* xRowid      */ fsRowid,
    /* xUpdate     */ fsUpdate,
    /* xBegin      */ fsBegin,
    /* xSync       */ fsSync,
    /* xCommit     */ fsEnd,
    /* xRollback   */ fsEnd,
    /* xFindFunction */ 0,
    /* xRename     */ 0,
    /* xSavepoint  */ fsSavepoint,
    /* xRelease    */ fsRelease,
    /* xRollbackTo */ fsRollbackTo,
    /* xShadowName */ 0,
};

int flows_register(sqlite3 *db, prov_global *g) {
  /* the registry of flows tables, for provisioning_flow_reset(): freed with the module */
  flow_registry *r = flow_registry_new(g);
  if (!r) return SQLITE_NOMEM;
  int rc = sqlite3_create_module_v2(db, "provisioning_flows", &flModule, r, flow_registry_free);
  if (rc == SQLITE_OK) rc = sqlite3_create_module_v2(db, "provisioning_flow_sets", &fsModule, g, 0);
  if (rc == SQLITE_OK) rc = flow_reset_register(db, r);
  return rc;
}

/*
** flow_common.h: what provisioning_flows (flows.c, flows_write.c) and
** provisioning_flow_sets (flow_sets.c, flow_sets_write.c) share: their
** column catalogues, the flow types, reading a column of a JSON record,
** the DDL, the opening of a Graph source, and the cursor's record. See
** flow_common.c.
**
** Calls: global.h, source.h, json.h, odata.h, plan.h (time text), SQLite.
** No table module.
*/
#ifndef PROV_FLOW_COMMON_H
#define PROV_FLOW_COMMON_H

#include "global.h"
#include "json.h"

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

/* The columns of provisioning_flows and provisioning_flow_sets, in declared order. */
extern const fl_column fl_flow_columns[FLOWS_NCOLUMN];
extern const fl_column fl_set_columns[FLOW_SETS_NCOLUMN];

#define FL_SETS_PATH "/external/industryData/outboundProvisioningFlowSets"
#define FL_TYPE_PREFIX "#microsoft.graph.industryData."
#define FL_TYPE_SUFFIX "ProvisioningFlow"

/* The flow types (flow_type), NULL-terminated. */
extern const char *const fl_flow_types[];

/* Index of flow type z[0..n) in fl_flow_types, or -1. */
int fl_type_index(const char *z, int n);
/* Index of the flow type an @odata.type value z[0..n) names, or -1. */
int fl_odata_type_index(const char *z, int n);

/* The string token i unescaped (sqlite3_malloc'd), or NULL (also on OOM: *pbOom). */
char *fl_token_string(const pj_doc *d, int i, int *pbOom);

/*
** Column iCol of an object (d, token 0) as text, the form xColumn gives
** (times normalised, JSON minified, booleans "1"/"0", flow types short),
** sqlite3_malloc'd; NULL for SQL NULL. zSet is the flow set's id.
** SQLITE_OK or SQLITE_NOMEM.
*/
int fl_column_text(const fl_column *aCol, const pj_doc *d, const char *zSet, int iCol, char **pz);

/* The CREATE TABLE text of a catalogue (raw HIDDEN), sqlite3_malloc'd. */
char *fl_ddl(const fl_column *aCol, int nCol);

/*
** Parse the options and open the source, refusing anything but Graph
** (https, or http on loopback). On error *pzErr is set.
*/
int fl_open_source(sqlite3 *db, const char *zModule, int argc, const char *const *argv, prov_options *o,
                   char **pzStore, prov_source **ppSrc, char **pzErr);

/* Path of flow zId in set zSet: .../outboundProvisioningFlowSets/{set}/provisioningFlows[/{id}] (zId may be NULL). */
char *fl_flow_path(const char *zSet, const char *zId);

/* A query that sends no $select, $filter or $orderby: every record whole. */
void fl_query_init(pq_query *q);

/*
** A source's error set on pVtab: zErr (taken), else zFormat with rc's text
** for its one %s. The code xFilter and xNext return.
*/
int fl_source_error(sqlite3_vtab *pVtab, int rc, char *zErr, const char *zFormat);

/* A scan of pSrc that started at *pStart and returned nReturned rows ended: its counters go to g. */
void fl_scan_done(prov_global *g, const prov_source *pSrc, const prov_stats *pStart, sqlite3_int64 nReturned);

/* xOpen: a zeroed cursor of nByte bytes (sqlite3_vtab_cursor first) at *ppCursor. SQLITE_OK or SQLITE_NOMEM. */
int fl_cursor_open(size_t nByte, sqlite3_vtab_cursor **ppCursor);

/* The current record of a cursor, tokenised when a column is first asked for. */
typedef struct fl_record {
  const char *zRec; /* valid until the next xNext */
  size_t nRec;
  pj_doc doc;
  int bParsed;
} fl_record;

/*
** Column i (xColumn) or the rowid (xRowid, a 63-bit hash of the id) of the
** record, by catalogue aCol; zSet is the flow set's id. A record that is not
** a JSON object is an error set on pVtab: "<zModule>: <zRow> is not a JSON
** object" (zRow: "a flow").
*/
int fl_record_column(fl_record *r, sqlite3_vtab *pVtab, const char *zModule, const char *zRow,
                     const fl_column *aCol, const char *zSet, sqlite3_context *ctx, int i);
int fl_record_rowid(fl_record *r, sqlite3_vtab *pVtab, const char *zModule, const char *zRow,
                    const fl_column *aCol, const char *zSet, sqlite3_int64 *pRowid);

#endif

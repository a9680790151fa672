/*
** event_row.h: one provisioningObjectSummary and its columns.
**
** ev_row_load() only indexes the event's top-level members (their byte
** spans, found while the text was validated, or by one validating pass);
** nothing is read until a column needs it. A column that is a top-level
** string (id, jobId...) is read straight from its span; a nested one
** (provisioningStatusInfo/status) by walking only that member's text,
** already validated (pj_text_path), without tokenising it. So a query
** reading 15 columns never looks into provisioningSteps or
** modifiedProperties, and count(*) reads no column at all.
**
** ev_row_value() reads any column of schema.h through its Graph path(s),
** the v1.0 spelling first and then the beta one. The same values feed
** xColumn and the in-process filter (pq_row_matches), so what a filter sees
** is exactly what SQLite would read.
** The interface of event_row.c, whose first comment says what it calls.
*/
#ifndef PROV_EVENT_ROW_H
#define PROV_EVENT_ROW_H

#include "json.h"
#include "plan.h"

#define EV_NTOP 19 /* known top-level members */

typedef struct ev_row {
  const char *z; /* the event's JSON text (not owned) */
  size_t n;
  int aTopVal[EV_NTOP]; /* offset of each known member's value, or -1 */
  int aTopLen[EV_NTOP];
  pj_member aMember[PJ_MAX_MEMBERS];
  char *zScratch; /* decoded text of the last value read */
  size_t nScratch;
  char zTime[PQ_TIME_LEN + 1];
  const char *zErr; /* why the last ev_row_value() failed */
} ev_row;

/*
** Index the object z[0..n) (validated JSON). aMember/nMember are its
** top-level members when the caller knows them (nMember < 0: not known,
** then one validating pass finds them). SQLITE_OK, SQLITE_MISMATCH (not an
** object) or SQLITE_NOMEM.
*/
int ev_row_load(ev_row *r, const char *z, size_t n, const pj_member *aMember, int nMember);

/*
** Column iCol as a value (text may point into the row or its scratch
** buffer: valid until the next call). SQLITE_OK, SQLITE_NOMEM, or
** SQLITE_ERROR with r->zErr set (an invalid escape).
*/
int ev_row_value(ev_row *r, int iCol, pv_value *pOut);

/* pq_column_fn over an ev_row. */
int ev_row_column_fn(void *pRow, int iCol, pv_value *pOut);

/* Stable rowid: a 64-bit hash of the event's id (of the whole object when it has none). */
sqlite3_int64 ev_row_rowid(ev_row *r);

/* Set the SQL result of column iCol. */
int ev_row_result(ev_row *r, int iCol, sqlite3_context *ctx);

void ev_row_free(ev_row *r);

#endif

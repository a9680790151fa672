/*
** odata.h: write a pq_query as a Graph OData query string.
**
** Only conditions Graph accepts (GRAPH.md) are written; anything else is
** left out or written looser, so the server's answer is always a superset
** of what SQLite keeps (the table marks such constraints omit=0 and SQLite
** re-checks them). Literals: strings single-quoted with ' doubled,
** DateTimeOffset bare in UTC ('2024-06-01T00:00:00.0000000Z'), integers
** as digits; with bEncode each parameter value is then percent-encoded
** (RFC 3986 unreserved characters kept).
** The interface of odata.c, whose first comment says what it calls.
*/
#ifndef PROV_ODATA_H
#define PROV_ODATA_H

#include "odata_forms.h"
#include "plan.h"

/*
** Build "$filter=...&$orderby=...&$top=...&$select=..." for q (parts that
** are empty are left out; "" when nothing applies). nPageMax caps $top
** (0 = no cap); nPageSize is the $top to use when q->nTop is 0 (0 = none).
** bSelect adds $select. With bEncode values are percent-encoded for a URL,
** without they are shown as a person reads them (EXPLAIN, traces).
** Returns an sqlite3_malloc'd string, or NULL on OOM.
*/
char *odata_build(const pq_query *q, int bEncode, sqlite3_int64 nPageSize,
                  sqlite3_int64 nPageMax, int bSelect);

/*
** The same with the forms in allow (ODATA_FORM_* of odata_forms.h; a
** profile minus what the origin refused). *pUsed (may be NULL) receives
** the forms actually written: what a 400 can be blamed on.
*/
char *odata_build_ex(const pq_query *q, int bEncode, sqlite3_int64 nPageSize,
                     sqlite3_int64 nPageMax, unsigned allow, unsigned *pUsed);

/*
** Does Graph's type of some condition's property decide that no row
** matches (duration_ms = 5000000000: Edm.Int32 holds no such value)?
** Then no request is needed.
*/
int odata_never(const pq_query *q);

/* Can "column iCol = v" be sent as eq (or is it known to match nothing)? */
int odata_value_sendable(int iCol, const pv_value *v);

/*
** An IN list of at most this many values is sent under the documented
** profile (no `or`) as one eq request per value; a longer one stays with
** SQLite.
*/
#define ODATA_IN_SPLIT_MAX 8

/*
** Append the OData form of one condition to pStr. Returns 1 if written,
** 0 if the condition has no Graph form (left to SQLite). Exposed for tests.
*/
int odata_cond(sqlite3_str *pStr, const pq_cond *c);
int odata_cond_ex(sqlite3_str *pStr, const pq_cond *c, unsigned allow, unsigned *pUsed);

/*
** The conditions of q as the in-process filter of the file source
** evaluates them (every operator, literals as given), for EXPLAIN.
*/
char *odata_display_local(const pq_query *q);

/* Percent-encode z[0..n) (RFC 3986: keep A-Z a-z 0-9 - . _ ~). */
void odata_percent(sqlite3_str *pStr, const char *z, int n);

/* Append z[0..n) as an OData string literal: '...' with ' doubled. */
void odata_quote(sqlite3_str *pStr, const char *z, int n);

#endif

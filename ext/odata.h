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
*/
#ifndef PROV_ODATA_H
#define PROV_ODATA_H

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
** Append the OData form of one condition to pStr. Returns 1 if written,
** 0 if the condition has no Graph form (left to SQLite). Exposed for tests.
*/
int odata_cond(sqlite3_str *pStr, const pq_cond *c);

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

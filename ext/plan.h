/*
** plan.h: the query a table hands to its source, and the pure functions
** that decide, prepare and evaluate it.
**
** Three steps, kept apart (see DESIGN.md "The plan"):
**   1. pq_shippable(): may this constraint go to the source at all?
**      (xBestIndex; decides only, builds no text)
**   2. pq_prepare_value(): the right-hand value with the column's SQLite
**      affinity applied, exactly as SQLite would compare it (xFilter).
**   3. The source evaluates the pq_query: the file source in-process with
**      pq_row_matches(), Graph as OData text from odata_build().
** A condition that a source cannot express exactly is sent looser (or
** not at all) and SQLite re-checks it: never dropping a row SQLite keeps.
** The interface of plan.c, whose first comment says what it calls.
*/
#ifndef PROV_PLAN_H
#define PROV_PLAN_H

#include <stdint.h>

#include "sqlite3ext.h"

/* Operators of a prepared condition. */
#define PQ_EQ 1
#define PQ_NE 2
#define PQ_GT 3
#define PQ_GE 4
#define PQ_LT 5
#define PQ_LE 6
#define PQ_ISNULL 7
#define PQ_ISNOTNULL 8
#define PQ_GLOB 9     /* SQL GLOB pattern (case-sensitive) */
#define PQ_LIKE 10    /* SQL LIKE pattern (ASCII case-insensitive) */
#define PQ_IN 11      /* equal to one of aVal[0..nVal) */
#define PQ_CONTAINS 12 /* provisioning_contains(col, 'text'): substring */

/* A value: SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT or
** SQLITE_BLOB (z/n hold the bytes). */
typedef struct pv_value {
  int eType;
  sqlite3_int64 i;
  double r;
  const char *z; /* TEXT: not NUL-terminated in rows; owned by the query */
  int n;
} pv_value;

typedef struct pq_cond {
  int iCol;
  int op;
  int nVal; /* 1 for comparisons, n for IN, 0 for IS [NOT] NULL */
  pv_value *aVal;
} pq_cond;

typedef struct pq_query {
  int nCond;
  pq_cond *aCond;
  int iOrderCol;       /* column of $orderby, or -1 */
  int bDesc;           /* descending */
  sqlite3_int64 nTop;  /* rows SQLite may want (LIMIT+OFFSET), 0 = unknown */
  uint64_t colUsed;    /* columns the statement reads */
  int bNever;          /* some condition can never hold: no row, no request */
} pq_query;

/* Sources' capability profiles. */
#define PQ_PROFILE_GRAPH 1 /* GRAPH.md's table */
#define PQ_PROFILE_LOCAL 2 /* everything pq_row_matches() evaluates */

/*
** Step 1. May a constraint (SQLite operator eOp on column iCol, text
** collation zColl) go to a source of this profile? Returns the PQ_ op to
** ship, or 0 to leave it to SQLite. *pbExact is set when the source's
** answer is exactly SQLite's for every right-hand value pRhs can be (pRhs
** is the plan-time value, NULL when unknown, e.g. a bound parameter).
*/
int pq_shippable(int eProfile, int iCol, int eOp, const char *zColl,
                 sqlite3_value *pRhs, int *pbExact);

/*
** Step 2. Prepare pVal for comparison with column iCol: SQLite's affinity
** rules (NUMERIC columns turn numeric-looking text into numbers, TEXT
** columns turn numbers into text). Text is copied into memory owned by
** the caller's query (freed by pq_query_free).
*/
int pq_prepare_value(int iCol, sqlite3_value *pVal, pv_value *pOut);

/* Free everything a query owns (its conditions and their values). */
void pq_query_free(pq_query *q);

/*
** Compare a row's value with a prepared value as SQLite would (NULL is
** unknown: comparisons with it are false), under BINARY collation.
** Returns <0, 0 or >0; *pbNull set when either side is NULL.
*/
int pq_compare(const pv_value *pRow, const pv_value *pRhs, int *pbNull);

/*
** Row access for evaluation: fill *pOut with column iCol of the row
** (text may point into the row's buffer). Returns SQLITE_OK or an error.
*/
typedef int (*pq_column_fn)(void *pRow, int iCol, pv_value *pOut);

/*
** Does the row satisfy every condition of q? Sets *pbMatch. Exactly
** SQLite's answer for every operator (LIKE: ASCII case folding as SQLite's
** built-in like()). Returns SQLITE_OK or the getter's error.
*/
int pq_row_matches(const pq_query *q, pq_column_fn xCol, void *pRow,
                   int *pbMatch);

/*
** Time text normalisation. Parses ISO 8601 / RFC 3339 date-times
** ('2016-12-31T23:59:58.6838993+03:00', '2019-05-04T03:00:54Z', a space
** instead of T, no zone = UTC) and writes the UTC form
** 'YYYY-MM-DD HH:MM:SS.fffffff' (27 bytes + NUL) to zOut. Returns 1 on
** success, 0 if z is not such a time (then callers keep the text as is).
*/
#define PQ_TIME_LEN 27
int pq_time_normalize(const char *z, int n, char zOut[PQ_TIME_LEN + 1]);

/* 'YYYY-MM-DD HH:MM:SS.fffffff' -> 'YYYY-MM-DDTHH:MM:SS.fffffffZ' (29+1). */
void pq_time_to_odata(const char zCanon[PQ_TIME_LEN], char zOut[30]);

/*
** (Text order only: the plan now uses pt_bound() of time_order.h, as the
** time column compares instants.) The time column holds canonical text and
** SQLite compares it with a text value r as text (BINARY). Translate "column OP r" into a comparison with
** an instant that a server comparing instants can evaluate: on return 1,
** *pOp (PQ_EQ, PQ_GT, PQ_GE, PQ_LT or PQ_LE) and zCanon (a valid canonical
** time) hold the translation and *pbExact says whether it keeps exactly
** SQLite's rows (else it keeps more). Returns 0 when there is none (send
** nothing for this condition).
*/
int pq_time_bound(int op, const char *z, int n, int *pOp,
                  char zCanon[PQ_TIME_LEN + 1], int *pbExact);

/*
** The canonical time 100 ns after (iDir > 0) or before (iDir < 0) zCanon,
** into zOut. Returns 0 when that lies outside Edm.DateTimeOffset's range
** (years 0001 to 9999) or zCanon is not a canonical time.
*/
int pq_time_step(const char zCanon[PQ_TIME_LEN], int iDir, char zOut[PQ_TIME_LEN + 1]);

/* Is GLOB pattern z a plain substring test ('*abc*')? Sets the literal. */
int pq_glob_literal(const char *z, int n, int *pbExact, const char **pzLit,
                    int *pnLit);

#endif

/*
** time_order.h: the order of time text, and the provisioning_time collation.
**
** Usage:
**   SELECT '2024-06-01T10:00:00Z' = '2024-06-01 10:00:00.000' COLLATE provisioning_time;  -- 1
**
** Every time column the extension declares (provisioning_events'
** activity_date_time, the flow tables' created/last-modified times, the
** sync mirror) is `TIMESTAMP COLLATE provisioning_time`, so comparisons,
** ORDER BY, GROUP BY, DISTINCT, min/max and +col all compare instants.
** The interface of time_order.c, whose first comment says what it calls.
*/
#ifndef PROV_TIME_ORDER_H
#define PROV_TIME_ORDER_H

#include "sqlite3ext.h"

#define PT_COLLATION "provisioning_time"

/*
** The collation: text that parses as a time (ISO 8601 with 'T' or a space,
** 'Z', '+hh:mm' / '-hh:mm' / '+hhmm' offsets, no zone = UTC, any number of
** fraction digits, 'YYYY-MM-DD' = midnight UTC, 'YYYY-MM' = its first day,
** 'YYYY-MM-DD HH:MM') sorts
** first, by instant (digits past 100 ns break ties, trailing zeros
** ignored); all other text after it, bytewise. Two canonical 27-byte forms
** ('YYYY-MM-DD HH:MM:SS.fffffff') compare with one memcmp.
*/
int pt_compare(const char *a, int na, const char *b, int nb);

/*
** z[0..n) as a time: the canonical UTC form in zCanon (27 bytes + NUL) and,
** in *pbFiner, whether it has nonzero digits past the 7th fraction digit
** (it then lies strictly between zCanon and the next 100 ns). Returns 1 if
** z is a time, else 0.
*/
int pt_parse(const char *z, int n, char zCanon[28], int *pbFiner);

/*
** "column OP z" under the collation, for a column holding canonical times:
** on return 1, *pOp and zCanon hold an equivalent comparison with a
** canonical instant (exact). Returns 0 when z is not a time or no
** canonical time equals it (then send nothing).
*/
int pt_bound(int op, const char *z, int n, int *pOp, char zCanon[28]);

/* Registers the collation on db. */
int pt_register(sqlite3 *db);

#endif

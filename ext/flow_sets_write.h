/*
** flow_sets_write.h: the write side of provisioning_flow_sets (writable=1):
** INSERT / UPDATE / DELETE of display_name and filter, queued and sent at
** COMMIT through writes.h. See flow_sets_write.c. The table module
** (flow_sets.c) owns an fsw_state and calls fsw_update from its xUpdate;
** the transaction methods are writes.c's.
*/
#ifndef PROV_FLOW_SETS_WRITE_H
#define PROV_FLOW_SETS_WRITE_H

#include "writes.h"

typedef struct fsw_seen fsw_seen;

/* The flow sets whose rowid SQLite asked for, this transaction. */
typedef struct fsw_state {
  fsw_seen *aSeen;
  int nSeen, nSeenAlloc;
} fsw_state;

/* Remember the record of a row SQLite may UPDATE or DELETE next. SQLITE_OK or SQLITE_NOMEM. */
int fsw_seen_add(fsw_state *s, sqlite3_int64 iRowid, const char *zRec, size_t nRec);
void fsw_seen_clear(fsw_state *s);

/* xUpdate of a writable table (t checked writable; errors set on t->base). */
int fsw_update(writes_table *t, fsw_state *s, int argc, sqlite3_value **argv);

#endif

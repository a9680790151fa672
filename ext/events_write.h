/*
** events_write.h: the write side of provisioning_events (writable=1):
** INSERT and UPDATE, queued and sent at COMMIT through writes.h. See
** events_write.c. The table module (events.c) calls evw_update from its
** xUpdate; the transaction methods are writes.c's.
*/
#ifndef PROV_EVENTS_WRITE_H
#define PROV_EVENTS_WRITE_H

#include "writes.h"

/*
** xUpdate of provisioning_events (t: the table's writes_table, db its
** connection, opts its options, zPath the Graph path of its collection).
** Errors are set on t->base.
*/
int evw_update(writes_table *t, sqlite3 *db, const prov_options *opts, const char *zPath, int argc,
               sqlite3_value **argv, sqlite_int64 *pRowid);

#endif

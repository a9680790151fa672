/*
** sync.h: provisioning_sync(), the incremental copy of events into an
** ordinary table (sync.c).
** The interface of sync.c, whose first comment says what it calls.
*/
#ifndef PROV_SYNC_H
#define PROV_SYNC_H

#include "sqlite3ext.h"

/* Register provisioning_sync(source, local [, lookback [, log]]) on db. */
int sync_register(sqlite3 *db);

#endif

/*
** flows_write.h: the write side of provisioning_flows (writable=1): INSERT,
** UPDATE and DELETE of flows, queued and sent at COMMIT through writes.h,
** and the rows xRowid saw, which UPDATE and DELETE need. See
** flows_write.c. The table module (flows.c) owns an flw_state and calls
** flw_update from its xUpdate.
*/
#ifndef PROV_FLOWS_WRITE_H
#define PROV_FLOWS_WRITE_H

#include "writes.h"

typedef struct flw_seen flw_seen;

/* The rows whose rowid SQLite asked for, this transaction. */
typedef struct flw_state {
  flw_seen *aSeen;
  int nSeen, nSeenAlloc;
  int *aHash; /* open addressing: index+1 into aSeen, 0 = empty */
  int nHash;
} flw_state;

/* Remember the set and record of a row SQLite may UPDATE or DELETE next. SQLITE_OK or SQLITE_NOMEM. */
int flw_seen_add(flw_state *s, sqlite3_int64 iRowid, const char *zSet, const char *zRec, size_t nRec);
void flw_seen_clear(flw_state *s);

/* xUpdate of a writable table (t checked writable; errors set on t->base). */
int flw_update(writes_table *t, flw_state *pSeen, int argc, sqlite3_value **argv, sqlite_int64 *pRowid);

/* writes_table.xSecrets: every password (or secret) string value of a JSON body. */
int flw_secrets(const char *zBody, char ***pa, int *pn);

#endif

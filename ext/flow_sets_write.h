/*
** flow_sets_write.h: the write side of provisioning_flow_sets (writable=1):
** INSERT / UPDATE / DELETE of display_name and filter, queued and sent at
** COMMIT through writes.h. See flow_sets_write.c. The table module
** (flows.c) owns an fsw_state and forwards its xUpdate and transaction
** methods here.
*/
#ifndef PROV_FLOW_SETS_WRITE_H
#define PROV_FLOW_SETS_WRITE_H

#include "writes.h"

/* The columns of provisioning_flow_sets, in their declared order (flows.c checks). */
#define FSW_COLUMN_ID 0
#define FSW_COLUMN_DISPLAY_NAME 1
#define FSW_COLUMN_FILTER 2
#define FSW_COLUMN_CREATED_DATE_TIME 3
#define FSW_COLUMN_LAST_MODIFIED_DATE_TIME 4
#define FSW_COLUMN_RAW 5
#define FSW_NCOLUMN 6

typedef struct fsw_seen fsw_seen;

typedef struct fsw_state {
  prov_writes writes; /* queued until COMMIT */
  int nInsert;        /* INSERTs queued, for messages */
  int bInTxn;
  fsw_seen *aSeen; /* flow sets whose rowid SQLite asked for */
  int nSeen, nSeenAlloc;
} fsw_state;

/* Remember the record of a row SQLite may UPDATE or DELETE next. SQLITE_OK or SQLITE_NOMEM. */
int fsw_seen_add(fsw_state *w, sqlite3_int64 iRowid, const char *zRec, size_t nRec);

/* A scan starts: outside a transaction, what earlier statements saw is dropped. */
void fsw_scan_start(fsw_state *w);

/* xUpdate of a writable table (errors set on pVtab->zErrMsg). */
int fsw_update(fsw_state *w, sqlite3_vtab *pVtab, int argc, sqlite3_value **argv);

/* xSync: send the queue through pSrc; the ids created go to g. */
int fsw_sync(fsw_state *w, sqlite3_vtab *pVtab, prov_source *pSrc, prov_global *g);

void fsw_begin(fsw_state *w);
void fsw_end(fsw_state *w); /* xCommit and xRollback: the queue is dropped (sent or not) */
void fsw_savepoint(fsw_state *w, int iSave);
void fsw_rollback_to(fsw_state *w, int iSave);
void fsw_free(fsw_state *w);

#endif

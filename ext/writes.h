/*
** writes.h: writes buffered in a transaction and sent at COMMIT.
**
** xUpdate validates a change and queues one request (method, path, JSON
** body); nothing is sent before xSync, which SQLite calls before it writes
** its own journal. xSync sends the queue in order, each request at most
** once, and stops at the first failure: Graph has no transactions, so the
** requests before it stay applied, and the error lists, in order, which
** were applied (with the ids Graph returned), which one failed or has an
** unknown outcome (and why), and which were not sent. ROLLBACK (and
** ROLLBACK TO a savepoint) drops queued requests, which were never sent.
** A source with xWriteBatch (the file source) applies the queue whole.
**
** Every COMMIT that sent writes leaves a report in prov_global, returned
** by provisioning_last_commit(): each write's outcome and what became of
** the local transaction (committed, rolled back, or not finished: a local
** failure after the remote writes went out, e.g. "database is locked").
** A rollback after applied remote writes is also told to sqlite3_log()
** and stderr, since those writes stay applied. The queue is empty after
** xSync either way, so a retried COMMIT never sends a write again.
*/
#ifndef PROV_WRITES_H
#define PROV_WRITES_H

#include "events.h"
#include "source.h"

typedef struct prov_write {
  char *zMethod;
  char *zPath;
  char *zBody; /* may carry a password: never printed */
  char *zWhat; /* what the request does, for messages ("INSERT of event 1") */
} prov_write;

#define PROV_MAX_SAVEPOINT 64

typedef struct prov_writes {
  prov_write *a;
  int n, nAlloc;
  int aSave[PROV_MAX_SAVEPOINT]; /* queue length at each savepoint */
} prov_writes;

/* Queue a request; takes ownership of zPath, zBody and zWhat (also on error). */
int writes_add(prov_writes *w, const char *zMethod, char *zPath, char *zBody, char *zWhat);

/*
** Send every queued request through pSrc, in order. On success the ids of
** created objects (from the POST answers) are recorded in g. On failure
** *pzErr names the failed request, the HTTP error, and the requests that
** were and were not applied. The queue is empty afterwards either way.
*/
int writes_flush(prov_writes *w, prov_source *pSrc, const char *zModule, prov_global *g, char **pzErr);

/* The local transaction ended (xCommit: bCommitted=1, xRollback: 0). */
void writes_local_done(prov_global *g, const char *zModule, int bCommitted);

/* provisioning_last_commit(): the report of the last COMMIT that sent writes (JSON), or NULL. */
void writes_last_commit_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);

#define WRITES_LOCAL_PENDING 0
#define WRITES_LOCAL_COMMITTED 1
#define WRITES_LOCAL_ROLLED_BACK 2

void writes_clear(prov_writes *w);
void writes_savepoint(prov_writes *w, int iSave);
void writes_rollback_to(prov_writes *w, int iSave);

#endif

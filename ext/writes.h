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
**
** The transaction plumbing of every writable table is here too: a table
** embeds a writes_table first in its vtab and puts WRITES_TABLE_METHODS
** (xBegin, xSync, xCommit, xRollback, xSavepoint, xRelease, xRollbackTo)
** in its sqlite3_module; writes_table_init makes a writable=1 table
** SQLITE_VTAB_DIRECTONLY, writes_table_check gives the read-only refusal.
**
** Calls: global.h (prov_global), source.h (xWrite, xWriteBatch), json.h
** (the ids in POST answers, secrets in bodies), SQLite. No table module.
*/
#ifndef PROV_WRITES_H
#define PROV_WRITES_H

#include "global.h"
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

/* Append z[0..n) as a JSON string, quoted and escaped (n < 0: up to the NUL; z NULL: ""). */
void writes_json_string(sqlite3_str *s, const char *z, int n);

/* What the transaction methods below know of a writable table: the first member of its vtab. */
typedef struct writes_table writes_table;
struct writes_table {
  sqlite3_vtab base;    /* SQLite's: first, so a writes_table * is the sqlite3_vtab * */
  prov_writes writes;   /* queued until COMMIT */
  prov_source *pSrc;    /* where they are sent (the table's source, owned by the table) */
  prov_global *pGlobal; /* the COMMIT report and created ids go here */
  const char *zModule;  /* "provisioning_events": the prefix of messages */
  int bWritable;        /* writable=1 */
  int nInsert;          /* INSERTs queued, for messages */
  int bInTxn;           /* between xBegin and xCommit / xRollback */
  /* optional: append every secret string value of a request body to (*pa, *pn) (sqlite3_malloc'd
     strings); xSync masks each one in the COMMIT error and report. SQLITE_OK or SQLITE_NOMEM. */
  int (*xSecrets)(const char *zBody, char ***pa, int *pn);
  /* optional: the transaction ended (xCommit, xRollback): e.g. forget the rows read in it */
  void (*xEnd)(writes_table *t);
};

/*
** Fill in t in xConnect, after sqlite3_declare_vtab (t->pSrc and the hooks
** are the caller's to set). A writable table is made SQLITE_VTAB_DIRECTONLY:
** no trigger or view can drive its writes.
*/
void writes_table_init(writes_table *t, sqlite3 *db, const char *zModule, prov_global *g, int bWritable);

/*
** SQLITE_OK when t takes writes (writable=1 and a source), else the refusal,
** set on t: "<module>: this table is read-only: create it with writable=1 to
** send <zSend>" (SQLITE_ERROR, or SQLITE_NOMEM without a message).
*/
int writes_table_check(writes_table *t, const char *zSend);

/* The transaction methods of a writes_table (see the top of this file). */
int wtBegin(sqlite3_vtab *pVtab);
int wtSync(sqlite3_vtab *pVtab);
int wtCommit(sqlite3_vtab *pVtab);
int wtRollback(sqlite3_vtab *pVtab);
int wtSavepoint(sqlite3_vtab *pVtab, int iSave);
int wtRelease(sqlite3_vtab *pVtab, int iSave);
int wtRollbackTo(sqlite3_vtab *pVtab, int iSave);

/* The transaction members of a writable table's sqlite3_module (designated initializers). */
#define WRITES_TABLE_METHODS                                                                  \
  .xBegin = wtBegin, .xSync = wtSync, .xCommit = wtCommit, .xRollback = wtRollback,         \
  .xSavepoint = wtSavepoint, .xRelease = wtRelease, .xRollbackTo = wtRollbackTo

#endif

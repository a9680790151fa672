/*
** writes.h: writes buffered in a transaction and sent at COMMIT.
**
** xUpdate validates a change and queues one request (method, path, JSON
** body); nothing is sent before xSync. xSync sends the queue in order and
** stops at the first failure: Graph has no transactions, so the requests
** before it stay applied, and the error says exactly which were applied
** and which were not. ROLLBACK (and ROLLBACK TO a savepoint) drops queued
** requests, which were never sent.
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

void writes_clear(prov_writes *w);
void writes_savepoint(prov_writes *w, int iSave);
void writes_rollback_to(prov_writes *w, int iSave);

#endif

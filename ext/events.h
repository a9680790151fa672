/*
** events.h: the provisioning_events module and what the entry point shares
** with it.
*/
#ifndef PROV_EVENTS_H
#define PROV_EVENTS_H

#include "source.h"

/* Per-connection state shared by the modules and functions. */
typedef struct prov_global {
  prov_stats last;  /* counters of the most recently started scan that ended */
  sqlite3_int64 nSeq, iLastSeq; /* scans started; the one in last */
  char *zLastId;    /* id Graph gave the last object created (POST) */
  char *zLastIds;   /* JSON array of the ids created by the last COMMIT */
  /* the last COMMIT that sent writes, for provisioning_last_commit() (writes.c) */
  char *zCommitWrites; /* JSON array members: one object per write, in order */
  int eCommitLocal;    /* WRITES_LOCAL_*: what became of the local transaction */
  int bCommitOpen;     /* writes sent, local outcome not known yet (2: a COMMIT error listed them) */
} prov_global;

int events_register(sqlite3 *db, prov_global *pGlobal);

/* Open the source named by opts->zSource (file: or http(s)://). */
int prov_source_open(const char *zModule, const prov_options *opts, prov_source **pp, char **pzErr);

/* provisioning_contains(text, part) */
void prov_contains_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);

#endif

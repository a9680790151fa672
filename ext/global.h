/*
** global.h: what the table modules share below them: the per-connection
** state (prov_global), the opening of a source by its source= text, and
** the one helper that sets a virtual table's error message. See global.c.
**
** Calls: source.h (source_file_open, source_http_open), SQLite. Every
** table module and writes.c may include it; it includes no table's header.
*/
#ifndef PROV_GLOBAL_H
#define PROV_GLOBAL_H

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

/* A zeroed prov_global (NULL when out of memory); prov_global_free frees it (a destructor for SQLite). */
prov_global *prov_global_new(void);
void prov_global_free(void *pGlobal);

/* Open the source named by opts->zSource (file: or http(s)://). */
int prov_source_open(const char *zModule, const prov_options *opts, prov_source **pp, char **pzErr);

/* Set pVtab's error message to zMsg (taking it); SQLITE_ERROR, or SQLITE_NOMEM when zMsg is NULL. */
int prov_vtab_error(sqlite3_vtab *pVtab, char *zMsg);

#endif

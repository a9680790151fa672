/*
** interrupt.c: has the connection been interrupted (sqlite3_interrupt(),
** the shell's Ctrl-C, Python's conn.interrupt()) while a statement runs?
**
** Usage (a source that waits on the network):
**   prov_intr in = {db, 0};
**   while (waiting) { wait_at_most_100_ms(); if (prov_intr_check(&in)) stop; }
**   prov_intr_close(&in);
**
** How it works: sqlite3_is_interrupted() exists from SQLite 3.41; built
** against older headers (Debian's 3.40) the connection is asked instead by
** stepping a cached prepared "SELECT 1" on it: once sqlite3_interrupt() was
** called while a statement runs, every statement stepped on that
** connection stops with SQLITE_INTERRUPT until no statement is active
** (measured on 3.40.1). The probe touches no table and takes no lock.
** Calls only SQLite.
*/
#include "interrupt.h"

SQLITE_EXTENSION_INIT3

int prov_intr_check(prov_intr *p) {
  if (!p || !p->db) return 0;
#if SQLITE_VERSION_NUMBER >= 3041000
  return sqlite3_is_interrupted(p->db) != 0;
#else
  if (!p->pProbe && sqlite3_prepare_v2(p->db, "SELECT 1", -1, &p->pProbe, 0) != SQLITE_OK) {
    sqlite3_finalize(p->pProbe);
    p->pProbe = 0;
    return 0; /* out of memory: keep waiting, the time limits still hold */
  }
  int rc = sqlite3_step(p->pProbe);
  sqlite3_reset(p->pProbe);
  return rc == SQLITE_INTERRUPT;
#endif
}

void prov_intr_close(prov_intr *p) {
  if (!p) return;
  sqlite3_finalize(p->pProbe);
  p->pProbe = 0;
}

/*
** interrupt.h: ask whether the connection was interrupted (interrupt.c).
** The interface of interrupt.c, whose first comment says what it calls.
*/
#ifndef PROV_INTERRUPT_H
#define PROV_INTERRUPT_H

#include "sqlite3ext.h"

/* The connection whose statements a source serves; db NULL: never interrupted. */
typedef struct prov_intr {
  sqlite3 *db;
  sqlite3_stmt *pProbe; /* cached "SELECT 1" (SQLite before 3.41) */
} prov_intr;

/* 1 when sqlite3_interrupt() was called on p->db during the running statement. */
int prov_intr_check(prov_intr *p);

/* Release the probe (before the connection closes: from xDisconnect). */
void prov_intr_close(prov_intr *p);

#endif

/*
** events.h: the provisioning_events module (events.c) and the
** provisioning_contains() function the entry point registers with it.
** Only the entry point (provisioning.c) includes this header.
** The interface of events.c, whose first comment says what it calls.
*/
#ifndef PROV_EVENTS_H
#define PROV_EVENTS_H

#include "global.h"

int events_register(sqlite3 *db, prov_global *pGlobal);

/* provisioning_contains(text, part) */
void prov_contains_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);

#endif

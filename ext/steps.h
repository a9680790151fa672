/*
** steps.h: the table-valued functions provisioning_steps(json) and
** provisioning_modified_properties(json). See steps.c.
** The interface of steps.c, whose first comment says what it calls.
*/
#ifndef PROV_STEPS_H
#define PROV_STEPS_H

#include "sqlite3ext.h"

/*
** Register both eponymous-only virtual table modules on db.
** Returns SQLITE_OK or the error of sqlite3_create_module().
*/
int steps_register(sqlite3 *db);

#endif

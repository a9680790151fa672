/*
** flow_sets.h: the provisioning_flow_sets module (Microsoft Graph beta,
** industryData outbound provisioning flow sets). See flow_sets.c.
** The interface of flow_sets.c, whose first comment says what it calls.
*/
#ifndef PROV_FLOW_SETS_H
#define PROV_FLOW_SETS_H

#include "global.h"

/* Register the module on db; g (owned by the caller) receives the ids Graph assigns. */
int flow_sets_register(sqlite3 *db, prov_global *g);

#endif

/*
** flows.h: the provisioning_flows and provisioning_flow_sets modules
** (Microsoft Graph beta, industryData outbound provisioning). See flows.c.
*/
#ifndef PROV_FLOWS_H
#define PROV_FLOWS_H

#include "events.h"

/*
** Register both modules on db; g (owned by the caller) receives the ids
** Graph assigns to created flows. SQLITE_OK or sqlite3_create_module's error.
*/
int flows_register(sqlite3 *db, prov_global *g);

#endif

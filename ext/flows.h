/*
** flows.h: the provisioning_flows module and provisioning_flow_reset()
** (Microsoft Graph beta, industryData outbound provisioning). See flows.c.
** The interface of flows.c, whose first comment says what it calls.
*/
#ifndef PROV_FLOWS_H
#define PROV_FLOWS_H

#include "global.h"

/*
** Register the module and provisioning_flow_reset() on db; g (owned by the
** caller) receives the ids Graph assigns to created flows. SQLITE_OK or
** the error of the registration.
*/
int flows_register(sqlite3 *db, prov_global *g);

#endif

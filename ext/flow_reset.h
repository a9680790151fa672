/*
** flow_reset.h: the provisioning_flow_reset() function and the registry of
** the provisioning_flows tables connected on a database connection (which
** the function needs: a flow's source and credentials are its table's).
** See flow_reset.c.
** The interface of flow_reset.c, whose first comment says what it calls.
*/
#ifndef PROV_FLOW_RESET_H
#define PROV_FLOW_RESET_H

#include "global.h"

typedef struct flow_registry flow_registry;

/*
** A registry for connection db, borrowing g (the connection's shared state).
** NULL when out of memory. Free it with flow_registry_free (it is the
** provisioning_flows module's client data, freed with the module).
*/
flow_registry *flow_registry_new(prov_global *g);
void flow_registry_free(void *pRegistry);
prov_global *flow_registry_global(flow_registry *r);

/*
** Note (or forget) a connected provisioning_flows table: its schema and
** name (xConnect's argv[1], argv[2]), its source and its source= / auth=
** text. SQLITE_OK or SQLITE_NOMEM.
*/
int flow_registry_add(flow_registry *r, const char *zDb, const char *zName, prov_source *pSrc,
                      const char *zSource, const char *zAuth);
void flow_registry_remove(flow_registry *r, prov_source *pSrc);

/* Register provisioning_flow_reset() (2 and 3 arguments, SQLITE_DIRECTONLY) on db. */
int flow_reset_register(sqlite3 *db, flow_registry *r);

#endif

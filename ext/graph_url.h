/*
** graph_url.h: the base of a Graph source= URL, checked at CREATE.
** The interface of graph_url.c, whose first comment says what it calls.
*/
#ifndef PROV_GRAPH_URL_H
#define PROV_GRAPH_URL_H

#include "source.h"

#define GU_EVENTS 1 /* provisioning_events: adds /auditLogs/provisioning */
#define GU_FLOWS 2  /* the flow tables: add /external/industryData/... */

/*
** When o->zSource is an http(s) URL: if its path ends with this table's
** collection path, cut it to the base (in place: o->zSource must point to
** memory the caller owns, as the options store and copies of the
** environment are) and, for events, set o->zCollection; then the path must end with /v1.0 or /beta, else
** SQLITE_ERROR with *pzErr showing the expected form. A URL with a query
** string or fragment, or another scheme, is left to the source to judge.
*/
int gu_source_base(const char *zModule, int eTable, prov_options *o, char **pzErr);

#endif

/*
** http_error.h: the text of a failed request (http_error.c).
**
** Usage (http.c, once an answer is not 2xx):
**   sqlite3_str *m = sqlite3_str_new(0);
**   sqlite3_str_appendf(m, "%s: ", r->zWho);
**   http_error_append(m, r);    -- "HTTP 403 Authorization_RequestDenied: ..."
**   http_error_where(m, r);     -- " on GET /auditLogs/provisioning?$top=5"
**   zErr = http_error_mask(r, sqlite3_str_finish(m));
** The interface of http_error.c, whose first comment says what it calls.
*/
#ifndef PROV_HTTP_ERROR_H
#define PROV_HTTP_ERROR_H

#include "http.h"

/* Append Graph's (or the token endpoint's) error details from r's answer, masked. */
void http_error_append(sqlite3_str *m, http_req *r);

/* Append " on GET /path?query" (credential-looking query values masked). */
void http_error_where(sqlite3_str *m, http_req *r);

/*
** z with the credential's secrets masked, and every password or secret
** member of r's JSON request body. z is freed; NULL when out of memory.
*/
char *http_error_mask(http_req *r, char *z);

#endif

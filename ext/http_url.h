/*
** http_url.h: URL origins, by libcurl's URL parser, and URL text in
** messages (http_url.c).
**
** Usage:
**   url_origin o;
**   if (url_origin_parse(0, zUrl, &o) == SQLITE_OK && !o.bUserinfo) ...
**   url_origin_text(m, &o);   -- "https://graph.microsoft.com:443"
**
** An origin is the scheme and host in lower case and the port (the
** scheme's default when none is given). The source's origin is the only
** one its token is sent to (source_http.c, http.c, auth.c compare them).
** Calls only libcurl's URL API and SQLite's strings.
*/
#ifndef PROV_HTTP_URL_H
#define PROV_HTTP_URL_H

#include <stddef.h>

#include "sqlite3ext.h"

/* Parsed origin of a URL. */
typedef struct url_origin {
  char zScheme[16];
  char zHost[256];
  long iPort;
  int bUserinfo;
} url_origin;

/*
** Parse zUrl (resolved against zBase when zBase is not NULL) into *o.
** Returns SQLITE_OK, SQLITE_ERROR if the URL cannot be parsed, or
** SQLITE_NOMEM when libcurl's URL parser ran out of memory (never taken
** for "no port" or "no user info": that would change the origin).
*/
int url_origin_parse(const char *zBase, const char *zUrl, url_origin *o);

/* Append "scheme://host:port" (printable ASCII only). */
void url_origin_text(sqlite3_str *s, const url_origin *o);

/* Do a and b name the same origin (scheme, host, port)? */
int url_origin_same(const url_origin *a, const url_origin *b);

/* True if z holds a byte that may not go into a URL or a header. */
int url_has_ctl(const char *z);

/* Append z[0..n) as printable ASCII (others become '?'). */
void url_append_clean(sqlite3_str *s, const char *z, size_t n);

/* The path and query of an absolute URL (what error messages show). */
const char *url_path(const char *zUrl);

#endif

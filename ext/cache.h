/*
** cache.h: an opt-in cache of complete, successful GET responses, keyed
** by the full request URL (and the origin, the auth reference and a hash of
** the credentials it names), so a BI tool
** that re-runs the same report within the TTL costs no request.
**
**   cache='memory'   process-wide, at most 256 MiB, oldest entries evicted
**   cache='user'     cache.db in the per-user cache directory (trust.h)
**   cache='PATH'     a SQLite database file (table provisioning_cache), created
**                    with PRAGMA application_id TRUST_CACHE_APP_ID; an existing
**                    file without it is never opened for writing
**   cache_ttl=N      seconds an entry stays fresh (default 300)
**
** Only whole 2xx answers whose every record reads are stored; a failed,
** cut-off or unreadable response never is. The memory cache lives until the
** extension is unloaded.
** The interface of cache.c, whose first comment says what it calls.
*/
#ifndef PROV_CACHE_H
#define PROV_CACHE_H

#include <stddef.h>

/*
** Look zKey up in cache zSpec. On a fresh hit, *pzBody (sqlite3_malloc'd)
** and *pn hold the body and SQLITE_OK is returned; SQLITE_NOTFOUND on a
** miss; SQLITE_BUSY when another process holds the cache file locked for
** longer than 50 ms; another code on error (callers treat errors as misses).
*/
int cache_get(const char *zSpec, const char *zKey, double rTtl, char **pzBody, size_t *pn);

/* Store a complete successful response (SQLITE_BUSY as for cache_get()). */
int cache_put(const char *zSpec, const char *zKey, const char *zBody, size_t n);

#endif

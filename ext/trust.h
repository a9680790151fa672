/*
** trust.h: what the environment allows and a database file's schema cannot
** widen (trust.c).
**
** A database file may come from anyone; the environment belongs to the user.
**   hosts    requests go only to Microsoft Graph's hosts (tokens) or
**            Microsoft's login hosts (client credentials), and to the hosts
**            listed in PROVISIONING_ALLOWED_HOSTS ("host" = every port,
**            "host:port" = that port; comma-separated, case-insensitive).
**            Plain http only for loopback hosts that are listed there.
**   limits   a table that SQLite loads from a schema (xConnect) may lower
**            max_response, max_wait, rate_limit, max_retries and the
**            time-outs, but raise them (or shorten rate_window) only up to
**            PROVISIONING_CAP_<OPTION>; its ca_file= is used only when
**            PROVISIONING_CA_FILES lists it. A table created now (xCreate)
**            keeps its options as given.
**   cache    from a loaded schema, cache= is 'memory', 'user' (the per-user
**            cache directory) or a file inside that directory; never any
**            other file. Never (xCreate included) an existing file that is
**            not one of our cache databases (PRAGMA application_id).
**   secrets  credential-looking query parameters are masked in what is
**            shown; any 8 or more characters of a secret are masked.
** Calls only SQLite and the C library.
*/
#ifndef PROV_TRUST_H
#define PROV_TRUST_H

#include <stddef.h>

#include "source.h"

/* PRAGMA application_id of the cache databases the extension creates ("PRVC"). */
#define TRUST_CACHE_APP_ID 0x50525643

/* ---- hosts ---------------------------------------------------------- */

/* 127.x.y.z, ::1 ([::1]) or localhost. */
int trust_is_loopback(const char *zHost);

/* One of Microsoft Graph's hosts (graph.microsoft.com and the national clouds). */
int trust_is_graph_host(const char *zHost);

/* Is zHost (port iPort) named in PROVISIONING_ALLOWED_HOSTS? */
int trust_env_allows(const char *zHost, long iPort);

/*
** May a request (Graph, with or without a token) go to zScheme://zHost:iPort?
** SQLITE_OK when allowed; else SQLITE_ERROR with *pzErr (sqlite3_malloc'd,
** naming the host and PROVISIONING_ALLOWED_HOSTS; pzErr may be NULL), or
** SQLITE_NOMEM when that message could not be made.
*/
int trust_host_allowed(const char *zScheme, const char *zHost, long iPort, char **pzErr);

/* The same for the login host of client credentials (Microsoft's login hosts). */
int trust_login_host_allowed(const char *zScheme, const char *zHost, long iPort, char **pzErr);

/* ---- options from a schema ------------------------------------------ */

/*
** Apply the trust rules to the parsed options of a table. bCreate: the
** table is created now (xCreate), else loaded from a schema (xConnect),
** whose wider limits are capped, ca_file= dropped unless allowed and cache=
** moved to memory unless it names the per-user cache place. Returns
** SQLITE_OK, SQLITE_ERROR with *pzErr (cache= names an existing file that
** is not a cache database, at xCreate) or SQLITE_NOMEM.
*/
int trust_options(const char *zModule, prov_options *o, int bCreate, char **pzErr);

/*
** Is the table zTable being created now (xCreate: the user's CREATE VIRTUAL
** TABLE is running), rather than loaded from the schema (xConnect)? The
** modules stay eponymous (xCreate == xConnect), so this is read from the
** statement SQLite is running: a busy CREATE VIRTUAL TABLE naming zTable.
*/
int trust_is_create(sqlite3 *db, const char *zTable);

/* ---- cache place ------------------------------------------------------ */

/*
** The per-user cache directory (sqlite3_malloc'd, no trailing '/'):
** PROVISIONING_CACHE_DIR, else $XDG_CACHE_HOME/provisioning, else
** $HOME/.cache/provisioning. NULL without any of them (or out of memory).
*/
char *trust_cache_dir(void);

/*
** The file a cache= spec names (sqlite3_malloc'd): 'user' is cache.db in
** trust_cache_dir(), anything else the path itself. NULL for 'memory'.
*/
char *trust_cache_path(const char *zSpec);

/*
** May the extension write a cache into zPath? 1 when the file does not
** exist, is empty, or is a SQLite database whose header carries
** TRUST_CACHE_APP_ID; 0 otherwise (someone else's file). Reads only the
** header, never opens the file with SQLite.
*/
int trust_cache_file_ours(const char *zPath);

/* ---- secrets -------------------------------------------------------- */

/* Does the query parameter name z[0..n) look like a credential (access_token, sig, code...)? */
int trust_is_credential_name(const char *z, size_t n);

/*
** zUrl with the value of every credential-looking query parameter replaced
** by "***" (sqlite3_malloc'd; NULL when out of memory). For traces and errors.
*/
char *trust_url_masked(const char *zUrl);

/*
** z with every stretch covered by 8 or more consecutive characters of
** zSecret replaced by zMask (whole occurrences too when zSecret is shorter,
** from 4 characters). z is freed (and wiped); NULL when out of memory.
*/
char *trust_mask_secret(char *z, const char *zSecret, const char *zMask);

/* Does z[0..n) hold 8 consecutive characters of zSecret (all of it when shorter)? */
int trust_holds_secret(const char *z, size_t n, const char *zSecret);

/* Zero n bytes that the compiler may not skip. */
void trust_wipe(void *p, size_t n);

/* Wipe the string z (a token, a header line) and sqlite3_free it; NULL is a no-op. */
void trust_wipe_free(char *z);

#endif

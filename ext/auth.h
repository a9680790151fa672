/*
** auth.h: where a source's bearer token comes from (auth.c).
**
** Usage (source_http.c):
**   rc = auth_init(&s->auth, s->zAuth, &s->conn, "provisioning", &zErr);
**   s->conn.pCred = &s->auth.cred;   -- http.c asks for the token before each attempt
**   auth_stale(&s->auth);            -- a new statement: env:/file: are read again
**   rc = auth_token(&s->auth, "provisioning_events", &zErr);
**
** auth= is a reference only: env:NAME, file:PATH, none, or the Azure
** credential chain (auth='azure' or 'azure:NAME'; without auth=, the chain
** when the environment configures one).
** The interface of auth.c, whose first comment says what it calls.
*/
#ifndef PROV_AUTH_H
#define PROV_AUTH_H

#include "http.h"

#define AUTH_NONE 0
#define AUTH_ENV 1
#define AUTH_FILE 2
#define AUTH_AZURE 3

typedef struct auth_state {
  http_cred cred;          /* the hooks http.c calls; cred.zToken is the current token (wiped on free) */
  int eAuth;               /* AUTH_* */
  int eAzCred;             /* auth='azure...': AZ_CRED_CHAIN or the credential named */
  const char *zAuth;       /* the auth= reference (the source's copy), or NULL */
  const char *zAuthSecret; /* during a token request: its secret or assertion, masked in messages */
  double rTokenRenew;      /* monotonic time to renew an azure token */
  int bTokenStale;         /* env/file: read again before the next request */
  http_conn *pConn;        /* the source's connection: its origin, and where token requests run */
} auth_state;

/*
** Read the auth= reference zAuth (NULL: the Azure chain if the environment
** configures one, else none) into *a. SQLITE_OK; SQLITE_ERROR with *pzErr
** (zWho first) when zAuth is not a reference; SQLITE_NOMEM.
*/
int auth_init(auth_state *a, const char *zAuth, http_conn *pConn, const char *zWho, char **pzErr);

/* Wipe and free the token. */
void auth_clear(auth_state *a);

/* env:/file: tokens are read again before the next request (they may be rotated). */
void auth_stale(auth_state *a);

/* Make sure a->cred.zToken holds the token to send (or none for AUTH_NONE). */
int auth_token(auth_state *a, const char *zWho, char **pzErr);

/*
** *pH: a hash of whose credentials these are (the bearer token of env: or
** file:, read if needed; the client id and secret of azure), 0 for none.
** For cache keys: sends no request. SQLITE_OK or the error of reading it.
*/
int auth_identity_hash(auth_state *a, const char *zWho, sqlite3_uint64 *pH, char **pzErr);

/*
** Replace every occurrence of the token and the client secret in z (the
** secret also as the token request's form body carries it, for a server or
** proxy that echoes the body). z is freed; NULL when out of memory.
*/
char *auth_mask(auth_state *a, char *z);

/* Does z[0..n) hold any 8 characters of the token or the client secret? */
int auth_holds_secret(auth_state *a, const char *z, size_t n);

#endif

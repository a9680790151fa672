/*
** auth_azure.h: the Azure credential chain (the Azure SDKs' names, order and
** environment variables). See auth_azure.c.
** The interface of auth_azure.c, whose first comment says what it calls.
*/
#ifndef PROV_AUTH_AZURE_H
#define PROV_AUTH_AZURE_H

#include <stddef.h>

#include "sqlite3ext.h"

/* The credentials, in the chain's order; AZ_CRED_CHAIN tries them in turn. */
#define AZ_CRED_CHAIN 0
#define AZ_CRED_SECRET 1
#define AZ_CRED_CERT 2
#define AZ_CRED_WORKLOAD 3
#define AZ_CRED_MANAGED 4
#define AZ_CRED_CLI 5

/* Where a token request goes (for the host rule). */
#define AZ_EP_LOGIN 1    /* the login host (authority) */
#define AZ_EP_IDENTITY 2 /* IDENTITY_ENDPOINT, which the environment names */
#define AZ_EP_IMDS 3     /* the instance metadata endpoint (or AZURE_POD_IDENTITY_AUTHORITY_HOST) */

/* auth='azure' or 'azure:NAME': 1 and *peKind set, else 0. */
int azure_cred_parse(const char *zAuth, int *peKind);

/* Without auth=: does the environment configure a credential of the chain
** (client secret, certificate, workload identity, or a managed identity
** endpoint)? The Azure CLI and the bare IMDS endpoint never count here. */
int azure_env_configured(void);

/* The auth= text of a kind ("azure:certificate"), and its plain name. */
const char *azure_cred_auth(int eKind);
const char *azure_cred_name(int eKind);

/*
** The credential to use for eKind: eKind itself when its variables are
** set, or the first configured one of the chain. Reads the environment
** only. SQLITE_ERROR with *pzErr naming what is missing (for the chain:
** every credential tried and what to set).
*/
int azure_cred_pick(int eKind, const char *zWho, int *pePicked, char **pzErr);

/* Does eKind ask the login host (authority) for its token? */
int azure_cred_uses_login(int eKind);

/* A hash of whose credential eKind is (for cache keys; sends nothing). */
sqlite3_uint64 azure_cred_hash(int eKind);

/* Append z percent-encoded as a form or query value (what a token request's body carries). */
void azure_append_enc(sqlite3_str *m, const char *z);

/* One token request, built from the environment. */
typedef struct az_token_req {
  int eKind;
  int eEndpoint;       /* AZ_EP_... */
  const char *zMethod; /* "POST" or "GET" (static) */
  char *zUrl;
  char *zBody;   /* form body or NULL (holds a secret or an assertion: wiped) */
  char *zHeader; /* one more request header or NULL (wiped) */
  char *zSecret; /* the value to mask in messages (secret, assertion), or NULL (wiped) */
  const char *zFrom; /* "(client certificate from AZURE_CLIENT_CERTIFICATE_PATH)", for messages */
} az_token_req;

/*
** Build the token request of eKind (not the CLI) for the resource
** https://zResourceHost. zAuthority is the login host URL (no trailing
** '/') for the kinds that use it. tNow is the time for assertions.
*/
int azure_token_request(int eKind, const char *zWho, const char *zAuthority, const char *zResourceHost,
                        long long tNow, az_token_req *p, char **pzErr);
void azure_token_request_clear(az_token_req *p);

/*
** Read a token answer: access_token (accessToken for the CLI) and its
** lifetime from expires_in, expires_on (seconds since the epoch) or the
** CLI's expiresOn (local time). *pzTok is sqlite3_malloc'd (wipe it);
** *prLife is seconds from tNow.
*/
int azure_token_answer(const char *zWho, const char *zFrom, const char *z, size_t n, long long tNow, char **pzTok,
                       double *prLife, char **pzErr);

/*
** Run az account get-access-token --resource https://zResourceHost
** --output json, without a shell, killed after PROVISIONING_AZ_TIMEOUT
** seconds (default 10). *pzOut is its stdout (wipe it).
*/
int azure_cli_run(const char *zWho, const char *zResourceHost, char **pzOut, size_t *pnOut, char **pzErr);

#endif

/*
** auth.c: where a source's bearer token comes from (see auth.h).
**
** Usage:
**   CREATE VIRTUAL TABLE ev USING provisioning_events(
**       source='https://graph.microsoft.com/v1.0', auth='env:GRAPH_TOKEN');
**   -- or auth='file:/run/secrets/graph_token', or auth='azure'
**
** How it works: env:NAME and file:PATH are read again for each statement
** (a token may be rotated); a file must be a regular file, read with
** read(2) so that no library buffer keeps a copy. auth='azure' (or
** 'azure:NAME') asks the Azure credential chain: auth_azure.c picks the
** credential and builds its token request; the request runs here over the
** source's connection (http.c), under token_host_allowed(), with its
** retries and the masking of its secret. The token is cached, renewed
** before expiry and once on a 401 (http.c drops it, auth_token() asks
** again). The token, the client secret (as is or form-encoded), the
** assertion and IDENTITY_HEADER never appear in an error or a trace line:
** auth_mask() is the connection's masking hook.
**
** Calls http.h (token requests), http_url.h, auth_azure.h, trust.h and
** json.h (the hash of a token).
*/
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth_azure.h"
#include "json.h"
#include "trust.h"

SQLITE_EXTENSION_INIT3

/* ------------------------------------------------------------------ */
/* Masking                                                              */

/* z percent-encoded as the token request's form body carries it (auth_azure.c writes that body). */
static char *form_encode(const char *z) {
  sqlite3_str *m = sqlite3_str_new(0);
  azure_append_enc(m, z);
  return sqlite3_str_finish(m);
}

/*
** Replace every occurrence of the token and the client secret in z (the
** secret also as the token request's form body carries it, for a server or
** proxy that echoes the body). z is freed; NULL when out of memory.
*/
char *auth_mask(auth_state *a, char *z) {
  const char *azSecret[4];
  azSecret[0] = a->cred.zToken;
  azSecret[1] = a->eAuth == AUTH_AZURE ? getenv("AZURE_CLIENT_SECRET") : 0;
  azSecret[2] = a->eAuth == AUTH_AZURE ? a->zAuthSecret : 0;
  azSecret[3] = a->eAuth == AUTH_AZURE ? getenv("IDENTITY_HEADER") : 0;
  for (int k = 0; k < 4 && z; k++) {
    const char *zS = azSecret[k];
    if (!zS || strlen(zS) < 4) continue;
    z = trust_mask_secret(z, zS, "[redacted]"); /* any 8 characters of it, not only the whole */
    if (k >= 1 && z) {
      char *zEnc = form_encode(zS);
      if (!zEnc) {
        sqlite3_free(z);
        return 0;
      }
      z = trust_mask_secret(z, zEnc, "[redacted]");
      sqlite3_free(zEnc);
    }
  }
  return z;
}

/* Does z[0..n) hold any 8 characters of the token or the client secret? */
int auth_holds_secret(auth_state *a, const char *z, size_t n) {
  return trust_holds_secret(z, n, a->cred.zToken) ||
         (a->eAuth == AUTH_AZURE && trust_holds_secret(z, n, getenv("AZURE_CLIENT_SECRET")));
}

/* ------------------------------------------------------------------ */
/* The token                                                            */

/* Trim, strip a "Bearer " prefix, check header safety. */
static int token_set(auth_state *a, const char *zWho, const char *z, size_t n, const char *zFrom,
                     char **pzErr) {
  while (n > 0 && (*z == ' ' || *z == '\t' || *z == '\r' || *z == '\n')) z++, n--;
  while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t' || z[n - 1] == '\r' || z[n - 1] == '\n')) n--;
  if (n > 7 && sqlite3_strnicmp(z, "Bearer ", 7) == 0) z += 7, n -= 7;
  if (n == 0) {
    *pzErr = sqlite3_mprintf("%s: %s is empty: put a bearer token there (e.g. from az account get-access-token "
                             "--resource-type ms-graph --query accessToken -o tsv)",
                             zWho, zFrom);
    return SQLITE_ERROR;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)z[i];
    if (c <= 0x20 || c >= 0x7f) {
      *pzErr = sqlite3_mprintf("%s: the token in %s holds a character not allowed in an HTTP header (space, "
                               "control or non-ASCII)",
                               zWho, zFrom);
      return SQLITE_ERROR;
    }
  }
  char *zTok = sqlite3_malloc64(n + 1);
  if (!zTok) return SQLITE_NOMEM;
  memcpy(zTok, z, n);
  zTok[n] = 0;
  trust_wipe_free(a->cred.zToken);
  a->cred.zToken = zTok;
  return SQLITE_OK;
}

static int read_token_file(auth_state *a, const char *zWho, char **pzErr) {
  const char *zPath = a->zAuth + 5;
  /* read(2), not stdio: no library buffer keeps a copy of the token */
  /* O_NONBLOCK: a FIFO named by a database file's schema cannot hang the statement */
  int fd = open(zPath, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  char *zMsg;
  if (fd < 0) {
    zMsg = sqlite3_mprintf("%s: auth='file:%s': cannot open the token file", zWho, zPath);
    goto err;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    zMsg = sqlite3_mprintf("%s: auth='file:%s': the token file is not a regular file", zWho, zPath);
    goto err;
  }
  char aBuf[65537];
  size_t n = 0;
  int bErr = 0;
  while (n < sizeof(aBuf)) {
    ssize_t k = read(fd, aBuf + n, sizeof(aBuf) - n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) bErr = 1;
    if (k <= 0) break;
    n += (size_t)k;
  }
  close(fd);
  if (bErr) {
    trust_wipe(aBuf, n);
    zMsg = sqlite3_mprintf("%s: auth='file:%s': cannot read the token file", zWho, zPath);
    goto err;
  }
  if (n == sizeof(aBuf)) {
    trust_wipe(aBuf, sizeof(aBuf));
    zMsg = sqlite3_mprintf("%s: auth='file:%s': the token file is larger than 64 KiB", zWho, zPath);
    goto err;
  }
  char *zFrom = sqlite3_mprintf("the token file %s", zPath);
  if (!zFrom) {
    trust_wipe(aBuf, n);
    return SQLITE_NOMEM;
  }
  int rc = token_set(a, zWho, aBuf, n, zFrom, pzErr);
  trust_wipe(aBuf, n);
  sqlite3_free(zFrom);
  return rc;
err:
  if (!zMsg) return SQLITE_NOMEM;
  *pzErr = zMsg;
  return SQLITE_ERROR;
}

/* The authority (login host) for client credentials, without trailing '/'. */
static char *authority_url(auth_state *a, const char *zWho, const char **pzProto, char **pzErr) {
  const char *zVar = "PROVISIONING_AUTHORITY_HOST";
  const char *z = getenv(zVar);
  char *zHttps = 0;
  if (!z || !z[0]) {
    zVar = "AZURE_AUTHORITY_HOST"; /* the Azure SDKs' name; it may come without a scheme */
    z = getenv(zVar);
    if (z && z[0] && !strstr(z, "://")) {
      zHttps = sqlite3_mprintf("https://%s", z);
      if (!zHttps) {
        *pzErr = 0;
        return 0;
      }
      z = zHttps;
    }
  }
  if (!z || !z[0]) {
    const char *zHost = a->pConn->org.zHost;
    if (sqlite3_stricmp(zHost, "graph.microsoft.us") == 0 || sqlite3_stricmp(zHost, "dod-graph.microsoft.us") == 0) {
      z = "https://login.microsoftonline.us";
    } else if (sqlite3_stricmp(zHost, "microsoftgraph.chinacloudapi.cn") == 0) {
      z = "https://login.chinacloudapi.cn";
    } else {
      z = "https://login.microsoftonline.com";
    }
  }
  url_origin o;
  int rc = url_has_ctl(z) ? SQLITE_ERROR : url_origin_parse(0, z, &o);
  if (rc == SQLITE_NOMEM) {
    sqlite3_free(zHttps);
    *pzErr = 0;
    return 0;
  }
  if (rc || o.bUserinfo || strchr(z, '?') || strchr(z, '#')) {
    *pzErr = sqlite3_mprintf("%s: %s must be an https:// URL (http:// only on loopback), "
                             "without user info, query or fragment",
                             zWho, zVar);
    sqlite3_free(zHttps);
    return 0;
  }
  /* the client secret goes only to Microsoft's login hosts and allowed hosts */
  if (trust_login_host_allowed(o.zScheme, o.zHost, o.iPort, pzErr)) {
    sqlite3_free(zHttps);
    return 0;
  }
  *pzProto = strcmp(o.zScheme, "http") == 0 ? "http,https" : "https";
  size_t n = strlen(z);
  while (n > 0 && z[n - 1] == '/') n--;
  char *zOut = sqlite3_mprintf("%.*s", (int)n, z);
  sqlite3_free(zHttps);
  if (!zOut) *pzErr = 0;
  return zOut;
}

static const char *const azLoginHosts[] = {"login.microsoftonline.com", "login.microsoft.com", "login.windows.net",
                                           "login.microsoftonline.us", "login.chinacloudapi.cn",
                                           "login.partner.microsoftonline.cn", 0};

/*
** The host rule for token endpoints, in one place (the trust module may
** take its place): a token request goes to Microsoft's login hosts over
** https, to the managed-identity endpoints (IDENTITY_ENDPOINT, which the
** environment names; the instance metadata endpoint 169.254.169.254 over
** http, as the Azure SDKs use it), or to a host listed in
** PROVISIONING_ALLOWED_HOSTS (plain http only on loopback). On success
** *pzProto is the protocol list for libcurl.
*/
static int token_host_allowed(const char *zWho, const char *zUrl, int eEndpoint, const char **pzProto,
                              char **pzErr) {
  url_origin o;
  int rc = url_origin_parse(0, zUrl, &o);
  if (rc == SQLITE_NOMEM) return rc;
  int bHttp = rc == SQLITE_OK && strcmp(o.zScheme, "http") == 0;
  int bOk = 0;
  if (rc == SQLITE_OK && !o.bUserinfo && (bHttp || strcmp(o.zScheme, "https") == 0)) {
    if (eEndpoint == AZ_EP_IDENTITY) {
      bOk = 1;
    } else if (eEndpoint == AZ_EP_IMDS && strcmp(o.zHost, "169.254.169.254") == 0) {
      bOk = 1;
    } else if (trust_env_allows(o.zHost, o.iPort)) {
      bOk = !bHttp || trust_is_loopback(o.zHost);
    } else if (!bHttp && eEndpoint == AZ_EP_LOGIN) {
      for (int i = 0; azLoginHosts[i] && !bOk; i++) bOk = sqlite3_stricmp(o.zHost, azLoginHosts[i]) == 0;
    }
  }
  if (bOk) {
    *pzProto = bHttp ? "http,https" : "https";
    return SQLITE_OK;
  }
  sqlite3_str *m = sqlite3_str_new(0);
  sqlite3_str_appendf(m, "%s: the token endpoint ", zWho);
  if (rc == SQLITE_OK) {
    url_origin_text(m, &o);
  } else {
    sqlite3_str_appendall(m, "URL");
  }
  sqlite3_str_appendall(m, " is not allowed: tokens are asked only of Microsoft's login hosts (https://"
                           "login.microsoftonline.com and the national clouds' hosts), the managed identity "
                           "endpoints (IDENTITY_ENDPOINT, http://169.254.169.254) and hosts listed in the "
                           "environment variable PROVISIONING_ALLOWED_HOSTS (plain http only on loopback)");
  *pzErr = sqlite3_str_finish(m);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/*
** Get a token from the Azure credential (auth='azure...'): the one the
** chain picks (auth_azure.c decides and builds the request), asked here so
** that the host rule, retries and the masking of secrets apply.
*/
static int azure_token(auth_state *a, const char *zWho, char **pzErr) {
  if (a->cred.zToken && http_now() < a->rTokenRenew) return SQLITE_OK;
  int eKind = AZ_CRED_SECRET;
  int rc = azure_cred_pick(a->eAzCred, zWho, &eKind, pzErr);
  if (rc) return rc;
  const char *zScopeHost = trust_is_graph_host(a->pConn->org.zHost) ? a->pConn->org.zHost : "graph.microsoft.com";
  long long tNow = (long long)time(0);
  char *zTok = 0, *zAnswer = 0;
  double rLife = 0;
  az_token_req p;
  memset(&p, 0, sizeof(p));
  http_req *r = 0;
  const char *zFrom = "(Azure CLI: az account get-access-token)";
  if (eKind == AZ_CRED_CLI) {
    size_t nAnswer = 0;
    rc = azure_cli_run(zWho, zScopeHost, &zAnswer, &nAnswer, pzErr);
    if (rc == SQLITE_OK) rc = azure_token_answer(zWho, zFrom, zAnswer, nAnswer, tNow, &zTok, &rLife, pzErr);
  } else {
    const char *zProto = "https";
    char *zAuthority = 0;
    if (azure_cred_uses_login(eKind)) {
      zAuthority = authority_url(a, zWho, &zProto, pzErr);
      if (!zAuthority) return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    rc = azure_token_request(eKind, zWho, zAuthority, zScopeHost, tNow, &p, pzErr);
    sqlite3_free(zAuthority);
    if (rc == SQLITE_OK) rc = token_host_allowed(zWho, p.zUrl, p.eEndpoint, &zProto, pzErr);
    if (rc) goto done;
    zFrom = p.zFrom;
    r = http_req_new(a->pConn, zWho, p.zMethod, p.zUrl);
    if (!r) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    r->bAuth = 0;
    r->bPace = 0;
    r->bToken = 1;
    r->zProto = zProto;
    r->zHdrMore = p.zHeader;
    if (p.zBody) {
      r->zBody = p.zBody;
      r->nBody = strlen(p.zBody);
      r->zCtype = "application/x-www-form-urlencoded";
    }
    r->nMax = 1024 * 1024;
    a->zAuthSecret = p.zSecret;
    char *zErr = 0;
    rc = http_req_run(r, &zErr);
    if (rc) {
      if (zErr) {
        *pzErr = sqlite3_mprintf("%s %s", zErr, p.zFrom);
        sqlite3_free(zErr);
        if (!*pzErr) rc = SQLITE_NOMEM;
      }
    } else {
      rc = azure_token_answer(zWho, zFrom, r->zResp, r->nResp, tNow, &zTok, &rLife, pzErr);
    }
    a->zAuthSecret = 0;
  }
  if (rc == SQLITE_OK) {
    rc = token_set(a, zWho, zTok, strlen(zTok), "the token endpoint's answer", pzErr);
    if (rc == SQLITE_OK) {
      /* renewed ahead of expiry: 10% of the lifetime, at most 5 minutes */
      double margin = rLife * 0.1 < 300 ? rLife * 0.1 : 300;
      a->rTokenRenew = http_now() + rLife - margin;
      if (http_trace_on()) {
        fprintf(stderr, "provisioning: token from %s %s, valid for %.0f s\n", azure_cred_name(eKind), zFrom, rLife);
      }
    }
  }
done:
  a->zAuthSecret = 0;
  trust_wipe_free(zTok);
  trust_wipe_free(zAnswer);
  http_req_free(r);
  azure_token_request_clear(&p);
  return rc;
}

int auth_token(auth_state *a, const char *zWho, char **pzErr) {
  switch (a->eAuth) {
    case AUTH_ENV: {
      if (a->cred.zToken && !a->bTokenStale) return SQLITE_OK;
      const char *zName = a->zAuth + 4;
      const char *z = getenv(zName);
      if (!z || !z[0]) {
        *pzErr = sqlite3_mprintf("%s: auth='env:%s': the environment variable %s is not set or empty (put a "
                                 "bearer token in it)",
                                 zWho, zName, zName);
        return SQLITE_ERROR;
      }
      char *zFrom = sqlite3_mprintf("the environment variable %s", zName);
      if (!zFrom) return SQLITE_NOMEM;
      int rc = token_set(a, zWho, z, strlen(z), zFrom, pzErr);
      sqlite3_free(zFrom);
      if (rc == SQLITE_OK) a->bTokenStale = 0;
      return rc;
    }
    case AUTH_FILE: {
      if (a->cred.zToken && !a->bTokenStale) return SQLITE_OK;
      int rc = read_token_file(a, zWho, pzErr);
      if (rc == SQLITE_OK) a->bTokenStale = 0;
      return rc;
    }
    case AUTH_AZURE:
      return azure_token(a, zWho, pzErr);
    default:
      return SQLITE_OK;
  }
}

/* ------------------------------------------------------------------ */
/* The reference, and the hooks of the connection                       */

static int cred_token(http_cred *p, const char *zWho, char **pzErr) {
  return auth_token((auth_state *)p, zWho, pzErr); /* cred is the first member */
}
static char *cred_mask(http_cred *p, char *z) { return auth_mask((auth_state *)p, z); }

int auth_init(auth_state *a, const char *zAuth, http_conn *pConn, const char *zWho, char **pzErr) {
  memset(a, 0, sizeof(*a));
  a->zAuth = zAuth;
  a->pConn = pConn;
  a->cred.xToken = cred_token;
  a->cred.xMask = cred_mask;
  const char *zA = zAuth;
  if (!zA) {
    a->eAuth = azure_env_configured() ? AUTH_AZURE : AUTH_NONE;
  } else if (azure_cred_parse(zA, &a->eAzCred)) {
    a->eAuth = AUTH_AZURE;
  } else if (strncmp(zA, "env:", 4) == 0 && zA[4] && !url_has_ctl(zA) && !strpbrk(zA + 4, " =")) {
    a->eAuth = AUTH_ENV;
  } else if (strncmp(zA, "file:", 5) == 0 && zA[5] && !url_has_ctl(zA)) {
    a->eAuth = AUTH_FILE;
  } else if (strcmp(zA, "none") == 0) {
    a->eAuth = AUTH_NONE;
  } else {
    *pzErr = sqlite3_mprintf("%s: auth= takes a reference, never a token or secret (the CREATE VIRTUAL TABLE text "
                             "is stored in the database file): put the token in an environment variable and use "
                             "auth='env:NAME', or use auth='file:PATH', or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                             "AZURE_CLIENT_SECRET and use auth='azure'",
                             zWho);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  a->cred.bSend = a->eAuth != AUTH_NONE;
  a->cred.bRenew = a->eAuth == AUTH_AZURE;
  return SQLITE_OK;
}

void auth_clear(auth_state *a) {
  trust_wipe_free(a->cred.zToken);
  a->cred.zToken = 0;
}

void auth_stale(auth_state *a) { a->bTokenStale = 1; }

int auth_identity_hash(auth_state *a, const char *zWho, sqlite3_uint64 *pH, char **pzErr) {
  *pH = 0;
  if (a->eAuth == AUTH_ENV || a->eAuth == AUTH_FILE) {
    int rc = auth_token(a, zWho, pzErr);
    if (rc) return rc;
    *pH = a->cred.zToken ? pj_hash64(a->cred.zToken, strlen(a->cred.zToken)) : 0;
  } else if (a->eAuth == AUTH_AZURE) {
    int eKind = AZ_CRED_SECRET;
    char *zErr = 0;
    if (azure_cred_pick(a->eAzCred, zWho, &eKind, &zErr) == SQLITE_OK) *pH = azure_cred_hash(eKind);
    sqlite3_free(zErr); /* the token request reports it */
  }
  return SQLITE_OK;
}

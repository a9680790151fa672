/*
** auth_azure.c: the Azure credential chain, by the Azure SDKs' names.
**
** Usage:
**   CREATE VIRTUAL TABLE ev USING provisioning_events(
**       source='https://graph.microsoft.com/v1.0', auth='azure');
**   -- or one credential: auth='azure:secret', 'azure:certificate',
**   -- 'azure:workload', 'azure:managed', 'azure:cli'
**
** How it works:
**   auth='azure' (and no auth= when a credential below is configured in
**   the environment) uses the first configured one, in DefaultAzureCredential's
**   order:
**     1. client secret: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET;
**     2. client certificate: AZURE_TENANT_ID, AZURE_CLIENT_ID,
**        AZURE_CLIENT_CERTIFICATE_PATH (+ _PASSWORD, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN),
**        a signed client assertion (jwt.c);
**     3. workload identity: AZURE_TENANT_ID, AZURE_CLIENT_ID,
**        AZURE_FEDERATED_TOKEN_FILE (its content is the assertion, read
**        afresh for every token);
**     4. managed identity: IDENTITY_ENDPOINT + IDENTITY_HEADER (App Service,
**        Functions), else the instance metadata endpoint (IMDS,
**        169.254.169.254, or AZURE_POD_IDENTITY_AUTHORITY_HOST); AZURE_CLIENT_ID
**        picks a user-assigned identity. In the chain, a managed identity
**        counts as configured only when IDENTITY_ENDPOINT + IDENTITY_HEADER
**        or AZURE_POD_IDENTITY_AUTHORITY_HOST are set: the extension does
**        not probe IMDS (no request, no delay, on machines outside Azure);
**        on an Azure VM, name it: auth='azure:managed';
**     5. the Azure CLI: `az account get-access-token` when az is on PATH.
**   The first configured credential is the one used: if it fails, the
**   error is its own (as in the SDKs, a configured credential that fails
**   does not fall through to the next).
**
**   This file decides and builds; it sends nothing. auth.c runs the token
**   requests over http.c (its host rule for token endpoints, retries,
**   masking of secrets in messages) and keeps the token. It may call jwt.c, json.c
**   and the C library (posix_spawnp for az, never a shell).
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2 */
#endif
#include "auth_azure.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "jwt.h"

SQLITE_EXTENSION_INIT3

extern char **environ;

#define AZ_MAX_ASSERTION 65536
#define AZ_MAX_CLI_OUT (1024 * 1024)
#define AZ_CLI_TIMEOUT 10.0

static const char *const azAuth[] = {"azure", "azure:secret", "azure:certificate", "azure:workload",
                                     "azure:managed", "azure:cli"};
static const char *const azName[] = {"the Azure credential chain", "client secret", "client certificate",
                                     "workload identity", "managed identity", "Azure CLI"};

int azure_cred_parse(const char *zAuth, int *peKind) {
  for (int i = 0; i <= AZ_CRED_CLI; i++) {
    if (strcmp(zAuth, azAuth[i]) == 0) {
      *peKind = i;
      return 1;
    }
  }
  return 0;
}

const char *azure_cred_auth(int eKind) { return eKind >= 0 && eKind <= AZ_CRED_CLI ? azAuth[eKind] : "azure"; }
const char *azure_cred_name(int eKind) { return eKind >= 0 && eKind <= AZ_CRED_CLI ? azName[eKind] : "?"; }

static const char *env(const char *zName) {
  const char *z = getenv(zName);
  return z && z[0] ? z : 0;
}

int azure_cred_uses_login(int eKind) {
  return eKind == AZ_CRED_SECRET || eKind == AZ_CRED_CERT || eKind == AZ_CRED_WORKLOAD;
}

/* Is an executable az on PATH? */
static int az_on_path(void) {
  const char *zPath = getenv("PATH");
  if (!zPath) return 0;
  while (*zPath) {
    const char *e = strchr(zPath, ':');
    size_t n = e ? (size_t)(e - zPath) : strlen(zPath);
    char zFile[4096];
    if (n > 0 && n + 4 < sizeof(zFile)) {
      memcpy(zFile, zPath, n);
      memcpy(zFile + n, "/az", 4);
      struct stat st;
      if (stat(zFile, &st) == 0 && S_ISREG(st.st_mode) && access(zFile, X_OK) == 0) return 1;
    }
    if (!e) break;
    zPath = e + 1;
  }
  return 0;
}

/* Is eKind configured? bNamed: asked for by name (IMDS needs nothing then). */
static int configured(int eKind, int bNamed) {
  int bApp = env("AZURE_TENANT_ID") && env("AZURE_CLIENT_ID");
  switch (eKind) {
    case AZ_CRED_SECRET: return bApp && env("AZURE_CLIENT_SECRET");
    case AZ_CRED_CERT: return bApp && env("AZURE_CLIENT_CERTIFICATE_PATH");
    case AZ_CRED_WORKLOAD: return bApp && env("AZURE_FEDERATED_TOKEN_FILE");
    case AZ_CRED_MANAGED:
      return bNamed || (env("IDENTITY_ENDPOINT") && env("IDENTITY_HEADER")) ||
             env("AZURE_POD_IDENTITY_AUTHORITY_HOST");
    case AZ_CRED_CLI: return bNamed || az_on_path();
    default: return 0;
  }
}

int azure_env_configured(void) {
  for (int i = AZ_CRED_SECRET; i <= AZ_CRED_MANAGED; i++) {
    if (configured(i, 0)) return 1;
  }
  return 0;
}

/* "AZURE_TENANT_ID AZURE_CLIENT_SECRET": the unset ones of the app variables and zThird. */
static void append_missing(sqlite3_str *m, const char *zThird) {
  const char *az[3] = {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", zThird};
  int n = 0;
  for (int i = 0; i < 3; i++) {
    if (!env(az[i])) sqlite3_str_appendf(m, "%s%s", n++ ? ", " : "", az[i]);
  }
}

int azure_cred_pick(int eKind, const char *zWho, int *pePicked, char **pzErr) {
  static const char *const azThird[] = {0, "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
                                        "AZURE_FEDERATED_TOKEN_FILE"};
  if (eKind != AZ_CRED_CHAIN) {
    if (configured(eKind, 1)) {
      *pePicked = eKind;
      return SQLITE_OK;
    }
    sqlite3_str *m = sqlite3_str_new(0);
    sqlite3_str_appendf(m, "%s: auth='%s' needs the environment variables AZURE_TENANT_ID, AZURE_CLIENT_ID and %s "
                           "(missing: ",
                        zWho, azAuth[eKind], azThird[eKind]);
    append_missing(m, azThird[eKind]);
    sqlite3_str_appendchar(m, 1, ')');
    *pzErr = sqlite3_str_finish(m);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  for (int i = AZ_CRED_SECRET; i <= AZ_CRED_CLI; i++) {
    if (configured(i, 0)) {
      *pePicked = i;
      return SQLITE_OK;
    }
  }
  sqlite3_str *m = sqlite3_str_new(0);
  sqlite3_str_appendf(m, "%s: auth='azure': no Azure credential is configured; tried, in order: ", zWho);
  for (int i = AZ_CRED_SECRET; i <= AZ_CRED_WORKLOAD; i++) {
    sqlite3_str_appendf(m, "%s (set AZURE_TENANT_ID, AZURE_CLIENT_ID and %s; missing: ", azName[i], azThird[i]);
    append_missing(m, azThird[i]);
    sqlite3_str_appendall(m, "), ");
  }
  sqlite3_str_appendall(m, "managed identity (set IDENTITY_ENDPOINT and IDENTITY_HEADER, or "
                           "AZURE_POD_IDENTITY_AUTHORITY_HOST; on an Azure VM use auth='azure:managed'), "
                           "Azure CLI (az is not on PATH: install it and run az login)");
  *pzErr = sqlite3_str_finish(m);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

sqlite3_uint64 azure_cred_hash(int eKind) {
  static const char *const aazVar[][4] = {
      {0},
      {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", 0},
      {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_CERTIFICATE_PATH", 0},
      {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE", 0},
      {"IDENTITY_ENDPOINT", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZURE_CLIENT_ID", 0},
      {"HOME", "AZURE_CONFIG_DIR", 0, 0},
  };
  if (eKind < AZ_CRED_SECRET || eKind > AZ_CRED_CLI) return 0;
  sqlite3_uint64 h = 0;
  if (eKind != AZ_CRED_SECRET) h = pj_hash64(azAuth[eKind], strlen(azAuth[eKind])); /* the secret's stays as it was */
  for (int i = 0; i < 3 && aazVar[eKind][i]; i++) {
    const char *z = getenv(aazVar[eKind][i]);
    if (!z) z = "";
    h = (h * 0x100000001b3ULL) ^ pj_hash64(z, strlen(z));
  }
  return h;
}

void azure_append_enc(sqlite3_str *m, const char *z) {
  for (; *z; z++) {
    unsigned char c = (unsigned char)*z;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      sqlite3_str_appendchar(m, 1, (char)c);
    } else {
      sqlite3_str_appendf(m, "%%%02X", c);
    }
  }
}

static int has_ctl(const char *z) {
  for (; *z; z++) {
    if ((unsigned char)*z < 0x20 || *z == 0x7f) return 1;
  }
  return 0;
}

static void wipe(char *z) {
  if (z) {
    memset(z, 0, strlen(z));
    sqlite3_free(z);
  }
}

/* The federated token file's content, trimmed (sqlite3_malloc'd). */
static int read_assertion(const char *zWho, const char *zPath, char **pz, char **pzErr) {
  FILE *f = fopen(zPath, "rb");
  if (!f) {
    *pzErr = sqlite3_mprintf("%s: AZURE_FEDERATED_TOKEN_FILE: cannot open %s", zWho, zPath);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  char *z = sqlite3_malloc64(AZ_MAX_ASSERTION + 1);
  if (!z) {
    fclose(f);
    return SQLITE_NOMEM;
  }
  size_t n = fread(z, 1, AZ_MAX_ASSERTION + 1, f);
  int bErr = ferror(f);
  fclose(f);
  size_t i0 = 0;
  while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t' || z[n - 1] == '\r' || z[n - 1] == '\n')) n--;
  while (i0 < n && (z[i0] == ' ' || z[i0] == '\t' || z[i0] == '\r' || z[i0] == '\n')) i0++;
  const char *zWhy = bErr ? "cannot be read" : n > AZ_MAX_ASSERTION ? "is larger than 64 KiB" : n == i0 ? "is empty" : 0;
  for (size_t i = i0; i < n && !zWhy; i++) {
    unsigned char c = (unsigned char)z[i];
    if (c <= 0x20 || c >= 0x7f) zWhy = "holds a space, control or non-ASCII character (it must hold one JWT)";
  }
  if (zWhy) {
    memset(z, 0, n);
    sqlite3_free(z);
    *pzErr = sqlite3_mprintf("%s: AZURE_FEDERATED_TOKEN_FILE (%s) %s", zWho, zPath, zWhy);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  memmove(z, z + i0, n - i0);
  memset(z + (n - i0), 0, i0 + 1);
  *pz = z;
  return SQLITE_OK;
}

void azure_token_request_clear(az_token_req *p) {
  sqlite3_free(p->zUrl);
  wipe(p->zBody);
  wipe(p->zHeader);
  wipe(p->zSecret);
  memset(p, 0, sizeof(*p));
}

static int strip_len(const char *z) {
  size_t n = strlen(z);
  while (n > 0 && z[n - 1] == '/') n--;
  return (int)n;
}

int azure_token_request(int eKind, const char *zWho, const char *zAuthority, const char *zResourceHost,
                        long long tNow, az_token_req *p, char **pzErr) {
  memset(p, 0, sizeof(*p));
  p->eKind = eKind;
  const char *zTenant = env("AZURE_TENANT_ID");
  const char *zClient = env("AZURE_CLIENT_ID");
  int rc = SQLITE_OK;
  if (azure_cred_uses_login(eKind)) {
    for (const char *q = zTenant; q && *q; q++) {
      if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '-' ||
            *q == '.' || *q == '_')) {
        *pzErr = sqlite3_mprintf("%s: AZURE_TENANT_ID must be a tenant id or domain name (letters, digits, '-', '.')",
                                 zWho);
        return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
      }
    }
    if (!zTenant || !zClient || has_ctl(zClient)) {
      *pzErr = sqlite3_mprintf("%s: AZURE_TENANT_ID and AZURE_CLIENT_ID must be set, without control characters",
                               zWho);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    p->eEndpoint = AZ_EP_LOGIN;
    p->zMethod = "POST";
    p->zUrl = sqlite3_mprintf("%s/%s/oauth2/v2.0/token", zAuthority, zTenant);
    if (!p->zUrl) goto nomem;
    sqlite3_str *m = sqlite3_str_new(0);
    sqlite3_str_appendall(m, "grant_type=client_credentials&client_id=");
    azure_append_enc(m, zClient);
    if (eKind == AZ_CRED_SECRET) {
      const char *zSecret = env("AZURE_CLIENT_SECRET");
      if (!zSecret || has_ctl(zSecret)) {
        sqlite3_free(sqlite3_str_finish(m));
        *pzErr = sqlite3_mprintf("%s: AZURE_CLIENT_ID or AZURE_CLIENT_SECRET holds a control character", zWho);
        return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
      }
      sqlite3_str_appendall(m, "&client_secret=");
      azure_append_enc(m, zSecret);
      p->zFrom = "(client credentials from AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)";
    } else {
      char *zA = 0;
      if (eKind == AZ_CRED_CERT) {
        const char *zChain = env("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN");
        int bChain = zChain && (sqlite3_stricmp(zChain, "true") == 0 || strcmp(zChain, "1") == 0);
        rc = jwt_client_assertion(zWho, env("AZURE_CLIENT_CERTIFICATE_PATH"),
                                  getenv("AZURE_CLIENT_CERTIFICATE_PASSWORD"), bChain, zClient, p->zUrl, tNow, &zA,
                                  pzErr);
        p->zFrom = "(client certificate from AZURE_CLIENT_CERTIFICATE_PATH)";
      } else {
        rc = read_assertion(zWho, env("AZURE_FEDERATED_TOKEN_FILE"), &zA, pzErr);
        p->zFrom = "(workload identity from AZURE_FEDERATED_TOKEN_FILE)";
      }
      if (rc) {
        sqlite3_str_reset(m);
        sqlite3_free(sqlite3_str_finish(m));
        azure_token_request_clear(p);
        return rc;
      }
      sqlite3_str_appendall(m, "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
                               "&client_assertion=");
      azure_append_enc(m, zA);
      p->zSecret = zA;
    }
    sqlite3_str_appendall(m, "&scope=");
    char *zScope = sqlite3_mprintf("https://%s/.default", zResourceHost);
    if (zScope) azure_append_enc(m, zScope);
    sqlite3_free(zScope);
    if (!zScope) sqlite3_str_reset(m);
    p->zBody = sqlite3_str_finish(m);
    if (!p->zBody || !zScope) goto nomem;
    return SQLITE_OK;
  }
  if (eKind != AZ_CRED_MANAGED) {
    *pzErr = sqlite3_mprintf("%s: internal error: no token request for %s", zWho, azure_cred_name(eKind));
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  const char *zEp = env("IDENTITY_ENDPOINT"), *zHdr = env("IDENTITY_HEADER");
  p->zMethod = "GET";
  sqlite3_str *m = sqlite3_str_new(0);
  if (zEp && zHdr) {
    if (has_ctl(zEp) || has_ctl(zHdr) || strchr(zEp, ' ') || strchr(zEp, '#')) {
      sqlite3_free(sqlite3_str_finish(m));
      *pzErr = sqlite3_mprintf("%s: IDENTITY_ENDPOINT or IDENTITY_HEADER holds a space, '#' or control character",
                               zWho);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    p->eEndpoint = AZ_EP_IDENTITY;
    sqlite3_str_appendf(m, "%s%sresource=", zEp, strchr(zEp, '?') ? "&" : "?");
    p->zHeader = sqlite3_mprintf("X-IDENTITY-HEADER: %s", zHdr);
    p->zSecret = sqlite3_mprintf("%s", zHdr);
    p->zFrom = "(managed identity from IDENTITY_ENDPOINT, IDENTITY_HEADER)";
  } else {
    const char *zHost = env("AZURE_POD_IDENTITY_AUTHORITY_HOST");
    if (zHost && (has_ctl(zHost) || strchr(zHost, ' ') || strchr(zHost, '?') || strchr(zHost, '#'))) {
      sqlite3_free(sqlite3_str_finish(m));
      *pzErr = sqlite3_mprintf("%s: AZURE_POD_IDENTITY_AUTHORITY_HOST must be a URL without a space, query or "
                               "control character",
                               zWho);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    if (!zHost) zHost = "http://169.254.169.254";
    p->eEndpoint = AZ_EP_IMDS;
    sqlite3_str_appendf(m, "%s%.*s/metadata/identity/oauth2/token?api-version=2018-02-01&resource=",
                        strstr(zHost, "://") ? "" : "http://", strip_len(zHost), zHost);
    p->zHeader = sqlite3_mprintf("Metadata: true");
    p->zFrom = zHost == getenv("AZURE_POD_IDENTITY_AUTHORITY_HOST")
                   ? "(managed identity from the metadata endpoint AZURE_POD_IDENTITY_AUTHORITY_HOST)"
                   : "(managed identity from the instance metadata endpoint 169.254.169.254)";
  }
  char *zRes = sqlite3_mprintf("https://%s", zResourceHost);
  if (zRes) azure_append_enc(m, zRes);
  sqlite3_free(zRes);
  if (p->eEndpoint == AZ_EP_IDENTITY) sqlite3_str_appendall(m, "&api-version=2019-08-01");
  if (zClient) {
    sqlite3_str_appendall(m, "&client_id=");
    azure_append_enc(m, zClient);
  }
  if (!zRes) sqlite3_str_reset(m);
  p->zUrl = sqlite3_str_finish(m);
  if (!p->zUrl || !p->zHeader || (p->eEndpoint == AZ_EP_IDENTITY && !p->zSecret)) goto nomem;
  return SQLITE_OK;
nomem:
  azure_token_request_clear(p);
  return SQLITE_NOMEM;
}

/* A JSON number or numeric string at token i as a double; 0 when none. */
static int tok_num(const pj_doc *d, int i, double *pr) {
  if (i < 0 || (d->aTok[i].type != JSMN_PRIMITIVE && d->aTok[i].type != JSMN_STRING)) return 0;
  char zNum[40];
  int n = d->aTok[i].end - d->aTok[i].start;
  if (n <= 0 || n >= (int)sizeof(zNum)) return 0;
  memcpy(zNum, d->z + d->aTok[i].start, (size_t)n);
  zNum[n] = 0;
  char *zEnd = 0;
  double v = strtod(zNum, &zEnd);
  if (zEnd == zNum || *zEnd) return 0;
  *pr = v;
  return 1;
}

/* The CLI's expiresOn, "2024-05-01 12:34:56.000000" in local time. */
static int tok_local_time(const pj_doc *d, int i, double *pr) {
  if (i < 0 || d->aTok[i].type != JSMN_STRING) return 0;
  char z[64];
  int n = d->aTok[i].end - d->aTok[i].start;
  if (n <= 0 || n >= (int)sizeof(z)) return 0;
  memcpy(z, d->z + d->aTok[i].start, (size_t)n);
  z[n] = 0;
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  if (sscanf(z, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  time_t t = mktime(&tm);
  if (t == (time_t)-1) return 0;
  *pr = (double)t;
  return 1;
}

int azure_token_answer(const char *zWho, const char *zFrom, const char *z, size_t n, long long tNow, char **pzTok,
                       double *prLife, char **pzErr) {
  pj_doc d;
  memset(&d, 0, sizeof(d));
  size_t end, errOff;
  const char *zWhy;
  int iTok = -1, rc = SQLITE_ERROR;
  *pzTok = 0;
  if (z && pj_value_end(z, n, &end, &errOff, &zWhy) == PJ_OK) {
    rc = pj_parse(&d, z, n);
    if (rc == SQLITE_NOMEM) return rc;
    if (rc == SQLITE_OK && d.nTok > 0 && d.aTok[0].type == JSMN_OBJECT) {
      iTok = pj_find(&d, 0, "access_token", 12);
      if (iTok < 0) iTok = pj_find(&d, 0, "accessToken", 11);
    }
  }
  if (iTok < 0 || d.aTok[iTok].type != JSMN_STRING || d.aTok[iTok].end <= d.aTok[iTok].start) {
    pj_doc_free(&d);
    *pzErr = sqlite3_mprintf("%s: the answer carries no access_token %s", zWho, zFrom);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  double rLife = 3600, v;
  if (tok_num(&d, pj_find(&d, 0, "expires_in", 10), &v) && v > 0) {
    rLife = v;
  } else if (tok_num(&d, pj_find(&d, 0, "expires_on", 10), &v) && v > 0) {
    rLife = v - (double)tNow;
  } else if (tok_local_time(&d, pj_find(&d, 0, "expiresOn", 9), &v)) {
    rLife = v - (double)tNow;
  }
  *prLife = rLife;
  int nTok = d.aTok[iTok].end - d.aTok[iTok].start;
  *pzTok = sqlite3_mprintf("%.*s", nTok, z + d.aTok[iTok].start);
  pj_doc_free(&d);
  return *pzTok ? SQLITE_OK : SQLITE_NOMEM;
}

/* ------------------------------------------------------------------ */
/* The Azure CLI                                                        */

static double now_real(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Append what fd has to say to *pz (at most nMax bytes); 0 at EOF. */
static int drain(int fd, char **pz, size_t *pn, size_t nMax, int *pbNoMem) {
  char aBuf[4096];
  ssize_t k = read(fd, aBuf, sizeof(aBuf));
  if (k < 0) return errno == EINTR || errno == EAGAIN;
  if (k == 0) return 0;
  if (*pn + (size_t)k > nMax) k = (ssize_t)(nMax - *pn);
  if (k > 0) {
    char *zNew = sqlite3_malloc64(*pn + (size_t)k + 1);
    if (!zNew) {
      *pbNoMem = 1;
    } else {
      if (*pz) memcpy(zNew, *pz, *pn);
      memcpy(zNew + *pn, aBuf, (size_t)k);
      zNew[*pn + (size_t)k] = 0;
      if (*pz) memset(*pz, 0, *pn);
      sqlite3_free(*pz);
      *pz = zNew;
      *pn += (size_t)k;
    }
  }
  memset(aBuf, 0, sizeof(aBuf));
  return 1;
}

/* The first line of az's stderr, cleaned, at most 300 characters. */
static void append_first_line(sqlite3_str *m, const char *z) {
  if (!z) return;
  while (*z == '\n' || *z == '\r' || *z == ' ') z++;
  for (int i = 0; z[i] && z[i] != '\n' && i < 300; i++) {
    unsigned char c = (unsigned char)z[i];
    sqlite3_str_appendchar(m, 1, (c >= 0x20 && c < 0x7f) ? (char)c : ' ');
  }
}

int azure_cli_run(const char *zWho, const char *zResourceHost, char **pzOut, size_t *pnOut, char **pzErr) {
  double rLimit = AZ_CLI_TIMEOUT;
  const char *zT = env("PROVISIONING_AZ_TIMEOUT");
  if (zT) {
    char *zEnd = 0;
    double v = strtod(zT, &zEnd);
    if (zEnd != zT && !*zEnd && v > 0 && v <= 600) rLimit = v;
  }
  char *zRes = sqlite3_mprintf("https://%s", zResourceHost);
  if (!zRes) return SQLITE_NOMEM;
  char *azArgv[] = {"az", "account", "get-access-token", "--resource", zRes, "--output", "json", 0};
  int aOut[2] = {-1, -1}, aErr[2] = {-1, -1};
  char *zOut = 0, *zErrText = 0;
  size_t nOut = 0, nErrText = 0;
  int rc = SQLITE_ERROR, bNoMem = 0, st = 0;
  pid_t pid = -1;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  int bFa = 0, bAt = 0;
  sqlite3_str *m = sqlite3_str_new(0);
  sqlite3_str_appendf(m, "%s: auth='azure:cli': ", zWho);
  if (pipe2(aOut, O_CLOEXEC) || pipe2(aErr, O_CLOEXEC)) {
    sqlite3_str_appendf(m, "cannot make a pipe for az (%s)", strerror(errno));
    goto done;
  }
  if (posix_spawn_file_actions_init(&fa) == 0) bFa = 1;
  if (posix_spawnattr_init(&at) == 0) bAt = 1;
  if (!bFa || !bAt) {
    bNoMem = 1;
    goto done;
  }
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, aOut[1], 1);
  posix_spawn_file_actions_adddup2(&fa, aErr[1], 2);
  posix_spawnattr_setpgroup(&at, 0); /* its own group: a time-out kills az and what it started */
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
  int e = posix_spawnp(&pid, "az", &fa, &at, azArgv, environ);
  close(aOut[1]);
  close(aErr[1]);
  aOut[1] = aErr[1] = -1;
  if (e) {
    pid = -1;
    if (e == ENOENT) {
      sqlite3_str_appendall(m, "az (the Azure CLI) was not found on PATH: install it and run az login, or choose "
                               "another credential");
    } else {
      sqlite3_str_appendf(m, "cannot run az (%s)", strerror(e));
    }
    goto done;
  }
  double tEnd = now_real() + rLimit;
  int bOutOpen = 1, bErrOpen = 1;
  while ((bOutOpen || bErrOpen) && !bNoMem) {
    double left = tEnd - now_real();
    if (left <= 0) break;
    struct pollfd aP[2];
    int nP = 0;
    if (bOutOpen) aP[nP++] = (struct pollfd){aOut[0], POLLIN, 0};
    if (bErrOpen) aP[nP++] = (struct pollfd){aErr[0], POLLIN, 0};
    int k = poll(aP, (nfds_t)nP, (int)(left * 1000) + 1);
    if (k < 0 && errno != EINTR) break;
    for (int i = 0; i < nP && k > 0; i++) {
      if (!aP[i].revents) continue;
      if (aP[i].fd == aOut[0]) bOutOpen = drain(aOut[0], &zOut, &nOut, AZ_MAX_CLI_OUT, &bNoMem);
      else bErrOpen = drain(aErr[0], &zErrText, &nErrText, 8192, &bNoMem);
    }
  }
  if (bOutOpen || bErrOpen) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    pid = -1;
    if (!bNoMem) {
      sqlite3_str_appendf(m, "az account get-access-token did not finish within %g s and was stopped (the limit is "
                             "PROVISIONING_AZ_TIMEOUT, in seconds)",
                          rLimit);
    }
    goto done;
  }
  pid_t w;
  while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
  }
  pid = -1;
  if (w < 0) st = 0; /* SIGCHLD ignored by the host: judge by the output */
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
    *pzOut = zOut;
    *pnOut = nOut;
    zOut = 0;
    rc = SQLITE_OK;
    goto done;
  }
  if (zErrText && (strstr(zErrText, "az login") || strstr(zErrText, "not logged in"))) {
    sqlite3_str_appendall(m, "the Azure CLI is not logged in: run az login (az said: ");
  } else if (WIFEXITED(st)) {
    sqlite3_str_appendf(m, "az account get-access-token failed with exit status %d (az said: ", WEXITSTATUS(st));
  } else {
    sqlite3_str_appendall(m, "az account get-access-token was killed by a signal (az said: ");
  }
  append_first_line(m, zErrText ? zErrText : "nothing");
  sqlite3_str_appendchar(m, 1, ')');
done:
  if (pid > 0) {
    kill(-pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
  for (int i = 0; i < 2; i++) {
    if (aOut[i] >= 0) close(aOut[i]);
    if (aErr[i] >= 0) close(aErr[i]);
  }
  if (bFa) posix_spawn_file_actions_destroy(&fa);
  if (bAt) posix_spawnattr_destroy(&at);
  sqlite3_free(zRes);
  if (zOut) memset(zOut, 0, nOut);
  sqlite3_free(zOut);
  sqlite3_free(zErrText);
  if (rc == SQLITE_OK || bNoMem) {
    sqlite3_free(sqlite3_str_finish(m));
    return bNoMem ? (rc == SQLITE_OK ? (wipe(*pzOut), *pzOut = 0, SQLITE_NOMEM) : SQLITE_NOMEM) : SQLITE_OK;
  }
  *pzErr = sqlite3_str_finish(m);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

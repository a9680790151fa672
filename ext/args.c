/*
** args.c: the CREATE VIRTUAL TABLE arguments, key=value each.
**
**   CREATE VIRTUAL TABLE ev USING provisioning_events(
**       source='https://graph.microsoft.com/v1.0', auth='env:GRAPH_TOKEN',
**       page_size=500);
**
** The text of CREATE VIRTUAL TABLE is stored in the database file in plain
** text, so auth= takes only references (env:NAME, file:PATH, azure) and a
** key that looks like a secret is refused with a message saying where the
** secret belongs.
** Calls: SQLite's string functions only; fills source.h's prov_options.
*/
#include <stdlib.h>
#include <string.h>

#include "source.h"

SQLITE_EXTENSION_INIT3

static const char *const azKeys[] = {
    "source", "auth", "collection", "ca_file", "page_size", "page_max", "select", "rate_limit",
    "rate_window", "max_retries", "max_wait", "retry_base", "connect_timeout", "low_speed_time",
    "max_response", "cache", "cache_ttl", "writable", "ref", "pushdown", "timeout", "odata", 0};

static const char *const azSecretKeys[] = {"token", "access_token", "bearer", "secret", "client_secret",
                                           "password", "key", "api_key", 0};

/* Copy z, without surrounding quotes, into the store; returns the copy. */
static char *dequote(const char *z, int n, char **pzCursor) {
  char *zOut = *pzCursor;
  if (n >= 2 && (z[0] == '\'' || z[0] == '"') && z[n - 1] == z[0]) {
    char q = z[0];
    int o = 0;
    for (int i = 1; i < n - 1; i++) {
      zOut[o++] = z[i];
      if (z[i] == q && i + 1 < n - 1 && z[i + 1] == q) i++;
    }
    zOut[o] = 0;
    *pzCursor += o + 1;
  } else {
    memcpy(zOut, z, (size_t)n);
    zOut[n] = 0;
    *pzCursor += n + 1;
  }
  return zOut;
}

static int parse_num(const char *z, double rMin, double rMax, double *pOut) {
  char *zEnd;
  if (!z[0]) return 0;
  double r = strtod(z, &zEnd);
  if (*zEnd || r != r || r < rMin || r > rMax) return 0;
  *pOut = r;
  return 1;
}

static int valid_auth(const char *z) {
  if (strcmp(z, "azure") == 0 || strcmp(z, "none") == 0) return 1;
  if (strcmp(z, "azure:secret") == 0 || strcmp(z, "azure:certificate") == 0 || strcmp(z, "azure:workload") == 0 ||
      strcmp(z, "azure:managed") == 0 || strcmp(z, "azure:cli") == 0) {
    return 1;
  }
  if (strncmp(z, "env:", 4) == 0) {
    const char *p = z + 4;
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_')) return 0;
    for (; *p; p++) {
      if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) {
        return 0;
      }
    }
    return 1;
  }
  if (strncmp(z, "file:", 5) == 0) return z[5] != 0 && !strpbrk(z, "\r\n");
  return 0;
}

int prov_options_parse(const char *zModule, int argc, const char *const *argv, prov_options *o,
                       char **pzStore, char **pzErr) {
  memset(o, 0, sizeof(*o));
  o->zCollection = "provisioning";
  o->nPageMax = 1000;
  o->bSelect = -1; /* as the profile says: off for odata=documented */
  o->nRateLimit = 5;
  o->rRateWindow = 10;
  o->nMaxRetries = 3;
  o->rMaxWait = 180;
  o->rRetryBase = 3;
  o->rConnectTimeout = 10;
  o->rLowSpeedTime = 30;
  o->rTimeout = 100;
  o->nMaxResponse = 256 * 1024 * 1024;
  o->rCacheTtl = 300;
  o->bPushdown = 1;
  *pzStore = 0;
  size_t nStore = 1;
  for (int i = 3; i < argc; i++) nStore += strlen(argv[i]) + 2;
  char *zStore = sqlite3_malloc64(nStore);
  if (!zStore) return SQLITE_NOMEM;
  char *zCur = zStore;
  for (int i = 3; i < argc; i++) {
    const char *zArg = argv[i];
    while (*zArg == ' ' || *zArg == '\t' || *zArg == '\n') zArg++;
    const char *zEq = strchr(zArg, '=');
    if (!zEq) {
      *pzErr = sqlite3_mprintf("%s: argument %s is not key=value (e.g. source='file:events.json')", zModule,
                               zArg);
      goto error;
    }
    int nKey = (int)(zEq - zArg);
    while (nKey > 0 && (zArg[nKey - 1] == ' ' || zArg[nKey - 1] == '\t')) nKey--;
    const char *zVal = zEq + 1;
    while (*zVal == ' ' || *zVal == '\t' || *zVal == '\n') zVal++;
    int nVal = (int)strlen(zVal);
    while (nVal > 0 && (zVal[nVal - 1] == ' ' || zVal[nVal - 1] == '\t' || zVal[nVal - 1] == '\n')) nVal--;
    char *zKey = dequote(zArg, nKey, &zCur);
    char *zV = dequote(zVal, nVal, &zCur);
    int k;
    for (k = 0; azSecretKeys[k]; k++) {
      if (sqlite3_stricmp(zKey, azSecretKeys[k]) == 0) {
        *pzErr = sqlite3_mprintf("%s: secrets never go in CREATE VIRTUAL TABLE (its text is stored in the "
                                 "database file in plain text): put the token in an environment variable and "
                                 "use auth='env:NAME', or a file with auth='file:PATH', or set AZURE_TENANT_ID, "
                                 "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET and use auth='azure'",
                                 zModule);
        goto error;
      }
    }
    for (k = 0; azKeys[k]; k++) {
      if (sqlite3_stricmp(zKey, azKeys[k]) == 0) break;
    }
    double r = 0;
    switch (k) {
      case 0: o->zSource = zV; break;
      case 1:
        if (!valid_auth(zV)) {
          *pzErr = sqlite3_mprintf("%s: auth= takes a reference, not a secret: auth='env:NAME' (a bearer token "
                                   "in that environment variable), auth='file:PATH' (a token file) or "
                                   "auth='azure' (the Azure credential chain; or one of it: azure:secret, "
                                   "azure:certificate, azure:workload, azure:managed, azure:cli); "
                                   "the CREATE VIRTUAL TABLE text is stored in plain text",
                                   zModule);
          goto error;
        }
        o->zAuth = strcmp(zV, "none") == 0 ? 0 : zV;
        break;
      case 2:
        if (strcmp(zV, "provisioning") && strcmp(zV, "directoryProvisioning")) {
          *pzErr = sqlite3_mprintf("%s: collection= is 'provisioning' or 'directoryProvisioning' (beta), not '%s'",
                                   zModule, zV);
          goto error;
        }
        o->zCollection = zV;
        break;
      case 3: o->zCaFile = zV; break;
      case 4:
        if (!parse_num(zV, 1, 100000, &r)) goto bad_number;
        o->nPageSize = (sqlite3_int64)r;
        break;
      case 5:
        if (!parse_num(zV, 1, 100000, &r)) goto bad_number;
        o->nPageMax = (sqlite3_int64)r;
        break;
      case 6:
        if (!parse_num(zV, 0, 1, &r)) goto bad_number;
        o->bSelect = (int)r;
        break;
      case 7:
        if (!parse_num(zV, 1, 1000000, &r)) goto bad_number;
        o->nRateLimit = (int)r;
        break;
      case 8:
        if (!parse_num(zV, 0, 3600, &r)) goto bad_number;
        o->rRateWindow = r;
        break;
      case 9:
        if (!parse_num(zV, 0, 20, &r)) goto bad_number;
        o->nMaxRetries = (int)r;
        break;
      case 10:
        if (!parse_num(zV, 0, 86400, &r)) goto bad_number;
        o->rMaxWait = r;
        break;
      case 11:
        if (!parse_num(zV, 0, 600, &r)) goto bad_number;
        o->rRetryBase = r;
        break;
      case 12:
        if (!parse_num(zV, 0.001, 3600, &r)) goto bad_number;
        o->rConnectTimeout = r;
        break;
      case 13:
        if (!parse_num(zV, 1, 3600, &r)) goto bad_number;
        o->rLowSpeedTime = r;
        break;
      case 14:
        if (!parse_num(zV, 1024, 1e12, &r)) goto bad_number;
        o->nMaxResponse = (sqlite3_int64)r;
        break;
      case 15: o->zCache = zV; break;
      case 16:
        if (!parse_num(zV, 0, 1e7, &r)) goto bad_number;
        o->rCacheTtl = r;
        break;
      case 17:
        if (!parse_num(zV, 0, 1, &r)) goto bad_number;
        o->bWritable = (int)r;
        break;
      case 18:
        if (!parse_num(zV, 0, 1, &r)) goto bad_number;
        o->bRef = (int)r;
        break;
      case 19:
        if (!parse_num(zV, 0, 1, &r)) goto bad_number;
        o->bPushdown = (int)r;
        break;
      case 20:
        if (!parse_num(zV, 0.001, 86400, &r)) goto bad_number;
        o->rTimeout = r;
        break;
      case 21:
        if (sqlite3_stricmp(zV, "documented") && sqlite3_stricmp(zV, "extended")) {
          *pzErr = sqlite3_mprintf("%s: odata= is 'documented' (the default: only the OData Microsoft documents "
                                   "for this API) or 'extended' (also `or` and $select), not '%s'",
                                   zModule, zV);
          goto error;
        }
        o->bODataExtended = sqlite3_stricmp(zV, "extended") == 0;
        break;
      default: {
        sqlite3_str *s = sqlite3_str_new(0);
        for (int j = 0; azKeys[j]; j++) sqlite3_str_appendf(s, "%s%s", j ? ", " : "", azKeys[j]);
        char *zList = sqlite3_str_finish(s);
        if (!zList) goto error; /* no list, no message: out of memory */
        *pzErr = sqlite3_mprintf("%s: unknown option '%s' (known: %s)", zModule, zKey, zList);
        sqlite3_free(zList);
        goto error;
      }
    }
    continue;
  bad_number:
    *pzErr = sqlite3_mprintf("%s: option %s='%s' is not a valid number in range", zModule, zKey, zV);
    goto error;
  }
  if (o->bSelect < 0) o->bSelect = o->bODataExtended;
  if (o->zSource && strpbrk(o->zSource, "\r\n")) {
    *pzErr = sqlite3_mprintf("%s: source= must not contain CR or LF", zModule);
    goto error;
  }
  *pzStore = zStore;
  return SQLITE_OK;
error:
  sqlite3_free(zStore);
  memset(o, 0, sizeof(*o));
  /* a message that could not be made is an out-of-memory, not a bare "SQL logic error" */
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

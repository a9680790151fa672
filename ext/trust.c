/*
** trust.c: the trust model (see trust.h). A database file's schema is
** anyone's; the environment is the user's. This file decides, from the
** environment only:
**   - which hosts a request may go to (trust_host_allowed, for Graph and any
**     other request; trust_login_host_allowed, for client credentials);
**   - how far the options of a table loaded from a schema may go
**     (trust_options: the limit caps of aLimit[] below, ca_file=, cache=);
**   - which cache files may be written (trust_cache_file_ours);
**   - what of a URL or a secret may be shown (trust_url_masked,
**     trust_mask_secret, trust_holds_secret).
**
** Usage (the environment, never the database file):
**   export PROVISIONING_ALLOWED_HOSTS=127.0.0.1:8080,graph-proxy.corp.example
**   export PROVISIONING_CAP_RATE_LIMIT=1000 PROVISIONING_CAP_RATE_WINDOW=1
**   export PROVISIONING_CACHE_DIR=$HOME/.cache/provisioning
**   export PROVISIONING_CA_FILES=/etc/ssl/corp-ca.pem
**
** Calls only SQLite (allocation, strings) and the C library; args.c for
** the option defaults.
*/
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

SQLITE_EXTENSION_INIT3

static int trust_trace_on(void) {
  const char *z = getenv("PROVISIONING_TRACE");
  return z && z[0] && strcmp(z, "0") != 0;
}

void trust_wipe(void *p, size_t n) {
  if (!p || n == 0) return;
  memset(p, 0, n);
  __asm__ __volatile__("" : : "r"(p) : "memory"); /* the memset may not be dropped */
}

void trust_wipe_free(char *z) {
  if (z) {
    trust_wipe(z, strlen(z));
    sqlite3_free(z);
  }
}

/* ------------------------------------------------------------------ */
/* Hosts                                                                */

int trust_is_loopback(const char *zHost) {
  if (!zHost) return 0;
  if (sqlite3_stricmp(zHost, "localhost") == 0) return 1;
  if (strcmp(zHost, "[::1]") == 0 || strcmp(zHost, "::1") == 0) return 1;
  if (strncmp(zHost, "127.", 4) == 0) {
    int nDot = 0, nDig = 0;
    for (const char *p = zHost; *p; p++) {
      if (*p == '.') {
        if (nDig == 0) return 0;
        nDot++;
        nDig = 0;
      } else if (*p >= '0' && *p <= '9') {
        if (++nDig > 3) return 0;
      } else {
        return 0;
      }
    }
    return nDot == 3 && nDig > 0;
  }
  return 0;
}

static const char *const azGraph[] = {"graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us",
                                      "microsoftgraph.chinacloudapi.cn", 0};
/* Microsoft Entra's authority hosts (public cloud, US Government, China: both names). */
static const char *const azLogin[] = {"login.microsoftonline.com", "login.microsoftonline.us",
                                      "login.chinacloudapi.cn", "login.partner.microsoftonline.cn", 0};

static int in_list(const char *const *az, const char *zHost) {
  for (int i = 0; zHost && az[i]; i++) {
    if (sqlite3_stricmp(zHost, az[i]) == 0) return 1;
  }
  return 0;
}

int trust_is_graph_host(const char *zHost) { return in_list(azGraph, zHost); }

/* Compare host a[0..na) with b[0..nb), case-insensitive, ignoring IPv6 brackets. */
static int host_eq(const char *a, size_t na, const char *b, size_t nb) {
  if (na >= 2 && a[0] == '[' && a[na - 1] == ']') a++, na -= 2;
  if (nb >= 2 && b[0] == '[' && b[nb - 1] == ']') b++, nb -= 2;
  return na == nb && na > 0 && sqlite3_strnicmp(a, b, (int)na) == 0;
}

/*
** One entry of PROVISIONING_ALLOWED_HOSTS, z[0..n): "host", "host:port",
** "[v6]", "[v6]:port", a bare IPv6 address, or any of them after "scheme://"
** and before a '/'. Does it allow zHost:iPort?
*/
static int entry_allows(const char *z, size_t n, const char *zHost, long iPort) {
  const char *p = z;
  for (size_t i = 0; i + 2 < n; i++) {
    if (z[i] == ':' && z[i + 1] == '/' && z[i + 2] == '/') {
      p = z + i + 3;
      n -= i + 3;
      break;
    }
    if (!((z[i] >= 'a' && z[i] <= 'z') || (z[i] >= 'A' && z[i] <= 'Z'))) break;
  }
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '/') {
      n = i;
      break;
    }
  }
  const char *zH = p, *zPort = 0;
  size_t nH = n, nPort = 0, nColon = 0;
  for (size_t i = 0; i < n; i++) nColon += p[i] == ':';
  if (n > 0 && p[0] == '[') {
    const char *e = memchr(p, ']', n);
    if (!e) return 0;
    nH = (size_t)(e - p) + 1;
    if (nH < n) {
      if (p[nH] != ':') return 0;
      zPort = p + nH + 1;
      nPort = n - nH - 1;
    }
  } else if (nColon == 1) {
    const char *c = memchr(p, ':', n);
    nH = (size_t)(c - p);
    zPort = c + 1;
    nPort = n - nH - 1;
  }
  if (!host_eq(zH, nH, zHost, strlen(zHost))) return 0;
  if (!zPort) return 1;
  if (nPort == 0 || nPort > 5) return 0;
  long v = 0;
  for (size_t i = 0; i < nPort; i++) {
    if (zPort[i] < '0' || zPort[i] > '9') return 0;
    v = v * 10 + (zPort[i] - '0');
  }
  return v == iPort;
}

int trust_env_allows(const char *zHost, long iPort) {
  const char *z = getenv("PROVISIONING_ALLOWED_HOSTS");
  if (!z || !zHost || !zHost[0]) return 0;
  while (*z) {
    while (*z == ',' || *z == ' ' || *z == '\t') z++;
    const char *e = z;
    while (*e && *e != ',') e++;
    const char *t = e;
    while (t > z && (t[-1] == ' ' || t[-1] == '\t')) t--;
    if (t > z && entry_allows(z, (size_t)(t - z), zHost, iPort)) return 1;
    z = e;
  }
  return 0;
}

static void append_printable(sqlite3_str *s, const char *z) {
  for (; z && *z; z++) {
    unsigned char c = (unsigned char)*z;
    sqlite3_str_appendchar(s, 1, (c >= 0x20 && c < 0x7f) ? (char)c : '?');
  }
}

/* The rule of both host checks; azKnown: the hosts allowed without the environment. */
static int host_rule(const char *const *azKnown, const char *zWhat, const char *zScheme, const char *zHost,
                     long iPort, char **pzErr) {
  int bHttps = zScheme && strcmp(zScheme, "https") == 0;
  int bHttp = zScheme && strcmp(zScheme, "http") == 0;
  int bEnv = trust_env_allows(zHost, iPort);
  int bLoop = trust_is_loopback(zHost);
  if (bHttps && (in_list(azKnown, zHost) || bEnv)) return SQLITE_OK;
  if (bHttp && bLoop && bEnv) return SQLITE_OK;
  if (!pzErr) return SQLITE_ERROR;
  sqlite3_str *m = sqlite3_str_new(0);
  sqlite3_str_appendall(m, "provisioning: ");
  if (!bHttps && !bHttp) {
    sqlite3_str_appendf(m, "%s ", zWhat);
    sqlite3_str_appendall(m, "must be an https:// URL, not ");
    append_printable(m, zScheme);
    sqlite3_str_appendall(m, "://");
  } else if (bHttp && !bLoop) {
    sqlite3_str_appendf(m, "%s ", zWhat);
    sqlite3_str_appendall(m, "must be https:// (plain http:// only for a loopback host listed in the environment "
                             "variable PROVISIONING_ALLOWED_HOSTS), not http://");
    append_printable(m, zHost);
  } else {
    sqlite3_str_appendall(m, "host '");
    append_printable(m, zHost);
    sqlite3_str_appendf(m, "' (port %ld) of %s is not allowed: requests go only to ", iPort, zWhat);
    for (int i = 0; azKnown[i]; i++) sqlite3_str_appendf(m, "%s%s", i ? ", " : "", azKnown[i]);
    sqlite3_str_appendall(m, " and to the hosts listed in the environment variable PROVISIONING_ALLOWED_HOSTS "
                             "(comma-separated 'host' or 'host:port'; a database file cannot add any); to trust "
                             "this one: export PROVISIONING_ALLOWED_HOSTS=");
    append_printable(m, zHost);
    sqlite3_str_appendf(m, ":%ld", iPort);
  }
  *pzErr = sqlite3_str_finish(m);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

int trust_host_allowed(const char *zScheme, const char *zHost, long iPort, char **pzErr) {
  return host_rule(azGraph, "source=", zScheme, zHost, iPort, pzErr);
}

int trust_login_host_allowed(const char *zScheme, const char *zHost, long iPort, char **pzErr) {
  /* name the variable the login host came from (the same precedence as auth.c) */
  const char *zP = getenv("PROVISIONING_AUTHORITY_HOST"), *zA = getenv("AZURE_AUTHORITY_HOST");
  const char *zWhat = (!(zP && zP[0]) && zA && zA[0]) ? "the login host of client credentials (AZURE_AUTHORITY_HOST)"
                                                      : "the login host of client credentials (PROVISIONING_AUTHORITY_HOST)";
  return host_rule(azLogin, zWhat, zScheme, zHost, iPort, pzErr);
}

/* ------------------------------------------------------------------ */
/* Limits a loaded schema cannot raise                                  */

/*
** One line per limit. A table loaded from a schema may set the option
** below its default freely; above it (for bFloor options: below it) only
** up to the value of zEnv, when set. bZeroUnlimited: 0 means "no limit",
** the widest value of all. Add new limits here (e.g. a time-out).
*/
typedef struct trust_limit {
  const char *zOption; /* as written in CREATE VIRTUAL TABLE */
  const char *zEnv;    /* the environment's cap */
  size_t iOff;         /* offsetof(prov_options, field) */
  char eType;          /* 'i' int, 'I' sqlite3_int64, 'd' double */
  char bFloor;         /* a smaller value is wider (a window) */
  char bZeroUnlimited;
} trust_limit;

#define LIMIT(opt, env, field, type, floor, zero) {opt, env, offsetof(prov_options, field), type, floor, zero}
static const trust_limit aLimit[] = {
    LIMIT("max_response", "PROVISIONING_CAP_MAX_RESPONSE", nMaxResponse, 'I', 0, 0),
    LIMIT("max_wait", "PROVISIONING_CAP_MAX_WAIT", rMaxWait, 'd', 0, 0),
    LIMIT("max_retries", "PROVISIONING_CAP_MAX_RETRIES", nMaxRetries, 'i', 0, 0),
    LIMIT("rate_limit", "PROVISIONING_CAP_RATE_LIMIT", nRateLimit, 'i', 0, 0),
    LIMIT("rate_window", "PROVISIONING_CAP_RATE_WINDOW", rRateWindow, 'd', 1, 1),
    LIMIT("connect_timeout", "PROVISIONING_CAP_CONNECT_TIMEOUT", rConnectTimeout, 'd', 0, 0),
    LIMIT("low_speed_time", "PROVISIONING_CAP_LOW_SPEED_TIME", rLowSpeedTime, 'd', 0, 0),
    LIMIT("timeout", "PROVISIONING_CAP_TIMEOUT", rTimeout, 'd', 0, 0),
};
#undef LIMIT

static double limit_get(const prov_options *o, const trust_limit *l) {
  const char *p = (const char *)o + l->iOff;
  switch (l->eType) {
    case 'i': return (double)*(const int *)p;
    case 'I': return (double)*(const sqlite3_int64 *)p;
    default: return *(const double *)p;
  }
}

static void limit_set(prov_options *o, const trust_limit *l, double v) {
  char *p = (char *)o + l->iOff;
  switch (l->eType) {
    case 'i': *(int *)p = (int)v; break;
    case 'I': *(sqlite3_int64 *)p = (sqlite3_int64)v; break;
    default: *(double *)p = v; break;
  }
}

/* Is a wider than b under l's order? */
static int limit_wider(const trust_limit *l, double a, double b) {
  if (l->bZeroUnlimited && (a == 0 || b == 0)) return a == 0 && b != 0;
  return l->bFloor ? a < b : a > b;
}

static void cap_limits(const char *zModule, prov_options *o, const prov_options *pDef) {
  for (size_t i = 0; i < sizeof(aLimit) / sizeof(aLimit[0]); i++) {
    const trust_limit *l = &aLimit[i];
    double v = limit_get(o, l), cap = limit_get(pDef, l);
    const char *zEnv = getenv(l->zEnv);
    if (zEnv && zEnv[0]) {
      char *zEnd = 0;
      double c = strtod(zEnv, &zEnd);
      if (zEnd && *zEnd == 0 && c == c && c >= 0) cap = c;
    }
    if (!limit_wider(l, v, cap)) continue;
    if (trust_trace_on()) {
      fprintf(stderr,
              "provisioning: %s: %s=%.15g from the database file's schema is past what the environment allows; "
              "using %.15g (%s sets the cap)\n",
              zModule, l->zOption, v, cap, l->zEnv);
    }
    limit_set(o, l, cap);
  }
}

/* Is zPath listed in PROVISIONING_CA_FILES (':'-separated)? */
static int ca_file_listed(const char *zPath) {
  const char *z = getenv("PROVISIONING_CA_FILES");
  size_t n = strlen(zPath);
  while (z && *z) {
    const char *e = strchr(z, ':');
    size_t k = e ? (size_t)(e - z) : strlen(z);
    if (k == n && n > 0 && memcmp(z, zPath, n) == 0) return 1;
    z = e ? e + 1 : 0;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Cache place                                                          */

char *trust_cache_dir(void) {
  const char *z = getenv("PROVISIONING_CACHE_DIR");
  if (z && z[0] == '/') return sqlite3_mprintf("%.*s", (int)(strlen(z) - (strlen(z) > 1 && z[strlen(z) - 1] == '/')), z);
  z = getenv("XDG_CACHE_HOME");
  if (z && z[0] == '/') return sqlite3_mprintf("%s/provisioning", z);
  z = getenv("HOME");
  if (z && z[0] == '/') return sqlite3_mprintf("%s/.cache/provisioning", z);
  return 0;
}

char *trust_cache_path(const char *zSpec) {
  if (!zSpec || strcmp(zSpec, "memory") == 0) return 0;
  if (strcmp(zSpec, "user") == 0) {
    char *zDir = trust_cache_dir();
    char *z = zDir ? sqlite3_mprintf("%s/cache.db", zDir) : 0;
    sqlite3_free(zDir);
    return z;
  }
  return sqlite3_mprintf("%s", zSpec);
}

int trust_cache_file_ours(const char *zPath) {
  int fd = open(zPath, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  unsigned char a[100];
  ssize_t n = read(fd, a, sizeof(a));
  close(fd);
  if (n == 0) return 1;
  if (n != (ssize_t)sizeof(a) || memcmp(a, "SQLite format 3", 16) != 0) return 0;
  unsigned id = ((unsigned)a[68] << 24) | ((unsigned)a[69] << 16) | ((unsigned)a[70] << 8) | a[71];
  return id == TRUST_CACHE_APP_ID;
}

/* Is zPath a file directly inside the per-user cache directory? */
static int in_cache_dir(const char *zPath) {
  char *zDir = trust_cache_dir();
  if (!zDir) return 0;
  const char *zSlash = strrchr(zPath, '/');
  int bIn = 0;
  if (zSlash && zSlash[1] && strcmp(zSlash + 1, ".") && strcmp(zSlash + 1, "..")) {
    char *zParent = sqlite3_mprintf("%.*s", (int)(zSlash - zPath), zPath);
    char aA[PATH_MAX], aB[PATH_MAX];
    if (zParent) {
      if (realpath(zParent, aA) && realpath(zDir, aB)) {
        bIn = strcmp(aA, aB) == 0;
      } else {
        bIn = strcmp(zParent, zDir) == 0 && !strstr(zParent, "/../") && !strstr(zParent, "/./");
      }
    }
    sqlite3_free(zParent);
  }
  sqlite3_free(zDir);
  return bIn;
}

/* Skip white space and SQL comments. */
static const char *skip_space(const char *z) {
  for (;;) {
    while (*z == ' ' || *z == '\t' || *z == '\n' || *z == '\r' || *z == '\f') z++;
    if (z[0] == '-' && z[1] == '-') {
      while (*z && *z != '\n') z++;
    } else if (z[0] == '/' && z[1] == '*') {
      const char *e = strstr(z + 2, "*/");
      z = e ? e + 2 : z + strlen(z);
    } else {
      return z;
    }
  }
}

/* Does z start with the keyword zKw (any case), then a non-identifier character? */
static int keyword(const char **pz, const char *zKw) {
  const char *z = skip_space(*pz);
  size_t n = strlen(zKw);
  if (sqlite3_strnicmp(z, zKw, (int)n) != 0) return 0;
  char c = z[n];
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') return 0;
  *pz = z + n;
  return 1;
}

int trust_is_create(sqlite3 *db, const char *zTable) {
  if (!db || !zTable) return 0;
  for (sqlite3_stmt *p = sqlite3_next_stmt(db, 0); p; p = sqlite3_next_stmt(db, p)) {
    const char *z = sqlite3_sql(p);
    if (!z || !sqlite3_stmt_busy(p)) continue;
    if (!keyword(&z, "CREATE") || !keyword(&z, "VIRTUAL") || !keyword(&z, "TABLE")) continue;
    const char *zSave = z;
    if (!(keyword(&z, "IF") && keyword(&z, "NOT") && keyword(&z, "EXISTS"))) z = zSave;
    /* [schema.]name, each plain or quoted: the name must be zTable */
    char aName[256];
    for (int k = 0; k < 2; k++) {
      z = skip_space(z);
      size_t n = 0;
      char q = *z == '"' || *z == '`' ? *z : *z == '[' ? ']' : 0;
      if (q) {
        for (z++; *z && n + 1 < sizeof(aName); z++) {
          if (*z == q && z[1] == q && q != ']') {
            aName[n++] = *z++;
          } else if (*z == q) {
            z++;
            break;
          } else {
            aName[n++] = *z;
          }
        }
      } else {
        while (*z && n + 1 < sizeof(aName) && !strchr(" \t\r\n.(", *z)) aName[n++] = *z++;
      }
      aName[n] = 0;
      z = skip_space(z);
      if (*z != '.') break;
      z++;
    }
    if (sqlite3_stricmp(aName, zTable) == 0) return 1;
  }
  return 0;
}

int trust_options(const char *zModule, prov_options *o, int bCreate, char **pzErr) {
  if (!bCreate) {
    prov_options d;
    char *zStore = 0, *zErr = 0;
    static const char *const azNone[3] = {"", "", ""};
    int rc = prov_options_parse(zModule, 3, azNone, &d, &zStore, &zErr);
    sqlite3_free(zErr);
    if (rc) return rc;
    cap_limits(zModule, o, &d);
    sqlite3_free(zStore);
    if (o->zCaFile && !ca_file_listed(o->zCaFile)) {
      if (trust_trace_on()) {
        fprintf(stderr, "provisioning: %s: ca_file= from the database file's schema is not used (list it in "
                        "PROVISIONING_CA_FILES to allow it)\n",
                zModule);
      }
      o->zCaFile = 0;
    }
  }
  if (!o->zCache || strcmp(o->zCache, "memory") == 0) return SQLITE_OK;
  char *zPath = trust_cache_path(o->zCache);
  const char *zWhy = 0;
  if (!zPath) {
    if (strcmp(o->zCache, "user") != 0) return SQLITE_NOMEM;
    zWhy = "no per-user cache directory (set PROVISIONING_CACHE_DIR or HOME)";
  } else if (!bCreate && strcmp(o->zCache, "user") != 0 && !in_cache_dir(zPath)) {
    zWhy = "a database file's schema may name only 'memory', 'user' or a file in the per-user cache directory "
           "(PROVISIONING_CACHE_DIR, else $XDG_CACHE_HOME/provisioning, else ~/.cache/provisioning)";
  } else if (!trust_cache_file_ours(zPath)) {
    if (bCreate) {
      *pzErr = sqlite3_mprintf("%s: cache='%s' is an existing file that is not a provisioning cache database: name "
                               "a new file (it is created with PRAGMA application_id %d), 'user' or 'memory'",
                               zModule, o->zCache, TRUST_CACHE_APP_ID);
      sqlite3_free(zPath);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    zWhy = "the file exists and is not a provisioning cache database";
  }
  sqlite3_free(zPath);
  if (zWhy) {
    if (trust_trace_on()) fprintf(stderr, "provisioning: %s: cache='%s' not used, memory instead: %s\n", zModule,
                                  o->zCache, zWhy);
    o->zCache = "memory";
  }
  return SQLITE_OK;
}

/* ------------------------------------------------------------------ */
/* Secrets                                                              */

static const char *const azCredName[] = {
    "access_token", "refresh_token", "id_token", "token", "client_secret", "secret", "code", "sig", "signature",
    "password", "passwd", "pwd", "key", "apikey", "api_key", "auth", "authorization", "assertion",
    "client_assertion", "credential", "x-amz-signature", "x-amz-security-token", "x-amz-credential",
    "x-goog-signature", "x-goog-credential", 0};
static const char *const azCredSuffix[] = {"_token", "-token", "_secret", "-secret", "password", "_key", "-key",
                                           "signature", 0};

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int trust_is_credential_name(const char *z, size_t n) {
  char a[128];
  size_t k = 0;
  for (size_t i = 0; i < n; i++) { /* percent-decoded, lower case */
    char c = z[i];
    if (c == '%' && i + 2 < n + 0 && hexval(z[i + 1]) >= 0 && hexval(z[i + 2]) >= 0) {
      c = (char)(hexval(z[i + 1]) * 16 + hexval(z[i + 2]));
      i += 2;
    }
    if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
    if (k + 1 >= sizeof(a)) return 0;
    a[k++] = c;
  }
  a[k] = 0;
  if (k == 0 || a[0] == '$') return 0; /* OData's own options ($skiptoken...) */
  for (int i = 0; azCredName[i]; i++) {
    if (strcmp(a, azCredName[i]) == 0) return 1;
  }
  for (int i = 0; azCredSuffix[i]; i++) {
    size_t m = strlen(azCredSuffix[i]);
    if (k > m && strcmp(a + k - m, azCredSuffix[i]) == 0) return 1;
  }
  return 0;
}

char *trust_url_masked(const char *zUrl) {
  sqlite3_str *m = sqlite3_str_new(0);
  const char *p = zUrl;
  const char *zAuth = strstr(zUrl, "://");
  if (zAuth) {
    zAuth += 3;
    size_t nA = strcspn(zAuth, "/?#");
    const char *zAt = 0;
    for (size_t i = 0; i < nA; i++) {
      if (zAuth[i] == '@') zAt = zAuth + i;
    }
    if (zAt) { /* user info */
      sqlite3_str_append(m, zUrl, (int)(zAuth - zUrl));
      sqlite3_str_appendall(m, "***");
      p = zAt;
    }
  }
  const char *q = strchr(p, '?');
  if (!q) {
    sqlite3_str_appendall(m, p);
    return sqlite3_str_finish(m);
  }
  sqlite3_str_append(m, p, (int)(q + 1 - p));
  p = q + 1;
  while (*p && *p != '#') {
    size_t n = strcspn(p, "&#");
    const char *zEq = memchr(p, '=', n);
    size_t nName = zEq ? (size_t)(zEq - p) : n;
    if (zEq && trust_is_credential_name(p, nName)) {
      sqlite3_str_append(m, p, (int)nName + 1);
      sqlite3_str_appendall(m, "***");
    } else {
      sqlite3_str_append(m, p, (int)n);
    }
    p += n;
    if (*p == '&') sqlite3_str_appendchar(m, 1, *p++);
  }
  sqlite3_str_appendall(m, p);
  return sqlite3_str_finish(m);
}

/*
** The 8-byte grams of a secret: a sorted array for exact answers and a
** 65536-bit filter that rejects almost every other position at once.
*/
#define GRAM 8
typedef struct gram_set {
  sqlite3_uint64 *a;
  size_t n;
  sqlite3_uint64 aBit[1024];
} gram_set;

static sqlite3_uint64 gram_at(const char *z) {
  sqlite3_uint64 g;
  memcpy(&g, z, GRAM);
  return g;
}

static unsigned gram_hash(sqlite3_uint64 g) { return (unsigned)((g * 0x9E3779B97F4A7C15ULL) >> 48); }

static int u64_cmp(const void *a, const void *b) {
  sqlite3_uint64 x = *(const sqlite3_uint64 *)a, y = *(const sqlite3_uint64 *)b;
  return x < y ? -1 : x > y;
}

static gram_set *gram_set_new(const char *zSecret, size_t nSecret) {
  gram_set *g = sqlite3_malloc64(sizeof(*g));
  if (!g) return 0;
  memset(g, 0, sizeof(*g));
  g->n = nSecret - GRAM + 1;
  g->a = sqlite3_malloc64(sizeof(sqlite3_uint64) * g->n);
  if (!g->a) {
    sqlite3_free(g);
    return 0;
  }
  for (size_t i = 0; i < g->n; i++) {
    g->a[i] = gram_at(zSecret + i);
    unsigned h = gram_hash(g->a[i]);
    g->aBit[h >> 6] |= (sqlite3_uint64)1 << (h & 63);
  }
  qsort(g->a, g->n, sizeof(sqlite3_uint64), u64_cmp);
  return g;
}

static void gram_set_free(gram_set *g) {
  if (!g) return;
  trust_wipe(g->a, sizeof(sqlite3_uint64) * g->n);
  trust_wipe(g->aBit, sizeof(g->aBit));
  sqlite3_free(g->a);
  sqlite3_free(g);
}

static int gram_has(const gram_set *g, const char *z) {
  sqlite3_uint64 v = gram_at(z);
  unsigned h = gram_hash(v);
  if (!((g->aBit[h >> 6] >> (h & 63)) & 1)) return 0;
  return bsearch(&v, g->a, g->n, sizeof(sqlite3_uint64), u64_cmp) != 0;
}

static const char *find_bytes(const char *z, size_t n, const char *zS, size_t nS) {
  if (nS == 0 || nS > n) return 0;
  for (size_t i = 0; i + nS <= n; i++) {
    if (z[i] == zS[0] && memcmp(z + i, zS, nS) == 0) return z + i;
  }
  return 0;
}

int trust_holds_secret(const char *z, size_t n, const char *zSecret) {
  size_t nS = zSecret ? strlen(zSecret) : 0;
  if (!z || nS == 0) return 0;
  if (nS < GRAM) return find_bytes(z, n, zSecret, nS) != 0;
  if (n < GRAM) return 0;
  gram_set *g = gram_set_new(zSecret, nS);
  if (!g) return 1; /* out of memory: assume the worst */
  int bHas = 0;
  for (size_t i = 0; i + GRAM <= n && !bHas; i++) bHas = gram_has(g, z + i);
  gram_set_free(g);
  return bHas;
}

char *trust_mask_secret(char *z, const char *zSecret, const char *zMask) {
  size_t nS = zSecret ? strlen(zSecret) : 0;
  if (!z || nS < 4) return z;
  size_t n = strlen(z);
  unsigned char *aCover = sqlite3_malloc64(n + 1);
  if (!aCover) goto nomem;
  memset(aCover, 0, n + 1);
  int bAny = 0;
  if (nS < GRAM) {
    for (const char *p = z; (p = find_bytes(p, n - (size_t)(p - z), zSecret, nS)) != 0; p += nS) {
      memset(aCover + (p - z), 1, nS);
      bAny = 1;
    }
  } else if (n >= GRAM) {
    gram_set *g = gram_set_new(zSecret, nS);
    if (!g) goto nomem;
    for (size_t i = 0; i + GRAM <= n; i++) {
      if (gram_has(g, z + i)) {
        memset(aCover + i, 1, GRAM);
        bAny = 1;
      }
    }
    gram_set_free(g);
  }
  if (!bAny) {
    sqlite3_free(aCover);
    return z;
  }
  sqlite3_str *m = sqlite3_str_new(0);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && aCover[j] == aCover[i]) j++;
    if (aCover[i]) {
      sqlite3_str_appendall(m, zMask);
    } else {
      sqlite3_str_append(m, z + i, (int)(j - i));
    }
    i = j;
  }
  sqlite3_free(aCover);
  trust_wipe(z, n);
  sqlite3_free(z);
  return sqlite3_str_finish(m);
nomem:
  sqlite3_free(aCover);
  trust_wipe(z, n);
  sqlite3_free(z);
  return 0;
}

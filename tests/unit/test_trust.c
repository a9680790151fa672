/*
** test_trust.c: the trust model (ext/trust.c) and the wiping of token
** buffers.
**
**  1. The host rule: PROVISIONING_ALLOWED_HOSTS entries (host, host:port,
**     [v6]:port, case), no implicit loopback, http only for listed loopback.
**  2. trust_options(): a loaded schema (bCreate=0) may lower limits, raise
**     them only to PROVISIONING_CAP_<OPTION>; ca_file= only when listed in
**     PROVISIONING_CA_FILES; cache= only memory, 'user' or a file in the
**     per-user cache directory; an existing non-cache file is refused at
**     xCreate and replaced by memory at xConnect. bCreate=1 keeps options.
**  3. Secret masking: any 8 characters of a secret, before a cut.
**  4. Wiping (needs MOCK_URL, else that part is skipped): a SELECT and a DROP
**     TABLE on an auth='file:' table under an allocator that checks every
**     freed block for the token; then no copy of the token in the process's
**     writable memory (/proc/self/mem), libcurl's and stdio's included.
*/
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../ext/provisioning.c" /* the entry point (excluded from the unit build) */
#include "cache.h"
#include "trust.h"
#include "unit.h"

static void test_hosts(void) {
  unsetenv("PROVISIONING_ALLOWED_HOSTS");
  CHECK(trust_host_allowed("https", "graph.microsoft.com", 443, 0) == SQLITE_OK, "graph");
  CHECK(trust_host_allowed("https", "GRAPH.microsoft.com", 443, 0) == SQLITE_OK, "graph, any case");
  CHECK(trust_host_allowed("http", "graph.microsoft.com", 80, 0) != SQLITE_OK, "graph over http");
  CHECK(trust_host_allowed("http", "127.0.0.1", 8080, 0) != SQLITE_OK, "loopback without the environment");
  CHECK(trust_host_allowed("https", "localhost", 443, 0) != SQLITE_OK, "localhost without the environment");
  char *zErr = 0;
  int rc = trust_host_allowed("http", "127.0.0.1", 8080, &zErr);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "host '127.0.0.1' (port 8080)") &&
            strstr(zErr, "PROVISIONING_ALLOWED_HOSTS=127.0.0.1:8080"),
        "%s", zErr ? zErr : "(none)");
  sqlite3_free(zErr);
  setenv("PROVISIONING_ALLOWED_HOSTS", "127.0.0.1:8080, Proxy.Example ,[::1]:99,::1", 1);
  CHECK(trust_host_allowed("http", "127.0.0.1", 8080, 0) == SQLITE_OK, "host:port");
  CHECK(trust_host_allowed("http", "127.0.0.1", 8081, 0) != SQLITE_OK, "host:port is one port");
  CHECK(trust_host_allowed("https", "proxy.example", 1, 0) == SQLITE_OK, "host is every port, any case");
  CHECK(trust_host_allowed("http", "proxy.example", 80, 0) != SQLITE_OK, "http only for loopback");
  CHECK(trust_host_allowed("http", "[::1]", 99, 0) == SQLITE_OK, "[v6]:port");
  CHECK(trust_host_allowed("http", "[::1]", 5, 0) == SQLITE_OK, "bare v6 = every port");
  CHECK(trust_host_allowed("https", "proxy.example.evil", 443, 0) != SQLITE_OK, "suffix");
  CHECK(trust_host_allowed("https", "evil.proxy.example", 443, 0) != SQLITE_OK, "prefix");
  setenv("PROVISIONING_ALLOWED_HOSTS", "127.0.0.1", 1);
}

static prov_options defaults(void) {
  prov_options o;
  char *zStore = 0, *zErr = 0;
  static const char *const az[3] = {"", "", ""};
  prov_options_parse("t", 3, az, &o, &zStore, &zErr);
  sqlite3_free(zStore);
  return o;
}

static void test_options(const char *zDir) {
  static char zCacheDir[512], zIn[600], zOut[600], zForeign[600], zEmpty[600], zCa[600];
  snprintf(zCacheDir, sizeof(zCacheDir), "%s/cachedir", zDir);
  mkdir(zCacheDir, 0700);
  setenv("PROVISIONING_CACHE_DIR", zCacheDir, 1);
  snprintf(zIn, sizeof(zIn), "%s/mine.db", zCacheDir);
  snprintf(zOut, sizeof(zOut), "%s/elsewhere.db", zDir);
  snprintf(zForeign, sizeof(zForeign), "%s/foreign.db", zDir);
  snprintf(zEmpty, sizeof(zEmpty), "%s/empty.db", zDir);
  snprintf(zCa, sizeof(zCa), "%s/ca.pem", zDir);
  sqlite3 *db = 0;
  sqlite3_open(zForeign, &db);
  sqlite3_exec(db, "CREATE TABLE t(x)", 0, 0, 0);
  sqlite3_close(db);
  close(open(zEmpty, O_CREAT | O_WRONLY, 0600));
  const char *az[] = {"PROVISIONING_CAP_MAX_RESPONSE", "PROVISIONING_CAP_MAX_WAIT", "PROVISIONING_CAP_RATE_LIMIT",
                      "PROVISIONING_CAP_RATE_WINDOW", "PROVISIONING_CAP_MAX_RETRIES",
                      "PROVISIONING_CAP_CONNECT_TIMEOUT", "PROVISIONING_CAP_LOW_SPEED_TIME", "PROVISIONING_CA_FILES",
                      0};
  for (int i = 0; az[i]; i++) unsetenv(az[i]);
  prov_options d = defaults();

  /* raised: capped at the defaults */
  prov_options o = d;
  o.nMaxResponse = (sqlite3_int64)1e12;
  o.rMaxWait = 86400;
  o.nRateLimit = 1000;
  o.rRateWindow = 0;
  o.nMaxRetries = 20;
  o.rConnectTimeout = 3600;
  o.rLowSpeedTime = 3600;
  o.rTimeout = 86400;
  o.zCaFile = zCa;
  o.zCache = zOut;
  char *zErr = 0;
  int rc = trust_options("t", &o, 0, &zErr);
  CHECK(rc == SQLITE_OK, "%s", zErr ? zErr : "");
  CHECK(o.nMaxResponse == d.nMaxResponse && o.rMaxWait == d.rMaxWait && o.nRateLimit == d.nRateLimit &&
            o.rRateWindow == d.rRateWindow && o.nMaxRetries == d.nMaxRetries &&
            o.rConnectTimeout == d.rConnectTimeout && o.rLowSpeedTime == d.rLowSpeedTime &&
            o.rTimeout == d.rTimeout && d.rTimeout == 100,
        "capped: %lld %g %d %g %d %g %g %g", o.nMaxResponse, o.rMaxWait, o.nRateLimit, o.rRateWindow, o.nMaxRetries,
        o.rConnectTimeout, o.rLowSpeedTime, o.rTimeout);
  CHECK(o.zCaFile == 0, "ca_file kept");
  CHECK(o.zCache && strcmp(o.zCache, "memory") == 0, "cache %s", o.zCache);

  /* the user's own CREATE: as given */
  prov_options c = d;
  c.nRateLimit = 1000;
  c.rRateWindow = 1;
  c.nMaxResponse = (sqlite3_int64)1e12;
  c.zCaFile = zCa;
  c.zCache = zOut;
  rc = trust_options("t", &c, 1, &zErr);
  CHECK(rc == SQLITE_OK && c.nRateLimit == 1000 && c.rRateWindow == 1 && c.nMaxResponse == (sqlite3_int64)1e12 &&
            c.zCaFile == zCa && c.zCache == zOut,
        "xCreate changed its options");

  /* lowered: kept */
  o = d;
  o.nMaxResponse = 4096;
  o.rMaxWait = 1;
  o.nRateLimit = 1;
  o.rRateWindow = 60;
  o.rConnectTimeout = 1;
  o.rTimeout = 5;
  o.zCache = "memory";
  rc = trust_options("t", &o, 0, &zErr);
  CHECK(rc == SQLITE_OK && o.nMaxResponse == 4096 && o.rMaxWait == 1 && o.nRateLimit == 1 && o.rRateWindow == 60 &&
            o.rConnectTimeout == 1 && o.rTimeout == 5,
        "a lowered limit changed");

  /* the environment's caps */
  setenv("PROVISIONING_CAP_RATE_LIMIT", "1000", 1);
  setenv("PROVISIONING_CAP_RATE_WINDOW", "1", 1);
  setenv("PROVISIONING_CAP_MAX_WAIT", "600", 1);
  setenv("PROVISIONING_CA_FILES", "/nowhere.pem:", 1);
  char zList[700];
  snprintf(zList, sizeof(zList), "/x.pem:%s", zCa);
  o = d;
  o.nRateLimit = 5000;
  o.rRateWindow = 0.5;
  o.rMaxWait = 300;
  o.zCaFile = zCa;
  rc = trust_options("t", &o, 0, &zErr);
  CHECK(rc == SQLITE_OK && o.nRateLimit == 1000 && o.rRateWindow == 1 && o.rMaxWait == 300 && o.zCaFile == 0,
        "caps: %d %g %g %p", o.nRateLimit, o.rRateWindow, o.rMaxWait, (void *)o.zCaFile);
  setenv("PROVISIONING_CA_FILES", zList, 1);
  o.zCaFile = zCa;
  rc = trust_options("t", &o, 0, &zErr);
  CHECK(o.zCaFile == zCa, "a listed ca_file is used");
  for (int i = 0; az[i]; i++) unsetenv(az[i]);

  /* cache places from a loaded schema */
  const char *azKeep[] = {"memory", "user", zIn, 0};
  for (int i = 0; azKeep[i]; i++) {
    o = d;
    o.zCache = azKeep[i];
    rc = trust_options("t", &o, 0, &zErr);
    CHECK(rc == SQLITE_OK && o.zCache == azKeep[i], "cache=%s not kept", azKeep[i]);
  }
  char zDotDot[700];
  snprintf(zDotDot, sizeof(zDotDot), "%s/../elsewhere.db", zCacheDir);
  const char *azMove[] = {zOut, zForeign, zDotDot, "relative.db", 0};
  for (int i = 0; azMove[i]; i++) {
    o = d;
    o.zCache = azMove[i];
    rc = trust_options("t", &o, 0, &zErr);
    CHECK(rc == SQLITE_OK && strcmp(o.zCache, "memory") == 0, "cache=%s from a schema kept", azMove[i]);
  }
  /* xCreate: a foreign database refused, an empty or new file accepted */
  c = d;
  c.zCache = zForeign;
  rc = trust_options("t", &c, 1, &zErr);
  CHECK(rc == SQLITE_ERROR && zErr && strstr(zErr, "not a provisioning cache database"), "%s",
        zErr ? zErr : "(accepted)");
  sqlite3_free(zErr);
  zErr = 0;
  c.zCache = zEmpty;
  CHECK(trust_options("t", &c, 1, &zErr) == SQLITE_OK, "empty file");
  CHECK(trust_cache_file_ours(zForeign) == 0 && trust_cache_file_ours(zEmpty) == 1 && trust_cache_file_ours(zIn) == 1,
        "ours");
  /* the cache writes its file with the application_id, and never touches the foreign one */
  CHECK(cache_put(zIn, "k", "{}", 2) == SQLITE_OK, "put");
  CHECK(trust_cache_file_ours(zIn) == 1, "our file");
  CHECK(cache_put(zForeign, "k", "{}", 2) == SQLITE_PERM, "put into a foreign database");
  char *zBody = 0;
  size_t n = 0;
  CHECK(cache_get(zIn, "k", 60, &zBody, &n) == SQLITE_OK && n == 2, "get");
  sqlite3_free(zBody);
  CHECK(cache_put("user", "k", "{}", 2) == SQLITE_OK, "put user");
  char zUser[700];
  snprintf(zUser, sizeof(zUser), "%s/cache.db", zCacheDir);
  CHECK(access(zUser, F_OK) == 0 && trust_cache_file_ours(zUser), "cache='user' file");
  db = 0;
  sqlite3_open(zForeign, &db);
  sqlite3_stmt *st = 0;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &st, 0);
  sqlite3_step(st);
  CHECK(sqlite3_column_int(st, 0) == 1, "the foreign database got %d objects", sqlite3_column_int(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  unsetenv("PROVISIONING_CACHE_DIR");
}

static void test_mask(void) {
  static char zTok[2001];
  for (int i = 0; i < 2000; i++) zTok[i] = (char)('A' + (i * 13 + i / 26) % 26);
  zTok[2000] = 0;
  char *z = sqlite3_mprintf("pre %.300s post", zTok + 100); /* a piece of it, as a cut leaves */
  z = trust_mask_secret(z, zTok, "[redacted]");
  CHECK(z && strcmp(z, "pre [redacted] post") == 0, "%s", z);
  sqlite3_free(z);
  z = sqlite3_mprintf("x %.7s y", zTok); /* 7 characters: too short to mask, and allowed */
  z = trust_mask_secret(z, zTok, "[redacted]");
  CHECK(z && strncmp(z + 2, zTok, 7) == 0, "%s", z);
  sqlite3_free(z);
  CHECK(trust_holds_secret("abc", 3, "abc") && !trust_holds_secret("abd", 3, "abc"), "short");
  CHECK(trust_holds_secret(zTok + 1990, 8, zTok) && !trust_holds_secret(zTok + 1993, 7, zTok), "8");
  CHECK(trust_is_credential_name("Access_Token", 12) && trust_is_credential_name("sig", 3) &&
            trust_is_credential_name("code", 4) && trust_is_credential_name("x-amz-signature", 15) &&
            trust_is_credential_name("my_api_key", 10) && !trust_is_credential_name("$skiptoken", 10) &&
            !trust_is_credential_name("$top", 4) && !trust_is_credential_name("filter", 6),
        "credential names");
}

/*
** ---- wiping. The canary exists in this test only as its first 8
** characters and a hash of all 64 (never whole), so a copy found in memory
** is one the extension left.
*/
#define CANARY_LEN 64
static sqlite3_mem_methods mDefault;
static char zPrefix[9];
static sqlite3_uint64 hCanary;
static int nLeaks;
static sqlite3_uint64 fnv(const char *z, size_t n) {
  sqlite3_uint64 h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)z[i]) * 1099511628211ULL;
  return h;
}
static int canary_in(const void *p, size_t n) {
  const char *z = p;
  for (size_t i = 0; zPrefix[0] && i + CANARY_LEN <= n; i++) {
    if (z[i] == zPrefix[0] && memcmp(z + i, zPrefix, 8) == 0 && fnv(z + i, CANARY_LEN) == hCanary) return 1;
  }
  return 0;
}
static void chk_free(void *p) {
  if (p && canary_in(p, (size_t)mDefault.xSize(p))) nLeaks++;
  mDefault.xFree(p);
}
static void *chk_realloc(void *p, int n) {
  if (p && canary_in(p, (size_t)mDefault.xSize(p))) {
    /* a realloc may move and leave the old block behind: count it as freed unwiped */
    void *q = mDefault.xMalloc(n);
    if (!q) return 0;
    int nOld = mDefault.xSize(p);
    memcpy(q, p, (size_t)(nOld < n ? nOld : n));
    nLeaks++;
    mDefault.xFree(p);
    return q;
  }
  return mDefault.xRealloc(p, n);
}

/* How many places of the process's writable memory hold the canary? */
static int canary_in_memory(void) {
  FILE *m = fopen("/proc/self/maps", "r");
  int fd = open("/proc/self/mem", O_RDONLY);
  char line[512];
  int nHit = 0;
  static char aBuf[1 << 20];
  while (m && fd >= 0 && fgets(line, sizeof(line), m)) {
    unsigned long a, b;
    char perm[8];
    if (sscanf(line, "%lx-%lx %7s", &a, &b, perm) != 3 || perm[0] != 'r' || perm[1] != 'w') continue;
    if (strstr(line, "[vvar]") || strstr(line, "[vsyscall]")) continue;
    if (b - a > (1UL << 30)) continue; /* a sanitizer's shadow memory, not the heap */
    for (unsigned long p = a; p < b; p += sizeof(aBuf) - CANARY_LEN) {
      size_t want = b - p < sizeof(aBuf) ? b - p : sizeof(aBuf);
      ssize_t got = pread(fd, aBuf, want, (off_t)p);
      if (got <= 0) break;
      if (canary_in(aBuf, (size_t)got)) {
        nHit++;
        fprintf(stderr, "the token is in %s", line);
        trust_wipe(aBuf, sizeof(aBuf));
      }
      if ((size_t)got < want || want < sizeof(aBuf)) break;
    }
  }
  if (m) fclose(m);
  if (fd >= 0) close(fd);
  return nHit;
}

static void test_wipe(const char *zDir) {
  const char *zMock = getenv("MOCK_URL");
  if (!zMock || !zMock[0]) {
    printf("MOCK_URL not set: wipe test skipped\n");
    return;
  }
  char zPath[600];
  snprintf(zPath, sizeof(zPath), "%s/token.txt", zDir);
  {
    char zTok[CANARY_LEN + 1];
    unsigned seed = (unsigned)getpid() * 2654435761u;
    for (int i = 0; i < CANARY_LEN; i++) {
      seed = seed * 1103515245 + 12345;
      zTok[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[(seed >> 16) % 36];
    }
    zTok[CANARY_LEN] = 0;
    memcpy(zPrefix, zTok, 8);
    hCanary = fnv(zTok, CANARY_LEN);
    int fd = open(zPath, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    CHECK(write(fd, zTok, CANARY_LEN) == CANARY_LEN, "write");
    close(fd);
    trust_wipe(zTok, sizeof(zTok));
  }
  CHECK(canary_in_memory() == 0, "the test itself holds the token");
  sqlite3 *db = unit_open_db();
  char *zErr = 0;
  char *zSql = sqlite3_mprintf("CREATE VIRTUAL TABLE w USING provisioning_events(source='%s/s/wipe/v1.0', "
                               "auth='file:%s', rate_limit=1000, rate_window=1)",
                               zMock, zPath);
  int rc = sqlite3_exec(db, zSql, 0, 0, &zErr);
  CHECK(rc == SQLITE_OK, "%s", zErr ? zErr : "");
  sqlite3_free(zSql);
  for (int k = 0; k < 2; k++) { /* two statements: the token file is read again for each */
    sqlite3_stmt *st = 0;
    rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM (SELECT id FROM w LIMIT 3)", -1, &st, 0);
    int n = -1;
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
    CHECK(n == 3, "rows %d: %s", n, sqlite3_errmsg(db));
    sqlite3_finalize(st);
  }
  rc = sqlite3_exec(db, "DROP TABLE w", 0, 0, &zErr);
  CHECK(rc == SQLITE_OK, "%s", zErr ? zErr : "");
  sqlite3_close(db);
  CHECK(nLeaks == 0, "%d freed SQLite blocks held the token", nLeaks);
  int nMem = canary_in_memory();
  CHECK(nMem == 0, "after DROP TABLE and close, %d places of memory still hold the token", nMem);
  unlink(zPath);
}

int main(void) {
  char zDir[] = "/tmp/test_trust_XXXXXX";
  if (!mkdtemp(zDir)) return 1;
  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &mDefault);
  sqlite3_mem_methods m = mDefault;
  m.xFree = chk_free;
  m.xRealloc = chk_realloc;
  sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
  setenv("PROVISIONING_ALLOWED_HOSTS", "127.0.0.1", 1);
  unsetenv("PROVISIONING_TRACE");
  test_hosts();
  test_options(zDir);
  test_mask();
  test_wipe(zDir);
  char zCmd[600];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  if (system(zCmd)) fprintf(stderr, "cleanup failed\n");
  return unit_finish();
}

/*
** fuzz_args.c: libFuzzer target for the CREATE VIRTUAL TABLE argument
** parser, prov_options_parse() (ext/args.c).
**
** The input is split on NUL bytes, or on ',' when it holds none, into
** argv[3..] (argv[0..2] are module, database and table names as SQLite
** passes them). Checks on success: every option lies in its documented
** range, every string option points into the store, auth= is a reference
** (env:NAME with a C identifier, file:PATH without CR/LF, azure) and a
** secret-looking key was refused. On error: a message and no store.
*/
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

#define MAX_ARGS 64

static int in_store(const char *z, const char *zStore, size_t nStore) {
  return z >= zStore && z < zStore + nStore;
}

static int has_secret_key(int argc, char **argv) {
  static const char *const az[] = {"token", "access_token", "bearer", "secret", "client_secret",
                                   "password", "key", "api_key", 0};
  for (int i = 3; i < argc; i++) {
    const char *z = argv[i];
    while (*z == ' ' || *z == '\t' || *z == '\n') z++;
    const char *e = strchr(z, '=');
    if (!e) continue;
    int n = (int)(e - z);
    while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t')) n--;
    for (int k = 0; az[k]; k++) {
      if ((int)strlen(az[k]) == n && sqlite3_strnicmp(z, az[k], n) == 0) return 1;
    }
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 100000) return 0;
  if (sqlite3_initialize() != SQLITE_OK) abort();
  char *zCopy = malloc(size + 1);
  memcpy(zCopy, data, size);
  zCopy[size] = 0;
  int bNul = memchr(data, 0, size) != 0;
  char *argv[MAX_ARGS];
  int argc = 3;
  argv[0] = "provisioning_events";
  argv[1] = "main";
  argv[2] = "ev";
  char *p = zCopy, *pEnd = zCopy + size;
  while (p <= pEnd && argc < MAX_ARGS) {
    char *q = p;
    if (bNul) {
      q = p + strlen(p);
    } else {
      while (q < pEnd && *q != ',') q++;
      *q = 0;
    }
    argv[argc++] = p;
    p = q + 1;
  }
  prov_options o;
  char *zStore = (char *)1, *zErr = 0;
  int rc = prov_options_parse("provisioning_events", argc, (const char *const *)argv, &o, &zStore, &zErr);
  if (rc == SQLITE_OK) {
    if (zErr) abort();
    if (has_secret_key(argc, argv)) {
      fprintf(stderr, "a secret key was accepted\n");
      abort();
    }
    size_t nStore = 1;
    for (int i = 3; i < argc; i++) nStore += strlen(argv[i]) + 2;
    const char *az[] = {o.zSource, o.zAuth, o.zCaFile, o.zCache};
    for (int i = 0; i < 4; i++) {
      if (az[i] && !in_store(az[i], zStore, nStore)) abort();
      if (az[i]) (void)strlen(az[i]);
    }
    if (strcmp(o.zCollection, "provisioning") && strcmp(o.zCollection, "directoryProvisioning")) abort();
    if (o.zAuth) {
      const char *a = o.zAuth;
      if (strncmp(a, "env:", 4) == 0) {
        if (!a[4] || (a[4] >= '0' && a[4] <= '9')) abort();
        for (const char *c = a + 4; *c; c++) {
          if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) abort();
        }
      } else if (strncmp(a, "file:", 5) == 0) {
        if (!a[5] || strpbrk(a, "\r\n")) abort();
      } else if (strcmp(a, "azure") != 0 && strcmp(a, "azure:secret") != 0 && strcmp(a, "azure:certificate") != 0 &&
                 strcmp(a, "azure:workload") != 0 && strcmp(a, "azure:managed") != 0 && strcmp(a, "azure:cli") != 0) {
        fprintf(stderr, "auth accepted: %s\n", a);
        abort();
      }
    }
    if (o.nPageSize < 0 || o.nPageSize > 100000 || o.nPageMax < 1 || o.nPageMax > 100000) abort();
    if ((o.bSelect != 0 && o.bSelect != 1) || (o.bWritable != 0 && o.bWritable != 1) ||
        (o.bRef != 0 && o.bRef != 1) || (o.bPushdown != 0 && o.bPushdown != 1)) {
      abort();
    }
    if (o.nRateLimit < 1 || !(o.rRateWindow >= 0 && o.rRateWindow <= 3600)) abort();
    if (o.nMaxRetries < 0 || o.nMaxRetries > 20 || !(o.rMaxWait >= 0 && o.rMaxWait <= 86400)) abort();
    if (!(o.rRetryBase >= 0 && o.rRetryBase <= 600) || !(o.rConnectTimeout > 0 && o.rConnectTimeout <= 3600)) abort();
    if (!(o.rLowSpeedTime >= 1 && o.rLowSpeedTime <= 3600) || o.nMaxResponse < 1024) abort();
    if (!(o.rCacheTtl >= 0 && o.rCacheTtl <= 1e7)) abort();
  } else {
    if (!zErr) {
      fprintf(stderr, "rc %d without a message\n", rc);
      if (rc != SQLITE_NOMEM) abort();
    }
    if (zErr && strncmp(zErr, "provisioning_events", 19) != 0) {
      fprintf(stderr, "error without the module name: %s\n", zErr);
      abort();
    }
    if (zStore) abort(); /* the store is freed on error */
  }
  sqlite3_free(zErr);
  sqlite3_free(zStore);
  free(zCopy);
  return 0;
}

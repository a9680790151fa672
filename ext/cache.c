/*
** cache.c: the response cache (see cache.h). Files are written only when
** they are ours (trust.c: new, empty, or carrying TRUST_CACHE_APP_ID), and
** get that application_id when created; cache='user' is cache.db in the
** per-user cache directory, made (0700) when first written.
** Calls: trust.c (which files are ours) and SQLite; used by source_http.c.
*/
#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sqlite3ext.h"
#include "trust.h"

SQLITE_EXTENSION_INIT3

#define CACHE_MEMORY_MAX ((size_t)256 * 1024 * 1024)
/* How long a cache file locked by another process is waited for, per access. */
#define CACHE_BUSY_MS 50

typedef struct mem_entry {
  char *zKey;
  char *zBody;
  size_t n;
  double t;
  struct mem_entry *pNext;
} mem_entry;

/*
** Entries use the C library's allocator, not SQLite's: they belong to the
** process, not to a connection, and are freed by cache_unload() when the
** extension is unloaded (SQLite dlclose()s it with the last connection
** that loaded it), when SQLite's allocator may be configured otherwise.
*/
static mem_entry *pMemHead; /* newest first */
static size_t nMemBytes;
static pthread_mutex_t memMutex = PTHREAD_MUTEX_INITIALIZER;

static double now_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void mem_unlink(mem_entry **pp) {
  mem_entry *e = *pp;
  *pp = e->pNext;
  nMemBytes -= e->n;
  free(e->zKey);
  free(e->zBody);
  free(e);
}

#if defined(__GNUC__)
__attribute__((destructor)) static void cache_unload(void) {
  pthread_mutex_lock(&memMutex);
  while (pMemHead) mem_unlink(&pMemHead);
  pthread_mutex_unlock(&memMutex);
}
#endif

static int mem_get(const char *zKey, double rTtl, char **pzBody, size_t *pn) {
  int rc = SQLITE_NOTFOUND;
  pthread_mutex_lock(&memMutex);
  for (mem_entry **pp = &pMemHead; *pp; pp = &(*pp)->pNext) {
    if (strcmp((*pp)->zKey, zKey) == 0) {
      if (now_wall() - (*pp)->t <= rTtl) {
        *pzBody = sqlite3_malloc64((*pp)->n + 1);
        if (*pzBody) {
          memcpy(*pzBody, (*pp)->zBody, (*pp)->n);
          (*pzBody)[(*pp)->n] = 0;
          *pn = (*pp)->n;
          rc = SQLITE_OK;
        } else {
          rc = SQLITE_NOMEM;
        }
      } else {
        mem_unlink(pp);
      }
      break;
    }
  }
  pthread_mutex_unlock(&memMutex);
  return rc;
}

static int mem_put(const char *zKey, const char *zBody, size_t n) {
  if (n > CACHE_MEMORY_MAX / 4) return SQLITE_TOOBIG;
  mem_entry *e = malloc(sizeof(*e));
  if (!e) return SQLITE_NOMEM;
  e->zKey = strdup(zKey);
  e->zBody = malloc(n + 1);
  if (!e->zKey || !e->zBody) {
    free(e->zKey);
    free(e->zBody);
    free(e);
    return SQLITE_NOMEM;
  }
  memcpy(e->zBody, zBody, n);
  e->n = n;
  e->t = now_wall();
  pthread_mutex_lock(&memMutex);
  for (mem_entry **pp = &pMemHead; *pp; pp = &(*pp)->pNext) {
    if (strcmp((*pp)->zKey, zKey) == 0) {
      mem_unlink(pp);
      break;
    }
  }
  e->pNext = pMemHead;
  pMemHead = e;
  nMemBytes += n;
  /* evict the oldest (at the tail) past the cap */
  while (nMemBytes > CACHE_MEMORY_MAX) {
    mem_entry **pp = &pMemHead;
    while ((*pp)->pNext) pp = &(*pp)->pNext;
    mem_unlink(pp);
  }
  pthread_mutex_unlock(&memMutex);
  return SQLITE_OK;
}

/* A cache file another process holds locked: SQLITE_BUSY (the caller goes on without the cache). */
static int busy_rc(int rc) {
  return ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) ? SQLITE_BUSY : rc;
}

/* mkdir -p zDir, each new level 0700. */
static void make_dirs(const char *zDir) {
  char *z = sqlite3_mprintf("%s", zDir);
  if (!z) return;
  for (char *p = z + 1;; p++) {
    if (*p == '/' || *p == 0) {
      char c = *p;
      *p = 0;
      if (mkdir(z, 0700) != 0 && errno != EEXIST) break;
      if (c == 0) break;
      *p = c;
    }
  }
  sqlite3_free(z);
}

/*
** Open the cache file of zSpec. bWrite: create it (and its directory for
** 'user') when missing. SQLITE_NOTFOUND when there is nothing to read,
** SQLITE_PERM when the file is someone else's (never opened, never written).
*/
static int file_open(const char *zSpec, sqlite3 **pDb, int bWrite) {
  char *zPath = trust_cache_path(zSpec);
  int rc = SQLITE_OK;
  *pDb = 0;
  if (!zPath) return strcmp(zSpec, "user") == 0 ? SQLITE_CANTOPEN : SQLITE_NOMEM;
  if (!trust_cache_file_ours(zPath)) {
    rc = SQLITE_PERM;
  } else if (access(zPath, F_OK) != 0 && !bWrite) {
    rc = SQLITE_NOTFOUND;
  } else {
    if (bWrite && strcmp(zSpec, "user") == 0) {
      char *zSlash = strrchr(zPath, '/');
      *zSlash = 0;
      make_dirs(zPath);
      *zSlash = '/';
    }
    rc = sqlite3_open_v2(zPath, pDb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, 0);
  }
  sqlite3_free(zPath);
  if (rc == SQLITE_OK) {
    sqlite3_stmt *p = 0;
    sqlite3_busy_timeout(*pDb, CACHE_BUSY_MS);
    sqlite3_int64 iId = -1, nObj = -1;
    rc = sqlite3_prepare_v2(*pDb, "SELECT (SELECT application_id FROM pragma_application_id), "
                                  "(SELECT count(*) FROM sqlite_schema)", -1, &p, 0);
    if (rc == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW) {
      iId = sqlite3_column_int64(p, 0);
      nObj = sqlite3_column_int64(p, 1);
    }
    sqlite3_finalize(p);
    if (rc == SQLITE_OK && iId != TRUST_CACHE_APP_ID) {
      if (iId != 0 || nObj != 0) {
        rc = SQLITE_PERM; /* a database that is not ours: never written */
      } else if (!bWrite) {
        rc = SQLITE_NOTFOUND;
      } else {
        char *zSql = sqlite3_mprintf("PRAGMA application_id=%d", TRUST_CACHE_APP_ID);
        rc = zSql ? sqlite3_exec(*pDb, zSql, 0, 0, 0) : SQLITE_NOMEM;
        sqlite3_free(zSql);
      }
    }
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_exec(*pDb,
                      "CREATE TABLE IF NOT EXISTS provisioning_cache(key TEXT PRIMARY KEY, t REAL, body BLOB)", 0,
                      0, 0);
  }
  return rc;
}

int cache_get(const char *zSpec, const char *zKey, double rTtl, char **pzBody, size_t *pn) {
  *pzBody = 0;
  *pn = 0;
  if (strcmp(zSpec, "memory") == 0) return mem_get(zKey, rTtl, pzBody, pn);
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  int rc = file_open(zSpec, &db, 0);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, "SELECT body FROM provisioning_cache WHERE key=?1 AND t>=?2", -1, &pStmt, 0);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(pStmt, 1, zKey, -1, SQLITE_STATIC);
    sqlite3_bind_double(pStmt, 2, now_wall() - rTtl);
    int rcStep = sqlite3_step(pStmt);
    if (rcStep == SQLITE_ROW) {
      size_t n = (size_t)sqlite3_column_bytes(pStmt, 0);
      const void *p = sqlite3_column_blob(pStmt, 0);
      *pzBody = sqlite3_malloc64(n + 1);
      if (*pzBody) {
        if (n) memcpy(*pzBody, p, n);
        (*pzBody)[n] = 0;
        *pn = n;
        rc = SQLITE_OK;
      } else {
        rc = SQLITE_NOMEM;
      }
    } else {
      rc = busy_rc(rcStep) == SQLITE_BUSY ? SQLITE_BUSY : SQLITE_NOTFOUND;
    }
  }
  sqlite3_finalize(pStmt);
  sqlite3_close(db);
  return busy_rc(rc);
}

int cache_put(const char *zSpec, const char *zKey, const char *zBody, size_t n) {
  if (strcmp(zSpec, "memory") == 0) return mem_put(zKey, zBody, n);
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  int rc = file_open(zSpec, &db, 1);
  if (rc == SQLITE_OK) {
    rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO provisioning_cache(key, t, body) VALUES(?1, ?2, ?3)", -1,
                            &pStmt, 0);
  }
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(pStmt, 1, zKey, -1, SQLITE_STATIC);
    sqlite3_bind_double(pStmt, 2, now_wall());
    sqlite3_bind_blob64(pStmt, 3, zBody, n, SQLITE_STATIC);
    rc = sqlite3_step(pStmt) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
  }
  sqlite3_finalize(pStmt);
  sqlite3_close(db);
  return busy_rc(rc);
}

/*
** writes.c: the write queue of a transaction (see writes.h).
*/
#include "writes.h"

#include <string.h>

#include "json.h"

SQLITE_EXTENSION_INIT3

int writes_add(prov_writes *w, const char *zMethod, char *zPath, char *zBody, char *zWhat) {
  if (w->n >= w->nAlloc) {
    int nNew = w->nAlloc ? w->nAlloc * 2 : 8;
    prov_write *aNew = sqlite3_realloc64(w->a, sizeof(prov_write) * (sqlite3_uint64)nNew);
    if (!aNew) {
      sqlite3_free(zPath);
      sqlite3_free(zBody);
      sqlite3_free(zWhat);
      return SQLITE_NOMEM;
    }
    w->a = aNew;
    w->nAlloc = nNew;
  }
  if (!zPath || !zWhat) {
    sqlite3_free(zPath);
    sqlite3_free(zBody);
    sqlite3_free(zWhat);
    return SQLITE_NOMEM;
  }
  prov_write *p = &w->a[w->n++];
  p->zMethod = (char *)zMethod;
  p->zPath = zPath;
  p->zBody = zBody;
  p->zWhat = zWhat;
  return SQLITE_OK;
}

static void write_free(prov_write *p) {
  sqlite3_free(p->zPath);
  sqlite3_free(p->zBody);
  sqlite3_free(p->zWhat);
}

void writes_clear(prov_writes *w) {
  for (int i = 0; i < w->n; i++) write_free(&w->a[i]);
  sqlite3_free(w->a);
  w->a = 0;
  w->n = w->nAlloc = 0;
}

void writes_savepoint(prov_writes *w, int iSave) {
  if (iSave >= 0 && iSave < PROV_MAX_SAVEPOINT) w->aSave[iSave] = w->n;
}

void writes_rollback_to(prov_writes *w, int iSave) {
  if (iSave < 0 || iSave >= PROV_MAX_SAVEPOINT) return;
  int n = w->aSave[iSave];
  while (w->n > n) write_free(&w->a[--w->n]);
}

/* The "id" of a created object, from the JSON answer (sqlite3_malloc'd), or NULL (*pbOom when out of memory). */
static char *created_id(const char *zResp, int *pbOom) {
  *pbOom = 0;
  if (!zResp) return 0;
  size_t n = strlen(zResp), end = 0, errOff = 0;
  const char *zWhy = 0;
  if (pj_value_end(zResp, n, &end, &errOff, &zWhy) != PJ_OK) return 0;
  pj_doc d;
  memset(&d, 0, sizeof(d));
  char *zId = 0;
  int rc = pj_parse(&d, zResp, n);
  if (rc == SQLITE_NOMEM) *pbOom = 1;
  if (rc == SQLITE_OK && d.aTok[0].type == JSMN_OBJECT) {
    int i = pj_find(&d, 0, "id", 2);
    if (i > 0 && d.aTok[i].type == JSMN_STRING) {
      int nTok = d.aTok[i].end - d.aTok[i].start;
      zId = sqlite3_malloc64((sqlite3_uint64)nTok + 1);
      if (!zId) *pbOom = 1;
      if (zId) {
        int nOut = pj_unescape(d.z + d.aTok[i].start, (size_t)nTok, zId, 0);
        if (nOut < 0) {
          sqlite3_free(zId);
          zId = 0;
        } else {
          zId[nOut] = 0;
        }
      }
    }
  }
  pj_doc_free(&d);
  return zId;
}

/* z without a leading "provisioning_xxx: " (one prefix per message). */
static const char *unprefixed(const char *z) {
  if (strncmp(z, "provisioning", 12) != 0) return z;
  size_t n = 12;
  while ((z[n] >= 'a' && z[n] <= 'z') || z[n] == '_') n++;
  return z[n] == ':' && z[n + 1] == ' ' ? z + n + 2 : z;
}

int writes_flush(prov_writes *w, prov_source *pSrc, const char *zModule, prov_global *g, char **pzErr) {
  sqlite3_str *ids = sqlite3_str_new(0);
  sqlite3_str *applied = sqlite3_str_new(0);
  int nCreated = 0;
  int rc = SQLITE_OK;
  sqlite3_str_appendall(ids, "[");
  for (int i = 0; i < w->n && rc == SQLITE_OK; i++) {
    prov_write *p = &w->a[i];
    int status = 0;
    char *zResp = 0, *zErr = 0;
    rc = pSrc->xWrite(pSrc, p->zMethod, p->zPath, p->zBody, &status, &zResp, &zErr);
    if (rc == SQLITE_OK) {
      int bOom = 0;
      char *zId = strcmp(p->zMethod, "POST") == 0 ? created_id(zResp, &bOom) : 0;
      if (bOom && g) {
        /* applied, but its id is unknown: no stale id from an earlier INSERT */
        sqlite3_free(g->zLastId);
        g->zLastId = 0;
      }
      if (zId) {
        sqlite3_str_appendf(ids, "%s\"%w\"", nCreated++ ? "," : "", zId);
        if (g) {
          sqlite3_free(g->zLastId);
          g->zLastId = zId;
        } else {
          sqlite3_free(zId);
        }
        sqlite3_str_appendf(applied, "%s%d (%s, id %s)", i ? ", " : "", i + 1, p->zWhat, g ? g->zLastId : "?");
      } else {
        sqlite3_str_appendf(applied, "%s%d (%s)", i ? ", " : "", i + 1, p->zWhat);
      }
    } else {
      sqlite3_str *s = sqlite3_str_new(0);
      sqlite3_str_appendf(s, "%s: COMMIT failed at request %d of %d (%s: %s %s): %s. ", zModule, i + 1, w->n,
                          p->zWhat, p->zMethod, p->zPath, zErr ? unprefixed(zErr) : sqlite3_errstr(rc));
      char *zApplied = sqlite3_str_finish(applied);
      applied = 0;
      if (i == 0) {
        sqlite3_str_appendall(s, "Applied: none. ");
      } else {
        sqlite3_str_appendf(s, "Applied (Graph has no transactions, these stay): %s. ", zApplied ? zApplied : "?");
      }
      sqlite3_free(zApplied);
      sqlite3_str_appendf(s, "Not applied: %d", i + 1);
      for (int k = i + 1; k < w->n; k++) sqlite3_str_appendf(s, ", %d", k + 1);
      sqlite3_str_appendf(s, " (%d request%s).", w->n - i, w->n - i > 1 ? "s" : "");
      *pzErr = sqlite3_str_finish(s);
      if (!*pzErr) rc = SQLITE_NOMEM; /* not a bare "SQL logic error" */
      if (rc != SQLITE_NOMEM) rc = SQLITE_ERROR;
    }
    sqlite3_free(zResp);
    sqlite3_free(zErr);
  }
  sqlite3_str_appendall(ids, "]");
  char *zIds = sqlite3_str_finish(ids);
  if (g && nCreated) {
    sqlite3_free(g->zLastIds);
    g->zLastIds = zIds;
  } else {
    sqlite3_free(zIds);
  }
  if (applied) sqlite3_free(sqlite3_str_finish(applied));
  writes_clear(w);
  return rc;
}

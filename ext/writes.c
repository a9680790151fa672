/*
** writes.c: the write queue of a transaction, the COMMIT that sends it,
** the report of provisioning_last_commit(), and the transaction methods
** every writable table plugs into its sqlite3_module (see writes.h).
**
** Calls: global.h, source.h (xWrite, xWriteBatch), json.h, SQLite.
*/
#include "writes.h"

#include <stdio.h>
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

void writes_json_string(sqlite3_str *s, const char *z, int n) {
  if (n < 0) n = z ? (int)strlen(z) : 0;
  sqlite3_str_appendchar(s, 1, '"');
  for (int i = 0; i < n; i++) {
    unsigned char c = (unsigned char)z[i];
    if (c == '"' || c == '\\') {
      sqlite3_str_appendchar(s, 1, '\\');
      sqlite3_str_appendchar(s, 1, (char)c);
    } else if (c < 0x20) {
      sqlite3_str_appendf(s, "\\u%04x", c);
    } else {
      sqlite3_str_appendchar(s, 1, (char)c);
    }
  }
  sqlite3_str_appendchar(s, 1, '"');
}

/* z (NUL-terminated, may be NULL) as a JSON string. */
static void json_text(sqlite3_str *s, const char *z) { writes_json_string(s, z, -1); }

/* What an HTTP answer to a failed write means: 1 not applied, 0 unknown. */
static int status_not_applied(int iStatus) {
  if (iStatus >= 400 && iStatus < 500) return 1;
  if (iStatus == 501 || iStatus == 503) return 1;
  if (iStatus == 307 || iStatus == 308) return 1;
  return 0; /* 500, 502, 504, other 3xx: the server (or a gateway) may have done it */
}

#define OUT_APPLIED 1
#define OUT_FAILED 2  /* answered with an error: not applied */
#define OUT_UNKNOWN 3 /* may have been applied */
#define OUT_NOT_SENT 4

/* Start a new report on g, unless this COMMIT's is already open. */
static void report_begin(prov_global *g) {
  if (!g || g->bCommitOpen) return;
  sqlite3_free(g->zCommitWrites);
  g->zCommitWrites = 0;
  g->bCommitOpen = 1;
  g->eCommitLocal = WRITES_LOCAL_PENDING;
}

/* Append one write's outcome to the report (a JSON object). */
static void report_add(sqlite3_str *r, const char *zModule, int i, const prov_write *p, int eOut, int iStatus,
                       const char *zId, const char *zErr) {
  static const char *const azOut[] = {"", "applied", "failed", "unknown", "not sent"};
  if (sqlite3_str_length(r)) sqlite3_str_appendchar(r, 1, ',');
  sqlite3_str_appendall(r, "{\"table\":");
  json_text(r, zModule);
  sqlite3_str_appendf(r, ",\"request\":%d,\"what\":", i + 1);
  json_text(r, p->zWhat);
  sqlite3_str_appendall(r, ",\"method\":");
  json_text(r, p->zMethod);
  sqlite3_str_appendall(r, ",\"path\":");
  json_text(r, p->zPath);
  sqlite3_str_appendall(r, ",\"outcome\":");
  json_text(r, azOut[eOut]);
  if (iStatus > 0) sqlite3_str_appendf(r, ",\"status\":%d", iStatus);
  if (zId) {
    sqlite3_str_appendall(r, ",\"id\":");
    json_text(r, zId);
  }
  if (zErr) {
    sqlite3_str_appendall(r, ",\"error\":");
    json_text(r, zErr);
  }
  sqlite3_str_appendchar(r, 1, '}');
}

/* Join the report entries of this flush onto g's. */
static int report_finish(prov_global *g, sqlite3_str *r) {
  char *z = sqlite3_str_finish(r);
  if (!g) {
    sqlite3_free(z);
    return SQLITE_OK;
  }
  if (!z) return SQLITE_NOMEM;
  if (g->zCommitWrites && g->zCommitWrites[0]) {
    char *zAll = sqlite3_mprintf("%s,%s", g->zCommitWrites, z);
    sqlite3_free(z);
    if (!zAll) return SQLITE_NOMEM;
    z = zAll;
  }
  sqlite3_free(g->zCommitWrites);
  g->zCommitWrites = z;
  return SQLITE_OK;
}

/* The COMMIT error: request k failed (eOut), the others before it applied (azId), the rest not sent. */
static char *flush_message(prov_writes *w, const char *zModule, int k, int eOut, int iStatus, const char *zErr,
                           char **azId, int bBatch) {
  sqlite3_str *s = sqlite3_str_new(0);
  /* one prefix per message: the source's own "provisioning_xxx: " goes */
  if (strncmp(zErr, "provisioning_", 13) == 0) {
    size_t n = 13;
    while ((zErr[n] >= 'a' && zErr[n] <= 'z') || zErr[n] == '_') n++;
    if (zErr[n] == ':' && zErr[n + 1] == ' ') zErr += n + 2;
  }
  if (k < 0) {
    sqlite3_str_appendf(s, "%s: COMMIT failed: %s. ", zModule, zErr);
  } else {
    sqlite3_str_appendf(s, "%s: COMMIT failed at request %d of %d (%s: %s %s): %s. ", zModule, k + 1, w->n,
                        w->a[k].zWhat, w->a[k].zMethod, w->a[k].zPath, zErr);
  }
  if (bBatch) {
    sqlite3_str_appendf(s, "Nothing was applied: the file source applies a COMMIT whole and the file is unchanged "
                           "(%d request%s not applied).", w->n, w->n > 1 ? "s" : "");
    return sqlite3_str_finish(s);
  }
  prov_write *p = &w->a[k];
  if (k == 0) {
    sqlite3_str_appendall(s, "Applied: none. ");
  } else {
    sqlite3_str_appendall(s, "Applied (Graph has no transactions, these stay): ");
    for (int i = 0; i < k; i++) {
      sqlite3_str_appendf(s, "%s%d (%s", i ? ", " : "", i + 1, w->a[i].zWhat);
      if (azId[i]) sqlite3_str_appendf(s, ", id %s", azId[i]);
      sqlite3_str_appendchar(s, 1, ')');
    }
    sqlite3_str_appendall(s, ". ");
  }
  if (eOut == OUT_UNKNOWN) {
    sqlite3_str_appendf(s, "Outcome unknown: %d (%s: ", k + 1, p->zWhat);
    if (iStatus > 0) {
      sqlite3_str_appendf(s, "the server answered HTTP %d, which does not say whether it was done", iStatus);
    } else if (strstr(zErr, "time-out")) {
      sqlite3_str_appendall(s, "sent, and no answer came before the time-out");
    } else {
      sqlite3_str_appendall(s, "the connection was lost after it was sent");
    }
    sqlite3_str_appendall(s, "; it may have been applied: check before sending it again). ");
  } else {
    sqlite3_str_appendf(s, "Not applied: %d (%s: %s). ", k + 1, p->zWhat,
                        eOut == OUT_FAILED ? "refused by the server" : "never sent");
  }
  if (k + 1 == w->n) {
    sqlite3_str_appendall(s, "Not sent: none.");
  } else {
    sqlite3_str_appendall(s, "Not sent: ");
    for (int i = k + 1; i < w->n; i++) sqlite3_str_appendf(s, "%s%d (%s)", i > k + 1 ? ", " : "", i + 1, w->a[i].zWhat);
    sqlite3_str_appendf(s, " (%d request%s).", w->n - k - 1, w->n - k - 1 > 1 ? "s" : "");
  }
  sqlite3_str_appendall(s, " The local transaction is rolled back; provisioning_last_commit() has this report.");
  return sqlite3_str_finish(s);
}

int writes_flush(prov_writes *w, prov_source *pSrc, const char *zModule, prov_global *g, char **pzErr) {
  sqlite3_str *ids = sqlite3_str_new(0);
  sqlite3_str *rep = sqlite3_str_new(0);
  char **azId = sqlite3_malloc64(sizeof(char *) * (sqlite3_uint64)(w->n ? w->n : 1));
  prov_write_req *aReq = 0;
  int nCreated = 0, nDone = 0, iFail = -1, eFail = 0, bBatch = pSrc->xWriteBatch != 0, bFailed = 0;
  int rc = azId ? SQLITE_OK : SQLITE_NOMEM;
  char *zFailErr = 0;
  int iFailStatus = 0;
  if (azId) memset(azId, 0, sizeof(char *) * (size_t)(w->n ? w->n : 1));
  report_begin(g);
  sqlite3_str_appendall(ids, "[");
  if (rc == SQLITE_OK && bBatch) {
    aReq = sqlite3_malloc64(sizeof(prov_write_req) * (sqlite3_uint64)(w->n ? w->n : 1));
    if (!aReq) rc = SQLITE_NOMEM;
    for (int i = 0; aReq && i < w->n; i++) {
      memset(&aReq[i], 0, sizeof(aReq[i]));
      aReq[i].zMethod = w->a[i].zMethod;
      aReq[i].zPath = w->a[i].zPath;
      aReq[i].zBody = w->a[i].zBody;
    }
    if (rc == SQLITE_OK) {
      int iAt = -1;
      rc = pSrc->xWriteBatch(pSrc, aReq, w->n, &iAt, &zFailErr);
      if (rc != SQLITE_OK && rc != SQLITE_NOMEM) {
        iFail = iAt >= 0 && iAt < w->n ? iAt : -1; /* -1: no write at fault (the lock) */
        bFailed = 1;
        eFail = OUT_FAILED;
        rc = SQLITE_ERROR;
      }
    }
  }
  for (int i = 0; i < w->n && rc == SQLITE_OK; i++) {
    prov_write *p = &w->a[i];
    int status = 0;
    char *zResp = 0, *zErr = 0;
    if (bBatch) {
      status = aReq[i].iStatus;
      zResp = aReq[i].zResp;
      aReq[i].zResp = 0;
    } else {
      rc = pSrc->xWrite(pSrc, p->zMethod, p->zPath, p->zBody, &status, &zResp, &zErr);
    }
    if (rc == SQLITE_OK) {
      int bOom = 0;
      char *zId = strcmp(p->zMethod, "POST") == 0 ? created_id(zResp, &bOom) : 0;
      if (bOom && g) {
        /* applied, but its id is unknown: no stale id from an earlier INSERT */
        sqlite3_free(g->zLastId);
        g->zLastId = 0;
      }
      azId[i] = zId;
      nDone = i + 1;
      if (zId) {
        sqlite3_str_appendf(ids, "%s", nCreated++ ? "," : "");
        json_text(ids, zId);
        if (g) {
          sqlite3_free(g->zLastId);
          g->zLastId = sqlite3_mprintf("%s", zId);
        }
      }
      report_add(rep, zModule, i, p, OUT_APPLIED, status, zId, 0);
    } else if (rc != SQLITE_NOMEM || status == PROV_WRITE_UNKNOWN) {
      iFail = i;
      bFailed = 1;
      iFailStatus = status;
      eFail = status == PROV_WRITE_NOT_SENT ? OUT_NOT_SENT
              : status == PROV_WRITE_UNKNOWN ? OUT_UNKNOWN
              : status_not_applied(status) ? OUT_FAILED
                                           : OUT_UNKNOWN;
      zFailErr = zErr;
      zErr = 0;
      if (rc != SQLITE_NOMEM) rc = SQLITE_ERROR;
    }
    sqlite3_free(zResp);
    sqlite3_free(zErr);
  }
  if (bFailed) {
    const char *zWhy = zFailErr ? zFailErr : sqlite3_errstr(rc);
    for (int i = nDone; i < w->n; i++) {
      int eOut = i == iFail ? eFail : OUT_NOT_SENT;
      if (bBatch) eOut = i == iFail ? OUT_FAILED : OUT_NOT_SENT;
      report_add(rep, zModule, i, &w->a[i], eOut, i == iFail ? iFailStatus : 0, 0,
                 i == iFail || (iFail < 0 && i == 0) ? zWhy : 0);
    }
    *pzErr = flush_message(w, zModule, iFail, eFail, iFailStatus, zWhy, azId, bBatch);
    if (!*pzErr) rc = SQLITE_NOMEM; /* not a bare "SQL logic error" */
    else if (rc != SQLITE_NOMEM) rc = SQLITE_ERROR;
    if (g && *pzErr) g->bCommitOpen = 2; /* the COMMIT error lists the writes */
  }
  if (report_finish(g, rep) != SQLITE_OK && rc == SQLITE_OK) rc = SQLITE_NOMEM;
  sqlite3_str_appendall(ids, "]");
  char *zIds = sqlite3_str_finish(ids);
  if (g && nCreated) {
    sqlite3_free(g->zLastIds);
    g->zLastIds = zIds;
  } else {
    sqlite3_free(zIds);
  }
  for (int i = 0; azId && i < w->n; i++) sqlite3_free(azId[i]);
  sqlite3_free(azId);
  for (int i = 0; aReq && i < w->n; i++) sqlite3_free(aReq[i].zResp);
  sqlite3_free(aReq);
  sqlite3_free(zFailErr);
  writes_clear(w);
  return rc;
}

void writes_local_done(prov_global *g, const char *zModule, int bCommitted) {
  if (!g || !g->bCommitOpen) return;
  int bSaid = g->bCommitOpen == 2;
  g->bCommitOpen = 0;
  g->eCommitLocal = bCommitted ? WRITES_LOCAL_COMMITTED : WRITES_LOCAL_ROLLED_BACK;
  if (bCommitted || bSaid || !g->zCommitWrites || !strstr(g->zCommitWrites, "\"outcome\":\"applied\"")) return;
  /* remote writes went out, and the local transaction is gone: say so, they stay */
  sqlite3_log(SQLITE_WARNING, "%s: the transaction was rolled back after remote writes were applied; they stay "
              "applied: %s", zModule, g->zCommitWrites);
  fprintf(stderr, "%s: warning: the transaction was rolled back after remote writes were applied, which stay "
          "applied (undo them by hand if needed); SELECT provisioning_last_commit() lists them\n", zModule);
}

void writes_last_commit_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  prov_global *g = (prov_global *)sqlite3_user_data(ctx);
  if (!g || !g->zCommitWrites) return;
  static const char *const azLocal[] = {"not finished", "committed", "rolled back"};
  int e = g->bCommitOpen ? WRITES_LOCAL_PENDING : g->eCommitLocal;
  char *z = sqlite3_mprintf("{\"local\":\"%s\",\"writes\":[%s]}", azLocal[e], g->zCommitWrites);
  if (!z) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, z, -1, sqlite3_free);
}

/* ------------------------------------------------------------ the transaction methods of a table */

void writes_table_init(writes_table *t, sqlite3 *db, const char *zModule, prov_global *g, int bWritable) {
  t->zModule = zModule;
  t->pGlobal = g;
  t->bWritable = bWritable;
  if (bWritable) sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
}

int writes_table_check(writes_table *t, const char *zSend) {
  if (t->bWritable && t->pSrc) return SQLITE_OK;
  return prov_vtab_error(&t->base, sqlite3_mprintf("%s: this table is read-only: create it with writable=1 to "
                                                   "send %s",
                                                   t->zModule, zSend));
}

/* zMsg with every occurrence of each secret replaced by ********. */
static char *scrub(char *zMsg, char **aSecret, int nSecret) {
  for (int k = 0; k < nSecret && zMsg; k++) {
    const char *zS = aSecret[k];
    size_t nS = strlen(zS);
    if (nS == 0 || !strstr(zMsg, zS)) continue;
    sqlite3_str *s = sqlite3_str_new(0);
    const char *p = zMsg, *q;
    while ((q = strstr(p, zS)) != 0) {
      sqlite3_str_append(s, p, (int)(q - p));
      sqlite3_str_appendall(s, "********");
      p = q + nS;
    }
    sqlite3_str_appendall(s, p);
    sqlite3_free(zMsg);
    zMsg = sqlite3_str_finish(s);
  }
  return zMsg;
}

int wtBegin(sqlite3_vtab *pVtab) {
  ((writes_table *)pVtab)->bInTxn = 1;
  return SQLITE_OK;
}

int wtSync(sqlite3_vtab *pVtab) {
  writes_table *t = (writes_table *)pVtab;
  char *zErr = 0;
  char **aSecret = 0;
  int nSecret = 0, rc = SQLITE_OK;
  t->nInsert = 0;
  if (t->writes.n == 0) return SQLITE_OK;
  for (int i = 0; t->xSecrets && i < t->writes.n && rc == SQLITE_OK; i++) {
    if (t->writes.a[i].zBody) rc = t->xSecrets(t->writes.a[i].zBody, &aSecret, &nSecret);
  }
  if (rc == SQLITE_OK) rc = writes_flush(&t->writes, t->pSrc, t->zModule, t->pGlobal, &zErr);
  /* the report of provisioning_last_commit() holds the servers' messages too */
  if (nSecret && t->pGlobal && t->pGlobal->zCommitWrites) {
    t->pGlobal->zCommitWrites = scrub(t->pGlobal->zCommitWrites, aSecret, nSecret);
  }
  if (rc) {
    zErr = scrub(zErr, aSecret, nSecret);
    /* no message (none made, or the scrubbed copy failed): out of memory */
    if (!zErr) rc = SQLITE_NOMEM;
    prov_vtab_error(pVtab, zErr);
  } else {
    sqlite3_free(zErr);
  }
  for (int i = 0; i < nSecret; i++) sqlite3_free(aSecret[i]);
  sqlite3_free(aSecret);
  return rc;
}

/* xCommit and xRollback: the local outcome goes into the report; the queue (sent or not) is dropped. */
static int wt_end(writes_table *t, int bCommitted) {
  writes_local_done(t->pGlobal, t->zModule, bCommitted);
  writes_clear(&t->writes);
  if (t->xEnd) t->xEnd(t);
  t->nInsert = 0;
  t->bInTxn = 0;
  return SQLITE_OK;
}

int wtCommit(sqlite3_vtab *pVtab) { return wt_end((writes_table *)pVtab, 1); }

int wtRollback(sqlite3_vtab *pVtab) { return wt_end((writes_table *)pVtab, 0); }

int wtSavepoint(sqlite3_vtab *pVtab, int iSave) {
  writes_savepoint(&((writes_table *)pVtab)->writes, iSave);
  return SQLITE_OK;
}

int wtRelease(sqlite3_vtab *pVtab, int iSave) { return SQLITE_OK; }

int wtRollbackTo(sqlite3_vtab *pVtab, int iSave) {
  writes_rollback_to(&((writes_table *)pVtab)->writes, iSave);
  return SQLITE_OK;
}

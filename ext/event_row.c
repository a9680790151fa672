/*
** event_row.c: read the columns of one event (see event_row.h).
*/
#include "event_row.h"

#include <pthread.h>
#include <string.h>

#include "schema.h"

SQLITE_EXTENSION_INIT3

static const char *const azTop[EV_NTOP] = {
    "id", "activityDateTime", "tenantId", "jobId", "cycleId", "changeId", "provisioningAction",
    "action", "durationInMilliseconds", "provisioningStatusInfo", "statusInfo", "initiatedBy",
    "servicePrincipal", "sourceSystem", "targetSystem", "sourceIdentity", "targetIdentity",
    "provisioningSteps", "modifiedProperties"};
static int anTop[EV_NTOP];

/* For each column and alternative path: the top-level slot and the rest of the path. */
static int aColTop[EV_NCOLUMN][3];
static const char *azColRest[EV_NCOLUMN][3];
static pthread_once_t evOnce = PTHREAD_ONCE_INIT;

static void ev_init_paths(void) {
  for (int t = 0; t < EV_NTOP; t++) anTop[t] = (int)strlen(azTop[t]);
  for (int c = 0; c < EV_NCOLUMN; c++) {
    for (int a = 0; a < 3; a++) {
      const char *zPath = sch_events[c].azPath[a];
      aColTop[c][a] = -1;
      azColRest[c][a] = 0;
      if (!zPath) continue;
      size_t n = strcspn(zPath, "/");
      for (int t = 0; t < EV_NTOP; t++) {
        if ((size_t)anTop[t] == n && memcmp(azTop[t], zPath, n) == 0) aColTop[c][a] = t;
      }
      azColRest[c][a] = zPath[n] == '/' ? zPath + n + 1 : "";
    }
  }
}

int ev_row_load(ev_row *r, const char *z, size_t n) {
  pthread_once(&evOnce, ev_init_paths);
  int rc = pj_parse(&r->doc, z, n);
  if (rc) return rc;
  const pj_doc *d = &r->doc;
  for (int t = 0; t < EV_NTOP; t++) r->aTop[t] = -1;
  if (d->aTok[0].type != JSMN_OBJECT) return SQLITE_MISMATCH;
  int nMember = d->aTok[0].size;
  int k = 1;
  for (int m = 0; m < nMember && k + 1 < d->nTok; m++) {
    const jsmntok_t *key = &d->aTok[k];
    int nKey = key->end - key->start;
    const char *zKey = d->z + key->start;
    for (int t = 0; t < EV_NTOP; t++) {
      if (anTop[t] == nKey && zKey[0] == azTop[t][0] && memcmp(zKey, azTop[t], (size_t)nKey) == 0) {
        if (r->aTop[t] < 0) r->aTop[t] = k + 1;
        break;
      }
    }
    k = pj_skip(d, k + 1);
  }
  return SQLITE_OK;
}

/* The token of column iCol, or -1 when absent (or null on every path). */
static int ev_token(ev_row *r, int iCol) {
  int iFound = -1;
  for (int a = 0; a < 3 && sch_events[iCol].azPath[a]; a++) {
    int t = aColTop[iCol][a];
    if (t < 0 || r->aTop[t] < 0) continue;
    int i = r->aTop[t];
    if (azColRest[iCol][a][0]) i = pj_path(&r->doc, i, azColRest[iCol][a]);
    if (i < 0) continue;
    if (!pj_is_null(&r->doc, i)) return i;
    if (iFound < 0) iFound = i;
  }
  return iFound;
}

static int ev_scratch(ev_row *r, size_t n) {
  if (n <= r->nScratch) return SQLITE_OK;
  char *z = sqlite3_realloc64(r->zScratch, n + 256);
  if (!z) return SQLITE_NOMEM;
  r->zScratch = z;
  r->nScratch = n + 256;
  return SQLITE_OK;
}

/* The JSON text of token i, without insignificant whitespace. */
static int ev_raw(ev_row *r, int i, pv_value *pOut) {
  const pj_doc *d = &r->doc;
  const jsmntok_t *t = &d->aTok[i];
  int s = t->start, e = t->end;
  if (t->type == JSMN_STRING) {
    s--;
    e++;
  }
  pOut->eType = SQLITE_TEXT;
  pOut->z = d->z + s;
  pOut->n = e - s;
  if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) {
    if (ev_scratch(r, (size_t)(e - s))) return SQLITE_NOMEM;
    pOut->n = pj_minify(d->z + s, (size_t)(e - s), r->zScratch);
    pOut->z = r->zScratch;
  }
  return SQLITE_OK;
}

int ev_row_value(ev_row *r, int iCol, pv_value *pOut) {
  const pj_doc *d = &r->doc;
  memset(pOut, 0, sizeof(*pOut));
  pOut->eType = SQLITE_NULL;
  int eKind = sch_events[iCol].eKind;
  if (eKind == SCH_RAW) return ev_raw(r, 0, pOut);
  int i = ev_token(r, iCol);
  if (i < 0 || pj_is_null(d, i)) return SQLITE_OK;
  const jsmntok_t *t = &d->aTok[i];
  if (eKind == SCH_JSON) return ev_raw(r, i, pOut);
  if (t->type == JSMN_STRING) {
    const char *z = d->z + t->start;
    int n = t->end - t->start;
    if (pj_has_escape(z, (size_t)n)) {
      if (ev_scratch(r, (size_t)n + 1)) return SQLITE_NOMEM;
      size_t off = 0;
      int nOut = pj_unescape(z, (size_t)n, r->zScratch, &off);
      if (nOut < 0) {
        r->zErr = "invalid escape or UTF-16 surrogate in a JSON string";
        return SQLITE_ERROR;
      }
      z = r->zScratch;
      n = nOut;
    }
    if (eKind == SCH_TIME && pq_time_normalize(z, n, r->zTime)) {
      z = r->zTime;
      n = PQ_TIME_LEN;
    }
    pOut->eType = SQLITE_TEXT;
    pOut->z = z;
    pOut->n = n;
    return SQLITE_OK;
  }
  if (eKind == SCH_INT && t->type == JSMN_PRIMITIVE) {
    sqlite3_int64 v;
    if (pj_int64(d, i, &v) == SQLITE_OK) {
      pOut->eType = SQLITE_INTEGER;
      pOut->i = v;
      return SQLITE_OK;
    }
  }
  /* an unexpected type: its JSON text */
  return ev_raw(r, i, pOut);
}

int ev_row_column_fn(void *pRow, int iCol, pv_value *pOut) {
  return ev_row_value((ev_row *)pRow, iCol, pOut);
}

sqlite3_int64 ev_row_rowid(ev_row *r) {
  const pj_doc *d = &r->doc;
  int i = r->aTop[0];
  sqlite3_uint64 h;
  if (i >= 0 && d->aTok[i].type == JSMN_STRING) {
    h = pj_hash64(d->z + d->aTok[i].start, (size_t)(d->aTok[i].end - d->aTok[i].start));
  } else {
    h = pj_hash64(d->z, (size_t)d->n);
  }
  return (sqlite3_int64)(h & 0x7fffffffffffffffULL);
}

int ev_row_result(ev_row *r, int iCol, sqlite3_context *ctx) {
  pv_value v;
  int rc = ev_row_value(r, iCol, &v);
  if (rc == SQLITE_NOMEM) {
    sqlite3_result_error_nomem(ctx);
    return rc;
  }
  if (rc) {
    char *zMsg = sqlite3_mprintf("provisioning_events: column %s: %s", sch_events[iCol].zName, r->zErr);
    sqlite3_result_error(ctx, zMsg ? zMsg : r->zErr, -1);
    sqlite3_free(zMsg);
    return rc;
  }
  switch (v.eType) {
    case SQLITE_TEXT: sqlite3_result_text(ctx, v.z, v.n, SQLITE_TRANSIENT); break;
    case SQLITE_INTEGER: sqlite3_result_int64(ctx, v.i); break;
    case SQLITE_FLOAT: sqlite3_result_double(ctx, v.r); break;
    default: sqlite3_result_null(ctx); break;
  }
  return SQLITE_OK;
}

void ev_row_free(ev_row *r) {
  pj_doc_free(&r->doc);
  sqlite3_free(r->zScratch);
  r->zScratch = 0;
  r->nScratch = 0;
}

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

int ev_row_load(ev_row *r, const char *z, size_t n, const pj_member *aMember, int nMember) {
  pthread_once(&evOnce, ev_init_paths);
  r->z = z;
  r->n = n;
  r->gen++;
  for (int t = 0; t < EV_NTOP; t++) r->aTopVal[t] = -1;
  if (!aMember || nMember < 0) {
    size_t end = 0, errOff = 0;
    const char *zWhy = 0;
    if (pj_value_members(z, n, &end, &errOff, &zWhy, r->aMember, &nMember) != PJ_OK) return SQLITE_MISMATCH;
    aMember = r->aMember;
    if (nMember < 0) {
      /* not an object, or too many members to index: find ours with jsmn */
      size_t i = pj_skip_ws(z, n, 0);
      if (i >= n || z[i] != '{') return SQLITE_MISMATCH;
      pj_doc *d = &r->aDoc[0];
      int rc = pj_parse(d, z, n);
      if (rc) return rc;
      int k = 1;
      for (int m = 0; m < d->aTok[0].size && k + 1 < d->nTok; m++) {
        const jsmntok_t *key = &d->aTok[k], *val = &d->aTok[k + 1];
        int s0 = val->start, e0 = val->end;
        if (val->type == JSMN_STRING) s0--, e0++;
        for (int t = 0; t < EV_NTOP; t++) {
          if (anTop[t] == key->end - key->start && memcmp(z + key->start, azTop[t], (size_t)anTop[t]) == 0) {
            if (r->aTopVal[t] < 0) {
              r->aTopVal[t] = s0;
              r->aTopLen[t] = e0 - s0;
            }
            break;
          }
        }
        k = pj_skip(d, k + 1);
      }
      r->aDocGen[0] = 0; /* that doc held the whole object, not member 0 */
      return SQLITE_OK;
    }
  }
  for (int m = 0; m < nMember; m++) {
    const pj_member *pm = &aMember[m];
    const char *zKey = z + pm->iKey;
    for (int t = 0; t < EV_NTOP; t++) {
      if (anTop[t] == pm->nKey && zKey[0] == azTop[t][0] && memcmp(zKey, azTop[t], (size_t)pm->nKey) == 0) {
        if (r->aTopVal[t] < 0) {
          r->aTopVal[t] = pm->iVal;
          r->aTopLen[t] = pm->nVal;
        }
        break;
      }
    }
  }
  return SQLITE_OK;
}

static int ev_scratch(ev_row *r, size_t n) {
  if (n <= r->nScratch) return SQLITE_OK;
  char *z = sqlite3_realloc64(r->zScratch, n + 256);
  if (!z) return SQLITE_NOMEM;
  r->zScratch = z;
  r->nScratch = n + 256;
  return SQLITE_OK;
}

/* Is the JSON value text z[0..n) null? */
static int ev_is_null(const char *z, int n) { return n > 0 && z[0] == 'n'; }

/*
** The span of column iCol's value: the first of its paths that holds a
** non-null value (else a null one, else none). SQLITE_OK with *pn = -1
** when absent.
*/
static int ev_span(ev_row *r, int iCol, const char **pz, int *pn) {
  const char *zNull = 0;
  int nNull = -1;
  *pn = -1;
  for (int a = 0; a < 3 && sch_events[iCol].azPath[a]; a++) {
    int t = aColTop[iCol][a];
    if (t < 0 || r->aTopVal[t] < 0) continue;
    const char *z = r->z + r->aTopVal[t];
    int n = r->aTopLen[t];
    const char *zRest = azColRest[iCol][a];
    if (zRest[0]) {
      if (z[0] != '{') continue;
      pj_doc *d = &r->aDoc[t];
      if (r->aDocGen[t] != r->gen) {
        int rc = pj_parse(d, z, (size_t)n);
        if (rc) return rc == SQLITE_NOMEM ? rc : SQLITE_ERROR;
        r->aDocGen[t] = r->gen;
      }
      int i = pj_path(d, 0, zRest);
      if (i < 0) continue;
      const jsmntok_t *tok = &d->aTok[i];
      int s0 = tok->start, e0 = tok->end;
      if (tok->type == JSMN_STRING) s0--, e0++;
      z = d->z + s0;
      n = e0 - s0;
    }
    if (!ev_is_null(z, n)) {
      *pz = z;
      *pn = n;
      return SQLITE_OK;
    }
    if (!zNull) {
      zNull = z;
      nNull = n;
    }
  }
  if (zNull) {
    *pz = zNull;
    *pn = nNull;
  }
  return SQLITE_OK;
}

/* JSON text z[0..n) as TEXT, without insignificant whitespace. */
static int ev_json_text(ev_row *r, const char *z, int n, pv_value *pOut) {
  pOut->eType = SQLITE_TEXT;
  pOut->z = z;
  pOut->n = n;
  if (n > 0 && (z[0] == '{' || z[0] == '[')) {
    if (ev_scratch(r, (size_t)n)) return SQLITE_NOMEM;
    pOut->n = pj_minify(z, (size_t)n, r->zScratch);
    pOut->z = r->zScratch;
  }
  return SQLITE_OK;
}

/* An integral JSON number z[0..n) as int64. */
static int ev_text_int64(const char *z, int n, sqlite3_int64 *pOut) {
  int k = 0, neg = 0;
  sqlite3_uint64 v = 0;
  if (n > 0 && z[0] == '-') neg = k = 1;
  if (k >= n || n - k > 19) return 0;
  for (; k < n; k++) {
    if (z[k] < '0' || z[k] > '9') return 0;
    v = v * 10 + (sqlite3_uint64)(z[k] - '0');
  }
  if (v > (neg ? 9223372036854775808ULL : 9223372036854775807ULL)) return 0;
  *pOut = neg ? (sqlite3_int64)(0 - v) : (sqlite3_int64)v;
  return 1;
}

int ev_row_value(ev_row *r, int iCol, pv_value *pOut) {
  memset(pOut, 0, sizeof(*pOut));
  pOut->eType = SQLITE_NULL;
  int eKind = sch_events[iCol].eKind;
  if (eKind == SCH_RAW) return ev_json_text(r, r->z, (int)r->n, pOut);
  const char *z;
  int n;
  int rc = ev_span(r, iCol, &z, &n);
  if (rc) {
    r->zErr = "the value could not be tokenised";
    return rc;
  }
  if (n < 0 || ev_is_null(z, n)) return SQLITE_OK;
  if (eKind == SCH_JSON) return ev_json_text(r, z, n, pOut);
  if (z[0] == '"') {
    z++;
    n -= 2;
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
  if (eKind == SCH_INT && ev_text_int64(z, n, &pOut->i)) {
    pOut->eType = SQLITE_INTEGER;
    return SQLITE_OK;
  }
  /* an unexpected type: its JSON text */
  return ev_json_text(r, z, n, pOut);
}

int ev_row_column_fn(void *pRow, int iCol, pv_value *pOut) {
  return ev_row_value((ev_row *)pRow, iCol, pOut);
}

sqlite3_int64 ev_row_rowid(ev_row *r) {
  pv_value v;
  sqlite3_uint64 h;
  /* the id as SQL sees it (unescaped), so an UPDATE can check it */
  if (ev_row_value(r, EV_COLUMN_ID, &v) == SQLITE_OK && v.eType == SQLITE_TEXT) {
    h = pj_hash64(v.z, (size_t)v.n);
  } else {
    h = pj_hash64(r->z, r->n);
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
  for (int t = 0; t < EV_NTOP; t++) pj_doc_free(&r->aDoc[t]);
  sqlite3_free(r->zScratch);
  r->zScratch = 0;
  r->nScratch = 0;
}

/*
** event_row.c: read the columns of one event (see event_row.h).
** Calls: schema.c (the catalogue of paths) and json.h's text walkers; used by
** the sources and events.c.
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
/* The members of each name length (at most 4 share one), each list ending in -1. */
#define EV_MAX_KEYLEN 32
static signed char aByLen[EV_MAX_KEYLEN][5];

/* For each column and alternative path: the top-level slot and the rest of the path. */
static int aColTop[EV_NCOLUMN][3];
static const char *azColRest[EV_NCOLUMN][3];
static pthread_once_t evOnce = PTHREAD_ONCE_INIT;

static void ev_init_paths(void) {
  memset(aByLen, -1, sizeof(aByLen));
  for (int t = 0; t < EV_NTOP; t++) {
    anTop[t] = (int)strlen(azTop[t]);
    signed char *p = aByLen[anTop[t]];
    while (*p >= 0) p++;
    *p = (signed char)t;
  }
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

/* Note member *pm if it is one we read (the first of a duplicated name wins). */
static void ev_row_index(ev_row *r, const pj_member *pm) {
  const char *zKey = r->z + pm->iKey;
  if (pm->nKey <= 0 || pm->nKey >= EV_MAX_KEYLEN) return;
  for (const signed char *p = aByLen[pm->nKey]; *p >= 0; p++) {
    int t = *p;
    if (zKey[0] == azTop[t][0] && memcmp(zKey, azTop[t], (size_t)pm->nKey) == 0) {
      if (r->aTopVal[t] < 0) {
        r->aTopVal[t] = pm->iVal;
        r->aTopLen[t] = pm->nVal;
      }
      return;
    }
  }
}

int ev_row_load(ev_row *r, const char *z, size_t n, const pj_member *aMember, int nMember) {
  pthread_once(&evOnce, ev_init_paths);
  r->z = z;
  r->n = n;
  for (int t = 0; t < EV_NTOP; t++) r->aTopVal[t] = -1;
  if (!aMember || nMember < 0) {
    size_t end = 0, errOff = 0;
    const char *zWhy = 0;
    if (pj_value_members(z, n, &end, &errOff, &zWhy, r->aMember, &nMember) != PJ_OK) return SQLITE_MISMATCH;
    aMember = r->aMember;
    if (nMember < 0) {
      /* not an object, or too many members to index: walk them all */
      size_t i = pj_skip_ws(z, n, 0);
      pj_member m;
      if (i >= n || z[i] != '{') return SQLITE_MISMATCH;
      while (pj_text_next_member(z, n, &i, &m)) ev_row_index(r, &m);
      return SQLITE_OK;
    }
  }
  for (int m = 0; m < nMember; m++) ev_row_index(r, &aMember[m]);
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
      size_t off, len;
      if (z[0] != '{' || !pj_text_path(z, (size_t)n, zRest, &off, &len)) continue;
      z += off;
      n = (int)len;
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
    size_t w = pj_text_first_ws(z, (size_t)n); /* compact text is used as it is */
    if (w < (size_t)n) {
      if (ev_scratch(r, (size_t)n)) return SQLITE_NOMEM;
      memcpy(r->zScratch, z, w);
      pOut->n = (int)w + pj_minify(z + w, (size_t)n - w, r->zScratch + w);
      pOut->z = r->zScratch;
    }
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
  sqlite3_free(r->zScratch);
  r->zScratch = 0;
  r->nScratch = 0;
}

/*
** http_error.c: the text of a failed request (see http_error.h).
**
** How it works: an answer's body is read as Graph's error object
** (error.code, error.message, innerError.request-id) or OAuth's (error,
** error_description), else shown as its first bytes. Everything the
** server sent is made printable, masked (the token and secrets through
** the connection's credential hook, the password and secret members of
** the request body as written and unescaped, even when the server echoes
** them) and only then cut, so a cut never leaves part of a secret. Calls
** http_url.h (printable text), trust.h and json.h; reads the types of
** http.h, never calls into http.c.
*/
#include "http_error.h"

#include <string.h>

#include "json.h"
#include "trust.h"

SQLITE_EXTENSION_INIT3

/* z with every occurrence of zS replaced by zMask (z is freed; NULL when out of memory). */
static char *replace_all(char *z, const char *zS, const char *zMask) {
  size_t nS = strlen(zS);
  char *p;
  if (!z || nS == 0 || !strstr(z, zS)) return z;
  sqlite3_str *m = sqlite3_str_new(0);
  const char *q = z;
  while ((p = strstr(q, zS)) != 0) {
    sqlite3_str_append(m, q, (int)(p - q));
    sqlite3_str_appendall(m, zMask);
    q = p + nS;
  }
  sqlite3_str_appendall(m, q);
  sqlite3_free(z);
  return sqlite3_str_finish(m);
}

/*
** z with zS replaced by ********, both as it is and as url_append_clean()
** writes it into a message (a non-ASCII password comes out as '?'s there).
*/
static char *mask_value(char *z, const char *zS) {
  z = replace_all(z, zS, "********");
  sqlite3_str *m = sqlite3_str_new(0);
  url_append_clean(m, zS, strlen(zS));
  char *zClean = sqlite3_str_finish(m);
  if (!zClean) {
    sqlite3_free(z);
    return 0;
  }
  if (strcmp(zClean, zS) != 0) z = replace_all(z, zClean, "********");
  sqlite3_free(zClean);
  return z;
}

/*
** Replace, in z, every password or secret a JSON request body carries: the
** string value of each member whose name holds "password" or "secret"
** (any case), as written in the body and unescaped. A server that echoes
** the body in its error ("Invalid password '...'") must not put it in an
** error message or a trace line. z is freed; NULL when out of memory.
*/
static char *redact_body(const char *zBody, char *z) {
  if (!z || !zBody) return z;
  size_t n = strlen(zBody), end = 0, errOff = 0;
  const char *zWhy;
  if (pj_value_end(zBody, n, &end, &errOff, &zWhy) != PJ_OK) return z; /* not JSON (a form body) */
  pj_doc d;
  memset(&d, 0, sizeof(d));
  int rc = pj_parse(&d, zBody, n);
  if (rc) {
    pj_doc_free(&d);
    if (rc != SQLITE_NOMEM) return z;
    sqlite3_free(z);
    return 0;
  }
  for (int i = 1; i + 1 < d.nTok && z; i++) {
    const jsmntok_t *k = &d.aTok[i];
    if (k->type != JSMN_STRING || k->parent < 0 || d.aTok[k->parent].type != JSMN_OBJECT) continue;
    int nKey = k->end - k->start, bSecret = 0;
    for (int j = 0; j + 6 <= nKey && !bSecret; j++) {
      bSecret = sqlite3_strnicmp(zBody + k->start + j, "secret", 6) == 0 ||
                (j + 8 <= nKey && sqlite3_strnicmp(zBody + k->start + j, "password", 8) == 0);
    }
    const jsmntok_t *v = &d.aTok[i + 1];
    if (!bSecret || v->type != JSMN_STRING || v->end <= v->start) continue;
    int nV = v->end - v->start;
    char *zRaw = sqlite3_mprintf("%.*s", nV, zBody + v->start);
    char *zPlain = sqlite3_malloc64((sqlite3_uint64)nV + 1);
    int nPlain = zPlain ? pj_unescape(zBody + v->start, (size_t)nV, zPlain, 0) : -1;
    if (!zRaw || !zPlain) {
      sqlite3_free(z);
      z = 0;
    } else {
      if (nPlain > 0) {
        zPlain[nPlain] = 0;
        z = mask_value(z, zPlain);
      }
      z = mask_value(z, zRaw);
    }
    sqlite3_free(zRaw);
    sqlite3_free(zPlain);
  }
  pj_doc_free(&d);
  return z;
}


char *http_error_mask(http_req *r, char *z) { return redact_body(r->zBody, http_mask(r->pConn, z)); }

/*
** Append z[0..n) as url_append_clean() does, with every secret masked first and
** only then cut to nMax characters: a cut never leaves part of a secret.
*/
static void append_masked(sqlite3_str *m, http_req *r, const char *z, size_t n, size_t nMax) {
  size_t nIn = n > nMax + 70000 ? nMax + 70000 : n; /* the longest token (64 KiB) is still whole */
  sqlite3_str *t = sqlite3_str_new(0);
  url_append_clean(t, z, nIn);
  char *zT = http_error_mask(r, sqlite3_str_finish(t));
  if (!zT) return;
  size_t k = strlen(zT);
  sqlite3_str_append(m, zT, (int)(k > nMax ? nMax : k));
  trust_wipe(zT, k);
  sqlite3_free(zT);
}

/* Append Graph's (or the token endpoint's) error details from the body. */
void http_error_append(sqlite3_str *m, http_req *r) {
  const char *zCode = 0, *zMsg = 0, *zId = 0;
  int nCode = 0, nMsg = 0, nId = 0;
  pj_doc d;
  memset(&d, 0, sizeof(d));
  int bJson = 0;
  if (r->zResp && r->nResp > 0) {
    size_t end, errOff;
    const char *zWhy;
    size_t i0 = pj_skip_ws(r->zResp, r->nResp, 0);
    if (i0 < r->nResp && r->zResp[i0] == '{' &&
        pj_value_end(r->zResp, r->nResp, &end, &errOff, &zWhy) == PJ_OK &&
        pj_parse(&d, r->zResp, r->nResp) == SQLITE_OK && d.nTok > 0 && d.aTok[0].type == JSMN_OBJECT) {
      bJson = 1;
      int iErr = pj_find(&d, 0, "error", 5);
      int i;
      if (iErr >= 0 && d.aTok[iErr].type == JSMN_OBJECT) {
        if ((i = pj_find(&d, iErr, "code", 4)) >= 0 && d.aTok[i].type == JSMN_STRING) {
          zCode = d.z + d.aTok[i].start;
          nCode = d.aTok[i].end - d.aTok[i].start;
        }
        if ((i = pj_find(&d, iErr, "message", 7)) >= 0 && d.aTok[i].type == JSMN_STRING) {
          zMsg = d.z + d.aTok[i].start;
          nMsg = d.aTok[i].end - d.aTok[i].start;
        }
        int iInner = pj_find(&d, iErr, "innerError", 10);
        if (iInner < 0) iInner = pj_find(&d, iErr, "innererror", 10);
        if (iInner >= 0 && (i = pj_find(&d, iInner, "request-id", 10)) >= 0 && d.aTok[i].type == JSMN_STRING) {
          zId = d.z + d.aTok[i].start;
          nId = d.aTok[i].end - d.aTok[i].start;
        }
      } else if (iErr >= 0 && d.aTok[iErr].type == JSMN_STRING) { /* OAuth: error, error_description */
        zCode = d.z + d.aTok[iErr].start;
        nCode = d.aTok[iErr].end - d.aTok[iErr].start;
        if ((i = pj_find(&d, 0, "error_description", 17)) >= 0 && d.aTok[i].type == JSMN_STRING) {
          zMsg = d.z + d.aTok[i].start;
          nMsg = d.aTok[i].end - d.aTok[i].start;
        }
      }
    }
  }
  sqlite3_str_appendf(m, "HTTP %ld", r->iStatus);
  if (zCode && nCode > 0) {
    sqlite3_str_appendchar(m, 1, ' ');
    append_masked(m, r, zCode, (size_t)nCode, 100);
  }
  if (zMsg && nMsg > 0) {
    sqlite3_str_appendall(m, ": ");
    append_masked(m, r, zMsg, (size_t)nMsg, 500);
  } else if (!bJson && r->zResp && r->nResp > 0) {
    sqlite3_str_appendall(m, ": ");
    append_masked(m, r, r->zResp, r->nResp, 200);
  }
  if (zId && nId > 0) {
    sqlite3_str_appendall(m, " (request-id ");
    append_masked(m, r, zId, (size_t)nId, 100);
    sqlite3_str_appendchar(m, 1, ')');
  } else if (r->zReqId[0]) {
    sqlite3_str_appendall(m, " (request-id ");
    url_append_clean(m, r->zReqId, strlen(r->zReqId));
    sqlite3_str_appendchar(m, 1, ')');
  }
  pj_doc_free(&d);
}

/* "on GET /path?query" */
void http_error_where(sqlite3_str *m, http_req *r) {
  sqlite3_str_appendf(m, " on %s ", r->zMethod);
  char *zShow = trust_url_masked(url_path(r->zUrl)); /* no access_token=, sig=... values */
  if (zShow) url_append_clean(m, zShow, strlen(zShow));
  sqlite3_free(zShow);
}


/*
** page_check.c: paging that always ends (see page_check.h).
**
** Usage (source_http.c, once per scan):
**   pc_add(&scan, zFirstUrl, 1);
**   ... for each page: pc_peek(zBody, nBody, &nRec, &zPeekLink);
**   ... at the end of page k, holding n records, whose nextLink is zNext:
**   if (pc_follow(&scan, "provisioning_events", k, n, zNext, &zErr)) fail;
**
** How it works: a URL is normalised (scheme and host in lower case, the
** fragment dropped, %-escapes of unreserved characters and of '$' decoded,
** other escapes in upper case, empty query parameters dropped and the rest
** sorted), then kept as a 64-bit hash in an open-addressing set with the
** page it was requested for. Graph's nextLinks differ in $skiptoken, so a
** repeat is a server that pages in a cycle. pc_peek() is a light pass
** over a page, without validation, to aim the prefetch. Calls only SQLite
** and json.h (the hash, whitespace and unescaping).
*/
#include "page_check.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

SQLITE_EXTENSION_INIT3

static int pc_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* z[0..n) with %-escapes in one form: plain characters decoded, the rest in upper case. */
static void pc_append_escaped(sqlite3_str *m, const char *z, size_t n, int bLower) {
  for (size_t i = 0; i < n; i++) {
    char c = z[i];
    if (c == '%' && i + 2 < n && pc_hex(z[i + 1]) >= 0 && pc_hex(z[i + 2]) >= 0) {
      int v = pc_hex(z[i + 1]) * 16 + pc_hex(z[i + 2]);
      if ((v >= 'A' && v <= 'Z') || (v >= 'a' && v <= 'z') || (v >= '0' && v <= '9') || v == '-' || v == '.' ||
          v == '_' || v == '~' || v == '$') {
        c = (char)v;
      } else {
        sqlite3_str_appendf(m, "%%%02X", v);
        i += 2;
        continue;
      }
      i += 2;
    }
    if (bLower && c >= 'A' && c <= 'Z') c = (char)(c + 32);
    sqlite3_str_appendchar(m, 1, c);
  }
}

static int pc_strcmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char *pc_normal(const char *zUrl) {
  size_t n = strcspn(zUrl, "#");
  const char *zQ = memchr(zUrl, '?', n);
  size_t nBase = zQ ? (size_t)(zQ - zUrl) : n;
  const char *zSep = strstr(zUrl, "://");
  size_t nAuth = 0; /* scheme://authority, lower-cased */
  if (zSep && (size_t)(zSep - zUrl) < nBase) {
    nAuth = (size_t)(zSep - zUrl) + 3;
    while (nAuth < nBase && zUrl[nAuth] != '/') nAuth++;
  }
  sqlite3_str *m = sqlite3_str_new(0);
  pc_append_escaped(m, zUrl, nAuth, 1);
  pc_append_escaped(m, zUrl + nAuth, nBase - nAuth, 0);
  if (zQ) {
    /* the query's parameters, each normalised, empty ones dropped, sorted */
    const char *zEnd = zUrl + n, *p = zQ + 1;
    int nParam = 0, nAlloc = 0;
    char **az = 0;
    int bOom = 0;
    while (p <= zEnd && !bOom) {
      const char *e = memchr(p, '&', (size_t)(zEnd - p));
      if (!e) e = zEnd;
      if (e > p) {
        sqlite3_str *one = sqlite3_str_new(0);
        pc_append_escaped(one, p, (size_t)(e - p), 0);
        char *zOne = sqlite3_str_finish(one);
        if (zOne && nParam >= nAlloc) {
          int nNew = nAlloc ? nAlloc * 2 : 16;
          char **azNew = sqlite3_realloc64(az, sizeof(char *) * (sqlite3_uint64)nNew);
          if (!azNew) {
            sqlite3_free(zOne);
            zOne = 0;
          } else {
            az = azNew;
            nAlloc = nNew;
          }
        }
        if (!zOne) bOom = 1;
        else az[nParam++] = zOne;
      }
      p = e + 1;
    }
    if (nParam > 1) qsort(az, (size_t)nParam, sizeof(char *), pc_strcmp);
    for (int i = 0; i < nParam; i++) {
      sqlite3_str_appendall(m, i ? "&" : "?");
      sqlite3_str_appendall(m, az[i]);
      sqlite3_free(az[i]);
    }
    sqlite3_free(az);
    if (bOom) {
      sqlite3_free(sqlite3_str_finish(m));
      return 0;
    }
  }
  return sqlite3_str_finish(m);
}

/* The hash of zUrl's normal form (never 0), or 0 when out of memory. */
static sqlite3_uint64 pc_hash(const char *zUrl) {
  char *z = pc_normal(zUrl);
  if (!z) return 0;
  sqlite3_uint64 h = pj_hash64(z, strlen(z));
  sqlite3_free(z);
  return h ? h : 1;
}

static int pc_slot(const pc_scan *p, sqlite3_uint64 h) {
  int i = (int)(h % (sqlite3_uint64)p->nSlot);
  while (p->aHash[i] && p->aHash[i] != h) i = (i + 1) % p->nSlot;
  return i;
}

static int pc_insert(pc_scan *p, sqlite3_uint64 h, int iPage) {
  if ((p->nUsed + 1) * 2 > p->nSlot) {
    int nNew = p->nSlot ? p->nSlot * 2 : 64;
    sqlite3_uint64 *aH = sqlite3_malloc64(sizeof(*aH) * (sqlite3_uint64)nNew);
    int *aP = sqlite3_malloc64(sizeof(*aP) * (sqlite3_uint64)nNew);
    if (!aH || !aP) {
      sqlite3_free(aH);
      sqlite3_free(aP);
      return SQLITE_NOMEM;
    }
    memset(aH, 0, sizeof(*aH) * (size_t)nNew);
    pc_scan q = {aH, aP, nNew, 0, p->nEmpty};
    for (int i = 0; i < p->nSlot; i++) {
      if (!p->aHash[i]) continue;
      int k = pc_slot(&q, p->aHash[i]);
      q.aHash[k] = p->aHash[i];
      q.aPage[k] = p->aPage[i];
      q.nUsed++;
    }
    sqlite3_free(p->aHash);
    sqlite3_free(p->aPage);
    *p = q;
  }
  int k = pc_slot(p, h);
  if (!p->aHash[k]) {
    p->aHash[k] = h;
    p->aPage[k] = iPage;
    p->nUsed++;
  }
  return SQLITE_OK;
}

int pc_add(pc_scan *p, const char *zUrl, int iPage) {
  sqlite3_uint64 h = pc_hash(zUrl);
  return h ? pc_insert(p, h, iPage) : SQLITE_NOMEM;
}

int pc_seen(pc_scan *p, const char *zUrl) {
  sqlite3_uint64 h = pc_hash(zUrl);
  if (!h) return -1;
  if (!p->nSlot) return 0;
  int k = pc_slot(p, h);
  return p->aHash[k] ? p->aPage[k] : 0;
}

int pc_follow(pc_scan *p, const char *zWho, int iPage, sqlite3_int64 nRec, const char *zNext, char **pzErr) {
  sqlite3_uint64 h = pc_hash(zNext);
  if (!h) return SQLITE_NOMEM;
  int k = p->nSlot ? pc_slot(p, h) : -1;
  if (k >= 0 && p->aHash[k]) {
    int iPrev = p->aPage[k];
    if (iPrev == iPage) {
      *pzErr = sqlite3_mprintf("%s: page %d links to itself (@odata.nextLink loop; the same URL, its query "
                               "parameters in another order or with an extra '&'): the server pages in a cycle",
                               zWho, iPage);
    } else {
      *pzErr = sqlite3_mprintf("%s: the @odata.nextLink of page %d repeats the URL of page %d (@odata.nextLink "
                               "cycle): the server pages in a cycle, so the scan stops rather than repeat rows",
                               zWho, iPage, iPrev);
    }
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  p->nEmpty = nRec == 0 ? p->nEmpty + 1 : 0;
  if (p->nEmpty >= PC_MAX_EMPTY) {
    *pzErr = sqlite3_mprintf("%s: %d pages in a row (pages %d to %d) held no record but linked to another page: "
                             "the scan stops rather than page for ever",
                             zWho, p->nEmpty, iPage - p->nEmpty + 1, iPage);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return pc_insert(p, h, iPage + 1);
}

/* ------------------------------------------------------------------ */
/* A light pass over a page                                             */

static size_t pc_scan_str(const char *z, size_t n, size_t i) {
  for (i++; i < n; i++) {
    if (z[i] == '\\') i++;
    else if (z[i] == '"') return i + 1;
  }
  return n;
}

/* Skip the value at z[i]; when pnElem is set and it is an array, count elements. */
static size_t pc_scan_value(const char *z, size_t n, size_t i, sqlite3_int64 *pnElem) {
  if (i >= n) return n;
  if (z[i] == '"') return pc_scan_str(z, n, i);
  if (z[i] != '{' && z[i] != '[') {
    while (i < n && !strchr(",}] \t\r\n", z[i])) i++;
    return i;
  }
  if (pnElem) {
    size_t j = pj_skip_ws(z, n, i + 1);
    *pnElem = (z[i] == '[' && j < n && z[j] != ']') ? 1 : 0;
  }
  int depth = 0;
  int bArr = z[i] == '[';
  while (i < n) {
    char c = z[i];
    if (c == '"') {
      i = pc_scan_str(z, n, i);
      continue;
    }
    if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    } else if (c == ',' && depth == 1 && bArr && pnElem) {
      (*pnElem)++;
    }
    i++;
  }
  return n;
}

void pc_peek(const char *z, size_t n, sqlite3_int64 *pnRec, char **pzLink) {
  *pnRec = -1;
  size_t i = pj_skip_ws(z, n, 0);
  if (i >= n || z[i] != '{') return;
  i++;
  sqlite3_int64 nRec = -1;
  for (;;) {
    i = pj_skip_ws(z, n, i);
    if (i >= n) return;
    if (z[i] == '}') break;
    if (z[i] == ',') {
      i++;
      continue;
    }
    if (z[i] != '"') return;
    size_t k0 = i + 1, k1 = pc_scan_str(z, n, i);
    if (k1 >= n) return;
    size_t nKey = k1 - 1 - k0;
    i = pj_skip_ws(z, n, k1);
    if (i >= n || z[i] != ':') return;
    i = pj_skip_ws(z, n, i + 1);
    if (i >= n) return;
    if (nKey == 5 && memcmp(z + k0, "value", 5) == 0 && z[i] == '[') {
      i = pc_scan_value(z, n, i, &nRec);
    } else if (nKey == 15 && memcmp(z + k0, "@odata.nextLink", 15) == 0 && z[i] == '"') {
      size_t e = pc_scan_str(z, n, i);
      if (e >= n || e < i + 2) return;
      size_t nRaw = e - i - 2;
      char *zL = sqlite3_malloc64(nRaw + 1);
      if (!zL) return;
      int nOut = pj_unescape(z + i + 1, nRaw, zL, 0);
      if (nOut < 0) {
        sqlite3_free(zL);
        return;
      }
      zL[nOut] = 0;
      sqlite3_free(*pzLink);
      *pzLink = zL;
      i = e;
    } else {
      i = pc_scan_value(z, n, i, 0);
    }
  }
  *pnRec = nRec;
}


void pc_free(pc_scan *p) {
  sqlite3_free(p->aHash);
  sqlite3_free(p->aPage);
  memset(p, 0, sizeof(*p));
}

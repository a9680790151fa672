/*
** records.c: split a JSON text into records, one object at a time. See
** records.h for the accepted shapes.
**
** How it works: a small state machine walks the outer structure (top
** level, page object members, the "value" array) one JSON value at a time,
** validating each with pj_value_end(). Each step starts at p->iPos and
** commits only on success, so when a value runs past the end of the
** buffer (PJ_MORE) the buffer is compacted, refilled and the step is
** retried. The buffer keeps only the bytes from the start of the pending
** value (or of an undecided top-level object that may turn out to be a
** record), so memory is bounded by the largest record, not the input.
** Calls: json.c (validation) only; used by source_file.c and source_http.c.
*/
#include "records.h"

#include <string.h>

#include "json.h"

SQLITE_EXTENSION_INIT3

#define REC_CHUNK (1024 * 1024)
#define REC_NONE ((size_t)-1)

enum {
  ST_TOP,          /* between top-level values */
  ST_OBJ_FIRST,    /* in a top-level object: key or '}' */
  ST_OBJ_KEY,      /* after ',' in a top-level object: key */
  ST_OBJ_AFTER,    /* after a member value: ',' or '}' */
  ST_ARR_FIRST,    /* in a record array: element or ']' */
  ST_ARR_ELEM,     /* after ',' in a record array: element */
  ST_ARR_AFTER     /* after an element: ',' or ']' */
};

struct rec_splitter {
  char *zName;
  rec_read_fn xRead;
  void *pArg;
  char *aBuf;
  size_t nAlloc;
  size_t nData;
  size_t iPos;
  int bEof;
  int bOwnBuf;
  sqlite3_int64 iBase; /* input offset of aBuf[0] */
  int nLineBase;       /* newlines before aBuf[0] */
  sqlite3_int64 iLastNl; /* input offset just past the last newline before aBuf[0] */
  int eState;
  int bPage;           /* the open top-level object is a page */
  size_t iObjStart;    /* start of an undecided top-level object, or REC_NONE */
  int bSeenValue;      /* any top-level value seen */
  sqlite3_int64 nElem; /* elements of the current array */
  char *zNextLink;
  int nPages;
  int bPageOnly;       /* rec_set_page_only(): exactly one Graph page */
  pj_member aMember[PJ_MAX_MEMBERS]; /* of the record last returned */
  int nMember;                       /* -1: unknown */
};

int rec_open(rec_splitter **pp, const char *zName, rec_read_fn xRead,
             void *pArg, const char *z, size_t n) {
  rec_splitter *p = sqlite3_malloc64(sizeof(*p));
  *pp = 0;
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->zName = sqlite3_mprintf("%s", zName);
  if (!p->zName) {
    sqlite3_free(p);
    return SQLITE_NOMEM;
  }
  p->xRead = xRead;
  p->pArg = pArg;
  p->iObjStart = REC_NONE;
  if (xRead) {
    p->aBuf = sqlite3_malloc64(REC_CHUNK);
    if (!p->aBuf) {
      rec_close(p);
      return SQLITE_NOMEM;
    }
    p->nAlloc = REC_CHUNK;
    p->bOwnBuf = 1;
  } else {
    p->aBuf = (char *)z;
    p->nData = p->nAlloc = n;
    p->bEof = 1;
  }
  *pp = p;
  return SQLITE_OK;
}

void rec_close(rec_splitter *p) {
  if (!p) return;
  if (p->bOwnBuf) sqlite3_free(p->aBuf);
  sqlite3_free(p->zName);
  sqlite3_free(p->zNextLink);
  sqlite3_free(p);
}

const char *rec_next_link(rec_splitter *p) { return p->zNextLink; }

void rec_set_page_only(rec_splitter *p) {
  if (p) p->bPageOnly = 1;
}

/* What the JSON value starting with byte c is, for messages. */
static const char *rec_kind(char c) {
  switch (c) {
    case '{': return "an object";
    case '[': return "an array";
    case '"': return "a string";
    case 't': case 'f': return "a boolean";
    case 'n': return "null";
    default: return "a number";
  }
}

/*
** The input is not a Graph page (or a page's "value" is not an array):
** the reason at buffer offset off, its line and column, and the first
** bytes of the object it is in (printable ASCII; others become '?').
*/
static int rec_shape_error(rec_splitter *p, size_t off, const char *zWhy, char **pzErr) {
  int line = p->nLineBase + 1;
  sqlite3_int64 lineStart = p->iLastNl;
  for (size_t i = 0; i < off && i < p->nData; i++) {
    if (p->aBuf[i] == '\n') {
      line++;
      lineStart = p->iBase + (sqlite3_int64)i + 1;
    }
  }
  size_t from = p->iObjStart != REC_NONE && p->iObjStart <= off ? p->iObjStart : (p->xRead ? off : 0);
  int bCut = p->nData - from > 80;
  size_t n = bCut ? 80 : p->nData - from;
  while (!bCut && n > 0 && (p->aBuf[from + n - 1] == '\n' || p->aBuf[from + n - 1] == '\r' ||
                            p->aBuf[from + n - 1] == ' ' || p->aBuf[from + n - 1] == '\t')) {
    n--;
  }
  sqlite3_str *m = sqlite3_str_new(0);
  sqlite3_str_appendf(m, "%s: not a Graph page at line %d, column %lld: %s (received: ", p->zName, line,
                      p->iBase + (sqlite3_int64)off - lineStart + 1, zWhy);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p->aBuf[from + i];
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    sqlite3_str_appendchar(m, 1, (c >= 0x20 && c < 0x7f) ? (char)c : '?');
  }
  sqlite3_str_appendall(m, bCut ? "...)" : ")");
  *pzErr = sqlite3_str_finish(m);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

const pj_member *rec_members(rec_splitter *p, int *pn) {
  *pn = p->nMember;
  return p->aMember;
}
int rec_pages(rec_splitter *p) { return p->nPages; }

/* Error at buffer offset off. */
static int rec_error(rec_splitter *p, size_t off, const char *zWhy, char **pzErr) {
  int line = p->nLineBase + 1;
  sqlite3_int64 lineStart = p->iLastNl;
  for (size_t i = 0; i < off && i < p->nData; i++) {
    if (p->aBuf[i] == '\n') {
      line++;
      lineStart = p->iBase + (sqlite3_int64)i + 1;
    }
  }
  sqlite3_int64 col = p->iBase + (sqlite3_int64)off - lineStart + 1;
  *pzErr = sqlite3_mprintf("%s: malformed JSON at line %d, column %lld: %s", p->zName,
                           line, col, zWhy);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/*
** More input. Keeps bytes from offset keep on (everything before is
** dropped; offsets shift by keep). Returns SQLITE_OK when bytes were
** added, SQLITE_DONE at end of input, or an error.
*/
static int rec_fill(rec_splitter *p, size_t keep, char **pzErr) {
  if (p->bEof) return SQLITE_DONE;
  if (keep > 0) {
    /* count the lines dropped, for error positions (memchr is fast) */
    const char *z = p->aBuf, *zEnd = p->aBuf + keep;
    while ((z = memchr(z, '\n', (size_t)(zEnd - z))) != 0) {
      p->nLineBase++;
      z++;
      p->iLastNl = p->iBase + (sqlite3_int64)(z - p->aBuf);
    }
    memmove(p->aBuf, p->aBuf + keep, p->nData - keep);
    p->nData -= keep;
    p->iBase += (sqlite3_int64)keep;
    p->iPos -= keep;
    if (p->iObjStart != REC_NONE) p->iObjStart -= keep;
  }
  if (p->nAlloc - p->nData < REC_CHUNK / 2) {
    if (p->nData > REC_MAX_OBJECT) {
      *pzErr = sqlite3_mprintf("%s: a JSON object larger than %d bytes at offset %lld",
                               p->zName, REC_MAX_OBJECT, p->iBase);
      return SQLITE_TOOBIG;
    }
    size_t nNew = p->nAlloc * 2;
    char *aNew = sqlite3_realloc64(p->aBuf, nNew);
    if (!aNew) return SQLITE_NOMEM;
    p->aBuf = aNew;
    p->nAlloc = nNew;
  }
  long got = p->xRead(p->pArg, p->aBuf + p->nData, p->nAlloc - p->nData, pzErr);
  if (got < 0) return SQLITE_IOERR;
  if (got == 0) {
    p->bEof = 1;
    return SQLITE_DONE;
  }
  p->nData += (size_t)got;
  return SQLITE_OK;
}

static size_t rec_keep_from(rec_splitter *p) {
  return p->iObjStart != REC_NONE && p->iObjStart < p->iPos ? p->iObjStart : p->iPos;
}

/*
** Make sure a non-space byte is at p->iPos (skipping whitespace), reading
** more as needed. Returns SQLITE_OK, SQLITE_DONE (end of input) or an error.
*/
static int rec_peek(rec_splitter *p, char **pzErr) {
  for (;;) {
    p->iPos = pj_skip_ws(p->aBuf, p->nData, p->iPos);
    if (p->iPos < p->nData) return SQLITE_OK;
    int rc = rec_fill(p, rec_keep_from(p), pzErr);
    if (rc != SQLITE_OK) return rc;
  }
}

/*
** The JSON value at p->iPos: sets *pEnd (buffer offset past it). Reads
** more as needed.
*/
static int rec_value(rec_splitter *p, size_t *pEnd, int bMembers, char **pzErr) {
  for (;;) {
    size_t end = 0, errOff = 0;
    const char *zWhy = 0;
    int r = pj_value_members(p->aBuf + p->iPos, p->nData - p->iPos, &end, &errOff, &zWhy,
                             bMembers ? p->aMember : 0, bMembers ? &p->nMember : 0);
    /* a number running to the end of the buffer may go on in the next chunk */
    if (r == PJ_OK && (p->iPos + end < p->nData || p->bEof)) {
      *pEnd = p->iPos + end;
      return SQLITE_OK;
    }
    if (r == PJ_ERROR) return rec_error(p, p->iPos + errOff, zWhy, pzErr);
    int rc = rec_fill(p, rec_keep_from(p), pzErr);
    if (rc == SQLITE_DONE && r == PJ_OK) continue; /* at the end after all: the value is whole */
    if (rc == SQLITE_DONE) return rec_error(p, p->nData, "unexpected end of input (truncated?)", pzErr);
    if (rc != SQLITE_OK) return rc;
  }
}

static int rec_truncated(rec_splitter *p, int rc, char **pzErr) {
  if (rc == SQLITE_DONE) return rec_error(p, p->nData, "unexpected end of input (truncated?)", pzErr);
  return rc;
}

int rec_next(rec_splitter *p, const char **pz, size_t *pn, sqlite3_int64 *piOff,
             char **pzErr) {
  int rc;
  size_t end;
  for (;;) {
    switch (p->eState) {
      case ST_TOP:
        rc = rec_peek(p, pzErr);
        if (rc == SQLITE_DONE) {
          if (!p->bSeenValue) {
            *pzErr = sqlite3_mprintf("%s: empty input: no JSON value", p->zName);
            return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
          }
          return SQLITE_DONE;
        }
        if (rc) return rc;
        if (p->bPageOnly && (p->bSeenValue || p->aBuf[p->iPos] != '{')) {
          return rec_shape_error(p, p->iPos,
                                 p->bSeenValue ? "text after the page"
                                               : "expected a JSON object with a \"value\" array of records",
                                 pzErr);
        }
        p->bSeenValue = 1;
        if (p->aBuf[p->iPos] == '[') {
          p->iPos++;
          p->bPage = 0;
          p->nElem = 0;
          p->eState = ST_ARR_FIRST;
        } else if (p->aBuf[p->iPos] == '{') {
          p->iObjStart = p->iPos;
          p->iPos++;
          p->bPage = 0;
          p->nMember = 0;
          p->eState = ST_OBJ_FIRST;
        } else {
          return rec_error(p, p->iPos, "expected '{' or '[' at the top level", pzErr);
        }
        break;

      case ST_OBJ_FIRST:
      case ST_OBJ_KEY: {
        rc = rec_peek(p, pzErr);
        if (rc) return rec_truncated(p, rc, pzErr);
        char c = p->aBuf[p->iPos];
        if (c == '}' && p->eState == ST_OBJ_FIRST) {
          p->iPos++;
          goto object_closed;
        }
        if (c != '"') {
          return rec_error(p, p->iPos, c == '}' ? "trailing comma before '}'" : "expected a string key",
                           pzErr);
        }
        rc = rec_value(p, &end, 0, pzErr);
        if (rc) return rc;
        size_t iKey = p->iPos; /* after rec_value: offsets may have shifted */
        size_t iKeyRel = iKey - (p->iObjStart == REC_NONE ? iKey : p->iObjStart);
        size_t nKeyRel = end - iKey;
        /* key, then ':' and the start of the member value (restart at the key) */
        size_t iAfterKey = end;
        size_t iColon = pj_skip_ws(p->aBuf, p->nData, iAfterKey);
        size_t iVal = iColon < p->nData ? pj_skip_ws(p->aBuf, p->nData, iColon + 1) : p->nData;
        if (iVal >= p->nData) {
          rc = rec_fill(p, rec_keep_from(p), pzErr);
          if (rc) return rec_truncated(p, rc, pzErr);
          break; /* retry this state from the key */
        }
        if (p->aBuf[iColon] != ':') return rec_error(p, iColon, "expected ':' after key", pzErr);
        int bValueKey = (iAfterKey - iKey == 7 && memcmp(p->aBuf + iKey, "\"value\"", 7) == 0);
        int bLinkKey = (iAfterKey - iKey == 17 && memcmp(p->aBuf + iKey, "\"@odata.nextLink\"", 17) == 0);
        if (bValueKey && p->aBuf[iVal] != '[') {
          char zWhy[80];
          sqlite3_snprintf(sizeof(zWhy), zWhy, "\"value\" is %s, not an array of records", rec_kind(p->aBuf[iVal]));
          return rec_shape_error(p, iVal, zWhy, pzErr);
        }
        if (p->bPageOnly && iAfterKey - iKey == 7 && memcmp(p->aBuf + iKey, "\"error\"", 7) == 0) {
          return rec_shape_error(p, iKey, "the answer carries an \"error\" member", pzErr);
        }
        if (p->bPageOnly && bLinkKey && p->aBuf[iVal] != '"') {
          char zWhy[80];
          sqlite3_snprintf(sizeof(zWhy), zWhy, "@odata.nextLink is %s, not a URL string", rec_kind(p->aBuf[iVal]));
          return rec_shape_error(p, iVal, zWhy, pzErr);
        }
        if (bValueKey && p->aBuf[iVal] == '[' && !p->bPage) {
          /* a page: its elements are the records */
          p->bPage = 1;
          p->iObjStart = REC_NONE;
          p->nPages++;
          p->iPos = iVal + 1;
          p->nElem = 0;
          p->eState = ST_ARR_FIRST;
          break;
        }
        p->iPos = iVal;
        rc = rec_value(p, &end, 0, pzErr);
        if (rc) return rc;
        if (!p->bPage && p->iObjStart != REC_NONE) {
          /* the key is the 2nd-previous value: find it again from its end */
          if (p->nMember >= 0 && p->nMember < PJ_MAX_MEMBERS) {
            pj_member *m = &p->aMember[p->nMember];
            m->iKey = (int)(iKeyRel + 1);
            m->nKey = (int)nKeyRel - 2;
            m->iVal = (int)(p->iPos - p->iObjStart);
            m->nVal = (int)(end - p->iPos);
            p->nMember++;
          } else {
            p->nMember = -1;
          }
        }
        if (bLinkKey && p->aBuf[p->iPos] == '"') {
          size_t n = end - p->iPos - 2;
          char *z = sqlite3_malloc64(n + 1);
          if (!z) return SQLITE_NOMEM;
          int nOut = pj_unescape(p->aBuf + p->iPos + 1, n, z, 0);
          if (nOut < 0) {
            sqlite3_free(z);
            return rec_error(p, p->iPos, "invalid escape in @odata.nextLink", pzErr);
          }
          z[nOut] = 0;
          if (p->bPageOnly && nOut == 0) {
            sqlite3_free(z);
            return rec_shape_error(p, p->iPos, "@odata.nextLink is an empty string", pzErr);
          }
          sqlite3_free(p->zNextLink);
          p->zNextLink = z;
        }
        p->iPos = end;
        p->eState = ST_OBJ_AFTER;
        break;
      }

      case ST_OBJ_AFTER:
        rc = rec_peek(p, pzErr);
        if (rc) return rec_truncated(p, rc, pzErr);
        if (p->aBuf[p->iPos] == ',') {
          p->iPos++;
          p->eState = ST_OBJ_KEY;
          break;
        }
        if (p->aBuf[p->iPos] != '}') return rec_error(p, p->iPos, "expected ',' or '}'", pzErr);
        p->iPos++;
      object_closed:
        p->eState = ST_TOP;
        if (!p->bPage && p->bPageOnly) {
          return rec_shape_error(p, p->iPos - 1, "no \"value\" array of records", pzErr);
        }
        if (!p->bPage) {
          /* a top-level object that is not a page is itself a record */
          size_t start = p->iObjStart;
          p->iObjStart = REC_NONE;
          *pz = p->aBuf + start;
          *pn = p->iPos - start;
          if (piOff) *piOff = p->iBase + (sqlite3_int64)start;
          return SQLITE_ROW;
        }
        p->bPage = 0;
        break;

      case ST_ARR_FIRST:
      case ST_ARR_ELEM: {
        rc = rec_peek(p, pzErr);
        if (rc) return rec_truncated(p, rc, pzErr);
        char c = p->aBuf[p->iPos];
        if (c == ']' && p->eState == ST_ARR_FIRST) {
          p->iPos++;
          p->eState = p->bPage ? ST_OBJ_AFTER : ST_TOP;
          break;
        }
        if (c != '{') {
          char zWhy[96];
          if (c == ']') {
            sqlite3_snprintf(sizeof(zWhy), zWhy, "trailing comma before ']'");
          } else {
            sqlite3_snprintf(sizeof(zWhy), zWhy, "element %lld of the array is not an object",
                             p->nElem + 1);
          }
          /* validate first so that a syntax error is reported as such */
          if (c != ']') {
            rc = rec_value(p, &end, 0, pzErr);
            if (rc) return rc;
          }
          return rec_error(p, p->iPos, zWhy, pzErr);
        }
        rc = rec_value(p, &end, 1, pzErr);
        if (rc) return rc;
        size_t start = p->iPos;
        p->iPos = end;
        p->nElem++;
        p->eState = ST_ARR_AFTER;
        *pz = p->aBuf + start;
        *pn = end - start;
        if (piOff) *piOff = p->iBase + (sqlite3_int64)start;
        return SQLITE_ROW;
      }

      case ST_ARR_AFTER:
        rc = rec_peek(p, pzErr);
        if (rc) return rec_truncated(p, rc, pzErr);
        if (p->aBuf[p->iPos] == ',') {
          p->iPos++;
          p->eState = ST_ARR_ELEM;
          break;
        }
        if (p->aBuf[p->iPos] != ']') return rec_error(p, p->iPos, "expected ',' or ']'", pzErr);
        p->iPos++;
        p->eState = p->bPage ? ST_OBJ_AFTER : ST_TOP;
        break;
    }
  }
}

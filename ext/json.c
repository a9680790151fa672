/*
** json.c: strict JSON validation (pj_value_end), jsmn tokenising, the
** token helpers every module uses, and walkers over validated text. See
** json.h.
**
** How it works: pj_value_end() is a small state machine (a value, a key,
** or after a value is expected) with a bit stack for the open containers
** (1 = object, 0 = array), so it never recurses and needs no allocation;
** strings are scanned 16 bytes at a time (SSE2, else 8 in a word), and
** only where a byte >= 0x80 is seen is its UTF-8 sequence checked. It
** rejects everything RFC 8259 does (trailing commas, missing commas or
** colons, bad literals and numbers, control characters and bad escapes in
** strings) and invalid UTF-8 in strings (bad bytes, overlong forms,
** surrogates as raw bytes, code points above U+10FFFF). Validated text is then either handed to jsmn, whose own checks
** are much weaker, or walked without checks (pj_text_*: event columns).
*/
#define PROV_JSMN_IMPL
#include "json.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

SQLITE_EXTENSION_INIT3

/* The inner loops of the validator: inlined into it (measured: 10% fewer instructions per event). */
#if defined(__GNUC__)
#define PJ_HOT inline __attribute__((always_inline))
#else
#define PJ_HOT inline
#endif

static int pj_is_ws(unsigned char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

size_t pj_skip_ws(const char *z, size_t n, size_t i) {
  while (i < n && pj_is_ws((unsigned char)z[i])) i++;
  return i;
}

void pj_line_col(const char *z, size_t off, int *pLine, int *pCol) {
  int line = 1;
  size_t lineStart = 0;
  for (size_t i = 0; i < off; i++) {
    if (z[i] == '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  *pLine = line;
  *pCol = (int)(off - lineStart) + 1;
}

static int pj_hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Bytes that end a run of plain string content: '"', '\\' and controls. */
static const unsigned char aStringStop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

/*
** The first offset at or after i whose byte is '"', '\\' or a control
** character (below 0x20), or n. Sixteen bytes at a time with SSE2 where
** the compiler has it, else eight at a time in a 64-bit word.
*/
static PJ_HOT size_t pj_string_stop(const char *z, size_t i, size_t n) {
#if defined(__SSE2__)
  const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'), v1f = _mm_set1_epi8(0x1f);
  while (i + 16 <= n) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(z + i));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vb)),
                             _mm_cmpeq_epi8(_mm_max_epu8(v, v1f), v1f));
    unsigned bits = (unsigned)_mm_movemask_epi8(m);
    if (bits) return i + (size_t)__builtin_ctz(bits);
    i += 16;
  }
#else
  const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  while (i + 8 <= n) {
    uint64_t w;
    memcpy(&w, z + i, 8);
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    /* the lowest flagged byte of each test is exact (borrows only run upwards) */
    uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w);
    hit &= highs;
    if (hit) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
      break; /* the byte loop below finds it */
#else
      return i + (size_t)(__builtin_ctzll(hit) >> 3);
#endif
    }
    i += 8;
  }
#endif
  while (i < n && !aStringStop[(unsigned char)z[i]]) i++;
  return i;
}

/*
** pj_string_stop() for the validator: also stops at every byte >= 0x80, so
** that UTF-8 is checked there (ASCII text keeps the 16-byte fast path).
*/
static PJ_HOT size_t pj_string_stop_utf8(const char *z, size_t i, size_t n) {
#if defined(__SSE2__)
  const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'), v1f = _mm_set1_epi8(0x1f);
  while (i + 16 <= n) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(z + i));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vb)),
                             _mm_cmpeq_epi8(_mm_max_epu8(v, v1f), v1f));
    unsigned bits = (unsigned)_mm_movemask_epi8(m) | (unsigned)_mm_movemask_epi8(v); /* v: the high bits */
    if (bits) return i + (size_t)__builtin_ctz(bits);
    i += 16;
  }
#else
  const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  while (i + 8 <= n) {
    uint64_t w;
    memcpy(&w, z + i, 8);
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    /* as in pj_string_stop(), plus w itself: the bytes >= 0x80 */
    uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w;
    hit &= highs;
    if (hit) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
      break; /* the byte loop below finds it */
#else
      return i + (size_t)(__builtin_ctzll(hit) >> 3);
#endif
    }
    i += 8;
  }
#endif
  while (i < n && !aStringStop[(unsigned char)z[i]] && (unsigned char)z[i] < 0x80) i++;
  return i;
}

/*
** z[i] >= 0x80 inside a string: PJ_OK with *pLen the length of the valid
** UTF-8 sequence there (RFC 3629: no overlong forms, no surrogates, nothing
** above U+10FFFF), PJ_MORE when the text ends inside it, else PJ_ERROR.
*/
static int pj_utf8_seq(const char *z, size_t n, size_t i, size_t *pLen, const char **pzWhy) {
  unsigned char c = (unsigned char)z[i], lo = 0x80, hi = 0xBF;
  const char *zRange = 0; /* what a second byte outside lo..hi means */
  size_t len;
  if (c < 0xC0) {
    *pzWhy = "invalid UTF-8 in string: a continuation byte without a lead byte";
    return PJ_ERROR;
  } else if (c < 0xC2) {
    *pzWhy = "invalid UTF-8 in string: overlong form";
    return PJ_ERROR;
  } else if (c < 0xE0) {
    len = 2;
  } else if (c < 0xF0) {
    len = 3;
    if (c == 0xE0) lo = 0xA0, zRange = "invalid UTF-8 in string: overlong form";
    if (c == 0xED) hi = 0x9F, zRange = "invalid UTF-8 in string: a UTF-16 surrogate (U+D800-U+DFFF) as raw bytes";
  } else if (c < 0xF5) {
    len = 4;
    if (c == 0xF0) lo = 0x90, zRange = "invalid UTF-8 in string: overlong form";
    if (c == 0xF4) hi = 0x8F, zRange = "invalid UTF-8 in string: above U+10FFFF";
  } else if (c < 0xF8) {
    *pzWhy = "invalid UTF-8 in string: above U+10FFFF";
    return PJ_ERROR;
  } else {
    *pzWhy = "invalid UTF-8 in string: byte 0xF8-0xFF";
    return PJ_ERROR;
  }
  for (size_t k = 1; k < len; k++) {
    if (i + k >= n) return PJ_MORE;
    unsigned char d = (unsigned char)z[i + k];
    if (d < 0x80 || d > 0xBF) {
      *pzWhy = "invalid UTF-8 in string: a sequence cut short";
      return PJ_ERROR;
    }
    if (k == 1 && (d < lo || d > hi)) {
      *pzWhy = zRange;
      return PJ_ERROR;
    }
  }
  *pLen = len;
  return PJ_OK;
}

/*
** Scan a string starting at z[*pi] == '"'. On PJ_OK *pi is just past the
** closing quote. Raw bytes must be valid UTF-8; \u escapes are checked only
** for their form here (a lone surrogate escape is refused when the string
** is decoded, by pj_unescape()).
*/
static PJ_HOT int pj_scan_string(const char *z, size_t n, size_t *pi,
                          size_t *pErrOff, const char **pzWhy) {
  size_t i = *pi + 1;
  for (;;) {
    i = pj_string_stop_utf8(z, i, n);
    if (i >= n) return PJ_MORE;
    unsigned char c = (unsigned char)z[i];
    if (c == '"') {
      *pi = i + 1;
      return PJ_OK;
    }
    if (c >= 0x80) {
      size_t len = 0;
      int r = pj_utf8_seq(z, n, i, &len, pzWhy);
      if (r == PJ_ERROR) *pErrOff = i;
      if (r) return r;
      i += len;
      continue;
    }
    if (c < 0x20) {
      *pErrOff = i;
      *pzWhy = "control character in string";
      return PJ_ERROR;
    }
    /* a backslash */
    if (i + 1 >= n) return PJ_MORE;
    switch (z[i + 1]) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n':
      case 'r': case 't':
        i += 2;
        break;
      case 'u':
        for (int k = 0; k < 4; k++) {
          if (i + 2 + k >= n) return PJ_MORE;
          if (pj_hexval((unsigned char)z[i + 2 + k]) < 0) {
            *pErrOff = i;
            *pzWhy = "invalid \\u escape";
            return PJ_ERROR;
          }
        }
        i += 6;
        break;
      default:
        *pErrOff = i;
        *pzWhy = "invalid escape in string";
        return PJ_ERROR;
    }
  }
}

/* Scan a number at z[*pi]. bTop: the number may end at the end of input. */
static int pj_scan_number(const char *z, size_t n, size_t *pi, int bTop,
                          size_t *pErrOff, const char **pzWhy) {
  size_t i = *pi;
  if (z[i] == '-') i++;
  if (i >= n) return PJ_MORE;
  if (z[i] == '0') {
    i++;
  } else if (z[i] >= '1' && z[i] <= '9') {
    while (i < n && z[i] >= '0' && z[i] <= '9') i++;
  } else {
    *pErrOff = i;
    *pzWhy = "invalid number";
    return PJ_ERROR;
  }
  if (i < n && z[i] == '.') {
    i++;
    if (i >= n) return PJ_MORE;
    if (!(z[i] >= '0' && z[i] <= '9')) {
      *pErrOff = i;
      *pzWhy = "invalid number";
      return PJ_ERROR;
    }
    while (i < n && z[i] >= '0' && z[i] <= '9') i++;
  }
  if (i < n && (z[i] == 'e' || z[i] == 'E')) {
    i++;
    if (i < n && (z[i] == '+' || z[i] == '-')) i++;
    if (i >= n) return PJ_MORE;
    if (!(z[i] >= '0' && z[i] <= '9')) {
      *pErrOff = i;
      *pzWhy = "invalid number";
      return PJ_ERROR;
    }
    while (i < n && z[i] >= '0' && z[i] <= '9') i++;
  }
  if (i >= n && !bTop) return PJ_MORE;
  *pi = i;
  return PJ_OK;
}

static int pj_scan_literal(const char *z, size_t n, size_t *pi,
                           size_t *pErrOff, const char **pzWhy) {
  const char *zLit = z[*pi] == 't' ? "true" : z[*pi] == 'f' ? "false" : "null";
  size_t len = strlen(zLit);
  for (size_t k = 0; k < len; k++) {
    if (*pi + k >= n) return PJ_MORE;
    if (z[*pi + k] != zLit[k]) {
      *pErrOff = *pi;
      *pzWhy = "invalid literal";
      return PJ_ERROR;
    }
  }
  *pi += len;
  return PJ_OK;
}

/* Skip JSON whitespace; compact JSON pays one comparison. */
#define PJ_SKIP_WS(z, n, i) \
  while ((i) < (n) && (unsigned char)(z)[i] <= ' ' && pj_is_ws((unsigned char)(z)[i])) (i)++

int pj_value_end(const char *z, size_t n, size_t *pEnd, size_t *pErrOff,
                 const char **pzWhy) {
  return pj_value_members(z, n, pEnd, pErrOff, pzWhy, 0, 0);
}

/*
** The validator proper. Three places in the grammar, each a label: a value
** is expected (value), a key is expected (key), a value has just ended
** (after). The bit stack says whether each open container is an object.
*/
int pj_value_members(const char *z, size_t n, size_t *pEnd, size_t *pErrOff, const char **pzWhy,
                     pj_member *aMember, int *pnMember) {
  unsigned char aStack[PJ_MAX_DEPTH / 8 + 1];
  int depth = 0, rc, inObj;
  int nMember = 0, bTopObj = 0, bComma = 0;
  size_t i = 0;
  unsigned char c;
  if (pnMember) *pnMember = -1;

value:
  PJ_SKIP_WS(z, n, i);
  if (i >= n) return PJ_MORE;
  c = (unsigned char)z[i];
  if (c == '"') {
    rc = pj_scan_string(z, n, &i, pErrOff, pzWhy);
    if (rc) return rc;
    goto after;
  }
  if (c == '{' || c == '[') {
    if (depth >= PJ_MAX_DEPTH) {
      *pErrOff = i;
      *pzWhy = "JSON nested too deeply (over 512 levels)";
      return PJ_ERROR;
    }
    if (depth == 0) bTopObj = c == '{';
    if (c == '{') {
      aStack[depth >> 3] |= (unsigned char)(1u << (depth & 7));
    } else {
      aStack[depth >> 3] &= (unsigned char)~(1u << (depth & 7));
    }
    depth++;
    i++;
    PJ_SKIP_WS(z, n, i);
    if (i >= n) return PJ_MORE;
    if (z[i] == (c == '{' ? '}' : ']')) { /* empty */
      depth--;
      i++;
      goto after;
    }
    bComma = 0;
    if (c == '{') goto key;
    goto value;
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    rc = pj_scan_number(z, n, &i, depth == 0, pErrOff, pzWhy);
  } else if (c == 't' || c == 'f' || c == 'n') {
    rc = pj_scan_literal(z, n, &i, pErrOff, pzWhy);
  } else {
    *pErrOff = i;
    *pzWhy = (c == ']' && bComma) ? "trailing comma before ']'"
             : c == ']' || c == '}' || c == ',' ? "expected a value"
                                                 : "unexpected character";
    return PJ_ERROR;
  }
  if (rc) return rc;
  goto after;

key:
  PJ_SKIP_WS(z, n, i);
  if (i >= n) return PJ_MORE;
  if (z[i] != '"') {
    *pErrOff = i;
    *pzWhy = z[i] == '}' ? "trailing comma before '}'" : "expected a string key";
    return PJ_ERROR;
  }
  {
    size_t iKey = i;
    rc = pj_scan_string(z, n, &i, pErrOff, pzWhy);
    if (rc) return rc;
    if (aMember && depth == 1 && nMember < PJ_MAX_MEMBERS) {
      aMember[nMember].iKey = (int)iKey + 1;
      aMember[nMember].nKey = (int)(i - iKey) - 2;
    }
  }
  PJ_SKIP_WS(z, n, i);
  if (i >= n) return PJ_MORE;
  if (z[i] != ':') {
    *pErrOff = i;
    *pzWhy = "expected ':' after key";
    return PJ_ERROR;
  }
  i++;
  PJ_SKIP_WS(z, n, i);
  if (i >= n) return PJ_MORE;
  if (aMember && depth == 1 && nMember < PJ_MAX_MEMBERS) aMember[nMember].iVal = (int)i;
  bComma = 0;
  goto value;

after:
  if (depth == 0) {
    *pEnd = i;
    if (aMember) *pnMember = bTopObj && nMember <= PJ_MAX_MEMBERS ? nMember : -1;
    return PJ_OK;
  }
  inObj = (aStack[(depth - 1) >> 3] >> ((depth - 1) & 7)) & 1;
  if (aMember && depth == 1 && inObj) { /* a member of the outer object ended */
    if (nMember < PJ_MAX_MEMBERS) aMember[nMember].nVal = (int)i - aMember[nMember].iVal;
    nMember++;
  }
  PJ_SKIP_WS(z, n, i);
  if (i >= n) return PJ_MORE;
  c = (unsigned char)z[i];
  if (c == ',') {
    i++;
    bComma = 1;
    if (inObj) goto key;
    goto value;
  }
  if (c == (inObj ? '}' : ']')) {
    depth--;
    i++;
    goto after;
  }
  *pErrOff = i;
  *pzWhy = inObj ? "expected ',' or '}'" : "expected ',' or ']'";
  return PJ_ERROR;
}

int pj_check_one(const char *z, size_t n, size_t *pErrOff, const char **pzWhy, int *pbObject) {
  size_t end = 0;
  *pErrOff = 0;
  *pzWhy = "not JSON";
  int r = z ? pj_value_end(z, n, &end, pErrOff, pzWhy) : PJ_ERROR;
  if (r == PJ_MORE) {
    *pErrOff = n;
    *pzWhy = "unexpected end";
    return PJ_ERROR;
  }
  if (r != PJ_OK) return PJ_ERROR;
  if (pj_skip_ws(z, n, end) != n) {
    *pErrOff = end;
    *pzWhy = "text after the JSON value";
    return PJ_ERROR;
  }
  if (pbObject) *pbObject = z[pj_skip_ws(z, n, 0)] == '{';
  return PJ_OK;
}

int pj_parse(pj_doc *d, const char *z, size_t n) {
  jsmn_parser p;
  if (n > 0x7fffffff) return SQLITE_TOOBIG;
  d->z = z;
  d->n = (int)n;
  d->nTok = 0;
  jsmn_init(&p);
  if (d->nAlloc == 0) {
    d->aTok = sqlite3_malloc64(sizeof(jsmntok_t) * 256);
    if (!d->aTok) return SQLITE_NOMEM;
    d->nAlloc = 256;
  }
  for (;;) {
    int r = jsmn_parse(&p, z, n, d->aTok, (unsigned)d->nAlloc);
    if (r >= 0) {
      d->nTok = (int)p.toknext;
      return d->nTok > 0 ? SQLITE_OK : SQLITE_ERROR;
    }
    if (r != JSMN_ERROR_NOMEM) return SQLITE_ERROR;
    if (d->nAlloc >= PJ_MAX_TOKENS) return SQLITE_TOOBIG;
    int nNew = d->nAlloc * 2;
    if (nNew > PJ_MAX_TOKENS) nNew = PJ_MAX_TOKENS;
    jsmntok_t *aNew = sqlite3_realloc64(d->aTok, sizeof(jsmntok_t) * (sqlite3_uint64)nNew);
    if (!aNew) return SQLITE_NOMEM;
    d->aTok = aNew;
    d->nAlloc = nNew;
  }
}

void pj_doc_free(pj_doc *d) {
  sqlite3_free(d->aTok);
  memset(d, 0, sizeof(*d));
}

int pj_skip(const pj_doc *d, int i) {
  int end = d->aTok[i].end;
  int j = i + 1;
  if (d->aTok[i].type == JSMN_STRING || d->aTok[i].type == JSMN_PRIMITIVE) return j;
  while (j < d->nTok && d->aTok[j].start < end) j++;
  return j;
}

int pj_str_eq(const pj_doc *d, int i, const char *z, int n) {
  const jsmntok_t *t = &d->aTok[i];
  return t->type == JSMN_STRING && t->end - t->start == n &&
         memcmp(d->z + t->start, z, (size_t)n) == 0;
}

int pj_find(const pj_doc *d, int iObj, const char *zKey, int nKey) {
  if (iObj < 0 || iObj >= d->nTok || d->aTok[iObj].type != JSMN_OBJECT) return -1;
  int nMember = d->aTok[iObj].size;
  int k = iObj + 1;
  for (int m = 0; m < nMember && k + 1 < d->nTok; m++) {
    if (pj_str_eq(d, k, zKey, nKey)) return k + 1;
    k = pj_skip(d, k + 1);
  }
  return -1;
}

int pj_path(const pj_doc *d, int iObj, const char *zPath) {
  int i = iObj;
  while (*zPath && i >= 0) {
    const char *zEnd = strchr(zPath, '/');
    int n = zEnd ? (int)(zEnd - zPath) : (int)strlen(zPath);
    i = pj_find(d, i, zPath, n);
    zPath += n;
    if (*zPath == '/') zPath++;
  }
  return i;
}

int pj_is_null(const pj_doc *d, int i) {
  const jsmntok_t *t = &d->aTok[i];
  return t->type == JSMN_PRIMITIVE && d->z[t->start] == 'n';
}

int pj_has_escape(const char *z, size_t n) { return memchr(z, '\\', n) != 0; }

static unsigned pj_hex4(const char *z) {
  return (unsigned)(pj_hexval((unsigned char)z[0]) << 12 | pj_hexval((unsigned char)z[1]) << 8 |
                    pj_hexval((unsigned char)z[2]) << 4 | pj_hexval((unsigned char)z[3]));
}

int pj_unescape(const char *z, size_t n, char *zOut, size_t *pErrOff) {
  size_t i = 0, o = 0;
  while (i < n) {
    const char *zBs = memchr(z + i, '\\', n - i);
    size_t nPlain = zBs ? (size_t)(zBs - (z + i)) : n - i;
    memmove(zOut + o, z + i, nPlain);
    o += nPlain;
    i += nPlain;
    if (i >= n) break;
    if (i + 1 >= n) goto bad;
    char c = z[i + 1];
    switch (c) {
      case '"': zOut[o++] = '"'; i += 2; break;
      case '\\': zOut[o++] = '\\'; i += 2; break;
      case '/': zOut[o++] = '/'; i += 2; break;
      case 'b': zOut[o++] = '\b'; i += 2; break;
      case 'f': zOut[o++] = '\f'; i += 2; break;
      case 'n': zOut[o++] = '\n'; i += 2; break;
      case 'r': zOut[o++] = '\r'; i += 2; break;
      case 't': zOut[o++] = '\t'; i += 2; break;
      case 'u': {
        if (i + 6 > n) goto bad;
        for (int k = 2; k < 6; k++)
          if (pj_hexval((unsigned char)z[i + k]) < 0) goto bad;
        unsigned cp = pj_hex4(z + i + 2);
        size_t nUsed = 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF) goto bad; /* lone low surrogate */
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (i + 12 > n || z[i + 6] != '\\' || z[i + 7] != 'u') goto bad;
          for (int k = 8; k < 12; k++)
            if (pj_hexval((unsigned char)z[i + k]) < 0) goto bad;
          unsigned lo = pj_hex4(z + i + 8);
          if (lo < 0xDC00 || lo > 0xDFFF) goto bad;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          nUsed = 12;
        }
        /* UTF-8 output is never longer than the escape text */
        if (cp < 0x80) {
          zOut[o++] = (char)cp;
        } else if (cp < 0x800) {
          zOut[o++] = (char)(0xC0 | (cp >> 6));
          zOut[o++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
          zOut[o++] = (char)(0xE0 | (cp >> 12));
          zOut[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
          zOut[o++] = (char)(0x80 | (cp & 0x3F));
        } else {
          zOut[o++] = (char)(0xF0 | (cp >> 18));
          zOut[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
          zOut[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
          zOut[o++] = (char)(0x80 | (cp & 0x3F));
        }
        i += nUsed;
        break;
      }
      default:
        goto bad;
    }
  }
  return (int)o;
bad:
  if (pErrOff) *pErrOff = i;
  return -1;
}

int pj_int64(const pj_doc *d, int i, sqlite3_int64 *pOut) {
  const jsmntok_t *t = &d->aTok[i];
  if (t->type != JSMN_PRIMITIVE) return SQLITE_MISMATCH;
  const char *z = d->z + t->start;
  int n = t->end - t->start;
  int k = 0, neg = 0;
  sqlite3_uint64 v = 0;
  if (n > 0 && z[0] == '-') {
    neg = 1;
    k = 1;
  }
  if (k >= n) return SQLITE_MISMATCH;
  for (; k < n; k++) {
    if (z[k] < '0' || z[k] > '9') return SQLITE_MISMATCH;
    if (v > (sqlite3_uint64)922337203685477580ULL) return SQLITE_MISMATCH;
    v = v * 10 + (sqlite3_uint64)(z[k] - '0');
  }
  if (!neg && v > 9223372036854775807ULL) return SQLITE_MISMATCH;
  if (neg && v > 9223372036854775808ULL) return SQLITE_MISMATCH;
  *pOut = neg ? (sqlite3_int64)(0 - v) : (sqlite3_int64)v;
  return SQLITE_OK;
}

static int pj_result_string(sqlite3_context *ctx, const char *z, int n) {
  if (!pj_has_escape(z, (size_t)n)) {
    sqlite3_result_text(ctx, z, n, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  char *zOut = sqlite3_malloc64((sqlite3_uint64)n + 1);
  if (!zOut) {
    sqlite3_result_error_nomem(ctx);
    return SQLITE_NOMEM;
  }
  size_t off = 0;
  int nOut = pj_unescape(z, (size_t)n, zOut, &off);
  if (nOut < 0) {
    sqlite3_free(zOut);
    char *zErr = sqlite3_mprintf("invalid escape or UTF-16 surrogate in JSON string at \"%.*s\"",
                                 (int)((size_t)n - off > 12 ? 12 : (size_t)n - off), z + off);
    if (!zErr) {
      sqlite3_result_error_nomem(ctx);
      return SQLITE_NOMEM;
    }
    sqlite3_result_error(ctx, zErr, -1);
    sqlite3_free(zErr);
    return SQLITE_ERROR;
  }
  zOut[nOut] = 0;
  sqlite3_result_text(ctx, zOut, nOut, sqlite3_free);
  return SQLITE_OK;
}

static int pj_result_any(sqlite3_context *ctx, const pj_doc *d, int i, int bText) {
  const jsmntok_t *t = &d->aTok[i];
  const char *z = d->z + t->start;
  int n = t->end - t->start;
  switch (t->type) {
    case JSMN_STRING:
      return pj_result_string(ctx, z, n);
    case JSMN_PRIMITIVE:
      if (z[0] == 'n') {
        sqlite3_result_null(ctx);
      } else if (bText) {
        sqlite3_result_text(ctx, z, n, SQLITE_TRANSIENT);
      } else if (z[0] == 't') {
        sqlite3_result_int(ctx, 1);
      } else if (z[0] == 'f') {
        sqlite3_result_int(ctx, 0);
      } else {
        sqlite3_int64 v;
        if (pj_int64(d, i, &v) == SQLITE_OK) {
          sqlite3_result_int64(ctx, v);
        } else {
          char buf[64];
          if (n < (int)sizeof(buf)) {
            memcpy(buf, z, (size_t)n);
            buf[n] = 0;
            sqlite3_result_double(ctx, strtod(buf, 0));
          } else {
            sqlite3_result_text(ctx, z, n, SQLITE_TRANSIENT);
          }
        }
      }
      return SQLITE_OK;
    default:
      sqlite3_result_text(ctx, z, n, SQLITE_TRANSIENT);
      return SQLITE_OK;
  }
}

int pj_result(sqlite3_context *ctx, const pj_doc *d, int i) {
  return pj_result_any(ctx, d, i, 0);
}

int pj_result_text(sqlite3_context *ctx, const pj_doc *d, int i) {
  return pj_result_any(ctx, d, i, 1);
}

sqlite3_uint64 pj_hash64(const char *z, size_t n) {
  sqlite3_uint64 h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)z[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

int pj_minify(const char *z, size_t n, char *zOut) {
  size_t o = 0, i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)z[i];
    if (c == '"') {
      size_t j = pj_text_string_end(z, n, i);
      memcpy(zOut + o, z + i, j - i);
      o += j - i;
      i = j;
    } else {
      if (!pj_is_ws(c)) zOut[o++] = (char)c;
      i++;
    }
  }
  return (int)o;
}

size_t pj_text_first_ws(const char *z, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)z[i];
    if (c == '"') {
      i = pj_text_string_end(z, n, i);
    } else if (pj_is_ws(c)) {
      return i;
    } else {
      i++;
    }
  }
  return n;
}

/* ------------------------------------------------------------------------
** Walking validated text without tokenising it. Only for text that
** pj_value_end() (or pj_value_members()) has accepted: nothing is checked.
*/

/* Offset just past the string whose opening quote is at z[i]. */
size_t pj_text_string_end(const char *z, size_t n, size_t i) {
  i++;
  for (;;) {
    i = pj_string_stop(z, i, n);
    if (i >= n) return n;
    if (z[i] == '"') return i + 1;
    i += 2; /* a backslash and the byte it escapes (\u's hex digits are plain) */
  }
}

size_t pj_text_value_end(const char *z, size_t n, size_t i) {
  size_t depth = 0;
  while (i < n) {
    unsigned char c = (unsigned char)z[i];
    if (c == '"') {
      i = pj_text_string_end(z, n, i);
    } else if (c == '{' || c == '[') {
      depth++;
      i++;
      continue;
    } else if (c == '}' || c == ']') {
      i++;
      depth--;
    } else if (depth > 0) {
      i++; /* ',', ':', whitespace, or a byte of a number or literal */
      continue;
    } else { /* a number or a literal on its own */
      while (i < n && z[i] != ',' && z[i] != '}' && z[i] != ']' && !pj_is_ws((unsigned char)z[i])) i++;
    }
    if (depth == 0) return i;
  }
  return n;
}

int pj_text_next_member(const char *z, size_t n, size_t *pi, pj_member *pM) {
  size_t i = pj_skip_ws(z, n, *pi);
  if (i < n && z[i] == '{') i = pj_skip_ws(z, n, i + 1);
  else if (i < n && z[i] == ',') i = pj_skip_ws(z, n, i + 1);
  if (i >= n || z[i] != '"' || n > 0x7fffffff) return 0;
  pM->iKey = (int)i + 1;
  i = pj_text_string_end(z, n, i);
  pM->nKey = (int)i - 1 - pM->iKey;
  i = pj_skip_ws(z, n, i);
  i = pj_skip_ws(z, n, i + 1); /* past ':' */
  pM->iVal = (int)i;
  i = pj_text_value_end(z, n, i);
  pM->nVal = (int)i - pM->iVal;
  *pi = i;
  return 1;
}

int pj_text_member(const char *z, size_t n, const char *zKey, size_t nKey, size_t *pOff, size_t *pLen) {
  size_t i = pj_skip_ws(z, n, 0);
  pj_member m;
  if (i >= n || z[i] != '{') return 0;
  while (pj_text_next_member(z, n, &i, &m)) {
    if ((size_t)m.nKey == nKey && memcmp(z + m.iKey, zKey, nKey) == 0) {
      *pOff = (size_t)m.iVal;
      *pLen = (size_t)m.nVal;
      return 1;
    }
  }
  return 0;
}

int pj_text_path(const char *z, size_t n, const char *zPath, size_t *pOff, size_t *pLen) {
  size_t off = 0, len = n;
  while (*zPath) {
    size_t nSeg = strcspn(zPath, "/"), o, l;
    if (!pj_text_member(z + off, len, zPath, nSeg, &o, &l)) return 0;
    off += o;
    len = l;
    zPath += nSeg;
    if (*zPath == '/') zPath++;
  }
  *pOff = off;
  *pLen = len;
  return 1;
}

/*
** fuzz_time.c: libFuzzer target for time normalisation (ext/plan.c:
** pq_time_normalize, pq_time_bound, pq_time_to_odata).
**
** The first byte picks the operator for pq_time_bound, the rest is the
** text. Checks:
**  - pq_time_normalize: on success the output has the canonical shape
**    'dddd-dd-dd dd:dd:dd.ddddddd' with a real date and time, and
**    normalising the output gives the output (idempotence);
**    pq_time_to_odata of it is the same instant in OData form, which
**    normalises back to it.
**  - pq_time_bound: zCanon is canonical; the translated operator is one of
**    EQ/GT/GE/LT/LE; and for canonical times c near zCanon and near the
**    input, "c OP r" compared as SQLite compares text (BINARY) implies
**    "c OP2 zCanon" (always: the translation never drops a row SQLite
**    keeps), and the converse holds when *pbExact is set.
*/
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

static const char tmpl[] = "dddd-dd-dd dd:dd:dd.ddddddd";

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int num(const char *z, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) v = v * 10 + (z[i] - '0');
  return v;
}

/* Is z (27 bytes) a canonical time with a real date? */
static int canonical_shape(const char *z) {
  for (int i = 0; i < PQ_TIME_LEN; i++) {
    if (tmpl[i] == 'd' ? (z[i] < '0' || z[i] > '9') : z[i] != tmpl[i]) return 0;
  }
  int Y = num(z, 4), M = num(z + 5, 2), D = num(z + 8, 2);
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (M < 1 || M > 12 || D < 1) return 0;
  int dim = mdays[M - 1] + (M == 2 && is_leap(Y));
  if (D > dim) return 0;
  if (num(z + 11, 2) > 23 || num(z + 14, 2) > 59 || num(z + 17, 2) > 59) return 0;
  return 1;
}

/* SQLite BINARY comparison of text a[0..na) with b[0..nb). */
static int text_cmp(const char *a, int na, const char *b, int nb) {
  int m = na < nb ? na : nb;
  int c = memcmp(a, b, (size_t)m);
  return c ? c : na - nb;
}

static int holds(int op, int c) {
  switch (op) {
    case PQ_EQ: return c == 0;
    case PQ_GT: return c > 0;
    case PQ_GE: return c >= 0;
    case PQ_LT: return c < 0;
    case PQ_LE: return c <= 0;
  }
  abort();
}

static int bKnown = -1; /* FUZZ_KNOWN_BUGS=1: no row-keeping oracle (reported bug: month/day 00) */

static void check_candidate(const char *c, int op, const char *r, int n, int op2, const char *zCanon, int bExact) {
  if (bKnown || !canonical_shape(c)) return;
  char zN[PQ_TIME_LEN + 1];
  if (!pq_time_normalize(c, PQ_TIME_LEN, zN) || memcmp(zN, c, PQ_TIME_LEN)) return;
  int bSql = holds(op, text_cmp(c, PQ_TIME_LEN, r, n));
  int bSent = holds(op2, memcmp(c, zCanon, PQ_TIME_LEN));
  if (bSql && !bSent) {
    fprintf(stderr, "row '%.27s' kept by SQLite (op %d, r '%.*s') but not by the server (op %d '%.27s')\n", c, op,
            n > 80 ? 80 : n, r, op2, zCanon);
    abort();
  }
  if (bExact && bSent && !bSql) {
    fprintf(stderr, "exact translation keeps '%.27s' that SQLite drops (op %d, r '%.*s'; op %d '%.27s')\n", c, op,
            n > 80 ? 80 : n, r, op2, zCanon);
    abort();
  }
}

/* Candidates: c itself and c with one digit moved by -1/+1 (and 0/9). */
static void check_around(const char *c0, int op, const char *r, int n, int op2, const char *zCanon, int bExact) {
  char c[PQ_TIME_LEN + 1];
  memcpy(c, c0, PQ_TIME_LEN + 1);
  check_candidate(c, op, r, n, op2, zCanon, bExact);
  for (int i = 0; i < PQ_TIME_LEN; i++) {
    if (tmpl[i] != 'd') continue;
    static const int delta[] = {-1, 1};
    for (int k = 0; k < 2; k++) {
      memcpy(c, c0, PQ_TIME_LEN + 1);
      int d = c[i] - '0' + delta[k];
      if (d < 0 || d > 9) continue;
      c[i] = (char)('0' + d);
      check_candidate(c, op, r, n, op2, zCanon, bExact);
    }
    memcpy(c, c0, PQ_TIME_LEN + 1);
    c[i] = '0';
    check_candidate(c, op, r, n, op2, zCanon, bExact);
    c[i] = '9';
    check_candidate(c, op, r, n, op2, zCanon, bExact);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  if (bKnown < 0) bKnown = getenv("FUZZ_KNOWN_BUGS") != 0;
  static const int aOp[] = {PQ_EQ, PQ_GT, PQ_GE, PQ_LT, PQ_LE};
  int op = aOp[data[0] % 5];
  const char *z = (const char *)data + 1;
  int n = (int)size - 1;

  char zOut[PQ_TIME_LEN + 1], zAgain[PQ_TIME_LEN + 1], zOdata[30];
  memset(zOut, 0x55, sizeof(zOut));
  int bNorm = pq_time_normalize(z, n, zOut);
  if (bNorm) {
    if (zOut[PQ_TIME_LEN] != 0 || !canonical_shape(zOut)) {
      fprintf(stderr, "not canonical: '%.28s'\n", zOut);
      abort();
    }
    if (!pq_time_normalize(zOut, PQ_TIME_LEN, zAgain) || memcmp(zAgain, zOut, PQ_TIME_LEN + 1)) {
      fprintf(stderr, "not idempotent: '%s' -> '%s'\n", zOut, zAgain);
      abort();
    }
    pq_time_to_odata(zOut, zOdata);
    if (strlen(zOdata) != 28 || zOdata[10] != 'T' || zOdata[27] != 'Z' || !pq_time_normalize(zOdata, 28, zAgain) ||
        memcmp(zAgain, zOut, PQ_TIME_LEN)) {
      fprintf(stderr, "OData form '%s' of '%s' does not normalise back\n", zOdata, zOut);
      abort();
    }
  }

  int op2 = -1, bExact = -1;
  char zCanon[PQ_TIME_LEN + 1];
  memset(zCanon, 0x55, sizeof(zCanon));
  if (pq_time_bound(op, z, n, &op2, zCanon, &bExact)) {
    if (op2 != PQ_EQ && op2 != PQ_GT && op2 != PQ_GE && op2 != PQ_LT && op2 != PQ_LE) abort();
    if (bExact != 0 && bExact != 1) abort();
    if (zCanon[PQ_TIME_LEN] != 0 || !canonical_shape(zCanon)) {
      fprintf(stderr, "bound not canonical: '%.28s'\n", zCanon);
      abort();
    }
    if (!pq_time_normalize(zCanon, PQ_TIME_LEN, zAgain) || memcmp(zAgain, zCanon, PQ_TIME_LEN)) {
      fprintf(stderr, "bound '%s' is no valid time\n", zCanon);
      abort();
    }
    check_around(zCanon, op, z, n, op2, zCanon, bExact);
    if (bNorm) check_around(zOut, op, z, n, op2, zCanon, bExact);
    /* the input's own prefix padded with the template's smallest digits */
    char c[PQ_TIME_LEN + 1];
    for (int i = 0; i < PQ_TIME_LEN; i++) c[i] = i < n ? z[i] : (tmpl[i] == 'd' ? '0' : tmpl[i]);
    c[PQ_TIME_LEN] = 0;
    check_around(c, op, z, n, op2, zCanon, bExact);
  }
  return 0;
}

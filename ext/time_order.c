/*
** time_order.c: the provisioning_time collation and the instant bounds the
** plan sends for a time literal (see time_order.h).
**
** Usage:
**   SELECT count(*) FROM ev WHERE activity_date_time > '2024-06-01T10:00:00Z';
**   SELECT '2024-06-01' = '2024-06-01T02:00:00+02:00' COLLATE provisioning_time;  -- 1
**
** How it works: both sides are parsed with pq_time_normalize() (plan.c),
** after completing the short forms: a date alone and HH:MM without seconds
** (as SQLite's date functions accept them), and a month alone
** ('2024-07': its first day, so `> '2024-07'` keeps meaning July on). Valid times compare by their canonical UTC
** text, then by the fraction digits past the seventh; invalid text sorts
** after every time, bytewise, so the order is total and consistent with
** equality. The extension's own stored form takes a fast path: a shape and
** range check and one memcmp. Calls only plan.c's time parser.
*/
#include "time_order.h"

#include <string.h>

#include "plan.h"

SQLITE_EXTENSION_INIT3

/* Is z (27 bytes) a valid canonical time 'YYYY-MM-DD HH:MM:SS.fffffff'?
   The shape is checked 8 bytes at a time (this runs for every comparison
   of ORDER BY, GROUP BY and DISTINCT): four overlapping words at 0, 8, 16
   and 19 are XORed with the shape; every byte must then be 0..9 and each
   separator 0. */
typedef sqlite3_uint64 u64;
/* 8 bytes as a little-endian word (one load on x86), and the same of a literal */
static inline u64 le8(const unsigned char *p) {
  return (u64)p[0] | (u64)p[1] << 8 | (u64)p[2] << 16 | (u64)p[3] << 24 | (u64)p[4] << 32 | (u64)p[5] << 40 |
         (u64)p[6] << 48 | (u64)p[7] << 56;
}
#define LE8(s) le8((const unsigned char *)(s))
#define WORD_OK(z, o, shape, sep)                                                     \
  ((((le8((z) + (o)) ^ LE8(shape)) | ((le8((z) + (o)) ^ LE8(shape)) + six)) & hi) | \
   ((le8((z) + (o)) ^ LE8(shape)) & LE8(sep)))

static inline __attribute__((always_inline)) int canon_valid(const unsigned char *z) {
  const u64 hi = 0xf0f0f0f0f0f0f0f0ULL, six = 0x0606060606060606ULL;
  /* "0000-00-00 00:00:00.0000000" at 0, 8, 16 and 19; \377 marks a separator */
  u64 bad = WORD_OK(z, 0, "0000-00-", "\0\0\0\0\377\0\0\377") | WORD_OK(z, 8, "00 00:00", "\0\0\377\0\0\377\0\0") |
            WORD_OK(z, 16, ":00.0000", "\377\0\0\377\0\0\0\0") | WORD_OK(z, 19, ".0000000", "\377\0\0\0\0\0\0\0");
  if (bad) return 0;
  /* every byte is a digit now: two-digit fields compare as 16-bit pairs */
#define PAIR(i) ((unsigned)z[i] << 8 | z[(i) + 1])
  unsigned M = PAIR(5), D = PAIR(8);
  if (M - 0x3031u > 0x3132u - 0x3031u || D - 0x3031u > 0x3331u - 0x3031u || PAIR(11) > 0x3233u ||
      z[14] > '5' || z[17] > '5') {
    return 0;
  }
  if (D <= 0x3238u) return 1; /* day 28 or less */
  int m = (z[5] - '0') * 10 + z[6] - '0', d = (z[8] - '0') * 10 + z[9] - '0';
#undef PAIR
  static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m != 2) return d <= dim[m - 1];
  int Y = (z[0] - '0') * 1000 + (z[1] - '0') * 100 + (z[2] - '0') * 10 + z[3] - '0';
  return d <= 28 + ((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0);
}

/* The fraction digits of z past the 7th, trailing zeros dropped. */
static void finer_digits(const char *z, int n, const char **pz, int *pn) {
  *pz = 0;
  *pn = 0;
  if (n <= 27 || z[19] != '.') return;
  int e = 20;
  while (e < n && z[e] >= '0' && z[e] <= '9') e++;
  if (e <= 27) return;
  while (e > 27 && z[e - 1] == '0') e--;
  *pz = z + 27;
  *pn = e - 27;
}

static int is_digits(const char *z, int n) {
  for (int i = 0; i < n; i++) {
    if (z[i] < '0' || z[i] > '9') return 0;
  }
  return 1;
}

/* Parse; on success *pzFine and *pnFine are the digits past 100 ns. */
static int parse_time(const char *z, int n, char zCanon[PQ_TIME_LEN + 1], const char **pzFine, int *pnFine) {
  *pzFine = 0;
  *pnFine = 0;
  if (n == 10 || n == 7) {
    /* a date alone: midnight UTC; a month alone: its first day */
    char buf[20];
    if (!is_digits(z, 4) || z[4] != '-' || (n == 10 && z[7] != '-')) return 0;
    memcpy(buf, z, (size_t)n);
    if (n == 7) memcpy(buf + 7, "-01", 3);
    memcpy(buf + 10, " 00:00:00", 9);
    return pq_time_normalize(buf, 19, zCanon);
  }
  if (n >= 16 && n <= 22 && z[13] == ':' && (n == 16 || (z[16] != ':' && z[16] != '.'))) {
    /* HH:MM without seconds (then no fraction), maybe a zone */
    char buf[32];
    memcpy(buf, z, 16);
    memcpy(buf + 16, ":00", 3);
    memcpy(buf + 19, z + 16, (size_t)(n - 16));
    return pq_time_normalize(buf, n + 3, zCanon);
  }
  if (!pq_time_normalize(z, n, zCanon)) return 0;
  finer_digits(z, n, pzFine, pnFine);
  return 1;
}

int pt_parse(const char *z, int n, char zCanon[28], int *pbFiner) {
  const char *zFine;
  int nFine;
  if (!z || !parse_time(z, n, zCanon, &zFine, &nFine)) return 0;
  *pbFiner = nFine > 0;
  return 1;
}

static int bytes_cmp(const char *a, int na, const char *b, int nb) {
  int n = na < nb ? na : nb;
  int c = n ? memcmp(a, b, (size_t)n) : 0;
  if (c) return c;
  return na < nb ? -1 : na > nb;
}

int pt_compare(const char *a, int na, const char *b, int nb) {
  if (na == PQ_TIME_LEN && nb == PQ_TIME_LEN && canon_valid((const unsigned char *)a) &&
      canon_valid((const unsigned char *)b)) {
    return memcmp(a, b, PQ_TIME_LEN);
  }
  char ca[PQ_TIME_LEN + 1], cb[PQ_TIME_LEN + 1];
  const char *fa, *fb;
  int nfa, nfb;
  int va = parse_time(a, na, ca, &fa, &nfa);
  int vb = parse_time(b, nb, cb, &fb, &nfb);
  if (va && vb) {
    int c = memcmp(ca, cb, PQ_TIME_LEN);
    if (c) return c;
    return bytes_cmp(fa, nfa, fb, nfb);
  }
  if (va != vb) return va ? -1 : 1;
  return bytes_cmp(a, na, b, nb);
}

int pt_bound(int op, const char *z, int n, int *pOp, char zCanon[28]) {
  int bFiner = 0;
  if (!pt_parse(z, n, zCanon, &bFiner)) return 0;
  if (!bFiner) {
    *pOp = op;
    return 1;
  }
  /* z lies strictly between zCanon and the next 100 ns, where no stored
     time is: c > z <=> c > zCanon; c < z <=> c <= zCanon */
  switch (op) {
    case PQ_GT:
    case PQ_GE: *pOp = PQ_GT; return 1;
    case PQ_LT:
    case PQ_LE: *pOp = PQ_LE; return 1;
    default: return 0;
  }
}

static int collate_fn(void *pArg, int na, const void *a, int nb, const void *b) {
  (void)pArg;
  return pt_compare((const char *)a, na, (const char *)b, nb);
}

int pt_register(sqlite3 *db) {
  return sqlite3_create_collation_v2(db, PT_COLLATION, SQLITE_UTF8, 0, collate_fn, 0);
}

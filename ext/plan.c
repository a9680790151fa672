/*
** plan.c: what may ship (pq_shippable), right-hand values with SQLite's
** affinity (pq_prepare_value), SQLite's comparison rules (pq_compare,
** pq_row_matches), and time text normalisation. Pure functions: no I/O,
** unit-tested in tests/unit/test_core.c.
** Calls: schema.c and time_order.c only.
*/
#include "plan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "time_order.h"

SQLITE_EXTENSION_INIT3

/* ---------------------------------------------------------------- time */

static sqlite3_int64 days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  sqlite3_int64 era = (y >= 0 ? y : y - 399) / 400;
  int yoe = (int)(y - era * 400);
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(sqlite3_int64 z, int *py, int *pm, int *pd) {
  z += 719468;
  sqlite3_int64 era = (z >= 0 ? z : z - 146096) / 146097;
  int doe = (int)(z - era * 146097);
  int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int y = (int)(yoe + era * 400);
  int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int mp = (5 * doy + 2) / 153;
  int d = doy - (153 * mp + 2) / 5 + 1;
  int m = mp + (mp < 10 ? 3 : -9);
  *py = y + (m <= 2);
  *pm = m;
  *pd = d;
}

static int days_in_month(int y, int m) {
  static const int a[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return a[m - 1];
}

static int digits(const char *z, int n, int *pOut) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (z[i] < '0' || z[i] > '9') return 0;
    v = v * 10 + (z[i] - '0');
  }
  *pOut = v;
  return 1;
}

/* v (0 <= v < 10^n) as n decimal digits. */
static void put_digits(char *z, int v, int n) {
  for (int i = n - 1; i >= 0; i--, v /= 10) z[i] = (char)('0' + v % 10);
}

int pq_time_normalize(const char *z, int n, char zOut[PQ_TIME_LEN + 1]) {
  int Y, M, D, h, mi, s, i;
  char frac[8] = "0000000";
  if (n < 19) return 0;
  if (!digits(z, 4, &Y) || z[4] != '-' || !digits(z + 5, 2, &M) || z[7] != '-' ||
      !digits(z + 8, 2, &D) || (z[10] != 'T' && z[10] != 't' && z[10] != ' ') ||
      !digits(z + 11, 2, &h) || z[13] != ':' || !digits(z + 14, 2, &mi) || z[16] != ':' ||
      !digits(z + 17, 2, &s)) {
    return 0;
  }
  i = 19;
  if (i < n && z[i] == '.') {
    int k = 0;
    i++;
    if (i >= n || z[i] < '0' || z[i] > '9') return 0;
    while (i < n && z[i] >= '0' && z[i] <= '9') {
      if (k < 7) frac[k++] = z[i];
      i++;
    }
  }
  int offMin = 0;
  if (i < n && (z[i] == 'Z' || z[i] == 'z')) {
    i++;
  } else if (i < n && (z[i] == '+' || z[i] == '-')) {
    int oh, om;
    int sign = z[i] == '-' ? -1 : 1;
    i++;
    if (i + 5 <= n && digits(z + i, 2, &oh) && z[i + 2] == ':' && digits(z + i + 3, 2, &om)) {
      i += 5;
    } else if (i + 4 <= n && digits(z + i, 2, &oh) && digits(z + i + 2, 2, &om)) {
      i += 4;
    } else {
      return 0;
    }
    if (oh > 23 || om > 59) return 0;
    offMin = sign * (oh * 60 + om);
  }
  if (i != n) return 0;
  if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || mi > 59 || s > 59) return 0;
  sqlite3_int64 mins = days_from_civil(Y, M, D) * 1440 + h * 60 + mi - offMin;
  sqlite3_int64 days = mins >= 0 ? mins / 1440 : -((-mins + 1439) / 1440);
  int rem = (int)(mins - days * 1440);
  civil_from_days(days, &Y, &M, &D);
  if (Y < 0 || Y > 9999) return 0;
  /* YYYY-MM-DD HH:MM:SS.fffffff, written digit by digit (once per row) */
  put_digits(zOut, Y, 4);
  zOut[4] = '-';
  put_digits(zOut + 5, M, 2);
  zOut[7] = '-';
  put_digits(zOut + 8, D, 2);
  zOut[10] = ' ';
  put_digits(zOut + 11, rem / 60, 2);
  zOut[13] = ':';
  put_digits(zOut + 14, rem % 60, 2);
  zOut[16] = ':';
  put_digits(zOut + 17, s, 2);
  zOut[19] = '.';
  memcpy(zOut + 20, frac, 7);
  zOut[PQ_TIME_LEN] = 0;
  return 1;
}

void pq_time_to_odata(const char zCanon[PQ_TIME_LEN], char zOut[30]) {
  memcpy(zOut, zCanon, 10);
  zOut[10] = 'T';
  memcpy(zOut + 11, zCanon + 11, 16);
  zOut[27] = 'Z';
  zOut[28] = 0;
}

int pq_time_step(const char zCanon[PQ_TIME_LEN], int iDir, char zOut[PQ_TIME_LEN + 1]) {
  int Y, M, D, h, mi, sec, f;
  if (!digits(zCanon, 4, &Y) || !digits(zCanon + 5, 2, &M) || !digits(zCanon + 8, 2, &D) ||
      !digits(zCanon + 11, 2, &h) || !digits(zCanon + 14, 2, &mi) || !digits(zCanon + 17, 2, &sec) ||
      !digits(zCanon + 20, 7, &f)) {
    return 0;
  }
  if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M)) return 0;
  sqlite3_int64 day = days_from_civil(Y, M, D);
  sqlite3_int64 tod = ((sqlite3_int64)h * 3600 + mi * 60 + sec) * 10000000 + f + (iDir < 0 ? -1 : 1);
  if (tod < 0) {
    tod += (sqlite3_int64)86400 * 10000000;
    day--;
  } else if (tod >= (sqlite3_int64)86400 * 10000000) {
    tod -= (sqlite3_int64)86400 * 10000000;
    day++;
  }
  civil_from_days(day, &Y, &M, &D);
  /* Edm.DateTimeOffset: 0001-01-01 to 9999-12-31 */
  if (Y < 1 || Y > 9999) return 0;
  f = (int)(tod % 10000000);
  sqlite3_int64 s = tod / 10000000;
  sqlite3_snprintf(PQ_TIME_LEN + 1, zOut, "%04d-%02d-%02d %02d:%02d:%02d.%07d", Y, M, D, (int)(s / 3600),
                   (int)(s / 60 % 60), (int)(s % 60), f);
  return 1;
}

/* The canonical form's shape: 'd' is a digit slot. */
static const char time_template[] = "dddd-dd-dd dd:dd:dd.ddddddd";

/*
** Complete the prefix z[0..k) of the canonical shape with its smallest
** continuation, then move a day or month of 00 up to 01 (no valid time
** lies between). Returns 1 if the result is a valid time.
*/
static int time_pad(const char *z, int k, char zOut[PQ_TIME_LEN + 1]) {
  for (int i = 0; i < PQ_TIME_LEN; i++) {
    zOut[i] = i < k ? z[i] : (time_template[i] == 'd' ? '0' : time_template[i]);
  }
  zOut[PQ_TIME_LEN] = 0;
  /* a month or day 00 lies below every valid date there: the smallest valid
     time above it is that field at 01 and everything after it at zero */
  int iZero = 0;
  if (zOut[5] == '0' && zOut[6] == '0') {
    zOut[6] = '1';
    zOut[8] = '0';
    zOut[9] = '1';
    iZero = 10;
  } else if (zOut[8] == '0' && zOut[9] == '0') {
    zOut[9] = '1';
    iZero = 10;
  }
  if (iZero) {
    for (int i = iZero; i < PQ_TIME_LEN; i++) zOut[i] = time_template[i] == 'd' ? '0' : time_template[i];
  }
  char zCheck[PQ_TIME_LEN + 1];
  return pq_time_normalize(zOut, PQ_TIME_LEN, zCheck) && memcmp(zCheck, zOut, PQ_TIME_LEN) == 0;
}

/* The day after the date in z (a canonical time), at 00:00. */
static int time_next_day(const char *z, char zOut[PQ_TIME_LEN + 1]) {
  int Y, M, D;
  if (!digits(z, 4, &Y) || !digits(z + 5, 2, &M) || !digits(z + 8, 2, &D)) return 0;
  if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M)) return 0;
  civil_from_days(days_from_civil(Y, M, D) + 1, &Y, &M, &D);
  if (Y > 9999) return 0;
  sqlite3_snprintf(PQ_TIME_LEN + 1, zOut, "%04d-%02d-%02d 00:00:00.0000000", Y, M, D);
  return 1;
}

int pq_time_bound(int op, const char *z, int n, int *pOp, char zCanon[PQ_TIME_LEN + 1],
                  int *pbExact) {
  int k = 0;
  while (k < n && k < PQ_TIME_LEN) {
    char t = time_template[k];
    if (t == 'd' ? (z[k] < '0' || z[k] > '9') : z[k] != t) break;
    k++;
  }
  int bLower = (op == PQ_GT || op == PQ_GE);
  int bUpper = (op == PQ_LT || op == PQ_LE);
  *pbExact = 0;
  if (k == PQ_TIME_LEN) {
    /* r starts with a whole canonical time */
    if (!time_pad(z, k, zCanon)) return 0;
    if (memcmp(zCanon, z, PQ_TIME_LEN) != 0) {
      /* a month or day 00 was moved up: r lies below every valid time there */
      if (op == PQ_EQ) return 0;
      *pOp = bLower ? PQ_GE : PQ_LT;
      *pbExact = 1;
      return 1;
    }
    if (n == PQ_TIME_LEN) {
      *pOp = op;
      *pbExact = 1;
      return op == PQ_EQ || bLower || bUpper;
    }
    /* r is longer: c > r <=> c > r[0..27); c < r <=> c <= r[0..27) */
    if (op == PQ_EQ) return 0;
    *pOp = bLower ? PQ_GT : PQ_LE;
    *pbExact = 1;
    return 1;
  }
  if (op == PQ_EQ) return 0; /* no canonical text equals r */
  if (k == n) {
    /* a proper prefix: every continuation is greater than r */
    if (!time_pad(z, k, zCanon)) return 0;
    *pOp = bLower ? PQ_GE : PQ_LT;
    *pbExact = 1;
    return 1;
  }
  char t = time_template[k];
  int bBelow = t == 'd' ? (unsigned char)z[k] < '0' : (unsigned char)z[k] < (unsigned char)t;
  if (!time_pad(z, k, zCanon)) return 0;
  if (bBelow) {
    /* canonical texts sharing r[0..k) are all greater than r */
    *pOp = bLower ? PQ_GE : PQ_LT;
    *pbExact = 1;
    return 1;
  }
  /* canonical texts sharing r[0..k) are all smaller than r: send looser bounds */
  if (k < 4) return 0; /* nothing useful to send */
  if (bLower) {
    *pOp = PQ_GE;
    return 1;
  }
  if (k < 10) return 0;
  if (!time_next_day(zCanon, zCanon)) return 0;
  *pOp = PQ_LT;
  return 1;
}

int pq_glob_literal(const char *z, int n, int *pbExact, const char **pzLit, int *pnLit) {
  int best = -1, bestLen = 0;
  int i = 0;
  int nSeg = 0, iSeg0 = 0;
  *pbExact = 0;
  while (i <= n) {
    int j = i;
    while (j < n && z[j] != '*' && z[j] != '?' && z[j] != '[') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    if (nSeg == 0) iSeg0 = j - i;
    nSeg++;
    if (j >= n || z[j] == '[') break;
    i = j + 1;
  }
  if (best < 0 || bestLen == 0) return 0;
  *pzLit = z + best;
  *pnLit = bestLen;
  /* exactly '*lit*' */
  if (n >= 3 && iSeg0 == 0 && z[0] == '*' && z[n - 1] == '*' && best == 1 && bestLen == n - 2) {
    *pbExact = 1;
  }
  return 1;
}

/* ---------------------------------------------------------- shippable */

int pq_shippable(int eProfile, int iCol, int eOp, const char *zColl, sqlite3_value *pRhs,
                 int *pbExact) {
  *pbExact = 0;
  if (iCol < 0 || iCol >= EV_NCOLUMN) return 0;
  const sch_column *c = &sch_events[iCol];
  int op;
  switch (eOp) {
    case SQLITE_INDEX_CONSTRAINT_EQ: op = PQ_EQ; break;
    case SQLITE_INDEX_CONSTRAINT_GT: op = PQ_GT; break;
    case SQLITE_INDEX_CONSTRAINT_GE: op = PQ_GE; break;
    case SQLITE_INDEX_CONSTRAINT_LT: op = PQ_LT; break;
    case SQLITE_INDEX_CONSTRAINT_LE: op = PQ_LE; break;
    case SQLITE_INDEX_CONSTRAINT_NE: op = PQ_NE; break;
    case SQLITE_INDEX_CONSTRAINT_ISNULL: op = PQ_ISNULL; break;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: op = PQ_ISNOTNULL; break;
    case SQLITE_INDEX_CONSTRAINT_GLOB: op = PQ_GLOB; break;
    case SQLITE_INDEX_CONSTRAINT_LIKE: op = PQ_LIKE; break;
    case SQLITE_INDEX_CONSTRAINT_FUNCTION: op = PQ_CONTAINS; break;
    default: return 0;
  }
  int bBinary = zColl == 0 || sqlite3_stricmp(zColl, "BINARY") == 0;
  /* a time column compares instants (its declared collation): a comparison
     under that collation ships exactly, under any other it stays with SQLite */
  int bCmp = op == PQ_EQ || op == PQ_GT || op == PQ_GE || op == PQ_LT || op == PQ_LE || op == PQ_NE;
  if (c->eKind == SCH_TIME && bCmp) {
    if (!zColl || sqlite3_stricmp(zColl, PT_COLLATION) != 0) return 0;
    bBinary = 1;
  }
  if (eProfile == PQ_PROFILE_LOCAL) {
    /* pq_row_matches() is SQLite's own comparison under BINARY */
    if (!bBinary && op != PQ_ISNULL && op != PQ_ISNOTNULL && op != PQ_LIKE) return 0;
    /* LIKE: PRAGMA case_sensitive_like may change it; SQLite re-checks */
    *pbExact = op != PQ_LIKE;
    return op;
  }
  /* Graph */
  if (!bBinary) return 0;
  unsigned ops = c->graphOps;
  int rhsType = pRhs ? sqlite3_value_type(pRhs) : 0;
  switch (op) {
    case PQ_EQ:
    case PQ_GT:
    case PQ_LT:
    case PQ_GE:
    case PQ_LE: {
      unsigned need = op == PQ_EQ ? SCH_OP_EQ : op == PQ_GT ? SCH_OP_GT : op == PQ_LT ? SCH_OP_LT
                      : op == PQ_GE ? (SCH_OP_GT | SCH_OP_EQ) : (SCH_OP_LT | SCH_OP_EQ);
      if ((ops & need) != need) return 0;
      if (rhsType == SQLITE_TEXT && c->eKind == SCH_TEXT) {
        *pbExact = !c->bCaseFold;
      } else if (rhsType == SQLITE_INTEGER && c->eKind == SCH_INT) {
        *pbExact = 1;
      } else if (rhsType == SQLITE_TEXT && c->eKind == SCH_TIME) {
        int n = sqlite3_value_bytes(pRhs);
        const char *z = (const char *)sqlite3_value_text(pRhs);
        char zCanon[PQ_TIME_LEN + 1];
        int o2;
        if (z && pt_bound(op, z, n, &o2, zCanon)) *pbExact = 1;
      }
      return op;
    }
    case PQ_GLOB:
      if (!(ops & SCH_OP_CONTAINS)) return 0;
      if (rhsType == SQLITE_TEXT && !c->bCaseFold && c->eKind == SCH_TEXT) {
        const char *zLit;
        int nLit, ex;
        const char *z = (const char *)sqlite3_value_text(pRhs);
        if (z && pq_glob_literal(z, sqlite3_value_bytes(pRhs), &ex, &zLit, &nLit)) *pbExact = ex;
      }
      return op;
    case PQ_CONTAINS:
      if (!(ops & SCH_OP_CONTAINS)) return 0;
      *pbExact = rhsType == SQLITE_TEXT && !c->bCaseFold && c->eKind == SCH_TEXT;
      return op;
    default:
      return 0;
  }
}

/* ------------------------------------------------------------- values */

/* Is z[0..n) a number SQLite's NUMERIC affinity would convert? */
static int text_to_number(const char *z, int n, pv_value *pOut) {
  int i = 0, e = n;
  while (i < e && (z[i] == ' ' || z[i] == '\t' || z[i] == '\n' || z[i] == '\r' || z[i] == '\f')) i++;
  while (e > i && (z[e - 1] == ' ' || z[e - 1] == '\t' || z[e - 1] == '\n' || z[e - 1] == '\r' ||
                   z[e - 1] == '\f')) {
    e--;
  }
  if (i >= e || e - i > 60) return 0;
  char buf[64];
  memcpy(buf, z + i, (size_t)(e - i));
  buf[e - i] = 0;
  /* the grammar of a SQL numeric literal, with an optional sign */
  int k = 0, nDigit = 0, bReal = 0;
  if (buf[k] == '+' || buf[k] == '-') k++;
  while (buf[k] >= '0' && buf[k] <= '9') k++, nDigit++;
  if (buf[k] == '.') {
    bReal = 1;
    k++;
    while (buf[k] >= '0' && buf[k] <= '9') k++, nDigit++;
  }
  if (nDigit == 0) return 0;
  if (buf[k] == 'e' || buf[k] == 'E') {
    bReal = 1;
    k++;
    if (buf[k] == '+' || buf[k] == '-') k++;
    if (!(buf[k] >= '0' && buf[k] <= '9')) return 0;
    while (buf[k] >= '0' && buf[k] <= '9') k++;
  }
  if (buf[k]) return 0;
  if (!bReal) {
    errno = 0;
    long long v = strtoll(buf, 0, 10);
    if (errno == 0) {
      pOut->eType = SQLITE_INTEGER;
      pOut->i = v;
      return 1;
    }
    /* out of range integers become REAL, as in SQLite */
  }
  double r = strtod(buf, 0);
  if (r >= -9223372036854775808.0 && r < 9223372036854775808.0 && r == (double)(sqlite3_int64)r) {
    pOut->eType = SQLITE_INTEGER;
    pOut->i = (sqlite3_int64)r;
  } else {
    pOut->eType = SQLITE_FLOAT;
    pOut->r = r;
  }
  return 1;
}

int pq_prepare_value(int iCol, sqlite3_value *pVal, pv_value *pOut) {
  int eKind = (iCol >= 0 && iCol < EV_NCOLUMN) ? sch_events[iCol].eKind : SCH_TEXT;
  int t = sqlite3_value_type(pVal);
  memset(pOut, 0, sizeof(*pOut));
  pOut->eType = SQLITE_NULL;
  if (t == SQLITE_NULL) return SQLITE_OK;
  if (eKind == SCH_INT || eKind == SCH_TIME) {
    /* INTEGER / NUMERIC affinity */
    if (t == SQLITE_INTEGER) {
      pOut->eType = SQLITE_INTEGER;
      pOut->i = sqlite3_value_int64(pVal);
      return SQLITE_OK;
    }
    if (t == SQLITE_FLOAT) {
      double r = sqlite3_value_double(pVal);
      pOut->eType = SQLITE_FLOAT;
      pOut->r = r;
      return SQLITE_OK;
    }
    if (t == SQLITE_TEXT) {
      const char *z = (const char *)sqlite3_value_text(pVal);
      int n = sqlite3_value_bytes(pVal);
      if (z && text_to_number(z, n, pOut)) return SQLITE_OK;
    }
  } else if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
    t = SQLITE_TEXT; /* TEXT affinity: the number's text */
  }
  const void *p = t == SQLITE_BLOB ? sqlite3_value_blob(pVal) : (const void *)sqlite3_value_text(pVal);
  int n = sqlite3_value_bytes(pVal);
  char *z = sqlite3_malloc64((sqlite3_uint64)n + 1);
  if (!z) return SQLITE_NOMEM;
  if (n) memcpy(z, p, (size_t)n);
  z[n] = 0;
  pOut->eType = t == SQLITE_BLOB ? SQLITE_BLOB : SQLITE_TEXT;
  pOut->z = z;
  pOut->n = n;
  return SQLITE_OK;
}

void pq_query_free(pq_query *q) {
  if (!q) return;
  for (int i = 0; i < q->nCond; i++) {
    for (int k = 0; k < q->aCond[i].nVal; k++) {
      sqlite3_free((char *)q->aCond[i].aVal[k].z);
    }
    sqlite3_free(q->aCond[i].aVal);
  }
  sqlite3_free(q->aCond);
  q->aCond = 0;
  q->nCond = 0;
}

static int type_rank(int t) {
  switch (t) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: return 1;
    case SQLITE_TEXT: return 2;
    case SQLITE_BLOB: return 3;
    default: return 0;
  }
}

int pq_compare(const pv_value *a, const pv_value *b, int *pbNull) {
  *pbNull = a->eType == SQLITE_NULL || b->eType == SQLITE_NULL;
  if (*pbNull) return 0;
  int ra = type_rank(a->eType), rb = type_rank(b->eType);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 1) {
    if (a->eType == SQLITE_INTEGER && b->eType == SQLITE_INTEGER) {
      return a->i < b->i ? -1 : a->i > b->i;
    }
    if (a->eType == SQLITE_FLOAT && b->eType == SQLITE_FLOAT) {
      return a->r < b->r ? -1 : a->r > b->r;
    }
    /* integer against real, as SQLite does it: exactly */
    sqlite3_int64 i = a->eType == SQLITE_INTEGER ? a->i : b->i;
    double r = a->eType == SQLITE_FLOAT ? a->r : b->r;
    int c;
    if (isnan(r)) {
      c = 1;
    } else if (r < -9223372036854775808.0) {
      c = 1;
    } else if (r >= 9223372036854775808.0) {
      c = -1;
    } else {
      sqlite3_int64 y = (sqlite3_int64)r;
      double s = (double)i;
      c = i < y ? -1 : i > y ? 1 : s < r ? -1 : s > r ? 1 : 0;
    }
    return a->eType == SQLITE_INTEGER ? c : -c;
  }
  int n = a->n < b->n ? a->n : b->n;
  int c = n ? memcmp(a->z, b->z, (size_t)n) : 0;
  if (c) return c;
  return a->n < b->n ? -1 : a->n > b->n;
}

/* The value as NUL-terminated text in zBuf (grown as needed). */
static const char *value_text(const pv_value *v, char **pzBuf, int *pnBuf) {
  char tmp[64];
  const char *z;
  int n;
  if (v->eType == SQLITE_INTEGER) {
    sqlite3_snprintf(sizeof(tmp), tmp, "%lld", v->i);
    z = tmp;
    n = (int)strlen(tmp);
  } else if (v->eType == SQLITE_FLOAT) {
    sqlite3_snprintf(sizeof(tmp), tmp, "%!.15g", v->r);
    z = tmp;
    n = (int)strlen(tmp);
  } else {
    z = v->z;
    n = v->n;
  }
  if (n + 1 > *pnBuf) {
    char *zNew = sqlite3_realloc64(*pzBuf, (sqlite3_uint64)n + 64);
    if (!zNew) return 0;
    *pzBuf = zNew;
    *pnBuf = n + 64;
  }
  if (n) memcpy(*pzBuf, z, (size_t)n);
  (*pzBuf)[n] = 0;
  return *pzBuf;
}

static int text_contains(const char *z, int n, const char *zNeedle, int nNeedle) {
  if (nNeedle == 0) return 1;
  for (int i = 0; i + nNeedle <= n; i++) {
    if (z[i] == zNeedle[0] && memcmp(z + i, zNeedle, (size_t)nNeedle) == 0) return 1;
  }
  return 0;
}

/* pq_compare, but a time column compares text under provisioning_time. */
static int cond_compare(const pq_cond *c, const pv_value *v, const pv_value *r, int *pbNull) {
  if (c->iCol >= 0 && c->iCol < EV_NCOLUMN && sch_events[c->iCol].eKind == SCH_TIME &&
      v->eType == SQLITE_TEXT && r->eType == SQLITE_TEXT) {
    *pbNull = 0;
    return pt_compare(v->z, v->n, r->z, r->n);
  }
  return pq_compare(v, r, pbNull);
}

int pq_row_matches(const pq_query *q, pq_column_fn xCol, void *pRow, int *pbMatch) {
  char *zBuf = 0;
  int nBuf = 0;
  int rc = SQLITE_OK;
  *pbMatch = 1;
  for (int i = 0; i < q->nCond && *pbMatch; i++) {
    const pq_cond *c = &q->aCond[i];
    pv_value v;
    int bNull, cmp, ok = 0;
    rc = xCol(pRow, c->iCol, &v);
    if (rc) break;
    switch (c->op) {
      case PQ_ISNULL: ok = v.eType == SQLITE_NULL; break;
      case PQ_ISNOTNULL: ok = v.eType != SQLITE_NULL; break;
      case PQ_EQ:
      case PQ_NE:
      case PQ_GT:
      case PQ_GE:
      case PQ_LT:
      case PQ_LE:
        cmp = cond_compare(c, &v, &c->aVal[0], &bNull);
        if (bNull) break;
        ok = c->op == PQ_EQ ? cmp == 0 : c->op == PQ_NE ? cmp != 0 : c->op == PQ_GT ? cmp > 0
             : c->op == PQ_GE ? cmp >= 0 : c->op == PQ_LT ? cmp < 0 : cmp <= 0;
        break;
      case PQ_IN:
        for (int k = 0; k < c->nVal && !ok; k++) {
          cmp = cond_compare(c, &v, &c->aVal[k], &bNull);
          ok = !bNull && cmp == 0;
        }
        break;
      case PQ_GLOB:
      case PQ_LIKE: {
        if (v.eType == SQLITE_NULL || c->aVal[0].eType == SQLITE_NULL) break;
        const char *zRow = value_text(&v, &zBuf, &nBuf);
        if (!zRow) {
          rc = SQLITE_NOMEM;
          break;
        }
        /* a NUL inside the text ends it, as for SQLite's own functions */
        const char *zPat = c->aVal[0].eType == SQLITE_TEXT || c->aVal[0].eType == SQLITE_BLOB
                               ? c->aVal[0].z : 0;
        char tmp[64];
        if (!zPat) {
          if (c->aVal[0].eType == SQLITE_INTEGER) {
            sqlite3_snprintf(sizeof(tmp), tmp, "%lld", c->aVal[0].i);
          } else {
            sqlite3_snprintf(sizeof(tmp), tmp, "%!.15g", c->aVal[0].r);
          }
          zPat = tmp;
        }
        ok = c->op == PQ_GLOB ? sqlite3_strglob(zPat, zRow) == 0 : sqlite3_strlike(zPat, zRow, 0) == 0;
        break;
      }
      case PQ_CONTAINS: {
        if (v.eType == SQLITE_NULL || c->aVal[0].eType == SQLITE_NULL) break;
        const char *zRow = value_text(&v, &zBuf, &nBuf);
        if (!zRow) {
          rc = SQLITE_NOMEM;
          break;
        }
        int nRow = (int)strlen(zRow);
        if (v.eType == SQLITE_TEXT || v.eType == SQLITE_BLOB) nRow = v.n;
        ok = c->aVal[0].eType == SQLITE_TEXT && text_contains(zRow, nRow, c->aVal[0].z, c->aVal[0].n);
        break;
      }
      default:
        ok = 1; /* unknown: keep the row, SQLite decides */
    }
    if (rc) break;
    if (!ok) *pbMatch = 0;
  }
  sqlite3_free(zBuf);
  return rc;
}

/*
** odata.c: a pq_query as Graph OData text (see odata.h).
**
** Every condition is written from what pq_shippable() approved and from
** the value pq_prepare_value() produced; a value with no exact Graph form
** is written looser (reals rounded outwards; times through pq_time_bound)
** or not at all, and only with the forms the profile allows (odata_forms.h):
** no `or`, ge, le, ne or in under the documented profile, where ge v is
** written gt v-1 (times: gt v - 100 ns) and le v as lt v+1, exactly. A value of eType 0 is a
** placeholder "?N" (i = N): the plan's template shown by EXPLAIN before
** the values are known.
** Calls: schema.c (Graph names), odata_forms.c (the profile and refused forms)
** and time_order.c (instant bounds); pure otherwise.
*/
#include "odata.h"

#include <math.h>
#include <string.h>

#include "odata_forms.h"
#include "schema.h"
#include "time_order.h"

SQLITE_EXTENSION_INIT3

void odata_percent(sqlite3_str *pStr, const char *z, int n) {
  static const char hex[] = "0123456789ABCDEF";
  for (int i = 0; i < n; i++) {
    unsigned char c = (unsigned char)z[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      sqlite3_str_appendchar(pStr, 1, (char)c);
    } else {
      char buf[3] = {'%', hex[c >> 4], hex[c & 15]};
      sqlite3_str_append(pStr, buf, 3);
    }
  }
}

void odata_quote(sqlite3_str *pStr, const char *z, int n) {
  sqlite3_str_appendchar(pStr, 1, '\'');
  int i0 = 0;
  for (int i = 0; i < n; i++) {
    if (z[i] == '\'') {
      sqlite3_str_append(pStr, z + i0, i + 1 - i0);
      sqlite3_str_appendchar(pStr, 1, '\'');
      i0 = i + 1;
    }
  }
  sqlite3_str_append(pStr, z + i0, n - i0);
  sqlite3_str_appendchar(pStr, 1, '\'');
}

static const char *op_name(int op) {
  switch (op) {
    case PQ_EQ: return "eq";
    case PQ_GT: return "gt";
    case PQ_LT: return "lt";
    default: return "?";
  }
}

/* Values of Graph's enumerations (a string outside them is a 400 on a strict server). */
static const char *const azActionEnum[] = {"create", "update", "delete", "stagedDelete", "disable",
                                           "other", "unknownFutureValue", 0};
static const char *const azStatusEnum[] = {"success", "warning", "failure", "skipped", "unknownFutureValue", 0};

static const char *const *column_enum(const sch_column *col) {
  if (strcmp(col->zName, "action") == 0) return azActionEnum;
  if (strcmp(col->zName, "status") == 0) return azStatusEnum;
  return 0;
}

static int enum_member(const char *const *az, const char *z, int n) {
  for (int i = 0; az[i]; i++) {
    if ((int)strlen(az[i]) == n && memcmp(az[i], z, (size_t)n) == 0) return 1;
  }
  return 0;
}

/* Outcomes of a comparison's Graph form. */
#define OD_NONE 0   /* no Graph form: left to SQLite */
#define OD_SEND 1   /* *pOp and zLit hold it */
#define OD_NEVER 2  /* Graph's type says no row matches */
#define OD_ALWAYS 3 /* every row with a value matches: nothing to send */

#define INT32_LO (-2147483647LL - 1)
#define INT32_HI 2147483647LL

/*
** The Graph form of "column op value" for one value: an operator Graph
** documents (eq, gt, lt) and its literal (zLit, quoted when *pbQuote),
** with the exact rewrites ge v = gt v-1 (integers; times: v - 100 ns) and
** le v = lt v+1; literals are kept inside the property's type (Int32,
** DateTimeOffset years 0001-9999, enumeration members).
*/
static int cmp_form(const sch_column *col, int op, const pv_value *v, int *pOp, char zLit[64], int *pbQuote) {
  *pbQuote = 0;
  if (v->eType == 0) { /* a placeholder ?N, for EXPLAIN */
    const char *zAdj = "";
    if (op == PQ_GE || op == PQ_LE) {
      zAdj = col->eKind == SCH_TIME ? (op == PQ_GE ? "-100ns" : "+100ns") : (op == PQ_GE ? "-1" : "+1");
      op = op == PQ_GE ? PQ_GT : PQ_LT;
    }
    sqlite3_snprintf(64, zLit, "?%lld%s", v->i, zAdj);
    *pOp = op;
    return OD_SEND;
  }
  switch (col->eKind) {
    case SCH_TEXT: {
      if (op != PQ_EQ || v->eType != SQLITE_TEXT) return OD_NONE;
      if (memchr(v->z, 0, (size_t)v->n)) return OD_NONE; /* a NUL cannot travel in a URL */
      const char *const *az = column_enum(col);
      if (az && !enum_member(az, v->z, v->n)) return OD_NONE; /* SQLite decides */
      *pOp = PQ_EQ;
      *pbQuote = 1;
      return OD_SEND;
    }
    case SCH_INT: {
      sqlite3_int64 i;
      if (v->eType == SQLITE_INTEGER) {
        i = v->i;
      } else if (v->eType == SQLITE_FLOAT && !isnan(v->r)) {
        double r = v->r;
        if (fabs(r) >= 9.0e15) { /* far outside Int32 */
          if (op == PQ_EQ) return OD_NEVER;
          int bAbove = r > 0; /* the value lies above every Int32 */
          return (op == PQ_GT || op == PQ_GE) == bAbove ? OD_NEVER : OD_ALWAYS;
        }
        if (r != floor(r)) {
          if (op == PQ_EQ) return OD_NEVER; /* no integer equals it */
          /* x > 5.5 <=> x > 5; x < 5.5 <=> x < 6 */
          i = (sqlite3_int64)((op == PQ_GT || op == PQ_GE) ? floor(r) : ceil(r));
          op = (op == PQ_GT || op == PQ_GE) ? PQ_GT : PQ_LT;
        } else {
          i = (sqlite3_int64)r;
        }
      } else {
        return OD_NONE;
      }
      /* integers: ge v is gt v-1, le v is lt v+1 (no overflow: checked against Int32 first) */
      if (op == PQ_GE) {
        if (i <= INT32_LO) return OD_ALWAYS;
        i--;
        op = PQ_GT;
      } else if (op == PQ_LE) {
        if (i >= INT32_HI) return OD_ALWAYS;
        i++;
        op = PQ_LT;
      }
      /* Edm.Int32: a literal outside it is never sent; the answer is known */
      if (op == PQ_EQ && (i < INT32_LO || i > INT32_HI)) return OD_NEVER;
      if (op == PQ_GT && i >= INT32_HI) return OD_NEVER;
      if (op == PQ_GT && i < INT32_LO) return OD_ALWAYS;
      if (op == PQ_LT && i <= INT32_LO) return OD_NEVER;
      if (op == PQ_LT && i > INT32_HI) return OD_ALWAYS;
      sqlite3_snprintf(64, zLit, "%lld", i);
      *pOp = op;
      return OD_SEND;
    }
    case SCH_TIME: {
      char zCanon[PQ_TIME_LEN + 1], zStep[PQ_TIME_LEN + 1];
      int op2;
      if (v->eType != SQLITE_TEXT) return OD_NONE;
      /* the column's collation compares instants (time_order.h) */
      if (!pt_bound(op, v->z, v->n, &op2, zCanon)) return OD_NONE;
      /* ge t is gt (t - 100 ns), le t is lt (t + 100 ns): DateTimeOffset has 100 ns ticks */
      if (op2 == PQ_GE || op2 == PQ_LE) {
        if (!pq_time_step(zCanon, op2 == PQ_GE ? -1 : 1, zStep)) {
          /* t - 100 ns before year 0001: every time is >= t (likewise <= at the top) */
          if (memcmp(zCanon, "0000", 4) == 0 && op2 == PQ_LE) return OD_NEVER;
          return OD_ALWAYS;
        }
        memcpy(zCanon, zStep, sizeof(zStep));
        op2 = op2 == PQ_GE ? PQ_GT : PQ_LT;
      } else if (memcmp(zCanon, "0000", 4) == 0) {
        /* below Edm.DateTimeOffset's first instant */
        return op2 == PQ_GT ? OD_ALWAYS : OD_NEVER;
      }
      char zOdata[30];
      pq_time_to_odata(zCanon, zOdata);
      memcpy(zLit, zOdata, sizeof(zOdata));
      *pOp = op2;
      return OD_SEND;
    }
    default:
      return OD_NONE;
  }
}

/* Append "prop op literal"; returns the form used. */
static unsigned write_cmp(sqlite3_str *s, const char *zProp, int op, const char *zLit, int bQuote) {
  sqlite3_str_appendf(s, "%s %s ", zProp, op_name(op));
  if (bQuote) odata_quote(s, zLit, (int)strlen(zLit));
  else sqlite3_str_appendall(s, zLit);
  return op == PQ_EQ ? ODATA_FORM_EQ : ODATA_FORM_CMP;
}

/* The outcome of condition c under the forms in allow; the text goes to s when OD_SEND. */
static int cond_form(sqlite3_str *s, const pq_cond *c, unsigned allow, unsigned *pUsed) {
  if (c->iCol < 0 || c->iCol >= EV_NCOLUMN) return OD_NONE;
  const sch_column *col = &sch_events[c->iCol];
  unsigned ops = col->graphOps;
  int op2, bQuote;
  char zLit[64];
  switch (c->op) {
    case PQ_EQ:
    case PQ_GT:
    case PQ_LT:
    case PQ_GE:
    case PQ_LE: {
      unsigned need = c->op == PQ_EQ ? SCH_OP_EQ : (c->op == PQ_GT || c->op == PQ_GE) ? SCH_OP_GT : SCH_OP_LT;
      if (!(ops & need) || c->nVal != 1) return OD_NONE;
      const pv_value *v = &c->aVal[0];
      int r = cmp_form(col, c->op, v, &op2, zLit, &bQuote);
      if (r != OD_SEND) return r;
      if (!(allow & (op2 == PQ_EQ ? ODATA_FORM_EQ : ODATA_FORM_CMP))) return OD_NONE;
      if (bQuote) {
        sqlite3_str_appendf(s, "%s eq ", col->azPath[0]);
        odata_quote(s, v->z, v->n);
        *pUsed |= ODATA_FORM_EQ;
      } else {
        *pUsed |= write_cmp(s, col->azPath[0], op2, zLit, 0);
      }
      return OD_SEND;
    }
    case PQ_IN: {
      if (!(ops & SCH_OP_EQ) || !(allow & ODATA_FORM_EQ)) return OD_NONE;
      if (c->nVal == 1 && c->aVal[0].eType == 0) {
        if (allow & ODATA_FORM_OR) {
          sqlite3_str_appendf(s, "(%s eq ?%lld or ...)", col->azPath[0], c->aVal[0].i);
          *pUsed |= ODATA_FORM_OR;
        } else {
          sqlite3_str_appendf(s, "%s eq ?%lld (one request per IN value, up to %d)", col->azPath[0],
                              c->aVal[0].i, ODATA_IN_SPLIT_MAX);
        }
        *pUsed |= ODATA_FORM_EQ;
        return OD_SEND;
      }
      /* the values with a Graph form; any without one keeps the whole IN local */
      sqlite3_str *one = sqlite3_str_new(0);
      int nOut = 0, r = OD_SEND;
      for (int k = 0; k < c->nVal && r == OD_SEND; k++) {
        const pv_value *v = &c->aVal[k];
        if (v->eType == SQLITE_NULL) continue; /* never equal */
        int rk = cmp_form(col, PQ_EQ, v, &op2, zLit, &bQuote);
        if (rk == OD_NEVER) continue; /* this value matches nothing */
        if (rk != OD_SEND) {
          r = OD_NONE;
          break;
        }
        if (nOut) sqlite3_str_appendall(one, " or ");
        sqlite3_str_appendf(one, "%s eq ", col->azPath[0]);
        if (bQuote) odata_quote(one, v->z, v->n);
        else sqlite3_str_appendall(one, zLit);
        nOut++;
      }
      char *zIn = sqlite3_str_finish(one);
      if (r == OD_SEND && nOut == 0) r = OD_NEVER;
      if (r == OD_SEND && nOut > 1 && !(allow & ODATA_FORM_OR)) r = OD_NONE;
      if (r == OD_SEND) {
        sqlite3_str_appendf(s, nOut > 1 ? "(%s)" : "%s", zIn ? zIn : "");
        *pUsed |= ODATA_FORM_EQ | (nOut > 1 ? ODATA_FORM_OR : 0);
      }
      sqlite3_free(zIn);
      return r;
    }
    case PQ_GLOB:
    case PQ_CONTAINS: {
      const pv_value *v = &c->aVal[0];
      if (!(ops & SCH_OP_CONTAINS) || c->nVal != 1 || !(allow & ODATA_FORM_CONTAINS)) return OD_NONE;
      if (v->eType == 0) {
        sqlite3_str_appendf(s, "contains(%s,?%lld)", col->azPath[0], v->i);
        *pUsed |= ODATA_FORM_CONTAINS;
        return OD_SEND;
      }
      if (v->eType != SQLITE_TEXT || memchr(v->z, 0, (size_t)v->n)) return OD_NONE;
      const char *zL = v->z;
      int nL = v->n, bExact;
      if (c->op == PQ_GLOB && !pq_glob_literal(v->z, v->n, &bExact, &zL, &nL)) return OD_NONE;
      sqlite3_str_appendf(s, "contains(%s,", col->azPath[0]);
      odata_quote(s, zL, nL);
      sqlite3_str_appendall(s, ")");
      *pUsed |= ODATA_FORM_CONTAINS;
      return OD_SEND;
    }
    default:
      return OD_NONE;
  }
}

int odata_cond_ex(sqlite3_str *pStr, const pq_cond *c, unsigned allow, unsigned *pUsed) {
  sqlite3_str *s = sqlite3_str_new(0);
  unsigned used = 0;
  int r = cond_form(s, c, allow, &used);
  char *z = sqlite3_str_finish(s);
  int ok = r == OD_SEND && z != 0;
  if (ok) {
    sqlite3_str_appendall(pStr, z);
    if (pUsed) *pUsed |= used;
  }
  sqlite3_free(z);
  return ok;
}

int odata_cond(sqlite3_str *pStr, const pq_cond *c) {
  return odata_cond_ex(pStr, c, ODATA_PROFILE_DOCUMENTED, 0);
}

int odata_value_sendable(int iCol, const pv_value *v) {
  if (iCol < 0 || iCol >= EV_NCOLUMN || !(sch_events[iCol].graphOps & SCH_OP_EQ)) return 0;
  int op2, bQuote;
  char zLit[64];
  if (v->eType == SQLITE_NULL) return 1; /* matches nothing */
  int r = cmp_form(&sch_events[iCol], PQ_EQ, v, &op2, zLit, &bQuote);
  return r == OD_SEND || r == OD_NEVER;
}

int odata_never(const pq_query *q) {
  for (int i = 0; i < q->nCond; i++) {
    sqlite3_str *s = sqlite3_str_new(0);
    unsigned used = 0;
    int r = cond_form(s, &q->aCond[i], ODATA_FORM_ALL, &used);
    sqlite3_free(sqlite3_str_finish(s));
    if (r == OD_NEVER) return 1;
  }
  return 0;
}

char *odata_build_ex(const pq_query *q, int bEncode, sqlite3_int64 nPageSize, sqlite3_int64 nPageMax, unsigned allow,
                     unsigned *pUsed) {
  sqlite3_str *out = sqlite3_str_new(0);
  sqlite3_str *f = sqlite3_str_new(0);
  int nPart = 0, nCond = 0;
  unsigned used = 0;
  for (int i = 0; i < q->nCond; i++) {
    /* without `and`, the first condition Graph can take is all that is sent */
    if (nCond && !(allow & ODATA_FORM_AND)) break;
    sqlite3_str *one = sqlite3_str_new(0);
    if (odata_cond_ex(one, &q->aCond[i], allow, &used)) {
      char *z = sqlite3_str_finish(one);
      if (z) sqlite3_str_appendf(f, "%s%s", nCond++ ? " and " : "", z);
      sqlite3_free(z);
    } else {
      sqlite3_free(sqlite3_str_finish(one));
    }
  }
  if (nCond > 1) used |= ODATA_FORM_AND;
  char *zFilter = sqlite3_str_finish(f);
  if (zFilter && zFilter[0]) {
    sqlite3_str_appendall(out, "$filter=");
    if (bEncode) odata_percent(out, zFilter, (int)strlen(zFilter));
    else sqlite3_str_appendall(out, zFilter);
    nPart++;
  }
  sqlite3_free(zFilter);
  if (q->iOrderCol >= 0 && q->iOrderCol < EV_NCOLUMN && sch_events[q->iOrderCol].bGraphSort &&
      (allow & ODATA_FORM_ORDERBY)) {
    sqlite3_str_appendf(out, "%s$orderby=%s%s%s", nPart++ ? "&" : "", sch_events[q->iOrderCol].azPath[0],
                        bEncode ? "%20" : " ", q->bDesc ? "desc" : "asc");
    used |= ODATA_FORM_ORDERBY;
  }
  /* without LIMIT, the largest page Graph accepts: fewest requests */
  sqlite3_int64 nTop = q->nTop > 0 ? q->nTop : nPageSize > 0 ? nPageSize : nPageMax;
  if (nPageMax > 0 && nTop > nPageMax) nTop = nPageMax;
  if (nTop > 0 && (allow & ODATA_FORM_TOP)) {
    sqlite3_str_appendf(out, "%s$top=%lld", nPart++ ? "&" : "", nTop);
    used |= ODATA_FORM_TOP;
  }
  if (allow & ODATA_FORM_SELECT) {
    char *zSel = sch_events_select(q->colUsed);
    if (zSel) {
      sqlite3_str_appendf(out, "%s$select=", nPart++ ? "&" : "");
      if (bEncode) odata_percent(out, zSel, (int)strlen(zSel));
      else sqlite3_str_appendall(out, zSel);
      used |= ODATA_FORM_SELECT;
    }
    sqlite3_free(zSel);
  }
  if (pUsed) *pUsed = used;
  int rc = sqlite3_str_errcode(out);
  char *zOut = sqlite3_str_finish(out);
  if (!zOut && rc == SQLITE_OK) zOut = sqlite3_mprintf("%s", "");
  return zOut;
}

char *odata_build(const pq_query *q, int bEncode, sqlite3_int64 nPageSize, sqlite3_int64 nPageMax, int bSelect) {
  return odata_build_ex(q, bEncode, nPageSize, nPageMax, ODATA_PROFILE_DOCUMENTED | (bSelect ? ODATA_FORM_SELECT : 0),
                        0);
}

/* A literal as the in-process filter text shows it. */
static void local_literal(sqlite3_str *s, const pv_value *v) {
  switch (v->eType) {
    case 0: sqlite3_str_appendf(s, "?%lld", v->i); break;
    case SQLITE_INTEGER: sqlite3_str_appendf(s, "%lld", v->i); break;
    case SQLITE_FLOAT: sqlite3_str_appendf(s, "%!.15g", v->r); break;
    case SQLITE_TEXT: odata_quote(s, v->z, v->n); break;
    case SQLITE_BLOB:
      sqlite3_str_appendall(s, "binary'");
      for (int i = 0; i < v->n; i++) sqlite3_str_appendf(s, "%02X", (unsigned char)v->z[i]);
      sqlite3_str_appendall(s, "'");
      break;
    default: sqlite3_str_appendall(s, "null"); break;
  }
}

char *odata_display_local(const pq_query *q) {
  sqlite3_str *s = sqlite3_str_new(0);
  int nPart = 0;
  for (int i = 0; i < q->nCond; i++) {
    const pq_cond *c = &q->aCond[i];
    const char *zProp = sch_events[c->iCol].azPath[0] ? sch_events[c->iCol].azPath[0] : "$raw";
    sqlite3_str_appendall(s, i ? " and " : "$filter=");
    switch (c->op) {
      case PQ_ISNULL: sqlite3_str_appendf(s, "%s eq null", zProp); break;
      case PQ_ISNOTNULL: sqlite3_str_appendf(s, "%s ne null", zProp); break;
      case PQ_IN:
        sqlite3_str_appendf(s, "%s in (", zProp);
        for (int k = 0; k < c->nVal; k++) {
          if (k) sqlite3_str_appendall(s, ",");
          local_literal(s, &c->aVal[k]);
        }
        sqlite3_str_appendall(s, ")");
        break;
      case PQ_GLOB:
      case PQ_LIKE:
      case PQ_CONTAINS:
        sqlite3_str_appendf(s, "%s(%s,", c->op == PQ_GLOB ? "glob" : c->op == PQ_LIKE ? "like" : "contains", zProp);
        local_literal(s, &c->aVal[0]);
        sqlite3_str_appendall(s, ")");
        break;
      default: {
        static const char *const az[] = {"", "eq", "ne", "gt", "ge", "lt", "le"};
        sqlite3_str_appendf(s, "%s %s ", zProp, c->op >= 1 && c->op <= 6 ? az[c->op] : "?");
        local_literal(s, &c->aVal[0]);
      }
    }
    nPart = 1;
  }
  if (q->iOrderCol >= 0 && q->iOrderCol < EV_NCOLUMN) {
    sqlite3_str_appendf(s, "%s$orderby=%s %s", nPart++ ? "&" : "", sch_events[q->iOrderCol].azPath[0],
                        q->bDesc ? "desc" : "asc");
  }
  if (q->nTop > 0) sqlite3_str_appendf(s, "%s$top=%lld", nPart++ ? "&" : "", q->nTop);
  int rc = sqlite3_str_errcode(s);
  char *z = sqlite3_str_finish(s);
  if (!z && rc == SQLITE_OK) z = sqlite3_mprintf("%s", "");
  return z;
}

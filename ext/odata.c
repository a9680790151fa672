/*
** odata.c: a pq_query as Graph OData text (see odata.h).
**
** Every condition is written from what pq_shippable() approved and from
** the value pq_prepare_value() produced; a value with no exact Graph form
** is written looser (integers: ge v as gt v-1; reals rounded outwards;
** times through pq_time_bound) or not at all. A value of eType 0 is a
** placeholder "?N" (i = N): the plan's template shown by EXPLAIN before
** the values are known.
*/
#include "odata.h"

#include <math.h>
#include <string.h>

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
    case PQ_GE: return "ge";
    case PQ_LE: return "le";
    default: return "?";
  }
}

/* One comparison "prop op literal" where Graph has op; ge/le as or-pairs. */
static void write_cmp(sqlite3_str *s, const char *zProp, int op, const char *zLit, int bQuote) {
  int nLit = (int)strlen(zLit);
  if (op == PQ_GE || op == PQ_LE) {
    sqlite3_str_appendf(s, "(%s %s ", zProp, op == PQ_GE ? "gt" : "lt");
    if (bQuote) odata_quote(s, zLit, nLit); else sqlite3_str_appendall(s, zLit);
    sqlite3_str_appendf(s, " or %s eq ", zProp);
    if (bQuote) odata_quote(s, zLit, nLit); else sqlite3_str_appendall(s, zLit);
    sqlite3_str_appendall(s, ")");
    return;
  }
  sqlite3_str_appendf(s, "%s %s ", zProp, op_name(op));
  if (bQuote) odata_quote(s, zLit, nLit); else sqlite3_str_appendall(s, zLit);
}

/*
** The Graph form of "column op value" for a single value; returns 0 when
** there is none. For IN lists (bInList) only exact equality is accepted.
*/
static int write_one(sqlite3_str *s, const sch_column *col, int op, const pv_value *v, int bInList) {
  const char *zProp = col->azPath[0];
  char zLit[64];
  if (v->eType == 0) {
    sqlite3_snprintf(sizeof(zLit), zLit, "?%lld", v->i);
    write_cmp(s, zProp, op, zLit, 0);
    return 1;
  }
  switch (col->eKind) {
    case SCH_TEXT:
      if (op != PQ_EQ || v->eType != SQLITE_TEXT) return 0;
      if (memchr(v->z, 0, (size_t)v->n)) return 0; /* a NUL cannot travel in a URL */
      sqlite3_str_appendf(s, "%s eq ", zProp);
      odata_quote(s, v->z, v->n);
      return 1;
    case SCH_INT: {
      sqlite3_int64 i;
      if (v->eType == SQLITE_INTEGER) {
        i = v->i;
      } else if (v->eType == SQLITE_FLOAT && !isnan(v->r) && fabs(v->r) < 9.0e15) {
        double r = v->r;
        if (r != floor(r)) {
          if (op == PQ_EQ) return 0; /* no integer equals it */
          /* x > 5.5 <=> x > 5; x < 5.5 <=> x < 6 */
          i = (sqlite3_int64)((op == PQ_GT || op == PQ_GE) ? floor(r) : ceil(r));
          op = (op == PQ_GT || op == PQ_GE) ? PQ_GT : PQ_LT;
        } else {
          i = (sqlite3_int64)r;
        }
      } else {
        return 0;
      }
      if (bInList && op != PQ_EQ) return 0;
      /* integers: ge v is gt v-1, le v is lt v+1 */
      if (op == PQ_GE) {
        if (i == (sqlite3_int64)0x8000000000000000ULL) return 0;
        i--;
        op = PQ_GT;
      } else if (op == PQ_LE) {
        if (i == 0x7fffffffffffffffLL) return 0;
        i++;
        op = PQ_LT;
      }
      sqlite3_snprintf(sizeof(zLit), zLit, "%lld", i);
      write_cmp(s, zProp, op, zLit, 0);
      return 1;
    }
    case SCH_TIME: {
      char zCanon[PQ_TIME_LEN + 1], zOdata[30];
      int op2;
      if (v->eType != SQLITE_TEXT) return 0;
      /* the column's collation compares instants (time_order.h) */
      if (!pt_bound(op, v->z, v->n, &op2, zCanon)) return 0;
      if (bInList && op2 != PQ_EQ) return 0;
      pq_time_to_odata(zCanon, zOdata);
      write_cmp(s, zProp, op2, zOdata, 0);
      return 1;
    }
    default:
      return 0;
  }
}

int odata_cond(sqlite3_str *pStr, const pq_cond *c) {
  if (c->iCol < 0 || c->iCol >= EV_NCOLUMN) return 0;
  const sch_column *col = &sch_events[c->iCol];
  unsigned ops = col->graphOps;
  sqlite3_str *s = sqlite3_str_new(0);
  int ok = 0;
  switch (c->op) {
    case PQ_EQ:
    case PQ_GT:
    case PQ_LT:
    case PQ_GE:
    case PQ_LE: {
      unsigned need = c->op == PQ_EQ ? SCH_OP_EQ : (c->op == PQ_GT || c->op == PQ_GE) ? SCH_OP_GT : SCH_OP_LT;
      if ((ops & need) && c->nVal == 1) ok = write_one(s, col, c->op, &c->aVal[0], 0);
      break;
    }
    case PQ_IN: {
      if (!(ops & SCH_OP_EQ)) break;
      if (c->nVal == 1 && c->aVal[0].eType == 0) {
        sqlite3_str_appendf(s, "(%s eq ?%lld or ...)", col->azPath[0], c->aVal[0].i);
        ok = 1;
        break;
      }
      int nOut = 0;
      ok = 1;
      for (int k = 0; k < c->nVal && ok; k++) {
        if (c->aVal[k].eType == SQLITE_NULL) continue; /* never equal */
        if (nOut) sqlite3_str_appendall(s, " or ");
        ok = write_one(s, col, PQ_EQ, &c->aVal[k], 1);
        nOut++;
      }
      if (ok && nOut == 0) ok = 0;
      if (ok && nOut > 1) {
        char *zIn = sqlite3_str_finish(s);
        s = sqlite3_str_new(0);
        if (zIn) sqlite3_str_appendf(s, "(%s)", zIn);
        sqlite3_free(zIn);
      }
      break;
    }
    case PQ_GLOB:
    case PQ_CONTAINS: {
      const pv_value *v = &c->aVal[0];
      if (!(ops & SCH_OP_CONTAINS) || c->nVal != 1) break;
      if (v->eType == 0) {
        sqlite3_str_appendf(s, "contains(%s,?%lld)", col->azPath[0], v->i);
        ok = 1;
        break;
      }
      if (v->eType != SQLITE_TEXT || memchr(v->z, 0, (size_t)v->n)) break;
      const char *zLit = v->z;
      int nLit = v->n, bExact;
      if (c->op == PQ_GLOB && !pq_glob_literal(v->z, v->n, &bExact, &zLit, &nLit)) break;
      sqlite3_str_appendf(s, "contains(%s,", col->azPath[0]);
      odata_quote(s, zLit, nLit);
      sqlite3_str_appendall(s, ")");
      ok = 1;
      break;
    }
    default:
      break;
  }
  char *z = sqlite3_str_finish(s);
  if (ok && z) sqlite3_str_appendall(pStr, z);
  sqlite3_free(z);
  return ok && z;
}

char *odata_build(const pq_query *q, int bEncode, sqlite3_int64 nPageSize, sqlite3_int64 nPageMax,
                  int bSelect) {
  sqlite3_str *out = sqlite3_str_new(0);
  sqlite3_str *f = sqlite3_str_new(0);
  int nPart = 0, nCond = 0;
  for (int i = 0; i < q->nCond; i++) {
    sqlite3_str *one = sqlite3_str_new(0);
    if (odata_cond(one, &q->aCond[i])) {
      char *z = sqlite3_str_finish(one);
      if (z) sqlite3_str_appendf(f, "%s%s", nCond++ ? " and " : "", z);
      sqlite3_free(z);
    } else {
      sqlite3_free(sqlite3_str_finish(one));
    }
  }
  char *zFilter = sqlite3_str_finish(f);
  if (zFilter && zFilter[0]) {
    sqlite3_str_appendall(out, "$filter=");
    if (bEncode) odata_percent(out, zFilter, (int)strlen(zFilter));
    else sqlite3_str_appendall(out, zFilter);
    nPart++;
  }
  sqlite3_free(zFilter);
  if (q->iOrderCol >= 0 && q->iOrderCol < EV_NCOLUMN && sch_events[q->iOrderCol].bGraphSort) {
    sqlite3_str_appendf(out, "%s$orderby=%s%s%s", nPart++ ? "&" : "", sch_events[q->iOrderCol].azPath[0],
                        bEncode ? "%20" : " ", q->bDesc ? "desc" : "asc");
  }
  /* without LIMIT, the largest page Graph accepts: fewest requests */
  sqlite3_int64 nTop = q->nTop > 0 ? q->nTop : nPageSize > 0 ? nPageSize : nPageMax;
  if (nPageMax > 0 && nTop > nPageMax) nTop = nPageMax;
  if (nTop > 0) sqlite3_str_appendf(out, "%s$top=%lld", nPart++ ? "&" : "", nTop);
  if (bSelect) {
    char *zSel = sch_events_select(q->colUsed);
    if (zSel) {
      sqlite3_str_appendf(out, "%s$select=", nPart++ ? "&" : "");
      if (bEncode) odata_percent(out, zSel, (int)strlen(zSel));
      else sqlite3_str_appendall(out, zSel);
    }
    sqlite3_free(zSel);
  }
  int rc = sqlite3_str_errcode(out);
  char *zOut = sqlite3_str_finish(out);
  if (!zOut && rc == SQLITE_OK) zOut = sqlite3_mprintf("%s", "");
  return zOut;
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

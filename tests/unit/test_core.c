/*
** Unit tests of the pure parts: JSON validation and unescaping, the record
** splitter, time normalisation and time bounds, GLOB literals, the column
** catalogue, the plan's comparison rules and the OData writer.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_row.h"
#include "json.h"
#include "odata.h"
#include "plan.h"
#include "records.h"
#include "schema.h"
#include "time_order.h"
#include "unit.h"

/* ------------------------------------------------------------------ JSON */

static const char *validate(const char *z, size_t *pEnd, size_t *pErr) {
  const char *zWhy = 0;
  int r = pj_value_end(z, strlen(z), pEnd, pErr, &zWhy);
  if (r == PJ_OK) return "ok";
  if (r == PJ_MORE) return "more";
  return zWhy;
}

static void test_validate(void) {
  size_t end = 0, err = 0;
  CHECK_STR(validate("{\"a\":[1,2.5e3,-0,true,false,null,\"x\\u00e9\"]} ", &end, &err), "ok");
  CHECK(end == 44);
  CHECK_STR(validate("[1,2,]", &end, &err), "trailing comma before ']'");
  CHECK(err == 5);
  CHECK_STR(validate("{\"a\":1,}", &end, &err), "trailing comma before '}'");
  CHECK(err == 7);
  CHECK_STR(validate("{\"a\" 1}", &end, &err), "expected ':' after key");
  CHECK_STR(validate("{\"a\":1 \"b\":2}", &end, &err), "expected ',' or '}'");
  CHECK_STR(validate("[tru]", &end, &err), "invalid literal");
  CHECK_STR(validate("[01]", &end, &err), "expected ',' or ']'");
  CHECK_STR(validate("[1.]", &end, &err), "invalid number");
  CHECK_STR(validate("[\"a\\x\"]", &end, &err), "invalid escape in string");
  CHECK_STR(validate("[\"a\tb\"]", &end, &err), "control character in string");
  CHECK_STR(validate("{\"a\":[1,2", &end, &err), "more");
  CHECK_STR(validate("\":{}\"", &end, &err), "ok");
  CHECK_STR(validate("{1:2}", &end, &err), "expected a string key");
  CHECK_STR(validate("]", &end, &err), "expected a value");
  CHECK_STR(validate("{\"a\":}", &end, &err), "expected a value");
  /* deep nesting is refused without recursion */
  char *zDeep = malloc(200001);
  memset(zDeep, '[', 100000);
  memset(zDeep + 100000, ']', 100000);
  zDeep[200000] = 0;
  CHECK_STR(validate(zDeep, &end, &err), "JSON nested too deeply (over 512 levels)");
  free(zDeep);
  /* exactly one value */
  const char *zWhy2;
  size_t off2;
  int bObj = 0;
  CHECK(pj_check_one(" {\"a\":1} ", 9, &off2, &zWhy2, &bObj) == PJ_OK && bObj);
  CHECK(pj_check_one("[1]", 3, &off2, &zWhy2, &bObj) == PJ_OK && !bObj);
  CHECK(pj_check_one("[1] x", 5, &off2, &zWhy2, 0) == PJ_ERROR && off2 == 3 &&
        strcmp(zWhy2, "text after the JSON value") == 0);
  CHECK(pj_check_one("[1,", 3, &off2, &zWhy2, 0) == PJ_ERROR && off2 == 3 && strcmp(zWhy2, "unexpected end") == 0);
  CHECK(pj_check_one("[1,]", 4, &off2, &zWhy2, 0) == PJ_ERROR && off2 == 3);
  int line, col;
  pj_line_col("a\nbc\nd", 4, &line, &col);
  CHECK(line == 2 && col == 3);
}

static const char *unescape(const char *z, char *zOut) {
  int n = pj_unescape(z, strlen(z), zOut, 0);
  if (n < 0) return "ERROR";
  zOut[n] = 0;
  return zOut;
}

static void test_unescape(void) {
  char buf[64];
  CHECK_STR(unescape("a\\\"b\\\\c\\/d\\n\\t", buf), "a\"b\\c/d\n\t");
  CHECK_STR(unescape("Jos\\u00e9", buf), "Jos\xc3\xa9");
  CHECK_STR(unescape("\\u20ac", buf), "\xe2\x82\xac");
  CHECK_STR(unescape("\\ud83d\\ude00!", buf), "\xf0\x9f\x98\x80!");
  CHECK_STR(unescape("\\ud83d", buf), "ERROR");      /* lone high surrogate */
  CHECK_STR(unescape("\\ude00", buf), "ERROR");      /* lone low surrogate */
  CHECK_STR(unescape("\\ud83dx\\ude00", buf), "ERROR");
  CHECK_STR(unescape("\\ud83d\\u0041", buf), "ERROR");
  CHECK_STR(unescape("\\u0000x", buf)[0] == 0 ? "nul" : "?", "nul");
  CHECK(pj_hash64("abc", 3) == pj_hash64("abc", 3) && pj_hash64("abc", 3) != pj_hash64("abd", 3));
  char zMin[64];
  const char *zPretty = "{ \"a\" : [ 1, \"x y\" ] ,\n \"b\":{} }";
  int n = pj_minify(zPretty, strlen(zPretty), zMin);
  zMin[n] = 0;
  CHECK_STR(zMin, "{\"a\":[1,\"x y\"],\"b\":{}}");
}

static void test_tokens(void) {
  pj_doc d;
  memset(&d, 0, sizeof(d));
  const char *z = "{\"a\":{\"b\":[1,2,{\"c\":3}],\"d\":\"e\"},\"f\":null,\"g\":12345678901}";
  CHECK(pj_parse(&d, z, strlen(z)) == SQLITE_OK);
  int i = pj_path(&d, 0, "a/d");
  CHECK(i > 0 && pj_str_eq(&d, i, "e", 1));
  CHECK(pj_path(&d, 0, "a/x") < 0);
  CHECK(pj_is_null(&d, pj_find(&d, 0, "f", 1)));
  sqlite3_int64 v = 0;
  CHECK(pj_int64(&d, pj_find(&d, 0, "g", 1), &v) == SQLITE_OK && v == 12345678901LL);
  /* a large object grows the token array */
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "[");
  for (int k = 0; k < 5000; k++) sqlite3_str_appendf(s, "%s{\"k\":%d}", k ? "," : "", k);
  sqlite3_str_appendall(s, "]");
  char *zBig = sqlite3_str_finish(s);
  CHECK(pj_parse(&d, zBig, strlen(zBig)) == SQLITE_OK && d.nTok == 1 + 5000 * 3);
  sqlite3_free(zBig);
  pj_doc_free(&d);
}

/* The text walker agrees with jsmn on validated text, whitespace and escapes included. */
static void test_text_walk(void) {
  const char *z = " { \"a\" : { \"b\" : [1, 2, {\"c\": 3}] , \"d\" :\"e\\\"}\" } ,\n"
                  "\"f\":null, \"k\\\"\": -1.5e3 ,\"f\":2, \"s\":\"x\\\\\"}";
  size_t n = strlen(z), end, off, len, errOff;
  const char *zWhy;
  CHECK(pj_value_end(z, n, &end, &errOff, &zWhy) == PJ_OK && end == n - 0);
  CHECK(pj_text_path(z, n, "a/d", &off, &len) && len == 6 && memcmp(z + off, "\"e\\\"}\"", 6) == 0);
  CHECK(pj_text_path(z, n, "a/b", &off, &len) && len == 16 && memcmp(z + off, "[1, 2, {\"c\": 3}]", 16) == 0);
  CHECK(!pj_text_path(z, n, "a/b/c", &off, &len)); /* an array has no members */
  CHECK(!pj_text_path(z, n, "a/x", &off, &len));
  CHECK(pj_text_path(z, n, "f", &off, &len) && len == 4 && memcmp(z + off, "null", 4) == 0); /* first wins */
  CHECK(pj_text_member(z, n, "k\\\"", 3, &off, &len) && len == 6 && memcmp(z + off, "-1.5e3", 6) == 0);
  CHECK(pj_text_path(z, n, "s", &off, &len) && len == 5);
  CHECK(!pj_text_member("{}", 2, "a", 1, &off, &len) && !pj_text_member("[1]", 3, "a", 1, &off, &len));
  /* every member, in order */
  size_t i = 1;
  pj_member m;
  int nSeen = 0;
  while (pj_text_next_member(z, n, &i, &m)) nSeen++;
  CHECK(nSeen == 5);
  /* long strings (the 16-byte scan) with a quote at every position of a block */
  for (int k = 0; k < 40; k++) {
    char buf[128];
    int nb = snprintf(buf, sizeof buf, "{\"x\":\"%.*s\\\"%.*s\",\"y\":7}", k, "0123456789012345678901234567890123456789",
                      40 - k, "abcdefghijabcdefghijabcdefghijabcdefghij");
    CHECK(pj_value_end(buf, (size_t)nb, &end, &errOff, &zWhy) == PJ_OK && end == (size_t)nb);
    CHECK(pj_text_member(buf, (size_t)nb, "y", 1, &off, &len) && len == 1 && buf[off] == '7');
    buf[6 + k] = 0x1f; /* a control character where the backslash was */
    CHECK(pj_value_end(buf, (size_t)nb, &end, &errOff, &zWhy) == PJ_ERROR && errOff == (size_t)(6 + k) &&
          strcmp(zWhy, "control character in string") == 0);
  }
}

/* ev_row: columns from spans; an object with more members than PJ_MAX_MEMBERS is walked instead. */
static void test_event_row(void) {
  ev_row r;
  memset(&r, 0, sizeof(r));
  pv_value v;
  for (int nExtra = 0; nExtra <= 60; nExtra += 60) {
    sqlite3_str *s = sqlite3_str_new(0);
    sqlite3_str_appendall(s, "{ ");
    for (int k = 0; k < nExtra; k++) sqlite3_str_appendf(s, "\"x%d\": [%d, {\"id\": \"no\"}], ", k, k);
    sqlite3_str_appendall(s, "\"id\" : \"e-1\", \"durationInMilliseconds\": 42,\n"
                             " \"provisioningStatusInfo\": { \"errorInformation\": null, \"status\" : \"fail\\u0075re\" },"
                             " \"id\": \"second\", \"provisioningSteps\": [ {\"name\": \"a\"} ] }");
    char *z = sqlite3_str_finish(s);
    CHECK(ev_row_load(&r, z, strlen(z), 0, -1) == SQLITE_OK);
    CHECK(ev_row_value(&r, EV_COLUMN_ID, &v) == SQLITE_OK && v.eType == SQLITE_TEXT && v.n == 3 &&
          memcmp(v.z, "e-1", 3) == 0); /* the first of a duplicated member */
    CHECK(ev_row_value(&r, EV_COLUMN_DURATION_MS, &v) == SQLITE_OK && v.eType == SQLITE_INTEGER && v.i == 42);
    CHECK(ev_row_value(&r, EV_COLUMN_STATUS, &v) == SQLITE_OK && v.eType == SQLITE_TEXT && v.n == 7 &&
          memcmp(v.z, "failure", 7) == 0);
    CHECK(ev_row_value(&r, EV_COLUMN_PROVISIONING_STEPS, &v) == SQLITE_OK && v.eType == SQLITE_TEXT &&
          v.n == 14 && memcmp(v.z, "[{\"name\":\"a\"}]", 14) == 0); /* minified */
    CHECK(ev_row_value(&r, EV_COLUMN_MODIFIED_PROPERTIES, &v) == SQLITE_OK && v.eType == SQLITE_NULL);
    sqlite3_free(z);
  }
  CHECK(ev_row_load(&r, "[1]", 3, 0, -1) == SQLITE_MISMATCH);
  ev_row_free(&r);
}

/* ------------------------------------------------------------- records */

static char *split_all(const char *z, int bChunked) {
  rec_splitter *p = 0;
  sqlite3_str *out = sqlite3_str_new(0);
  const char *zRec;
  size_t n;
  sqlite3_int64 off;
  char *zErr = 0;
  int rc;
  rc = rec_open(&p, "input", 0, 0, z, strlen(z));
  (void)bChunked;
  while ((rc = rec_next(p, &zRec, &n, &off, &zErr)) == SQLITE_ROW) {
    sqlite3_str_appendf(out, "[%.*s@%lld]", (int)n, zRec, off);
  }
  if (rc != SQLITE_DONE) sqlite3_str_appendf(out, "ERR %s", zErr ? zErr : "?");
  if (rec_next_link(p)) sqlite3_str_appendf(out, " next=%s", rec_next_link(p));
  sqlite3_free(zErr);
  rec_close(p);
  return sqlite3_str_finish(out);
}

/* A reader that hands out 3 bytes at a time: every refill path is taken. */
typedef struct slow_reader {
  const char *z;
  size_t n, i;
} slow_reader;

static long slow_read(void *pArg, char *zDst, size_t nMax, char **pzErr) {
  slow_reader *r = pArg;
  size_t k = r->n - r->i < 3 ? r->n - r->i : 3;
  if (k > nMax) k = nMax;
  memcpy(zDst, r->z + r->i, k);
  r->i += k;
  return (long)k;
}

static char *split_slow(const char *z) {
  slow_reader r = {z, strlen(z), 0};
  rec_splitter *p = 0;
  sqlite3_str *out = sqlite3_str_new(0);
  const char *zRec;
  size_t n;
  sqlite3_int64 off;
  char *zErr = 0;
  int rc;
  rec_open(&p, "slow", slow_read, &r, 0, 0);
  while ((rc = rec_next(p, &zRec, &n, &off, &zErr)) == SQLITE_ROW) {
    sqlite3_str_appendf(out, "[%.*s@%lld]", (int)n, zRec, off);
  }
  if (rc != SQLITE_DONE) sqlite3_str_appendf(out, "ERR %s", zErr ? zErr : "?");
  sqlite3_free(zErr);
  rec_close(p);
  return sqlite3_str_finish(out);
}

static void test_records(void) {
  const char *aIn[] = {
      "{\"@odata.context\":\"x\",\"value\":[{\"id\":\"1\"},{\"id\":\"2\"}],\"@odata.nextLink\":\"http://h/a?\\u0024skiptoken=1\"}",
      "[{\"id\":\"1\"} , {\"id\":\"2\"}]",
      "{\"id\":\"1\"}\n{\"id\":\"2\"}\n",
      "{\"value\":[{\"id\":\"1\"}]}\n{\"value\":[{\"id\":\"2\"}]}",
      "[]",
  };
  const char *aWant[] = {
      "[{\"id\":\"1\"}@31][{\"id\":\"2\"}@42] next=http://h/a?$skiptoken=1",
      "[{\"id\":\"1\"}@1][{\"id\":\"2\"}@14]",
      "[{\"id\":\"1\"}@0][{\"id\":\"2\"}@11]",
      "[{\"id\":\"1\"}@10][{\"id\":\"2\"}@33]",
      "",
  };
  for (size_t i = 0; i < sizeof(aIn) / sizeof(aIn[0]); i++) {
    char *z = split_all(aIn[i], 0);
    CHECK_STR(z ? z : "", aWant[i]);
    sqlite3_free(z);
    char *z2 = split_slow(aIn[i]);
    /* the slow reader never sees a nextLink printout */
    char *zWant2 = sqlite3_mprintf("%s", aWant[i]);
    char *zCut = strstr(zWant2, " next=");
    if (zCut) *zCut = 0;
    CHECK_STR(z2 ? z2 : "", zWant2);
    sqlite3_free(zWant2);
    sqlite3_free(z2);
  }
  /* a top-level object whose "value" is not an array is an error, never a record */
  char *z = split_all("{\"id\":\"1\",\"value\":\"not an array\"}", 0);
  CHECK_STR(z, "ERR input: not a Graph page at line 1, column 19: \"value\" is a string, not an array of records "
               "(received: {\"id\":\"1\",\"value\":\"not an array\"})");
  sqlite3_free(z);
  z = split_all("{\"id\":\"1\"}\n{\"value\":{\"id\":\"2\"}}", 0);
  CHECK_STR(z, "[{\"id\":\"1\"}@0]ERR input: not a Graph page at line 2, column 10: \"value\" is an object, not an array "
               "of records (received: {\"value\":{\"id\":\"2\"}})");
  sqlite3_free(z);
  z = split_all("{\"value\":[{\"a\":1},\n  {\"b\":2},\n]}", 0);
  CHECK_STR(z, "[{\"a\":1}@10][{\"b\":2}@21]ERR input: malformed JSON at line 3, column 1: trailing comma before ']'");
  sqlite3_free(z);
  z = split_slow("{\"value\":[{\"a\":1},\n  {\"b\":2},\n]}");
  CHECK_STR(z, "[{\"a\":1}@10][{\"b\":2}@21]ERR slow: malformed JSON at line 3, column 1: trailing comma before ']'");
  sqlite3_free(z);
  z = split_all("[{\"a\":1},2]", 0);
  CHECK_STR(z, "[{\"a\":1}@1]ERR input: malformed JSON at line 1, column 10: element 2 of the array is not an object");
  sqlite3_free(z);
  z = split_all("{\"value\":[{\"a\":1},{\"b\":", 0);
  CHECK_STR(z, "[{\"a\":1}@10]ERR input: malformed JSON at line 1, column 24: unexpected end of input (truncated?)");
  sqlite3_free(z);
  z = split_all("   \n ", 0);
  CHECK_STR(z, "ERR input: empty input: no JSON value");
  sqlite3_free(z);
  z = split_all("{\"a\":1} x", 0);
  CHECK_STR(z, "[{\"a\":1}@0]ERR input: malformed JSON at line 1, column 9: expected '{' or '[' at the top level");
  sqlite3_free(z);
}

/* ---------------------------------------------------------------- time */

static const char *norm(const char *z) {
  static char buf[PQ_TIME_LEN + 1];
  if (!pq_time_normalize(z, (int)strlen(z), buf)) return "NO";
  return buf;
}

static void test_time(void) {
  CHECK_STR(norm("2016-12-31T23:59:58.6838993+03:00"), "2016-12-31 20:59:58.6838993");
  CHECK_STR(norm("2019-05-04T03:00:54Z"), "2019-05-04 03:00:54.0000000");
  CHECK_STR(norm("2019-05-04T03:00:54.123Z"), "2019-05-04 03:00:54.1230000");
  CHECK_STR(norm("2019-05-04T03:00:54.123456789Z"), "2019-05-04 03:00:54.1234567");
  CHECK_STR(norm("2024-01-01T01:30:00+02:00"), "2023-12-31 23:30:00.0000000");
  CHECK_STR(norm("2024-02-28T22:00:00-05:00"), "2024-02-29 03:00:00.0000000");
  CHECK_STR(norm("2024-06-01 00:00:00"), "2024-06-01 00:00:00.0000000");
  CHECK_STR(norm("2024-06-01T00:00:00"), "2024-06-01 00:00:00.0000000");
  CHECK_STR(norm("2024-06-01T00:00:00+0530"), "2024-05-31 18:30:00.0000000");
  CHECK_STR(norm("String (timestamp)"), "NO");
  CHECK_STR(norm("2024-02-30T00:00:00Z"), "NO");
  CHECK_STR(norm("2024-06-01T24:00:00Z"), "NO");
  CHECK_STR(norm("2024-06-01T00:00:00Zjunk"), "NO");
  CHECK_STR(norm("2024-06-01"), "NO");
  char z[30];
  pq_time_to_odata("2024-06-01 00:00:00.0000000", z);
  CHECK_STR(z, "2024-06-01T00:00:00.0000000Z");
}

static const char *bound(int op, const char *z) {
  static char buf[96];
  char zCanon[PQ_TIME_LEN + 1];
  int op2, bExact;
  if (!pq_time_bound(op, z, (int)strlen(z), &op2, zCanon, &bExact)) return "none";
  static const char *const az[] = {"", "eq", "ne", "gt", "ge", "lt", "le"};
  snprintf(buf, sizeof(buf), "%s %s%s", az[op2], zCanon, bExact ? "" : " (superset)");
  return buf;
}

static void test_time_bound(void) {
  CHECK_STR(bound(PQ_GT, "2024-06-01 00:00:00.0000000"), "gt 2024-06-01 00:00:00.0000000");
  CHECK_STR(bound(PQ_EQ, "2024-06-01 00:00:00.0000000"), "eq 2024-06-01 00:00:00.0000000");
  CHECK_STR(bound(PQ_GT, "2024-06-01"), "ge 2024-06-01 00:00:00.0000000");
  CHECK_STR(bound(PQ_GE, "2024-06-01"), "ge 2024-06-01 00:00:00.0000000");
  CHECK_STR(bound(PQ_LT, "2024-06-01"), "lt 2024-06-01 00:00:00.0000000");
  CHECK_STR(bound(PQ_LE, "2024-06-01"), "lt 2024-06-01 00:00:00.0000000");
  CHECK_STR(bound(PQ_EQ, "2024-06-01"), "none");
  /* what pyodbc sends for a datetime parameter */
  CHECK_STR(bound(PQ_GT, "2024-06-01 00:00:00.000"), "ge 2024-06-01 00:00:00.0000000");
  CHECK_STR(bound(PQ_LE, "2024-06-01 12:30:00.000"), "lt 2024-06-01 12:30:00.0000000");
  /* 'T' sorts after ' ': text comparison puts it after the whole day */
  CHECK_STR(bound(PQ_GT, "2024-06-01T00:00:00Z"), "ge 2024-06-01 00:00:00.0000000 (superset)");
  CHECK_STR(bound(PQ_LT, "2024-06-01T00:00:00Z"), "lt 2024-06-02 00:00:00.0000000 (superset)");
  CHECK_STR(bound(PQ_LT, "2024-06-30T23:00:00Z"), "lt 2024-07-01 00:00:00.0000000 (superset)");
  /* longer than the canonical form */
  CHECK_STR(bound(PQ_GT, "2024-06-01 00:00:00.0000000Z"), "gt 2024-06-01 00:00:00.0000000");
  CHECK_STR(bound(PQ_LT, "2024-06-01 00:00:00.0000000Z"), "le 2024-06-01 00:00:00.0000000");
  /* a byte below the shape: all continuations are greater */
  CHECK_STR(bound(PQ_GT, "2024-06-01 00:00:00+02:00"), "ge 2024-06-01 00:00:00.0000000");
  CHECK_STR(bound(PQ_GT, "2024-06"), "ge 2024-06-01 00:00:00.0000000");
  CHECK_STR(bound(PQ_LT, "2024"), "lt 2024-01-01 00:00:00.0000000");
  CHECK_STR(bound(PQ_GT, "2024-13-01"), "none");
  CHECK_STR(bound(PQ_GT, "abc"), "none");
  CHECK_STR(bound(PQ_LT, "2024-06-0x"), "none");
}

static int tcmp(const char *a, const char *b) {
  int c = pt_compare(a, (int)strlen(a), b, (int)strlen(b));
  return c < 0 ? -1 : c > 0;
}

static const char *tbound(int op, const char *z) {
  static char buf[96];
  char zCanon[PQ_TIME_LEN + 1];
  int op2;
  if (!pt_bound(op, z, (int)strlen(z), &op2, zCanon)) return "none";
  static const char *const az[] = {"", "eq", "ne", "gt", "ge", "lt", "le"};
  snprintf(buf, sizeof(buf), "%s %s", az[op2], zCanon);
  return buf;
}

/* The provisioning_time collation: instants, then other text bytewise. */
static void test_time_order(void) {
  /* every form a client sends, equal to the stored canonical text */
  const char *zStored = "2024-06-01 10:00:00.0000000";
  const char *azSame[] = {"2024-06-01T10:00:00Z", "2024-06-01 10:00:00", "2024-06-01 10:00:00.000",
                          "2024-06-01 10:00:00.000000", "2024-06-01T10:00:00.000Z", "2024-06-01T12:00:00+02:00",
                          "2024-06-01T05:30:00-04:30", "2024-06-01T12:00:00+0200", "2024-06-01t10:00:00z",
                          "2024-06-01 10:00", "2024-06-01T10:00Z", "2024-06-01T10:00:00.00000000000Z", 0};
  for (int i = 0; azSame[i]; i++) {
    CHECK(tcmp(zStored, azSame[i]) == 0);
    CHECK(tcmp(azSame[i], zStored) == 0);
  }
  CHECK(tcmp("2024-06-01", "2024-06-01 00:00:00.0000000") == 0);
  CHECK(tcmp("2024-06-01", "2024-05-31T23:59:59.9999999Z") > 0);
  CHECK(tcmp("2024-06-01T10:00:00Z", "2024-06-01 09:59:59.9999999") > 0);
  CHECK(tcmp("2024-06-01T10:00:00.0000001Z", zStored) > 0);
  /* digits past 100 ns break ties: a total order consistent with equality */
  CHECK(tcmp("2024-06-01T10:00:00.00000001Z", zStored) > 0);
  CHECK(tcmp("2024-06-01T10:00:00.00000001Z", "2024-06-01T10:00:00.0000001Z") < 0);
  CHECK(tcmp("2024-06-01T10:00:00.000000010Z", "2024-06-01T10:00:00.00000001Z") == 0);
  /* the fast path, both canonical */
  CHECK(tcmp("2024-06-01 10:00:00.0000000", "2024-06-01 10:00:00.0000001") < 0);
  CHECK(tcmp("2024-12-31 23:59:59.9999999", "2024-06-01 10:00:00.0000001") > 0);
  /* canonical-looking but invalid: after every time, bytewise among text */
  CHECK(tcmp("2024-13-01 00:00:00.0000000", "9999-12-31 23:59:59.9999999") > 0);
  CHECK(tcmp("2024-02-30 00:00:00.0000000", "2024-03-01 00:00:00.0000000") > 0);
  CHECK(tcmp("2024-02-29 00:00:00.0000000", "2024-03-01 00:00:00.0000000") < 0);
  CHECK(tcmp("2023-02-29 00:00:00.0000000", "2024-03-01 00:00:00.0000000") > 0);
  CHECK(tcmp("2024-06-01 24:00:00.0000000", "2024-06-02 00:00:00.0000000") > 0);
  CHECK(tcmp("abc", "2024-06-01") > 0);
  CHECK(tcmp("abc", "abd") < 0);
  CHECK(tcmp("ab", "abc") < 0);
  CHECK(tcmp("", "2024-06-01") > 0);
  CHECK(tcmp("2024-06", "2024-06-01") == 0); /* a month: its first day */
  CHECK(tcmp("2024-6", "2024-06-01") > 0);
  CHECK(tcmp("2024-13", "2024-06-01") > 0);
  CHECK(tcmp("2024-06-01 10:00.5", "2024-06-01") > 0); /* no fraction without seconds */
  CHECK(tcmp("2024-06-01T10:00:00+24:00", "2024-06-01") > 0);
  /* bounds sent for a literal */
  CHECK_STR(tbound(PQ_GT, "2024-06-01T12:00:00+02:00"), "gt 2024-06-01 10:00:00.0000000");
  CHECK_STR(tbound(PQ_EQ, "2024-06-01 00:00:00.000"), "eq 2024-06-01 00:00:00.0000000");
  CHECK_STR(tbound(PQ_GE, "2024-06-01"), "ge 2024-06-01 00:00:00.0000000");
  CHECK_STR(tbound(PQ_LT, "2024-06-01T10:00:00.123456789Z"), "le 2024-06-01 10:00:00.1234567");
  CHECK_STR(tbound(PQ_GE, "2024-06-01T10:00:00.123456789Z"), "gt 2024-06-01 10:00:00.1234567");
  CHECK_STR(tbound(PQ_EQ, "2024-06-01T10:00:00.123456789Z"), "none");
  CHECK_STR(tbound(PQ_LE, "2024-06-01T10:00:00.12345670Z"), "le 2024-06-01 10:00:00.1234567");
  CHECK_STR(tbound(PQ_GT, "2024-06"), "gt 2024-06-01 00:00:00.0000000");
  CHECK_STR(tbound(PQ_GT, "2024-06-0"), "none");
  CHECK_STR(tbound(PQ_GT, "abc"), "none");
}

static void test_glob(void) {
  int bExact, n;
  const char *z;
  CHECK(pq_glob_literal("*abc*", 5, &bExact, &z, &n) && bExact && n == 3 && memcmp(z, "abc", 3) == 0);
  CHECK(pq_glob_literal("abc*", 4, &bExact, &z, &n) && !bExact && n == 3);
  CHECK(pq_glob_literal("*ab?cdef*", 9, &bExact, &z, &n) && !bExact && n == 4 && memcmp(z, "cdef", 4) == 0);
  CHECK(!pq_glob_literal("*", 1, &bExact, &z, &n));
  CHECK(pq_glob_literal("x[ab]yyyy", 9, &bExact, &z, &n) && !bExact && n == 1);
}

/* -------------------------------------------------------- plan & OData */

static pv_value text(const char *z) {
  pv_value v;
  memset(&v, 0, sizeof(v));
  v.eType = SQLITE_TEXT;
  v.z = z;
  v.n = (int)strlen(z);
  return v;
}

static pv_value integer(sqlite3_int64 i) {
  pv_value v;
  memset(&v, 0, sizeof(v));
  v.eType = SQLITE_INTEGER;
  v.i = i;
  return v;
}

static pv_value real(double r) {
  pv_value v;
  memset(&v, 0, sizeof(v));
  v.eType = SQLITE_FLOAT;
  v.r = r;
  return v;
}

static char *build1(int iCol, int op, pv_value *a, int n, int bEncode) {
  pq_cond c = {iCol, op, n, a};
  pq_query q;
  memset(&q, 0, sizeof(q));
  q.nCond = 1;
  q.aCond = &c;
  q.iOrderCol = -1;
  return odata_build(&q, bEncode, 0, 0, 0);
}

#define CHECK_BUILD(col, op, arr, n, enc, want)         \
  do {                                                  \
    char *z_ = build1(col, op, arr, n, enc);            \
    CHECK_STR(z_, want);                                \
    sqlite3_free(z_);                                   \
  } while (0)

static void test_odata(void) {
  int iJob = sch_events_find("job_id"), iStatus = sch_events_find("status");
  int iDur = EV_COLUMN_DURATION_MS, iTime = EV_COLUMN_ACTIVITY_DATE_TIME;
  int iSp = sch_events_find("service_principal_name");
  pv_value a[4];
  a[0] = text("O'Brien");
  CHECK_BUILD(iJob, PQ_EQ, a, 1, 0, "$filter=jobId eq 'O''Brien'");
  CHECK_BUILD(iJob, PQ_EQ, a, 1, 1, "$filter=jobId%20eq%20%27O%27%27Brien%27");
  a[0] = text("a&$expand=x#+/%27%é");
  CHECK_BUILD(iJob, PQ_EQ, a, 1, 1, "$filter=jobId%20eq%20%27a%26%24expand%3Dx%23%2B%2F%2527%25%C3%A9%27");
  a[0] = text("failure");
  CHECK_BUILD(iStatus, PQ_EQ, a, 1, 0, "$filter=provisioningStatusInfo/status eq 'failure'");
  a[0] = text("x");
  CHECK_BUILD(iJob, PQ_GT, a, 1, 0, ""); /* Graph has no gt on text */
  CHECK_BUILD(iSp, PQ_GLOB, a, 1, 0, ""); /* eq only */
  a[0] = text("*Sales*");
  CHECK_BUILD(iJob, PQ_GLOB, a, 1, 0, "$filter=contains(jobId,'Sales')");
  a[0] = integer(500);
  CHECK_BUILD(iDur, PQ_GT, a, 1, 0, "$filter=durationInMilliseconds gt 500");
  CHECK_BUILD(iDur, PQ_GE, a, 1, 0, "$filter=durationInMilliseconds gt 499");
  CHECK_BUILD(iDur, PQ_LE, a, 1, 0, "$filter=durationInMilliseconds lt 501");
  a[0] = real(500.5);
  CHECK_BUILD(iDur, PQ_GT, a, 1, 0, "$filter=durationInMilliseconds gt 500");
  CHECK_BUILD(iDur, PQ_LE, a, 1, 0, "$filter=durationInMilliseconds lt 501");
  CHECK_BUILD(iDur, PQ_EQ, a, 1, 0, "");
  a[0] = text("abc");
  CHECK_BUILD(iDur, PQ_GT, a, 1, 0, "");
  a[0] = text("2024-06-01"); /* midnight UTC, under provisioning_time */
  CHECK_BUILD(iTime, PQ_GT, a, 1, 0, "$filter=activityDateTime gt 2024-06-01T00:00:00.0000000Z");
  /* ge t is gt t - 100 ns (no `or`) */
  CHECK_BUILD(iTime, PQ_GE, a, 1, 0, "$filter=activityDateTime gt 2024-05-31T23:59:59.9999999Z");
  a[0] = text("2024-06-01T12:00:00.5+02:00");
  CHECK_BUILD(iTime, PQ_LE, a, 1, 0, "$filter=activityDateTime lt 2024-06-01T10:00:00.5000001Z");
  a[0] = text("2024-06-01T10:00:00.123456789Z"); /* finer than 100 ns */
  CHECK_BUILD(iTime, PQ_GE, a, 1, 0, "$filter=activityDateTime gt 2024-06-01T10:00:00.1234567Z");
  CHECK_BUILD(iTime, PQ_LE, a, 1, 0, "$filter=activityDateTime lt 2024-06-01T10:00:00.1234568Z");
  CHECK_BUILD(iTime, PQ_EQ, a, 1, 0, "");
  a[0] = text("2024-06-01 00:00:00.0000000");
  CHECK_BUILD(iTime, PQ_GE, a, 1, 0, "$filter=activityDateTime gt 2024-05-31T23:59:59.9999999Z");
  CHECK_BUILD(iTime, PQ_LE, a, 1, 0, "$filter=activityDateTime lt 2024-06-01T00:00:00.0000001Z");
  a[0] = text("2024-12-31 23:59:59.9999999");
  CHECK_BUILD(iTime, PQ_LE, a, 1, 0, "$filter=activityDateTime lt 2025-01-01T00:00:00.0000000Z");
  a[0] = text("0001-01-01 00:00:00.0000000");
  CHECK_BUILD(iTime, PQ_GE, a, 1, 0, ""); /* every time: nothing to send */
  a[0] = text("9999-12-31 23:59:59.9999999");
  CHECK_BUILD(iTime, PQ_LE, a, 1, 0, "");
  a[0] = text("0000-06-01");
  CHECK_BUILD(iTime, PQ_GT, a, 1, 0, ""); /* below Edm.DateTimeOffset: never sent */
  /* Edm.Int32: literals outside it are never sent */
  a[0] = integer(5000000000LL);
  CHECK_BUILD(iDur, PQ_GT, a, 1, 0, "");
  CHECK_BUILD(iDur, PQ_LT, a, 1, 0, "");
  CHECK_BUILD(iDur, PQ_EQ, a, 1, 0, "");
  a[0] = integer(2147483648LL);
  CHECK_BUILD(iDur, PQ_GE, a, 1, 0, ""); /* no Int32 is > 2147483647 */
  a[0] = integer(-2147483648LL);
  CHECK_BUILD(iDur, PQ_GE, a, 1, 0, "");
  CHECK_BUILD(iDur, PQ_LE, a, 1, 0, "$filter=durationInMilliseconds lt -2147483647");
  a[0] = real(1e20);
  CHECK_BUILD(iDur, PQ_LT, a, 1, 0, "");
  /* enumerations: a value outside them stays with SQLite */
  a[0] = text("Failure");
  CHECK_BUILD(iStatus, PQ_EQ, a, 1, 0, "");
  a[0] = text("2024-06-01");
  a[0] = text("2024-06-01 10:00:00.0000000");
  CHECK_BUILD(iTime, PQ_LT, a, 1, 0, "$filter=activityDateTime lt 2024-06-01T10:00:00.0000000Z");
  CHECK_BUILD(iTime, PQ_LT, a, 1, 1, "$filter=activityDateTime%20lt%202024-06-01T10%3A00%3A00.0000000Z");
  a[0] = text("a");
  a[1] = text("b");
  a[2] = text("c'd");
  CHECK_BUILD(iJob, PQ_IN, a, 3, 0, ""); /* no `or` in the documented profile */
  {
    pq_cond cin = {iJob, PQ_IN, 3, a};
    pq_query qin;
    memset(&qin, 0, sizeof(qin));
    qin.nCond = 1;
    qin.aCond = &cin;
    qin.iOrderCol = -1;
    qin.colUsed = (uint64_t)1 << iJob;
    unsigned used = 0;
    char *zx = odata_build_ex(&qin, 0, 0, 0, ODATA_PROFILE_EXTENDED, &used);
    CHECK_STR(zx, "$filter=(jobId eq 'a' or jobId eq 'b' or jobId eq 'c''d')&$select=id,jobId");
    CHECK(used == (ODATA_FORM_OR | ODATA_FORM_EQ | ODATA_FORM_SELECT));
    sqlite3_free(zx);
    /* a refused form is left out */
    zx = odata_build_ex(&qin, 0, 0, 0, ODATA_PROFILE_EXTENDED & ~ODATA_FORM_OR, &used);
    CHECK_STR(zx, "$select=id,jobId");
    sqlite3_free(zx);
  }
  CHECK_BUILD(iJob, PQ_IN, a, 1, 0, "$filter=jobId eq 'a'");
  a[1] = integer(3);
  CHECK_BUILD(iJob, PQ_IN, a, 2, 0, ""); /* a value with no Graph form: the whole IN stays local */
  CHECK_BUILD(iJob, PQ_NE, a, 1, 0, "");
  CHECK_BUILD(iJob, PQ_LIKE, a, 1, 0, "");
  CHECK_BUILD(iJob, PQ_ISNULL, a, 0, 0, "");

  /* 100 ns steps across days, months, years; none outside Edm.DateTimeOffset */
  char zs[PQ_TIME_LEN + 1];
  CHECK(pq_time_step("2024-03-01 00:00:00.0000000", -1, zs) && strcmp(zs, "2024-02-29 23:59:59.9999999") == 0);
  CHECK(pq_time_step("2023-12-31 23:59:59.9999999", 1, zs) && strcmp(zs, "2024-01-01 00:00:00.0000000") == 0);
  CHECK(pq_time_step("2024-06-01 10:00:00.0000005", 1, zs) && strcmp(zs, "2024-06-01 10:00:00.0000006") == 0);
  CHECK(!pq_time_step("0001-01-01 00:00:00.0000000", -1, zs));
  CHECK(!pq_time_step("9999-12-31 23:59:59.9999999", 1, zs));

  /* which form a 400 is blamed on: the one the message names, else or / $select only */
  unsigned all = ODATA_FORM_OR | ODATA_FORM_SELECT | ODATA_FORM_CONTAINS | ODATA_FORM_TOP;
  CHECK(odata_form_to_drop(all, "{\"error\":{\"message\":\"Function 'contains' is not supported\"}}") ==
        ODATA_FORM_CONTAINS);
  CHECK(odata_form_to_drop(all, "Query option '$select' is not supported") == ODATA_FORM_SELECT);
  CHECK(odata_form_to_drop(all, "Invalid filter clause") == ODATA_FORM_OR);
  CHECK(odata_form_to_drop(ODATA_FORM_SELECT | ODATA_FORM_TOP, 0) == ODATA_FORM_SELECT);
  CHECK(odata_form_to_drop(ODATA_FORM_CONTAINS | ODATA_FORM_TOP, "Invalid tenant") == 0);
  CHECK(odata_form_to_drop(ODATA_FORM_TOP, "Operator 'or' is not supported") == 0); /* not sent: not blamed */
  odata_refused_clear();
  odata_refused_add("https://a:443", ODATA_FORM_OR);
  odata_refused_add("https://a:443", ODATA_FORM_SELECT);
  CHECK(odata_refused_get("https://a:443") == (ODATA_FORM_OR | ODATA_FORM_SELECT));
  CHECK(odata_refused_get("https://b:443") == 0);
  odata_refused_clear();

  /* a whole query */
  pq_cond c[2];
  pv_value v0 = text("failure"), v1 = text("2024-06-01 00:00:00.0000000");
  c[0] = (pq_cond){iStatus, PQ_EQ, 1, &v0};
  c[1] = (pq_cond){iTime, PQ_GT, 1, &v1};
  pq_query q;
  memset(&q, 0, sizeof(q));
  q.aCond = c;
  q.nCond = 2;
  q.iOrderCol = iTime;
  q.bDesc = 1;
  q.nTop = 5;
  q.colUsed = ((uint64_t)1 << iTime) | ((uint64_t)1 << iStatus) | ((uint64_t)1 << sch_events_find("error_code"));
  char *z = odata_build(&q, 0, 100, 1000, 1);
  CHECK_STR(z, "$filter=provisioningStatusInfo/status eq 'failure' and activityDateTime gt "
               "2024-06-01T00:00:00.0000000Z&$orderby=activityDateTime desc&$top=5"
               "&$select=id,activityDateTime,provisioningStatusInfo");
  sqlite3_free(z);
  q.nTop = 0;
  q.colUsed |= (uint64_t)1 << EV_COLUMN_RAW;
  z = odata_build(&q, 1, 0, 1000, 1);
  CHECK_STR(z, "$filter=provisioningStatusInfo%2Fstatus%20eq%20%27failure%27%20and%20activityDateTime%20gt%20"
               "2024-06-01T00%3A00%3A00.0000000Z&$orderby=activityDateTime%20desc&$top=1000");
  sqlite3_free(z);
  q.nTop = 5000;
  q.nCond = 0;
  q.iOrderCol = -1;
  z = odata_build(&q, 1, 0, 1000, 0);
  CHECK_STR(z, "$top=1000");
  sqlite3_free(z);
}

static void test_compare(void) {
  int bNull;
  pv_value a = integer(5), b = real(5.0), t = text("5"), n;
  memset(&n, 0, sizeof(n));
  n.eType = SQLITE_NULL;
  CHECK(pq_compare(&a, &b, &bNull) == 0 && !bNull);
  CHECK(pq_compare(&a, &t, &bNull) < 0); /* numbers sort before text */
  pq_compare(&a, &n, &bNull);
  CHECK(bNull);
  pv_value x = text("abc"), y = text("abd"), z = text("ab");
  CHECK(pq_compare(&x, &y, &bNull) < 0 && pq_compare(&x, &z, &bNull) > 0);
  pv_value big = integer(9007199254740993LL), rbig = real(9007199254740992.0);
  CHECK(pq_compare(&big, &rbig, &bNull) > 0);
}

static void test_schema(void) {
  CHECK(sch_events_find("activity_date_time") == EV_COLUMN_ACTIVITY_DATE_TIME);
  CHECK(sch_events_find("RAW") == EV_COLUMN_RAW);
  CHECK(sch_events_find("nope") == -1);
  char *z = sch_events_ddl();
  CHECK(z && strstr(z, "activity_date_time TIMESTAMP") && strstr(z, "duration_ms INTEGER") &&
        strstr(z, "raw TEXT HIDDEN"));
  sqlite3_free(z);
  for (int i = 0; i < EV_NCOLUMN; i++) {
    CHECK(sch_events[i].zName && sch_events[i].zDecl);
  }
}

int main(void) {
  test_validate();
  test_unescape();
  test_tokens();
  test_text_walk();
  test_event_row();
  test_records();
  test_time();
  test_time_bound();
  test_time_order();
  test_glob();
  test_odata();
  test_compare();
  test_schema();
  return unit_finish();
}

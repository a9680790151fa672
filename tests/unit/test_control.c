/*
** Unit tests of issue 15's pure parts: UTF-8 in the validator's string
** scan (every class of invalid sequence, at every offset of the 16-byte
** fast path), the page-only splitter (a 200 answer must be a Graph page),
** and the nextLink normal form and cycle set (page_check.c).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "page_check.h"
#include "records.h"
#include "unit.h"

/* "ok", "more", or the reason with the offset: "why@off" (static buffer). */
static const char *check_one(const char *z, size_t n) {
  static char aOut[200];
  size_t end = 0, err = 0;
  const char *zWhy = 0;
  int r = pj_value_end(z, n, &end, &err, &zWhy);
  if (r == PJ_OK) return end == n ? "ok" : "ok-short";
  if (r == PJ_MORE) return "more";
  snprintf(aOut, sizeof(aOut), "%s@%zu", zWhy, err);
  return aOut;
}

/* The JSON string "<pad><seq>z" (pad: nPad 'a's), checked. */
static const char *check_seq(int nPad, const char *zSeq) {
  char z[128];
  int n = 0;
  z[n++] = '"';
  for (int i = 0; i < nPad; i++) z[n++] = 'a';
  size_t nSeq = strlen(zSeq);
  memcpy(z + n, zSeq, nSeq);
  n += (int)nSeq;
  z[n++] = 'z';
  z[n++] = '"';
  return check_one(z, (size_t)n);
}

static void test_utf8(void) {
  static const char *const azGood[] = {
      "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
      "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 0};
  static const struct {
    const char *zSeq;
    const char *zWhy;
    int iBad; /* offset of the faulty sequence's first byte within zSeq */
  } aBad[] = {
      {"\x80", "invalid UTF-8 in string: a continuation byte without a lead byte", 0},
      {"\xbf", "invalid UTF-8 in string: a continuation byte without a lead byte", 0},
      {"\xc0\xaf", "invalid UTF-8 in string: overlong form", 0},
      {"\xc1\xbf", "invalid UTF-8 in string: overlong form", 0},
      {"\xe0\x9f\xbf", "invalid UTF-8 in string: overlong form", 0},
      {"\xf0\x8f\xbf\xbf", "invalid UTF-8 in string: overlong form", 0},
      {"\xed\xa0\x80", "invalid UTF-8 in string: a UTF-16 surrogate (U+D800-U+DFFF) as raw bytes", 0},
      {"\xed\xbf\xbf", "invalid UTF-8 in string: a UTF-16 surrogate (U+D800-U+DFFF) as raw bytes", 0},
      {"\xf4\x90\x80\x80", "invalid UTF-8 in string: above U+10FFFF", 0},
      {"\xf5\x80\x80\x80", "invalid UTF-8 in string: above U+10FFFF", 0},
      {"\xf8\x88\x80\x80\x80", "invalid UTF-8 in string: byte 0xF8-0xFF", 0},
      {"\xff", "invalid UTF-8 in string: byte 0xF8-0xFF", 0},
      {"\xc3", "invalid UTF-8 in string: a sequence cut short", 0},
      {"\xe2\x82", "invalid UTF-8 in string: a sequence cut short", 0},
      {"\xf0\x9f\x98", "invalid UTF-8 in string: a sequence cut short", 0},
      {"\xc3\xa9\xe2\x28\xa1", "invalid UTF-8 in string: a sequence cut short", 2},
      {"\xe2\x82\xac\x80", "invalid UTF-8 in string: a continuation byte without a lead byte", 3},
  };
  /* every offset 0..40: before, across and after a 16-byte block boundary */
  for (int nPad = 0; nPad <= 40; nPad++) {
    for (int k = 0; azGood[k]; k++) {
      const char *zGot = check_seq(nPad, azGood[k]);
      if (strcmp(zGot, "ok") != 0) {
        fprintf(stderr, "pad %d good %d: %s\n", nPad, k, zGot);
        nFail++;
      } else {
        nPass++;
      }
    }
    for (size_t k = 0; k < sizeof(aBad) / sizeof(aBad[0]); k++) {
      char zWant[200];
      snprintf(zWant, sizeof(zWant), "%s@%d", aBad[k].zWhy, 1 + nPad + aBad[k].iBad);
      const char *zGot = check_seq(nPad, aBad[k].zSeq);
      if (strcmp(zGot, zWant) != 0) {
        fprintf(stderr, "pad %d bad %zu: got [%s] want [%s]\n", nPad, k, zGot, zWant);
        nFail++;
      } else {
        nPass++;
      }
    }
  }
  /* a sequence cut by the end of the buffer: more input may complete it */
  CHECK_STR(check_one("\"ab\xe2\x82", 5), "more");
  CHECK_STR(check_one("\"ab\xf0", 4), "more");
  CHECK_STR(check_one("\"ab\xe2\x82\xac\"", 7), "ok");
  /* keys are strings too, and raw bytes outside strings stay an error */
  CHECK_STR(check_one("{\"k\xff\":1}", 8), "invalid UTF-8 in string: byte 0xF8-0xFF@3");
  CHECK_STR(check_one("[1,\xc3\xa9]", 6), "unexpected character@3");
  /* \u escapes are checked for their form only: a lone surrogate escape passes the validator */
  CHECK_STR(check_one("\"\\ud800\"", 8), "ok");
  char zOut[16];
  CHECK(pj_unescape("\\ud800", 6, zOut, 0) == -1);
}

/* Every record of z as a page-only splitter sees it: "[rec]..." then "ERR msg" or "". */
static char *split_page(const char *z) {
  rec_splitter *p = 0;
  sqlite3_str *out = sqlite3_str_new(0);
  const char *zRec;
  size_t n;
  sqlite3_int64 off;
  char *zErr = 0;
  int rc = rec_open(&p, "page 1", 0, 0, z, strlen(z));
  rec_set_page_only(p);
  while ((rc = rec_next(p, &zRec, &n, &off, &zErr)) == SQLITE_ROW) sqlite3_str_appendf(out, "[%.*s]", (int)n, zRec);
  if (rc != SQLITE_DONE) sqlite3_str_appendf(out, "ERR %s", zErr ? zErr : "?");
  if (rc == SQLITE_DONE && rec_next_link(p)) sqlite3_str_appendf(out, " next=%s", rec_next_link(p));
  sqlite3_free(zErr);
  rec_close(p);
  return sqlite3_str_finish(out);
}

static void test_page_only(void) {
  static const char *const az[][2] = {
      {"{\"value\":[{\"id\":\"a\"}],\"@odata.nextLink\":\"http://h/x?p=2\"}", "[{\"id\":\"a\"}] next=http://h/x?p=2"},
      {"{\"value\":[]}", ""},
      {"{\"@odata.context\":\"c\",\"value\":[{\"id\":\"a\"}]}", "[{\"id\":\"a\"}]"},
      {"{\"value\":42}", "ERR page 1: not a Graph page at line 1, column 10: \"value\" is a number, not an array of "
                         "records (received: {\"value\":42})"},
      {"{\"value\":null}", "ERR page 1: not a Graph page at line 1, column 10: \"value\" is null, not an array of "
                           "records (received: {\"value\":null})"},
      {"{\"value\":true}", "ERR page 1: not a Graph page at line 1, column 10: \"value\" is a boolean, not an array of "
                           "records (received: {\"value\":true})"},
      {"{\"value\":{\"id\":\"a\"}}", "ERR page 1: not a Graph page at line 1, column 10: \"value\" is an object, not an "
                                     "array of records (received: {\"value\":{\"id\":\"a\"}})"},
      {"{\"x\":[{\"id\":\"a\"}]}", "ERR page 1: not a Graph page at line 1, column 18: no \"value\" array of records "
                                   "(received: {\"x\":[{\"id\":\"a\"}]})"},
      {"{}", "ERR page 1: not a Graph page at line 1, column 2: no \"value\" array of records (received: {})"},
      {"{\"id\":\"a\"}", "ERR page 1: not a Graph page at line 1, column 10: no \"value\" array of records (received: "
                         "{\"id\":\"a\"})"},
      {"{\"error\":{\"code\":\"x\"}}", "ERR page 1: not a Graph page at line 1, column 2: the answer carries an "
                                       "\"error\" member (received: {\"error\":{\"code\":\"x\"}})"},
      {"{\"value\":[],\"error\":{}}", "ERR page 1: not a Graph page at line 1, column 13: the answer carries an "
                                      "\"error\" member (received: {\"value\":[],\"error\":{}})"},
      {"[{\"id\":\"a\"}]", "ERR page 1: not a Graph page at line 1, column 1: expected a JSON object with a \"value\" "
                           "array of records (received: [{\"id\":\"a\"}])"},
      {"{\"value\":[]} {\"value\":[]}", "ERR page 1: not a Graph page at line 1, column 14: text after the page "
                                        "(received: {\"value\":[]} {\"value\":[]})"},
      {"{\"value\":[{\"id\":\"a\"}],\"@odata.nextLink\":7}",
       "[{\"id\":\"a\"}]ERR page 1: not a Graph page at line 1, column 41: @odata.nextLink is a number, not a URL string "
       "(received: {\"value\":[{\"id\":\"a\"}],\"@odata.nextLink\":7})"},
      {"{\"@odata.nextLink\":\"\",\"value\":[]}", "ERR page 1: not a Graph page at line 1, column 20: @odata.nextLink "
                                              "is an empty string (received: {\"@odata.nextLink\":\"\",\"value\":[]})"},
      {"{\"value\":[1]}", "ERR page 1: malformed JSON at line 1, column 11: element 1 of the array is not an object"},
  };
  for (size_t i = 0; i < sizeof(az) / sizeof(az[0]); i++) {
    char *z = split_page(az[i][0]);
    CHECK_STR(z ? z : "", az[i][1]);
    sqlite3_free(z);
  }
  /* the received bytes are cut at 80 */
  char zBig[300];
  snprintf(zBig, sizeof(zBig), "{\"x\":\"%0200d\"}", 0);
  char *z = split_page(zBig);
  CHECK(z && strstr(z, "(received: {\"x\":\"0000") && strstr(z, "0000...)") && strlen(strstr(z, "(received: ")) == 11 + 80 + 4);
  sqlite3_free(z);
}

static void test_normal(void) {
  static const char *const az[][2] = {
      {"http://h:1/a/b?x=1&y=2", "http://h:1/a/b?x=1&y=2"},
      {"http://h:1/a/b?y=2&x=1", "http://h:1/a/b?x=1&y=2"},
      {"http://h:1/a/b?y=2&&x=1&", "http://h:1/a/b?x=1&y=2"},
      {"HTTP://H:1/a/B?x=1", "http://h:1/a/B?x=1"},
      {"http://h/a?%24top=5&%73kip=%2f", "http://h/a?$top=5&skip=%2F"},
      {"http://h/a?x=1#frag", "http://h/a?x=1"},
      {"http://h/a?", "http://h/a"},
      {"http://h/a?&&", "http://h/a"},
      {"http://h/a%zz?b=%4", "http://h/a%zz?b=%4"},
  };
  for (size_t i = 0; i < sizeof(az) / sizeof(az[0]); i++) {
    char *z = pc_normal(az[i][0]);
    CHECK_STR(z, az[i][1]);
    sqlite3_free(z);
  }
  pc_scan sc;
  memset(&sc, 0, sizeof(sc));
  char *zErr = 0;
  CHECK(pc_add(&sc, "http://h/a?$top=5", 1) == SQLITE_OK);
  CHECK(pc_seen(&sc, "http://h/a?$top=5&") == 1);
  CHECK(pc_seen(&sc, "http://h/a?p=1") == 0);
  CHECK(pc_follow(&sc, "t", 1, 3, "http://h/a?p=1&x=2", &zErr) == SQLITE_OK && !zErr);
  CHECK(pc_follow(&sc, "t", 2, 3, "http://h/a?p=2", &zErr) == SQLITE_OK && !zErr);
  CHECK(pc_follow(&sc, "t", 3, 3, "http://h/a?x=2&&p=1", &zErr) == SQLITE_ERROR);
  CHECK_STR(zErr, "t: the @odata.nextLink of page 3 repeats the URL of page 2 (@odata.nextLink cycle): the server "
                  "pages in a cycle, so the scan stops rather than repeat rows");
  sqlite3_free(zErr);
  zErr = 0;
  CHECK(pc_follow(&sc, "t", 3, 3, "http://h/a?p=2&", &zErr) == SQLITE_ERROR && zErr &&
        strstr(zErr, "t: page 3 links to itself (@odata.nextLink loop"));
  sqlite3_free(zErr);
  zErr = 0;
  CHECK(pc_follow(&sc, "t", 3, 3, "http://h/a?$top=5", &zErr) == SQLITE_ERROR && zErr &&
        strstr(zErr, "repeats the URL of page 1"));
  sqlite3_free(zErr);
  pc_free(&sc);
  /* empty pages: 9 in a row are followed, the 10th fails; a page with a record resets the count */
  memset(&sc, 0, sizeof(sc));
  char zUrl[64];
  int rc = SQLITE_OK, i;
  for (i = 1; i <= 9 && rc == SQLITE_OK; i++) {
    snprintf(zUrl, sizeof(zUrl), "http://h/e?p=%d", i + 1);
    zErr = 0;
    rc = pc_follow(&sc, "t", i, 0, zUrl, &zErr);
  }
  CHECK(rc == SQLITE_OK);
  CHECK(pc_follow(&sc, "t", 10, 1, "http://h/e?p=11", &zErr) == SQLITE_OK); /* a record: count reset */
  for (i = 11; i <= 19 && rc == SQLITE_OK; i++) {
    snprintf(zUrl, sizeof(zUrl), "http://h/e?p=%d", i + 1);
    rc = pc_follow(&sc, "t", i, 0, zUrl, &zErr);
  }
  CHECK(rc == SQLITE_OK);
  CHECK(pc_follow(&sc, "t", 20, 0, "http://h/e?p=21", &zErr) == SQLITE_ERROR);
  CHECK_STR(zErr, "t: 10 pages in a row (pages 11 to 20) held no record but linked to another page: the scan stops "
                  "rather than page for ever");
  sqlite3_free(zErr);
  pc_free(&sc);
  /* many pages: the set grows and keeps every URL */
  memset(&sc, 0, sizeof(sc));
  for (i = 1; i <= 5000; i++) {
    snprintf(zUrl, sizeof(zUrl), "http://h/m?skip=%d", i);
    if (pc_add(&sc, zUrl, i) != SQLITE_OK) break;
  }
  CHECK(i == 5001);
  CHECK(pc_seen(&sc, "http://h/m?skip=1") == 1 && pc_seen(&sc, "http://h/m?skip=4321") == 4321 &&
        pc_seen(&sc, "http://h/m?skip=5001") == 0);
  pc_free(&sc);
}

int main(void) {
  test_utf8();
  test_page_only();
  test_normal();
  return unit_finish();
}

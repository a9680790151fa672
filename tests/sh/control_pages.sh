#!/usr/bin/env bash
# control_pages.sh: only real pages give rows. A 200 answer that is not a
# JSON object whose "value" is an array of objects ({"value":42}, null, an
# object, a string, no "value", {"x":[...]}, {"error":{...}} with 200, a
# bare array) fails the statement with an error naming what was received
# (its first bytes), and returns no row; a file whose page object has a
# "value" that is not an array fails the same way, while a plain object per
# line stays a record. Invalid UTF-8 inside JSON strings (a bad byte, an
# overlong form, a surrogate as raw bytes, above U+10FFFF, a stray
# continuation byte) is an error with its position, in pages and files.
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD.
. "$(dirname "$0")/lib.sh"
LIFETIME=100 fault_start
# source, expected error (grep -E; empty: expect the rows given as $3)
check_scan() {
  local src=$1 err=$2 rows=${3:-} out
  out=$(timeout 20 $SQLITE3 -batch -init /dev/null :memory: 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE t USING provisioning_events(source='$src', rate_limit=1000, rate_window=1);
SELECT 'rows', count(*), group_concat(id, ',') FROM t;
SQL
  )
  echo "$src: $out"
  if [ -n "$err" ]; then
    if echo "$out" | grep -aEq -- "$err" && ! echo "$out" | grep -aq "^rows|"; then
      echo "ok   $src: fails: $err"
    else
      echo "FAIL $src: expected an error matching: $err"; fail=1
    fi
  else
    [ "$out" = "$rows" ] && echo "ok   $src: $rows" || { echo "FAIL $src: expected $rows"; fail=1; }
  fi
}
P="not a Graph page at line 1, column"
check_scan "$FAULT_URL/value42/v1.0" "^Runtime error near line 3: provisioning_events: page 1 of GET /value42/v1.0/auditLogs/provisioning\?[^ ]*: $P 10: \"value\" is a number, not an array of records \(received: \{\"value\":42\}\)$"
check_scan "$FAULT_URL/valuenull/v1.0" "$P 10: \"value\" is null, not an array of records \(received: \{\"value\":null\}\)"
check_scan "$FAULT_URL/valueobj/v1.0" "$P 10: \"value\" is an object, not an array of records \(received: \{\"value\":\{\"id\":\"x\""
check_scan "$FAULT_URL/valuestr/v1.0" "$P 10: \"value\" is a string, not an array of records"
check_scan "$FAULT_URL/novalue/v1.0" "$P [0-9]+: no \"value\" array of records \(received: \{\"@odata.context\":\"https://graph"
check_scan "$FAULT_URL/xarr/v1.0" "$P 18: no \"value\" array of records \(received: \{\"x\":\[\{\"id\":\"a\"\}\]\}\)"
check_scan "$FAULT_URL/error200/v1.0" "$P 2: the answer carries an \"error\" member \(received: \{\"error\":\{\"code\":\"InternalError\",\"message\":\"something broke\"\}\}\)"
check_scan "$FAULT_URL/bare/v1.0" "$P 1: expected a JSON object with a \"value\" array of records \(received: \[\{\"id\":\"a\"\}\]\)"

# invalid UTF-8 inside strings, from a page: the error names the position
check_scan "$FAULT_URL/utf8_bad/v1.0" "page 1 of GET /utf8_bad/.*: malformed JSON at line 1, column 20: invalid UTF-8 in string: byte 0xF8-0xFF"
check_scan "$FAULT_URL/utf8_overlong/v1.0" "malformed JSON at line 1, column 20: invalid UTF-8 in string: overlong form"
check_scan "$FAULT_URL/utf8_surrogate/v1.0" "malformed JSON at line 1, column 20: invalid UTF-8 in string: a UTF-16 surrogate \(U\+D800-U\+DFFF\)"
check_scan "$FAULT_URL/utf8_big/v1.0" "malformed JSON at line 1, column 20: invalid UTF-8 in string: above U\+10FFFF"
check_scan "$FAULT_URL/utf8_cont/v1.0" "malformed JSON at line 1, column 20: invalid UTF-8 in string: a continuation byte without a lead byte"
check_scan "$FAULT_URL/utf8_good/v1.0" "" "rows|1|é€😀"

# the file source: a page object whose "value" is not an array is an error, not a row
d="$BUILD/control_pages"; mkdir -p "$d"
printf '{"value":{"id":"x","activityDateTime":"2024-06-01T00:00:00Z"}}\n' >"$d/value_obj.json"
check_scan "file:$d/value_obj.json" "file '$d/value_obj.json': $P 10: \"value\" is an object, not an array of records \(received: \{\"value\":\{\"id\":\"x\""
printf '{"id":"a"}\n{"id":"b","value":42}\n' >"$d/value_num.ndjson"
check_scan "file:$d/value_num.ndjson" "file '$d/value_num.ndjson': not a Graph page at line 2, column 19: \"value\" is a number"
# one object per line stays valid, and so does a page with a nextLink
printf '{"id":"a"}\n{"id":"b"}\n' >"$d/plain.ndjson"
check_scan "file:$d/plain.ndjson" "" "rows|2|a,b"
# invalid UTF-8 in a file, on line 3
printf '{"id":"a"}\n{"id":"b"}\n{"id":"c\xed\xbf\xbfd"}\n' >"$d/bad_utf8.ndjson"
check_scan "file:$d/bad_utf8.ndjson" "file '$d/bad_utf8.ndjson': malformed JSON at line 3, column 9: invalid UTF-8 in string: a UTF-16 surrogate"
printf '{"value":[{"id":"a\xc1\xbf"}]}' >"$d/overlong.json"
check_scan "file:$d/overlong.json" "malformed JSON at line 1, column 19: invalid UTF-8 in string: overlong form"
# a sequence cut by the end of the string
printf '{"value":[{"id":"a\xe2\x82"}]}' >"$d/cut.json"
check_scan "file:$d/cut.json" "malformed JSON at line 1, column 19: invalid UTF-8 in string: a sequence cut short"
finish

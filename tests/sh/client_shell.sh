#!/usr/bin/env bash
# client_shell.sh: the sqlite3 shell as a user runs it: .load ./provisioning,
# the eponymous table read from PROVISIONING_SOURCE, and exports with
# .mode csv and .mode json read back and compared with the table.
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, BUILD; cwd is the repo root.
. "$(dirname "$0")/lib.sh"
W=$WORK
# plain mode: the README's own command (.load ./provisioning from the repo
# root); asan mode: the sanitizer build
LOAD=".load ./provisioning"
[ "$MODE" = plain ] || LOAD=".load $EXT"

# ---- the eponymous table, with PROVISIONING_SOURCE
out=$(PROVISIONING_SOURCE=file:sql/sample/events.json $SQLITE3 -batch -init /dev/null -cmd "$LOAD" :memory: \
  "SELECT status, count(*) FROM provisioning_events GROUP BY 1 ORDER BY 1" 2>&1)
check "eponymous table over PROVISIONING_SOURCE" "failure|1024 skipped|720 success|7772 warning|484" "$(echo $out)"
out=$(PROVISIONING_SOURCE= $SQLITE3 -batch -init /dev/null -cmd "$LOAD" :memory: \
  "SELECT count(*) FROM provisioning_events" 2>&1)
echo "$out" | grep -qi "PROVISIONING_SOURCE" || { echo "FAIL no source: the error should name PROVISIONING_SOURCE: $out"; fail=1; }
echo "ok   without PROVISIONING_SOURCE the error names it"

# ---- exports: the failures with texts that need quoting (commas, quotes, newlines, UTF-8)
Q="SELECT id, activity_date_time, duration_ms, source_identity_name, error_code, error_reason
     FROM provisioning_events WHERE status = 'failure' ORDER BY activity_date_time"
PROVISIONING_SOURCE=file:sql/sample/events.json $SQLITE3 -batch -init /dev/null :memory: >"$W/export.out" 2>&1 <<SQL
$LOAD
.headers on
.mode csv
.once $W/failures.csv
$Q;
.mode json
.once $W/failures.json
$Q;
SQL
[ -s "$W/export.out" ] && { echo "FAIL export printed:"; cat "$W/export.out"; fail=1; }
check "csv: header line" "id,activity_date_time,duration_ms,source_identity_name,error_code,error_reason" "$(head -1 "$W/failures.csv" | tr -d '\r')"

# read both back and compare with the table, value by value
res=$(PROVISIONING_SOURCE=file:sql/sample/events.json $SQLITE3 -batch -init /dev/null :memory: 2>&1 <<SQL
$LOAD
.import --csv $W/failures.csv csv
CREATE TEMP TABLE want AS $Q;
SELECT 'csv rows', count(*) FROM csv;
SELECT 'csv differs', count(*) FROM (SELECT id, activity_date_time, CAST(duration_ms AS INTEGER), source_identity_name, error_code, error_reason FROM csv
                                     EXCEPT SELECT * FROM want);
SELECT 'json rows', json_array_length(readfile('$W/failures.json'));
SELECT 'json differs', count(*) FROM (
  SELECT value ->> 'id', value ->> 'activity_date_time', value ->> 'duration_ms', value ->> 'source_identity_name',
         value ->> 'error_code', value ->> 'error_reason' FROM json_each(readfile('$W/failures.json'))
  EXCEPT SELECT * FROM want);
SELECT 'json duration type', json_type(readfile('$W/failures.json'), '\$[0].duration_ms');
SELECT 'reasons with a newline', count(*) FROM want WHERE instr(error_reason, char(10));
SELECT 'reasons with a double quote', count(*) FROM want WHERE instr(error_reason, '"');
SQL
)
echo "$res" | sed 's/^/    /'
n=$(PROVISIONING_SOURCE=file:sql/sample/events.json $SQLITE3 -batch -init /dev/null -cmd "$LOAD" :memory: \
  "SELECT count(*) FROM provisioning_events WHERE status = 'failure'")
check "csv: every failure exported" "csv rows|$n" "$(echo "$res" | grep '^csv rows')"
check "csv: values read back equal the table" "csv differs|0" "$(echo "$res" | grep '^csv differs')"
check "json: every failure exported" "json rows|$n" "$(echo "$res" | grep '^json rows')"
check "json: values read back equal the table" "json differs|0" "$(echo "$res" | grep '^json differs')"
check "json: duration_ms is a JSON number" "json duration type|integer" "$(echo "$res" | grep '^json duration type')"
# the comparison means something only if hard texts are there
echo "$res" | grep -q '^reasons with a double quote|[1-9]' || { echo "FAIL the export has no text with a quote"; fail=1; }
finish

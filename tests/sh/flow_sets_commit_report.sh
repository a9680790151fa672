#!/usr/bin/env bash
# flow_sets_commit_report.sh: a COMMIT (or ROLLBACK) of provisioning_flow_sets
# writes tells provisioning_last_commit() what became of the local
# transaction, as for the other writable tables (issue 18, one write path):
# - after a COMMIT the report says "local":"committed" (it said "not
#   finished": flow sets never called writes_local_done);
# - the next COMMIT starts a new report, with only its own writes (the open
#   report used to collect the writes of every later COMMIT);
# - a COMMIT of provisioning_flows after it has its own report as well.
# Against the mock Graph server; the report is the JSON of writes.c.
#
# Env from tests/run.sh (tests/sh/lib.sh): ROOT, MODE, EXT, SQLITE3, MOCK_URL.
. "$(dirname "$0")/lib.sh"
need_mock

S="fscr-$MODE-$$"
SRC="$MOCK_URL/s/$S/beta"
curl -s -f -X POST "$MOCK_URL/_mock/s/$S/reset" >/dev/null || bad "reset scenario $S"

{
  echo ".load $EXT"
  echo ".mode list"
  echo "CREATE VIRTUAL TABLE fsw USING provisioning_flow_sets(source='$SRC', rate_limit=1000, rate_window=1, writable=1);"
  echo "CREATE VIRTUAL TABLE fl USING provisioning_flows(source='$SRC', rate_limit=1000, rate_window=1, writable=1);"
  cat <<'SQL'
INSERT INTO fsw(display_name) VALUES ('Report: first');
SELECT 'insert', provisioning_last_commit() ->> '$.local', json_array_length(provisioning_last_commit(), '$.writes'),
       provisioning_last_commit() ->> '$.writes[0].table', provisioning_last_commit() ->> '$.writes[0].method',
       provisioning_last_commit() ->> '$.writes[0].outcome';
UPDATE fsw SET display_name = 'Report: second' WHERE id = 'fs-0001';
SELECT 'update', provisioning_last_commit() ->> '$.local', json_array_length(provisioning_last_commit(), '$.writes'),
       provisioning_last_commit() ->> '$.writes[0].what', provisioning_last_commit() ->> '$.writes[0].outcome';
BEGIN;
UPDATE fsw SET display_name = 'Report: third' WHERE id = 'fs-0001';
UPDATE fsw SET display_name = 'Report: fourth' WHERE id = 'fs-0002';
COMMIT;
SELECT 'txn', provisioning_last_commit() ->> '$.local', json_array_length(provisioning_last_commit(), '$.writes'),
       provisioning_last_commit() ->> '$.writes[1].what';
BEGIN;
INSERT INTO fsw(display_name) VALUES ('never sent');
ROLLBACK;
SELECT 'rollback', provisioning_last_commit() ->> '$.local', json_array_length(provisioning_last_commit(), '$.writes');
UPDATE fl SET create_unmatched_users = 0 WHERE flow_set_id = 'fs-0002' AND id = 'fl-0003';
SELECT 'flows', provisioning_last_commit() ->> '$.local', json_array_length(provisioning_last_commit(), '$.writes'),
       provisioning_last_commit() ->> '$.writes[0].table';
SQL
} >"$TMP/in.sql"
$SQLITE3 -batch -init /dev/null :memory: <"$TMP/in.sql" >"$TMP/out" 2>&1
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TMP/out"; then bad "sanitizer report"; fi
cat >"$TMP/exp" <<'EOF2'
insert|committed|1|provisioning_flow_sets|POST|applied
update|committed|1|UPDATE of flow set fs-0001|applied
txn|committed|2|UPDATE of flow set fs-0002
rollback|committed|2
flows|committed|1|provisioning_flows
EOF2
check_cmd "flow sets: each COMMIT's report, its local outcome committed" diff -u "$TMP/exp" "$TMP/out"

finish

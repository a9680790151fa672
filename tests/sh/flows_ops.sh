#!/usr/bin/env bash
# flows_ops.sh: the flow operations of issue 16 against the mock Graph server,
# each asserted on the wire (method, path, query, body from the mock's request
# log) and in the rows:
# - no $top (nor any query option) on flows and flow-set requests;
# - WHERE flow_set_id = ? AND id = ? reads that one flow (GET .../{id}); a 404
#   is no row; IN sends one GET per value; UPDATE/DELETE through it;
# - UPDATE writes only createUnmatchedUsers, creationOptions and
#   managementOptions: readiness_status and configuration are refused;
# - studentAgeGroup (managementOptions.additionalOptions) reaches the user
#   through management_options and raw, and goes back in a PATCH;
# - provisioning_flow_reset(flow_set_id, id [, table]): POST .../{id}/reset
#   (202) at once, direct-only, errors;
# - provisioning_flow_sets with writable=1: INSERT/UPDATE/DELETE of
#   display_name and filter (POST / PATCH / DELETE), refusals, ROLLBACK.
#
# Env: ROOT, MODE, EXT, SQLITE3, MOCK_URL (exit 77 without it).
. "$(dirname "$0")/lib.sh"
need_mock

scen() {
  S="flops-$MODE-$$-$1"
  SRC="$MOCK_URL/s/$S/beta"
  curl -s -f -X POST "$MOCK_URL/_mock/s/$S/reset" >/dev/null || bad "reset scenario $S"
}
requests() { curl -s -f "$MOCK_URL/_mock/s/$S/requests" >"$TMP/$S.log"; }

# SQL on stdin with fl (writable), flr (read-only), fs (read-only), fsw (writable) on $S; output in $TMP/out
run_sql() {
  {
    echo ".load $EXT"
    echo "CREATE VIRTUAL TABLE fl USING provisioning_flows(source='$SRC', rate_limit=1000, rate_window=1, writable=1);"
    echo "CREATE VIRTUAL TABLE flr USING provisioning_flows(source='$SRC', rate_limit=1000, rate_window=1);"
    echo "CREATE VIRTUAL TABLE fs USING provisioning_flow_sets(source='$SRC', rate_limit=1000, rate_window=1);"
    echo "CREATE VIRTUAL TABLE fsw USING provisioning_flow_sets(source='$SRC', rate_limit=1000, rate_window=1, writable=1);"
    cat
  } >"$TMP/in.sql"
  $SQLITE3 -batch -init /dev/null :memory: <"$TMP/in.sql" >"$TMP/out" 2>&1
  cp "$TMP/out" "$TMP/out.$1"
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TMP/out"; then
    bad "$1: sanitizer report"
    cat "$TMP/out"
  fi
}

# Python assertions on the request log of $S (log, and W = the requests as
# (method, path after /beta, query, body) tuples; P = the flow-set path)
pylog() {
  requests
  "$PY" - "$TMP/$S.log" "$1" <<'EOF'
import json, sys
log = json.load(open(sys.argv[1]))
P = "/external/industryData/outboundProvisioningFlowSets"
W = [(r["method"], r["path"].split("/beta", 1)[1], r["query"], r["body"]) for r in log]
exec(sys.argv[2])
EOF
}

# ------------------------------------------------------------------ no $top
scen top
run_sql top <<'SQL'
SELECT count(*) FROM flr;
SELECT count(*) FROM flr WHERE flow_set_id = 'fs-0002';
SELECT count(*) FROM fs;
SQL
check_cmd "no \$top: rows" diff <(printf '4\n2\n2\n') "$TMP/out"
check_cmd "no \$top: no query option on any flows request" pylog '
assert len(log) == 5, W
assert all(r["query"] == {} and "?" not in r["url"] for r in log), [r["url"] for r in log]
'

# ------------------------------------------------------------------ one flow by id
scen byid
run_sql byid <<'SQL'
.mode list
SELECT 'one', id, flow_set_id, flow_type, readiness_status FROM flr WHERE flow_set_id = 'fs-0001' AND id = 'fl-0002';
SELECT 'missing', count(*) FROM flr WHERE flow_set_id = 'fs-0001' AND id = 'fl-9999';
SELECT 'other set', count(*) FROM flr WHERE flow_set_id = 'fs-0001' AND id = 'fl-0003';
SELECT 'in', group_concat(id) FROM (SELECT id FROM flr WHERE flow_set_id = 'fs-0001' AND id IN ('fl-0001', 'fl-0002') ORDER BY id);
SELECT 'null', count(*) FROM flr WHERE flow_set_id = 'fs-0001' AND id = NULL;
EXPLAIN QUERY PLAN SELECT id FROM flr WHERE flow_set_id = 'fs-0001' AND id = 'fl-0002';
SQL
cat >"$TMP/exp.byid" <<'EOF'
one|fl-0002|fs-0001|classGroup|notReady
missing|0
other set|0
in|fl-0001,fl-0002
null|0
QUERY PLAN
`--SCAN flr VIRTUAL TABLE INDEX 3:GET /external/industryData/outboundProvisioningFlowSets/{flow_set_id}/provisioningFlows/{id}
EOF
check_cmd "by id: rows, 404 is no row, IN, plan" diff -u "$TMP/exp.byid" "$TMP/out"
check_cmd "by id: one GET .../provisioningFlows/{id} per value, no listing" pylog '
want = [("GET", P + "/fs-0001/provisioningFlows/fl-0002"), ("GET", P + "/fs-0001/provisioningFlows/fl-9999"),
        ("GET", P + "/fs-0001/provisioningFlows/fl-0003"), ("GET", P + "/fs-0001/provisioningFlows/fl-0001"),
        ("GET", P + "/fs-0001/provisioningFlows/fl-0002")]
got = sorted((m, p) for m, p, q, b in W)
assert got == sorted(want), W
assert [r["status"] for r in log].count(404) == 2, log
assert all(q == {} for m, p, q, b in W), W
'

# UPDATE and DELETE through a read by id
scen byidw
run_sql byidw <<'SQL'
.mode list
UPDATE fl SET create_unmatched_users = 0 WHERE flow_set_id = 'fs-0001' AND id = 'fl-0001';
DELETE FROM fl WHERE flow_set_id = 'fs-0002' AND id = 'fl-0004';
SELECT 'after', id, create_unmatched_users FROM flr WHERE flow_set_id = 'fs-0001' AND id = 'fl-0001';
SELECT 'left', group_concat(id) FROM (SELECT id FROM flr WHERE flow_set_id = 'fs-0002' ORDER BY id);
SQL
check_cmd "by id, writes: rows" diff <(printf 'after|fl-0001|0\nleft|fl-0003\n') "$TMP/out"
check_cmd "by id, writes: GET by id then PATCH / DELETE" pylog '
want = [("GET", P + "/fs-0001/provisioningFlows/fl-0001", None),
        ("PATCH", P + "/fs-0001/provisioningFlows/fl-0001",
         "{\"@odata.type\":\"#microsoft.graph.industryData.userProvisioningFlow\",\"createUnmatchedUsers\":false}"),
        ("GET", P + "/fs-0002/provisioningFlows/fl-0004", None),
        ("DELETE", P + "/fs-0002/provisioningFlows/fl-0004", None)]
assert [(m, p, b) for m, p, q, b in W][:4] == want, W
'

# ------------------------------------------------------------------ UPDATE: documented properties only
scen doc
run_sql doc <<'SQL'
UPDATE fl SET readiness_status = 'ready' WHERE id = 'fl-0004';
UPDATE fl SET configuration = '{"additionalAttributes":[]}' WHERE id = 'fl-0002';
UPDATE fl SET readiness_status = readiness_status, creation_options = '{"createBasedOnOrg":false}' WHERE id = 'fl-0003';
SQL
cat >"$TMP/exp.doc" <<'EOF'
Runtime error near line 6: provisioning_flows: readiness_status cannot be changed by UPDATE: Graph's update of a flow takes only create_unmatched_users, creation_options and management_options
Runtime error near line 7: provisioning_flows: configuration cannot be changed by UPDATE: Graph's update of a flow takes only create_unmatched_users, creation_options and management_options
EOF
check_cmd "documented properties: readiness_status and configuration refused" diff -u "$TMP/exp.doc" "$TMP/out"
check_cmd "documented properties: only the creation_options PATCH is sent" pylog '
w = [(m, p, b) for m, p, q, b in W if m != "GET"]
assert w == [("PATCH", P + "/fs-0002/provisioningFlows/fl-0003",
              "{\"@odata.type\":\"#microsoft.graph.industryData.administrativeUnitProvisioningFlow\",\"creationOptions\":{\"createBasedOnOrg\":false}}")], w
'

# ------------------------------------------------------------------ studentAgeGroup
scen age
run_sql age <<'SQL'
.mode list
INSERT INTO fl(flow_set_id, flow_type, create_unmatched_users, management_options)
  VALUES ('fs-0001', 'user', 1, '{"additionalAttributes":["userGradeLevel"],"additionalOptions":{"studentAgeGroup":"minor","allowStudentContactAssociation":false}}');
SELECT 'new', management_options ->> '$.additionalOptions.studentAgeGroup', raw ->> '$.managementOptions.additionalOptions.studentAgeGroup'
  FROM flr WHERE flow_set_id = 'fs-0001' AND id = provisioning_last_insert_id();
UPDATE fl SET management_options = json_set(management_options, '$.additionalOptions.studentAgeGroup', 'adult')
  WHERE flow_set_id = 'fs-0001' AND id = provisioning_last_insert_id();
SELECT 'updated', management_options FROM flr WHERE flow_set_id = 'fs-0001' AND id = provisioning_last_insert_id();
SQL
cat >"$TMP/exp.age" <<'EOF'
new|minor|minor
updated|{"additionalAttributes":["userGradeLevel"],"additionalOptions":{"studentAgeGroup":"adult","allowStudentContactAssociation":false}}
EOF
check_cmd "studentAgeGroup: read through management_options and raw, updated" diff -u "$TMP/exp.age" "$TMP/out"
check_cmd "studentAgeGroup: in the POST and the PATCH bodies" pylog '
w = [(m, json.loads(b)) for m, p, q, b in W if m != "GET"]
assert [m for m, b in w] == ["POST", "PATCH"], w
assert w[0][1]["managementOptions"]["additionalOptions"]["studentAgeGroup"] == "minor", w
assert w[1][1] == {"@odata.type": "#microsoft.graph.industryData.userProvisioningFlow",
                   "managementOptions": {"additionalAttributes": ["userGradeLevel"],
                                         "additionalOptions": {"studentAgeGroup": "adult", "allowStudentContactAssociation": False}}}, w
'

# ------------------------------------------------------------------ reset
scen reset
run_sql reset <<'SQL'
.mode list
SELECT 'two', provisioning_flow_reset('fs-0001', 'fl-0001');
SELECT 'three', provisioning_flow_reset('fs-0002', 'fl-0003', 'flr');
SELECT 'query', id, provisioning_flow_reset(flow_set_id, id, 'main.fl') FROM flr WHERE readiness_status = 'failed';
BEGIN;
SELECT 'txn', provisioning_flow_reset('fs-0001', 'fl-0002');
ROLLBACK;
SELECT provisioning_flow_reset('fs-0001', 'fl-9999');
SELECT provisioning_flow_reset('fs-0001', NULL);
SELECT provisioning_flow_reset('fs-0001', 'fl-0001', 'nosuch');
SELECT provisioning_flow_reset('fs-0001', 'fl-0001', 'fs');
-- (TEMP views and triggers are the connection's own SQL: SQLite lets them call it)
CREATE VIEW vreset AS SELECT provisioning_flow_reset('fs-0001', 'fl-0001');
SELECT * FROM vreset;
CREATE TABLE t(x);
CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT provisioning_flow_reset('fs-0001', 'fl-0001'); END;
INSERT INTO t VALUES (1);
SQL
cat >"$TMP/exp.reset" <<'EOF'
two|202
three|202
query|fl-0004|202
txn|202
EOF
check_cmd "reset: 202 from each form, at once (ROLLBACK does not undo it)" diff -u "$TMP/exp.reset" <(grep -v "error" "$TMP/out")
check_cmd "reset: unknown flow names the 404" grep -qE "near line 13: provisioning_flow_reset: HTTP 404 ResourceNotFound.*fl-9999" "$TMP/out"
check_cmd "reset: NULL refused" has "$TMP/out" "near line 14: provisioning_flow_reset: flow_set_id and id must be text (the flow set's id and the flow's id)"
check_cmd "reset: unknown table" has "$TMP/out" "near line 15: provisioning_flow_reset: no provisioning_flows table named 'nosuch' (the third argument names one, e.g. 'fl')"
check_cmd "reset: a flow-set table is not a flows table" has "$TMP/out" "near line 16: provisioning_flow_reset: no provisioning_flows table named 'fs' (the third argument names one, e.g. 'fl')"
check_cmd "reset: not from a view" has "$TMP/out" "unsafe use of provisioning_flow_reset()"
check_cmd "reset: view and trigger both refused" test "$(grep -c 'unsafe use of provisioning_flow_reset()' "$TMP/out")" = 2
check_cmd "reset: POST .../{id}/reset without a body, one per call" pylog '
w = [(m, p, b) for m, p, q, b in W if m != "GET"]
want = [("POST", P + "/fs-0001/provisioningFlows/fl-0001/reset", None),
        ("POST", P + "/fs-0002/provisioningFlows/fl-0003/reset", None),
        ("POST", P + "/fs-0002/provisioningFlows/fl-0004/reset", None),
        ("POST", P + "/fs-0001/provisioningFlows/fl-0002/reset", None),
        ("POST", P + "/fs-0001/provisioningFlows/fl-9999/reset", None)]
assert w == want, w
st = [r["status"] for r in log if r["method"] == "POST"]
assert st == [202, 202, 202, 202, 404], st
'

# two tables with different sources: the two-argument form must be told which
scen reset2
S2="$S-other"
curl -s -f -X POST "$MOCK_URL/_mock/s/$S2/reset" >/dev/null
run_sql reset2 <<SQL
CREATE VIRTUAL TABLE fl2 USING provisioning_flows(source='$MOCK_URL/s/$S2/beta');
SELECT provisioning_flow_reset('fs-0001', 'fl-0001');
SELECT 'named', provisioning_flow_reset('fs-0001', 'fl-0001', 'fl2');
SQL
check_cmd "reset: ambiguous without the table" has "$TMP/out" "provisioning_flow_reset: several provisioning_flows tables with different sources (fl, flr, fl2): name one as the third argument, e.g. provisioning_flow_reset(flow_set_id, id, 'fl')"
check_cmd "reset: the named table's source is used" has "$TMP/out" "named|202"
check_cmd "reset: nothing sent to the first source" pylog 'assert [m for m, p, q, b in W if m != "GET"] == [], W'

# a table stored in a database file, not yet used on a new connection
scen reset3
DB="$TMP/flows.db"
$SQLITE3 -batch -init /dev/null "$DB" ".load $EXT" "CREATE VIRTUAL TABLE stored USING provisioning_flows(source='$SRC', rate_limit=1000, rate_window=1);" >"$TMP/out" 2>&1
$SQLITE3 -batch -init /dev/null "$DB" ".load $EXT" "SELECT 'stored', provisioning_flow_reset('fs-0002', 'fl-0003');" >>"$TMP/out" 2>&1
check_cmd "reset: a stored table is found on a new connection" diff <(echo "stored|202") "$TMP/out"
check_cmd "reset: sent through the stored table's source" pylog 'assert [(m, p) for m, p, q, b in W] == [("POST", P + "/fs-0002/provisioningFlows/fl-0003/reset")], W'

# ------------------------------------------------------------------ flow sets: writable=1
scen sets
run_sql sets <<'SQL'
.mode list
INSERT INTO fsw(display_name, filter)
  VALUES ('Northwind: new set', '{ "@odata.type": "#microsoft.graph.industryData.basicFilter", "attribute": "orgExternalId", "in": ["org-900"] }');
SELECT 'id', length(provisioning_last_insert_id());
SELECT 'new', display_name, filter FROM fs WHERE id = provisioning_last_insert_id();
UPDATE fsw SET display_name = 'Fabrikam College: all groups' WHERE id = 'fs-0002';
UPDATE fsw SET filter = '{"@odata.type":"#microsoft.graph.industryData.basicFilter","attribute":"orgExternalId","in":["org-100"]}' WHERE id = 'fs-0001';
UPDATE fsw SET display_name = display_name WHERE id = 'fs-0001';
SELECT 'after', id, display_name, filter ->> '$.in[0]' FROM fs WHERE id LIKE 'fs-%' ORDER BY id;
DELETE FROM fsw WHERE display_name = 'Northwind: new set';
SELECT 'count', count(*) FROM fs;
BEGIN;
INSERT INTO fsw(display_name) VALUES ('rolled back');
UPDATE fsw SET display_name = 'rolled back too' WHERE id = 'fs-0001';
DELETE FROM fsw WHERE id = 'fs-0002';
ROLLBACK;
SELECT 'rollback', count(*), group_concat(display_name, ';') FROM fs;
SQL
cat >"$TMP/exp.sets" <<'EOF'
id|36
new|Northwind: new set|{"@odata.type":"#microsoft.graph.industryData.basicFilter","attribute":"orgExternalId","in":["org-900"]}
after|fs-0001|Contoso District: staff and students|org-100
after|fs-0002|Fabrikam College: all groups|org-300
count|2
rollback|2|Contoso District: staff and students;Fabrikam College: all groups
EOF
check_cmd "flow sets: rows after INSERT, UPDATE, DELETE, ROLLBACK" diff -u "$TMP/exp.sets" "$TMP/out"
check_cmd "flow sets: POST / PATCH / DELETE with displayName and filter" pylog '
w = [(m, p, b) for m, p, q, b in W if m != "GET"]
new = [r for r in log if r["method"] == "POST"]
assert len(new) == 1 and new[0]["status"] == 201, new
nid = [p for m, p, b in w if m == "DELETE"][0].rsplit("/", 1)[1]
want = [("POST", P, "{\"displayName\":\"Northwind: new set\",\"filter\":{\"@odata.type\":\"#microsoft.graph.industryData.basicFilter\",\"attribute\":\"orgExternalId\",\"in\":[\"org-900\"]}}"),
        ("PATCH", P + "/fs-0002", "{\"displayName\":\"Fabrikam College: all groups\"}"),
        ("PATCH", P + "/fs-0001", "{\"filter\":{\"@odata.type\":\"#microsoft.graph.industryData.basicFilter\",\"attribute\":\"orgExternalId\",\"in\":[\"org-100\"]}}"),
        ("DELETE", P + "/" + nid, None)]
assert w == want, w
assert all(r["status"] in (201, 204) for r in log if r["method"] != "GET"), log
'

scen setsno
run_sql setsno <<'SQL'
INSERT INTO fsw(filter) VALUES ('{}');
INSERT INTO fsw(display_name, filter) VALUES ('x', '[1]');
INSERT INTO fsw(display_name, filter) VALUES ('x', '{"a":1,}');
INSERT INTO fsw(id, display_name) VALUES ('fs-9', 'x');
INSERT INTO fsw(display_name, created_date_time) VALUES ('x', '2024-01-01');
INSERT INTO fsw(raw) VALUES ('{"displayName":"x"}');
UPDATE fsw SET id = 'fs-9' WHERE id = 'fs-0001';
UPDATE fsw SET last_modified_date_time = '2024-01-01' WHERE id = 'fs-0001';
UPDATE fsw SET display_name = NULL WHERE id = 'fs-0001';
INSERT INTO fs(display_name) VALUES ('x');
DELETE FROM fs WHERE id = 'fs-0001';
CREATE TABLE t(x);
CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO fsw(display_name) VALUES ('t'); END;
INSERT INTO t VALUES (1);
SQL
cat >"$TMP/exp.setsno" <<'EOF'
Runtime error near line 6: provisioning_flow_sets: display_name is required
Runtime error near line 7: provisioning_flow_sets: filter must be a JSON object (or NULL)
Runtime error near line 8: provisioning_flow_sets: filter is not valid JSON (trailing comma before '}' at byte 7)
Runtime error near line 9: provisioning_flow_sets: id is read-only (Graph sets it): leave it out of the INSERT and read it with provisioning_last_insert_id() after COMMIT
Runtime error near line 10: provisioning_flow_sets: created_date_time is read-only (Graph sets it): leave it out of the INSERT
Runtime error near line 11: provisioning_flow_sets: raw cannot be written: set display_name and filter
Runtime error near line 12: provisioning_flow_sets: id cannot be changed by UPDATE (Graph sets it)
Runtime error near line 13: provisioning_flow_sets: last_modified_date_time cannot be changed by UPDATE (Graph sets it)
Runtime error near line 14: provisioning_flow_sets: display_name cannot be NULL
Runtime error near line 15: provisioning_flow_sets: this table is read-only: create it with writable=1 to send INSERT, UPDATE and DELETE to Microsoft Graph
Runtime error near line 16: provisioning_flow_sets: this table is read-only: create it with writable=1 to send INSERT, UPDATE and DELETE to Microsoft Graph
Parse error near line 19: unsafe use of virtual table "fsw"
EOF
check_cmd "flow sets: refusals" diff -u "$TMP/exp.setsno" "$TMP/out"
check_cmd "flow sets: no write sent" pylog 'assert [m for m, p, q, b in W if m != "GET"] == [], W'

if [ $fail -gt 0 ]; then
  echo "$fail check(s) failed; outputs in:"
  for f in "$TMP"/out.*; do echo "== $f"; cat "$f"; done
  trap - EXIT
  exit 1
fi
echo "all flow operation checks passed"

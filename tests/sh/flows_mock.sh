#!/usr/bin/env bash
# flows_mock.sh: provisioning_flows and provisioning_flow_sets against the
# mock Graph server (tests/mockgraph), each part in its own scenario.
#
# Asserts: reading one set and all sets (lazily), provisioning_flow_sets;
# INSERT of the four seed 004 examples (tests/data/flow_*_request.json),
# the POST bodies sent, and what is read back equal to the seed's responses
# (tests/data/flow_*_response.json) under the rules in normalise() below;
# UPDATE sending PATCH with @odata.type and only the changed fields; DELETE;
# ROLLBACK and ROLLBACK TO sending nothing; a COMMIT of three INSERTs whose
# second fails; each validation refusal with no write sent; DIRECTONLY
# (trigger, view); passwords never in an error message.
#
# Env: ROOT, MODE, EXT, SQLITE3, MOCK_URL (exit 77 without it).
. "$(dirname "$0")/lib.sh"
need_mock
DATA="$ROOT/tests/data"

# A fresh scenario named flows-MODE-PID-PART; sets $S and $SRC.
scen() {
  S="flows-$MODE-$$-$1"
  SRC="$MOCK_URL/s/$S/beta"
  curl -s -f -X POST "$MOCK_URL/_mock/s/$S/reset" >/dev/null || { bad "reset scenario $S"; }
}
config() { curl -s -f -X POST -H 'Content-Type: application/json' -d "$1" "$MOCK_URL/_mock/s/$S/config" >/dev/null; }
requests() { curl -s -f "$MOCK_URL/_mock/s/$S/requests" >"$TMP/$S.log"; }

# Run SQL (stdin) with fl (writable), flr (read-only) and fs on scenario $S; output in $TMP/out.
run_sql() {
  {
    echo ".load $EXT"
    echo "CREATE VIRTUAL TABLE fl USING provisioning_flows(source='$SRC', rate_limit=1000, rate_window=1, writable=1);"
    echo "CREATE VIRTUAL TABLE flr USING provisioning_flows(source='$SRC', rate_limit=1000, rate_window=1);"
    echo "CREATE VIRTUAL TABLE fs USING provisioning_flow_sets(source='$SRC', rate_limit=1000, rate_window=1);"
    cat
  } >"$TMP/in.sql"
  (cd "$DATA" && $SQLITE3 -batch -init /dev/null :memory: <"$TMP/in.sql") >"$TMP/out" 2>&1
  cp "$TMP/out" "$TMP/out.$1"
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TMP/out"; then
    bad "$1: sanitizer report"
    cat "$TMP/out"
  fi
}

# Python assertions on the request log of $S: pylog 'CODE' (log = list of requests).
pylog() {
  requests
  "$PY" - "$TMP/$S.log" "$1" <<'EOF'
import json, sys
log = json.load(open(sys.argv[1]))
writes = [r for r in log if r["method"] != "GET"]
exec(sys.argv[2])
EOF
}

# ------------------------------------------------------------------ reading
scen read
run_sql read <<'SQL'
.mode list
SELECT 'all', id, flow_set_id, flow_type, readiness_status, created_date_time, last_modified_date_time,
       create_unmatched_users, typeof(create_unmatched_users) FROM flr ORDER BY id;
SELECT 'one', id, flow_type FROM flr WHERE flow_set_id = 'fs-0002' ORDER BY id;
SELECT 'json', creation_options, management_options FROM flr WHERE flow_set_id = 'fs-0001' AND id = 'fl-0001';
SELECT 'config', configuration FROM flr WHERE flow_set_id = 'fs-0001' AND id = 'fl-0002';
SELECT 'raw', json_extract(raw, '$.id'), json_extract(raw, '$."@odata.type"') FROM flr WHERE flow_set_id = 'fs-0002' AND id = 'fl-0004';
SELECT 'types', name, type FROM pragma_table_xinfo('flr') ORDER BY cid;
SELECT 'none', count(*) FROM flr WHERE flow_set_id = NULL;
EXPLAIN QUERY PLAN SELECT id FROM flr WHERE flow_set_id = 'fs-0002';
SQL
cat >"$TMP/exp.read" <<'EOF'
all|fl-0001|fs-0001|user|ready|2024-03-01 08:00:00.0000000|2024-03-02 09:30:00.0000000|1|integer
all|fl-0002|fs-0001|classGroup|notReady|2024-03-01 08:00:00.0000000|2024-03-01 08:00:00.0000000||null
all|fl-0003|fs-0002|administrativeUnit|ready|2024-03-02 09:30:00.0000000|2024-03-02 09:30:00.0000000||null
all|fl-0004|fs-0002|securityGroup|failed|2024-03-02 09:30:00.0000000|2024-03-02 09:30:00.0000000||null
one|fl-0003|administrativeUnit
one|fl-0004|securityGroup
json|{"configurations":[{"licenseSkus":["Sku1"],"defaultPasswordSettings":{"@odata.type":"#microsoft.graph.industryData.simplePasswordSettings","password":"********"}}]}|{"additionalAttributes":["userGradeLevel"],"additionalOptions":{"markAllStudentsAsMinors":true,"allowStudentContactAssociation":false}}
config|{"additionalAttributes":["courseTitle","courseCode"],"additionalOptions":{"createTeam":true,"writeDisplayNameOnCreateOnly":false},"enrollmentMappings":{"ownerEnrollmentMappings":[{"code":"teacher"}],"memberEnrollmentMappings":[{"code":"student"}]}}
raw|fl-0004|#microsoft.graph.industryData.securityGroupProvisioningFlow
types|id|VARCHAR(64)
types|flow_set_id|VARCHAR(64)
types|flow_type|VARCHAR(32)
types|readiness_status|VARCHAR(32)
types|created_date_time|TIMESTAMP
types|last_modified_date_time|TIMESTAMP
types|creation_options|TEXT
types|configuration|TEXT
types|management_options|TEXT
types|create_unmatched_users|INTEGER
types|raw|TEXT
none|0
QUERY PLAN
`--SCAN flr VIRTUAL TABLE INDEX 1:GET /external/industryData/outboundProvisioningFlowSets/{flow_set_id}/provisioningFlows
EOF
check_cmd "read: rows, types, JSON columns, plan" diff -u "$TMP/exp.read" "$TMP/out"
check_cmd "read: requests (all sets, then one set without the set list, one flow by id, no request for = NULL)" pylog '
paths = [r["method"] + " " + r["path"].split("/beta", 1)[1] for r in log]
P = "/external/industryData/outboundProvisioningFlowSets"
want = ["GET " + P, "GET " + P + "/fs-0001/provisioningFlows", "GET " + P + "/fs-0002/provisioningFlows",
        "GET " + P + "/fs-0002/provisioningFlows", "GET " + P + "/fs-0001/provisioningFlows/fl-0001",
        "GET " + P + "/fs-0001/provisioningFlows/fl-0002", "GET " + P + "/fs-0002/provisioningFlows/fl-0004"]
assert paths == want, paths
assert all("$select" not in r["url"] and "$filter" not in r["url"] for r in log), log
'

# lazily: LIMIT 1 over all sets reads the set list and the first set only
scen lazy
run_sql lazy <<'SQL'
SELECT id FROM flr LIMIT 1;
SQL
check_cmd "lazy: LIMIT 1 returns the first flow" diff <(echo fl-0001) "$TMP/out"
check_cmd "lazy: LIMIT 1 sends only the set list and the first set's flows" pylog '
assert [r["path"].rsplit("/", 2)[-2:] for r in log] == [["industryData", "outboundProvisioningFlowSets"], ["fs-0001", "provisioningFlows"]], [r["path"] for r in log]
'

# ------------------------------------------------------------------ flow sets
scen sets
run_sql sets <<'SQL'
.mode list
SELECT id, display_name, filter, created_date_time, last_modified_date_time FROM fs ORDER BY id;
SELECT 'raw', json_extract(raw, '$.displayName') FROM fs WHERE id = 'fs-0002';
CREATE TEMP VIEW v AS SELECT id FROM fs;
SELECT 'view', count(*) FROM v;
SELECT 'join', s.display_name, count(*) FROM fs s JOIN flr f ON f.flow_set_id = s.id GROUP BY s.id ORDER BY s.id;
INSERT INTO fs(id) VALUES ('x');
SQL
cat >"$TMP/exp.sets" <<'EOF'
fs-0001|Contoso District: staff and students|{"@odata.type":"#microsoft.graph.industryData.basicFilter","attribute":"orgExternalId","in":["org-100","org-200"]}|2024-03-01 08:00:00.0000000|2024-03-02 09:30:00.0000000
fs-0002|Fabrikam College: groups|{"@odata.type":"#microsoft.graph.industryData.basicFilter","attribute":"orgExternalId","in":["org-300"]}|2024-03-02 09:30:00.0000000|2024-03-02 09:30:00.0000000
raw|Fabrikam College: groups
view|2
join|Contoso District: staff and students|2
join|Fabrikam College: groups|2
Runtime error near line 11: provisioning_flow_sets: this table is read-only: create it with writable=1 to send INSERT, UPDATE and DELETE to Microsoft Graph
EOF
check_cmd "flow sets: listing, raw, view, join with flows, read-only" diff -u "$TMP/exp.sets" "$TMP/out"

# ------------------------------------------------------------------ seed 004 INSERTs
scen seed
run_sql seed <<'SQL'
.mode list
INSERT INTO fl(flow_set_id, flow_type, readiness_status, creation_options, configuration, management_options, create_unmatched_users)
  SELECT 'fs-0002', t, json_extract(j, '$.readinessStatus'), json_extract(j, '$.creationOptions'),
         json_extract(j, '$.configuration'), json_extract(j, '$.managementOptions'), json_extract(j, '$.createUnmatchedUsers')
    FROM (SELECT 'administrativeUnit' AS t, CAST(readfile('flow_administrative_unit_request.json') AS TEXT) AS j);
SELECT 'id:administrative_unit:' || provisioning_last_insert_id();
INSERT INTO fl(flow_set_id, flow_type, readiness_status, creation_options, configuration, management_options, create_unmatched_users)
  SELECT 'fs-0002', t, json_extract(j, '$.readinessStatus'), json_extract(j, '$.creationOptions'),
         json_extract(j, '$.configuration'), json_extract(j, '$.managementOptions'), json_extract(j, '$.createUnmatchedUsers')
    FROM (SELECT 'classGroup' AS t, CAST(readfile('flow_class_group_request.json') AS TEXT) AS j);
SELECT 'id:class_group:' || provisioning_last_insert_id();
INSERT INTO fl(flow_set_id, flow_type, readiness_status, creation_options, configuration, management_options, create_unmatched_users)
  SELECT 'fs-0002', t, json_extract(j, '$.readinessStatus'), json_extract(j, '$.creationOptions'),
         json_extract(j, '$.configuration'), json_extract(j, '$.managementOptions'), json_extract(j, '$.createUnmatchedUsers')
    FROM (SELECT 'securityGroup' AS t, CAST(readfile('flow_security_group_request.json') AS TEXT) AS j);
SELECT 'id:security_group:' || provisioning_last_insert_id();
INSERT INTO fl(flow_set_id, flow_type, readiness_status, creation_options, configuration, management_options, create_unmatched_users)
  SELECT 'fs-0002', t, json_extract(j, '$.readinessStatus'), json_extract(j, '$.creationOptions'),
         json_extract(j, '$.configuration'), json_extract(j, '$.managementOptions'), json_extract(j, '$.createUnmatchedUsers')
    FROM (SELECT 'user' AS t, CAST(readfile('flow_user_request.json') AS TEXT) AS j);
SELECT 'id:user:' || provisioning_last_insert_id();
-- the user example again, as raw (the whole body, sent as given)
INSERT INTO fl(flow_set_id, raw) VALUES ('fs-0001', CAST(readfile('flow_user_request.json') AS TEXT));
SELECT 'id:user_raw:' || provisioning_last_insert_id();
.mode json
SELECT id, flow_type, readiness_status, created_date_time, raw,
       json_object('@odata.type', '#microsoft.graph.industryData.' || flow_type || 'ProvisioningFlow',
                   'readinessStatus', readiness_status, 'creationOptions', json(creation_options),
                   'configuration', json(configuration), 'managementOptions', json(management_options),
                   'createUnmatchedUsers', CASE create_unmatched_users WHEN 1 THEN json('true') WHEN 0 THEN json('false') END)
         AS cols
  FROM fl WHERE flow_set_id IN ('fs-0001', 'fs-0002') AND id NOT LIKE 'fl-%';
SQL
requests
check_cmd "seed: four INSERTs, their POST bodies and read back as the seed's responses" "$PY" - "$TMP/out" "$TMP/$S.log" "$DATA" <<'EOF'
import json, re, sys
out = open(sys.argv[1]).read()
log = json.load(open(sys.argv[2]))
data = sys.argv[3]
names = ["administrative_unit", "class_group", "security_group", "user"]
ids = dict(re.findall(r"^id:(\w+):(\S+)$", out, re.M))
assert sorted(ids) == sorted(names + ["user_raw"]), out
rows = json.loads(out[out.index("["):])
byid = {r["id"]: r for r in rows}
assert len(rows) == 5, rows

def normalise(v, depth=0):
    """What Graph's answer keeps of a flow: the seed's responses show that Graph
    drops nested @odata.type annotations and @odata.bind members, matches
    property names and enum values case-insensitively (the requests say
    createBasedOnOrgPlusroleGroup and paraProfessional, the answers
    createBasedOnOrgPlusRoleGroup and paraprofessional) and masks passwords
    with a run of '*'. Server-assigned members (id, times, @odata.context) and
    members that are null are left out."""
    if isinstance(v, dict):
        o = {}
        for k, x in v.items():
            if depth == 0 and k in ("id", "createdDateTime", "lastModifiedDateTime", "@odata.context"):
                continue
            if depth > 0 and k == "@odata.type":
                continue
            if k.endswith("@odata.bind") or x is None:
                continue
            o[k.lower()] = normalise(x, depth + 1)
        return o
    if isinstance(v, list):
        return [normalise(x, depth + 1) for x in v]
    if isinstance(v, str):
        return "<masked>" if re.fullmatch(r"\*+", v) else v.lower()
    return v

posts = [r for r in log if r["method"] == "POST"]
assert len(posts) == 5 and [r["status"] for r in posts] == [201] * 5, posts
assert [r for r in log if r["method"] not in ("GET", "POST")] == [], log
for k, n in enumerate(names):
    req_text = open(f"{data}/flow_{n}_request.json").read()
    req = json.loads(req_text)
    resp = json.loads(open(f"{data}/flow_{n}_response.json").read())
    # the body sent is the seed's request (members in Graph's names, booleans as JSON)
    assert json.loads(posts[k]["body"]) == req, (n, posts[k]["body"])
    assert posts[k]["path"].endswith("/outboundProvisioningFlowSets/fs-0002/provisioningFlows"), posts[k]["path"]
    assert posts[k]["headers"].get("content-type", "").startswith("application/json"), posts[k]["headers"]
    row = byid[ids[n]]
    raw = json.loads(row["raw"])
    assert raw["id"] == ids[n] and row["readiness_status"] == "notReady", row
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{7}", row["created_date_time"]), row
    # read back (raw, and the columns put together) equals the seed's response
    assert normalise(raw) == normalise(resp), (n, normalise(raw), normalise(resp))
    assert normalise(json.loads(row["cols"])) == normalise(resp), (n, row["cols"])
    assert row["flow_type"] == n.title().replace("_", "")[0].lower() + n.title().replace("_", "")[1:], row
# raw is sent exactly as given
assert posts[4]["body"] == open(f"{data}/flow_user_request.json").read(), posts[4]["body"]
assert posts[4]["path"].endswith("/fs-0001/provisioningFlows")
assert normalise(json.loads(byid[ids["user_raw"]]["raw"])) == normalise(json.loads(open(f"{data}/flow_user_response.json").read()))
EOF

# ------------------------------------------------------------------ UPDATE, DELETE
scen upd
run_sql upd <<'SQL'
.mode list
UPDATE fl SET creation_options = '{"createBasedOnRoleGroup":false}' WHERE flow_set_id = 'fs-0002' AND id = 'fl-0004';
UPDATE fl SET management_options = '{ "additionalAttributes": [] }', create_unmatched_users = 0 WHERE id = 'fl-0001';
-- the same value again: nothing to send
UPDATE fl SET creation_options = '{"createBasedOnOrg": true, "createBasedOnOrgPlusRoleGroup": false}' WHERE id = 'fl-0003';
UPDATE fl SET readiness_status = readiness_status WHERE id = 'fl-0003';
SELECT 'after', id, readiness_status, creation_options, management_options, create_unmatched_users FROM flr WHERE id IN ('fl-0001', 'fl-0004') ORDER BY id;
DELETE FROM fl WHERE flow_set_id = 'fs-0001' AND id = 'fl-0002';
SELECT 'left', group_concat(id) FROM (SELECT id FROM flr ORDER BY id);
SQL
cat >"$TMP/exp.upd" <<'EOF'
after|fl-0001|ready|{"configurations":[{"licenseSkus":["Sku1"],"defaultPasswordSettings":{"@odata.type":"#microsoft.graph.industryData.simplePasswordSettings","password":"********"}}]}|{"additionalAttributes":[]}|0
after|fl-0004|failed|{"createBasedOnRoleGroup":false}||
left|fl-0001,fl-0003,fl-0004
EOF
check_cmd "update/delete: rows read back" diff -u "$TMP/exp.upd" "$TMP/out"
check_cmd "update/delete: PATCH with @odata.type and only the changed fields, DELETE, nothing for unchanged values" pylog '
P = "/external/industryData/outboundProvisioningFlowSets"
got = [(r["method"], r["path"].split("/beta", 1)[1], r["body"], r["status"]) for r in writes]
want = [
  ("PATCH", P + "/fs-0002/provisioningFlows/fl-0004",
   "{\"@odata.type\":\"#microsoft.graph.industryData.securityGroupProvisioningFlow\",\"creationOptions\":{\"createBasedOnRoleGroup\":false}}", 204),
  ("PATCH", P + "/fs-0001/provisioningFlows/fl-0001",
   "{\"@odata.type\":\"#microsoft.graph.industryData.userProvisioningFlow\",\"managementOptions\":{\"additionalAttributes\":[]},\"createUnmatchedUsers\":false}", 204),
  ("DELETE", P + "/fs-0001/provisioningFlows/fl-0002", None, 204),
]
assert got == want, got
'

# ------------------------------------------------------------------ transactions
scen txn
run_sql txn <<'SQL'
BEGIN;
INSERT INTO fl(flow_set_id, flow_type) VALUES ('fs-0001', 'user');
UPDATE fl SET readiness_status = 'ready' WHERE id = 'fl-0002';
DELETE FROM fl WHERE id = 'fl-0003';
ROLLBACK;
SELECT 'count', count(*) FROM flr;
BEGIN;
INSERT INTO fl(flow_set_id, flow_type, creation_options) VALUES ('fs-0002', 'securityGroup', '{"createBasedOnRoleGroup":true}');
SAVEPOINT s1;
INSERT INTO fl(flow_set_id, flow_type) VALUES ('fs-0002', 'administrativeUnit');
ROLLBACK TO s1;
COMMIT;
SELECT 'count', count(*) FROM flr;
SQL
check_cmd "transactions: ROLLBACK keeps the flows" has "$TMP/out" "count|4"
check_cmd "transactions: ROLLBACK TO drops only the later INSERT" has "$TMP/out" "count|5"
check_cmd "transactions: ROLLBACK sends nothing, the savepoint's COMMIT sends one POST" pylog '
assert [(r["method"], json.loads(r["body"])["@odata.type"]) for r in writes] == [("POST", "#microsoft.graph.industryData.securityGroupProvisioningFlow")], writes
'

# a COMMIT of three INSERTs whose second fails
scen fail3
config '{"fail":[{"request":2,"status":500,"methods":["POST"]}]}'
run_sql fail3 <<'SQL'
BEGIN;
INSERT INTO fl(flow_set_id, flow_type) VALUES ('fs-0002', 'administrativeUnit');
INSERT INTO fl(flow_set_id, flow_type) VALUES ('fs-0002', 'securityGroup');
INSERT INTO fl(flow_set_id, flow_type) VALUES ('fs-0002', 'user');
COMMIT;
SELECT 'ids', provisioning_inserted_ids();
SELECT 'types', group_concat(flow_type) FROM (SELECT flow_type FROM flr WHERE flow_set_id = 'fs-0002' ORDER BY id LIKE 'fl-%' DESC, id);
SQL
check_cmd "fail 2 of 3: the error names request 2 of 3" has "$TMP/out" "provisioning_flows: COMMIT failed at request 2 of 3 (INSERT of flow 2 (securityGroup): POST /external/industryData/outboundProvisioningFlowSets/fs-0002/provisioningFlows)"
check_cmd "fail 2 of 3: it says HTTP 500" has "$TMP/out" "HTTP 500"
check_cmd "fail 2 of 3: one prefix per message" has "$TMP/out" "provisioningFlows): HTTP 500"
check_cmd "fail 2 of 3: 1 applied, 2 unknown (an HTTP 500 may have been applied), 3 not sent" grep -qE "Applied \(Graph has no transactions, these stay\): 1 \(INSERT of flow 1 \(administrativeUnit\), id [0-9a-f-]{36}\)\. Outcome unknown: 2 \(INSERT of flow 2 \(securityGroup\): the server answered HTTP 500, which does not say whether it was done; it may have been applied: check before sending it again\)\. Not sent: 3 \(INSERT of flow 3 \(user\)\) \(1 request\)\." "$TMP/out"
check_cmd "fail 2 of 3: only the first flow exists" has "$TMP/out" "types|administrativeUnit,securityGroup,administrativeUnit"
check_cmd "fail 2 of 3: two POSTs sent, the third never" pylog '
assert [(r["method"], r["status"]) for r in writes] == [("POST", 201), ("POST", 500)], writes
'

# ------------------------------------------------------------------ refusals
scen refuse
run_sql refuse <<'SQL'
INSERT INTO fl(flow_set_id, flow_type) VALUES ('fs-0001', 'teacher');
INSERT INTO fl(flow_set_id, flow_type) VALUES ('fs-0001', 'User');
INSERT INTO fl(flow_set_id) VALUES ('fs-0001');
INSERT INTO fl(flow_type) VALUES ('user');
INSERT INTO fl(flow_set_id, flow_type, configuration) VALUES ('fs-0001', 'classGroup', '{"createTeam": true,}');
INSERT INTO fl(flow_set_id, flow_type, creation_options) VALUES ('fs-0001', 'administrativeUnit', '{"createBasedOnOrg": tru}');
INSERT INTO fl(flow_set_id, flow_type, management_options) VALUES ('fs-0001', 'user', '[1,2]');
INSERT INTO fl(flow_set_id, flow_type, create_unmatched_users) VALUES ('fs-0001', 'user', 2);
INSERT INTO fl(flow_set_id, flow_type, create_unmatched_users) VALUES ('fs-0001', 'user', 'yes');
INSERT INTO fl(id, flow_set_id, flow_type) VALUES ('x', 'fs-0001', 'user');
INSERT INTO fl(flow_set_id, flow_type, created_date_time) VALUES ('fs-0001', 'user', '2024-01-01');
INSERT INTO fl(flow_set_id, flow_type, last_modified_date_time) VALUES ('fs-0001', 'user', '2024-01-01');
INSERT INTO fl(flow_set_id, raw) VALUES ('fs-0001', '{"createUnmatchedUsers": true}');
INSERT INTO fl(flow_set_id, raw) VALUES ('fs-0001', '{"@odata.type": "#microsoft.graph.industryData.user"}');
INSERT INTO fl(flow_set_id, raw) VALUES ('fs-0001', '[]');
INSERT INTO fl(flow_set_id, flow_type, raw) VALUES ('fs-0001', 'classGroup', '{"@odata.type": "#microsoft.graph.industryData.userProvisioningFlow"}');
INSERT INTO fl(flow_set_id, raw, readiness_status) VALUES ('fs-0001', '{"@odata.type": "#microsoft.graph.industryData.userProvisioningFlow"}', 'ready');
UPDATE fl SET id = 'fl-9999' WHERE id = 'fl-0001';
UPDATE fl SET flow_set_id = 'fs-0002' WHERE id = 'fl-0001';
UPDATE fl SET flow_type = 'classGroup' WHERE id = 'fl-0001';
UPDATE fl SET created_date_time = '2020-01-01 00:00:00' WHERE id = 'fl-0001';
UPDATE fl SET last_modified_date_time = '2020-01-01 00:00:00' WHERE id = 'fl-0001';
UPDATE fl SET management_options = 'not json' WHERE id = 'fl-0001';
UPDATE fl SET create_unmatched_users = -1 WHERE id = 'fl-0001';
UPDATE fl SET raw = '{}' WHERE id = 'fl-0001';
INSERT INTO flr(flow_set_id, flow_type) VALUES ('fs-0001', 'user');
DELETE FROM flr WHERE id = 'fl-0001';
CREATE VIRTUAL TABLE ff USING provisioning_flows(source='file:/tmp/flows.json');
CREATE VIRTUAL TABLE fn USING provisioning_flows(auth='env:GRAPH_TOKEN');
SQL
cat >"$TMP/exp.refuse" <<'EOF'
Runtime error near line 5: provisioning_flows: flow_type must be one of administrativeUnit, classGroup, securityGroup, user (case-sensitive)
Runtime error near line 6: provisioning_flows: flow_type must be one of administrativeUnit, classGroup, securityGroup, user (case-sensitive)
Runtime error near line 7: provisioning_flows: flow_type is required (administrativeUnit, classGroup, securityGroup or user), or raw with its @odata.type
Runtime error near line 8: provisioning_flows: flow_set_id is required: the INSERT must name the flow set (see provisioning_flow_sets)
Runtime error near line 9: provisioning_flows: configuration is not valid JSON (trailing comma before '}' at byte 20)
Runtime error near line 10: provisioning_flows: creation_options is not valid JSON (invalid literal at byte 21)
Runtime error near line 11: provisioning_flows: management_options must be a JSON object (or NULL)
Runtime error near line 12: provisioning_flows: create_unmatched_users must be 0 or 1 (or NULL)
Runtime error near line 13: provisioning_flows: create_unmatched_users must be 0 or 1 (or NULL)
Runtime error near line 14: provisioning_flows: id is read-only (Graph sets it): leave it out of the INSERT and read it with provisioning_last_insert_id() after COMMIT
Runtime error near line 15: provisioning_flows: created_date_time is read-only (Graph sets it): leave it out of the INSERT
Runtime error near line 16: provisioning_flows: last_modified_date_time is read-only (Graph sets it): leave it out of the INSERT
Runtime error near line 17: provisioning_flows: raw must carry "@odata.type": "#microsoft.graph.industryData.<type>ProvisioningFlow" with <type> one of administrativeUnit, classGroup, securityGroup, user
Runtime error near line 18: provisioning_flows: raw must carry "@odata.type": "#microsoft.graph.industryData.<type>ProvisioningFlow" with <type> one of administrativeUnit, classGroup, securityGroup, user
Runtime error near line 19: provisioning_flows: raw must be one JSON object (not an object at byte 0)
Runtime error near line 20: provisioning_flows: flow_type 'classGroup' differs from the @odata.type of raw (user)
Runtime error near line 21: provisioning_flows: INSERT either raw (the whole body) or columns, not both (readiness_status was given with raw)
Runtime error near line 22: provisioning_flows: id cannot be changed by UPDATE (Graph sets it)
Runtime error near line 23: provisioning_flows: flow_set_id cannot be changed by UPDATE (DELETE the flow and INSERT a new one)
Runtime error near line 24: provisioning_flows: flow_type cannot be changed by UPDATE (DELETE the flow and INSERT a new one)
Runtime error near line 25: provisioning_flows: created_date_time cannot be changed by UPDATE (Graph sets it)
Runtime error near line 26: provisioning_flows: last_modified_date_time cannot be changed by UPDATE (Graph sets it)
Runtime error near line 27: provisioning_flows: management_options is not valid JSON (invalid literal at byte 0)
Runtime error near line 28: provisioning_flows: create_unmatched_users must be 0 or 1 (or NULL)
Runtime error near line 29: provisioning_flows: raw cannot be updated: set the columns instead
Runtime error near line 30: provisioning_flows: this table is read-only: create it with writable=1 to send INSERT, UPDATE and DELETE to Microsoft Graph
Runtime error near line 31: provisioning_flows: this table is read-only: create it with writable=1 to send INSERT, UPDATE and DELETE to Microsoft Graph
Runtime error near line 32: provisioning_flows reads Microsoft Graph only: source= must be the Graph beta URL (https://graph.microsoft.com/beta), not a file
Runtime error near line 33: provisioning_flows: source= is required, e.g. provisioning_flows(source='https://graph.microsoft.com/beta', auth='env:GRAPH_TOKEN')
EOF
check_cmd "refusals: each message names the column" diff -u "$TMP/exp.refuse" "$TMP/out"
check_cmd "refusals: no write request was sent" pylog 'assert writes == [], writes'

# ------------------------------------------------------------------ DIRECTONLY
scen direct
run_sql direct <<'SQL'
CREATE TABLE t(x);
CREATE TRIGGER tr AFTER INSERT ON t BEGIN
  INSERT INTO fl(flow_set_id, flow_type) VALUES ('fs-0001', 'user');
END;
INSERT INTO t VALUES (1);
CREATE TRIGGER tr2 AFTER INSERT ON t BEGIN
  DELETE FROM fl WHERE id = 'fl-0001';
END;
CREATE VIEW vw AS SELECT id FROM fl;
SELECT count(*) FROM vw;
CREATE VIEW vr AS SELECT id FROM flr;
SELECT 'readonly view', count(*) FROM vr;
SQL
check_cmd "directonly: a trigger's INSERT is refused" has "$TMP/out" 'error near line 9: unsafe use of virtual table "fl"'
check_cmd "directonly: a view over the writable table is refused" has "$TMP/out" 'error near line 14: unsafe use of virtual table "fl"'
check_cmd "directonly: a view over the read-only table works" has "$TMP/out" "readonly view|4"
check_cmd "directonly: no write request was sent" pylog 'assert writes == [], writes'

# ------------------------------------------------------------------ passwords
SECRET='Hunter2-Zebra-Quartz-9173'
scen secret
config "{\"fail\":[{\"request\":1,\"status\":400,\"methods\":[\"POST\"],\"code\":\"BadRequest\",\"message\":\"Invalid password '$SECRET' for roleGroup staff\"}]}"
run_sql secret <<SQL
INSERT INTO fl(flow_set_id, flow_type, creation_options) VALUES ('fs-0001', 'user', '{"configurations":[{"defaultPasswordSettings":{"password":"$SECRET",}}]}');
INSERT INTO fl(flow_set_id, raw) VALUES ('fs-0001', '{"creationOptions":{"configurations":[{"defaultPasswordSettings":{"password":"$SECRET"}}]}}');
INSERT INTO fl(flow_set_id, raw) VALUES ('fs-0001', '{"@odata.type":"#microsoft.graph.industryData.userProvisioningFlow","password":"$SECRET"');
INSERT INTO fl(flow_set_id, flow_type, create_unmatched_users) VALUES ('fs-0001', 'user', '$SECRET');
INSERT INTO fl(flow_set_id, flow_type, readiness_status) VALUES ('fs-0001', 'user$SECRET', 'x');
INSERT INTO fl(flow_set_id, flow_type, creation_options) VALUES ('fs-0001', 'user', '{"configurations":[{"defaultPasswordSettings":{"@odata.type":"#microsoft.graph.industryData.simplePasswordSettings","password":"$SECRET"}}]}');
SQL
check_cmd "passwords: six statements refused" test "$(grep -c 'error near line' "$TMP/out")" = 6
check_cmd "passwords: the server's echo of the password is masked in the COMMIT error" has "$TMP/out" "HTTP 400 BadRequest: Invalid password '********' for roleGroup staff"
check_cmd "passwords: no error message holds the password" hasnt "$TMP/out" "$SECRET"
check_cmd "passwords: no part of it either" hasnt "$TMP/out" "Zebra-Quartz"
check_cmd "passwords: only the valid INSERT was sent" pylog '
assert [(r["method"], r["status"]) for r in writes] == [("POST", 400)], writes
'

if [ $fail -gt 0 ]; then
  echo "$fail check(s) failed; outputs in:"
  for f in "$TMP"/out.*; do echo "== $f"; cat "$f"; done
  trap - EXIT
  exit 1
fi
echo "all flows checks passed"

#!/usr/bin/env bash
# beta_shapes.sh: events in the shape Graph's beta returns (beta metadata):
# statusInfo a statusDetails carrying errorCode, errorCategory, reason,
# recommendedAction and additionalDetails directly, beside the v1.0
# provisioningStatusInfo/errorInformation (or alone).
#
# Asserts:
# - gen_events --beta writes the v1.0 members and, beside them, action and
#   statusInfo (statusDetails with the five error fields, or {status}), the
#   same events as without --beta, and no initiatingType;
# - through the file source, the 5 error columns (and action, status) are the
#   same for the v1.0 file, the --beta file and a beta-only copy of it (the
#   v1.0 spellings removed), and filled for every event that has an error;
# - through the mock's /beta (the shared mock, v1.0 data): the events carry
#   statusInfo flat (raw), and the columns equal those read through /v1.0;
# - through a mock started here on the beta-only file, /beta: the same rows.
#
# Env: ROOT, BUILD, EXT, SQLITE3, MOCK_URL (the mock parts are skipped without it).
. "$(dirname "$0")/lib.sh"
W=$TMP

[ -x build/gen_events ] || make -s build/gen_events >/dev/null || { echo "cannot build gen_events"; exit 1; }
build/gen_events --count 1500 --seed 11 --out "$W/v1.json"
build/gen_events --count 1500 --seed 11 --beta --out "$W/beta.json"

check_cmd "gen_events --beta: both spellings, statusInfo a statusDetails, same events as v1.0" \
  /usr/bin/python3 - "$W/v1.json" "$W/beta.json" "$W/betaonly.json" <<'EOF'
import json, sys
v1 = json.load(open(sys.argv[1]))
beta = json.load(open(sys.argv[2]))
assert beta["@odata.context"].startswith("https://graph.microsoft.com/beta/"), beta["@odata.context"]
assert len(v1["value"]) == len(beta["value"]) == 1500
nerr = 0
only = []
for a, b in zip(v1["value"], beta["value"]):
    keys = list(b)
    assert keys.index("action") == keys.index("provisioningAction") + 1, keys
    assert keys.index("statusInfo") == keys.index("provisioningStatusInfo") + 1, keys
    assert b["action"] == b["provisioningAction"] == a["provisioningAction"]
    si, psi = b["statusInfo"], b["provisioningStatusInfo"]
    assert si["status"] == psi["status"]
    ei = psi["errorInformation"]
    if ei is None:
        assert si == {"status": psi["status"]}, si
    else:
        nerr += 1
        assert "errorInformation" not in si
        assert si["@odata.type"] == "#microsoft.graph.statusDetails", si
        assert {k: v for k, v in si.items() if k not in ("@odata.type", "status")} == ei, (si, ei)
        assert set(ei) == {"errorCode", "errorCategory", "reason", "recommendedAction", "additionalDetails"}
    assert "initiatingType" not in b["initiatedBy"] and "initiatorType" in b["initiatedBy"]
    c = dict(b)
    del c["action"], c["statusInfo"]
    assert c == a, "beta minus its beta members differs from v1.0"
    o = dict(b)
    del o["provisioningAction"], o["provisioningStatusInfo"]
    only.append(o)
assert nerr > 200, nerr
json.dump({"value": only}, open(sys.argv[3], "w"))
EOF

COLS="id, action, status, error_code, error_category, error_reason, recommended_action, error_details"
q() { # source, out file
  $SQLITE3 -batch -init /dev/null :memory: \
    -cmd ".load $EXT" \
    -cmd "CREATE VIRTUAL TABLE t USING provisioning_events(source='$1', rate_limit=1000, rate_window=1${Q_OPTS:-})" \
    "SELECT $COLS FROM t ORDER BY id" >"$2" 2>&1
}
q "file:$W/v1.json" "$W/rows.v1"
q "file:$W/beta.json" "$W/rows.beta"
q "file:$W/betaonly.json" "$W/rows.betaonly"
check_cmd "file: 1500 rows" test "$(wc -l <"$W/rows.v1")" = 1500
check_cmd "file: --beta gives the v1.0 rows" cmp "$W/rows.v1" "$W/rows.beta"
check_cmd "file: beta-only (flat statusInfo) gives the v1.0 rows" cmp "$W/rows.v1" "$W/rows.betaonly"
filled() { # every event with an error has its code, category and reason
  $SQLITE3 -batch -init /dev/null :memory: -cmd ".load $EXT" \
    -cmd "CREATE VIRTUAL TABLE t USING provisioning_events(source='file:$W/betaonly.json')" \
    "SELECT count(*) FILTER (WHERE status = 'failure'),
            count(*) FILTER (WHERE status = 'failure' AND error_code IS NOT NULL AND error_category IS NOT NULL
                                   AND error_reason IS NOT NULL),
            count(recommended_action) > 0, count(error_details) > 0 FROM t"
}
out=$(filled)
check_cmd "file: beta-only failures have error columns ($out)" test "${out%%|*}" -gt 50 -a "$(echo "$out" | cut -d'|' -f1)" = "$(echo "$out" | cut -d'|' -f2)" -a "$(echo "$out" | cut -d'|' -f3-)" = "1|1"

if [ -z "${MOCK_URL:-}" ]; then
  echo "no MOCK_URL: the mock parts are skipped"
else
  # the shared mock (sql/sample/events.json, v1.0): /beta serves the beta shape beside
  S="beta-$$"
  q "$MOCK_URL/s/$S/v1.0" "$W/mock.v1"
  q "$MOCK_URL/s/$S/beta" "$W/mock.beta"
  check_cmd "mock /beta: rows read" test "$(wc -l <"$W/mock.v1")" -gt 1000
  check_cmd "mock /beta: the same rows as /v1.0" cmp "$W/mock.v1" "$W/mock.beta"
  curl -s -f "$MOCK_URL/s/$S/beta/auditLogs/provisioning?\$top=1000" >"$W/page.json"
  check_cmd "mock /beta: statusInfo is a statusDetails beside provisioningStatusInfo" /usr/bin/python3 - "$W/page.json" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
n = 0
for e in p["value"]:
    ei = e["provisioningStatusInfo"]["errorInformation"]
    si = e["statusInfo"]
    assert e["action"] == e["provisioningAction"]
    if ei:
        n += 1
        assert si["@odata.type"] == "#microsoft.graph.statusDetails" and "errorInformation" not in si, si
        assert all(si[k] == v for k, v in ei.items()), si
    else:
        assert si == {"status": e["provisioningStatusInfo"]["status"]}, si
assert n > 50, n
EOF

  # a mock of its own on the beta-only events: only the flat statusInfo to read
  start_mock "$W/betaonly.json"
  murl=$OWN_MOCK_URL
  # select=0: $select names only the v1.0 members (it is off by default under the documented profile)
  Q_OPTS=", select=0" q "$murl/beta" "$W/own.beta"
  check_cmd "own mock /beta, beta-only events: the v1.0 rows (all five error columns)" cmp "$W/rows.v1" "$W/own.beta"
  curl -s -f "$murl/beta/auditLogs/provisioning?\$top=3" >"$W/own.page"
  check_cmd "own mock /beta: served as loaded (no v1.0 spelling added)" /usr/bin/python3 -c "
import json, sys
v = json.load(open('$W/own.page'))['value']
assert len(v) == 3 and all('provisioningStatusInfo' not in e and 'statusInfo' in e for e in v), v"
fi

[ $fail = 0 ] && echo "all beta shape checks passed"
finish

#!/usr/bin/env bash
# time_instants.sh: every time literal form and operator on activity_date_time
# gives the instant answer (an oracle in tests/differential/time_instants.py),
# with pushdown, +col, pushdown=0, an OR across columns, bound parameters, and
# over a mock Graph server of our own serving the same generated events (mixed
# precisions and offsets). Then the mock's request log must show that an ISO
# literal with an offset was sent as the right UTC instant.
# Env from tests/run.sh: ROOT, MODE, EXT, RUN_ENV, BUILD, MOCK_URL.
. "$(dirname "$0")/lib.sh"
[ -x $PY ] || { echo "no $PY (make deps-test)"; [ "$MODE" = plain ] && exit 1 || exit 77; }
py_run_env sqlite3
W=$WORK
$PY tests/differential/time_instants.py --gen "$W" || exit 1
command -v node >/dev/null || { echo "no node (make mock-deps)"; exit 1; }
start_mock "$W/time_events_clean.json"
murl=$OWN_MOCK_URL
env $RUN_ENV $PY tests/differential/time_instants.py "$EXT" "$W" "$murl/s/times" --pairs 400 || exit 1

# the wire: an offset literal goes out as its UTC instant, exactly (omit=1:
# the count comes back from the mock's answer alone)
out=$(env $RUN_ENV PROVISIONING_SOURCE= sqlite3 -batch -init /dev/null :memory: ".load $EXT" \
  "CREATE VIRTUAL TABLE gr USING provisioning_events(source='$murl/s/wire/v1.0', rate_limit=1000, rate_window=1)" \
  "SELECT count(*) > 0 FROM gr WHERE activity_date_time >= '2024-06-02T12:00:00+02:00' AND activity_date_time < '2024-06-02T10:30:00.5Z'" 2>&1)
[ "$out" = 1 ] || { echo "FAIL the wire query: $out"; exit 1; }
curl -s -f "$murl/_mock/s/wire/requests" >"$W/requests.json" || { echo "FAIL no request log"; exit 1; }
$PY - "$W/requests.json" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
# the documented profile: >= t is gt t - 100 ns (no `or`)
want = ("activityDateTime gt 2024-06-02T09:59:59.9999999Z"
        " and activityDateTime lt 2024-06-02T10:30:00.5000000Z")
got = [r["query"].get("$filter", "") for r in log if r["method"] == "GET"]
if want not in got:
    print("FAIL $filter sent: %s\n  wanted: %s" % (got, want)); sys.exit(1)
print("wire: %s" % want)
PY

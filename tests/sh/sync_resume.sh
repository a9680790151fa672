#!/usr/bin/env bash
# sync_resume.sh: sql/sync.sql against a Graph that fails on page 3 of 5,
# then the next run (issue 17, points 4 and 5).
#
# A mock Graph of its own (tests/mockgraph, 127.0.0.1, a free port) serves
# 250 events in pages of 50 and answers page 3 with HTTP 400 once. The first
# sync fails, keeps the 100 events of pages 1 and 2 (the oldest, copied in
# time order) and logs the error; the second resumes from the newest of them
# minus the look-back, and ends with every event of the source exactly once.
# The requests carry $filter=activityDateTime gt <since> and
# $orderby=activityDateTime asc.
# Env from tests/run.sh: ROOT, EXT, SQLITE3, BUILD.
. "$(dirname "$0")/lib.sh"
GEN=$ROOT/build/gen_events
[ -x "$GEN" ] || { echo "no $GEN (make build/gen_events)"; exit 77; }
[ -d "$ROOT/tests/mockgraph/node_modules" ] || { echo "no mock deps (make mock-deps)"; exit 77; }
command -v node >/dev/null || { echo "no node"; exit 77; }
W=$TMP

$GEN --count 250 --seed 11 --format ndjson --out "$W/data.ndjson" || exit 1
start_mock "$W/data.ndjson"
M=$OWN_MOCK_URL
curl -s -f -X POST -H 'Content-Type: application/json' \
  -d '{"pageSize":50,"fail":[{"page":3,"status":400,"code":"BadRequest","message":"injected on page 3"}]}' \
  "$M/_mock/s/sync/config" >/dev/null || { echo "mock config failed"; exit 1; }

db="$W/sync.db"
sed "s|^\.load \./provisioning|.load $EXT|" "$ROOT/sql/setup.sql" >"$W/setup.sql"
sed "s|^\.load \./provisioning|.load $EXT|" "$ROOT/sql/sync.sql" >"$W/sync.sql"
(cd "$ROOT" && $SQLITE3 -batch -init /dev/null "$db" <"$W/setup.sql") >"$W/setup.out" 2>&1 || { cat "$W/setup.out"; exit 1; }
$SQLITE3 -batch -init /dev/null "$db" ".load $EXT" "DROP TABLE events" \
  "CREATE VIRTUAL TABLE events USING provisioning_events(source='$M/s/sync/v1.0', rate_limit=100, rate_window=1)" \
  >>"$W/setup.out" 2>&1 || { cat "$W/setup.out"; exit 1; }
q() { $SQLITE3 -batch -init /dev/null "$db" ".load $EXT" "$1" 2>&1; }

$SQLITE3 -batch -init /dev/null "$db" <"$W/sync.sql" >"$W/sync1.out" 2>&1
check "first sync fails on page 3, naming the error" 1 "$(grep -c 'injected on page 3' "$W/sync1.out")"
check "first sync keeps the 100 events of pages 1 and 2" 100 "$(q 'SELECT count(*) FROM events_local')"
check "first sync: they are the 100 oldest" 1 "$(q "SELECT (SELECT max(activity_date_time) FROM events_local) < (SELECT min(activity_date_time) FROM events WHERE id NOT IN (SELECT id FROM events_local))")"
check "first sync_log row: fetched 100, new 100, the error" "1970-01-01 00:00:00.0000000|100|100|1" \
  "$(q "SELECT since, fetched, new_rows, status LIKE '%injected on page 3%(100 rows copied and kept; the next run resumes)' FROM sync_log")"
newest1=$(q 'SELECT max(activity_date_time) FROM events_local')

$SQLITE3 -batch -init /dev/null "$db" <"$W/sync.sql" >"$W/sync2.out" 2>&1
check "second sync succeeds" 0 "$(grep -c -i 'error' "$W/sync2.out")"
check "second sync: every event exactly once" "250|250" "$(q "SELECT count(*) || '|' || count(DISTINCT id) FROM events_local")"
since2=$(q "SELECT strftime('%Y-%m-%d %H:%M:%S', '$newest1', '-2 hours') || '.0000000'")
check "second sync_log row: resumed from the newest copied minus 2 hours" "$since2|ok" "$(q 'SELECT since, status FROM sync_log WHERE rowid = 2')"
check "second sync: new rows" 150 "$(q 'SELECT new_rows FROM sync_log WHERE rowid = 2')"
curl -s -f "$M/_mock/s/sync/requests" >"$W/requests.json"
"$PY" - "$W/requests.json" "$W/data.ndjson" "$db" "$since2" <<'EOF' && ok "requests: \$orderby=activityDateTime, and the resumed one asks for activityDateTime gt since; the local ids are the source's" || bad "requests / ids"
import json, sqlite3, sys
log = json.load(open(sys.argv[1]))
# the syncs' requests (the test's own checks read the table without a filter)
gets = [r for r in log if r["method"] == "GET" and "$filter" in r["query"]]
assert all(r["query"].get("$orderby") == "activityDateTime asc" for r in gets), [r["query"] for r in gets]
firsts = [r for r in gets if "$skiptoken" not in r["query"]]
assert len(firsts) == 2, [r["query"] for r in firsts]
assert firsts[0]["query"]["$filter"] == "activityDateTime gt 1970-01-01T00:00:00.0000000Z", firsts[0]["query"]
t = sys.argv[4].replace(" ", "T") + "Z"
assert firsts[1]["query"]["$filter"] == "activityDateTime gt " + t, (firsts[1]["query"], t)
src = {json.loads(l)["id"] for l in open(sys.argv[2]) if l.strip()}
loc = {r[0] for r in sqlite3.connect(sys.argv[3]).execute("SELECT id FROM events_local")}
assert src == loc, (len(src), len(loc))
EOF
[ $fail = 0 ] || { cat "$W/sync1.out" "$W/sync2.out"; }
finish

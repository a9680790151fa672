#!/usr/bin/env bash
# Pushdown must never change a result: the corpus of tests/differential/run.py
# runs pushed and unpushed over the same events and compares the rows. A
# third table (gr) reads the same events from a mock Graph server started here
# on the generated file, so the OData sent on the wire must agree too.
set -eu
cd "$ROOT"
ev="$BUILD/diff_events.json"
[ -f "$ev" ] || build/gen_events --count 1000 --seed 7 --out "$ev"

graph=()
MPID=
pf="$BUILD/diff_mock.port"
stop() { [ -n "$MPID" ] && kill "$MPID" 2>/dev/null; rm -f "$pf"; }
trap stop EXIT
if [ -n "${MOCK_URL:-}" ]; then   # the runner's mock works, so this one must too
  rm -f "$pf"
  node tests/mockgraph/server.js --data "$ev" --port 0 --port-file "$pf" --idle-exit 120 \
    --parent-pid $$ >"$BUILD/diff_mock.log" 2>&1 &
  MPID=$!
  for _ in $(seq 1 100); do
    [ -s "$pf" ] && break
    sleep 0.1
  done
  [ -s "$pf" ] || { echo "the mock server did not start:"; cat "$BUILD/diff_mock.log"; exit 1; }
  murl="http://127.0.0.1:$(cat "$pf")"
  graph=(--graph "$murl/s/diff/v1.0")
else
  echo "note: no mock server; the gr table (OData on the wire) is not tested"
fi

# Debian's python3 can load extensions; leaks of the interpreter itself are not ours
env $RUN_ENV ASAN_OPTIONS=detect_leaks=0 /usr/bin/python3 tests/differential/run.py "$EXT" "$ev" "${graph[@]}"

if [ -n "$MPID" ]; then
  # the gr table did talk to the mock, and the strict OData parser accepted every query
  curl -s -f "$murl/_mock/s/diff/requests" >"$BUILD/diff_requests.json"
  python3 - "$BUILD/diff_requests.json" <<'PY'
import collections, json, sys
log = json.load(open(sys.argv[1]))
st = collections.Counter(r["status"] for r in log)
nf = sum(1 for r in log if "$filter" in r["query"])
print("mock: %d requests (%d with $filter), statuses %s" % (len(log), nf, dict(st)))
for r in log:
    if r["status"] != 200:
        print("  %s %s" % (r["status"], r["url"]))
sys.exit(0 if len(log) >= 300 and nf >= 200 and set(st) == {200} else 1)
PY
fi

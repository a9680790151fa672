#!/usr/bin/env bash
# Pushdown must never change a result: the corpus of tests/differential/run.py
# runs pushed and unpushed over the same events and compares the rows. A
# third table (gr) reads the same events from a mock Graph server started here
# on the generated file, so the OData sent on the wire must agree too.
. "$(dirname "$0")/lib.sh"
set -e
ev="$BUILD/diff_events.json"
[ -f "$ev" ] || build/gen_events --count 1000 --seed 7 --out "$ev"

graph=()
if [ -n "$MOCK_URL" ]; then   # the runner's mock works, so this one must too
  start_mock "$ev"
  murl=$OWN_MOCK_URL
  graph=(--graph "$murl/s/diff/v1.0")
else
  echo "note: no mock server; the gr table (OData on the wire) is not tested"
fi

# Debian's python3 can load extensions; leaks of the interpreter itself are not ours
env $RUN_ENV ASAN_OPTIONS=detect_leaks=0 /usr/bin/python3 tests/differential/run.py "$EXT" "$ev" "${graph[@]}"

if [ -n "$MOCK_URL" ]; then
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

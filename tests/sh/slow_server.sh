#!/usr/bin/env bash
# slow_server.sh: a server sending 1 byte a second trips the low-speed
# time-out (a clear error naming it, no hang), and the same table works
# again on its next statement once the server is back to speed.
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD, MOCK_URL.
. "$(dirname "$0")/lib.sh"
need_mock
scen="slow.$MODE"
knob() { env -u LD_PRELOAD curl -s -f -X POST -H 'Content-Type: application/json' -d "$1" "$MOCK_URL/_mock/s/$scen/config" >/dev/null; }
env -u LD_PRELOAD curl -s -f -X POST "$MOCK_URL/_mock/s/$scen/reset" >/dev/null || { echo "cannot reset the mock scenario"; exit 1; }
knob '{"slowBytesPerSec":1}' || { echo "cannot set the knob"; exit 1; }
cat >"$BUILD/slow_knob.sh" <<EOS
env -u LD_PRELOAD curl -s -f -X POST -H 'Content-Type: application/json' -d '{"slowBytesPerSec":0}' "$MOCK_URL/_mock/s/$scen/config" >/dev/null
EOS
start=$(date +%s)
out=$(env PROVISIONING_SOURCE= timeout 60 $SQLITE3 -batch -init /dev/null :memory: 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE g USING provisioning_events(source='$MOCK_URL/s/$scen/v1.0', low_speed_time=1, max_retries=0, rate_limit=1000, rate_window=1);
SELECT count(*) FROM g;
.shell sh $BUILD/slow_knob.sh
SELECT count(*) FROM g;
SQL
)
st=$?
took=$(( $(date +%s) - start ))
echo "$out"
[ $st -ne 124 ] || { echo "FAIL: hung (killed after 60 s)"; exit 1; }
echo "$out" | grep -q "low-speed time-out\|time-out.*low_speed_time=1" && echo "ok   the slow page fails with the low-speed time-out" ||
  { echo "FAIL: no low-speed time-out error"; fail=1; }
[ "$(echo "$out" | tail -1)" = 10000 ] && echo "ok   the same table reads every event on its next statement" ||
  { echo "FAIL: the table did not recover"; fail=1; }
[ "$took" -lt 30 ] && echo "ok   done in ${took}s" || { echo "FAIL: took ${took}s"; fail=1; }
finish

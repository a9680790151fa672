#!/usr/bin/env bash
# control_interrupt.sh: Ctrl-C in the sqlite3 shell (SIGINT to the process)
# and Python's conn.interrupt() end a statement within a second, whatever it
# waits for: a 429 with Retry-After: 60, a server that never answers, a
# pacing wait (rate_limit=1, rate_window=60 after one request). The
# statement ends with SQLITE_INTERRUPT, message "interrupted"; asserted:
# signal-to-end < 4 s (a loose bound for a busy machine).
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD.
. "$(dirname "$0")/lib.sh"
LIFETIME=150 fault_start

# $1 name, $2 scenario, $3 extra options, $4 1 = pacing (one request first)
shell_case() {
  local name=$1 scen=$2 opts=$3 pace=$4 sql="$BUILD/intr_$1.sql" out="$BUILD/intr_$1.out"
  {
    echo ".load $EXT"
    echo "CREATE VIRTUAL TABLE t USING provisioning_events(source='$FAULT_URL/$scen/v1.0', $opts);"
    [ "$pace" = 1 ] && echo "SELECT 'first', count(*) FROM t;"
    echo "SELECT 'second', count(*) FROM t;"
  } >"$sql"
  local before s2=$scen
  [ "$name" = shell_token ] && s2=silent # the token request goes to the silent login host
  before=$(fault_count "$s2")
  $SQLITE3 -batch -init /dev/null :memory: <"$sql" >"$out" 2>&1 &
  local pid=$!
  ( sleep 90; kill -9 $pid 2>/dev/null ) &
  local dog=$!
  if [ "$pace" = 1 ]; then
    # the first statement's request, then the second statement waits for pacing
    for _ in $(seq 1 100); do grep -q "^first|" "$out" && break; sleep 0.1; done
    sleep 1
  else
    fault_wait "$s2" 10 $((before + 1)) || bad "$name: the request never reached the server"
    sleep 1
  fi
  local t0 t1
  t0=$(now_ms)
  kill -INT $pid
  wait $pid 2>/dev/null
  t1=$(now_ms)
  kill $dog 2>/dev/null; wait $dog 2>/dev/null
  local ms=$((t1 - t0))
  if [ $ms -lt 4000 ]; then ok "$name: the shell ended ${ms} ms after SIGINT"; else bad "$name: the shell took ${ms} ms after SIGINT"; fi
  if grep -q "interrupted" "$out" && ! grep -q "^second|" "$out"; then
    ok "$name: the statement failed with \"interrupted\""
  else
    bad "$name: no \"interrupted\" error:"; sed 's/^/    /' "$out"
  fi
}

shell_case shell_retry_after retry429 "rate_limit=1000, rate_window=1" 0
shell_case shell_silent silent "rate_limit=1000, rate_window=1" 0
shell_case shell_pacing ok "rate_limit=1, rate_window=60" 1
# the token request (client credentials) to a login host that never answers
AZURE_TENANT_ID=t AZURE_CLIENT_ID=c AZURE_CLIENT_SECRET=s-e-c-r-e-t PROVISIONING_AUTHORITY_HOST="$FAULT_URL/silent" \
  shell_case shell_token ok "auth='azure', rate_limit=1000, rate_window=1" 0

# the trace line of the interrupted request masks its URL: a nextLink can carry
# a signature (faultserver.py's secretlink: page 2 answers 429, Retry-After 60)
PROVISIONING_TRACE=1 shell_case shell_trace_masked secretlink "rate_limit=1000, rate_window=1" 0
o="$BUILD/intr_shell_trace_masked.out"
check_cmd "trace: the interrupted retry wait is traced, its URL masked" has "$o" "p=1&sig=***: interrupted while waiting to retry"
check_cmd "trace: the nextLink's signature is in no line" hasnt "$o" "Zq8vK2mW4tR7yB1nC5xL9pD3hF6jG0sQ"

# Python: conn.interrupt() from a timer thread, 1 s after the request reached the server
cat >"$BUILD/intr.py" <<'PY'
import sqlite3, sys, threading, time
ext, url, scen, opts, pace, log = sys.argv[1:7]
def count():
    return sum(1 for l in open(log) if l.startswith(scen + " "))
conn = sqlite3.connect(":memory:", check_same_thread=False)
conn.enable_load_extension(True)
conn.load_extension(ext)
conn.execute("CREATE VIRTUAL TABLE t USING provisioning_events(source='%s/%s/v1.0', %s)" % (url, scen, opts))
if pace == "1":
    print("first", conn.execute("SELECT count(*) FROM t").fetchone()[0])
base = count()
fired = []
def fire():
    end = time.time() + 10
    while time.time() < end and (pace != "1" and count() <= base):
        time.sleep(0.05)
    time.sleep(1)
    fired.append(time.time())
    conn.interrupt()
threading.Thread(target=fire, daemon=True).start()
try:
    r = conn.execute("SELECT count(*) FROM t").fetchone()
    print("FAIL no error, got", r)
    sys.exit(1)
except sqlite3.Error as e:
    took = time.time() - fired[0] if fired else -1
    code = getattr(e, "sqlite_errorcode", None)
    print("error %r code %s after %.3f s" % (str(e), code, took))
    good = str(e) == "interrupted" and 0 <= took < 4 and code in (None, sqlite3.SQLITE_INTERRUPT)
    sys.exit(0 if good else 1)
PY
# the interpreter's own allocations are not ours to check for leaks (as in client_python.sh)
PY_ENV=${RUN_ENV/detect_leaks=1/detect_leaks=0}
py_case() {
  local name=$1 scen=$2 opts=$3 pace=$4 out
  out=$(env $PY_ENV timeout 90 /usr/bin/python3 "$BUILD/intr.py" "$EXT" "$FAULT_URL" "$scen" "$opts" "$pace" "$FAULT_LOG" 2>&1)
  local st=$?
  if [ $st = 0 ]; then ok "$name: $out"; else bad "$name: $out"; fi
}
py_case python_retry_after retry429 "rate_limit=1000, rate_window=1" 0
py_case python_silent silent "rate_limit=1000, rate_window=1" 0
# pacing is per process: python's first request, then the wait
py_case python_pacing ok "rate_limit=1, rate_window=60" 1
finish

# lib.sh: what the tests/sh/*.sh scripts share. Sourced, never run
# (tests/run.sh runs only tests/sh/*.sh):  . "$(dirname "$0")/lib.sh"
#
# The environment of tests/run.sh, with defaults for a script run by hand:
#   ROOT (the working directory from here on), MODE, EXT, SQLITE3, RUN_ENV,
#   BUILD, MOCK_URL; PY (Debian's python3); PROVISIONING_ALLOWED_HOSTS=127.0.0.1
#   (the helper servers are on loopback, as tests/run.sh sets it)
# Scratch space:
#   TMP    a new directory under BUILD, removed on exit
#   WORK   BUILD/<the script's name>, made empty, kept after the run
#   at_exit CMD          eval CMD on exit (a server to stop), in order; TMP last
# Skips:
#   need_mock            exit 77 when MOCK_URL is not set (no mock server)
# Checks (each prints "ok   NAME" or "FAIL NAME ..." and counts failures):
#   check NAME WANT GOT  GOT must equal WANT
#   check_cmd NAME CMD...  CMD must succeed
#   ok NAME / bad NAME   a result the test decided itself
#   has FILE TEXT / hasnt FILE TEXT   grep -F, for check_cmd
#   finish               exit 0 when no check failed, else 1
# Running SQL:
#   sq SQL...            the sqlite3 shell on :memory: with the extension
#                        loaded, each argument a statement, stderr included
#                        (PROVISIONING_SOURCE unset)
# Helper servers, all on 127.0.0.1 on a free port, stopped on exit:
#   start_mock DATA [ARG...]   a mock Graph of the test's own
#                        (tests/mockgraph/server.js --data DATA ARG...):
#                        sets OWN_MOCK_URL, OWN_MOCK_PID, OWN_MOCK_LOG
#   fault_start          tests/sh/faultserver.py for LIFETIME seconds (default
#                        120): sets FAULT_URL, FAULT_LOG (one line a request:
#                        "<scenario> <path>") and FAULT_PID
#   fault_count SCEN     the requests it saw for scenario SCEN
#   fault_wait SCEN [SECS [N]]  wait (default 10 s) for N (default 1) of them
#   faultwrite_start FAULT LOG [LIFETIME]  tests/sh/faultwrite.py with --fault
#                        FAULT, its request log in LOG (default lifetime 60),
#                        replacing one started before: sets FW_URL, FW_PID
#   now_ms               milliseconds since the epoch
#   py_run_env MODULE    RUN_ENV for python3 (no leak detection); in asan
#                        mode exit 77 when python3 cannot import MODULE
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
MODE=${MODE:-plain}
EXT=${EXT:-$ROOT/provisioning}
SQLITE3=${SQLITE3:-sqlite3}
RUN_ENV=${RUN_ENV:-}
BUILD=${BUILD:-$ROOT/build/test-plain}
MOCK_URL=${MOCK_URL:-}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export PROVISIONING_ALLOWED_HOSTS=127.0.0.1

mkdir -p "$BUILD"
TMP=$(mktemp -d "$BUILD/$(basename "$0" .sh).XXXXXX")
WORK=$BUILD/$(basename "$0" .sh)
rm -rf "$WORK"; mkdir -p "$WORK"
_at_exit=()
at_exit() { _at_exit+=("$1"); }
_on_exit() {
  local c
  for c in "${_at_exit[@]}"; do eval "$c"; done
  rm -rf "$TMP"
}
trap _on_exit EXIT

need_mock() { [ -n "$MOCK_URL" ] || { echo "no mock server (MOCK_URL unset)"; exit 77; }; }

fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
check() { # name want got
  if [ "$2" == "$3" ]; then ok "$1"; else printf 'FAIL %s\n  want [%s]\n  got  [%s]\n' "$1" "$2" "$3"; fail=$((fail + 1)); fi
}
check_cmd() { # name, then a command that must succeed
  local name=$1; shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}
has() { grep -q -F -- "$2" "$1"; }
hasnt() { ! grep -q -F -- "$2" "$1"; }
finish() { [ "$fail" = 0 ] && exit 0; echo "$fail check(s) failed"; exit 1; }

sq() { env PROVISIONING_SOURCE= $SQLITE3 -batch -init /dev/null :memory: ".load $EXT" "$@" 2>&1; }

start_mock() { # data, then more server arguments
  local data=$1 pf
  shift
  pf=$(mktemp "$TMP/mock.port.XXXXXX")
  OWN_MOCK_LOG=$pf.log
  env -u LD_PRELOAD node "$ROOT/tests/mockgraph/server.js" --data "$data" --port 0 --port-file "$pf" --idle-exit 120 \
    --parent-pid $$ "$@" >"$OWN_MOCK_LOG" 2>&1 &
  OWN_MOCK_PID=$!
  at_exit "kill $OWN_MOCK_PID 2>/dev/null"
  for _ in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.1; done
  [ -s "$pf" ] || { echo "the mock server did not start:"; cat "$OWN_MOCK_LOG"; exit 1; }
  local scheme=http
  case " $* " in *" --tls-cert "*) scheme=https ;; esac
  OWN_MOCK_URL="$scheme://127.0.0.1:$(cat "$pf")"
}

fault_start() {
  local pf="$TMP/faultserver.port"
  FAULT_LOG="$TMP/faultserver.log"
  rm -f "$pf"
  env -u LD_PRELOAD "$PY" "$ROOT/tests/sh/faultserver.py" --port-file "$pf" --log "$FAULT_LOG" \
    --lifetime "${LIFETIME:-120}" >"$TMP/faultserver.out" 2>&1 &
  FAULT_PID=$!
  at_exit 'kill $FAULT_PID 2>/dev/null'
  for _ in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.1; done
  [ -s "$pf" ] || { echo "the fault server did not start:"; cat "$TMP/faultserver.out"; exit 1; }
  FAULT_URL="http://127.0.0.1:$(cat "$pf")"
}
fault_count() { grep -c "^$1 " "$FAULT_LOG"; }
fault_wait() {
  local n=${3:-1} t=$((${2:-10} * 10))
  for _ in $(seq 1 $t); do
    [ "$(fault_count "$1")" -ge "$n" ] && return 0
    sleep 0.1
  done
  return 1
}

FW_PID=
faultwrite_start() { # fault log [lifetime]
  if [ -n "$FW_PID" ]; then kill "$FW_PID" 2>/dev/null; else at_exit '[ -n "$FW_PID" ] && kill $FW_PID 2>/dev/null'; fi
  rm -f "$TMP/faultwrite.port"
  "$PY" "$ROOT/tests/sh/faultwrite.py" --port-file "$TMP/faultwrite.port" --log "$2" --fault "$1" --lifetime "${3:-60}" &
  FW_PID=$!
  for _ in $(seq 100); do [ -s "$TMP/faultwrite.port" ] && break; sleep 0.05; done
  FW_URL="http://127.0.0.1:$(cat "$TMP/faultwrite.port")"
}

now_ms() { date +%s%3N; }

# RUN_ENV for python3 (leak detection off: the interpreter's own allocations);
# in asan mode, exit 77 when python3 cannot import MODULE under the preload
py_run_env() { # module
  RUN_ENV=${RUN_ENV/detect_leaks=1/detect_leaks=0}
  if [ "$MODE" = asan ]; then
    local probe st
    probe=$(env $RUN_ENV $PY -c "import $1" 2>&1); st=$?
    [ $st = 0 ] || { echo "asan preload misbehaves in python3 ($st): $probe" | head -5; exit 77; }
  fi
}

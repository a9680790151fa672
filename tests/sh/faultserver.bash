# faultserver.bash: sourced by the control_*.sh tests. Starts
# tests/sh/faultserver.py on a free loopback port for LIFETIME seconds
# (default 120): sets FAULT_URL (http://127.0.0.1:PORT), FAULT_LOG (one line
# per request: "<scenario> <path>") and FAULT_PID; stops it on exit.
export PROVISIONING_ALLOWED_HOSTS=127.0.0.1
fault_start() {
  local pf="$BUILD/faultserver.$$.port"
  FAULT_LOG="$BUILD/faultserver.$$.log"
  rm -f "$pf"
  env -u LD_PRELOAD /usr/bin/python3 "$ROOT/tests/sh/faultserver.py" --port-file "$pf" --log "$FAULT_LOG" \
    --lifetime "${LIFETIME:-120}" >"$BUILD/faultserver.$$.out" 2>&1 &
  FAULT_PID=$!
  for _ in $(seq 1 100); do
    [ -s "$pf" ] && break
    sleep 0.1
  done
  [ -s "$pf" ] || { echo "the fault server did not start:"; cat "$BUILD/faultserver.$$.out"; exit 1; }
  FAULT_URL="http://127.0.0.1:$(cat "$pf")"
  rm -f "$pf"
  trap 'kill $FAULT_PID 2>/dev/null' EXIT
}
# requests the server saw for scenario $1
fault_count() { grep -c "^$1 " "$FAULT_LOG"; }
# wait (at most $2 seconds, default 10) until scenario $1 has had at least $3 (default 1) requests
fault_wait() {
  local n=${3:-1} t=$(( ${2:-10} * 10 ))
  for _ in $(seq 1 $t); do
    [ "$(fault_count "$1")" -ge "$n" ] && return 0
    sleep 0.1
  done
  return 1
}
# milliseconds since the epoch
now_ms() { date +%s%3N; }

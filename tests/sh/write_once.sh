#!/usr/bin/env bash
# write_once.sh: a write is sent at most once, and a COMMIT whose write has
# an unknown outcome says so (issue 17, points 1 and 5).
#
# tests/sh/faultwrite.py (a small keep-alive HTTP server) fails the 2nd of
# three writes of one COMMIT, for provisioning_events and provisioning_flows:
#   cut   the server reads the whole POST and closes the connection unanswered
#   hold  the server reads it and never answers (low_speed_time=2)
#   503   answered 503 with Retry-After: 0: proof it was not processed, so one
#         retry is allowed and the COMMIT succeeds
# Asserted from the server's log of every body received: no body twice (but
# the 503 one, once retried), the third never sent; and the COMMIT message
# lists 1 as applied with the id the server gave, 2 as outcome unknown (with
# why) and 3 as not sent; provisioning_last_commit() says the same.
# Env from tests/run.sh: ROOT, EXT, SQLITE3, BUILD.
. "$(dirname "$0")/lib.sh"
W=$TMP

# start FAULT NAME: a fresh fault server; sets $URL and $LOG
start() {
  LOG="$W/$2.log"
  faultwrite_start "$1" "$LOG"
  URL=$FW_URL
}
# bodies NAME PYCODE: assertions on the list of received requests (log)
bodies() {
  "$PY" - "$LOG" "$2" <<'EOF'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
writes = [r for r in log if r["method"] != "GET"]
exec(sys.argv[2])
EOF
}

run() { # NAME TABLE-SQL : three INSERTs in one COMMIT, then the report
  { echo ".load $EXT"; echo "$2"; cat; } >"$W/$1.sql"
  (timeout 60 $SQLITE3 -batch -init /dev/null :memory: <"$W/$1.sql") >"$W/$1.out" 2>&1
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$W/$1.out"; then
    bad "$1: sanitizer report"; cat "$W/$1.out"
  fi
}

EV_INSERTS="BEGIN;
INSERT INTO ev(activity_date_time, job_id, status) VALUES ('2024-06-01 10:00:00', 'job-one', 'success');
INSERT INTO ev(activity_date_time, job_id, status) VALUES ('2024-06-01 10:00:01', 'job-two', 'success');
INSERT INTO ev(activity_date_time, job_id, status) VALUES ('2024-06-01 10:00:02', 'job-three', 'success');
COMMIT;
SELECT 'report', provisioning_last_commit();
SELECT 'outcomes', group_concat(json_extract(value, '\$.outcome'), ',') FROM json_each(provisioning_last_commit(), '\$.writes');
SELECT 'local', json_extract(provisioning_last_commit(), '\$.local');"

for fault in cut hold; do
  start $fault "ev-$fault"
  run "ev-$fault" "CREATE VIRTUAL TABLE ev USING provisioning_events(source='$URL/v1.0', writable=1, rate_limit=100, rate_window=1, low_speed_time=2, retry_base=0.1);" <<<"$EV_INSERTS"
  O="$W/ev-$fault.out"
  check_cmd "events $fault: each body received once, the third never" bodies x '
jobs = [json.loads(r["body"])["jobId"] for r in writes]
assert jobs == ["job-one", "job-two"], jobs
'
  check_cmd "events $fault: the error names request 2 of 3" has "$O" "provisioning_events: COMMIT failed at request 2 of 3 (INSERT of event 2: POST /auditLogs/provisioning): "
  case $fault in cut) why="the connection was lost after it was sent" ;; hold) why="sent, and no answer came before the time-out" ;; esac
  check_cmd "events $fault: 1 applied, with the id the server gave; 2 unknown, and why; 3 not sent" has "$O" "Applied (Graph has no transactions, these stay): 1 (INSERT of event 1, id w-1). Outcome unknown: 2 (INSERT of event 2: $why; it may have been applied: check before sending it again). Not sent: 3 (INSERT of event 3) (1 request)."
  check_cmd "events $fault: provisioning_last_commit() outcomes" has "$O" "outcomes|applied,unknown,not sent"
  check_cmd "events $fault: the local transaction is rolled back" has "$O" "local|rolled back"
done
check_cmd "events cut: why: the connection was lost" grep -qE "request 2 of 3 \([^)]*\): connection error: .*on POST /v1.0/auditLogs/provisioning" "$W/ev-cut.out"
check_cmd "events hold: why: time-out waiting" grep -qE "request 2 of 3 \([^)]*\): time-out: .*low_speed_time=2 s" "$W/ev-hold.out"
check_cmd "events: every write on its own connection" bodies x '
assert len({r["conn"] for r in writes}) == len(writes), writes
'

# a 503 with Retry-After proves the write was not processed: one retry, COMMIT succeeds
start 503 ev-503
run ev-503 "CREATE VIRTUAL TABLE ev USING provisioning_events(source='$URL/v1.0', writable=1, rate_limit=100, rate_window=1, retry_base=0.1);" <<<"$EV_INSERTS"
check_cmd "events 503 + Retry-After: the refused body sent again once, then the third" bodies x '
got = [(json.loads(r["body"])["jobId"], r["answer"], r["retry_attempt"]) for r in writes]
assert got == [("job-one", "ok", None), ("job-two", "503", None), ("job-two", "ok", "1"), ("job-three", "ok", None)], got
'
check_cmd "events 503: COMMIT succeeded" has "$W/ev-503.out" "outcomes|applied,applied,applied"
check_cmd "events 503: local committed" has "$W/ev-503.out" "local|committed"

FL_INSERTS="BEGIN;
INSERT INTO fl(flow_set_id, flow_type) VALUES ('fs-1', 'administrativeUnit');
INSERT INTO fl(flow_set_id, flow_type) VALUES ('fs-1', 'securityGroup');
INSERT INTO fl(flow_set_id, flow_type) VALUES ('fs-1', 'user');
COMMIT;
SELECT 'outcomes', group_concat(json_extract(value, '\$.outcome'), ',') FROM json_each(provisioning_last_commit(), '\$.writes');"
for fault in cut hold; do
  start $fault "fl-$fault"
  run "fl-$fault" "CREATE VIRTUAL TABLE fl USING provisioning_flows(source='$URL/beta', writable=1, rate_limit=100, rate_window=1, low_speed_time=2, retry_base=0.1);" <<<"$FL_INSERTS"
  O="$W/fl-$fault.out"
  check_cmd "flows $fault: each body received once, the third never" bodies x '
types = [json.loads(r["body"])["@odata.type"] for r in writes]
assert types == ["#microsoft.graph.industryData.administrativeUnitProvisioningFlow", "#microsoft.graph.industryData.securityGroupProvisioningFlow"], types
'
  case $fault in cut) why="the connection was lost after it was sent" ;; hold) why="sent, and no answer came before the time-out" ;; esac
  check_cmd "flows $fault: applied / unknown / not sent" has "$O" "Applied (Graph has no transactions, these stay): 1 (INSERT of flow 1 (administrativeUnit), id w-1). Outcome unknown: 2 (INSERT of flow 2 (securityGroup): $why; it may have been applied: check before sending it again). Not sent: 3 (INSERT of flow 3 (user)) (1 request)."
  check_cmd "flows $fault: provisioning_last_commit() outcomes" has "$O" "outcomes|applied,unknown,not sent"
done

# a refused connection proves nothing was sent: "Not applied ... never sent"
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run refused "CREATE VIRTUAL TABLE ev USING provisioning_events(source='http://127.0.0.1:$PORT/v1.0', writable=1, max_retries=1, retry_base=0.1);" <<<"$EV_INSERTS"
check_cmd "refused: retried, then reported as never sent" has "$W/refused.out" "Applied: none. Not applied: 1 (INSERT of event 1: never sent). Not sent: 2 (INSERT of event 2), 3 (INSERT of event 3) (2 requests)."
check_cmd "refused: outcomes" has "$W/refused.out" "outcomes|not sent,not sent,not sent"
[ $fail = 0 ] || { for f in "$W"/*.out; do echo "== $f"; cat "$f"; done; }
finish

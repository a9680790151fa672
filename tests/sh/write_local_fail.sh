#!/usr/bin/env bash
# write_local_fail.sh: remote writes went out in xSync, then the local COMMIT
# failed ("database is locked"): the applied writes are reported, a retried
# COMMIT sends nothing again (issue 17, point 2).
#
# A python process (Debian python3, plain sqlite3) holds a read transaction
# (SHARED lock) on the database file; our connection writes a real table and
# INSERTs an event through tests/sh/faultwrite.py (no fault) in the same
# transaction, so its COMMIT needs the EXCLUSIVE lock and fails after the POST
# was sent. Then:
#   retry  COMMIT again while still locked (fails, nothing resent); the
#          holder lets go; COMMIT succeeds: one POST in all, the row is there
#   undo   ROLLBACK instead: a warning on stderr, provisioning_last_commit()
#          says "rolled back" and lists the applied write with its id
# Env from tests/run.sh: ROOT, EXT, SQLITE3, BUILD.
. "$(dirname "$0")/lib.sh"
W=$TMP
HOLD=
at_exit '[ -n "$HOLD" ] && kill $HOLD 2>/dev/null'

faultwrite_start none "$W/srv.log" 90
URL=$FW_URL
nposts() { grep -c '"method": "POST"' "$W/srv.log" 2>/dev/null || echo 0; }

# hold NAME: a python process holding a SHARED lock on $W/NAME.db until $W/NAME.release exists
hold() {
  rm -f "$W/$1.ready" "$W/$1.release"
  "$PY" - "$W/$1.db" "$W/$1.ready" "$W/$1.release" <<'EOF' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN")
c.execute("SELECT count(*) FROM t").fetchall()   # SHARED lock, held
open(sys.argv[2], "w").close()
end = time.time() + 40
while not os.path.exists(sys.argv[3]) and time.time() < end:
    time.sleep(0.05)
c.execute("COMMIT")
EOF
  HOLD=$!
  for _ in $(seq 200); do [ -e "$W/$1.ready" ] && break; sleep 0.05; done
}

for name in retry undo; do
  $SQLITE3 -batch -init /dev/null "$W/$name.db" "PRAGMA journal_mode=delete; CREATE TABLE t(x);" >/dev/null
done

# ---- retry: COMMIT fails on the lock, is retried, then succeeds
hold retry
cat >"$W/retry.sql" <<SQL
.load $EXT
.timeout 300
CREATE VIRTUAL TABLE temp.ev USING provisioning_events(source='$URL/v1.0', writable=1, rate_limit=100, rate_window=1);
BEGIN;
INSERT INTO t VALUES ('local row');
INSERT INTO ev(activity_date_time, job_id, status) VALUES ('2024-06-01 10:00:00', 'job-local', 'success');
COMMIT;
SELECT 'after1', json_extract(provisioning_last_commit(), '\$.local'), json_extract(provisioning_last_commit(), '\$.writes[0].outcome'), json_extract(provisioning_last_commit(), '\$.writes[0].id');
COMMIT;
SELECT 'after2', json_extract(provisioning_last_commit(), '\$.local');
.system touch $W/retry.release
.timeout 10000
COMMIT;
SELECT 'after3', json_extract(provisioning_last_commit(), '\$.local'), provisioning_last_insert_id();
SELECT 'rows', count(*) FROM t;
-- a later transaction on the table that sends nothing leaves the report alone
BEGIN;
UPDATE ev SET status = 'x' WHERE 0;
ROLLBACK;
SELECT 'after4', json_extract(provisioning_last_commit(), '\$.local');
SQL
timeout 60 $SQLITE3 -batch -init /dev/null "$W/retry.db" <"$W/retry.sql" >"$W/retry.out" 2>&1
wait $HOLD 2>/dev/null; HOLD=
check_cmd "retry: the first COMMIT fails on the lock" grep -qc "database is locked" "$W/retry.out"
check_cmd "retry: the report says the POST was applied, the local commit not finished" has "$W/retry.out" "after1|not finished|applied|w-1"
check_cmd "retry: still not finished after the second failed COMMIT" has "$W/retry.out" "after2|not finished"
check_cmd "retry: the third COMMIT succeeds" has "$W/retry.out" "after3|committed|w-1"
check_cmd "retry: the local row is committed" has "$W/retry.out" "rows|1"
check_cmd "retry: the POST was sent once in all" test "$(nposts)" = 1
check_cmd "retry: a later rollback that sent nothing keeps the report, and warns not" test "$(grep -c warning "$W/retry.out")|$(grep '^after4' "$W/retry.out")" = "0|after4|committed"

# ---- undo: COMMIT fails on the lock, then ROLLBACK
hold undo
cat >"$W/undo.sql" <<SQL
.load $EXT
.timeout 300
CREATE VIRTUAL TABLE temp.ev USING provisioning_events(source='$URL/v1.0', writable=1, rate_limit=100, rate_window=1);
BEGIN;
INSERT INTO t VALUES ('local row');
INSERT INTO ev(activity_date_time, job_id, status) VALUES ('2024-06-01 10:00:00', 'job-undo', 'success');
COMMIT;
ROLLBACK;
SELECT 'report', provisioning_last_commit();
SELECT 'rows', count(*) FROM t;
SQL
timeout 60 $SQLITE3 -batch -init /dev/null "$W/undo.db" <"$W/undo.sql" >"$W/undo.out" 2>&1
touch "$W/undo.release"; wait $HOLD 2>/dev/null; HOLD=
check_cmd "undo: the COMMIT fails on the lock" grep -q "database is locked" "$W/undo.out"
check_cmd "undo: a warning says the remote write stays" has "$W/undo.out" "provisioning_events: warning: the transaction was rolled back after remote writes were applied, which stay applied (undo them by hand if needed); SELECT provisioning_last_commit() lists them"
check_cmd "undo: the report lists it with its id" has "$W/undo.out" 'report|{"local":"rolled back","writes":[{"table":"provisioning_events","request":1,"what":"INSERT of event 1","method":"POST","path":"/auditLogs/provisioning","outcome":"applied","status":201,"id":"w-2"}]}'
check_cmd "undo: the local row is gone" has "$W/undo.out" "rows|0"
check_cmd "undo: two POSTs in all (one per scenario)" test "$(nposts)" = 2
[ $fail = 0 ] || { for f in "$W"/*.out; do echo "== $f"; cat "$f"; done; }
finish

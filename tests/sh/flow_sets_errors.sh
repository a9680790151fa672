#!/usr/bin/env bash
# flow_sets_errors.sh: an error of provisioning_flow_sets names that table,
# once (one prefix per message), on a read and on a COMMIT.
. "$(dirname "$0")/lib.sh"
LIFETIME=60 fault_start
out=$($SQLITE3 -batch -init /dev/null :memory: 2>&1 <<SQL
.load $EXT
.bail off
CREATE VIRTUAL TABLE fs USING provisioning_flow_sets(source='$FAULT_URL/retry429/beta', max_retries=0, rate_limit=1000, rate_window=1);
SELECT count(*) FROM fs;
CREATE VIRTUAL TABLE w USING provisioning_flow_sets(source='$FAULT_URL/retry429/beta', writable=1, max_retries=0, rate_limit=1000, rate_window=1);
INSERT INTO w(display_name) VALUES('x');
SQL
)
echo "$out"
read_err=$(printf '%s\n' "$out" | grep -m1 'HTTP 429' | grep -v 'COMMIT')
commit_err=$(printf '%s\n' "$out" | grep -m1 'COMMIT failed')
check_cmd "read: the error names provisioning_flow_sets" grep -q 'error near line 4: provisioning_flow_sets: HTTP 429' <<<"$read_err"
check_cmd "read: one prefix" test "$(grep -o 'provisioning_[a-z_]*: ' <<<"$read_err" | wc -l)" = 1
check_cmd "commit: the error names provisioning_flow_sets" grep -q 'provisioning_flow_sets: COMMIT failed at request 1 of 1' <<<"$commit_err"
check_cmd "commit: one prefix" test "$(grep -o 'provisioning_[a-z_]*: ' <<<"$commit_err" | wc -l)" = 1
finish

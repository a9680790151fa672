#!/usr/bin/env bash
# control_deadline.sh: timeout= bounds a whole transfer. With timeout=5 and
# max_retries=0, a server that never answers, one that trickles its body at
# 2 bytes a second (above the low-speed limit) and one that trickles its
# headers each fail the statement within 12 s, with a time-out error naming
# timeout=5 and the URL; no row is returned.
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD.
. "$(dirname "$0")/lib.sh"
LIFETIME=100 fault_start
for scen in silent trickle trickle_hdr; do
  t0=$(now_ms)
  out=$(timeout 60 $SQLITE3 -batch -init /dev/null :memory: 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE t USING provisioning_events(source='$FAULT_URL/$scen/v1.0', timeout=5, max_retries=0, rate_limit=1000, rate_window=1);
SELECT 'rows', count(*) FROM t;
SQL
  )
  ms=$(( $(now_ms) - t0 ))
  echo "$scen (${ms} ms): $out"
  if [ $ms -lt 12000 ]; then echo "ok   $scen: ended within 12 s"; else echo "FAIL $scen: took ${ms} ms"; fail=1; fi
  if echo "$out" | grep -q "time-out.* on GET $FAULT_URL/$scen/v1.0/auditLogs/provisioning.*timeout=5 s" &&
     ! echo "$out" | grep -q "^rows|"; then
    echo "ok   $scen: a time-out error naming timeout=5 and the URL, no row"
  else
    echo "FAIL $scen: not the time-out error"; fail=1
  fi
  [ "$(fault_count $scen)" = 1 ] && echo "ok   $scen: one request (max_retries=0)" ||
    { echo "FAIL $scen: $(fault_count $scen) requests"; fail=1; }
done
finish

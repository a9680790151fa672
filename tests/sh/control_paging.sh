#!/usr/bin/env bash
# control_paging.sh: paging always ends. A nextLink cycle (A -> B -> A, the
# repeat spelled with its parameters in another order and an extra '&'), a
# self-link with an extra '&', empty pages linking on for ever or to each
# other, and a nextLink that is a number, null or an empty string each fail
# the statement with a clear error; the server's request log proves that
# no page was requested twice (rate_limit=1000: a loop would be fast; pages
# of one event, so each next page is also requested ahead: never a repeat).
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD.
. "$(dirname "$0")/lib.sh"
LIFETIME=100 fault_start
# scenario, expected requests, expected error (grep -E)
check_scan() {
  local scen=$1 want=$2 err=$3 out
  out=$(timeout 20 $SQLITE3 -batch -init /dev/null :memory: 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE t USING provisioning_events(source='$FAULT_URL/$scen/v1.0', rate_limit=1000, rate_window=1);
SELECT 'rows', count(*) FROM t;
SQL
  )
  local st=$? n
  n=$(fault_count "$scen")
  echo "$scen: $n requests: $out"
  [ $st = 124 ] && { echo "FAIL $scen: still paging after 20 s"; fail=1; return; }
  if echo "$out" | grep -Eq "$err" && ! echo "$out" | grep -q "^rows|"; then
    echo "ok   $scen: the statement fails: $err"
  else
    echo "FAIL $scen: expected an error matching: $err"; fail=1
  fi
  [ "$n" = "$want" ] && echo "ok   $scen: $want requests" || { echo "FAIL $scen: $n requests, expected $want"; fail=1; }
}
check_scan cycle 3 "provisioning_events: the @odata.nextLink of page 3 repeats the URL of page 2 \(@odata.nextLink cycle\)"
check_scan selfamp 2 "provisioning_events: page 2 links to itself \(@odata.nextLink loop"
check_scan emptycycle 3 "the @odata.nextLink of page 3 repeats the URL of page 2"
check_scan emptyloop 10 "provisioning_events: 10 pages in a row \(pages 1 to 10\) held no record but linked to another page"
check_scan linknum 1 "provisioning_events: page 1 of GET /linknum/v1.0/auditLogs/provisioning.*: not a Graph page at line 1, column [0-9]+: @odata.nextLink is a number, not a URL string \(received: \{\"value\""
check_scan linknull 1 "not a Graph page at .*@odata.nextLink is null, not a URL string"
check_scan linkempty 1 "not a Graph page at .*@odata.nextLink is an empty string"

finish

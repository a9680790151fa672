#!/usr/bin/env bash
# control_cache_lock.sh: a cache= file that another process holds locked
# (BEGIN EXCLUSIVE) slows a 10-page scan by no more than a short wait: the
# pages are fetched without the cache, every row is returned, and the
# trace (PROVISIONING_TRACE=1) says the cache was locked.
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD, MOCK_URL.
. "$(dirname "$0")/lib.sh"
need_mock
db="$BUILD/control_cache_lock.db"
rm -f "$db" "$db-journal"
scan() { # $1: cache option ('' or cache='...'), $2 tag (a distinct URL per run: no cache hit)
  $SQLITE3 -batch -init /dev/null :memory: 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE t USING provisioning_events(source='$MOCK_URL/s/cachelock$2.$MODE/v1.0', page_size=1000, rate_limit=1000, rate_window=1$1);
SELECT 'rows', count(*) FROM t;
SQL
}
# the cache file exists (with its table) before it is locked
scan ", cache='$db'" 0 >/dev/null
# another process holds the file locked for at most 60 s
env -u LD_PRELOAD /usr/bin/python3 - "$db" >"$BUILD/control_cache_lock.holder" 2>&1 <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
c.execute("INSERT INTO provisioning_cache VALUES('held', 0, x'00')")
open(sys.argv[1] + ".held", "w").close()
time.sleep(60)
PY
holder=$!
at_exit 'kill $holder 2>/dev/null'
for _ in $(seq 1 100); do [ -f "$db.held" ] && break; sleep 0.1; done
[ -f "$db.held" ] || { echo "FAIL: the lock holder did not start"; cat "$BUILD/control_cache_lock.holder"; exit 1; }
t0=$(now_ms); plain=$(scan "" 1); t1=$(now_ms)
locked=$(PROVISIONING_TRACE=1 scan ", cache='$db'" 2); t2=$(now_ms)
rm -f "$db.held"
base=$((t1 - t0)) with=$((t2 - t1))
echo "without cache: ${base} ms; locked cache file: ${with} ms"
[ "$(echo "$plain" | tail -1)" = "rows|10000" ] && [ "$(echo "$locked" | grep '^rows|')" = "rows|10000" ] &&
  echo "ok   every row with the cache file locked" || { echo "FAIL rows: $plain / $(echo "$locked" | grep -v '^provisioning:')"; fail=1; }
[ $((with - base)) -lt 1000 ] && echo "ok   the locked cache file added $((with - base)) ms to a 10-page scan (< 1000)" ||
  { echo "FAIL the locked cache file added $((with - base)) ms"; fail=1; }
n=$(echo "$locked" | grep -c "cache $db is locked by another process")
[ "$n" = 1 ] && echo "ok   the trace says the cache file was locked (once)" ||
  { echo "FAIL trace: $n lines about the lock:"; echo "$locked" | grep -a cache | head -5; fail=1; }
[ "$(echo "$locked" | grep -c -- '-> 200')" = 10 ] && echo "ok   10 pages fetched without the cache" ||
  { echo "FAIL: $(echo "$locked" | grep -c -- '-> 200') pages fetched"; fail=1; }
finish

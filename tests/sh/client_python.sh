#!/usr/bin/env bash
# client_python.sh: Debian's /usr/bin/python3 sqlite3 module with the
# extension (tests/clients/python_client.py). Skipped in asan mode when the
# sanitizer preload misbehaves in python3 (never in plain mode).
. "$(dirname "$0")/lib.sh"
[ -x $PY ] || { echo "no $PY (make deps-test)"; [ "$MODE" = plain ] && exit 1 || exit 77; }
$PY -c 'import sqlite3; sqlite3.connect(":memory:").enable_load_extension(True)' ||
  { echo "$PY cannot load extensions"; exit 1; }
# In asan mode, LeakSanitizer reports python3's own allocations at exit, so
# leak detection is turned off for python3 (ASan still checks every access of
# the extension; leaks are covered by the sqlite3 shell tests).
py_run_env sqlite3
want=$($SQLITE3 -batch -init /dev/null :memory: ".load $EXT" \
  "CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:sql/sample/events.json')" \
  "SELECT count(*) FROM ev WHERE status = 'failure' AND activity_date_time > '2024-06-30 12:00:00.500'")
[ -n "$want" ] || { echo "sqlite3 shell gave no reference count"; exit 1; }
env $RUN_ENV $PY tests/clients/python_client.py "$EXT" "$want"

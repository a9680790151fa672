#!/usr/bin/env bash
# client_pyodbc.sh: the ODBC path from Python (tests/clients/pyodbc_client.py)
# with Debian's /usr/bin/python3 and python3-pyodbc. Skipped in asan mode when
# the sanitizer preload misbehaves in python3 (never in plain mode).
. "$(dirname "$0")/lib.sh"
if ! $PY -c 'import pyodbc' 2>/dev/null; then
  echo "python3-pyodbc missing (make deps-test)"; [ "$MODE" = plain ] && exit 1 || exit 77
fi
. tests/clients/odbc_env.sh
odbc_setup client_pyodbc
# In asan mode, LeakSanitizer reports python3's own allocations at exit, so
# leak detection is turned off for python3 (ASan still checks every access of
# the extension; leaks are covered by the sqlite3 shell tests).
py_run_env pyodbc
SH() { $SQLITE3 -batch -init /dev/null "$DB" ".load $EXT" "$1"; }
count=$(SH "SELECT count(*) FROM events WHERE status = 'failure' AND activity_date_time > '2024-06-30 12:00:00.500'")
times=$(SH "SELECT group_concat(t) FROM (SELECT activity_date_time AS t FROM events ORDER BY 1 DESC LIMIT 3)")
[ -n "$count" ] && [ -n "$times" ] || { echo "sqlite3 shell gave no reference values"; exit 1; }
env $RUN_ENV $PY tests/clients/pyodbc_client.py "$count" "$times"

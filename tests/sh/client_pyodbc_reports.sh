#!/usr/bin/env bash
# client_pyodbc_reports.sh: every file of sql/reports/ runs verbatim through
# pyodbc and the SQLite ODBC driver (DSN with LoadExt=) against the database
# sql/setup.sql makes, from a directory other than the repository root, and
# returns the rows of the sqlite3 shell; SQLColumns shows no LONGVARCHAR name,
# type or status column (tests/clients/pyodbc_reports.py). The reports hold no
# ';' outside quotes (the driver refuses one, even in a comment).
. "$(dirname "$0")/lib.sh"
if ! $PY -c 'import pyodbc' 2>/dev/null; then
  echo "python3-pyodbc missing (make deps-test)"; [ "$MODE" = plain ] && exit 1 || exit 77
fi
. tests/clients/odbc_env.sh
odbc_setup client_pyodbc_reports
py_run_env pyodbc
# no ';' outside quotes: strip '...' literals, then look
for f in sql/reports/*.sql; do
  if sed -e "s/'[^']*'//g" "$f" | grep -n ';'; then echo "FAIL $f has a ';' outside quotes"; fail=1; fi
done
# the shell's rows, from the repository root, as a BI user would run them
mkdir -p "$W/golden" "$W/elsewhere"
for f in sql/reports/*.sql; do
  $SQLITE3 -batch -init /dev/null -list -cmd ".load $EXT" "$DB" <"$f" >"$W/golden/$(basename "$f" .sql).out" 2>&1 ||
    { echo "FAIL the shell: $f"; cat "$W/golden/$(basename "$f" .sql).out"; fail=1; }
done
(cd "$W/elsewhere" && env $RUN_ENV $PY "$ROOT/tests/clients/pyodbc_reports.py" prov "$DB" "$EXT" \
  "$ROOT/sql/reports" "$W/golden") || fail=1
finish

#!/usr/bin/env bash
# isql_client.sh: unixODBC's isql through the SQLite ODBC driver, with the
# extension loaded by LoadExt= (run by tests/sh/client_isql.sh).
# isql exits 0 even when a statement fails, so every check reads its output.
set -u
. tests/clients/odbc_env.sh
odbc_setup client_isql
fail=0
check() { # name expected actual
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2], got [$3]"; fail=1; fi
}
isql_q() { # DSN SQL: a header line, then rows as a|b; -v: error messages; stderr kept
  echo "$2" | env $RUN_ENV isql -b -v -d'|' -c "$1" 2>&1 | tee -a "$W/isql.all"
}
# plain counts from the sqlite3 shell, to compare with
SH() { $SQLITE3 -batch -init /dev/null "$DB" ".load $EXT" "$1" 2>&1; }

out=$(isql_q prov "SELECT provisioning_version();")
check "extension loaded through LoadExt" "$(cat VERSION)" "$(echo "$out" | tail -n +2 | head -1)"

out=$(isql_q prov "SELECT status, count(*) FROM events WHERE status = 'failure' GROUP BY status;")
check "filtered query through ODBC" "failure|$(SH "SELECT count(*) FROM events WHERE status = 'failure'")" "$(echo "$out" | tail -n +2 | head -1)"

out=$(isql_q prov "SELECT count(*) FROM failures WHERE activity_date_time > '2024-06-30 12:00:00.500';")
check "view over the virtual table" "$(SH "SELECT count(*) FROM events WHERE status = 'failure' AND activity_date_time > '2024-06-30 12:00:00.500'")" "$(echo "$out" | tail -n +2 | head -1)"

out=$(isql_q prov "SELECT count(*) FROM events WHERE job_id LIKE 'scim.%' AND duration_ms > 10000;")
check "query with LIKE and a duration" "$(SH "SELECT count(*) FROM events WHERE job_id LIKE 'scim.%' AND duration_ms > 10000")" "$(echo "$out" | tail -n +2 | head -1)"

# a SQL error: isql still exits 0, the message is in the output
out=$(isql_q prov "SELECT no_such_column FROM events;"); st=$?
echo "$out" | grep -q "no such column: no_such_column" || { echo "FAIL SQL error not reported: $out"; fail=1; }
echo "ok   SQL error reported in isql's output (isql exit $st)"

# isql's own table listing (SQLTables)
out=$(isql_q prov "help")
for t in events failures event_steps event_modified_properties; do
  echo "$out" | grep -q "|$t|" || { echo "FAIL SQLTables does not list $t: $out"; fail=1; }
done
echo "ok   SQLTables lists the tables and views"
# isql's column listing (SQLColumns) of events
out=$(isql_q prov "help events")
# isql is an ODBC 2 application: the driver answers SQL_TIMESTAMP (11) to it
# (pyodbc, ODBC 3, gets SQL_TYPE_TIMESTAMP, 93: tests/clients/pyodbc_client.py)
check "SQLColumns: activity_date_time" "activity_date_time|11|TIMESTAMP" "$(echo "$out" | awk -F'|' '$4 == "activity_date_time" { print $4 "|" $5 "|" $6 }')"
check "SQLColumns: duration_ms" "duration_ms|4|INTEGER" "$(echo "$out" | awk -F'|' '$4 == "duration_ms" { print $4 "|" $5 "|" $6 }')"
check "SQLColumns: job_id" "job_id|12|VARCHAR(255)|255" "$(echo "$out" | awk -F'|' '$4 == "job_id" { print $4 "|" $5 "|" $6 "|" $7 }')"

# a renamed copy of the extension loads (it exports sqlite3_extension_init)
out=$(isql_q prov_ren "SELECT count(*) FROM events WHERE status = 'skipped';")
check "renamed extension file loads" "$(SH "SELECT count(*) FROM events WHERE status = 'skipped'")" "$(echo "$out" | tail -n +2 | head -1)"

# a wrong LoadExt path fails silently at connect time: the connection
# works (the driver writes the load error only to the process's stderr, which
# a BI tool does not show), and the first use of a table says "no such module"
out=$(echo "SELECT 1;" | env $RUN_ENV isql -b -v -d'|' -c prov_bad 2>/dev/null)
check "wrong LoadExt: the connection still opens" "1" "$(echo "$out" | tail -n +2 | head -1)"
out=$(echo "SELECT 1;" | env $RUN_ENV isql -b -v -d'|' -c prov_bad 2>&1 >/dev/null)
echo "$out" | grep -q "no_such_dir/provisioning.so' did not load" || { echo "FAIL wrong LoadExt: no message on stderr: $out"; fail=1; }
out=$(isql_q prov_bad "SELECT count(*) FROM events;")
echo "$out" | grep -q "no such module: provisioning_events" || { echo "FAIL wrong LoadExt: expected 'no such module', got: $out"; fail=1; }
out=$(isql_q prov_bad "SELECT provisioning_version();")
echo "$out" | grep -q "no such function: provisioning_version" || { echo "FAIL wrong LoadExt check: $out"; fail=1; }
echo "ok   wrong LoadExt path: silent at connect, 'no such module' on use, provisioning_version() tells"
# sanitizer reports (asan mode) would otherwise hide in captured output
if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$W/isql.all"; then
  echo "FAIL sanitizer report in isql:"; grep -A20 -E 'Sanitizer|runtime error:' "$W/isql.all" | head -60; fail=1
fi
exit $fail

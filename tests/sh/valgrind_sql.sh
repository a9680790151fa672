#!/usr/bin/env bash
# valgrind_sql.sh: the golden SQL tests (tests/sql/*.sql) under valgrind
# memcheck, plain mode only (asan mode has its own sanitizers).
#
# Each test is prepared as tests/run.sh does (@MOCK@, @ROOT@, @EXT@, @BUILD@
# replaced; tests needing @MOCK@ skipped when MOCK_URL is empty) and run by
# the sqlite3 shell under
#   valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
# so any memory error or definite leak fails it (valgrind's report is in
# $BUILD/valgrind/NAME.vg). The output must still equal NAME.expected.
# The two slowest tests (pushdown_file, report_crosscheck: ~50 s of the
# ~2 min under valgrind) are left out unless VALGRIND_ALL=1, to keep this
# pass near a minute and a half.
. "$(dirname "$0")/lib.sh"
[ "$MODE" = plain ] || { echo "plain mode only"; exit 77; }
command -v valgrind >/dev/null || { echo "valgrind not installed"; exit 77; }
B=$BUILD/valgrind
rm -rf "$B"; mkdir -p "$B"
SLOW="pushdown_file report_crosscheck"
status=0
n=0
for t in tests/sql/*.sql; do
  name=$(basename "$t" .sql)
  if [ -z "${VALGRIND_ALL:-}" ] && [[ " $SLOW " == *" $name "* ]]; then echo "skip $name (slow; VALGRIND_ALL=1 runs it)"; continue; fi
  if grep -q '@MOCK@' "$t" && [ -z "$MOCK_URL" ]; then echo "skip $name (no mock)"; continue; fi
  sed -e "s|@MOCK@|$MOCK_URL|g" -e "s|@ROOT@|$ROOT|g" -e "s|@EXT@|$EXT|g" -e "s|@BUILD@|$B|g" "$t" >"$B/$name.sql"
  env PROVISIONING_SOURCE= valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --num-callers=30 --log-file="$B/$name.vg" \
    sqlite3 -batch -init /dev/null :memory: <"$B/$name.sql" >"$B/$name.out" 2>&1
  st=$?
  n=$((n + 1))
  if [ $st = 99 ] || [ -s "$B/$name.vg" ]; then
    echo "FAIL $name: valgrind reported (exit $st):"
    head -60 "$B/$name.vg"
    status=1
  elif ! diff -u "tests/sql/$name.expected" "$B/$name.out" >"$B/$name.diff"; then
    echo "FAIL $name: output differs under valgrind:"
    head -40 "$B/$name.diff"
    status=1
  else
    echo "ok   $name"
  fi
done
[ $n -gt 0 ] || { echo "no test ran"; exit 1; }
exit $status

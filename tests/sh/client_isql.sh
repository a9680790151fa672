#!/usr/bin/env bash
# client_isql.sh: the ODBC path with unixODBC's isql (tests/clients/isql_client.sh).
# In asan mode the sanitizer runtime is preloaded into isql; if that setup
# misbehaves (not the extension), the test is skipped, never in plain mode.
. "$(dirname "$0")/lib.sh"
if [ "$MODE" = asan ]; then
  probe=$(echo "SELECT 1;" | env $RUN_ENV ODBCSYSINI=/nonexistent isql -b x 2>&1)
  echo "$probe" | grep -q "AddressSanitizer\|LeakSanitizer" && { echo "asan preload misbehaves in isql: $probe"; exit 77; }
fi
# LeakSanitizer reports allocations of the ODBC driver manager and driver
# (dlclosed by then: "<unknown module>"); AddressSanitizer still checks ours.
[ "${MODE:-plain}" = asan ] && export RUN_ENV="$RUN_ENV ASAN_OPTIONS=detect_leaks=0:exitcode=23"
bash tests/clients/isql_client.sh

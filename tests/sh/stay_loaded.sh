#!/usr/bin/env bash
# stay_loaded.sh: once loaded, the extension stays mapped for the life of the
# process, even after the connection that loaded it closes (SQLite unloads an
# extension then): libcurl's global state points at the extension's
# allocators, and libcurl and the libraries it brought in (GnuTLS, Kerberos)
# may still be in use, or finalise themselves touching thread-local storage
# that the sanitizers' leak check would then scan after it was unmapped (the
# LeakSanitizer "Tracer caught signal 11" at exit of a beta source, every
# time). Checked in the sqlite3 shell: .open closes the first connection, and
# /proc/<shell>/maps must still hold the extension; loading it again on the
# new connection works, and a Graph table (the mock) reads rows.
# Env from tests/run.sh (tests/sh/lib.sh): ROOT, MODE, EXT, SQLITE3, MOCK_URL.
. "$(dirname "$0")/lib.sh"
need_mock
so=$(basename "$EXT").so
out=$($SQLITE3 -batch -init /dev/null :memory: 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE g USING provisioning_events(source='$MOCK_URL/s/stay-$MODE-$$/beta', rate_limit=1000, rate_window=1);
SELECT 'first', count(*) FROM (SELECT id FROM g LIMIT 2);
.open :memory:
.shell grep -c -F '/$so' /proc/\$PPID/maps >/dev/null && echo still-mapped || echo unmapped
.load $EXT
CREATE VIRTUAL TABLE g USING provisioning_events(source='$MOCK_URL/s/stay2-$MODE-$$/v1.0', rate_limit=1000, rate_window=1);
SELECT 'second', count(*) FROM (SELECT id FROM g LIMIT 3);
SQL
)
check "a beta table reads rows" "first|2" "$(echo "$out" | grep '^first')"
check "the extension is still mapped after its connection closed" "still-mapped" "$(echo "$out" | grep -E '^(still-mapped|unmapped)$')"
check "loaded again on a new connection, a table reads rows" "second|3" "$(echo "$out" | grep '^second')"
check "nothing else was printed (no sanitizer or tracer report)" "" "$(echo "$out" | grep -v -E '^(first|second)\||^(still-mapped|unmapped)$')"
finish

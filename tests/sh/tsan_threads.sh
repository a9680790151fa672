#!/usr/bin/env bash
# tsan_threads.sh: tests/unit/test_threads.c under ThreadSanitizer.
#
# Builds the test with clang -fsanitize=thread together with every ext/*.c
# except provisioning.c (the test includes it), -DSQLITE_CORE, -lsqlite3
# -lcurl, and runs it with MOCK_URL: two connections querying the mock and
# the file source at once, and one connection used from two threads in turn.
# Any ThreadSanitizer report fails the test. Plain mode only (77 in asan
# mode, or without clang).
. "$(dirname "$0")/lib.sh"
[ "$MODE" = plain ] || { echo "plain mode only"; exit 77; }
command -v clang >/dev/null || { echo "clang not installed"; exit 77; }
B=$BUILD
mkdir -p "$B"
exe="$B/test_threads_tsan"
srcs=$(ls ext/*.c | grep -v '^ext/provisioning.c$')
if ! clang -O1 -g -fsanitize=thread -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
    -Wno-string-plus-int -DSQLITE_CORE -DPROV_VERSION="\"$(cat VERSION)\"" -Iext \
    -o "$exe" tests/unit/test_threads.c $srcs -lsqlite3 -lcurl -lcrypto -lm -lpthread >"$exe.log" 2>&1; then
  cat "$exe.log"; echo "build failed"; exit 1
fi
out="$B/test_threads_tsan.out"
(cd "$B" && TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1" "$exe") >"$out" 2>&1
st=$?
cat "$out"
if grep -q 'WARNING: ThreadSanitizer' "$out"; then
  echo "ThreadSanitizer reported $(grep -c 'WARNING: ThreadSanitizer' "$out") problem(s)"
  exit 1
fi
[ $st = 0 ] || { echo "exit $st"; exit 1; }
[ -n "${MOCK_URL:-}" ] || echo "note: MOCK_URL not set, the mock part was skipped"
exit 0

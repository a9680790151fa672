#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS: build and run every libFuzzer target.
#
# Each tests/fuzz/fuzz_NAME.c is compiled with clang
# -fsanitize=fuzzer,address,undefined together with every ext/*.c except
# ext/provisioning.c (-DSQLITE_CORE, linked with the system -lsqlite3 and
# -lcurl -lcrypto) into build/fuzz/fuzz_NAME, then run for SECONDS (default 60) on a
# scratch copy of tests/fuzz/corpus_NAME/ (new inputs it finds go there,
# so the repository's corpus is not modified). Crash inputs are written to
# build/fuzz/artifacts_NAME/. Exits non-zero if any target fails to build
# or finds a crash, leak or sanitizer report.
#
# Environment: FUZZ_MAX_LEN (default 16384), FUZZ_SRCS (override the
# ext/*.c list, e.g. "ext/json.c ext/steps.c" to fuzz while another file
# does not build), CC_FUZZ (default clang), FUZZ_TARGETS (names to run,
# e.g. "tvf page"; default all).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SECS=${1:-60}
MAXLEN=${FUZZ_MAX_LEN:-16384}
CC_FUZZ=${CC_FUZZ:-clang}
OUT=build/fuzz
mkdir -p "$OUT"
if ! command -v "$CC_FUZZ" >/dev/null; then
  echo "fuzz: $CC_FUZZ not found (apt-get install clang libclang-rt-14-dev)"; exit 1
fi
SRCS=${FUZZ_SRCS:-$(ls ext/*.c | grep -v '^ext/provisioning.c$')}
VERSION=$(cat VERSION 2>/dev/null || echo unknown)

status=0
for t in tests/fuzz/fuzz_*.c; do
  [ -f "$t" ] || continue
  base=$(basename "$t" .c)
  name=${base#fuzz_}
  if [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $name "* ]]; then continue; fi
  exe="$OUT/$base"
  echo "== $base: building"
  if ! $CC_FUZZ -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -Wall -Wextra -Wno-unused-parameter -DSQLITE_CORE -DPROV_VERSION="\"$VERSION\"" -Iext \
      -o "$exe" "$t" $SRCS -lsqlite3 -lcurl -lcrypto -lm; then
    echo "FAIL $base: build failed"; status=1; continue
  fi
  work=$(mktemp -d "$ROOT/$OUT/corpus_$name.XXXXXX")
  [ -d "tests/fuzz/corpus_$name" ] && cp -r "tests/fuzz/corpus_$name/." "$work/"
  art="$OUT/artifacts_$name/"
  mkdir -p "$art"
  log="$OUT/$base.log"
  echo "== $base: running ${SECS}s (corpus $work, log $log)"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    "$exe" -max_total_time="$SECS" -max_len="$MAXLEN" -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$art" "$work" >"$log" 2>&1
  st=$?
  runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
  if [ $st -ne 0 ] || grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
    echo "FAIL $base: exit $st after ${runs:-?} executions"
    grep -E -m 20 'ERROR|runtime error|SUMMARY|Test unit written' "$log"
    status=1
  else
    echo "PASS $base: ${runs:-?} executions in ${SECS}s, no crash"
  fi
  rm -rf "$work"
done
exit $status

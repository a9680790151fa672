#!/usr/bin/env bash
# fuzz_short.sh: the libFuzzer targets in make test (plain mode only).
#
# 1. Build every tests/fuzz/fuzz_*.c and run it FUZZ_SHORT_SECONDS (default
#    10) through tests/fuzz/run.sh (make fuzz runs the same for longer).
# 2. Replay every file of every tests/fuzz/corpus_NAME/ through its target,
#    one run per file (all failing files are listed), at full length (libFuzzer truncates inputs to -max_len while fuzzing;
#    the replay also covers the 100,000-deep nesting seeds and any crash
#    input kept as a regression file).
# Skips (77) in asan mode (the targets carry their own sanitizers) and when
# clang or its fuzzer runtime is missing.
. "$(dirname "$0")/lib.sh"
[ "$MODE" = plain ] || { echo "plain mode only"; exit 77; }
command -v clang >/dev/null || { echo "clang not installed"; exit 77; }
SECS=${FUZZ_SHORT_SECONDS:-10}
status=0
bash tests/fuzz/run.sh "$SECS" || status=1
for t in tests/fuzz/fuzz_*.c; do
  name=$(basename "$t" .c); name=${name#fuzz_}
  exe=build/fuzz/fuzz_$name
  [ -x "$exe" ] || { echo "FAIL $name: not built"; status=1; continue; }
  [ -d "tests/fuzz/corpus_$name" ] || continue
  n=0; bad=()
  for f in "tests/fuzz/corpus_$name"/*; do
    n=$((n + 1))
    if ! ASAN_OPTIONS=detect_leaks=1 "$exe" -timeout=60 -rss_limit_mb=2048 "$f" >"build/fuzz/replay_$name.log" 2>&1; then
      bad+=("$(basename "$f"): $(grep -a -v -E '^(INFO|Running|==|NOTE|SUMMARY| +#|$)|Combine libFuzzer|deadly signal|Executed' \
        "build/fuzz/replay_$name.log" | head -1 | cut -c1-200)")
    fi
  done
  if [ ${#bad[@]} = 0 ]; then
    echo "PASS replay $name: $n corpus files"
  else
    echo "FAIL replay $name: ${#bad[@]} of $n corpus files fail:"
    printf '    %s\n' "${bad[@]}"
    status=1
  fi
done
exit $status

#!/usr/bin/env bash
# steps_bounded.sh: provisioning_steps() and provisioning_modified_properties()
# run in memory that does not grow with the number of array elements, and
# reject 100,000 levels of nesting cleanly.
#
# Memory is measured as the peak RSS (/usr/bin/time -v) of the sqlite3 shell.
# readfile() itself holds the whole file, and xFilter keeps one copy of its
# argument (SQLite may reuse the argument's register), so the accounting is
#   extra(N) = RSS(count over the TVF) - RSS(length(readfile)) - file size
# and the test asserts extra(1,000,000 elements) - extra(1,000) < BOUND_KB.
# Tokenising the whole array (about 7 jsmn tokens of 20 bytes per element)
# or leaking per element would add well over 100 MB at a million elements.
#
# Env from tests/run.sh: EXT, SQLITE3, BUILD; cwd is the repo root.
. "$(dirname "$0")/lib.sh"
BOUND_KB=8192
[ -x /usr/bin/time ] || { echo "no /usr/bin/time"; exit 77; }
W=$WORK
# Under AddressSanitizer freed blocks sit in a quarantine (256 MB by
# default) that would be counted as RSS; turn it off for these runs.
SQL3=${SQLITE3/ASAN_OPTIONS=/ASAN_OPTIONS=quarantine_size_mb=0:}

steps_array() { # N FILE: a provisioningSteps array of N small steps
  awk -v n="$1" 'BEGIN { printf "["; for (i = 0; i < n; i++) { if (i) printf ",";
    printf "{\"name\":\"s%d\",\"provisioningStepType\":\"import\",\"status\":\"success\",\"details\":{}}", i }
    print "]" }' >"$2"
}
props_event() { # N FILE: an event whose modifiedProperties has N elements
  awk -v n="$1" 'BEGIN { printf "{\"id\":\"e\",\"provisioningSteps\":[],\"modifiedProperties\":["; for (i = 0; i < n; i++) {
    if (i) printf ","; printf "{\"displayName\":\"p%d\",\"oldValue\":null,\"newValue\":\"v\"}", i }
    print "],\"servicePrincipal\":{\"id\":\"x\"}}" }' >"$2"
}

# run SQL: sets OUT (stdout+stderr) and RSS (KB), fails on a sanitizer report
run() {
  local log="$W/time.log"
  OUT=$(/usr/bin/time -v -o "$log" $SQL3 -batch -init /dev/null :memory: ".load $EXT" "$1" 2>&1)
  RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log")
  if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' <<<"$OUT"; then
    echo "sanitizer report for: $1"; echo "$OUT" | head -40; fail=1
  fi
}
expect() { # WHAT GOT WANT
  if [ "$2" != "$3" ]; then echo "FAIL $1: got '$2', want '$3'"; fail=1; else echo "ok $1: $2"; fi
}

# extra KB for FUNCTION over FILE (its count and checksum checked too)
measure() { # NAME FILE QUERY WANT_OUTPUT
  local name=$1 file=$2 query=$3 want=$4
  local size_kb=$(( $(stat -c %s "$file") / 1024 ))
  run "SELECT length(readfile('$file'))"
  local base=$RSS
  run "$query"
  expect "$name result" "$OUT" "$want"
  EXTRA=$(( RSS - base - size_kb ))
  echo "   $name: rss ${RSS} KB, readfile alone ${base} KB, file ${size_kb} KB, extra ${EXTRA} KB"
}

for fn in steps props; do
  for n in 1000 1000000; do
    f="$W/$fn.$n.json"
    if [ $fn = steps ]; then
      steps_array $n "$f"
      # sum of length('s' || i) for i in [0, n)
      sum=$(awk -v n=$n 'BEGIN { s = 0; for (i = 0; i < n; i++) s += 1 + length(i ""); print s }')
      measure "steps $n" "$f" \
        "SELECT count(*), sum(length(name)), max(step), count(DISTINCT status) FROM provisioning_steps(readfile('$f'))" \
        "$n|$sum|$((n - 1))|1"
    else
      props_event $n "$f"
      sum=$(awk -v n=$n 'BEGIN { s = 0; for (i = 0; i < n; i++) s += 1 + length(i ""); print s }')
      measure "props $n" "$f" \
        "SELECT count(*), sum(length(name)), max(position), count(old_value), count(new_value) FROM provisioning_modified_properties(readfile('$f'))" \
        "$n|$sum|$((n - 1))|0|$n"
    fi
    eval "extra_${fn}_$n=$EXTRA"
  done
done
for fn in steps props; do
  small=$(eval echo \$extra_${fn}_1000)
  big=$(eval echo \$extra_${fn}_1000000)
  growth=$(( big - small ))
  if [ "$growth" -lt "$BOUND_KB" ]; then
    echo "ok $fn: memory growth from 1,000 to 1,000,000 elements is ${growth} KB (< ${BOUND_KB} KB)"
  else
    echo "FAIL $fn: memory grew by ${growth} KB from 1,000 to 1,000,000 elements (bound ${BOUND_KB} KB)"
    fail=1
  fi
done

# 100,000 levels of nesting: a clean error, no crash, small memory
deep="$W/deep.json"
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; print "" }' >"$deep"
run "SELECT count(*) FROM provisioning_steps(readfile('$deep'))"
expect "deep array" "$OUT" "Error: stepping, provisioning_steps: invalid JSON at byte offset 512 (line 1, column 513): JSON nested too deeply (over 512 levels)"
deepev="$W/deep_event.json"
awk 'BEGIN { printf "{\"modifiedProperties\":[{\"newValue\":"; for (i = 0; i < 100000; i++) printf "{\"a\":";
  printf "1"; for (i = 0; i < 100000; i++) printf "}"; print "}]}" }' >"$deepev"
run "SELECT count(*) FROM provisioning_modified_properties(readfile('$deepev'))"
expect "deep event" "$OUT" "Error: stepping, provisioning_modified_properties: invalid JSON at byte offset 2580 (line 1, column 2581): JSON nested too deeply (over 512 levels)"
finish

#!/usr/bin/env bash
# Pushdown must never change a result: the corpus of tests/differential/run.py
# runs pushed and unpushed over the same events and compares the rows.
set -eu
cd "$ROOT"
ev="$BUILD/diff_events.json"
[ -f "$ev" ] || build/gen_events --count 1000 --seed 7 --out "$ev"
# Debian's python3 can load extensions; leaks of the interpreter itself are not ours
env $RUN_ENV ASAN_OPTIONS=detect_leaks=0 /usr/bin/python3 tests/differential/run.py "$EXT" "$ev"

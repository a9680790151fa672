#!/usr/bin/env bash
# bench_steps.sh [N] [REPS]: provisioning_steps() against SQLite's json_each
# unnesting the provisioningSteps of N generated events (default 100000),
# each query run REPS times (default 5), alternating, in one sqlite3 process.
#
# What is measured (the shell's .timer: wall-clock "real" and CPU "user"
# seconds of each statement; process start, extension loading and file
# generation are not included):
#
#   page/tvf    SELECT count(*), sum(length(s.name))
#                 FROM json_each(readfile(F), '$.value') e, provisioning_steps(e.value) s
#   page/json   SELECT count(*), sum(length(s.value ->> 'name'))
#                 FROM json_each(readfile(F), '$.value') e,
#                      json_each(e.value -> '$.provisioningSteps') s
#   page/outer  SELECT count(*), sum(length(e.value))
#                 FROM json_each(readfile(F), '$.value') e
#               the part both page queries share: reading the file and
#               splitting the page into events with json_each
#   table/tvf   the same unnesting over a table ev(raw) of the events'
#   table/json  JSON text (filled once before timing, not timed), which is
#               how the functions are used on provisioning_events rows
#
# On a busy machine "real" includes waiting for a CPU; "user" is the CPU
# time of the statement itself and the steadier figure (sys is mostly
# readfile() and page faults for the page queries).
# Both sides read the same field and must return the same count and sum
# (checked). Printed: the median of each, and the ratios json/tvf:
# page (whole statement, dominated by the shared outer json_each), page
# net of the outer split (page/x - page/outer), and table.
# Needs build/gen_events (make build/gen_events) and the extension (EXT,
# default ./provisioning, built by make).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
N=${1:-100000}
REPS=${2:-5}
EXT=${EXT:-$ROOT/provisioning}
[ -x build/gen_events ] || make -s build/gen_events
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
F="$TMP/events.json"
build/gen_events --count "$N" --out "$F"
echo "bench_steps: $N events, $(( $(stat -c %s "$F") / 1048576 )) MB of JSON, $REPS runs each, sqlite $(sqlite3 --version | cut -d' ' -f1)"

declare -A SQL
SQL[page/tvf]="SELECT 'page/tvf', count(*), sum(length(s.name)) FROM json_each(readfile('$F'), '\$.value') e, provisioning_steps(e.value) s"
SQL[page/json]="SELECT 'page/json', count(*), sum(length(s.value ->> 'name')) FROM json_each(readfile('$F'), '\$.value') e, json_each(e.value -> '\$.provisioningSteps') s"
SQL[page/outer]="SELECT 'page/outer', count(*), sum(length(e.value)) FROM json_each(readfile('$F'), '\$.value') e"
SQL[table/tvf]="SELECT 'table/tvf', count(*), sum(length(s.name)) FROM ev e, provisioning_steps(e.raw) s"
SQL[table/json]="SELECT 'table/json', count(*), sum(length(s.value ->> 'name')) FROM ev e, json_each(e.raw -> '\$.provisioningSteps') s"
ORDER="page/tvf page/json page/outer table/tvf table/json"

{
  echo ".load $EXT"
  echo "CREATE TABLE ev(raw TEXT);"
  echo "INSERT INTO ev SELECT value FROM json_each(readfile('$F'), '\$.value');"
  echo ".timer on"
  for _ in $(seq 1 "$REPS"); do
    for k in $ORDER; do echo "${SQL[$k]};"; done
  done
} | sqlite3 -batch -init /dev/null :memory: >"$TMP/out.txt" 2>&1

# pair each result line with the Run Time line after it
awk '/^Run Time:/ { if (name != "") print name, $4, $6, $8; name = ""; next }
     { split($0, a, "|"); name = a[1]; res[a[1]] = a[2] "|" a[3] }
     END { for (k in res) print "result", k, res[k] }' "$TMP/out.txt" >"$TMP/times.txt"
if grep -q -i error "$TMP/out.txt"; then cat "$TMP/out.txt"; exit 1; fi

median() { # NAME FIELD(2 real, 3 user, 4 sys)
  awk -v k="$1" -v f="$2" '$1 == k { print $f }' "$TMP/times.txt" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
res() { awk -v k="$1" '$1 == "result" && $2 == k { print $3 }' "$TMP/times.txt"; }
for pair in "page/tvf page/json" "table/tvf table/json"; do
  set -- $pair
  if [ "$(res "$1")" != "$(res "$2")" ]; then
    echo "MISMATCH: $1 gives $(res "$1"), $2 gives $(res "$2")"; exit 1
  fi
done
echo "rows|sum(length(name)): $(res page/tvf) (both sides agree)"
printf '%-12s %10s %10s %10s\n' query "real s" "user s" "sys s"
for k in $ORDER; do printf '%-12s %10s %10s %10s\n' "$k" "$(median "$k" 2)" "$(median "$k" 3)" "$(median "$k" 4)"; done
for f in 2 3; do
  [ $f = 2 ] && lab="real" || lab="user"

  awk -v pt="$(median page/tvf $f)" -v pj="$(median page/json $f)" -v po="$(median page/outer $f)" \
      -v tt="$(median table/tvf $f)" -v tj="$(median table/json $f)" -v lab=$lab 'BEGIN {
    printf "%s: json_each/provisioning_steps = %.2fx (page, whole statement)  %.2fx (page, net of the outer split)  %.2fx (table)\n",
      lab, pj / pt, (pt - po > 0 ? (pj - po) / (pt - po) : 0), tj / tt }'
done
echo "note: the page ratio cannot exceed page/json / page/outer = $(awk -v pj="$(median page/json 3)" -v po="$(median page/outer 3)" 'BEGIN { printf "%.2f", pj / po }')x (user), however fast the unnesting"

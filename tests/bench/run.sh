#!/usr/bin/env bash
# tests/bench/run.sh [N] [--check]: the benchmarks (make bench / make bench-check).
# N events (default 100000). Everything is done by tests/bench/bench.py; see
# tests/bench/README.md for what each figure means. With --check the exit
# status is 1 when a goal is missed. BENCH_REPS (default 5) alternating runs
# per comparison.
set -u
# The benchmark's mock servers are on loopback, allowed only through the environment.
export PROVISIONING_ALLOWED_HOSTS=127.0.0.1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
N=100000
CHECK=
for a in "$@"; do
  case $a in
    --check) CHECK=--check ;;
    [0-9]*) N=$a ;;
    *) echo "usage: $0 [N] [--check]"; exit 2 ;;
  esac
done
[ -f provisioning.so ] || make -s provisioning.so || exit 1
[ -x build/gen_events ] || make -s build/gen_events || exit 1
for t in sqlite3 node cc python3; do
  command -v $t >/dev/null || { echo "bench: $t is missing"; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)"; exit 1; }
[ -d tests/mockgraph/node_modules ] || { echo "bench: run make mock-deps first"; exit 1; }

# bench.py stops its mock servers on exit, SIGINT and SIGTERM; the servers
# also exit by themselves when bench.py is gone (--parent-pid) or idle (120 s).
PY_PID=
trap '[ -n "$PY_PID" ] && kill -TERM "$PY_PID" 2>/dev/null; wait' INT TERM
python3 tests/bench/bench.py "$N" $CHECK --reps "${BENCH_REPS:-5}" &
PY_PID=$!
wait "$PY_PID"
exit $?

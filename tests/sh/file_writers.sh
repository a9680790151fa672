#!/usr/bin/env bash
# file_writers.sh: file-source writes with several writers (issue 17, point 3).
#
#   one rewrite   a COMMIT of 3 INSERTs and 2 UPDATEs renames the file once (strace)
#   concurrent    4 writer processes COMMIT 3 INSERTs each into one file at
#                 once, twice: with the default lock wait (all succeed, 12 rows)
#                 and with PROVISIONING_LOCK_TIMEOUT=0 (every COMMIT that said
#                 ok has its 3 rows in the file, every other got "locked" and
#                 has none)
#   held lock     another process holds the lock: the writer fails with
#                 "is locked by another writer" and the file is unchanged
#   mode, owner   a 0640 file owned by another user stays 0640 and theirs
#   symlink       a table on a symlink: it stays a symlink, its target is rewritten
#   kill -9       a writer killed during the rewrite leaves its temporary file;
#                 the next write removes it, and only it (look-alikes stay)
# Env from tests/run.sh: ROOT, EXT, SQLITE3, BUILD.
. "$(dirname "$0")/lib.sh"
GEN=$ROOT/build/gen_events
[ -x "$GEN" ] || { echo "no $GEN (make build/gen_events)"; exit 77; }
W=$TMP
sq_writable() { # FILE SQL...: run SQL on a writable table ev over FILE
  local f=$1; shift
  sq "CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:$f', writable=1)" "$@"
}
count() { sq_writable "$1" "SELECT count(*) FROM ev WHERE job_id GLOB '$2'"; }
valid() { $SQLITE3 -batch :memory: "SELECT json_valid(readfile('$1'))"; }
writer() { # FILE NAME: one COMMIT of 3 INSERTs; prints NAME ok|error
  local out
  out=$(sq_writable "$1" "BEGIN" "INSERT INTO ev(job_id) VALUES ('$2-1')" "INSERT INTO ev(job_id) VALUES ('$2-2')" \
    "INSERT INTO ev(job_id) VALUES ('$2-3')" "COMMIT" "SELECT 'committed'")
  case $out in *committed*) echo "$2 ok" ;; *) echo "$2 error $out" ;; esac
}

$GEN --count 2000 --seed 3 --format ndjson --out "$W/small.json" || exit 1

# ---- one rewrite per COMMIT
if command -v strace >/dev/null; then
  cp "$W/small.json" "$W/one.json"
  id1=$(sq_writable "$W/one.json" "SELECT id FROM ev LIMIT 1 OFFSET 5")
  strace -f -e trace=rename,renameat,renameat2 -o "$W/strace.out" $SQLITE3 -batch -init /dev/null :memory: ".load $EXT" \
    "CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:$W/one.json', writable=1)" \
    "BEGIN" "INSERT INTO ev(job_id) VALUES ('one-1')" "INSERT INTO ev(job_id) VALUES ('one-2')" \
    "INSERT INTO ev(job_id) VALUES ('one-3')" "UPDATE ev SET status = 'warning' WHERE id = '$id1'" \
    "UPDATE ev SET duration_ms = 77 WHERE id = '$id1'" "COMMIT" >"$W/one.out" 2>&1
  check_cmd "one rewrite: the COMMIT renamed the file once" test "$(grep -c 'one.json.tmp-' "$W/strace.out")" = 1
  check_cmd "one rewrite: 3 rows added, both UPDATEs applied to the one event" test \
    "$(count "$W/one.json" 'one-*')|$(sq_writable "$W/one.json" "SELECT status || ',' || duration_ms FROM ev WHERE id = '$id1'")" = "3|warning,77"
else
  echo "# no strace: the rename count is not checked"
fi

# ---- 4 concurrent writers
for round in wait nowait; do
  cp "$W/small.json" "$W/$round.json"
  if [ $round = nowait ]; then export PROVISIONING_LOCK_TIMEOUT=0; fi
  for k in 1 2 3 4; do writer "$W/$round.json" "$round$k" >"$W/$round$k.res" & done
  wait
  unset PROVISIONING_LOCK_TIMEOUT
  cat "$W/$round"[1-4].res >"$W/$round.res"
  good=1
  while read -r name res rest; do
    n=$(count "$W/$round.json" "$name-*")
    if [ "$res" = ok ] && [ "$n" != 3 ]; then good=0; echo "# $name said ok but has $n rows"; fi
    if [ "$res" != ok ]; then
      [ "$n" = 0 ] || { good=0; echo "# $name failed but has $n rows"; }
      case $rest in *"is locked by another writer"*) ;; *) good=0; echo "# $name: $rest" ;; esac
    fi
  done <"$W/$round.res"
  check_cmd "concurrent ($round): every COMMIT that said ok is in the file, the others got 'locked' and wrote nothing" test $good = 1
  check_cmd "concurrent ($round): the file is valid JSON with the original events" test "$(valid "$W/$round.json")|$(count "$W/$round.json" '*')" = "1|$((2000 + 3 * $(grep -c ' ok' "$W/$round.res")))"
done
check_cmd "concurrent (wait): all four succeeded" test "$(grep -c ' ok' "$W/wait.res")" = 4
echo "# concurrent (nowait): $(grep -c ' ok' "$W/nowait.res") of 4 succeeded"

# ---- a lock held by another process
cp "$W/small.json" "$W/held.json"
"$PY" -c '
import fcntl, sys, time, os
f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(3)' "$W/held.json" "$W/held.ready" &
HP=$!
for _ in $(seq 100); do [ -e "$W/held.ready" ] && break; sleep 0.05; done
before=$(md5sum <"$W/held.json")
out=$(PROVISIONING_LOCK_TIMEOUT=0.3 sq_writable "$W/held.json" "INSERT INTO ev(job_id) VALUES ('held')")
check_cmd "held lock: the COMMIT fails with a clear 'locked' error" \
  test "$out" = "Error: stepping, provisioning_events: COMMIT failed: file '$W/held.json' is locked by another writer (waited 0.3 s; PROVISIONING_LOCK_TIMEOUT sets the wait): run the transaction again. Nothing was applied: the file source applies a COMMIT whole and the file is unchanged (1 request not applied)."
[ "$out" = "${out#*is locked by another writer}" ] && echo "# got: $out"
check_cmd "held lock: the file is unchanged" test "$(md5sum <"$W/held.json")" = "$before"
kill $HP 2>/dev/null; wait $HP 2>/dev/null
check_cmd "held lock: once released, the write goes through" test "$(sq_writable "$W/held.json" "INSERT INTO ev(job_id) VALUES ('held')" "SELECT count(*) FROM ev WHERE job_id = 'held'")" = 1

# ---- mode and owner
cp "$W/small.json" "$W/mode.json"
chmod 0640 "$W/mode.json"
other=$(id -u nobody 2>/dev/null || echo "")
if [ "$(id -u)" = 0 ] && [ -n "$other" ]; then chown nobody:"$(id -gn nobody)" "$W/mode.json"; fi
owner_before=$(stat -c %u:%g "$W/mode.json")
sq_writable "$W/mode.json" "INSERT INTO ev(job_id) VALUES ('mode')" >/dev/null
check_cmd "mode: 0640 kept" test "$(stat -c %a "$W/mode.json")" = 640
check_cmd "owner and group kept ($owner_before)" test "$(stat -c %u:%g "$W/mode.json")" = "$owner_before"
check_cmd "mode: the row was written" test "$(count "$W/mode.json" mode)" = 1

cp "$W/small.json" "$W/mode2.json"
chmod 0604 "$W/mode2.json"     # ours: no chown involved
sq_writable "$W/mode2.json" "INSERT INTO ev(job_id) VALUES ('mode')" >/dev/null
check_cmd "mode: 0604 kept on a file of our own" test "$(stat -c %a "$W/mode2.json")" = 604

# ---- symlink
mkdir -p "$W/real"
cp "$W/small.json" "$W/real/target.json"
ln -s real/target.json "$W/link.json"
sq_writable "$W/link.json" "INSERT INTO ev(job_id) VALUES ('via-link')" >/dev/null
check_cmd "symlink: still a symlink to the same target" test "$(readlink "$W/link.json")" = real/target.json
check_cmd "symlink: the target was rewritten" test "$(count "$W/real/target.json" via-link)" = 1
check_cmd "symlink: no temporary file left" test -z "$(ls "$W" "$W/real" | grep tmp-)"

# ---- kill -9 during a rewrite, then a normal write
$GEN --count 20000 --seed 4 --format ndjson --out "$W/big.json" || exit 1
n0=$(count "$W/big.json" '*')
sum0=$(md5sum <"$W/big.json")
echo "user data" >"$W/big.json.tmp-keepme"      # our name pattern, not our content
echo "other" >"$W/big.json.tmp-1234"            # not our pattern
: >"$W/big.json.bak"
# exec: $! is the sqlite3 process itself (env execs it too)
(exec $SQLITE3 -batch -init /dev/null :memory: ".load $EXT" \
  "CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:$W/big.json', writable=1)" \
  "BEGIN" "INSERT INTO ev(job_id) VALUES ('killed')" "UPDATE ev SET status = 'x' WHERE job_id <> 'nothing'" "COMMIT") >/dev/null 2>&1 &
KP=$!
tmp=
for _ in $(seq 400); do
  tmp=$(ls "$W" | grep -E '^big\.json\.tmp-[A-Za-z0-9]{6}$' | grep -v keepme | head -1)
  [ -n "$tmp" ] && [ -s "$W/$tmp" ] && break
  sleep 0.02
done
kill -9 $KP 2>/dev/null; wait $KP 2>/dev/null
check_cmd "kill -9: the killed writer left its temporary file" test -n "$tmp" -a -e "$W/$tmp"
check_cmd "kill -9: the file is intact" test "$(md5sum <"$W/big.json")" = "$sum0"
sq_writable "$W/big.json" "INSERT INTO ev(job_id) VALUES ('after-kill')" >/dev/null
check_cmd "kill -9: the next write removed the left-over temporary file" test ! -e "$W/$tmp"
check_cmd "kill -9: look-alike files are kept" test -e "$W/big.json.tmp-keepme" -a -e "$W/big.json.tmp-1234" -a -e "$W/big.json.bak"
got="$(count "$W/big.json" after-kill)|$(count "$W/big.json" killed)|$(count "$W/big.json" '*')"
check_cmd "kill -9: the next write went through ($got)" test "$got" = "1|0|$((n0 + 1))"
finish

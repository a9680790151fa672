#!/usr/bin/env bash
# hardening_trace.sh: no secret a request carries comes back out, not in an
# error message and not in the trace (PROVISIONING_TRACE=1), even when the
# server echoes it (the mock's `fail` knob plays a server that repeats the
# request body in its error). hardening_secrets.sh covers the bearer token;
# this covers what is in request bodies:
#
#   - a flow password (provisioning_flows INSERT), echoed in a 429 (retried:
#     the retry line) and then a 400 (the error line and the COMMIT error);
#   - a non-ASCII password, which messages write with '?' for its bytes;
#   - a "clientSecret" member of an events INSERT (raw=), echoed in a 400;
#   - the client secret of auth='azure', echoed by the token endpoint both
#     as is and form-encoded as it was posted;
#   - a successful INSERT: the trace shows the request, never its body.
# Each part first proves the secret did go over the wire (the mock's
# request log) and that the server's message did come back (masked).
#
# Env: ROOT, MODE, EXT, SQLITE3, MOCK_URL (exit 77 without it), BUILD.
. "$(dirname "$0")/lib.sh"
need_mock
B=$WORK
# A fresh mock scenario with the knobs $2 (JSON, or empty); sets S.
scen() {
  S="trace-$MODE-$$-$1"
  curl -s -f -X POST "$MOCK_URL/_mock/s/$S/reset" >/dev/null || { echo "FAIL reset $S"; fail=1; }
  local c
  [ -n "$2" ] || return 0
  c=$(curl -s -X POST -H 'Content-Type: application/json' -d "$2" "$MOCK_URL/_mock/s/$S/config")
  case "$c" in *'"fail":[{'*) ;; *) echo "FAIL mock config refused: $c"; fail=1 ;; esac
}
# The request log of $S, as given (JSON: bodies verbatim).
log() { curl -s -f "$MOCK_URL/_mock/s/$S/requests" >"$B/$1.log"; }
# SQL on stdin with the trace on; stdout+stderr in $B/$1.out.
run() {
  local name=$1; shift
  env "$@" PROVISIONING_TRACE=1 PROVISIONING_SOURCE= $SQLITE3 -batch -init /dev/null :memory: >"$B/$name.out" 2>&1
  sed 's/^/    /' "$B/$name.out" | cut -c1-400
}

# ---- 1. a flow password echoed in a 429 (retried) and then in a 400
PW="Hunter2-Zebra-Quartz-$$"
scen pw "{\"fail\":[{\"request\":1,\"status\":429,\"retryAfter\":0,\"methods\":[\"POST\"],\"code\":\"TooManyRequests\",\"message\":\"slow down, password $PW seen\"},{\"request\":2,\"status\":400,\"methods\":[\"POST\"],\"code\":\"BadRequest\",\"message\":\"Invalid password '$PW' for roleGroup staff\"}]}"
run pw <<SQL
.load $EXT
CREATE VIRTUAL TABLE fl USING provisioning_flows(source='$MOCK_URL/s/$S/beta', writable=1, max_retries=2, retry_base=0);
INSERT INTO fl(flow_set_id, flow_type, creation_options) VALUES ('fs-0001', 'user', '{"configurations":[{"defaultPasswordSettings":{"@odata.type":"#microsoft.graph.industryData.simplePasswordSettings","password":"$PW"}}]}');
SQL
log pw
check_cmd "password: it was sent (twice: the 429 was retried)" test "$(grep -o -F -- "$PW" "$B/pw.log" | wc -l)" = 2
check_cmd "password: the retry was traced, with the server's message masked" has "$B/pw.out" "provisioning: retry 1 of 2 in 0.000 s: provisioning_flows: HTTP 429 TooManyRequests: slow down, password ******** seen"
check_cmd "password: the error was traced, masked" has "$B/pw.out" "provisioning: error: provisioning_flows: HTTP 400 BadRequest: Invalid password '********' for roleGroup staff"
check_cmd "password: the COMMIT error names the echo, masked" has "$B/pw.out" "COMMIT failed at request 1 of 1 (INSERT of flow 1 (user)"
check_cmd "password: not in the trace or any error" hasnt "$B/pw.out" "$PW"
check_cmd "password: no part of it either" hasnt "$B/pw.out" "Zebra-Quartz"

# ---- 2. a non-ASCII password: messages show its bytes as '?'
PW2="Pässwört-Ünïcode-$$"
PW2Q="P??ssw??rt-??n??code-$$"
scen pw2 "{\"fail\":[{\"request\":1,\"status\":400,\"methods\":[\"POST\"],\"code\":\"BadRequest\",\"message\":\"Invalid password '$PW2'\"}]}"
run pw2 <<SQL
.load $EXT
CREATE VIRTUAL TABLE fl USING provisioning_flows(source='$MOCK_URL/s/$S/beta', writable=1, max_retries=0);
INSERT INTO fl(flow_set_id, flow_type, creation_options) VALUES ('fs-0001', 'user', '{"configurations":[{"defaultPasswordSettings":{"password":"$PW2"}}]}');
SQL
log pw2
check_cmd "non-ASCII password: it was sent" has "$B/pw2.log" "$PW2"
check_cmd "non-ASCII password: the error was traced, masked" has "$B/pw2.out" "provisioning: error: provisioning_flows: HTTP 400 BadRequest: Invalid password '********'"
check_cmd "non-ASCII password: not in the trace or errors, as is or with '?'s" bash -c "! grep -q -F -e '$PW2' -e '$PW2Q' -e 'wört' -e 'w??rt' '$B/pw2.out'"

# ---- 3. a clientSecret member of an events INSERT (raw=)
ES="Ev-Secret-$$-5521"
scen ev "{\"fail\":[{\"request\":1,\"status\":400,\"methods\":[\"POST\"],\"code\":\"BadRequest\",\"message\":\"bad body: clientSecret=$ES\"}]}"
run ev <<SQL
.load $EXT
CREATE VIRTUAL TABLE w USING provisioning_events(source='$MOCK_URL/s/$S/v1.0', writable=1, max_retries=0);
INSERT INTO w(raw) VALUES ('{"activityDateTime":"2024-06-01T10:00:00Z","jobId":"trace-job","details":{"clientSecret":"$ES"}}');
SQL
log ev
check_cmd "events secret: it was sent" has "$B/ev.log" "$ES"
check_cmd "events secret: the error was traced, masked" has "$B/ev.out" "provisioning: error: provisioning_events: HTTP 400 BadRequest: bad body: clientSecret=********"
check_cmd "events secret: not in the trace or errors" hasnt "$B/ev.out" "$ES"

# ---- 4. the client secret, echoed by the token endpoint as is and form-encoded
CS="Zq8~cs+$$/val=Zq8"
CSE="Zq8~cs%2B$$%2Fval%3DZq8"
scen az "{\"fail\":[{\"request\":1,\"status\":401,\"body\":\"{\\\"error\\\":\\\"invalid_client\\\",\\\"error_description\\\":\\\"echo: client_secret=$CSE raw $CS\\\"}\"}]}"
run az AZURE_TENANT_ID=trace-tenant AZURE_CLIENT_ID=test-client AZURE_CLIENT_SECRET="$CS" PROVISIONING_AUTHORITY_HOST="$MOCK_URL/s/$S" <<SQL
.load $EXT
CREATE VIRTUAL TABLE ev USING provisioning_events(source='$MOCK_URL/s/$S/v1.0', auth='azure', max_retries=0);
SELECT count(*) FROM ev;
SQL
log az
check_cmd "client secret: it was posted form-encoded" has "$B/az.log" "client_secret=$CSE"
check_cmd "client secret: the error was traced, both forms redacted" has "$B/az.out" "provisioning: error: provisioning_events: HTTP 401 invalid_client: echo: client_secret=[redacted] raw [redacted]"
check_cmd "client secret: not in the trace or errors, as is or encoded" bash -c "! grep -q -F -e '$CS' -e '$CSE' '$B/az.out'"

# ---- 5. a successful INSERT: the trace names the request, never its body
PW3="Quiet-Pass-$$-Word"
MARK="trace-body-marker-$$"
scen ok ""
run ok <<SQL
.load $EXT
CREATE VIRTUAL TABLE fl USING provisioning_flows(source='$MOCK_URL/s/$S/beta', writable=1, max_retries=0);
INSERT INTO fl(flow_set_id, flow_type, readiness_status, creation_options) VALUES ('fs-0001', 'user', '$MARK', '{"configurations":[{"defaultPasswordSettings":{"password":"$PW3"}}]}');
SELECT 'inserted', count(*) FROM fl WHERE flow_set_id = 'fs-0001' AND readiness_status = '$MARK';
SQL
log ok
check_cmd "success: the body was sent" bash -c "grep -q -F -- '$PW3' '$B/ok.log' && grep -q -F -- '$MARK' '$B/ok.log'"
check_cmd "success: the INSERT was traced and applied" bash -c "grep -q 'provisioning: POST .*/provisioningFlows -> 201' '$B/ok.out' && grep -q '^inserted|1$' '$B/ok.out'"
check_cmd "success: no body in the trace (no password, no other value of it)" bash -c "! grep -q -F -e '$PW3' -e '\"readinessStatus\"' '$B/ok.out' && [ \$(grep -c -F -- '$MARK' '$B/ok.out') = 0 ]"
finish

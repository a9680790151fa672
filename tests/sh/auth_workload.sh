#!/usr/bin/env bash
# auth_workload.sh: auth='azure:workload' (AZURE_FEDERATED_TOKEN_FILE) end to
# end: the file's content is the client assertion (the mock accepts only
# the federated token it was given), read afresh for every token (it
# rotates), renewal at expiry and on a 401, clear errors for an expired
# assertion, an unknown one, a missing or empty file; the assertion in no
# output or trace.
. "$(dirname "$0")/lib/auth_common.sh"
S=awl
fed() { # a JWT-shaped federated token expiring at $1 (not signed: the mock compares it)
  local h c
  h=$(printf '{"alg":"RS256","typ":"JWT"}' | base64 -w0 | tr '+/' '-_' | tr -d '=')
  c=$(printf '{"iss":"https://oidc.example","sub":"system:serviceaccount:ns:sa","aud":"api://AzureADTokenExchange","exp":%s,"n":"%s"}' "$1" "$RANDOM$RANDOM" | base64 -w0 | tr '+/' '-_' | tr -d '=')
  printf '%s.%s.c2lnbmF0dXJlLW5vdC1jaGVja2Vk%s' "$h" "$c" "$RANDOM"
}
reset() { ctl POST $S reset '{}' >/dev/null; ctl POST $S config "$1" >/dev/null; ctl POST $S tokens "$2" >/dev/null; }
wlsql() { # auth, then VAR=VALUE...
  local a=$1; shift
  azsql AZURE_TENANT_ID=tenant-w AZURE_CLIENT_ID=test-client PROVISIONING_AUTHORITY_HOST="$MOCK_URL/s/$S" AZURE_FEDERATED_TOKEN_FILE="$B/fed.jwt" "$@" <<SQL
.load $EXT
.bail off
CREATE VIRTUAL TABLE t USING provisioning_events(source='$MOCK_URL/s/$S/v1.0', auth='$a', max_retries=0);
SELECT 'rows', count(*) FROM (SELECT id FROM t LIMIT 5);
SQL
}
NOW=$(date +%s)
F1=$(fed $((NOW + 3600)))
printf '%s\n' "$F1" >"$B/fed.jwt"

# ---- 1. a scan: the file's token is the assertion, the mock's token reaches Graph
reset '{"requireAuth":true}' "{\"federatedToken\":\"$F1\"}"
wlsql azure:workload PROVISIONING_TRACE=1 >"$B/ok.out" 2>"$B/ok.err"
cat "$B/ok.out"
check_cmd "workload: rows" grep -q '^rows|5$' "$B/ok.out"
check_cmd "workload: a workload token was issued and reached Graph" \
  bash -c "test '$(issued_kinds $S)' = workload && test '$(graph_tokens $S)' = '$(issued_tokens $S)'"
check_cmd "workload: the body is client_credentials with the file's assertion (trimmed)" \
  test "$(log_json $S "[__import__('urllib.parse').parse.parse_qs(e['body'])['client_assertion'][0] for e in L if e['method']=='POST'][0]")" = "$F1"
check_cmd "workload: no assertion in the output or trace" bash -c "! grep -q -F -e '${F1:0:30}' -e '${F1: -20}' '$B/ok.out' '$B/ok.err'"
# by the chain too (the only credential)
reset '{"requireAuth":true}' "{\"federatedToken\":\"$F1\"}"
wlsql azure >"$B/chain.out" 2>&1
check_cmd "chain: auth='azure' uses workload identity" bash -c "grep -q '^rows|5$' '$B/chain.out' && test '$(issued_kinds $S)' = workload"

# ---- 2. the file rotates: every token request reads it afresh; renewal at expiry
F2=$(fed $((NOW + 3600)))
reset '{"requireAuth":true,"tokenTtl":2}' "{\"federatedToken\":\"$F1\"}"
{ printf '.load %s\n.bail off\nCREATE VIRTUAL TABLE t USING provisioning_events(source='"'"'%s/s/%s/v1.0'"'"', auth='"'"'azure:workload'"'"', max_retries=0);\n' "$EXT" "$MOCK_URL" "$S"
  printf "SELECT 'a', count(*) FROM (SELECT id FROM t LIMIT 5);\nSELECT 'b', count(*) FROM (SELECT id FROM t LIMIT 5);\n"
  wait_graph $S 2; printf '%s' "$F2" >"$B/fed.jwt"; ctl POST $S tokens "{\"federatedToken\":\"$F2\"}" >/dev/null
  sleep 2.3; printf "SELECT 'c', count(*) FROM (SELECT id FROM t LIMIT 5);\n"; } |
  azsql AZURE_TENANT_ID=tenant-w AZURE_CLIENT_ID=test-client PROVISIONING_AUTHORITY_HOST="$MOCK_URL/s/$S" AZURE_FEDERATED_TOKEN_FILE="$B/fed.jwt" >"$B/rot.out" 2>&1
cat "$B/rot.out"
check_cmd "rotation: three scans return rows" bash -c "grep -q '^a|5$' '$B/rot.out' && grep -q '^b|5$' '$B/rot.out' && grep -q '^c|5$' '$B/rot.out'"
check_cmd "rotation: two tokens (a and b shared one), the second asked with the new file content" \
  test "$(log_json $S "' '.join('F1' if '$F1' in e['body'] else 'F2' if '$F2' in e['body'] else '?' for e in L if e['method']=='POST')")" = "F1 F2"
check_cmd "rotation: the last scan used the second token" test "$(graph_tokens $S | tail -1)" = "$(issued_tokens $S | tail -1)"
check_cmd "renewal: before expiry, not after a 401 (every Graph request answered 200)" test "$(log_json $S "' '.join(str(e['status']) for e in L if '/v1.0/' in e['path'])")" = "200 200 200"
printf '%s\n' "$F1" >"$B/fed.jwt"

# ---- 3. a 401: renewed once
reset '{"requireAuth":true,"fail":[{"request":2,"status":401,"times":1}]}' "{\"federatedToken\":\"$F1\"}"
wlsql azure:workload >"$B/r401.out" 2>&1
check_cmd "401: rows after one renewal" grep -q '^rows|5$' "$B/r401.out"
check_cmd "401: POST, GET 401, POST, GET 200" test "$(log_json $S "' '.join(e['method']+str(e['status']) for e in L)")" = "POST200 GET401 POST200 GET200"

# ---- 4. errors
FX=$(fed $((NOW - 60)))
printf '%s' "$FX" >"$B/fed.jwt"
reset '{"requireAuth":true}' "{\"federatedToken\":\"$FX\"}"
wlsql azure:workload >"$B/expired.out" 2>&1
cat "$B/expired.out"
check_cmd "an expired assertion: the endpoint's error, named" grep -q 'HTTP 400 invalid_client: AADSTS700024: Client assertion is not within its valid time range.*(workload identity from AZURE_FEDERATED_TOKEN_FILE)' "$B/expired.out"
reset '{"requireAuth":true}' "{\"federatedToken\":\"$F1\"}"
wlsql azure:workload >"$B/unknown.out" 2>&1
check_cmd "an unknown assertion: AADSTS700213" grep -q 'AADSTS700213: No matching federated identity record found' "$B/unknown.out"
# a server that echoes the assertion in its error: masked
printf '%s\n' "$F1" >"$B/fed.jwt"
reset "{\"requireAuth\":true,\"fail\":[{\"request\":1,\"status\":400,\"body\":\"{\\\"error\\\":\\\"invalid_client\\\",\\\"error_description\\\":\\\"bad assertion $F1 here\\\"}\"}]}" "{\"federatedToken\":\"$F1\"}"
wlsql azure:workload >"$B/echo.out" 2>&1
cat "$B/echo.out"
check_cmd "an assertion echoed in an error: masked" grep -q 'HTTP 400 invalid_client: bad assertion \[redacted\] here' "$B/echo.out"
check_cmd "errors: no assertion" bash -c "! grep -q -F -e '${FX:0:30}' -e '${FX: -20}' -e '${F1:0:30}' -e '${F1: -20}' '$B/expired.out' '$B/unknown.out' '$B/echo.out'"
: >"$B/fed.jwt"
wlsql azure:workload >"$B/empty.out" 2>&1
check_cmd "an empty file: clear error" grep -q "AZURE_FEDERATED_TOKEN_FILE ($B/fed.jwt) is empty" "$B/empty.out"
rm -f "$B/fed.jwt"
wlsql azure:workload >"$B/missing.out" 2>&1
check_cmd "a missing file: clear error" grep -q "AZURE_FEDERATED_TOKEN_FILE: cannot open $B/fed.jwt" "$B/missing.out"
azsql AZURE_TENANT_ID=tenant-w AZURE_FEDERATED_TOKEN_FILE="$B/fed.jwt" >"$B/noclient.out" 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE t USING provisioning_events(source='$MOCK_URL/s/$S/v1.0', auth='azure:workload');
SELECT count(*) FROM t;
SQL
check_cmd "no AZURE_CLIENT_ID: names what is missing" grep -q "auth='azure:workload' needs the environment variables AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE (missing: AZURE_CLIENT_ID)" "$B/noclient.out"
finish

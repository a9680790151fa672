#!/usr/bin/env bash
# auth_managed.sh: auth='azure:managed' end to end against the mock's
# managed identity endpoints: App Service / Functions (IDENTITY_ENDPOINT +
# IDENTITY_HEADER: GET ?resource=...&api-version=2019-08-01 with
# X-IDENTITY-HEADER) and the instance metadata endpoint (IMDS, reached on
# loopback through AZURE_POD_IDENTITY_AUTHORITY_HOST: api-version=2018-02-01,
# Metadata: true); AZURE_CLIENT_ID picks a user-assigned identity; renewal
# at expiry and on a 401; a wrong header is a clear error that does not
# show it; the host rule holds for the metadata endpoint.
. "$(dirname "$0")/lib/auth_common.sh"
S=ami
HDR="idh-$$-$RANDOM-secret"
reset() { ctl POST $S reset '{}' >/dev/null; ctl POST $S config "$1" >/dev/null; ctl POST $S tokens "$2" >/dev/null; }
misql() { # auth, then VAR=VALUE...
  local a=$1; shift
  azsql "$@" <<SQL
.load $EXT
.bail off
CREATE VIRTUAL TABLE t USING provisioning_events(source='$MOCK_URL/s/$S/v1.0', auth='$a', max_retries=0);
SELECT 'rows', count(*) FROM (SELECT id FROM t LIMIT 5);
SQL
}
APP=(IDENTITY_ENDPOINT="$MOCK_URL/s/$S/msi/token" IDENTITY_HEADER="$HDR")
POD=(AZURE_POD_IDENTITY_AUTHORITY_HOST="$MOCK_URL/s/$S")

# ---- 1. App Service
reset '{"requireAuth":true}' "{\"identityHeader\":\"$HDR\"}"
misql azure:managed "${APP[@]}" PROVISIONING_TRACE=1 >"$B/app.out" 2>"$B/app.err"
cat "$B/app.out"
check_cmd "App Service: rows" grep -q '^rows|5$' "$B/app.out"
check_cmd "App Service: its token reached Graph" bash -c "test '$(issued_kinds $S)' = appservice && test '$(graph_tokens $S)' = '$(issued_tokens $S)'"
check_cmd "App Service: GET with X-IDENTITY-HEADER, api-version=2019-08-01, resource=https://graph.microsoft.com" \
  test "$(log_json $S "[(e['method'], e['headers'].get('x-identity-header') == '$HDR', e['query'].get('api-version'), e['query'].get('resource'), 'client_id' in e['query']) for e in L if '/msi/' in e['path']]")" \
  = "[('GET', True, '2019-08-01', 'https://graph.microsoft.com', False)]"
check_cmd "App Service: the header value is in no output or trace" bash -c "! grep -q -F -- '$HDR' '$B/app.out' '$B/app.err'"
check_cmd "App Service: the token is in no output or trace" bash -c "! grep -q -F -- '$(issued_tokens $S | cut -c1-30)' '$B/app.out' '$B/app.err'"
reset '{"requireAuth":true}' "{\"identityHeader\":\"$HDR\"}"
misql azure "${APP[@]}" >"$B/chain.out" 2>&1
check_cmd "chain: auth='azure' uses the App Service identity" bash -c "grep -q '^rows|5$' '$B/chain.out' && test '$(issued_kinds $S)' = appservice"
reset '{"requireAuth":true}' "{\"identityHeader\":\"other-header-value\"}"
misql azure:managed "${APP[@]}" >"$B/badhdr.out" 2>&1
cat "$B/badhdr.out"
check_cmd "a wrong or missing header: a clear error, named" grep -q 'HTTP 401 invalid_request: X-IDENTITY-HEADER is missing or wrong (.\[redacted\].) (request-id [^)]*) on GET /s/ami/msi/token?resource=.*(managed identity from IDENTITY_ENDPOINT, IDENTITY_HEADER)' "$B/badhdr.out"
check_cmd "a wrong header, echoed by the server: masked" bash -c "! grep -q -F -- '$HDR' '$B/badhdr.out'"

# ---- 2. IMDS (through AZURE_POD_IDENTITY_AUTHORITY_HOST), user-assigned identity
reset '{"requireAuth":true}' '{}'
misql azure:managed "${POD[@]}" >"$B/imds.out" 2>&1
check_cmd "IMDS: rows" grep -q '^rows|5$' "$B/imds.out"
check_cmd "IMDS: its token reached Graph" bash -c "test '$(issued_kinds $S)' = imds && test '$(graph_tokens $S)' = '$(issued_tokens $S)'"
check_cmd "IMDS: GET with Metadata: true, api-version=2018-02-01" \
  test "$(log_json $S "[(e['path'], e['headers'].get('metadata'), e['query'].get('api-version'), e['query'].get('resource')) for e in L if '/metadata/' in e['path']]")" \
  = "[('/s/ami/metadata/identity/oauth2/token', 'true', '2018-02-01', 'https://graph.microsoft.com')]"
reset '{"requireAuth":true}' '{"managedClientId":"uai-client-7"}'
misql azure:managed "${POD[@]}" >"$B/uai_missing.out" 2>&1
check_cmd "IMDS, several identities, none picked: the endpoint's error" grep -q 'Multiple user assigned identities exist' "$B/uai_missing.out"
misql azure:managed "${POD[@]}" AZURE_CLIENT_ID=uai-client-7 >"$B/uai.out" 2>&1
check_cmd "IMDS: AZURE_CLIENT_ID picks the user-assigned identity: rows" grep -q '^rows|5$' "$B/uai.out"
check_cmd "IMDS: client_id= sent, its token issued" test "$(tok_json $S "' '.join(str(i.get('clientId')) for i in T['issued'])")" = uai-client-7
reset '{"requireAuth":true}' "{\"identityHeader\":\"$HDR\",\"managedClientId\":\"uai-client-7\"}"
misql azure:managed "${APP[@]}" AZURE_CLIENT_ID=uai-client-7 >"$B/uai_app.out" 2>&1
check_cmd "App Service: AZURE_CLIENT_ID picks the user-assigned identity" bash -c "grep -q '^rows|5$' '$B/uai_app.out'"

# ---- 3. renewal at expiry and on a 401, for both endpoints
for kind in app pod; do
  if [ $kind = app ]; then V=("${APP[@]}"); else V=("${POD[@]}"); fi
  reset '{"requireAuth":true,"tokenTtl":2}' "{\"identityHeader\":\"$HDR\"}"
  { printf '.load %s\n.bail off\nCREATE VIRTUAL TABLE t USING provisioning_events(source='"'"'%s/s/%s/v1.0'"'"', auth='"'"'azure:managed'"'"', max_retries=0);\n' "$EXT" "$MOCK_URL" "$S"
    printf "SELECT 'a', count(*) FROM (SELECT id FROM t LIMIT 5);\nSELECT 'b', count(*) FROM (SELECT id FROM t LIMIT 5);\n"
    wait_graph $S 2; sleep 2.3; printf "SELECT 'c', count(*) FROM (SELECT id FROM t LIMIT 5);\n"; } | azsql "${V[@]}" >"$B/renew_$kind.out" 2>&1
  check_cmd "$kind: renewal at expiry: rows, 2 tokens, the new one used" \
    bash -c "grep -q '^c|5$' '$B/renew_$kind.out' && test '$(tok_json $S "len(T['issued'])")' = 2 && test '$(graph_tokens $S | tail -1)' = '$(issued_tokens $S | tail -1)'"
  check_cmd "$kind: renewal before expiry, not after a 401" test "$(log_json $S "' '.join(str(e['status']) for e in L if '/v1.0/' in e['path'])")" = "200 200 200"
  reset '{"requireAuth":true,"fail":[{"request":2,"status":401,"times":1}]}' "{\"identityHeader\":\"$HDR\"}"
  misql azure:managed "${V[@]}" >"$B/r401_$kind.out" 2>&1
  check_cmd "$kind: 401: renewed once, rows" \
    bash -c "grep -q '^rows|5$' '$B/r401_$kind.out' && test '$(log_json $S "' '.join(e['method']+str(e['status']) for e in L)")' = 'GET200 GET401 GET200 GET200'"
done

# ---- 4. the host rule: a metadata host that is not allowed gets nothing
reset '{"requireAuth":true}' '{}'
# the source (127.0.0.1:PORT) is allowed, the metadata host (localhost) is not
PORT=${MOCK_URL##*:}
misql azure:managed AZURE_POD_IDENTITY_AUTHORITY_HOST="http://localhost:$PORT/s/$S" \
  PROVISIONING_ALLOWED_HOSTS="127.0.0.1:$PORT" >"$B/notallowed.out" 2>&1
cat "$B/notallowed.out"
check_cmd "IMDS host not allowed: error names the rule and the variable" grep -q "the token endpoint http://localhost:[0-9]* is not allowed: .*PROVISIONING_ALLOWED_HOSTS" "$B/notallowed.out"
check_cmd "IMDS host not allowed: nothing arrived" test "$(log_json $S "len(L)")" = 0
finish

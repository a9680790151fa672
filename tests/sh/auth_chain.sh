#!/usr/bin/env bash
# auth_chain.sh: auth='azure' tries the credentials in DefaultAzureCredential's
# order and uses the first configured: with two configured, the first wins
# (secret > certificate > workload identity > managed identity > Azure CLI);
# with none, one message names every credential tried and what to set;
# without auth=, the chain applies when a credential is configured in the
# environment (the CLI never implicitly); AZURE_AUTHORITY_HOST sets the login
# host; a login host outside the rule gets nothing.
CERT_PW="pw-$$-chain"
. "$(dirname "$0")/lib/auth_common.sh"
make_certs "$B/c" || { echo "openssl could not make the certificates"; exit 1; }
S=achain
A=$B/az; mkdir -p "$A"
cat >"$B/bin/az" <<'AZ'
#!/bin/sh
[ -n "${LD_PRELOAD:-}" ] && exec /usr/bin/env -u LD_PRELOAD "$0" "$@"
PATH=/usr/bin:/bin
n=$(( $(cat "$FAKE_AZ_DIR/count" 2>/dev/null || echo 0) + 1 )); echo $n >"$FAKE_AZ_DIR/count"
printf '{"accessToken":"cli-chain-token","expires_on":%s}\n' $(( $(date +%s) + 3600 ))
AZ
chmod +x "$B/bin/az"
NOW=$(date +%s)
FED="eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.fed-$$"
printf '%s' "$FED" >"$B/fed.jwt"
HDR="chain-hdr-$$"
reset() {
  ctl POST $S reset '{}' >/dev/null
  ctl POST $S config '{"requireAuth":true,"staticToken":"cli-chain-token"}' >/dev/null
  ctl POST $S tokens "{\"cert\":\"$B/c/leaf.pem\",\"federatedToken\":\"$FED\",\"identityHeader\":\"$HDR\"}" >/dev/null
  rm -f "$A/count"
}
SECRET=(AZURE_CLIENT_SECRET=test-secret)
CERT=(AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app.pem")
WL=(AZURE_FEDERATED_TOKEN_FILE="$B/fed.jwt")
MI=(IDENTITY_ENDPOINT="$MOCK_URL/s/$S/msi/token" IDENTITY_HEADER="$HDR")
APPV=(AZURE_TENANT_ID=tenant-x AZURE_CLIENT_ID=test-client PROVISIONING_AUTHORITY_HOST="$MOCK_URL/s/$S")
chainsql() { # auth ('' for none), then VAR=VALUE...
  local a=$1; shift
  azsql FAKE_AZ_DIR="$A" "$@" <<SQL
.load $EXT
.bail off
CREATE VIRTUAL TABLE t USING provisioning_events(source='$MOCK_URL/s/$S/v1.0'${a:+, auth='$a'}, max_retries=0);
SELECT 'rows', count(*) FROM (SELECT id FROM t LIMIT 5);
SQL
}
used() { # what gave the token: secret | cert | workload | appservice | cli | none
  local k
  k=$(issued_kinds $S)
  if [ -n "$k" ]; then echo "$k"; return; fi
  if [ "$(log_json $S "sum(1 for e in L if e['method']=='POST' and 'client_secret=' in (e['body'] or ''))")" != 0 ]; then echo secret; return; fi
  if [ -s "$A/count" ]; then echo cli; return; fi
  echo none
}

# ---- 1. two configured: the first wins
pair() { # name, expected, vars...
  local name=$1 want=$2; shift 2
  reset
  chainsql azure "$@" >"$B/$name.out" 2>&1
  check_cmd "chain $name: rows, and $want was used" bash -c "grep -q '^rows|5$' '$B/$name.out' && test '$(used)' = '$want'"
}
pair secret_cert secret "${APPV[@]}" "${SECRET[@]}" "${CERT[@]}"
pair cert_workload cert "${APPV[@]}" "${CERT[@]}" "${WL[@]}"
pair workload_managed workload "${APPV[@]}" "${WL[@]}" "${MI[@]}"
pair managed_cli appservice "${MI[@]}"
pair cli cli
pair all_five secret "${APPV[@]}" "${SECRET[@]}" "${CERT[@]}" "${WL[@]}" "${MI[@]}"
check_cmd "chain: the secret's token request was the only token request" \
  test "$(log_json $S "sum(1 for e in L if '/v1.0/' not in e['path'])")" = 1

# ---- 2. nothing configured: one message naming every credential and its variables
reset
rm "$B/bin/az"
chainsql azure AZURE_TENANT_ID=tenant-x >"$B/none.out" 2>&1
cat "$B/none.out"
check_cmd "nothing configured: one message lists all five and what to set" grep -q -F \
  "provisioning_events: auth='azure': no Azure credential is configured; tried, in order: client secret (set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET; missing: AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), client certificate (set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_CERTIFICATE_PATH; missing: AZURE_CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH), workload identity (set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE; missing: AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE), managed identity (set IDENTITY_ENDPOINT and IDENTITY_HEADER, or AZURE_POD_IDENTITY_AUTHORITY_HOST; on an Azure VM use auth='azure:managed'), Azure CLI (az is not on PATH: install it and run az login)" \
  "$B/none.out"
check_cmd "nothing configured: nothing sent" test "$(log_json $S "len(L)")" = 0
chainsql azure:secret AZURE_CLIENT_ID=test-client >"$B/secret_missing.out" 2>&1
check_cmd "auth='azure:secret' unset: names what is missing" grep -q -F "auth='azure:secret' needs the environment variables AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (missing: AZURE_TENANT_ID, AZURE_CLIENT_SECRET)" "$B/secret_missing.out"

# ---- 3. no auth=: the chain when the environment configures a credential (never the CLI)
reset
chainsql '' "${APPV[@]}" "${CERT[@]}" >"$B/noauth_cert.out" 2>&1
check_cmd "no auth=, certificate configured: it is used" bash -c "grep -q '^rows|5$' '$B/noauth_cert.out' && test '$(used)' = cert"
reset
chainsql '' "${MI[@]}" >"$B/noauth_mi.out" 2>&1
check_cmd "no auth=, IDENTITY_ENDPOINT configured: managed identity is used" bash -c "grep -q '^rows|5$' '$B/noauth_mi.out' && test '$(used)' = appservice"
cat >"$B/bin/az" <<'AZ'
#!/bin/sh
echo called >"$FAKE_AZ_DIR/count"
AZ
chmod +x "$B/bin/az"
reset
chainsql '' >"$B/noauth_none.out" 2>&1
check_cmd "no auth=, only az on PATH: no token asked, none sent (HTTP 401 from the mock)" \
  bash -c "grep -q 'HTTP 401' '$B/noauth_none.out' && ! test -s '$A/count' && test '$(log_json $S "[e['headers'].get('authorization') for e in L]")' = '[None]'"
rm "$B/bin/az"

# ---- 4. AZURE_AUTHORITY_HOST (the SDKs' variable); PROVISIONING_AUTHORITY_HOST first
reset
chainsql azure:secret AZURE_TENANT_ID=tenant-x AZURE_CLIENT_ID=test-client "${SECRET[@]}" AZURE_AUTHORITY_HOST="$MOCK_URL/s/$S/" >"$B/aah.out" 2>&1
check_cmd "AZURE_AUTHORITY_HOST: rows" grep -q '^rows|5$' "$B/aah.out"
check_cmd "AZURE_AUTHORITY_HOST: the token request went there" \
  test "$(log_json $S "' '.join(e['path'] for e in L if e['method']=='POST')")" = "/s/$S/tenant-x/oauth2/v2.0/token"
reset
chainsql azure:secret "${APPV[@]}" "${SECRET[@]}" AZURE_AUTHORITY_HOST="https://login.microsoftonline.us" >"$B/both.out" 2>&1
check_cmd "PROVISIONING_AUTHORITY_HOST before AZURE_AUTHORITY_HOST" grep -q '^rows|5$' "$B/both.out"

# ---- 5. the host rule for login hosts
reset
chainsql azure:secret AZURE_TENANT_ID=tenant-x AZURE_CLIENT_ID=test-client "${SECRET[@]}" AZURE_AUTHORITY_HOST="login.evil.example" >"$B/evil.out" 2>&1
check_cmd "a login host outside the rule: refused, named" grep -q -F "host 'login.evil.example' (port 443) of the login host of client credentials (AZURE_AUTHORITY_HOST)" "$B/evil.out"
reset
chainsql azure:secret "${APPV[@]}" "${SECRET[@]}" PROVISIONING_ALLOWED_HOSTS=other.example >"$B/loop.out" 2>&1
check_cmd "a loopback login host not in PROVISIONING_ALLOWED_HOSTS: refused, nothing sent" \
  bash -c "grep -q 'is not allowed' '$B/loop.out' && test '$(log_json $S "len(L)")' = 0"
check_cmd "no secret in any message" bash -c "! grep -q -e test-secret -e '$HDR' -e '$FED' -e cli-chain-token '$B'/*.out"
finish

#!/usr/bin/env bash
# auth_certificate.sh: auth='azure:certificate' (and the chain) end to end.
# The test makes a CA and a certificate with openssl; the mock verifies the
# client assertion as Entra ID does (RS256 signature against the
# certificate, x5t, aud, iss = sub, exp, unique jti) and issues a token that
# must be the one reaching Graph. Also: an encrypted key with its password,
# the chain in x5c, renewal at expiry and on a 401, clear errors for a wrong
# password, a missing password, a key without its certificate, a file that
# is no certificate, an unregistered certificate and an expired assertion;
# and no key, password or assertion in any output, trace included.
CERT_PW="pw-$$-$RANDOM-Sekret"
. "$(dirname "$0")/lib/auth_common.sh"
make_certs "$B/c" || { echo "openssl could not make the certificates"; exit 1; }
S=acert
reset() { # scenario, knobs, token config
  ctl POST "$1" reset '{}' >/dev/null
  ctl POST "$1" config "$2" >/dev/null
  ctl POST "$1" tokens "$3" >/dev/null
}
certsql() { # scenario, auth, then VAR=VALUE...
  local s=$1 a=$2; shift 2
  azsql AZURE_TENANT_ID=tenant-c AZURE_CLIENT_ID=test-client PROVISIONING_AUTHORITY_HOST="$MOCK_URL/s/$s" "$@" <<SQL
.load $EXT
.bail off
CREATE VIRTUAL TABLE t USING provisioning_events(source='$MOCK_URL/s/$s/v1.0', auth='$a', max_retries=0);
SELECT 'rows', count(*) FROM (SELECT id FROM t LIMIT 5);
SQL
}
secrets_absent() { # files...; the key's lines, the password and every assertion sent
  local f a l
  log_json "$S" "'\n'.join(e['body'] or '' for e in L)" |
    $PY -c "import sys,urllib.parse as u; [print(v) for l in sys.stdin for k,v in u.parse_qsl(l.strip()) if k=='client_assertion']" >"$B/assertions.txt"
  [ -s "$B/assertions.txt" ] || { echo "no assertion in the log"; return 1; }
  for f in "$@"; do
    if grep -q -F -e "$CERT_PW" -e 'PRIVATE KEY' "$f"; then echo "password or key in $f"; return 1; fi
    while read -r l; do
      if grep -q -F -- "$l" "$f"; then echo "key line in $f"; return 1; fi
    done < <(sed -n '2,4p' "$B/c/leaf.key")
    while read -r a; do
      if grep -q -F -e "${a:0:40}" -e "${a: -40}" "$f"; then echo "assertion in $f"; return 1; fi
    done <"$B/assertions.txt"
  done
  return 0
}

# ---- 1. a scan with the certificate: the mock's token reaches Graph
reset $S '{"requireAuth":true}' "{\"cert\":\"$B/c/leaf.pem\"}"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app.pem" PROVISIONING_TRACE=1 >"$B/ok.out" 2>"$B/ok.err"
cat "$B/ok.out"
check_cmd "certificate: the scan returns rows" grep -q '^rows|5$' "$B/ok.out"
check_cmd "certificate: the mock verified the assertion and issued a cert token" test "$(issued_kinds $S)" = cert
check_cmd "certificate: that token reached Graph" test "$(graph_tokens $S | sort -u)" = "$(issued_tokens $S)"
check_cmd "certificate: the token request carries an assertion, no secret" \
  test "$(log_json $S "sum(1 for e in L if e['method']=='POST' and 'client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer' in e['body'] and 'client_secret' not in e['body'])")" = 1
# the assertion's header and claims as sent
log_json $S "[e['body'] for e in L if e['method']=='POST'][0]" >"$B/body.txt"
$PY - "$B/body.txt" "$MOCK_URL/s/$S/tenant-c/oauth2/v2.0/token" >"$B/jwt.out" <<'PY'
import sys, json, base64, urllib.parse as u
a = dict(u.parse_qsl(open(sys.argv[1]).read().strip()))['client_assertion']
def d(p): return json.loads(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)))
h, c = d(a.split('.')[0]), d(a.split('.')[1])
print('header', sorted(h.keys()), h['alg'], h['typ'])
print('aud', c['aud'] == sys.argv[2], 'iss', c['iss'], 'sub', c['sub'], 'life', c['exp'] - c['nbf'], 'iat', c['iat'] == c['nbf'], 'jti', len(c['jti']))
PY
cat "$B/jwt.out"
check_cmd "certificate: header alg RS256, typ JWT, x5t, no x5c unless asked" grep -q "^header \['alg', 'typ', 'x5t'\] RS256 JWT$" "$B/jwt.out"
check_cmd "certificate: aud = the token endpoint, iss = sub = client id, 10 min, jti" \
  grep -q '^aud True iss test-client sub test-client life 600 iat True jti 36$' "$B/jwt.out"
check_cmd "certificate: the trace names the credential" grep -q 'token from client certificate' "$B/ok.err"
check_cmd "certificate: no key, password or assertion in the output or the trace" secrets_absent "$B/ok.out" "$B/ok.err"

# ---- 2. the chain picks it (the only credential configured); certificate first in the file
reset $S '{"requireAuth":true}' "{\"cert\":\"$B/c/leaf.pem\"}"
certsql $S azure AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app_certfirst.pem" >"$B/chain.out" 2>&1
check_cmd "chain: auth='azure' uses the certificate: rows" grep -q '^rows|5$' "$B/chain.out"
check_cmd "chain: a cert token reached Graph" test "$(graph_tokens $S)" = "$(issued_tokens $S)"
check_cmd "chain: the token was a cert token" test "$(issued_kinds $S)" = cert

# ---- 3. an encrypted key: with its password; wrong; missing
reset $S '{"requireAuth":true}' "{\"cert\":\"$B/c/leaf.pem\"}"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app_enc.pem" AZURE_CLIENT_CERTIFICATE_PASSWORD="$CERT_PW" >"$B/enc.out" 2>&1
check_cmd "encrypted key + AZURE_CLIENT_CERTIFICATE_PASSWORD: rows" grep -q '^rows|5$' "$B/enc.out"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app_enc.pem" AZURE_CLIENT_CERTIFICATE_PASSWORD="wrong-$CERT_PW" >"$B/wrongpw.out" 2>&1
cat "$B/wrongpw.out"
check_cmd "wrong password: a clear error" grep -q "cannot decrypt the private key in AZURE_CLIENT_CERTIFICATE_PATH ($B/c/app_enc.pem): wrong AZURE_CLIENT_CERTIFICATE_PASSWORD?" "$B/wrongpw.out"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app_enc.pem" >"$B/nopw.out" 2>&1
check_cmd "missing password: a clear error" grep -q "the private key in AZURE_CLIENT_CERTIFICATE_PATH ($B/c/app_enc.pem) is encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD" "$B/nopw.out"
check_cmd "encrypted key: no password in any output" bash -c "! grep -q -F -- '$CERT_PW' '$B/enc.out' '$B/wrongpw.out' '$B/nopw.out'"
check_cmd "wrong or missing password: nothing sent" test "$(log_json $S "sum(1 for e in L if e['method']=='POST')")" = 1

# ---- 4. the chain in x5c (AZURE_CLIENT_SEND_CERTIFICATE_CHAIN)
reset $S '{"requireAuth":true}' "{\"cert\":\"$B/c/leaf.pem\",\"requireChain\":true}"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app_chain.pem" >"$B/nochain.out" 2>&1
check_cmd "x5c required, not sent: refused (AADSTS700027)" grep -q 'HTTP 401 invalid_client: AADSTS700027.*x5c.*(client certificate from AZURE_CLIENT_CERTIFICATE_PATH)' "$B/nochain.out"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app_chain.pem" AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=true >"$B/x5c.out" 2>&1
check_cmd "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=true: x5c holds the leaf and the CA" \
  bash -c "grep -q '^rows|5$' '$B/x5c.out' && test \"\$(ctl() { curl -s \"$MOCK_URL/_mock/s/$S/tokens\"; }; ctl | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"issued\"][0][\"x5c\"])')\" = 2"

# ---- 5. bad certificates
reset $S '{"requireAuth":true}' "{\"cert\":\"$B/c/leaf.pem\"}"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app_mismatch.pem" >"$B/mismatch.out" 2>&1
check_cmd "key with another key's certificate: clear error" grep -q 'holds no certificate matching the private key: put the certificate in the same file as its private key' "$B/mismatch.out"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/leaf.key" >"$B/keyonly.out" 2>&1
check_cmd "key without certificate: clear error" grep -q 'holds a private key but no certificate' "$B/keyonly.out"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/garbage.pem" >"$B/garbage.out" 2>&1
check_cmd "not a certificate file: clear error" grep -q 'is neither a PEM file (private key and certificate) nor a PKCS#12 file' "$B/garbage.out"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/none.pem" >"$B/nofile.out" 2>&1
check_cmd "missing file: clear error" grep -q "AZURE_CLIENT_CERTIFICATE_PATH: cannot open $B/c/none.pem" "$B/nofile.out"
check_cmd "bad certificate files: nothing sent" test "$(log_json $S "len(L)")" = 0
reset $S '{"requireAuth":true}' "{\"cert\":\"$B/c/other.pem\"}"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app.pem" >"$B/unreg.out" 2>&1
cat "$B/unreg.out"
check_cmd "a certificate the app does not have: the endpoint's error, named" grep -q 'HTTP 401 invalid_client: AADSTS700027: Client assertion failed signature validation: x5t is not the thumbprint of a registered certificate.*(client certificate from AZURE_CLIENT_CERTIFICATE_PATH)' "$B/unreg.out"
reset $S '{"requireAuth":true}' "{\"cert\":\"$B/c/leaf.pem\",\"skewSec\":3600}"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app.pem" >"$B/expired.out" 2>&1
check_cmd "an expired assertion: clear error" grep -q 'AADSTS700024: Client assertion is not within its valid time range (expired).*(client certificate from AZURE_CLIENT_CERTIFICATE_PATH)' "$B/expired.out"
check_cmd "errors: no key, password or assertion" secrets_absent "$B/unreg.out" "$B/expired.out" "$B/mismatch.out" "$B/garbage.out"

# ---- 6. renewal at expiry (tokenTtl 2 s: renewed 0.2 s ahead) and on a 401
reset $S '{"requireAuth":true,"tokenTtl":2}' "{\"cert\":\"$B/c/leaf.pem\"}"
# one process: two scans on the cached token, a pause past its expiry, a third scan
{ printf '.load %s\nCREATE VIRTUAL TABLE t USING provisioning_events(source='"'"'%s/s/%s/v1.0'"'"', auth='"'"'azure:certificate'"'"', max_retries=0);\n' "$EXT" "$MOCK_URL" "$S"
  printf "SELECT 'a', count(*) FROM (SELECT id FROM t LIMIT 5);\n"; printf "SELECT 'b', count(*) FROM (SELECT id FROM t LIMIT 5);\n"
  wait_graph $S 2; sleep 2.3; printf "SELECT 'c', count(*) FROM (SELECT id FROM t LIMIT 5);\n"; } |
  azsql AZURE_TENANT_ID=tenant-c AZURE_CLIENT_ID=test-client PROVISIONING_AUTHORITY_HOST="$MOCK_URL/s/$S" AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app.pem" >"$B/renew2.out" 2>&1
cat "$B/renew2.out"
check_cmd "renewal: three scans return rows" bash -c "grep -q '^a|5$' '$B/renew2.out' && grep -q '^b|5$' '$B/renew2.out' && grep -q '^c|5$' '$B/renew2.out'"
n=$(tok_json $S "len(T['issued'])")
check_cmd "renewal: the cached token served a and b, a new one (new jti) after expiry: 2 tokens issued" test "$n" = 2
check_cmd "renewal: the last scan used the new token" test "$(graph_tokens $S | tail -1)" = "$(issued_tokens $S | tail -1)"
check_cmd "renewal: before expiry, not after a 401 (every Graph request answered 200)" test "$(log_json $S "' '.join(str(e['status']) for e in L if '/v1.0/' in e['path'])")" = "200 200 200"
reset $S '{"requireAuth":true,"fail":[{"request":2,"status":401,"times":1}]}' "{\"cert\":\"$B/c/leaf.pem\"}"
certsql $S azure:certificate AZURE_CLIENT_CERTIFICATE_PATH="$B/c/app.pem" >"$B/r401.out" 2>&1
check_cmd "401: renewed once and retried: rows" grep -q '^rows|5$' "$B/r401.out"
check_cmd "401: POST, GET 401, POST, GET 200" test "$(log_json $S "' '.join(e['method']+str(e['status']) for e in L)")" = "POST200 GET401 POST200 GET200"
finish

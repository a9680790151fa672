# auth_common.sh: helpers of the tests/sh/auth_*.sh tests (sourced, never
# run), on top of tests/sh/lib.sh (check_cmd, MOCK_URL, PY ...).
#   B            the test's scratch directory (made empty: lib.sh's WORK)
#   ctl METHOD SCEN WHAT [JSON]   the mock's admin API
#   azsql [VAR=VALUE...] <<SQL    sqlite3 with the extension, every Azure
#                variable of the caller's environment removed first, PATH
#                limited to $B/bin (env, sqlite3 and, when a test puts it
#                there, a fake az)
#   make_certs DIR      a CA, a leaf signed by it, PEM files for the tests
#   log_json SCEN EXPR  evaluate a Python expression over the request log L
#   tok_json SCEN EXPR  ... over the token state T ({config, issued})
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
need_mock
PY=/usr/bin/python3
command -v openssl >/dev/null || { echo "openssl not installed"; exit 77; }
B=$WORK
mkdir -p "$B/bin"
ln -s "$(command -v env)" "$B/bin/env"
ln -s "$(command -v sqlite3)" "$B/bin/sqlite3"
ctl() { curl -s -X "$1" "$MOCK_URL/_mock/s/$2/$3" ${4:+-d "$4"}; }
AZ_VARS="AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH
  AZURE_CLIENT_CERTIFICATE_PASSWORD AZURE_CLIENT_SEND_CERTIFICATE_CHAIN AZURE_FEDERATED_TOKEN_FILE
  IDENTITY_ENDPOINT IDENTITY_HEADER AZURE_POD_IDENTITY_AUTHORITY_HOST AZURE_AUTHORITY_HOST
  PROVISIONING_AUTHORITY_HOST PROVISIONING_AZ_TIMEOUT PROVISIONING_TRACE GRAPH_TOKEN"
azsql() {
  local u=() v
  for v in $AZ_VARS; do u+=(-u "$v"); done
  env "${u[@]}" PATH="$B/bin" PROVISIONING_SOURCE= "$@" $SQLITE3 -batch -init /dev/null :memory:
}
make_certs() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -subj /CN=test-ca -days 2 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$d/leaf.key" -out "$d/leaf.csr" -subj /CN=test-app 2>/dev/null
  openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -out "$d/leaf.pem" -days 2 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/other.key" -out "$d/other.pem" -subj /CN=other -days 2 2>/dev/null
  cat "$d/leaf.key" "$d/leaf.pem" >"$d/app.pem"              # key first
  cat "$d/leaf.pem" "$d/leaf.key" >"$d/app_certfirst.pem"    # certificate first
  cat "$d/leaf.key" "$d/leaf.pem" "$d/ca.pem" >"$d/app_chain.pem"
  openssl pkey -in "$d/leaf.key" -aes256 -passout "pass:$CERT_PW" -out "$d/leaf_enc.key" 2>/dev/null
  cat "$d/leaf_enc.key" "$d/leaf.pem" >"$d/app_enc.pem"
  cat "$d/leaf.key" "$d/other.pem" >"$d/app_mismatch.pem"
  printf 'not a certificate\n' >"$d/garbage.pem"
  [ -s "$d/app.pem" ] && [ -s "$d/app_enc.pem" ] && [ -s "$d/app_chain.pem" ]
}
log_json() { ctl GET "$1" requests | $PY -c "import json,sys; L=json.load(sys.stdin); print($2)"; }
tok_json() { ctl GET "$1" tokens | $PY -c "import json,sys; T=json.load(sys.stdin); print($2)"; }
# the tokens the Graph requests (not the token endpoints) carried, one a line
graph_tokens() {
  log_json "$1" "'\n'.join(e['headers'].get('authorization','-')[7:] for e in L if '/v1.0/' in e['path'])"
}
# the kinds of the tokens the mock issued, space-separated
issued_kinds() { tok_json "$1" "' '.join(i['kind'] for i in T['issued'])"; }
issued_tokens() { tok_json "$1" "'\n'.join(i['token'] for i in T['issued'])"; }
# wait (at most 20 s) until the mock has answered N Graph requests of SCEN:
# a pause that must outlast a token starts from its first use, not from
# when sqlite3 was started (slow under load and the sanitizers)
wait_graph() {
  local i
  for i in $(seq 100); do
    [ "$(log_json "$1" "sum(1 for e in L if '/v1.0/' in e['path'] and e['status'] is not None)")" -ge "$2" ] && return 0
    sleep 0.2
  done
  return 1
}

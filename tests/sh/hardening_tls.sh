#!/usr/bin/env bash
# hardening_tls.sh: https to a mock with a self-signed certificate.
#
# A certificate for 127.0.0.1 is made with openssl in $BUILD and a second
# mock server is started with --tls-key/--tls-cert. Then:
#   - without ca_file= the query fails with a certificate error, and no
#     HTTP request reached the mock (so no token was sent);
#   - with ca_file= naming another, unrelated CA it fails the same way;
#   - with ca_file= naming the mock's certificate it returns the rows, and
#     the token (auth='env:...') arrives as the Authorization header;
#   - the token is in no output.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "openssl not installed"; exit 77; }
[ -f tests/mockgraph/server.js ] && [ -d tests/mockgraph/node_modules ] || { echo "mock server not available"; exit 77; }
B=$WORK

mkcert() { # dir
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/key.pem" -out "$1/cert.pem" -days 2 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$1/openssl.log" 2>&1
}
mkdir -p "$B/mock" "$B/other"
mkcert "$B/mock" && mkcert "$B/other" || { cat "$B/mock/openssl.log"; echo "openssl failed"; exit 1; }

start_mock sql/sample/events.json --tls-key "$B/mock/key.pem" --tls-cert "$B/mock/cert.pem"
URL=$OWN_MOCK_URL
ctl() { curl -s --cacert "$B/mock/cert.pem" -X "$1" "$URL/_mock/s/tls/$2" ${3:+-d "$3"}; }
ctl POST reset '{}' >/dev/null
ctl POST config '{"requireAuth":true,"staticToken":"tls-token-4411"}' >/dev/null
check_cmd "the TLS mock answers with its CA" bash -c "curl -s --cacert '$B/mock/cert.pem' '$URL/_mock/ping' | grep -q '\"ok\":true'"

run() { # ca_file option (may be empty) -> output file
  local opt=$1 out=$2
  env TLS_TEST_TOKEN=tls-token-4411 PROVISIONING_SOURCE= CURL_CA_BUNDLE= SSL_CERT_FILE= SSL_CERT_DIR= \
    $SQLITE3 -batch -init /dev/null :memory: >"$out" 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE t USING provisioning_events(source='$URL/s/tls/v1.0', auth='env:TLS_TEST_TOKEN', max_retries=0$opt);
SELECT 'rows', count(*) FROM (SELECT id FROM t LIMIT 5);
SQL
}

run "" "$B/no_ca.out"
cat "$B/no_ca.out"
check_cmd "without ca_file: a certificate error" grep -q -i "certificate" "$B/no_ca.out"
check_cmd "without ca_file: no rows" bash -c "! grep -q '^rows|' '$B/no_ca.out'"
n=$(ctl GET requests)
check_cmd "without ca_file: no HTTP request reached the mock ($n)" [ "$n" = "[]" ]

run ", ca_file='$B/other/cert.pem'" "$B/other_ca.out"
cat "$B/other_ca.out"
check_cmd "another CA: refused" bash -c "! grep -q '^rows|' '$B/other_ca.out' && grep -q -i 'certificate\|SSL' '$B/other_ca.out'"
n=$(ctl GET requests)
check_cmd "another CA: no HTTP request reached the mock" [ "$n" = "[]" ]

run ", ca_file='$B/mock/cert.pem'" "$B/ca.out"
cat "$B/ca.out"
check_cmd "with the mock's CA: 5 rows" grep -q "^rows|5$" "$B/ca.out"
check_cmd "with the mock's CA: the token arrived as the Authorization header" \
  bash -c "curl -s --cacert '$B/mock/cert.pem' '$URL/_mock/s/tls/requests' | grep -q '\"authorization\":\"Bearer tls-token-4411\"'"

check_cmd "the token is in no output" bash -c "! grep -q 'tls-token-4411' '$B/no_ca.out' '$B/other_ca.out' '$B/ca.out'"
finish

#!/usr/bin/env bash
# hardening_secrets.sh: CR/LF injection and token hygiene, end to end
# through the sqlite3 shell and the mock server (its request log is the
# proof of what went over the wire).
#
#   - CR/LF in an auth reference (env:NAME<CR><LF>..., file:PATH<CR><LF>...)
#     is refused at CREATE VIRTUAL TABLE;
#   - a token whose value holds CR/LF (environment variable, token file)
#     never injects a header: the mock sees no X-Injected header;
#   - CR/LF in a filter value is percent-encoded in the URL, injects no
#     header, and the query returns SQLite's answer (0 rows);
#   - the token never shows in sqlite_schema, the database file, error
#     messages (a failing GET, a failing write) or the trace
#     (PROVISIONING_TRACE=1), while it does arrive as the Authorization
#     header.
. "$(dirname "$0")/lib.sh"
need_mock
B=$WORK
ctl() { curl -s -X "$1" "$MOCK_URL/_mock/s/$2/$3" ${4:+-d "$4"}; }
shell() { # db, then env assignments via the caller; SQL on stdin
  env PROVISIONING_SOURCE= $SQLITE3 -batch -init /dev/null "$1"
}
CR=$'\r'
LF=$'\n'

# ---- 1. CR/LF in an auth reference
for ref in "env:HS_TOK${CR}${LF}X-Injected: yes" "file:$B/tok.txt${CR}${LF}X-Injected: yes" "env:HS_TOK${LF}" "file:$B/tok${CR}.txt"; do
  printf '.load %s\nCREATE VIRTUAL TABLE t USING provisioning_events(source='"'"'%s/s/hs_crlf/v1.0'"'"', auth='"'"'%s'"'"');\nSELECT '"'"'created'"'"' FROM sqlite_schema WHERE name = '"'"'t'"'"';\n' \
    "$EXT" "$MOCK_URL" "$ref" | HS_TOK=x shell :memory: >"$B/ref.out" 2>&1
  check_cmd "auth reference $(printf '%q' "$ref") refused" bash -c "! grep -q '^created' '$B/ref.out' && grep -q 'auth=' '$B/ref.out'"
done

# ---- 2. a token value holding CR/LF
ctl POST hs_tokv reset '{}' >/dev/null
printf 'tok-a\r\nX-Injected: yes\n' >"$B/tok_crlf.txt"
printf 'tok-file-ok\n' >"$B/tok_ok.txt"
HS_TOK="tok-b${CR}${LF}X-Injected: yes" shell :memory: >"$B/tokv.out" 2>&1 <<SQL
.load $EXT
.bail off
CREATE VIRTUAL TABLE a USING provisioning_events(source='$MOCK_URL/s/hs_tokv/v1.0', auth='env:HS_TOK', max_retries=0);
SELECT 'env', count(*) FROM (SELECT id FROM a LIMIT 3);
CREATE VIRTUAL TABLE b USING provisioning_events(source='$MOCK_URL/s/hs_tokv/v1.0', auth='file:$B/tok_crlf.txt', max_retries=0);
SELECT 'file', count(*) FROM (SELECT id FROM b LIMIT 3);
CREATE VIRTUAL TABLE c USING provisioning_events(source='$MOCK_URL/s/hs_tokv/v1.0', auth='file:$B/tok_ok.txt', max_retries=0);
SELECT 'file_ok', count(*) FROM (SELECT id FROM c LIMIT 3);
SQL
cat "$B/tokv.out"
log=$(ctl GET hs_tokv requests)
check_cmd "a token with CR/LF injects no header" bash -c "! printf '%s' '$log' | grep -q -i 'x-injected'"
check_cmd "a token with CR/LF is not sent as is" bash -c "! printf '%s' '$log' | grep -q -E 'Bearer tok-(a|b)'"
check_cmd "a token file with a final newline works (Bearer tok-file-ok)" bash -c "printf '%s' '$log' | grep -q '\"authorization\":\"Bearer tok-file-ok\"' && grep -q '^file_ok|3$' '$B/tokv.out'"
check_cmd "the CR/LF tokens are in no output" bash -c "! grep -q -E 'tok-a|tok-b|X-Injected' '$B/tokv.out'"

# ---- 2b. a token "file" that is a FIFO (or a device) never hangs the statement
mkfifo "$B/tok_fifo"
start=$(date +%s)
timeout 20 $SQLITE3 -batch -init /dev/null :memory: >"$B/fifo.out" 2>&1 <<SQL
.load $EXT
.bail off
CREATE VIRTUAL TABLE f USING provisioning_events(source='$MOCK_URL/s/hs_tokv/v1.0', auth='file:$B/tok_fifo', max_retries=0);
SELECT 'fifo', count(*) FROM (SELECT id FROM f LIMIT 3);
CREATE VIRTUAL TABLE d USING provisioning_events(source='$MOCK_URL/s/hs_tokv/v1.0', auth='file:/dev/null', max_retries=0);
SELECT 'dev', count(*) FROM (SELECT id FROM d LIMIT 3);
SQL
st=$?
cat "$B/fifo.out"
check_cmd "a FIFO token file: the statement ends (no hang)" test "$st" != 124 -a $(( $(date +%s) - start )) -lt 15
check_cmd "a FIFO token file: an error saying it is not a regular file" grep -q "auth='file:$B/tok_fifo': the token file is not a regular file" "$B/fifo.out"
check_cmd "a device token file: refused the same way" grep -q "auth='file:/dev/null': the token file is not a regular file" "$B/fifo.out"

# ---- 3. CR/LF in a filter value
ctl POST hs_filt reset '{}' >/dev/null
shell :memory: >"$B/filt.out" 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE t USING provisioning_events(source='$MOCK_URL/s/hs_filt/v1.0');
SELECT 'n', count(*) FROM t WHERE job_id = 'x' || char(13, 10) || 'X-Injected: yes';
SELECT 'm', count(*) FROM t WHERE status = char(13, 10) || 'failure';
SQL
cat "$B/filt.out"
log=$(ctl GET hs_filt requests)
check_cmd "CR/LF filter: 0 rows, no error" bash -c "grep -q '^n|0$' '$B/filt.out' && grep -q '^m|0$' '$B/filt.out' && ! grep -q -i error '$B/filt.out'"
check_cmd "CR/LF filter: percent-encoded in the URL" bash -c "printf '%s' '$log' | grep -q 'jobId%20eq%20%27x%0D%0AX-Injected%3A%20yes%27'"
check_cmd "CR/LF filter: no header injected" bash -c "! printf '%s' '$log' | grep -q -i '\"x-injected\"'"

# ---- 4. the token in no schema, file, error message or trace
CANARY="hs-secret-$$-$RANDOM-9c1d"
ctl POST hs_tok reset '{}' >/dev/null
ctl POST hs_tok config "{\"requireAuth\":true,\"staticToken\":\"$CANARY\"}" >/dev/null
ctl POST hs_tok_fail reset '{}' >/dev/null
ctl POST hs_tok_wfail reset '{}' >/dev/null
c1=$(ctl POST hs_tok_fail config "{\"requireAuth\":true,\"staticToken\":\"$CANARY\",\"fail\":[{\"page\":1,\"status\":500,\"times\":-1,\"message\":\"boom\"}]}")
c2=$(ctl POST hs_tok_wfail config "{\"requireAuth\":true,\"staticToken\":\"$CANARY\",\"fail\":[{\"request\":1,\"status\":400,\"times\":-1,\"methods\":[\"POST\"]}]}")
case "$c1$c2" in *'"status":500'*'"status":400'*) ;; *) echo "mock config refused: $c1 $c2"; exit 1 ;; esac
DB="$B/tok.db"
HS_CANARY="$CANARY" PROVISIONING_TRACE=1 shell "$DB" >"$B/tok.out" 2>"$B/tok.err" <<SQL
.load $EXT
.bail off
CREATE VIRTUAL TABLE ok USING provisioning_events(source='$MOCK_URL/s/hs_tok/v1.0', auth='env:HS_CANARY');
CREATE VIRTUAL TABLE bad USING provisioning_events(source='$MOCK_URL/s/hs_tok_fail/v1.0', auth='env:HS_CANARY', max_retries=1, retry_base=0);
CREATE VIRTUAL TABLE wbad USING provisioning_events(source='$MOCK_URL/s/hs_tok_wfail/v1.0', auth='env:HS_CANARY', max_retries=1, retry_base=0, writable=1);
SELECT 'ok', count(*) FROM (SELECT id FROM ok WHERE status = 'failure' LIMIT 7);
EXPLAIN QUERY PLAN SELECT id FROM ok WHERE status = 'failure' LIMIT 7;
SELECT 'bad', count(*) FROM bad;
INSERT INTO wbad(job_id) VALUES ('w');
SELECT 'schema', sql FROM sqlite_schema;
.schema
.dump
SQL
cat "$B/tok.out" "$B/tok.err" | cut -c1-300 | grep -v '^INSERT INTO\|^CREATE TABLE\|^/\*' | head -30
log=$(ctl GET hs_tok requests)
check_cmd "the token did arrive (Authorization: Bearer <canary>)" bash -c "printf '%s' '$log' | grep -q '\"authorization\":\"Bearer $CANARY\"'"
check_cmd "the scan returned rows" grep -q '^ok|7$' "$B/tok.out"
check_cmd "the failing GET gave an error" grep -q 'HTTP 500' "$B/tok.out" "$B/tok.err"
check_cmd "the failing write gave an error" grep -q 'HTTP 400' "$B/tok.err"
check_cmd "the trace was written" grep -q 'provisioning: GET' "$B/tok.err"
check_cmd "the token is not in the output, errors or trace" bash -c "! grep -q -F -- '$CANARY' '$B/tok.out' '$B/tok.err'"
check_cmd "the token is not in the database file" bash -c "! grep -a -q -F -- '$CANARY' '$DB'"
finish

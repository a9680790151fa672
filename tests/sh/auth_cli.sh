#!/usr/bin/env bash
# auth_cli.sh: auth='azure:cli' with a fake az on PATH (a shell script made
# here): the exact command line (no shell between), its accessToken reaching
# Graph, expiry from expires_on or from the older expiresOn (local time),
# renewal at expiry and on a 401, and clear errors when az is missing, not
# logged in, fails, or hangs (killed after PROVISIONING_AZ_TIMEOUT).
. "$(dirname "$0")/lib/auth_common.sh"
S=acli
A=$B/az; mkdir -p "$A"
cat >"$B/bin/az" <<'AZ'
#!/bin/sh
# fake az (tests): FAKE_AZ_DIR/mode = ok | old | notlogged | broken | slow
[ -n "${LD_PRELOAD:-}" ] && exec /usr/bin/env -u LD_PRELOAD "$0" "$@"
PATH=/usr/bin:/bin
d=$FAKE_AZ_DIR
n=$(( $(cat "$d/count" 2>/dev/null || echo 0) + 1 )); echo $n >"$d/count"
printf '%s|' "$@" >>"$d/argv"; echo >>"$d/argv"
exp=$(( $(date +%s) + ${FAKE_AZ_TTL:-3600} ))
tok="cli-token-$n-$(cat "$d/salt")"
case $(cat "$d/mode") in
  ok) printf '{"accessToken":"%s","expiresOn":"%s","expires_on":%s,"subscription":"sub","tenant":"ten","tokenType":"Bearer"}\n' \
        "$tok" "$(date -d @$exp '+%Y-%m-%d %H:%M:%S.000000')" "$exp" ;;
  old) printf '{\n  "accessToken": "%s",\n  "expiresOn": "%s",\n  "tokenType": "Bearer"\n}\n' "$tok" "$(date -d @$exp '+%Y-%m-%d %H:%M:%S.000000')" ;;
  notlogged) echo "ERROR: Please run 'az login' to setup account." >&2; exit 1 ;;
  broken) echo "ERROR: (InvalidResource) The resource principal named https://graph.microsoft.com was not found" >&2; exit 2 ;;
  slow) sleep 30; echo '{}' ;;
esac
AZ
chmod +x "$B/bin/az"
SALT="s$$r$RANDOM"; echo "$SALT" >"$A/salt"
mode() { echo "$1" >"$A/mode"; rm -f "$A/count" "$A/argv"; }
reset() { ctl POST $S reset '{}' >/dev/null; ctl POST $S config "$1" >/dev/null; }
clisql() { # auth, then VAR=VALUE...
  local a=$1; shift
  azsql FAKE_AZ_DIR="$A" "$@" <<SQL
.load $EXT
.bail off
CREATE VIRTUAL TABLE t USING provisioning_events(source='$MOCK_URL/s/$S/v1.0', auth='$a', max_retries=0);
SELECT 'rows', count(*) FROM (SELECT id FROM t LIMIT 5);
SQL
}
calls() { cat "$A/count" 2>/dev/null || echo 0; }

# ---- 1. a scan with az's token
mode ok; reset '{}'
clisql azure:cli PROVISIONING_TRACE=1 >"$B/ok.out" 2>"$B/ok.err"
cat "$B/ok.out"
check_cmd "cli: rows" grep -q '^rows|5$' "$B/ok.out"
check_cmd "cli: az ran once with exactly: account get-access-token --resource https://graph.microsoft.com --output json" \
  test "$(cat "$A/argv")" = "account|get-access-token|--resource|https://graph.microsoft.com|--output|json|"
check_cmd "cli: its accessToken reached Graph" test "$(graph_tokens $S)" = "cli-token-1-$SALT"
check_cmd "cli: the token is in no output or trace" bash -c "! grep -q -F -- 'cli-token-1-$SALT' '$B/ok.out' '$B/ok.err'"
mode ok; reset '{}'
clisql azure >"$B/chain.out" 2>&1
check_cmd "chain: auth='azure' falls to the CLI when nothing else is configured" bash -c "grep -q '^rows|5$' '$B/chain.out' && test \"\$(cat '$A/count')\" = 1"

# ---- 2. renewal at expiry: expires_on, then the older expiresOn in local time
for m in ok old; do
  mode $m; reset '{}'
  { printf '.load %s\n.bail off\nCREATE VIRTUAL TABLE t USING provisioning_events(source='"'"'%s/s/%s/v1.0'"'"', auth='"'"'azure:cli'"'"', max_retries=0);\n' "$EXT" "$MOCK_URL" "$S"
    printf "SELECT 'a', count(*) FROM (SELECT id FROM t LIMIT 5);\nSELECT 'b', count(*) FROM (SELECT id FROM t LIMIT 5);\n"
    wait_graph $S 2; sleep 3.3; printf "SELECT 'c', count(*) FROM (SELECT id FROM t LIMIT 5);\n"; } |
    azsql FAKE_AZ_DIR="$A" FAKE_AZ_TTL=3 TZ=Asia/Kolkata >"$B/renew_$m.out" 2>&1
  cat "$B/renew_$m.out"
  check_cmd "$m: renewal: a and b on one token, c on a new one" \
    test "$(graph_tokens $S | tr '\n' ' ')" = "cli-token-1-$SALT cli-token-1-$SALT cli-token-2-$SALT "
done

# ---- 3. a 401: az asked once more
mode ok; reset '{"fail":[{"request":1,"status":401,"times":1}]}'
clisql azure:cli >"$B/r401.out" 2>&1
check_cmd "401: rows after one renewal" grep -q '^rows|5$' "$B/r401.out"
check_cmd "401: the second token retried the request" test "$(log_json $S "' '.join(e['headers']['authorization'][7:]+':'+str(e['status']) for e in L)")" = "cli-token-1-$SALT:401 cli-token-2-$SALT:200"
mode ok; reset '{"requireAuth":true,"staticToken":"never-this"}'
clisql azure:cli >"$B/r401b.out" 2>&1
check_cmd "401 twice: the error, without either token" \
  bash -c "grep -q 'HTTP 401' '$B/r401b.out' && ! grep -q 'cli-token' '$B/r401b.out' && test \"\$(cat '$A/count')\" = 2"

# ---- 4. errors
mode notlogged; reset '{}'
clisql azure:cli >"$B/notlogged.out" 2>&1
cat "$B/notlogged.out"
check_cmd "not logged in: a clear message" grep -q "provisioning_events: auth='azure:cli': the Azure CLI is not logged in: run az login (az said: ERROR: Please run 'az login' to setup account.)" "$B/notlogged.out"
mode broken
clisql azure:cli >"$B/broken.out" 2>&1
check_cmd "az fails: its exit status and first line" grep -q "az account get-access-token failed with exit status 2 (az said: ERROR: (InvalidResource)" "$B/broken.out"
mode slow
t0=$(date +%s.%N)
clisql azure:cli PROVISIONING_AZ_TIMEOUT=1 >"$B/slow.out" 2>&1
t1=$(date +%s.%N)
cat "$B/slow.out"
check_cmd "a slow az: stopped at the limit, a clear message" grep -q "az account get-access-token did not finish within 1 s and was stopped (the limit is PROVISIONING_AZ_TIMEOUT, in seconds)" "$B/slow.out"
check_cmd "a slow az: the statement came back within 5 s" $PY -c "import sys; sys.exit(0 if $t1 - $t0 < 5 else 1)"
check_cmd "errors: nothing reached Graph" test "$(log_json $S "len(L)")" = 0
rm "$B/bin/az"
clisql azure:cli >"$B/missing.out" 2>&1
check_cmd "az missing: a clear message" grep -q "auth='azure:cli': az (the Azure CLI) was not found on PATH: install it and run az login, or choose another credential" "$B/missing.out"
finish

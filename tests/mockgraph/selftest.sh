#!/usr/bin/env bash
# Self-test of the mock Graph server: starts it on a free port with a small
# data file made here, drives every route and knob with curl, and prints
# "N passed, N failed". Exit 0 when all passed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SERVER="$HERE/server.js"
T=$(mktemp -d /tmp/mockgraph-selftest.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
  fail=$((fail + 1))
  echo "FAIL: $*"
  if [ -f "$T/body" ]; then echo "  status $STATUS, body: $(head -c 400 "$T/body")"; fi
}

# ---- data: 12 events, two pages concatenated
cat >"$T/events.json" <<'EOF'
{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning","value":[
{"id":"e01","activityDateTime":"2024-06-01T00:00:00Z","tenantId":"ten-1","jobId":"job-A","cycleId":"cyc-1","changeId":"chg-01","provisioningAction":"create","durationInMilliseconds":100,"provisioningStatusInfo":{"status":"success","errorInformation":null},"servicePrincipal":{"id":"sp1","displayName":"Contoso"},"initiatedBy":{"id":"","displayName":"Azure AD Provisioning Service","initiatorType":"system"},"sourceSystem":{"id":"ss1","displayName":"Workday","details":{}},"targetSystem":{"id":"ts1","displayName":"Azure Active Directory","details":{}},"sourceIdentity":{"id":"s1","displayName":"O'Brien","identityType":"User","details":{}},"targetIdentity":{"id":"t1","displayName":"Ann","identityType":"User","details":{}},"provisioningSteps":[],"modifiedProperties":[]},
{"id":"e02","activityDateTime":"2024-06-01T00:00:00.0000001Z","tenantId":"ten-1","jobId":"job-A","cycleId":"cyc-1","changeId":"chg-02","provisioningAction":"update","durationInMilliseconds":200,"provisioningStatusInfo":{"status":"failure","errorInformation":{"errorCode":"X"}},"servicePrincipal":{"id":"sp1","displayName":"Contoso"},"sourceSystem":{"displayName":"Workday"},"targetSystem":{"displayName":"a/b%c&d"},"sourceIdentity":{"id":"s2","displayName":"Bob","identityType":"User"},"targetIdentity":{"id":"t2","displayName":"Bob","identityType":"User"}},
{"id":"e03","activityDateTime":"2024-06-01T00:00:00.0000002Z","tenantId":"ten-1","jobId":"job-A","cycleId":"cyc-1","changeId":"chg-03","provisioningAction":"create","durationInMilliseconds":300,"provisioningStatusInfo":{"status":"success"},"servicePrincipal":{"id":"sp2","displayName":"Slack"},"sourceSystem":{"displayName":"Azure Active Directory"},"targetSystem":{"displayName":"Slack"},"sourceIdentity":{"id":"s3","displayName":"Carol","identityType":"Group"},"targetIdentity":{"id":"t3","displayName":"Carol","identityType":"Group"}},
{"id":"e04","activityDateTime":"2024-06-01T02:00:00.0000001+03:00","tenantId":"ten-1","jobId":"job-B","cycleId":"cyc-2","changeId":"chg-04","provisioningAction":"delete","durationInMilliseconds":400,"provisioningStatusInfo":{"status":"skipped"},"servicePrincipal":{"id":"sp2","displayName":"Slack"},"sourceSystem":{"displayName":"Azure Active Directory"},"targetSystem":{"displayName":"Slack"},"sourceIdentity":{"id":"s4","displayName":"Dan","identityType":"User"},"targetIdentity":{"id":"t4","displayName":"Dan","identityType":"User"}},
{"id":"e05","activityDateTime":"2024-06-02T12:00:00Z","tenantId":"ten-2","jobId":"job-B","cycleId":"cyc-2","changeId":"chg-05","provisioningAction":"create","durationInMilliseconds":500,"provisioningStatusInfo":{"status":"warning"},"servicePrincipal":{"id":"sp2","displayName":"Slack"},"sourceSystem":{"displayName":"Azure Active Directory"},"targetSystem":{"displayName":"Slack"},"sourceIdentity":{"id":"s5","displayName":"Zoë","identityType":"User"},"targetIdentity":{"id":"t5","displayName":"Zoë","identityType":"User"}}
]}
{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning","value":[
{"id":"e06","activityDateTime":"2024-06-03T00:00:00Z","tenantId":"ten-2","action":"delete","durationInMilliseconds":600,"statusInfo":{"status":"skipped"},"servicePrincipal":{"id":"sp3","displayName":"Box"}},
{"id":"e07","activityDateTime":"2024-06-04T00:00:00Z","tenantId":"ten-2","provisioningAction":"update","durationInMilliseconds":700,"provisioningStatusInfo":{"status":"success"}},
{"id":"e08","activityDateTime":"2024-06-05T00:00:00Z","tenantId":"ten-2","provisioningAction":"update","durationInMilliseconds":800,"provisioningStatusInfo":{"status":"success"}},
{"id":"e09","activityDateTime":"2024-06-06T00:00:00Z","tenantId":"ten-2","provisioningAction":"update","durationInMilliseconds":900,"provisioningStatusInfo":{"status":"success"}},
{"id":"e10","activityDateTime":"2024-06-07T00:00:00Z","tenantId":"ten-2","provisioningAction":"other","durationInMilliseconds":1000,"provisioningStatusInfo":{"status":"success"}},
{"id":"e11","activityDateTime":"2024-06-08T00:00:00Z","tenantId":"ten-2","provisioningAction":"other","durationInMilliseconds":1100,"provisioningStatusInfo":{"status":"success"}},
{"id":"e12","activityDateTime":"not a date","tenantId":"ten-2","provisioningAction":"other","durationInMilliseconds":"1200","provisioningStatusInfo":{"status":"success"}}
]}
EOF

start_server() { # data-file extra-args... ; sets SPID and PORT
  local pf="$T/port.$RANDOM"
  node "$SERVER" --data "$1" --port 0 --port-file "$pf" "${@:2}" >>"$T/server.log" 2>&1 &
  SPID=$!
  PIDS+=("$SPID")
  PORT=
  for _ in $(seq 1 100); do
    [ -s "$pf" ] && break
    sleep 0.1
  done
  PORT=$(cat "$pf" 2>/dev/null)
}

start_server "$T/events.json" --idle-exit 120 --parent-pid $$
if [ -z "$PORT" ]; then
  echo "the server did not start:"
  cat "$T/server.log"
  exit 1
fi
U="http://127.0.0.1:$PORT"

STATUS=
# req METHOD PATH [curl args]: body in $T/body, headers in $T/hdr, $STATUS
req() {
  local m=$1 p=$2
  shift 2
  STATUS=$(curl -s -g -X "$m" -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" "$U$p")
}
# j 'expr': evaluate a JS expression with d = the parsed body
j() {
  node -e '
    const fs = require("fs");
    let d; try { d = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch (e) { d = undefined; }
    const ids = d && Array.isArray(d.value) ? d.value.map((e) => e.id).join(",") : "";
    const r = eval(process.argv[2]);
    process.stdout.write(typeof r === "string" ? r : JSON.stringify(r));
  ' "$T/body" "$1"
}
expect_status() { # name status
  if [ "$STATUS" = "$2" ]; then ok; else bad "$1: status $STATUS, want $2"; fi
}
expect_js() { # name expr (must be true)
  local r
  r=$(j "$2")
  if [ "$r" = "true" ]; then ok; else bad "$1: $2 -> $r"; fi
}
expect_eq() { # name got want
  if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi
}
header() { # name -> value of the last such header in $T/hdr
  grep -i "^$1:" "$T/hdr" | tail -1 | sed -e 's/^[^:]*: *//' -e 's/\r$//'
}
admin() { # METHOD scenario what [json]
  if [ -n "${4:-}" ]; then
    curl -s -X "$1" -H 'Content-Type: application/json' --data-binary "$4" "$U/_mock/s/$2/$3" >"$T/admin"
  else
    curl -s -X "$1" "$U/_mock/s/$2/$3" >"$T/admin"
  fi
}
# the routes below use `or` and $select freely: allowed here, refused by default (see "strictness")
config() { admin POST "$1" reset; admin POST "$1" config '{"allowOr":true,"allowSelect":true}'; admin POST "$1" config "$2"; }
enc() { node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"; }
# filt NAME FILTER WANT-IDS|400 [scenario]
filt() {
  local scen=${4:-}
  local pre=""
  [ -n "$scen" ] && pre="/s/$scen"
  req GET "$pre/v1.0/auditLogs/provisioning?\$filter=$(enc "$2")"
  if [ "$3" = 400 ]; then
    expect_status "filter rejected: $2" 400
    expect_js "error JSON for: $2" 'd.error.code === "BadRequest" && /^[0-9a-f-]{36}$/.test(d.error.innerError["request-id"]) && !!d.error.innerError.date'
  else
    expect_status "filter: $2" 200
    expect_eq "filter: $2" "$(j ids)" "$3"
  fi
}

admin POST default config '{"allowOr":true,"allowSelect":true}'

# ---- strictness: what Microsoft does not document is refused unless a knob allows it
admin POST strict reset
filt "or refused by default" "id eq 'e01' or id eq 'e02'" 400 strict
expect_js "or: the message names it" 'd.error.message.includes("\x27or\x27")'
req GET "/s/strict/v1.0/auditLogs/provisioning?\$select=id"
expect_status "select refused by default" 400
expect_js "select: the message names it" 'd.error.message.includes("$select")'
filt "Int32: 2147483648 refused" "durationInMilliseconds gt 2147483648" 400 strict
filt "Int32: -2147483649 refused" "durationInMilliseconds lt -2147483649" 400 strict
filt "Int32: 2147483647 accepted" "durationInMilliseconds lt 2147483647 and durationInMilliseconds gt -2147483648" "e01,e02,e03,e04,e05,e06,e07,e08,e09,e10,e11" strict
admin POST strict config '{"allowOr":true,"allowSelect":true,"allowWideInt":true}'
filt "or allowed by the knob" "id eq 'e01' or id eq 'e02'" "e01,e02" strict
filt "wide Int32 literal allowed by the knob" "durationInMilliseconds gt 5000000000" "" strict
req GET "/s/strict/v1.0/auditLogs/provisioning?\$select=id&\$top=1"
expect_status "select allowed by the knob" 200
admin POST strict2 reset
admin POST strict2 config '{"refuse":[{"form":"contains"},{"form":"$top","times":2}]}'
filt "refuse contains once (1)" "contains(id,'1')" 400 strict2
expect_js "refuse: the message names the form" 'd.error.message.includes("\x27contains\x27")'
filt "refuse contains once (2)" "contains(id,'1')" "e01,e10,e11,e12" strict2
req GET "/s/strict2/v1.0/auditLogs/provisioning?\$top=2"
expect_status "refuse \$top twice (1)" 400
req GET "/s/strict2/v1.0/auditLogs/provisioning?\$top=2"
expect_status "refuse \$top twice (2)" 400
req GET "/s/strict2/v1.0/auditLogs/provisioning?\$top=2"
expect_status "refuse \$top twice (3)" 200
admin POST strict2 config '{"refuse":[{"form":"nope"}]}'
case "$(cat "$T/admin")" in *"form must be one of"*) ok ;; *) bad "refuse knob accepted an unknown form: $(cat "$T/admin")" ;; esac

# ---- listing basics
req GET "/v1.0/auditLogs/provisioning"
expect_status "list" 200
expect_eq "list: file order over two pages" "$(j ids)" "e01,e02,e03,e04,e05,e06,e07,e08,e09,e10,e11,e12"
expect_js "list: context, no nextLink" 'd["@odata.context"] === "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning" && !("@odata.nextLink" in d)'
expect_eq "list: request-id header" "$(header request-id | grep -cE '^[0-9a-f-]{36}$')" 1
case "$(header content-type)" in application/json*) ok ;; *) bad "content-type $(header content-type)" ;; esac
req GET "/beta/auditLogs/directoryProvisioning?\$top=1"
expect_status "beta alias" 200
expect_js "beta alias context" 'd["@odata.context"].startsWith("https://graph.microsoft.com/beta/") && d.value.length === 1'
req GET "/beta/auditLogs/provisioning?\$top=1"
expect_status "beta provisioning" 200
req GET "/v1.0/auditLogs/directoryProvisioning"
expect_status "directoryProvisioning is beta only" 400
req GET "/v1.0/auditLogs/provisioning?foo=bar&\$top=2"
expect_status "non-OData parameters are ignored" 200

# ---- the strict filter table
filt "datetime gt" "activityDateTime gt 2024-06-01T00:00:00Z" "e02,e03,e05,e06,e07,e08,e09,e10,e11"
filt "datetime eq 7th digit" "activityDateTime eq 2024-06-01T00:00:00.0000001Z" "e02"
filt "datetime lt 7th digit" "activityDateTime lt 2024-06-01T00:00:00.0000001Z" "e01,e04"
filt "datetime eq via offset" "activityDateTime eq 2024-05-31T23:00:00.0000001Z" "e04"
filt "literal with offset" "activityDateTime gt 2024-06-01T03:00:00+03:00" "e02,e03,e05,e06,e07,e08,e09,e10,e11"
filt "literal with 3 digits" "activityDateTime lt 2024-06-01T00:00:00.001Z" "e01,e02,e03,e04"
filt "int eq" "durationInMilliseconds eq 200" "e02"
filt "int range" "durationInMilliseconds gt 150 and durationInMilliseconds lt 450" "e02,e03,e04"
filt "int is not a string" "durationInMilliseconds eq 1200" ""
filt "string eq with quote" "sourceIdentity/displayName eq 'O''Brien'" "e01"
filt "contains a quote" "contains(sourceIdentity/displayName,'''')" "e01"
filt "slash percent ampersand" "targetSystem/displayName eq 'a/b%c&d'" "e02"
filt "non-ASCII" "contains(targetIdentity/displayName,'Zoë')" "e05"
filt "case sensitive" "provisioningAction eq 'Create'" ""
filt "eq action" "provisioningAction eq 'create'" "e01,e03,e05"
filt "beta name" "action eq 'delete'" "e04,e06"
filt "status" "provisioningStatusInfo/status eq 'skipped'" "e04,e06"
filt "and/or/parens" "(provisioningAction eq 'create' or provisioningAction eq 'update') and durationInMilliseconds gt 150" "e02,e03,e05,e07,e08,e09"
filt "or precedence" "id eq 'e01' or id eq 'e02' and durationInMilliseconds eq 1" "e01"
filt "contains id" "contains(id,'1')" "e01,e10,e11,e12"
filt "eq-only sp id" "servicePrincipal/id eq 'sp2'" "e03,e04,e05"
filt "eq-only sp name" "servicePrincipal/displayName eq 'Box'" "e06"
for f in tenantId jobId changeId cycleId sourceSystem/displayName targetSystem/displayName sourceIdentity/identityType \
  targetIdentity/identityType sourceIdentity/id targetIdentity/id targetIdentity/displayName initiatedBy/displayName; do
  req GET "/v1.0/auditLogs/provisioning?\$filter=$(enc "$f eq 'x' or contains($f,'y')")"
  expect_status "eq and contains accepted on $f" 200
done
filt "initiatedBy" "initiatedBy/displayName eq 'Azure AD Provisioning Service'" "e01"
filt "ge rejected" "durationInMilliseconds ge 100" 400
filt "le rejected" "activityDateTime le 2024-06-01T00:00:00Z" 400
filt "ne rejected" "id ne 'e01'" 400
filt "startswith rejected" "startswith(id,'e')" 400
filt "endswith rejected" "endswith(id,'1')" 400
filt "in rejected" "id in ('e01','e02')" 400
filt "not rejected" "not (id eq 'e01')" 400
filt "eq null rejected" "id eq null" 400
filt "unknown property" "foo eq 'x'" 400
filt "nested unknown property" "sourceIdentity/details eq 'x'" 400
filt "contains on eq-only" "contains(servicePrincipal/id,'sp')" 400
filt "gt on string" "tenantId gt 'a'" 400
filt "contains on datetime" "contains(activityDateTime,'2024')" 400
filt "string for int" "durationInMilliseconds eq '200'" 400
filt "decimal for int" "durationInMilliseconds eq 1.5" 400
filt "string for datetime" "activityDateTime gt '2024-06-01T00:00:00Z'" 400
filt "date for datetime" "activityDateTime gt 2024-06-01" 400
filt "number for string" "tenantId eq 5" 400
filt "literal on the left" "'e01' eq id" 400
filt "other function" "tolower(id) eq 'e01'" 400
filt "syntax error" "id eq" 400
filt "empty filter" "" 400
filt "unbalanced" "(id eq 'e01'" 400
req GET "/v1.0/auditLogs/provisioning?\$filter=id+eq+'e03'"
expect_eq "'+' in the query is a space" "$(j ids)" "e03"
req GET "/v1.0/auditLogs/provisioning?\$filter=id%20eq%20%27e0%ZZ%27"
expect_status "bad percent-encoding" 400

# ---- other query options
req GET "/v1.0/auditLogs/provisioning?\$orderby=activityDateTime"
expect_eq "orderby asc (bad date first, ties in file order)" "$(j ids)" "e12,e04,e01,e02,e03,e05,e06,e07,e08,e09,e10,e11"
req GET "/v1.0/auditLogs/provisioning?\$orderby=$(enc 'activityDateTime desc')"
expect_eq "orderby desc" "$(j ids)" "e11,e10,e09,e08,e07,e06,e05,e03,e02,e01,e04,e12"
req GET "/v1.0/auditLogs/provisioning?\$orderby=$(enc 'activityDateTime asc')"
expect_status "orderby asc explicit" 200
for o in id "activityDateTime sideways" "durationInMilliseconds desc" "activityDateTime desc,id"; do
  req GET "/v1.0/auditLogs/provisioning?\$orderby=$(enc "$o")"
  expect_status "orderby rejected: $o" 400
done
for t in 0 -1 abc 1.5 ""; do
  req GET "/v1.0/auditLogs/provisioning?\$top=$t"
  expect_status "top rejected: '$t'" 400
done
for o in '$skip=1' '$count=true' '$expand=x' '$search=x' '$format=json' '$top=1&$top=2'; do
  req GET "/v1.0/auditLogs/provisioning?$o"
  expect_status "option rejected: $o" 400
done
req GET "/v1.0/auditLogs/provisioning?\$select=id,durationInMilliseconds&\$top=3"
expect_js "select: only those properties" 'd.value.length === 3 && d.value.every((e) => Object.keys(e).join() === "id,durationInMilliseconds")'
expect_js "select: context" 'd["@odata.context"].endsWith("#auditLogs/provisioning(id,durationInMilliseconds)")'
req GET "/v1.0/auditLogs/provisioning?\$select=id,nope"
expect_status "select unknown property" 400
req GET "/v1.0/auditLogs/provisioning?\$skiptoken=forged-token"
expect_status "invented skiptoken" 400

# ---- paging via nextLink
all=""
next="$U/v1.0/auditLogs/provisioning?\$top=5"
pages=0
while [ -n "$next" ] && [ $pages -lt 10 ]; do
  STATUS=$(curl -s -g -o "$T/body" -w '%{http_code}' "$next")
  pages=$((pages + 1))
  all="$all${all:+,}$(j ids)"
  next=$(j 'd["@odata.nextLink"] || ""')
  if [ -n "$next" ]; then
    case "$next" in "$U/v1.0/auditLogs/provisioning?\$top=5&\$skiptoken="*) ok ;; *) bad "nextLink $next" ;; esac
  fi
done
expect_eq "paging: 3 pages" "$pages" 3
expect_eq "paging: all events once" "$all" "e01,e02,e03,e04,e05,e06,e07,e08,e09,e10,e11,e12"
# paging with filter, orderby desc, select, in a scenario (prefix kept)
config pg '{}'
all=""
next="$U/s/pg/v1.0/auditLogs/provisioning?\$filter=$(enc "durationInMilliseconds gt 250")&\$orderby=$(enc 'activityDateTime desc')&\$top=3&\$select=id"
pages=0
first_next=
while [ -n "$next" ] && [ $pages -lt 10 ]; do
  STATUS=$(curl -s -g -o "$T/body" -w '%{http_code}' "$next")
  pages=$((pages + 1))
  all="$all${all:+,}$(j ids)"
  next=$(j 'd["@odata.nextLink"] || ""')
  [ -z "$first_next" ] && first_next=$next
done
expect_eq "filtered paging" "$all" "e11,e10,e09,e08,e07,e06,e05,e03,e04"
case "$first_next" in "$U/s/pg/v1.0/auditLogs/provisioning?"*) ok ;; *) bad "scenario prefix lost: $first_next" ;; esac
tok=${first_next##*\$skiptoken=}
req GET "/s/pg/v1.0/auditLogs/provisioning?\$top=3&\$skiptoken=$tok"
expect_status "skiptoken with other query options" 400
req GET "/s/other/v1.0/auditLogs/provisioning?\$filter=$(enc "durationInMilliseconds gt 250")&\$orderby=$(enc 'activityDateTime desc')&\$top=3&\$select=id&\$skiptoken=$tok"
expect_status "skiptoken from another scenario" 400
# page size knobs
config ps '{"maxTop":3,"defaultTop":4}'
req GET "/s/ps/v1.0/auditLogs/provisioning?\$top=10"
expect_js "maxTop caps \$top" 'd.value.length === 3 && !!d["@odata.nextLink"]'
config ps '{"defaultTop":4}'
req GET "/s/ps/v1.0/auditLogs/provisioning"
expect_js "defaultTop" 'd.value.length === 4'
config ps '{"pageSize":2}'
req GET "/s/ps/v1.0/auditLogs/provisioning?\$top=5"
expect_js "pageSize" 'd.value.length === 2 && d["@odata.nextLink"].includes("$top=5&$skiptoken=")'

# ---- gzip
curl -s -g -H 'Accept-Encoding: gzip' -D "$T/hdr" -o "$T/body.gz" "$U/v1.0/auditLogs/provisioning?\$top=2"
expect_eq "gzip: Content-Encoding" "$(header content-encoding)" "gzip"
gzip -dc <"$T/body.gz" >"$T/body" 2>/dev/null
expect_js "gzip: body decodes" 'ids === "e01,e02"'
config gz '{"gzip":false}'
req GET "/s/gz/v1.0/auditLogs/provisioning?\$top=2" -H 'Accept-Encoding: gzip'
expect_eq "gzip off" "$(header content-encoding)" ""
expect_js "gzip off: plain body" 'ids === "e01,e02"'

# ---- one event
req GET "/v1.0/auditLogs/provisioning/e03"
expect_status "get by id" 200
expect_js "get by id body" 'd.id === "e03" && d.durationInMilliseconds === 300'
req GET "/v1.0/auditLogs/provisioning/nope"
expect_status "get unknown id" 404
expect_js "404 error JSON" 'd.error.code === "ResourceNotFound" && !!d.error.innerError["request-id"]'

# ---- writes, copy-on-write per scenario
config w '{}'
req POST "/s/w/v1.0/auditLogs/provisioning" -H 'Content-Type: application/json' --data-binary '{"id":"client-id","activityDateTime":"2024-07-01T00:00:00Z","provisioningAction":"create","durationInMilliseconds":5}'
expect_status "POST event" 201
expect_js "POST: server id" '/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(d.id) && d.durationInMilliseconds === 5'
newid=$(j d.id)
req GET "/s/w/v1.0/auditLogs/provisioning/$newid"
expect_status "POSTed event readable in its scenario" 200
req GET "/v1.0/auditLogs/provisioning/$newid"
expect_status "POSTed event not in another scenario" 404
req GET "/s/w/v1.0/auditLogs/provisioning?\$filter=$(enc "durationInMilliseconds eq 5")"
expect_eq "POSTed event listed" "$(j ids)" "$newid"
req PATCH "/s/w/v1.0/auditLogs/provisioning/e01" --data-binary '{"durationInMilliseconds":111,"jobId":"job-Z"}'
expect_status "PATCH event" 200
expect_js "PATCH merges" 'd.id === "e01" && d.durationInMilliseconds === 111 && d.jobId === "job-Z" && d.tenantId === "ten-1"'
req PATCH "/s/w/v1.0/auditLogs/provisioning" --data-binary '{"id":"e02","durationInMilliseconds":222}'
expect_status "PATCH with id in body" 200
expect_js "PATCH with id in body merges" 'd.id === "e02" && d.durationInMilliseconds === 222 && d.changeId === "chg-02"'
req GET "/v1.0/auditLogs/provisioning/e01"
expect_js "PATCH not seen in default scenario" 'd.durationInMilliseconds === 100'
req PATCH "/s/w/v1.0/auditLogs/provisioning/nope" --data-binary '{"x":1}'
expect_status "PATCH unknown id" 404
req PATCH "/s/w/v1.0/auditLogs/provisioning" --data-binary '{"x":1}'
expect_status "PATCH without id" 400
req POST "/s/w/v1.0/auditLogs/provisioning" --data-binary '[1,2]'
expect_status "POST array body" 400
req POST "/s/w/v1.0/auditLogs/provisioning" --data-binary '{oops'
expect_status "POST bad JSON" 400
expect_js "POST bad JSON error" 'd.error.code === "BadRequest"'
req POST "/s/w/beta/auditLogs/directoryProvisioning" --data-binary '{"action":"create"}'
expect_status "POST beta directoryProvisioning" 201
req POST "/s/w/beta/auditLogs/directoryProvisioning/\$ref" --data-binary '{"action":"update"}'
expect_status "POST \$ref" 201
req DELETE "/s/w/v1.0/auditLogs/provisioning/e01"
expect_status "DELETE event" 405
expect_js "DELETE error JSON" 'd.error.code === "MethodNotAllowed"'
req GET "/s/w/v1.0/auditLogs/provisioning?\$select=id"
expect_js "scenario w has 15 events" 'd.value.length === 15'
admin POST w reset
req GET "/s/w/v1.0/auditLogs/provisioning/$newid"
expect_status "reset drops written events" 404

# ---- industryData flows
FS=/beta/external/industryData/outboundProvisioningFlowSets
config fl '{}'
req GET "/s/fl$FS"
expect_js "flow sets" 'd.value.map((x) => x.id).join() === "fs-0001,fs-0002" && d.value.every((x) => x.displayName && x.filter && x.createdDateTime && x.lastModifiedDateTime && !x.flows)'
req GET "/s/fl$FS/fs-0001/provisioningFlows"
expect_js "flows: polymorphic" 'd.value.length === 2 && d.value.every((x) => x["@odata.type"].startsWith("#microsoft.graph.industryData.")) && new Set(d.value.map((x) => x["@odata.type"])).size === 2'
for t in administrativeUnit classGroup securityGroup user; do
  req POST "/s/fl/beta/external/industryData/OutboundProvisioningFlowSets/fs-0002/provisioningFlows" -H 'Content-Type: application/json' \
    --data-binary "{\"@odata.type\":\"#microsoft.graph.industryData.${t}ProvisioningFlow\",\"creationOptions\":{\"configurations\":[{\"defaultPasswordSettings\":{\"password\":\"Secr3t!\"}}]},\"defaultPassword\":\"Secr3t!\"}"
  expect_status "POST $t flow" 201
  expect_js "POST $t flow body" "d['@odata.type'] === '#microsoft.graph.industryData.${t}ProvisioningFlow' && /^[0-9a-f-]{36}\$/.test(d.id) && d.readinessStatus === 'notReady' && /^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{7}Z\$/.test(d.createdDateTime) && d.createdDateTime === d.lastModifiedDateTime"
  expect_js "POST $t flow: passwords masked" "!JSON.stringify(d).includes('Secr3t') && d.defaultPassword === '********' && d.creationOptions.configurations[0].defaultPasswordSettings.password === '********'"
done
flowid=$(j d.id)
req GET "/s/fl$FS/fs-0002/provisioningFlows/$flowid"
expect_js "GET flow: stored masked" "d.id === '$flowid' && !JSON.stringify(d).includes('Secr3t')"
created=$(j d.createdDateTime)
req GET "/s/fl$FS/fs-0002/provisioningFlows"
expect_js "flows listed" 'd.value.length === 6'
req POST "/s/fl$FS/fs-0002/provisioningFlows" --data-binary '{"createUnmatchedUsers":true}'
expect_status "POST flow without @odata.type" 400
req POST "/s/fl$FS/fs-0002/provisioningFlows" --data-binary '{"@odata.type":"#microsoft.graph.industryData.fooProvisioningFlow"}'
expect_status "POST flow of unknown type" 400
req POST "/s/fl$FS/fs-0002/provisioningFlows" --data-binary '{"@odata.type":"#microsoft.graph.industryData.userProvisioningFlow","readinessStatus":"ready"}'
expect_js "POST keeps readinessStatus" 'd.readinessStatus === "ready"'
sleep 0.01
req PATCH "/s/fl$FS/fs-0002/provisioningFlows/$flowid" --data-binary '{"readinessStatus":"disabled","password":"x"}'
expect_status "PATCH flow" 204
expect_eq "PATCH flow: no body" "$(wc -c <"$T/body")" 0
req GET "/s/fl$FS/fs-0002/provisioningFlows/$flowid"
expect_js "PATCH flow merged" "d.readinessStatus === 'disabled' && d.password === '********' && d.createdDateTime === '$created' && d.lastModifiedDateTime > '$created'"
req PATCH "/s/fl$FS/fs-0002/provisioningFlows/nope" --data-binary '{}'
expect_status "PATCH unknown flow" 404
req PATCH "/s/fl$FS/fs-9999/provisioningFlows/$flowid" --data-binary '{}'
expect_status "PATCH flow in unknown set" 404
req GET "/s/fl$FS/fs-9999/provisioningFlows"
expect_status "unknown set" 404
req DELETE "/s/fl$FS/fs-0002/provisioningFlows/$flowid"
expect_status "DELETE flow" 204
req GET "/s/fl$FS/fs-0002/provisioningFlows/$flowid"
expect_status "deleted flow is gone" 404
req GET "$FS/fs-0002/provisioningFlows"
expect_js "flows: other scenario untouched" 'd.value.length === 2'
req GET "/v1.0/external/industryData/outboundProvisioningFlowSets"
expect_status "flows are beta only" 400

# ---- token endpoint and auth
config au '{"requireAuth":true,"staticToken":"static-1","tokenTtl":1}'
req GET "/s/au/v1.0/auditLogs/provisioning?\$top=1"
expect_status "requireAuth: no token" 401
expect_js "401 error code" 'd.error.code === "InvalidAuthenticationToken"'
req GET "/s/au/v1.0/auditLogs/provisioning?\$top=1" -H 'Authorization: Bearer wrong'
expect_status "requireAuth: wrong token" 401
req GET "/s/au/v1.0/auditLogs/provisioning?\$top=1" -H 'Authorization: Bearer static-1'
expect_status "requireAuth: static token" 200
req POST "/s/au/tenant-x/oauth2/v2.0/token" --data 'grant_type=client_credentials&client_id=test-client&client_secret=test-secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default'
expect_status "token" 200
expect_js "token body" 'd.token_type === "Bearer" && d.expires_in === 1 && d.access_token.length > 20'
tok=$(j d.access_token)
req GET "/s/au/v1.0/auditLogs/provisioning?\$top=1" -H "Authorization: Bearer $tok"
expect_status "issued token accepted" 200
sleep 1.2
req GET "/s/au/v1.0/auditLogs/provisioning?\$top=1" -H "Authorization: Bearer $tok"
expect_status "expired token refused" 401
req POST "/s/au/tenant-x/oauth2/v2.0/token" --data 'grant_type=client_credentials&client_id=test-client&client_secret=nope&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default'
expect_status "token: wrong secret" 401
expect_js "token: invalid_client" 'd.error === "invalid_client" && !JSON.stringify(d).includes("nope")'
req POST "/s/au/tenant-x/oauth2/v2.0/token" --data 'grant_type=client_credentials&client_id=other&client_secret=test-secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default'
expect_status "token: wrong client id" 401
req POST "/s/au/tenant-x/oauth2/v2.0/token" --data 'grant_type=password&client_id=test-client&client_secret=test-secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default'
expect_status "token: wrong grant type" 400
config au2 '{"clientId":"cid","clientSecret":"csec","tokenTtl":77}'
req POST "/s/au2/t/oauth2/v2.0/token" --data 'grant_type=client_credentials&client_id=cid&client_secret=csec&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default'
expect_js "token: knobs" 'd.expires_in === 77'
tok2=$(j d.access_token)
req GET "/s/au/v1.0/auditLogs/provisioning?\$top=1" -H "Authorization: Bearer $tok2"
expect_status "a token of another scenario is refused" 401

# ---- faults
config f1 '{"fail":[{"request":1,"status":503,"times":2,"retryAfter":"soon-ish"}]}'
req GET "/s/f1/v1.0/auditLogs/provisioning?\$top=1"
expect_status "fail request 1" 503
expect_eq "Retry-After verbatim" "$(header retry-after)" "soon-ish"
expect_js "fault: Graph error JSON" 'd.error.code === "ServiceUnavailable" && !!d.error.innerError["request-id"]'
expect_eq "fault: request-id header = body" "$(header request-id)" "$(j 'd.error.innerError["request-id"]')"
req GET "/s/f1/v1.0/auditLogs/provisioning?\$top=1"
expect_status "fail request 1 fires only for request 1" 200
config f1 '{"fail":[{"page":2,"status":500,"times":2}]}'
req GET "/s/f1/v1.0/auditLogs/provisioning?\$top=5"
expect_status "fail page 2: page 1 fine" 200
p2=$(j 'd["@odata.nextLink"]')
for want in 500 500 200; do
  STATUS=$(curl -s -g -o "$T/body" -w '%{http_code}' "$p2")
  expect_status "fail page 2 times 2" "$want"
done
expect_eq "page 2 after the faults" "$(j ids)" "e06,e07,e08,e09,e10"
config f1 '{"fail":[{"page":1,"status":429,"retryAfter":7,"times":-1}]}'
for _ in 1 2 3; do
  req GET "/s/f1/v1.0/auditLogs/provisioning"
  expect_status "times -1: always" 429
done
expect_eq "numeric retryAfter" "$(header retry-after)" "7"
config f1 '{"fail":[{"page":1,"status":504,"methods":["POST"]}]}'
req GET "/s/f1/v1.0/auditLogs/provisioning"
expect_status "methods: GET untouched" 200
config f1 '{"fail":[{"request":2,"status":504,"methods":["POST"]}]}'
req GET "/s/f1/v1.0/auditLogs/provisioning/e01"
req POST "/s/f1/v1.0/auditLogs/provisioning" --data-binary '{}'
expect_status "methods: POST request 2" 504
req POST "/s/f1/v1.0/auditLogs/provisioning" --data-binary '{}'
expect_status "methods: fired once" 201
config f1 '{"fail":[{"request":1,"status":500,"body":"not json at all"}]}'
req GET "/s/f1/v1.0/auditLogs/provisioning"
expect_eq "fail with a raw body" "$STATUS $(cat "$T/body")" "500 not json at all"

# rate limit
config rl '{"rateLimit":{"requests":2,"windowMs":60000}}'
req GET "/s/rl/v1.0/auditLogs/provisioning?\$top=1"
expect_status "rate limit: 1st" 200
req GET "/s/rl/v1.0/auditLogs/provisioning?\$top=1"
expect_status "rate limit: 2nd" 200
req GET "/s/rl/v1.0/auditLogs/provisioning?\$top=1"
expect_status "rate limit: 3rd" 429
ra=$(header retry-after)
if [ "$ra" -ge 55 ] 2>/dev/null && [ "$ra" -le 60 ]; then ok; else bad "rate limit Retry-After '$ra'"; fi
expect_js "rate limit: error JSON" 'd.error.code === "TooManyRequests"'
req GET "/s/rl2/v1.0/auditLogs/provisioning?\$top=1"
expect_status "rate limit is per scenario" 200

# slow body: complete and correct at 4000 B/s; a 1 B/s body times out
config slow '{"slowBytesPerSec":4000}'
req GET "/s/slow/v1.0/auditLogs/provisioning?\$top=2&\$select=id"
expect_js "slow body arrives whole" 'ids === "e01,e02"'
config slow '{"slowBytesPerSec":1}'
curl -s -g -o "$T/slow" -m 2 "$U/s/slow/v1.0/auditLogs/provisioning?\$top=1"
rc=$?
expect_eq "1 B/s: client times out" "$rc" 28
n=$(wc -c <"$T/slow")
if [ "$n" -ge 1 ] && [ "$n" -le 3 ]; then ok; else bad "1 B/s delivered $n bytes in 2 s"; fi

# truncate, reset
config tr '{"truncate":{"page":2}}'
req GET "/s/tr/v1.0/auditLogs/provisioning?\$top=5"
expect_status "truncate: page 1 whole" 200
p2=$(j 'd["@odata.nextLink"]')
curl -s -g -o "$T/body" -D "$T/hdr" "$p2"
rc=$?
expect_eq "truncate: curl sees a partial body" "$rc" 18
cl=$(header content-length)
n=$(wc -c <"$T/body")
expect_eq "truncate: half of Content-Length" "$n" "$((cl / 2))"
config rs '{"reset":{"page":1}}'
curl -s -g -o /dev/null "$U/s/rs/v1.0/auditLogs/provisioning"
rc=$?
if [ "$rc" = 52 ] || [ "$rc" = 56 ]; then ok; else bad "reset: curl rc $rc"; fi
req GET "/s/rs/v1.0/auditLogs/provisioning/e01"
expect_status "reset: page trigger leaves other requests" 200

# nextLinkHost
config nl '{"nextLinkHost":"http://graph.microsoft.com.evil.test"}'
req GET "/s/nl/v1.0/auditLogs/provisioning?\$top=5"
expect_js "nextLinkHost with scheme" 'd["@odata.nextLink"].startsWith("http://graph.microsoft.com.evil.test/s/nl/v1.0/auditLogs/provisioning?$top=5&$skiptoken=")'
config nl "{\"nextLinkHost\":\"user:pw@127.0.0.1:$PORT\"}"
req GET "/s/nl/v1.0/auditLogs/provisioning?\$top=5"
expect_js "nextLinkHost without scheme" "d['@odata.nextLink'].startsWith('http://user:pw@127.0.0.1:$PORT/s/nl/v1.0/')"

# redirect
config rd '{"redirect":{"page":1,"location":"http://127.0.0.2:9/x"}}'
req GET "/s/rd/v1.0/auditLogs/provisioning"
expect_status "redirect" 302
expect_eq "redirect Location" "$(header location)" "http://127.0.0.2:9/x"

# hugeBody: chunked, no Content-Length, exactly N bytes; the client may hang up
config hb '{"hugeBody":{"bytes":300000}}'
req GET "/s/hb/v1.0/auditLogs/provisioning"
expect_eq "hugeBody size" "$(wc -c <"$T/body")" 300000
expect_eq "hugeBody: no Content-Length" "$(header content-length)" ""
expect_eq "hugeBody: chunked" "$(header transfer-encoding)" "chunked"
case "$(head -c 100 "$T/body")" in '{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning","value":['*) ok ;; *) bad "hugeBody prefix" ;; esac
config hb '{"hugeBody":{"bytes":2000000000}}'
curl -s -g "$U/s/hb/v1.0/auditLogs/provisioning" | head -c 100000 >/dev/null
req GET "/v1.0/auditLogs/provisioning/e01"
expect_status "server fine after a client left a huge body" 200

# delay: a 3 s delay outlasts a 1 s client time-out
config dl '{"delayMs":3000}'
curl -s -o /dev/null -m 1 "$U/s/dl/v1.0/auditLogs/provisioning"
expect_eq "delayMs" "$?" 28

# ---- request log, admin API, scenario isolation
config lg '{}'
req GET "/s/lg/v1.0/auditLogs/provisioning?\$filter=$(enc "id eq 'O''x'")&\$top=2" -H 'X-Custom: Yes' -H 'Retry-Attempt: 1'
req POST "/s/lg/v1.0/auditLogs/provisioning" -H 'Content-Type: application/json' --data-binary '{"a":"b"}'
admin GET lg requests
cp "$T/admin" "$T/body"
expect_js "log: two entries" 'Array.isArray(d) && d.length === 2'
expect_js "log: GET entry" "d[0].method === 'GET' && d[0].url === \"/s/lg/v1.0/auditLogs/provisioning?\$filter=id%20eq%20'O''x'&\$top=2\" && d[0].path === '/s/lg/v1.0/auditLogs/provisioning' && d[0].query['\$filter'] === \"id eq 'O''x'\" && d[0].query['\$top'] === '2' && d[0].body === null && d[0].status === 200"
expect_js "log: headers lower-case" 'd[0].headers["x-custom"] === "Yes" && d[0].headers["retry-attempt"] === "1" && !("X-Custom" in d[0].headers)'
expect_js "log: POST entry" 'd[1].method === "POST" && d[1].body === "{\"a\":\"b\"}" && d[1].status === 201 && d[1].time >= d[0].time && d[0].time > 1.6e12'
admin POST lg config '{"nosuchknob":1}'
cp "$T/admin" "$T/body"
expect_js "unknown knob refused" '/unknown knob/.test(d.error)'
admin POST lg config '{"fail":[{"page":"x","status":500}]}'
cp "$T/admin" "$T/body"
expect_js "bad knob value refused" '!!d.error'
admin POST lg config '{"gzip":false}'
admin POST lg config '{"delayMs":1}'
cp "$T/admin" "$T/body"
expect_js "config merges" 'd.gzip === false && d.delayMs === 1 && d.maxTop === 1000'
admin GET lg requests
cp "$T/admin" "$T/body"
expect_js "admin calls are not logged" 'd.length === 2'
admin POST lg reset
admin GET lg config
cp "$T/admin" "$T/body"
expect_js "reset: knobs back" 'd.gzip === true && d.delayMs === 0'
admin GET lg requests
cp "$T/admin" "$T/body"
expect_js "reset: log empty" 'd.length === 0'
config iso1 '{"fail":[{"request":1,"status":503}]}'
admin POST iso2 reset
req GET "/s/iso2/v1.0/auditLogs/provisioning?\$top=1"
expect_status "knobs do not leak across scenarios" 200
req GET "/s/iso1/v1.0/auditLogs/provisioning?\$top=1"
expect_status "knob in its own scenario" 503
admin GET iso2 requests
cp "$T/admin" "$T/body"
expect_js "logs are per scenario" 'd.length === 1 && d[0].url.startsWith("/s/iso2/")'

# ---- robustness
printf 'GARBAGE\r\n\r\n' | timeout 2 bash -c "cat >/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
req GET "/v1.0/auditLogs/provisioning/%E0%A4%A"
expect_status "bad escape in a path" 404
req GET "/v1.0/nowhere"
expect_status "unknown segment" 400
req GET "/elsewhere"
expect_status "unknown path" 404
req GET "/v1.0/auditLogs/provisioning?\$top=1"
expect_status "alive after garbage" 200

config th '{"throwError":{"request":1}}'
req GET "/s/th/v1.0/auditLogs/provisioning?\$top=1"
expect_status "exception in a handler: 500" 500
expect_js "exception: Graph error JSON" 'd.error.code === "InternalServerError" && !!d.error.innerError["request-id"]'
req GET "/s/th/v1.0/auditLogs/provisioning?\$top=1"
expect_status "alive after an exception" 200

# ---- file formats
node -e '
  const fs = require("fs");
  const evs = [];
  for (const l of fs.readFileSync(process.argv[1], "utf8").split("\n")) if (l.startsWith("{\"id\"")) evs.push(JSON.parse(l.replace(/,$/, "")));
  fs.writeFileSync(process.argv[2], JSON.stringify(evs));
  fs.writeFileSync(process.argv[3], evs.map((e) => JSON.stringify(e)).join("\n") + "\n");
  fs.writeFileSync(process.argv[4], "\ufeff" + JSON.stringify({ value: evs.slice(0, 3) }) + "\n\n" + JSON.stringify({ value: [] }) + JSON.stringify({ "@odata.context": "x", value: evs.slice(3) }));
' "$T/events.json" "$T/array.json" "$T/lines.ndjson" "$T/pages.json"
for f in array.json lines.ndjson pages.json; do
  start_server "$T/$f" --idle-exit 30
  n=$(curl -s "http://127.0.0.1:$PORT/_mock/ping" | node -e 'let s="";process.stdin.on("data",(c)=>s+=c).on("end",()=>process.stdout.write(String(JSON.parse(s).events)))')
  expect_eq "format $f" "$n" 12
  kill "$SPID" 2>/dev/null
done
printf '{"value":[{"id":1},' >"$T/broken.json"
node "$SERVER" --data "$T/broken.json" --port 0 >/dev/null 2>&1
expect_eq "broken file: exit 1" "$?" 1

# ---- idle exit and parent exit
start_server "$T/events.json" --idle-exit 1
idle_pid=$SPID
gone=0
for _ in $(seq 1 50); do
  if ! kill -0 "$idle_pid" 2>/dev/null; then gone=1; break; fi
  sleep 0.2
done
expect_eq "idle exit" "$gone" 1
sleep 300 &
parent=$!
start_server "$T/events.json" --idle-exit 120 --parent-pid "$parent"
child=$SPID
kill "$parent"
wait "$parent" 2>/dev/null
gone=0
for _ in $(seq 1 50); do
  if ! kill -0 "$child" 2>/dev/null; then gone=1; break; fi
  sleep 0.2
done
expect_eq "exit when the parent is gone" "$gone" 1

# ---- TLS
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1
  start_server "$T/events.json" --idle-exit 30 --tls-key "$T/key.pem" --tls-cert "$T/cert.pem"
  curl -s -k -o "$T/body" "https://127.0.0.1:$PORT/v1.0/auditLogs/provisioning?\$top=2"
  expect_js "https" 'ids === "e01,e02" && d["@odata.nextLink"].startsWith("https://127.0.0.1:")'
  kill "$SPID" 2>/dev/null
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# cache_mock.sh: the response cache (cache='memory' | cache='PATH', cache_ttl
# in seconds), proved by the mock's request log.
#
# For each kind, one sqlite3 process runs, on its own mock scenario:
#   run1   a report (sql/reports/top_error_codes.sql)   -> requests; golden rows
#   run2   the same report again                        -> 0 requests, same rows
#   other  a different query                            -> requests
#   other2 that query again                             -> 0 requests
#   run3   the report after cache_ttl has passed        -> requests again, same rows
#   fail   a scan whose page 2 answers HTTP 500         -> error with HTTP 500 and
#                                                          the request-id, no row
#   rerun  the scan again, fault cleared                -> page 2 and every later
#                                                          page requested; all rows
#   bad    page 2 answers 200 with a cut JSON body      -> error (malformed JSON)
#   badrerun  the same scan (the fault fired once)      -> page 2 requested again,
#                                                          all rows (a body that does
#                                                          not parse is not cached)
#   trunc  page 2 cut by the connection (Content-Length -> error after retries
#          not reached), every time
#   truncrerun  fault cleared                            -> page 2 requested; all rows
# Page 1 of a scan that failed later may come from the cache on the rerun (it
# was a whole successful answer); the test accepts both and prints which.
# Then: a new process with the file cache gets the report with 0 requests
# (the file survives the connection), a new process with cache='memory' does
# not; the token (auth='env:NAME', required by the mock in the file run)
# is never written to the cache file, and another token in the same
# variable is not answered from it.
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD, MOCK_URL.
. "$(dirname "$0")/lib.sh"
need_mock
W=$WORK
TTL=3
REPORT=sql/reports/top_error_codes.sql
FAST="rate_limit=1000, rate_window=1, retry_base=0.1"
TOKEN="cache-test-token-$$-Zq7"
export CACHE_TEST_TOKEN=$TOKEN MOCK_URL W
sanitizer_clean() { ! grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$@"; }

# helpers the sqlite3 shell calls with .shell (plain words only: .shell
# re-quotes its arguments)
cat >"$W/mark.sh" <<'EOF'
# mark.sh SCENARIO LABEL: record how many requests the scenario's log holds now
unset LD_PRELOAD   # the sanitizer preload of the asan mode: not for curl and python
n=$(curl -s -f "$MOCK_URL/_mock/s/$1/requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo "$2 ${n:-ERR} $(date +%s.%N)" >>"$W/marks.$1"
EOF
cat >"$W/knob.sh" <<'EOF'
# knob.sh SCENARIO PRESET: set the mock's fault knobs
unset LD_PRELOAD
case $2 in
  fail500) body='{"fail":[{"page":2,"status":500,"times":-1}]}' ;;
  cutjson) body='{"fail":[{"page":2,"status":200,"body":"{\"value\":[{\"id\":\"cut-here\",","times":1}]}' ;;
  truncate) body='{"truncate":{"page":2}}' ;;
  clear) body='{"fail":[],"truncate":null}' ;;
  *) echo "knob.sh: unknown preset $2"; exit 1 ;;
esac
curl -s -f -X POST -H 'Content-Type: application/json' -d "$body" "$MOCK_URL/_mock/s/$1/config" >/dev/null ||
  echo "KNOB $2 FAILED" >&2
EOF

# the expected answers, from the file source
strip_plan() { grep -v -E '^QUERY PLAN$|^([|` ]  )*[|`]--' "$1"; }
strip_plan tests/sql/report_top_error_codes.expected >"$W/report.rows"
[ "$(wc -l <"$W/report.rows")" -ge 3 ] || bad "no golden rows for the report"
Q_FAIL="SELECT count(*) FROM events WHERE status = 'success';"
Q_BAD="SELECT count(*) FROM events WHERE action = 'update';"
Q_TRUNC="SELECT count(*) FROM events WHERE action = 'create';"
Q_OTHER="SELECT count(*) FROM events WHERE status = 'warning';"
env PROVISIONING_SOURCE= $SQLITE3 -batch -init /dev/null :memory: >"$W/file.out" 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE events USING provisioning_events(source='file:sql/sample/events.json');
$Q_FAIL
$Q_BAD
$Q_TRUNC
$Q_OTHER
SQL
read -r N_FAIL N_BAD N_TRUNC N_OTHER <<<"$(head -4 "$W/file.out" | tr '\n' ' ')"
for n in "$N_FAIL" "$N_BAD" "$N_TRUNC"; do
  # more than one page of 1000, so that page 2 exists
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -gt 1000 ] || { bad "file source counts: $(cat "$W/file.out")"; exit 1; }
done

one_kind() { # kind spec
  local kind=$1 spec=$2 scen="cache.$MODE.$1"
  curl -s -f -X POST "$MOCK_URL/_mock/s/$scen/reset" >/dev/null || { bad "reset $scen"; return; }
  local auth=""
  if [ "$kind" = file ]; then
    # the mock requires the token: the cache must not keep it
    curl -s -f -X POST -H 'Content-Type: application/json' \
      -d "{\"requireAuth\":true,\"staticToken\":\"$TOKEN\"}" "$MOCK_URL/_mock/s/$scen/config" >/dev/null ||
      bad "auth knobs"
    auth=", auth='env:CACHE_TEST_TOKEN'"
  fi
  local create="CREATE VIRTUAL TABLE events USING provisioning_events(source='$MOCK_URL/s/$scen/v1.0', cache='$spec', cache_ttl=$TTL$auth, $FAST);"
  local mark="env -u LD_PRELOAD sh $W/mark.sh $scen" knob="env -u LD_PRELOAD sh $W/knob.sh $scen"
  cat >"$W/$kind.sql" <<SQL
.load $EXT
$create
.headers on
.mode list
.shell $mark start
.print ==run1
.read $REPORT
.shell $mark run1
.print ==run2
.read $REPORT
.shell $mark run2
.headers off
.print ==other
$Q_OTHER
.shell $mark other
.print ==other2
$Q_OTHER
.shell $mark other2
.shell sleep $TTL.5
.headers on
.print ==run3
.read $REPORT
.shell $mark run3
.headers off
.shell $knob fail500
.print ==fail
$Q_FAIL
.shell $mark fail
.shell $knob clear
.print ==rerun
$Q_FAIL
.shell $mark rerun
.shell $knob cutjson
.print ==bad
$Q_BAD
.shell $mark bad
.print ==badrerun
$Q_BAD
.shell $mark badrerun
.shell $knob truncate
.print ==trunc
$Q_TRUNC
.shell $mark trunc
.shell $knob clear
.print ==truncrerun
$Q_TRUNC
.shell $mark truncrerun
.print ==end
SQL
  env PROVISIONING_SOURCE= $SQLITE3 -batch -init /dev/null :memory: <"$W/$kind.sql" >"$W/$kind.out" 2>"$W/$kind.err"
  sanitizer_clean "$W/$kind.out" "$W/$kind.err" || { bad "$kind: sanitizer report"; cat "$W/$kind.err"; }
  grep -q 'KNOB' "$W/$kind.err" && bad "$kind: a knob could not be set"
  curl -s -f "$MOCK_URL/_mock/s/$scen/requests" >"$W/$kind.requests.json" || { bad "$kind: no request log"; return; }
  python3 - "$kind" "$W" "$scen" "$TTL" "$N_FAIL" "$N_BAD" "$N_TRUNC" "$N_OTHER" <<'PY' || fail=1
import json, re, sys
kind, W, scen = sys.argv[1], sys.argv[2], sys.argv[3]
ttl = float(sys.argv[4])
n_fail, n_bad, n_trunc, n_other = sys.argv[5:9]
log = json.load(open(f"{W}/{kind}.requests.json"))
out = open(f"{W}/{kind}.out", encoding="utf-8").read()
err = open(f"{W}/{kind}.err", encoding="utf-8").read()
marks = {}
order = []
for line in open(f"{W}/marks.{scen}"):
    label, n, t = line.split()
    marks[label] = (int(n), float(t))
    order.append(label)
sections = {}
for m in re.finditer(r"^==(\w+)\n(.*?)(?=^==)", out, re.S | re.M):
    sections[m.group(1)] = m.group(2)
golden = open(f"{W}/report.rows", encoding="utf-8").read()
bad = 0

def check(what, ok, detail=""):
    global bad
    print(("ok   " if ok else "FAIL ") + f"{kind}: {what}" + ("" if ok or not detail else f" ({detail})"))
    if not ok:
        bad = 1

def seg(label):
    """the requests logged between the previous mark and this one"""
    i = order.index(label)
    return log[marks[order[i - 1]][0]:marks[label][0]]

def rerun_pages(label, reqs, failed_url, n):
    """after a failure at page 2, the rerun requests every page from 2 on; when
    page 1 came from the cache, its nextLink (the URL that failed) is sent again"""
    pages = -(-int(n) // 1000)
    later = [r for r in reqs if "$skiptoken" in r["query"]]
    first = [r for r in reqs if "$skiptoken" not in r["query"]]
    check(f"{label}: pages 2..{pages} requested, answered 200",
          len(later) == pages - 1 and all(r["status"] == 200 for r in reqs), f"{len(reqs)} requests")
    if first:
        print(f"note {kind}: {label}: page 1 requested again")
    else:
        check(f"{label}: page 1 from the cache, so the URL that failed is requested again",
              failed_url is not None and any(r["url"] == failed_url for r in later))
        print(f"note {kind}: {label}: page 1 served from the cache")

def page2_url(reqs):
    """the URL of the first request with a $skiptoken"""
    for r in reqs:
        if "$skiptoken" in r["query"]:
            return r["url"]
    return None

if "ERR" in open(f"{W}/marks.{scen}").read() or len(order) != 12:
    check("every mark recorded", False, open(f"{W}/marks.{scen}").read())
    sys.exit(1)

r1 = seg("run1")
check("run1: the report sends requests", len(r1) >= 2, f"{len(r1)}")
check("run1: the report's rows are the golden rows", sections.get("run1") == golden)
check("run1: every answer 200", all(r["status"] == 200 for r in r1))
check("run2: the same report again sends no request", len(seg("run2")) == 0, f"{len(seg('run2'))} sent")
check("run2: same rows", sections.get("run2") == golden)
check(f"run1 and run2 took less than cache_ttl={ttl}s", marks["run2"][1] - marks["start"][1] < ttl,
      f"{marks['run2'][1] - marks['start'][1]:.2f}s: this machine is too slow for the test")
check("other: a different query sends requests", len(seg("other")) >= 1)
check("other: its answer", sections.get("other", "").strip() == n_other, sections.get("other"))
check("other2: the different query again sends no request", len(seg("other2")) == 0)
r3 = seg("run3")
check("run3: after the TTL the report sends requests again", len(r3) == len(r1), f"{len(r3)} sent, run1 sent {len(r1)}")
check("run3: the same first-page URLs as run1",
      [r["url"] for r in r3 if "$skiptoken" not in r["query"]] == [r["url"] for r in r1 if "$skiptoken" not in r["query"]])
check("run3: same rows", sections.get("run3") == golden)

# a failure in the middle of a scan: nothing of it served later
f = seg("fail")
failed = [r for r in f if r["status"] == 500]
check("fail: page 2 answered 500", len(failed) >= 1 and "$skiptoken" in failed[0]["query"])
check("fail: no row", sections.get("fail", "x").strip() == "", sections.get("fail"))
m500 = re.search(r"HTTP 500\b.*request-id [0-9a-f-]{36}", err)
check("fail: the error names HTTP 500 and the request-id", m500 is not None, err[:300])
rr = seg("rerun")
check("rerun: all rows", sections.get("rerun", "").strip() == n_fail, sections.get("rerun"))
rerun_pages("rerun", rr, failed[0]["url"] if failed else None, n_fail)

b = seg("bad")
check("bad: page 2 answered 200 with a cut body", any("$skiptoken" in r["query"] and r["status"] == 200 for r in b))
check("bad: no row", sections.get("bad", "x").strip() == "", sections.get("bad"))
check("bad: the error says malformed JSON", re.search(r"page 2 of GET .*malformed JSON", err) is not None)
br = seg("badrerun")
check("badrerun: all rows (the cut page is not served from the cache)",
      sections.get("badrerun", "").strip() == n_bad, (sections.get("badrerun") or "").strip() or "no row")
rerun_pages("badrerun", br, page2_url(b), n_bad)

t = seg("trunc")
check("trunc: page 2 cut, retried, given up", len([r for r in t if "$skiptoken" in r["query"]]) >= 2)
check("trunc: no row", sections.get("trunc", "x").strip() == "", sections.get("trunc"))
check("trunc: the error names the cut transfer", re.search(r"partial file|transfer closed", err) is not None)
tr = seg("truncrerun")
check("truncrerun: all rows", sections.get("truncrerun", "").strip() == n_trunc, sections.get("truncrerun"))
rerun_pages("truncrerun", tr, page2_url(t), n_trunc)
sys.exit(bad)
PY

  # a new connection, in a new process
  local scen2="$scen" before after
  before=$(curl -s -f "$MOCK_URL/_mock/s/$scen2/requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  { echo ".load $EXT"; echo "${create/cache_ttl=$TTL/cache_ttl=3600}"; echo ".headers on"; echo ".mode list"; cat "$REPORT"; } |
    env PROVISIONING_SOURCE= $SQLITE3 -batch -init /dev/null :memory: >"$W/$kind.new.out" 2>"$W/$kind.new.err"
  sanitizer_clean "$W/$kind.new.out" "$W/$kind.new.err" || { bad "$kind: new process: sanitizer report"; cat "$W/$kind.new.err"; }
  [ -s "$W/$kind.new.err" ] && ! grep -q Sanitizer "$W/$kind.new.err" && { bad "$kind: new process: errors"; cat "$W/$kind.new.err"; }
  after=$(curl -s -f "$MOCK_URL/_mock/s/$scen2/requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  if cmp -s "$W/report.rows" "$W/$kind.new.out"; then
    echo "ok   $kind: a new process gets the report's rows"
  else
    bad "$kind: a new process's report"; diff "$W/report.rows" "$W/$kind.new.out" | head -20
  fi
  if [ "$kind" = file ]; then
    [ "$((after - before))" = 0 ] && echo "ok   file: a new process reads the report from the cache file (0 requests)" ||
      bad "file: a new process sent $((after - before)) requests: the cache file did not serve them"
    n=$(sqlite3 "$spec" "SELECT count(*) FROM provisioning_cache" 2>&1)
    [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 3 ] && echo "ok   file: $n entries in $spec" || bad "file: cache entries: $n"
    if grep -a -q -F "$TOKEN" "$spec"; then bad "file: the token is in the cache file"; else echo "ok   file: the token is not in the cache file"; fi
    # the key holds whose token it is: another token in the same variable
    # (another user, or a revoked one) is not answered from the cache; the
    # mock refuses that token, so the report fails with its 401
    before=$after
    { echo ".load $EXT"; echo "${create/cache_ttl=$TTL/cache_ttl=3600}"; cat "$REPORT"; } |
      env PROVISIONING_SOURCE= CACHE_TEST_TOKEN="other-$TOKEN" $SQLITE3 -batch -init /dev/null :memory: \
        >"$W/$kind.other.out" 2>"$W/$kind.other.err"
    after=$(curl -s -f "$MOCK_URL/_mock/s/$scen2/requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    if [ "$((after - before))" -ge 1 ] && grep -q "HTTP 401" "$W/$kind.other.err" && [ ! -s "$W/$kind.other.out" ]; then
      echo "ok   file: another token is not served from the cache (request sent, HTTP 401, no row)"
    else
      bad "file: another token: $((after - before)) requests, rows: $(head -3 "$W/$kind.other.out"), err: $(head -3 "$W/$kind.other.err")"
    fi
  else
    [ "$((after - before))" -ge 2 ] && echo "ok   memory: a new process sends requests (the memory cache is per process)" ||
      bad "memory: a new process sent $((after - before)) requests"
  fi
}

one_kind memory memory
one_kind file "$W/cache.db"

[ $fail = 0 ] && echo "all ok"
finish

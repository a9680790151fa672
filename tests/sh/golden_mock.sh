#!/usr/bin/env bash
# golden_mock.sh: the golden report tests give the same rows against the mock
# Graph server as against the file source, and the requests sent carry the
# OData query the golden EXPLAIN shows for a Graph source.
#
# For each tests/sql/report_*.sql that creates ev on sql/sample/events.json
# (the file the runner's mock serves), the same script runs with the table on
# "$MOCK_URL/s/golden.MODE.NAME/v1.0" (a fresh scenario per report), without
# .eqp and without the trailing EXPLAIN-over-Graph part; its output must equal
# the .expected file with the plan lines removed. Then the scenario's request
# log must hold, for each Graph plan line of the .expected file, a request with
# the same $select, $orderby and $top and a $filter holding the same
# conditions (a bound ?N becomes a literal on the wire, so only the text before
# it is compared). Two reports run again with a small page_max (many
# nextLinks). tests/sql/pushdown_file.sql (without its EXPLAIN and scan-stats
# statements) must give the same output on both sources.
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD, MOCK_URL.
. "$(dirname "$0")/lib.sh"
need_mock
W=$WORK
FAST="rate_limit=1000, rate_window=1"   # pacing must not slow the test down
nrep=0

subst() { # in out: the runner's substitutions
  sed -e "s|@MOCK@|$MOCK_URL|g" -e "s|@ROOT@|$ROOT|g" -e "s|@EXT@|$EXT|g" -e "s|@BUILD@|$BUILD|g" "$1" >"$2"
}
run_sql() { # script out
  env PROVISIONING_SOURCE= $SQLITE3 -batch -init /dev/null :memory: <"$1" >"$2" 2>&1
  local st=$?
  if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$2"; then
    cat "$2"; return 1
  fi
  return $st
}
scenario_reset() { curl -s -f -X POST "$MOCK_URL/_mock/s/$1/reset" >/dev/null || bad "reset of scenario $1"; }
# drop the plan lines that .eqp on / EXPLAIN QUERY PLAN print
strip_plan() { grep -v -E '^QUERY PLAN$|^([|` ]  )*[|`]--' "$1"; }

# mock_variant src out scenario options: the test script on the mock, rows only
mock_variant() {
  subst "$1" "$2.tmp"
  awk '/^\.eqp off/ { exit } /^\.eqp on/ { next } { print }' "$2.tmp" |
    sed "s|source='file:sql/sample/events.json'|source='$MOCK_URL/s/$3/v1.0', $4|" >"$2"
  rm -f "$2.tmp"
  grep -q "source='$MOCK_URL/s/$3/v1.0'" "$2" || { bad "$2: the table was not pointed at the mock"; return 1; }
}

check_wire() { # expected requests.json: the Graph plan's query was sent
  python3 - "$1" "$2" <<'PY'
import json, re, sys
exp, log = sys.argv[1], json.load(open(sys.argv[2]))
gets = [r for r in log if r["method"] == "GET"]
bad = 0
for r in log:
    if r["status"] != 200:
        print("FAIL request answered %s: %s" % (r["status"], r["url"])); bad = 1
wanted = []
for line in open(exp, encoding="utf-8"):
    m = re.search(r"VIRTUAL TABLE INDEX \d+:(.*)$", line)
    if not m or "$top=" not in m.group(1):
        continue  # the file source's plan, or no query
    opts = {}
    for part in m.group(1).split("&$"):
        k, _, v = part.lstrip("$").partition("=")
        opts["$" + k] = v
    wanted.append(opts)
if not wanted:
    print("FAIL %s has no Graph plan line" % exp); sys.exit(1)
nfilter = 0
for w in wanted:
    conds = w["$filter"].split(" and ") if "$filter" in w else []
    def matches(q):
        for k in ("$select", "$orderby"):
            if q.get(k) != w.get(k):
                return False
        # the plan shows page_max when the LIMIT is not known yet (a subquery's
        # LIMIT 1 is sent as $top=1)
        if not (q.get("$top", "").isdigit() and 1 <= int(q["$top"]) <= int(w["$top"])):
            return False
        if ("$filter" in q) != bool(conds):
            return False
        for c in conds:
            c = c.split("?")[0] if re.search(r"\?\d", c) else c
            if c not in q["$filter"]:
                return False
        return True
    hits = [r for r in gets if "$skiptoken" not in r["query"] and matches(r["query"])]
    if hits:
        print("ok   sent: %s" % hits[0]["query"])
        if conds:
            nfilter += 1
    else:
        print("FAIL no request with %s; sent:" % w)
        for r in gets:
            print("     %s" % r["query"])
        bad = 1
print("requests: %d, checked plan lines: %d, with $filter: %d" % (len(log), len(wanted), nfilter))
sys.exit(bad)
PY
}

for t in tests/sql/report_*.sql; do
  grep -q "source='file:sql/sample/events.json'" "$t" || continue   # e.g. report_crosscheck (json_each)
  name=$(basename "$t" .sql)
  expected=${t%.sql}.expected
  scen="golden.$MODE.$name"
  nrep=$((nrep + 1))
  scenario_reset "$scen"
  mock_variant "$t" "$W/$name.sql" "$scen" "page_max=1000, $FAST" || continue
  if ! run_sql "$W/$name.sql" "$W/$name.out"; then bad "$name: sqlite3 failed"; cat "$W/$name.out"; continue; fi
  strip_plan "$expected" >"$W/$name.rows"
  [ "$(wc -l <"$W/$name.rows")" -ge 2 ] || bad "$name: fewer than 2 lines (header + rows) in $expected"
  if diff -u "$W/$name.rows" "$W/$name.out" >"$W/$name.diff"; then
    echo "ok   $name: $(($(wc -l <"$W/$name.out") - 1)) rows from the mock = $expected"
  else
    bad "$name: the mock's rows differ from $expected"; cat "$W/$name.diff"
  fi
  curl -s -f "$MOCK_URL/_mock/s/$scen/requests" >"$W/$name.requests.json" || { bad "$name: no request log"; continue; }
  check_wire "$expected" "$W/$name.requests.json" || bad "$name: the requests sent are not the golden plan's"
done
[ $nrep -ge 9 ] || bad "only $nrep report goldens found"

# ---- small pages: the same rows across many nextLinks
for name in report_top_error_codes report_step_funnel; do
  scen="golden.$MODE.$name.p137"
  scenario_reset "$scen"
  mock_variant "tests/sql/$name.sql" "$W/$name.p137.sql" "$scen" "page_max=137, $FAST" || continue
  if ! run_sql "$W/$name.p137.sql" "$W/$name.p137.out"; then bad "$name page_max=137: sqlite3 failed"; cat "$W/$name.p137.out"; continue; fi
  if diff -u "$W/$name.rows" "$W/$name.p137.out" >"$W/$name.p137.diff"; then
    n=$(curl -s "$MOCK_URL/_mock/s/$scen/requests" | grep -o '"\$skiptoken"' | wc -l)
    if [ "$n" -ge 5 ]; then
      echo "ok   $name with page_max=137: same rows over $n nextLinks"
    else
      bad "$name with page_max=137: only $n nextLinks followed"
    fi
  else
    bad "$name page_max=137: rows differ"; cat "$W/$name.p137.diff"
  fi
done

# ---- pushdown_file.sql: its queries (not the plans, not the scan counters)
scen="golden.$MODE.pushdown_file"
scenario_reset "$scen"
subst tests/sql/pushdown_file.sql "$W/pushdown_file.file.sql"
grep -v -E '^EXPLAIN|provisioning_scan_stats' "$W/pushdown_file.file.sql" >"$W/pushdown_file.file.q.sql"
mock_variant "$W/pushdown_file.file.q.sql" "$W/pushdown_file.mock.sql" "$scen" "page_max=1000, $FAST"
if run_sql "$W/pushdown_file.file.q.sql" "$W/pushdown_file.file.out" &&
   run_sql "$W/pushdown_file.mock.sql" "$W/pushdown_file.mock.out"; then
  n=$(wc -l <"$W/pushdown_file.file.out")
  [ "$n" -ge 10 ] || bad "pushdown_file: only $n lines of output"
  if diff -u "$W/pushdown_file.file.out" "$W/pushdown_file.mock.out" >"$W/pushdown_file.diff"; then
    echo "ok   pushdown_file: $n lines, file = mock"
  else
    bad "pushdown_file: the mock's output differs from the file source's"; cat "$W/pushdown_file.diff"
  fi
  # the pushed conditions reached the wire, exactly (first pages only)
  curl -s -f "$MOCK_URL/_mock/s/$scen/requests" >"$W/pushdown_file.requests.json"
  python3 - "$W/pushdown_file.requests.json" <<'PY' || bad "pushdown_file: the queries sent are not the expected ones"
import json, sys
log = json.load(open(sys.argv[1]))
sent = [r["query"] for r in log if r["method"] == "GET" and "$skiptoken" not in r["query"]]
want = [
    # the documented profile, no `or`, no $select; '2024-06-01' is midnight UTC
    # (provisioning_time): after it is gt, exactly
    {"$filter": "provisioningStatusInfo/status eq 'failure' and activityDateTime gt 2024-06-01T00:00:00.0000000Z",
     "$orderby": "activityDateTime desc", "$top": "5"},
    # IN: one eq request per value
    {"$filter": "provisioningAction eq 'delete' and contains(targetIdentity/displayName,'Brien')", "$top": "1000"},
    {"$filter": "provisioningAction eq 'disable' and contains(targetIdentity/displayName,'Brien')", "$top": "1000"},
    # LIKE ignores case and NOCASE is not Graph's: nothing is sent for them
    {"$top": "1000"},
    {"$top": "1000"},
    {"$filter": "contains(jobId,'AAD2AAD')", "$top": "1000"},
    # OR across columns: one scan per branch
    {"$filter": "provisioningStatusInfo/status eq 'failure'", "$top": "1000"},
    {"$filter": "durationInMilliseconds gt 20000", "$top": "1000"},
    {"$top": "1000"},
    {"$orderby": "activityDateTime asc", "$top": "5"},
]
bad = [r for r in log if r["status"] != 200]
for r in bad:
    print("FAIL answered %s: %s" % (r["status"], r["url"]))
if sent != want:
    print("FAIL first-page queries sent:")
    for q in sent:
        print("     %s" % q)
    sys.exit(1)
print("ok   pushdown_file: the %d first-page queries sent are the expected ones" % len(sent))
sys.exit(1 if bad else 0)
PY
else
  bad "pushdown_file: sqlite3 failed"; cat "$W/pushdown_file.file.out" "$W/pushdown_file.mock.out"
fi

[ $fail = 0 ] && echo "all ok ($nrep reports)"
finish

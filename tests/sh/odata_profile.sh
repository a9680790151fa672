#!/usr/bin/env bash
# odata_profile.sh: Graph gets only the OData Microsoft documents, and no
# wasted requests (issue 16). A mock of its own (strict: it answers 400 to
# `or`, $select and Int32 literals out of range) serves 2,500 generated
# events; each case runs in its own sqlite3 process, on its own scenario,
# and its rows must equal those of the same query on a file table of the
# same events. Checked from the mock's request log:
#   - the exact query options of representative queries under the default
#     profile (>=, <=, BETWEEN on times and durations, IN as one eq request
#     per value, few columns without $select, LIMIT with and without the
#     order, Int32 decided locally);
#   - ORDER BY duration_ms DESC LIMIT 10 takes at most 4 requests;
#   - nothing sent by the default profile holds or, ge, le, ne, in, $select
#     or an out-of-range integer;
#   - odata=extended against the mock that refuses `or` and $select: the
#     queries succeed with one refused request per form, remembered for the
#     process (a second query sends neither), reported by
#     provisioning_scan_stats() and the trace; a documented form refused
#     once (contains) is dropped the same way; a 400 for anything else
#     stays an error, after a single request.
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD.
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || { echo "node missing"; exit 77; }
[ -d tests/mockgraph/node_modules ] || { echo "mock dependencies missing (make mock-deps)"; exit 77; }
W=$WORK
ev="$W/events.json"
build/gen_events --count 2500 --seed 16 --out "$ev" >/dev/null || { echo "gen_events failed"; exit 1; }
start_mock "$ev"
U=$OWN_MOCK_URL
FAST="rate_limit=1000, rate_window=1"

mock() { env -u LD_PRELOAD curl -s -f "$@"; }
# run NAME OPTIONS SQL...: the statements on table g (scenario NAME, extra
# options) and on table f (the file); output in $W/NAME.{g,f}, trace in $W/NAME.err
run() {
  local name=$1 opts=$2
  shift 2
  mock -X POST "$U/_mock/s/$name/reset" >/dev/null || { echo "FAIL reset $name"; fail=1; }
  [ -n "${KNOBS:-}" ] && { mock -X POST -H 'Content-Type: application/json' -d "$KNOBS" "$U/_mock/s/$name/config" >/dev/null ||
    { echo "FAIL config $name"; fail=1; }; }
  for t in g f; do
    {
      echo ".load $EXT"
      if [ $t = g ]; then
        echo "CREATE VIRTUAL TABLE g USING provisioning_events(source='$U/s/$name/v1.0', $FAST$opts);"
      else
        echo "CREATE VIRTUAL TABLE g USING provisioning_events(source='file:$ev');"
      fi
      for q in "$@"; do echo "$q"; done
    } >"$W/$name.$t.sql"
    env PROVISIONING_SOURCE= PROVISIONING_TRACE=1 $SQLITE3 -batch -init /dev/null :memory: <"$W/$name.$t.sql" \
      >"$W/$name.$t" 2>"$W/$name.$t.err"
  done
  mock "$U/_mock/s/$name/requests" >"$W/$name.log" || { echo "FAIL no log for $name"; fail=1; }
}
STATS="SELECT json_extract(provisioning_scan_stats(), '\$.refused_requests', '\$.refused_forms');"

run ge_time "" "SELECT id, status FROM g WHERE status = 'failure' AND activity_date_time >= '2024-06-10' ORDER BY activity_date_time DESC LIMIT 5;"
run between_time "" "SELECT count(*) FROM g WHERE activity_date_time BETWEEN '2024-06-10' AND '2024-06-12 06:00:00.0000000';"
run le_time "" "SELECT count(*) FROM g WHERE activity_date_time <= '2024-06-12 06:00:00.0000000';"
run between_int "" "SELECT count(*) FROM g WHERE duration_ms BETWEEN 500 AND 1000;"
run in_list "" "SELECT count(*), count(DISTINCT id) FROM g WHERE action IN ('delete', 'disable', 'delete');"
run in_status "" "SELECT count(*) FROM g WHERE status IN ('failure', 'Failure');"
run in_long "" "SELECT count(*) FROM g WHERE duration_ms IN (1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20);"
run int32_never "" "SELECT count(*) FROM g WHERE duration_ms > 5000000000;" \
  "SELECT count(*) FROM g WHERE duration_ms = -5000000000;" "SELECT count(*) FROM g WHERE duration_ms >= 2147483648;"
run int32_always "" "SELECT count(*) FROM g WHERE duration_ms < 5000000000;" \
  "SELECT count(*) FROM g WHERE duration_ms > -2147483649 AND duration_ms <= 2147483647;"
run few_columns "" "SELECT id, status FROM g LIMIT 3;"
run order_not_time "" "SELECT id, duration_ms FROM g ORDER BY duration_ms DESC, id LIMIT 10;"
run order_time_offset "" "SELECT id FROM g ORDER BY activity_date_time DESC LIMIT 10 OFFSET 5;"
run limit_no_order "" "SELECT count(*) FROM (SELECT id FROM g LIMIT 7);"
run distinct_group "" "SELECT DISTINCT status FROM g ORDER BY status LIMIT 2;" \
  "SELECT action, count(*) FROM g GROUP BY action ORDER BY 2 DESC LIMIT 1;"
# odata=extended against the mock that refuses `or` and $select (its default)
run learn_extended ", odata=extended" \
  "SELECT count(*) FROM g WHERE action IN ('delete', 'disable') AND activity_date_time >= '2024-06-10';" "$STATS" \
  "SELECT id, action FROM g WHERE job_id IN ('a', 'b') OR status = 'failure' LIMIT 3;" "$STATS" \
  "SELECT count(*) FROM g WHERE status IN ('failure', 'warning') AND duration_ms BETWEEN 100 AND 900;" "$STATS"
# a documented form a tenant still refuses, once
KNOBS='{"refuse":[{"form":"contains"}]}' run learn_contains "" \
  "SELECT count(*) FROM g WHERE provisioning_contains(job_id, 'AAD');" "$STATS" \
  "SELECT count(*) FROM g WHERE provisioning_contains(job_id, 'AAD') AND status = 'failure';" "$STATS"
# a 400 for anything else stays an error
KNOBS='{"fail":[{"page":1,"status":400,"message":"Invalid tenant."}]}' run other_400 "" \
  "SELECT count(*) FROM g WHERE status = 'failure';"

env -u LD_PRELOAD python3 - "$W" <<'PY' || fail=1
import json, os, re, sys
W = sys.argv[1]
bad = 0
def check(what, ok, detail=""):
    global bad
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f": {detail}"))
    bad |= not ok
def log(name):
    return json.load(open(f"{W}/{name}.log"))
def first(name):  # the query options of each request without a skiptoken
    return [r["query"] for r in log(name) if "$skiptoken" not in r["query"]]
def out(name, t="g"):
    return open(f"{W}/{name}.{t}").read()
def same_rows(name):  # (the scan stats lines aside)
    g, f = [re.sub(r"(?m)^\[.*\n", "", out(name, t)) for t in ("g", "f")]
    check(f"{name}: rows as from the file", g == f and "Error" not in g and g.strip() != "", f"mock {g!r} file {f!r}")

for n in ["ge_time", "between_time", "le_time", "between_int", "in_list", "in_status", "in_long", "int32_never",
          "int32_always", "few_columns", "order_not_time", "order_time_offset", "limit_no_order", "distinct_group"]:
    same_rows(n)
    check(f"{n}: every request answered 200", all(r["status"] == 200 for r in log(n)),
          [(r["status"], r["url"]) for r in log(n) if r["status"] != 200])

check("ge_time: >= t is gt t - 100 ns, with the order and the LIMIT", first("ge_time") == [{
    "$filter": "provisioningStatusInfo/status eq 'failure' and activityDateTime gt 2024-06-09T23:59:59.9999999Z",
    "$orderby": "activityDateTime desc", "$top": "5"}], first("ge_time"))
check("between_time: gt t1 - 100 ns and lt t2 + 100 ns", first("between_time") == [{
    "$filter": "activityDateTime gt 2024-06-09T23:59:59.9999999Z and activityDateTime lt 2024-06-12T06:00:00.0000001Z",
    "$top": "1000"}], first("between_time"))
check("le_time: <= t is lt t + 100 ns", first("le_time") == [{
    "$filter": "activityDateTime lt 2024-06-12T06:00:00.0000001Z", "$top": "1000"}], first("le_time"))
check("between_int: gt n-1 and lt n+1", first("between_int") == [{
    "$filter": "durationInMilliseconds gt 499 and durationInMilliseconds lt 1001", "$top": "1000"}],
    first("between_int"))
check("in_list: one eq request per distinct value", first("in_list") == [
    {"$filter": "provisioningAction eq 'delete'", "$top": "1000"},
    {"$filter": "provisioningAction eq 'disable'", "$top": "1000"}], first("in_list"))
check("in_list: no row twice", out("in_list").split("|")[0] == out("in_list").split("|")[1].strip(), out("in_list"))
# 'Failure' is no member of Graph's enumeration: that IN stays with SQLite
check("in_status: a value outside the enumeration keeps the IN local", first("in_status") == [{"$top": "1000"}],
      first("in_status"))
check("in_long: a long IN list stays with SQLite (one scan)", first("in_long") == [{"$top": "1000"}], first("in_long"))
check("int32_never: decided locally, no request", log("int32_never") == [] and out("int32_never") == "0\n0\n0\n",
      (out("int32_never"), [r["url"] for r in log("int32_never")]))
check("int32_always: the literal is not sent", first("int32_always") == [{"$top": "1000"}, {"$top": "1000"}],
      first("int32_always"))
check("few_columns: no $select, the LIMIT as $top", first("few_columns") == [{"$top": "3"}], first("few_columns"))
n_order = len(log("order_not_time"))
check("ORDER BY duration_ms DESC LIMIT 10 over 2,500 events: at most 4 requests", n_order <= 4, n_order)
check("order_not_time: full pages, no $top=10", first("order_not_time") == [{"$top": "1000"}], first("order_not_time"))
check("order_time_offset: LIMIT + OFFSET with the order", first("order_time_offset") == [
    {"$orderby": "activityDateTime desc", "$top": "15"}], first("order_time_offset"))
check("limit_no_order: $top from the LIMIT", first("limit_no_order") == [{"$top": "7"}], first("limit_no_order"))
check("distinct_group: full pages", first("distinct_group") == [{"$top": "1000"}, {"$top": "1000"}],
      first("distinct_group"))

# nothing undocumented under the default profile
default = [n for n in os.listdir(W) if n.endswith(".log") and n != "mock.log" and not n.startswith(("learn_", "other_"))]
sent = [r for n in default for r in json.load(open(f"{W}/{n}"))]
undoc = []
for r in sent:
    q = r["query"]
    f = q.get("$filter", "")
    f_outside = re.sub(r"'(?:[^']|'')*'", "''", f)
    if "$select" in q or re.search(r"\b(or|ge|le|ne|in|not)\b", f_outside) or any(
            not (-2**31 <= int(x) < 2**31) for x in re.findall(r"(?<![\w.:-])-?\d+(?![\w.:-])", f_outside)):
        undoc.append(r["url"])
check(f"default profile: {len(sent)} requests, none with or/ge/le/ne/in/$select/out-of-range literal", not undoc, undoc)

# learning from refusals
L = log("learn_extended")
refused = [r for r in L if r["status"] == 400]
same_rows("learn_extended")
check("learn_extended: one refused request per form (or, $select)", len(refused) == 2 and
      "or" in refused[0]["query"].get("$filter", "") and "$select" in refused[1]["query"], [r["url"] for r in refused])
check("learn_extended: refused first, then never sent again",
      all(r["status"] == 200 for r in L[2:]) and all("$select" not in r["query"] and
          not re.search(r"\bor\b", re.sub(r"'(?:[^']|'')*'", "", r["query"].get("$filter", ""))) for r in L[2:]),
      [r["url"] for r in L])
stats = out("learn_extended").splitlines()
check("learn_extended: scan stats report the refusals, then the forms left out",
      stats[1] == '[2,["or","$select"]]' and stats[5] == '[0,["or","$select"]]' and stats[7] == '[0,["or","$select"]]',
      stats)
err = open(f"{W}/learn_extended.g.err").read()
check("learn_extended: the trace says so", "refused `or`" in err and "refused `$select`" in err
      and "not sent there again" in err, err[-2000:])
L = log("learn_contains")
same_rows("learn_contains")
check("learn_contains: contains refused once, retried without it, not sent again",
      [r["status"] for r in L][:2] == [400, 200] and "contains(" in L[0]["query"].get("$filter", "")
      and all("contains(" not in r["query"].get("$filter", "") for r in L[1:]), [(r["status"], r["url"]) for r in L])
stats = out("learn_contains").splitlines()
check("learn_contains: scan stats", stats[1] == '[1,["contains"]]' and stats[3] == '[0,["contains"]]', stats)
L = log("other_400")
o = out("other_400") + open(f"{W}/other_400.g.err").read()
check("other_400: an error, after one request", len(L) == 1 and "HTTP 400" in o and "Invalid tenant." in o, (o, len(L)))
sys.exit(1 if bad else 0)
PY
finish

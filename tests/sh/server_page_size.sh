#!/usr/bin/env bash
# server_page_size.sh: full scans ask for the largest page ($top=1000 by
# default, page_max=) and take what the server answers: a server whose
# pages hold at most 300 events still gives every row, by nextLinks; a
# pushed LIMIT 500 asks $top=500, follows one nextLink and stops there.
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD, MOCK_URL.
. "$(dirname "$0")/lib.sh"
need_mock
for scen in "pagesize.$MODE.full" "pagesize.$MODE.limit"; do
  env -u LD_PRELOAD curl -s -f -X POST "$MOCK_URL/_mock/s/$scen/reset" >/dev/null &&
    env -u LD_PRELOAD curl -s -f -X POST -H 'Content-Type: application/json' -d '{"maxTop":300}' \
      "$MOCK_URL/_mock/s/$scen/config" >/dev/null || { echo "cannot set up $scen"; exit 1; }
done
out=$(env PROVISIONING_SOURCE= $SQLITE3 -batch -init /dev/null :memory: 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE f USING provisioning_events(source='$MOCK_URL/s/pagesize.$MODE.full/v1.0', rate_limit=1000, rate_window=1);
CREATE VIRTUAL TABLE l USING provisioning_events(source='$MOCK_URL/s/pagesize.$MODE.limit/v1.0', rate_limit=1000, rate_window=1);
SELECT count(*), count(DISTINCT id) FROM f;
SELECT count(*) FROM (SELECT id FROM l LIMIT 500);
SQL
)
full=$(env -u LD_PRELOAD curl -s -f "$MOCK_URL/_mock/s/pagesize.$MODE.full/requests")
lim=$(env -u LD_PRELOAD curl -s -f "$MOCK_URL/_mock/s/pagesize.$MODE.limit/requests")
env -u LD_PRELOAD python3 - "$out" "$full" "$lim" <<'PY'
import json, sys
out, full, lim = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
bad = 0
def check(what, ok, detail=""):
    global bad
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f": {detail}"))
    bad |= not ok
check("rows: every event once, then the LIMIT", out.splitlines() == ["10000|10000", "500"], out)
check("full scan: 34 requests of 300 (10,000 events)", len(full) == 34, len(full))
check("full scan: the first asks $top=1000", bool(full) and full[0]["query"].get("$top") == "1000",
      full[0]["query"] if full else "")
check("full scan: the others follow nextLinks", all("$skiptoken" in e["query"] for e in full[1:]))
check("LIMIT 500: $top=500, then one nextLink", len(lim) == 2 and lim[0]["query"].get("$top") == "500"
      and "$skiptoken" in lim[1]["query"], [e["url"] for e in lim])
sys.exit(1 if bad else 0)
PY

#!/usr/bin/env bash
# keepalive.sh: one table keeps one connection. Two statements that read
# ten pages each (the next page requested while the current one is read)
# reach the mock over a single kept-alive connection: the mock logs each
# request's client port (conn), and all twenty share it. Also: every
# request asked for gzip.
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD, MOCK_URL.
. "$(dirname "$0")/lib.sh"
need_mock
scen="keepalive.$MODE"
curl -s -f -X POST "$MOCK_URL/_mock/s/$scen/reset" >/dev/null || { echo "cannot reset the mock scenario"; exit 1; }
out=$(env PROVISIONING_SOURCE= $SQLITE3 -batch -init /dev/null :memory: 2>&1 <<SQL
.load $EXT
CREATE VIRTUAL TABLE g USING provisioning_events(source='$MOCK_URL/s/$scen/v1.0', page_size=1000, rate_limit=1000, rate_window=1);
SELECT count(*), sum(length(id)) FROM g;
SELECT count(*) FROM g WHERE status <> 'none';
SQL
)
log=$(env -u LD_PRELOAD curl -s -f "$MOCK_URL/_mock/s/$scen/requests")
env -u LD_PRELOAD python3 - "$out" "$log" <<'PY'
import json, sys
out, log = sys.argv[1], json.loads(sys.argv[2])
bad = 0
def check(what, ok, detail=""):
    global bad
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f": {detail}"))
    bad |= not ok
lines = out.splitlines()
check("both statements read every event", lines == ["10000|360000", "10000"], out)
check("twenty requests (ten pages each)", len(log) == 20, len(log))
conns = sorted({e["conn"] for e in log})
check("one connection for all of them", len(conns) == 1, conns)
check("every request asked for gzip", all("gzip" in e["headers"].get("accept-encoding", "") for e in log))
sys.exit(1 if bad else 0)
PY

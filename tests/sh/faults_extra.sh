#!/usr/bin/env bash
# faults_extra.sh: injected faults of issue 4 (retries, errors, security)
# that tests/unit/test_http.c does not cover, each with its documented
# outcome, through the sqlite3 shell; the mock's request log is the proof of
# what went over the wire.
#
#   504 on a GET                 retried once (Retry-Attempt: 1), full result
#   429 without Retry-After      retried after the back-off (>= retry_base)
#   Retry-After as a future HTTP date   honoured (not the 30 s back-off)
#   back-off                     waits retry_base * 2^k * (1 + 0..25 % jitter),
#                                as the trace prints them, and the mock saw the gaps
#   max_wait reached by back-off gives up with a message naming max_wait
#   default max_retries          3 retries, then "gave up after 3 retries"
#   connection reset on page 2   page 2 retried (only it), full result
#   503 on page 3                page 3 retried (only it), full result
#   500 on page 3 of 5           SELECT count(*) fails naming HTTP 500 and the
#                                request-id, no row; 500 is not retried
#   connection refused           "connection error", retried, then given up
#   connect time-out             "time-out ... connect_timeout=1" within seconds
#                                (a listener whose accept queue is full)
#   https source, http nextLink on the same host and port   refused
#                                (another origin), nothing more requested
# Env from tests/run.sh: ROOT, MODE, EXT, SQLITE3, RUN_ENV, BUILD, MOCK_URL.
. "$(dirname "$0")/lib.sh"
need_mock
W=$WORK
FAST="rate_limit=1000, rate_window=1"

scen() { # name knobs-json: a fresh scenario with these knobs
  curl -s -f -X POST "$MOCK_URL/_mock/s/$1/reset" >/dev/null &&
    curl -s -f -X POST -H 'Content-Type: application/json' -d "$2" "$MOCK_URL/_mock/s/$1/config" >/dev/null ||
    bad "could not set up scenario $1"
}
sq_case() { # name source options sql [env...]: run sql on a table ev, stdout/stderr to $W/name.out/.err
  local name=$1 src=$2 opts=$3 sql=$4; shift 4
  local t0 t1
  t0=$(date +%s.%N)
  printf '.load %s\nCREATE VIRTUAL TABLE ev USING provisioning_events(source=%s%s);\n%s\n' "$EXT" "'$src'" "$opts" "$sql" |
    env PROVISIONING_SOURCE= "$@" $SQLITE3 -batch -init /dev/null :memory: >"$W/$name.out" 2>"$W/$name.err"
  t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }' >"$W/$name.time"
  if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$W/$name.out" "$W/$name.err"; then
    bad "$name: sanitizer report"; cat "$W/$name.err"
  fi
}
# check_log name what scenario python-expression: the expression sees log (the
# scenario's requests), out, err (the shell's output) and secs (elapsed)
check_log() {
  local name=$1 what=$2 sc=$3 expr=$4
  if [ -n "$sc" ]; then curl -s -f "$MOCK_URL/_mock/s/$sc/requests" >"$W/$name.log.json" || echo '[]' >"$W/$name.log.json"
  else echo '[]' >"$W/$name.log.json"; fi
  if python3 - "$W" "$name" "$expr" <<'PY'; then echo "ok   $name: $what"; else bad "$name: $what"; fi
import json, re, sys
W, name, expr = sys.argv[1:4]
log = json.load(open(f"{W}/{name}.log.json"))
out = open(f"{W}/{name}.out", encoding="utf-8", errors="replace").read()
err = open(f"{W}/{name}.err", encoding="utf-8", errors="replace").read()
secs = float(open(f"{W}/{name}.time").read())
st = [r["status"] for r in log]
urls = [r["url"] for r in log]
def gap(i):  # ms between request i-1 and i
    return log[i]["time"] - log[i - 1]["time"]
ok = eval("(" + expr.strip() + ")")
if not ok:
    print(f"  expression: {expr}\n  out: {out.strip()[:300]}\n  err: {err.strip()[:600]}\n  secs: {secs}")
    for r in log:
        print(f"  {r['status']} {r['url'][:150]} retry-attempt={r['headers'].get('retry-attempt')} t={r['time']}")
sys.exit(0 if ok else 1)
PY
}
M=$MOCK_URL
REQ5="SELECT count(*) FROM (SELECT id FROM ev LIMIT 5);"

# ---- 504 on a GET: retried
scen fx.504 '{"fail":[{"page":1,"status":504,"times":1}]}'
sq_case 504 "$M/s/fx.504/v1.0" ", $FAST, retry_base=0.05" "$REQ5"
check_log 504 "a 504 on a GET is retried once, then the rows" fx.504 \
  'out.strip() == "5" and st == [504, 200] and urls[0] == urls[1] and log[1]["headers"].get("retry-attempt") == "1"'

# ---- 429 without Retry-After: the back-off
scen fx.429 '{"fail":[{"page":1,"status":429,"times":1}]}'
sq_case 429 "$M/s/fx.429/v1.0" ", $FAST, retry_base=0.3" "$REQ5"
check_log 429 "a 429 without Retry-After is retried after the back-off (>= retry_base=0.3 s)" fx.429 \
  'out.strip() == "5" and st == [429, 200] and urls[0] == urls[1] and gap(1) >= 290 and gap(1) < 3000'

# ---- Retry-After as an HTTP date 3 s ahead (the back-off would be 30 s, capped by max_wait=10)
date3=$(python3 -c 'import email.utils, time; print(email.utils.formatdate(time.time() + 3, usegmt=True))')
scen fx.radate "{\"fail\":[{\"page\":1,\"status\":429,\"retryAfter\":\"$date3\",\"times\":1}]}"
sq_case radate "$M/s/fx.radate/v1.0" ", $FAST, retry_base=30, max_wait=10" "$REQ5"
check_log radate "Retry-After: <HTTP date 3 s ahead> is honoured ($date3)" fx.radate \
  'out.strip() == "5" and st == [429, 200] and 1000 <= gap(1) <= 4500'

# ---- the exponential back-off with jitter, from the trace and the mock's clock
scen fx.backoff '{"fail":[{"page":1,"status":503,"times":3}]}'
sq_case backoff "$M/s/fx.backoff/v1.0" ", $FAST, retry_base=0.2, max_retries=3" "$REQ5" PROVISIONING_TRACE=1
check_log backoff "3 retries of a 503 wait 0.2*2^k*(1..1.25) s each, Retry-Attempt 1..3, then the rows" fx.backoff '
out.strip() == "5" and st == [503, 503, 503, 200] and len(set(urls)) == 1
and [r["headers"].get("retry-attempt") for r in log] == [None, "1", "2", "3"]
and (lambda w: len(w) == 3
     and all(1.0 - 1e-3 <= w[k] / (0.2 * 2 ** k) <= 1.25 + 1e-3 for k in range(3))
     and all(gap(k + 1) >= w[k] * 1000 - 5 for k in range(3))
     and len({round(w[k] / (0.2 * 2 ** k), 3) for k in range(3)}) > 1)(
    [float(x) for x in re.findall(r"retry \d of 3 in ([0-9.]+) s", err)])'

# ---- max_wait used up by the back-off
scen fx.maxwait '{"fail":[{"page":1,"status":503,"times":-1}]}'
sq_case maxwait "$M/s/fx.maxwait/v1.0" ", $FAST, retry_base=0.2, max_retries=10, max_wait=0.5" "$REQ5"
check_log maxwait "the back-off stops at max_wait=0.5 s: an error naming HTTP 503 and max_wait, no row" fx.maxwait \
  'out.strip() == "" and "HTTP 503" in err and "max_wait=0.5" in err and 2 <= len(log) <= 4 and set(st) == {503} and secs < 3'

# ---- the default max_retries
scen fx.defretries '{"fail":[{"page":1,"status":503,"times":-1}]}'
sq_case defretries "$M/s/fx.defretries/v1.0" ", $FAST, retry_base=0.02" "$REQ5"
check_log defretries "by default a 503 is retried 3 times, then the error" fx.defretries \
  'out.strip() == "" and "HTTP 503" in err and "gave up after 3 retries" in err and "request-id" in err and st == [503] * 4'

# ---- a connection reset on page 2: only that request is retried
scen fx.reset '{"reset":{"page":2,"times":1}}'
sq_case reset "$M/s/fx.reset/v1.0" ", $FAST, retry_base=0.05" "SELECT count(*) FROM ev;"
check_log reset "a connection reset on page 2: page 2 retried, not the scan; 10000 rows" fx.reset \
  'out.strip() == "10000" and len(log) == 11 and st[1] == 0 and st.count(200) == 10 and urls[1] == urls[2] and urls.count(urls[0]) == 1 and len(set(urls)) == 10'

# ---- 503 on page 3: only that request is retried
scen fx.503p3 '{"fail":[{"page":3,"status":503,"times":1}]}'
sq_case 503p3 "$M/s/fx.503p3/v1.0" ", $FAST, retry_base=0.05" "SELECT count(*) FROM ev;"
check_log 503p3 "a 503 on page 3: page 3 retried, pages 1 and 2 sent once; 10000 rows" fx.503p3 \
  'out.strip() == "10000" and len(log) == 11 and st[2] == 503 and urls[2] == urls[3] and len(set(urls)) == 10 and urls.count(urls[0]) == 1 and urls.count(urls[1]) == 1'

# ---- the issue's case: 500 on page 3 of 5
scen fx.p3of5 '{"maxTop":2000,"fail":[{"page":3,"status":500,"times":-1}]}'
sq_case p3of5 "$M/s/fx.p3of5/v1.0" ", $FAST, page_max=2000" "SELECT count(*) FROM ev;"
check_log p3of5 "500 on page 3 of 5: count(*) errors naming HTTP 500 and the request-id, no row, no retry" fx.p3of5 '
out.strip() == "" and st == [200, 200, 500] and "$top=2000" in urls[0]
and re.search(r"HTTP 500 InternalServerError.*\(request-id [0-9a-f-]{36}\)", err) is not None'

# ---- connection refused: a port nothing listens on
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
sq_case refused "http://127.0.0.1:$port/v1.0" ", $FAST, retry_base=0.05, max_retries=1" "$REQ5"
check_log refused "connection refused: a connection error, retried once, then given up" "" \
  'out.strip() == "" and "connection error" in err and "gave up after 1 retry" in err and secs < 5'

# ---- connect time-out: a listener whose accept queue is full drops the SYN
python3 - "$W/blackhole.port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(3):  # fill the accept queue: later SYNs are dropped, connect() hangs
    c = socket.socket(); c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    fill.append(c)
time.sleep(0.3)
open(sys.argv[1], "w").write(str(port))
time.sleep(60)
PY
at_exit "kill $! 2>/dev/null"
for _ in $(seq 1 50); do [ -s "$W/blackhole.port" ] && break; sleep 0.1; done
if [ -s "$W/blackhole.port" ]; then
  sq_case ctimeout "http://127.0.0.1:$(cat "$W/blackhole.port")/v1.0" ", $FAST, connect_timeout=1, max_retries=0" "$REQ5"
  check_log ctimeout "a connect time-out: a clear error naming connect_timeout, after about 1 s" "" \
    'out.strip() == "" and "time-out" in err and "connect_timeout=1" in err and 0.8 <= secs < 5'
else
  bad "ctimeout: the listener did not start"
fi

# ---- https source, http nextLink on the same host and port
if command -v openssl >/dev/null; then
  mkdir -p "$W/tls"
  if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/tls/key.pem" -out "$W/tls/cert.pem" -days 2 \
      -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >"$W/tls/openssl.log" 2>&1; then
    start_mock sql/sample/events.json --tls-key "$W/tls/key.pem" --tls-cert "$W/tls/cert.pem"
    T=$OWN_MOCK_URL
    tport=${T##*:}
    ctl() { curl -s -f --cacert "$W/tls/cert.pem" -X POST -H 'Content-Type: application/json' -d "$2" "$T/_mock/s/fx.down/$1"; }
    if [ -n "$tport" ] && ctl reset '{}' >/dev/null &&
        ctl config "{\"nextLinkHost\":\"http://127.0.0.1:$tport\",\"requireAuth\":true,\"staticToken\":\"fx-down-token\"}" >/dev/null; then
      sq_case down "$T/s/fx.down/v1.0" ", auth='env:FX_TOKEN', ca_file='$W/tls/cert.pem', page_size=10, $FAST" \
        "SELECT count(*) FROM ev;" FX_TOKEN=fx-down-token
      curl -s -f --cacert "$W/tls/cert.pem" "$T/_mock/s/fx.down/requests" >"$W/down.tls.json"
      check_log down "an http nextLink from an https source (same host and port) is refused, no row" "" "
out.strip() == '' and 'refusing the @odata.nextLink of page 1 to another origin, http://127.0.0.1:$tport' in err
and 'fx-down-token' not in out + err
and [r['status'] for r in json.load(open('$W/down.tls.json'))] == [200]
and json.load(open('$W/down.tls.json'))[0]['headers'].get('authorization') == 'Bearer fx-down-token'"
    else
      bad "down: the TLS mock did not answer"
    fi
  else
    bad "down: openssl failed"; cat "$W/tls/openssl.log"
  fi
else
  echo "note: no openssl: the https -> http nextLink case is not run"
fi

[ $fail = 0 ] && echo "all ok"
finish

#!/usr/bin/env python3
"""The benchmark driver behind tests/bench/run.sh (see README.md beside it).

    bench.py N [--check] [--reps R]

Every timed run is one `sqlite3` process (the extension loaded, the table
created, one query), timed from the outside with time.perf_counter (wall)
and os.wait4 (user + sys CPU of the process). Both sides of a comparison run
the same way, so process start-up and `.load` are in both; the two sides
alternate R times (default 5) after one untimed warm-up each, and the
medians are compared.
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
os.chdir(ROOT)
EXT = os.environ.get("EXT", os.path.join(ROOT, "provisioning"))
BENCH = os.path.join(ROOT, "build", "bench")
SQLITE = "sqlite3"
READFILE_MAX_EVENTS = 400000  # readfile() returns at most 1e9 bytes
MOCK_MAX_EVENTS = int(os.environ.get("BENCH_MOCK_MAX", "400000"))  # what the node mock holds comfortably

args = [a for a in sys.argv[1:] if not a.startswith("--")]
N = int(args[0]) if args else 100000
CHECK = "--check" in sys.argv
REPS = 5
for i, a in enumerate(sys.argv):
    if a == "--reps":
        REPS = int(sys.argv[i + 1])
        if sys.argv[i + 1] in args:
            args.remove(sys.argv[i + 1])

rows = []  # (section, figure, value, goal, ok or None)
notes = []
mocks = []


def log(msg):
    print(msg, flush=True)


def add(section, figure, value, goal="", ok=None):
    rows.append((section, figure, value, goal, ok))
    mark = "" if ok is None else ("  ok" if ok else "  MISSED")
    log(f"  {figure}: {value}  {goal}{mark}")


# ---------------------------------------------------------------- inputs

def sample(n, fmt="page"):
    """build/bench/events-N.json (generated once; reused when complete)."""
    os.makedirs(BENCH, exist_ok=True)
    name = f"events-{n}.json" if fmt == "page" else f"{fmt}-{n}.json"
    path = os.path.join(BENCH, name)
    ok = path + ".ok"  # written after a complete generation: holds the size
    if os.path.exists(path) and os.path.exists(ok):
        if open(ok).read().strip() == str(os.path.getsize(path)):
            return path
    tmp = path + ".tmp"
    cmd = ["build/gen_events", "--count", str(n), "--out", tmp]
    if fmt != "page":
        cmd[1:1] = ["--format", fmt]
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    os.replace(tmp, path)
    with open(ok, "w") as f:
        f.write(str(os.path.getsize(path)))
    log(f"generated {path}: {os.path.getsize(path) / 1e6:.0f} MB in {time.perf_counter() - t:.1f} s")
    return path


def build_c():
    os.makedirs(BENCH, exist_ok=True)
    w = ["-O2", "-g", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    subprocess.run(["cc", *w, "-o", f"{BENCH}/jsmn_floor", "tests/bench/jsmn_floor.c"], check=True)
    subprocess.run(["cc", *w, "-DSQLITE_CORE", "-Iext", "-o", f"{BENCH}/page_parse", "tests/bench/page_parse.c",
                    "ext/json.c", "ext/records.c", "ext/event_row.c", "ext/schema.c", "ext/plan.c", "ext/time_order.c", "-lsqlite3"],
                   check=True)


# ---------------------------------------------------------------- running

def run(cmd, stdin_text=None):
    """Run cmd; (wall s, cpu s, stdout). Fails loudly on an error."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(stdin_text)
    wall = time.perf_counter() - t0
    if p.returncode != 0 or "Error" in err or "Error" in out:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{out[-2000:]}\n{err[-2000:]}")
    return wall, out


class Timed:
    """Children CPU time around one run."""

    def __enter__(self):
        self.r = os.times()
        return self

    def __exit__(self, *a):
        r = os.times()
        self.cpu = (r.children_user - self.r.children_user) + (r.children_system - self.r.children_system)


def sql_script(setup, query):
    return f".load {EXT}\n{setup}\n{query};\n"


def run_sql(setup, query):
    with Timed() as t:
        wall, out = run([SQLITE, "-batch", "-init", "/dev/null", ":memory:"], sql_script(setup, query))
    return wall, t.cpu, out.strip()


def run_prog(cmd):
    with Timed() as t:
        wall, out = run(cmd)
    return wall, t.cpu, out.strip()


def med(xs):
    return statistics.median(xs)


def spread(xs):
    m = med(xs)
    return (max(xs) - min(xs)) / m * 100 if m > 0 else 0


def compare(label, a, b, check_equal=None, scale_b=1.0):
    """a, b: () -> (wall, cpu, out). Alternate REPS times after a warm-up.
    Returns (wall medians, cpu medians, outputs)."""
    oa = a()[2]
    ob = b()[2]
    if check_equal:
        check_equal(oa, ob)
    wa, wb, ca, cb = [], [], [], []
    for _ in range(REPS):
        x = a()
        y = b()
        wa.append(x[0]); ca.append(x[1])
        wb.append(y[0] * scale_b); cb.append(y[1] * scale_b)
    r = (med(wa), med(wb), med(ca), med(cb))
    log(f"  {label}: ours {r[0]:.3f} s (cpu {r[2]:.3f}, spread {spread(wa):.0f}%), "
        f"baseline {r[1]:.3f} s (cpu {r[3]:.3f}, spread {spread(wb):.0f}%)")
    noise.append((label, spread(wa), spread(wb), sum(wa) / max(sum(ca), 1e-9), sum(wb) / max(sum(cb), 1e-9)))
    return r, oa, ob


noise = []

# ---------------------------------------------------------------- queries

COLS = [  # column, json path for ->>
    ("id", "id"), ("activity_date_time", "activityDateTime"), ("tenant_id", "tenantId"), ("job_id", "jobId"),
    ("cycle_id", "cycleId"), ("change_id", "changeId"), ("action", "provisioningAction"),
    ("duration_ms", "durationInMilliseconds"), ("status", "provisioningStatusInfo.status"),
    ("error_code", "provisioningStatusInfo.errorInformation.errorCode"),
    ("service_principal_id", "servicePrincipal.id"), ("service_principal_name", "servicePrincipal.displayName"),
    ("initiated_by_name", "initiatedBy.displayName"), ("source_identity_id", "sourceIdentity.id"),
    ("target_identity_type", "targetIdentity.identityType"),
]


def sel15_ext():
    return "count(*), " + ", ".join(f"sum({c})" if c == "duration_ms" else f"sum(length({c}))" for c, _ in COLS)


def sel15_json():
    return "count(*), " + ", ".join(
        f"sum(e.value->>'{p}')" if c == "duration_ms" else f"sum(length(e.value->>'{p}'))" for c, p in COLS)


def je(f):
    return f"json_each(readfile('{f}'), '$.value') e"


def ev_table(f, name="ev"):
    return f"CREATE VIRTUAL TABLE {name} USING provisioning_events(source='file:{f}');"


def same15(oa, ob):
    """Both sides agree on every figure but activity_date_time's length
    (the extension normalises times: 27 characters against Graph's 20)."""
    a, b = oa.split("|"), ob.split("|")
    a.pop(2); b.pop(2)
    if a != b:
        raise RuntimeError(f"results differ:\n ours     {oa}\n json_each {ob}")


def same(oa, ob):
    if oa != ob:
        raise RuntimeError(f"results differ:\n ours     {oa}\n json_each {ob}")


# ---------------------------------------------------------------- the mock

def start_mock(data):
    d = tempfile.mkdtemp(prefix="bench-mock.")
    pf = os.path.join(d, "port")
    logf = open(os.path.join(d, "log"), "w")
    env = dict(os.environ)
    env["NODE_OPTIONS"] = env.get("NODE_OPTIONS", "") + " --max-old-space-size=12000"
    p = subprocess.Popen(["node", "tests/mockgraph/server.js", "--data", data, "--port", "0", "--port-file", pf,
                          "--idle-exit", "120", "--parent-pid", str(os.getpid())],
                         stdout=logf, stderr=subprocess.STDOUT, env=env)
    mocks.append((p, d))
    t = time.time()
    while time.time() - t < 600:
        if os.path.exists(pf) and os.path.getsize(pf) > 0:
            return f"http://127.0.0.1:{open(pf).read().strip()}"
        if p.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError("mock server did not start: " + open(os.path.join(d, "log")).read())


def stop_mocks(*_):
    for p, d in mocks:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(d, ignore_errors=True)
    mocks.clear()


def mock_post(url, scen, knobs):
    req = urllib.request.Request(f"{url}/_mock/s/{scen}/config", data=json.dumps(knobs).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()


def mock_get(url, path):
    return json.loads(urllib.request.urlopen(f"{url}{path}").read())


def http_table(url, scen, name="g", extra=""):
    return (f"CREATE VIRTUAL TABLE {name} USING provisioning_events(source='{url}/s/{scen}/v1.0', "
            f"rate_limit=1000, rate_window=1{extra});")


# ---------------------------------------------------------------- the benchmarks

def offline(f, fj, scale, nj):
    """The four file comparisons; fj is the json_each file (f, or a smaller one scaled by `scale`)."""
    lab = "" if scale == 1 else f" (json_each measured on {nj:,} events, x{scale:g})"
    eq = (lambda a, b: None) if scale != 1 else None
    log("count(*), sum(duration_ms)")
    r, oa, ob = compare("count", lambda: run_sql(ev_table(f), "SELECT count(*), sum(duration_ms) FROM ev"),
                        lambda: run_sql(ev_table(f), f"SELECT count(*), sum(e.value->>'durationInMilliseconds') FROM {je(fj)}"),
                        eq or same, scale)
    ratio_row("count(*), sum(duration_ms)" + lab, r, 4)
    log("15 columns")
    r, oa, ob = compare("15 columns", lambda: run_sql(ev_table(f), f"SELECT {sel15_ext()} FROM ev"),
                        lambda: run_sql(ev_table(f), f"SELECT {sel15_json()} FROM {je(fj)}"), eq or same15, scale)
    ratio_row("15 columns, all rows" + lab, r, 8)
    scan15 = r
    log("15 columns WHERE status = 'failure'")
    r, oa, ob = compare("15 columns failure", lambda: run_sql(ev_table(f), f"SELECT {sel15_ext()} FROM ev WHERE status = 'failure'"),
                        lambda: run_sql(ev_table(f), f"SELECT {sel15_json()} FROM {je(fj)} WHERE e.value->>'provisioningStatusInfo.status' = 'failure'"),
                        eq or same15, scale)
    ratio_row("15 columns WHERE status = 'failure'" + lab, r, 4)
    log("every step unnested")
    r, oa, ob = compare("steps", lambda: run_sql(ev_table(f), "SELECT count(*), sum(length(s.name)), sum(length(s.status)) FROM ev, provisioning_steps(ev.provisioning_steps) s"),
                        lambda: run_sql(ev_table(f), f"SELECT count(*), sum(length(s.value->>'name')), sum(length(s.value->>'status')) FROM {je(fj)}, json_each(e.value->'$.provisioningSteps') s"),
                        eq or same, scale)
    ratio_row("every step: provisioning_steps vs json_each" + lab, r, 3)
    return scan15


def ratio_row(what, r, goal):
    ratio = r[1] / r[0]
    add("speed", what, f"{r[0]:.2f} s vs {r[1]:.2f} s = {ratio:.1f}x (cpu {r[3] / r[2]:.1f}x)", f">= {goal}x",
        ratio >= goal)


def floor(f, fsize):
    log("floor: jsmn tokenisation vs the 15-column file scan")
    r, oa, ob = compare("floor", lambda: run_sql(ev_table(f), f"SELECT {sel15_ext()} FROM ev"),
                        lambda: run_prog([f"{BENCH}/jsmn_floor", f]))
    ours = fsize / r[0] / 1e6
    theirs = fsize / r[1] / 1e6
    add("speed", "15-column file scan vs bare jsmn tokenisation (MB/s)",
        f"{ours:.0f} vs {theirs:.0f} MB/s = {ours / theirs:.2f} (cpu {r[3] / r[2]:.2f})", ">= 0.5", ours / theirs >= 0.5)


def http_speed(url, fm, nm, fj, scale, nj):
    lab = f" ({nm:,} events on the mock)" if nm != N else ""
    lab += "" if scale == 1 else f" (json_each on {nj:,} events, x{scale:g})"
    log("15 columns through the mock (pages of 1,000, gzip)")
    mock_pid = mocks[0][0].pid
    c0 = proc_cpu(mock_pid)
    r, oa, ob = compare("http 15 columns",
                        lambda: run_sql(http_table(url, "speed", extra=", page_size=1000"), f"SELECT {sel15_ext()} FROM g"),
                        lambda: run_sql(ev_table(fm), f"SELECT {sel15_json()} FROM {je(fj)}"),
                        same15 if scale == 1 else None, scale)
    mock_cpu = (proc_cpu(mock_pid) - c0) / (REPS + 1)
    log_urls = mock_get(url, "/_mock/s/speed/requests")
    gz = all("gzip" in (e.get("headers") or {}).get("accept-encoding", "") for e in log_urls)
    tops = {e["query"].get("$top") for e in log_urls}
    notes.append(f"HTTP speed runs: {len(log_urls)} requests, $top {sorted(t or '-' for t in tops)}, "
                 f"accept-encoding gzip on all: {gz}; the mock server used {mock_cpu:.2f} s of CPU per scan "
                 f"(serialising and gzipping the pages), on the same 2 cores")
    ratio_row("15 columns via mock HTTP vs json_each on the file" + lab, r, 3)


def proc_cpu(pid):
    """user + sys seconds of a running process (Linux /proc)."""
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def peak_rss(setup, query):
    out = subprocess.run(["/usr/bin/time", "-f", "RSS %M", SQLITE, "-batch", "-init", "/dev/null", ":memory:"],
                         input=sql_script(setup, query), capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return int(out.stderr.strip().splitlines()[-1].split()[1])  # KiB


def memory(f, f10k, url, url10k, nm):
    log("memory (peak RSS, KiB; median of 3)")
    q = f"SELECT {sel15_ext()} FROM g"
    for kind, big, small, nbig in (
            ("file", ev_table(f, "g"), ev_table(f10k, "g"), N),
            ("http", http_table(url, "mem", extra=", page_size=1000"), http_table(url10k, "mem", extra=", page_size=1000"), nm)):
        a = [peak_rss(big, q) for _ in range(3)]
        b = [peak_rss(small, q) for _ in range(3)]
        base = peak_rss(big, "SELECT 1")
        ra, rb = med(a), med(b)
        add("memory", f"peak RSS, 15 columns, {kind}: {nbig:,} vs 10,000 events",
            f"{ra / 1024:.1f} MB vs {rb / 1024:.1f} MB (diff {(ra - rb) / 1024:+.2f} MB; sqlite3 + extension idle: {base / 1024:.1f} MB)",
            "within 1 MB, < 32 MB", abs(ra - rb) <= 1024 and ra < 32 * 1024)


def page_parse(fpage):
    w, c, out = run_prog([f"{BENCH}/page_parse", fpage, "5"])
    kv = dict(x.split("=") for x in out.split())
    ms = float(kv["load_ms"])
    add("memory", "one page of 5,000 events: split + ev_row_load, best of 5", f"{ms:.1f} ms "
        f"({float(kv['cols15_ms']):.1f} ms reading the 15 columns too)", "< 50 ms", ms < 50)


def budget(url10k, url30k, f10k):
    log("request budget (mock request logs)")
    # 1. ORDER BY ... DESC LIMIT 10: one request
    _, _, out = run_sql(http_table(url10k, "limit10", "g", ""),
                        "SELECT id, activity_date_time FROM g ORDER BY activity_date_time DESC LIMIT 10")
    lg = mock_get(url10k, "/_mock/s/limit10/requests")
    add("requests", "ORDER BY activity_date_time DESC LIMIT 10", f"{len(lg)} request(s), {len(out.splitlines())} rows "
        f"({lg[0]['url'].split('?', 1)[1] if lg else '-'})", "exactly 1", len(lg) == 1 and len(out.splitlines()) == 10)
    # 2. about 1% of events: cycle_id = X (pushed as cycleId eq) vs pushdown=0
    setup = ev_table(f10k, "ev")
    _, _, pick = run_sql(setup, "SELECT cycle_id, count(*) FROM ev GROUP BY 1 ORDER BY abs(count(*) - 100), 1 LIMIT 1")
    cyc = pick.split("|")[0]
    q = f"SELECT count(*), sum(length(id)) FROM {{t}} WHERE cycle_id = '{cyc}'"
    _, _, ref = run_sql(setup, q.format(t="ev"))
    matches = int(ref.split("|")[0])
    _, _, on = run_sql(http_table(url10k, "pd_on", "g"), q.format(t="g") + ";\nSELECT provisioning_scan_stats()")
    _, _, off = run_sql(http_table(url10k, "pd_off", "g", ", pushdown=0"), q.format(t="g") + ";\nSELECT provisioning_scan_stats()")
    on_res, on_st = on.splitlines()[0], json.loads(on.splitlines()[1])
    off_res, off_st = off.splitlines()[0], json.loads(off.splitlines()[1])
    lg = mock_get(url10k, "/_mock/s/pd_on/requests")
    lgoff = mock_get(url10k, "/_mock/s/pd_off/requests")
    cfg = mock_get(url10k, "/_mock/s/pd_on/config")
    top = lg[0]["query"].get("$top") if lg else None
    page = min(int(top) if top else cfg["defaultTop"], cfg["maxTop"])
    need = max(1, -(-matches // page))
    ok = on_res == ref and off_res == ref and on_st["requests"] == need and len(lg) == need
    filt = lg[0]["query"].get("$filter", "(none)") if lg else "-"
    add("requests", f"cycle_id = X: {matches} of 10,000 events ({matches / 100:.1f}%)",
        f"{len(lg)} request(s) ($filter={filt}; pages of {page}: {need} carry matches), {on_st['bytes']:,} bytes; "
        f"pushdown=0: {len(lgoff)} requests, {off_st['bytes']:,} bytes ({off_st['bytes'] / max(on_st['bytes'], 1):.0f}x)",
        "only pages with matches", ok)
    # 3. a full scan with the default options: $top = 1000
    _, _, out = run_sql(http_table(url10k, "full", "g"), f"SELECT count(*) FROM g")
    lg = mock_get(url10k, "/_mock/s/full/requests")
    tops = sorted({e["query"].get("$top") or "(none)" for e in lg})
    add("requests", "full scan, default options: $top sent", f"{', '.join(tops)} ({len(lg)} requests for {out} events)",
        "$top=1000", tops == ["1000"])
    # 4. 30 pages under pacing 5 per 2 s against a mock enforcing it
    mock_post(url30k, "rate", {"rateLimit": {"requests": 5, "windowMs": 2000}})
    t = time.perf_counter()
    _, _, out = run_sql(f"CREATE VIRTUAL TABLE g USING provisioning_events(source='{url30k}/s/rate/v1.0', "
                        "page_size=1000, rate_limit=5, rate_window=2);", "SELECT count(*) FROM g")
    el = time.perf_counter() - t
    lg = mock_get(url30k, "/_mock/s/rate/requests")
    times = sorted(e["time"] for e in lg)
    n429 = sum(1 for e in lg if e["status"] == 429)
    span = (times[-1] - times[0]) / 1000 if len(times) > 1 else 0
    rate = (len(times) - 1) / span if span > 0 else 0
    allowed = 5 / 2
    gaps = [(b - a) / 1000 for a, b in zip(times, times[1:])]
    ok = n429 == 0 and rate >= 0.9 * allowed and out == "30000"
    add("requests", "30 pages, rate_limit=5 rate_window=2 vs mock rateLimit 5/2 s",
        f"{len(lg)} requests in {span:.1f} s = {rate:.2f}/s of {allowed:.2f}/s allowed ({rate / allowed * 100:.0f}%), "
        f"longest gap {max(gaps) if gaps else 0:.2f} s, {n429} x 429, statement {el:.1f} s",
        ">= 90%, no 429", ok)

    # 5. the response cache: a report re-run within the TTL (a new process,
    # as a BI tool refreshing) sends no request
    cdb = os.path.join(BENCH, "cache.db")
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(cdb + suffix):
            os.remove(cdb + suffix)
    q = "SELECT status, count(*) FROM g WHERE activity_date_time >= '2024-06-02' GROUP BY 1 ORDER BY 1"
    setup = http_table(url10k, "cache", "g", f", cache='{cdb}', cache_ttl=300")
    _, _, first = run_sql(setup, q)
    n1 = len(mock_get(url10k, "/_mock/s/cache/requests"))
    _, _, again = run_sql(setup, q)
    n2 = len(mock_get(url10k, "/_mock/s/cache/requests")) - n1
    add("requests", "the same report again within cache_ttl (cache='FILE', a new process)",
        f"{n1} request(s) the first time, {n2} the second; same rows: {first == again}",
        "0 requests", n1 > 0 and n2 == 0 and first == again and first != "")


def callgrind(f2k, f0):
    log("callgrind")
    if not shutil.which("valgrind"):
        add("per row", "callgrind Ir per event", "valgrind not installed", "", None)
        return
    ir = {}
    for name, f in (("2k", f2k), ("0", f0)):
        out = os.path.join(BENCH, f"callgrind.{name}.out")
        p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", SQLITE, "-batch", "-init",
                            "/dev/null", ":memory:"], input=sql_script(ev_table(f, "g"), f"SELECT {sel15_ext()} FROM g"),
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(p.stderr[-2000:])
        tot = [l for l in open(out) if l.startswith("totals:") or l.startswith("summary:")]
        ir[name] = int(tot[-1].split()[1])
    per = (ir["2k"] - ir["0"]) / 2000
    add("per row", "callgrind instructions per event, 15-column file scan (2,000 events minus 0)", f"{per:,.0f} Ir", "",
        None)


# ---------------------------------------------------------------- main

def main():
    signal.signal(signal.SIGTERM, lambda *a: (stop_mocks(), sys.exit(143)))
    t_start = time.perf_counter()
    build_c()
    f = sample(N)
    fsize = os.path.getsize(f)
    f10k = sample(10000)
    f30k = sample(30000)
    f2k = sample(2000)
    f0 = sample(0)
    fpage = sample(5000)
    if N > READFILE_MAX_EVENTS:
        nj = READFILE_MAX_EVENTS
        fj = sample(nj)
        scale = N / nj
        notes.append(f"json_each(readfile()) cannot read {N:,} events ({fsize / 1e9:.1f} GB: readfile() returns at most 1 GB): "
                     f"its times are measured on {nj:,} events and multiplied by {scale:g}")
    else:
        nj, fj, scale = N, f, 1.0
    nm = min(N, MOCK_MAX_EVENTS)
    fm = sample(nm)
    if nm != N:
        notes.append(f"the mock server holds {nm:,} events (node keeps every event in memory): the HTTP speed and memory "
                     f"figures are for {nm:,} events (raise with BENCH_MOCK_MAX)")
    log(f"bench: N={N:,} events, {fsize / 1e6:.0f} MB, {REPS} alternating runs per comparison, "
        f"sqlite {subprocess.run([SQLITE, '--version'], capture_output=True, text=True).stdout.split()[0]}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    load0 = os.getloadavg()[0]
    try:
        offline(f, fj, scale, nj)
        floor(f, fsize)
        # json_each for the HTTP comparison: over the mock's own data file
        if nm > READFILE_MAX_EVENTS:
            hj, hs = sample(READFILE_MAX_EVENTS), nm / READFILE_MAX_EVENTS
        else:
            hj, hs = fm, 1.0
        # the mocks exit after 120 s without a request: started when needed
        url = start_mock(fm)
        url10k = start_mock(f10k)
        url30k = start_mock(f30k)
        http_speed(url, fm, nm, hj, hs, min(nm, READFILE_MAX_EVENTS))
        memory(f, f10k, url, url10k, nm)
        page_parse(fpage)
        budget(url10k, url30k, f10k)
        callgrind(f2k, f0)
    finally:
        stop_mocks()

    # ---- the table
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    print()
    print(f"== provisioning bench: N={N:,} events ({fsize / 1e6:.0f} MB), medians of {REPS} alternating runs, "
          f"wall clock (cpu = user+sys of the process)")
    print(f"{'figure':<{w1}}  {'goal':<23}  {'result':<6}  measured")
    print(f"{'-' * w1}  {'-' * 23}  {'-' * 6}  {'-' * min(w2, 60)}")
    sec = None
    for s, fig, val, goal, ok in rows:
        if s != sec:
            print(f"[{s}]")
            sec = s
        res = "" if ok is None else ("ok" if ok else "MISSED")
        print(f"{fig:<{w1}}  {goal:<23}  {res:<6}  {val}")
    print()
    mx = max(max(n[1], n[2]) for n in noise) if noise else 0
    print(f"noise: load average {load0:.2f} at start, {os.getloadavg()[0]:.2f} at end; largest run-to-run spread "
          f"(max-min)/median {mx:.0f}%; wall/cpu " +
          ", ".join(f"{n[0]} {n[3]:.1f}/{n[4]:.1f}" for n in noise))
    for n in notes:
        print("note: " + n)
    print(f"total bench time {time.perf_counter() - t_start:.0f} s")
    missed = [r[1] for r in rows if r[4] is False]
    if missed:
        print("goals missed:\n  " + "\n  ".join(missed))
    if CHECK and missed:
        sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Differential test of pushdown: every query of the corpus runs against
the same events twice, through a table that pushes WHERE / ORDER BY / LIMIT
down to its source (`ev`) and through one that pushes nothing
(`np`, pushdown=0, so SQLite evaluates everything itself). The rows must
be identical. With --graph URL, a third table reads the same events from
the mock Graph server (OData on the wire) and must agree too.

It also checks that pushdown narrowed what the source handed to SQLite:
provisioning_scan_stats() counts rows returned by the virtual table.

usage: run.py EXT EVENTS.json [--graph URL] [--min N]
"""
import sqlite3
import sys

ext, events = sys.argv[1], sys.argv[2]
graph = None
min_queries = 200
args = sys.argv[3:]
while args:
    if args[0] == "--graph":
        graph = args[1]
        args = args[2:]
    elif args[0] == "--min":
        min_queries = int(args[1])
        args = args[2:]
    else:
        sys.exit("unknown argument " + args[0])

db = sqlite3.connect(":memory:")
db.enable_load_extension(True)
db.load_extension(ext)
db.execute(f"CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:{events}')")
db.execute(f"CREATE VIRTUAL TABLE np USING provisioning_events(source='file:{events}', pushdown=0)")
tables = ["ev"]
if graph:
    db.execute(
        f"CREATE VIRTUAL TABLE gr USING provisioning_events(source='{graph}', page_max=1000, "
        "rate_limit=1000, rate_window=1)"
    )
    tables.append("gr")
has_steps = db.execute(
    "SELECT count(*) FROM pragma_module_list WHERE name='provisioning_steps'"
).fetchone()[0]

total = db.execute("SELECT count(*) FROM np").fetchone()[0]


def pool(sql):
    return [r[0] for r in db.execute(sql)]


jobs = pool("SELECT DISTINCT job_id FROM np ORDER BY 1 LIMIT 3")
ids = pool("SELECT id FROM np ORDER BY activity_date_time LIMIT 3")
sps = pool("SELECT DISTINCT service_principal_name FROM np ORDER BY 1 LIMIT 2")
names = pool("SELECT DISTINCT target_identity_name FROM np WHERE target_identity_name <> '' ORDER BY 1 LIMIT 2")
codes = pool("SELECT DISTINCT error_code FROM np WHERE error_code IS NOT NULL ORDER BY 1 LIMIT 2")
times = pool("SELECT activity_date_time FROM np ORDER BY activity_date_time")
t_mid = times[len(times) // 2]
t_q = times[len(times) // 4]
day = t_mid[:10]
durs = pool("SELECT duration_ms FROM np ORDER BY duration_ms")
d_mid = durs[len(durs) // 2]


def q(s):
    return "'" + str(s).replace("'", "''") + "'"


corpus = []  # (sql with {T}, params, ordered)


def add(sql, params=(), ordered=False):
    corpus.append((sql, tuple(params), ordered))


sel = "SELECT id, activity_date_time, status, duration_ms FROM {T}"

# equality and inequality on every filterable text column
text_cols = {
    "id": ids + ["", "nope"],
    "job_id": jobs + ["JOB"],
    "status": ["failure", "success", "warning", "skipped", "Failure", "FAILURE", ""],
    "action": ["create", "update", "delete", "disable", "stagedDelete", "Create"],
    "service_principal_name": sps + ["x"],
    "target_identity_name": names + ["O'Brien", "o'brien"],
    "error_code": codes + ["%"],
    "target_identity_type": ["User", "Group", "user"],
    "initiator_type": ["system", "user", "application"],
    "tenant_id": pool("SELECT DISTINCT tenant_id FROM np LIMIT 2"),
    "cycle_id": pool("SELECT DISTINCT cycle_id FROM np LIMIT 1"),
    "source_identity_type": ["User", "Group"],
    "initiated_by_name": ["Azure AD Provisioning Service"],
}
for col, vals in text_cols.items():
    for v in vals:
        add(sel + f" WHERE {col} = {q(v)}")
    add(sel + f" WHERE {col} != {q(vals[0])}")
    add(sel + f" WHERE {col} = ?", [vals[0]])
    add(sel + f" WHERE {col} = {q(vals[0])} COLLATE NOCASE")
    add(sel + f" WHERE {col} IN ({', '.join(q(v) for v in vals[:3])})")
    add(sel + f" WHERE {col} NOT IN ({', '.join(q(v) for v in vals[:2])})")
    add(sel + f" WHERE {col} > {q(vals[0])}")
    add(sel + f" WHERE {col} IS NULL")
    add(sel + f" WHERE {col} IS NOT NULL AND {col} <= {q(vals[0])}")

# numbers compared with text columns, and text with numbers
add(sel + " WHERE tenant_id = 42")
add(sel + " WHERE status = 1")
add(sel + " WHERE id = NULL")
add(sel + " WHERE id IN (NULL)")
add(sel + " WHERE id IN (NULL, " + q(ids[0]) + ")")
add(sel + " WHERE id = x'41'")

# GLOB, LIKE and provisioning_contains
for pat in ["*Sales*", "*failure*", "AAD*", "*e", "*a*b*", "[a-c]*", "*'*", "", "*"]:
    add(sel + f" WHERE job_id GLOB {q(pat)}")
    add(sel + f" WHERE target_identity_name GLOB {q(pat)}")
for pat in ["%sales%", "aad%", "%FAIL%", "_%", "%o'b%", "%"]:
    add(sel + f" WHERE job_id LIKE {q(pat)}")
    add(sel + f" WHERE target_identity_name LIKE {q(pat)}")
for part in ["Sales", "sales", "'", "", "Provisioning"]:
    add(sel + f" WHERE provisioning_contains(job_id, {q(part)})")
    add(sel + f" WHERE provisioning_contains(initiated_by_name, {q(part)})")
add(sel + " WHERE provisioning_contains(job_id, ?)", ["Sales"])
add(sel + " WHERE status GLOB 'fail*'")

# time comparisons in every form users and drivers send
for lit in [
    day, t_mid, t_mid[:23], t_mid[:19], day + "T00:00:00Z", day + "T12:00:00+02:00",
    day + " 12:00", "2024", "2024-06", "2024-13-01", "zzz", "", t_mid + "Z",
]:
    for op in ["=", ">", ">=", "<", "<="]:
        add(sel + f" WHERE activity_date_time {op} {q(lit)}")
add(sel + f" WHERE activity_date_time > datetime({q(day)}, '+1 day')")
add(sel + f" WHERE activity_date_time BETWEEN {q(t_q)} AND {q(t_mid)}")
add(sel + f" WHERE activity_date_time BETWEEN ? AND ?", [t_q[:19], t_mid[:23]])
add(sel + " WHERE activity_date_time > ?", [day + " 00:00:00.000"])
add(sel + " WHERE activity_date_time > 2024")
add(sel + " WHERE activity_date_time < 2459000.5")
add(sel + f" WHERE activity_date_time IN ({q(t_mid)}, {q(t_q)}, {q(day)})")
add(sel + " WHERE activity_date_time >= datetime('now', '-7 days')")
add(sel + f" WHERE activity_date_time > {q(t_q)} AND activity_date_time < {q(t_mid)} AND status = 'failure'")

# integers with every affinity case
for lit in [str(d_mid), q(d_mid), str(d_mid) + ".5", q(str(d_mid) + ".0"), "'abc'", "NULL", "-1", "1e3", "' 500 '"]:
    for op in ["=", ">", ">=", "<", "<=", "!="]:
        add(sel + f" WHERE duration_ms {op} {lit}")
add(sel + " WHERE duration_ms BETWEEN 100 AND 200")
add(sel + " WHERE duration_ms > ? AND duration_ms < ?", [100, 1000])
add(sel + " WHERE duration_ms > ?", ["500"])
add(sel + " WHERE duration_ms IN (5, '6', 7.0, 8.5)")
# literals outside Edm.Int32 (decided locally, never sent) and its edges
for lit in ["5000000000", "-5000000000", "2147483647", "2147483648", "-2147483648", "-2147483649", "1e20"]:
    for op in ["=", ">", ">=", "<", "<="]:
        add(sel + f" WHERE duration_ms {op} {lit}")
add(sel + " WHERE duration_ms IN (5000000000, " + str(d_mid) + ")")
add(sel + f" WHERE duration_ms BETWEEN {d_mid} AND 5000000000")

# OR across columns (SQLite may scan once per branch, removing duplicates by rowid)
add(sel + f" WHERE status = 'failure' OR job_id = {q(jobs[0])}")
add(sel + f" WHERE id = {q(ids[0])} OR id = {q(ids[1])} OR duration_ms > 30000")
add(sel + f" WHERE (status = 'warning' OR action = 'delete') AND duration_ms > 1000")
add(sel + f" WHERE status = 'failure' OR activity_date_time > {q(t_mid)}")

# ORDER BY, LIMIT, OFFSET
for d in ["", " DESC"]:
    for lim in ["", " LIMIT 5", " LIMIT 5 OFFSET 3", " LIMIT 0", " LIMIT -1", " LIMIT 1 OFFSET 100000"]:
        add(sel + f" ORDER BY activity_date_time{d}{lim}", ordered=True)
        add(sel + f" WHERE status = 'failure' ORDER BY activity_date_time{d}{lim}", ordered=True)
add(sel + f" WHERE activity_date_time > {q(t_mid)} ORDER BY activity_date_time LIMIT ?", [7], ordered=True)
add(sel + " ORDER BY duration_ms DESC, id LIMIT 10", ordered=True)
add(sel + " WHERE status = 'failure' ORDER BY activity_date_time, id LIMIT 10", ordered=True)
add("SELECT DISTINCT status FROM {T} ORDER BY status", ordered=True)
add(sel + " WHERE job_id LIKE 'a%' ORDER BY activity_date_time DESC LIMIT 3", ordered=True)

# aggregates and reports
add("SELECT job_id, count(*), sum(duration_ms) FROM {T} WHERE status = 'failure' GROUP BY job_id")
add("SELECT date(activity_date_time) d, count(*) FROM {T} WHERE status = 'failure' GROUP BY d")
add("SELECT error_code, count(*) FROM {T} WHERE error_code IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
    ordered=True)
add("SELECT count(*), min(activity_date_time), max(activity_date_time) FROM {T}")
add(f"SELECT count(*) FROM {{T}} WHERE activity_date_time > {q(day)} AND status IN ('failure', 'warning')")
add("SELECT action, status, count(*) FROM {T} GROUP BY 1, 2")
add("SELECT target_identity_id, count(*) FROM {T} WHERE status = 'failure' GROUP BY 1 HAVING count(*) > 1")
add("SELECT count(*) FROM {T} WHERE raw LIKE '%O''Brien%'")

# joins: self join, and with the table-valued functions
add("SELECT a.id, b.id FROM {T} a, {T} b WHERE a.id = b.id AND a.status = 'failure' AND b.duration_ms > 1000")
add(f"SELECT count(*) FROM {{T}} a WHERE a.job_id IN (SELECT job_id FROM {{T}} WHERE id = {q(ids[0])})")
if has_steps:
    add("SELECT e.id, s.name, s.status FROM {T} e, provisioning_steps(e.provisioning_steps) s "
        "WHERE e.status = 'failure' AND s.status = 'failure'")
    add("SELECT s.step_type, count(*) FROM {T} e, provisioning_steps(e.raw) s "
        "WHERE e.action = 'create' GROUP BY 1")
    add("SELECT e.id, m.name FROM {T} e, provisioning_modified_properties(e.modified_properties) m "
        f"WHERE e.job_id = {q(jobs[0])} AND m.old_value IS NULL")

if len(corpus) < min_queries:
    sys.exit(f"corpus has only {len(corpus)} queries (< {min_queries})")


def stats():
    return eval(db.execute("SELECT provisioning_scan_stats()").fetchone()[0])


def run(sql, params):
    try:
        return [tuple(r) for r in db.execute(sql, params)], None
    except sqlite3.Error as e:
        return None, str(e)


fails = 0
narrowed = 0
for sql, params, ordered in corpus:
    want, werr = run(sql.format(T="np"), params)
    for t in tables:
        got, gerr = run(sql.format(T=t), params)
        if t == "ev" and "{T} " in sql and " JOIN " not in sql and sql.count("{T}") == 1 and gerr is None:
            s = stats()
            if s["returned"] < total:
                narrowed += 1
        same = (werr is not None and gerr is not None) if (werr or gerr) else (
            got == want if ordered else sorted(got, key=repr) == sorted(want, key=repr))
        if not same:
            fails += 1
            print(f"MISMATCH [{t}] {sql} {params}")
            print(f"  pushed:   {gerr or (len(got), got[:3])}")
            print(f"  unpushed: {werr or (len(want), want[:3])}")

# where pushdown must narrow what reaches SQLite: exactly the matching rows
checks = [
    (f"SELECT count(*) FROM ev WHERE status = 'failure'", "SELECT count(*) FROM np WHERE status = 'failure'"),
    (f"SELECT count(*) FROM ev WHERE job_id = {q(jobs[0])} AND duration_ms > 500",
     f"SELECT count(*) FROM np WHERE job_id = {q(jobs[0])} AND duration_ms > 500"),
    (f"SELECT count(*) FROM ev WHERE activity_date_time > {q(day)}",
     f"SELECT count(*) FROM np WHERE activity_date_time > {q(day)}"),
]
for pushed, plain in checks:
    n = db.execute(pushed).fetchone()[0]
    s = stats()
    if s["returned"] != n or s["scanned"] != total:
        fails += 1
        print(f"NOT NARROWED: {pushed}: returned {s['returned']} rows for {n} matches of {s['scanned']} scanned")
    db.execute(plain).fetchone()
    s = stats()
    if s["returned"] != total:
        fails += 1
        print(f"pushdown=0 should return every row: {plain}: {s}")

print(f"{len(corpus)} queries x {len(tables)} pushed table(s); {narrowed} narrowed the rows SQLite saw; "
      f"{fails} mismatches")
sys.exit(1 if fails else 0)

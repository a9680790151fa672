"""python_client.py: Debian's /usr/bin/python3 sqlite3 module loads the
extension and runs queries with parameters (the pyenv python3 on PATH is
built without loadable-extension support).

Usage: python_client.py EXT [EXPECTED_FAILURES_AFTER_T]
  EXT  the extension path without suffix (tests/run.sh's $EXT)
Run from the repo root by tests/sh/client_python.sh. Exit 0 when all pass.
"""
import datetime
import json
import sqlite3
import sys

failures = []


def check(name, expected, actual):
    if expected == actual:
        print(f"ok   {name}")
    else:
        print(f"FAIL {name}: expected {expected!r}, got {actual!r}")
        failures.append(name)


def main():
    ext, want = sys.argv[1], int(sys.argv[2])
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(ext)
    conn.enable_load_extension(False)
    conn.execute("CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:sql/sample/events.json')")

    (n,) = conn.execute("SELECT count(*) FROM ev").fetchone()
    check("all sample events", 10000, n)

    # named and positional parameters; a datetime passed as text of the same form
    t = "2024-06-30 12:00:00.500"
    (n,) = conn.execute("SELECT count(*) FROM ev WHERE status = :s AND activity_date_time > :t",
                        {"s": "failure", "t": t}).fetchone()
    check("parameters: failures after t (sqlite3 shell's count)", want, n)
    stats = json.loads(conn.execute("SELECT provisioning_scan_stats()").fetchone()[0])
    check("parameters pushed down: only the matching rows returned", want, stats["returned"])
    plan = conn.execute("EXPLAIN QUERY PLAN SELECT * FROM ev WHERE status = ? AND activity_date_time > ?",
                        ("failure", t)).fetchall()
    check("the plan shows the bound parameters", True,
          any("provisioningStatusInfo/status eq ?" in r[3] and "activityDateTime gt ?" in r[3] for r in plan))

    # a datetime object: Python's default adapter sends isoformat(' ') text
    (n2,) = conn.execute("SELECT count(*) FROM ev WHERE status = ? AND activity_date_time > ?",
                         ("failure", datetime.datetime(2024, 6, 30, 12, 0, 0, 500000).isoformat(" "))).fetchone()
    check("datetime text parameter", want, n2)

    # ORDER BY ... LIMIT with a parameter, values of each type
    rows = conn.execute("SELECT activity_date_time, duration_ms, status FROM ev WHERE job_id LIKE ? "
                        "ORDER BY activity_date_time DESC LIMIT ?", ("Workday2AAD.%", 3)).fetchall()
    check("three rows", 3, len(rows))
    check("types: text, int, text", [(str, int, str)] * 3, [tuple(type(v) for v in r) for r in rows])
    check("newest first", sorted(rows, reverse=True), rows)
    check("times are normalised text", True, all(len(r[0]) == 27 and r[0][10] == " " for r in rows))

    # steps through the table-valued function, with a parameter
    (n,) = conn.execute("SELECT count(*) FROM ev e, provisioning_steps(e.provisioning_steps) s "
                        "WHERE e.status = ? AND s.status = ?", ("failure", "failure")).fetchone()
    check("one failing step per failed event", conn.execute(
        "SELECT count(*) FROM ev WHERE status = 'failure'").fetchone()[0], n)

    # a quote in a parameter goes to the source escaped
    (n,) = conn.execute("SELECT count(*) FROM ev WHERE source_identity_name = ?", ("Grace O'Brien",)).fetchone()
    (m,) = conn.execute("SELECT count(*) FROM ev WHERE +source_identity_name = ?", ("Grace O'Brien",)).fetchone()
    check("quoted name, pushed and not pushed agree", m, n)
    check("Grace O'Brien has events", True, n > 0)

    # an error is an exception; the connection stays usable
    try:
        conn.execute("SELECT * FROM ev WHERE no_such_column = ?", (1,))
        check("error raised", True, False)
    except sqlite3.OperationalError as e:
        check("error names the column", True, "no_such_column" in str(e))
    check("usable after the error", 10000, conn.execute("SELECT count(*) FROM ev").fetchone()[0])
    conn.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""pyodbc_client.py: a BI-style client through unixODBC and the SQLite ODBC
driver (Debian's /usr/bin/python3 with python3-pyodbc), on a database file made
by sql/setup.sql, with the extension loaded by LoadExt= in the DSN.

Run by tests/sh/client_pyodbc.sh, which sets ODBCSYSINI/ODBCINI (test-owned
ini files) and passes, computed with the sqlite3 shell on the same file:
  argv[1]  the count of failures after 2024-06-30 12:00:00.500
  argv[2]  the three newest activity_date_time texts, comma separated
Exit 0 when every check passes, 1 otherwise.
"""
import datetime
import json
import sys

import pyodbc

failures = []


def check(name, expected, actual):
    if expected == actual:
        print(f"ok   {name}")
    else:
        print(f"FAIL {name}: expected {expected!r}, got {actual!r}")
        failures.append(name)


def main():
    want_count = int(sys.argv[1])
    want_times = sys.argv[2].split(",")
    conn = pyodbc.connect("DSN=prov", autocommit=True)
    cur = conn.cursor()

    cur.execute("SELECT provisioning_version()")
    check("extension loaded through LoadExt", True, bool(cur.fetchone()[0]))

    # SQLTables: the virtual table and the views of setup.sql
    tables = {r.table_name: r.table_type for r in cur.tables()}
    for name, kind in [("events", "TABLE"), ("failures", "VIEW"), ("event_steps", "VIEW"),
                       ("event_modified_properties", "VIEW")]:
        check(f"SQLTables lists {name}", kind, tables.get(name))

    # SQLColumns: the documented types
    cols = {r.column_name: r for r in cur.columns(table="events")}
    check("35 columns (raw is hidden)", 35, len(cols))
    c = cols["activity_date_time"]
    check("activity_date_time is SQL_TYPE_TIMESTAMP", (pyodbc.SQL_TYPE_TIMESTAMP, "TIMESTAMP"),
          (c.data_type, c.type_name))
    c = cols["duration_ms"]
    check("duration_ms is SQL_INTEGER", (pyodbc.SQL_INTEGER, "INTEGER"), (c.data_type, c.type_name))
    for name, size in [("id", 64), ("job_id", 255), ("status", 32), ("action", 32),
                       ("source_identity_name", 255), ("error_code", 255)]:
        c = cols[name]
        check(f"{name} is VARCHAR({size})", (pyodbc.SQL_VARCHAR, size), (c.data_type, c.column_size))
    for name in ["error_reason", "provisioning_steps", "modified_properties"]:
        check(f"{name} is TEXT (no length known)", "TEXT", cols[name].type_name)
    # the views carry the same declared types
    vcols = {r.column_name: r for r in cur.columns(table="failures")}
    check("view failures: activity_date_time is SQL_TYPE_TIMESTAMP", pyodbc.SQL_TYPE_TIMESTAMP,
          vcols["activity_date_time"].data_type)

    # a filtered query
    cur.execute("SELECT count(*) FROM events WHERE status = 'failure'")
    n_fail = cur.fetchone()[0]
    check("filtered query: about 10% failures", True, 900 <= n_fail <= 1100)

    # a parameterised query with a datetime: the driver sends it as
    # 'YYYY-MM-DD HH:MM:SS.fff' text, which compares with the normalised times
    since = datetime.datetime(2024, 6, 30, 12, 0, 0, 500000)
    cur.execute("SELECT count(*) FROM events WHERE status = ? AND activity_date_time > ?", "failure", since)
    check("datetime parameter: the rows the sqlite3 shell counts", want_count, cur.fetchone()[0])
    cur.execute("SELECT provisioning_scan_stats()")
    stats = json.loads(cur.fetchone()[0])
    check("datetime parameter pushed down: only the matching rows reach SQLite", want_count, stats["returned"])
    check("the source looked at every event", 10000, stats["scanned"])
    # the same with the view
    cur.execute("SELECT count(*) FROM failures WHERE activity_date_time > ?", since)
    check("datetime parameter through the view", want_count, cur.fetchone()[0])

    # times read back are the right datetime values (7 digits: microseconds kept)
    cur.execute("SELECT activity_date_time FROM events ORDER BY activity_date_time DESC LIMIT 3")
    got = [r[0] for r in cur.fetchall()]
    check("times come back as datetime", [datetime.datetime] * 3, [type(t) for t in got])
    want = [datetime.datetime.strptime(t[:26], "%Y-%m-%d %H:%M:%S.%f") for t in want_times]
    check("times read back", want, got)
    cur.execute("SELECT activity_date_time FROM events WHERE id = ?", "809c0c87-0000-0000-0000-000000000000")
    check("no row for an unknown id", [], cur.fetchall())
    # '=' with a datetime parameter (the text '2024-06-01 00:00:00.000')
    # compares as an instant with '2024-06-01 00:00:00.0000000' (the
    # provisioning_time collation): the event is found, and so by a range.
    first = datetime.datetime(2024, 6, 1, 0, 0, 0)
    cur.execute("SELECT count(*) FROM events WHERE activity_date_time = ?", first)
    check("'=' with a datetime parameter finds the event at that instant", 1, cur.fetchone()[0])
    cur.execute("SELECT count(*) FROM events WHERE activity_date_time > ?", first)
    n_after = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM events WHERE activity_date_time <= ?", first)
    check("'> t' and '<= t' split the events at t", (9999, 1), (n_after, cur.fetchone()[0]))
    cur.execute("SELECT activity_date_time, duration_ms FROM events"
                " WHERE activity_date_time >= ? AND activity_date_time < ?",
                first, first + datetime.timedelta(milliseconds=1))
    rows = cur.fetchall()
    check("the first event, by a datetime range", 1, len(rows))
    check("its time", first, rows[0][0] if rows else None)
    check("duration_ms comes back as int", int, type(rows[0][1]) if rows else None)
    cur.execute("SELECT provisioning_scan_stats()")
    check("the range was pushed down", 1, json.loads(cur.fetchone()[0])["returned"])

    # an error is an exception naming the cause, and the connection stays usable
    try:
        cur.execute("SELECT no_such_column FROM events")
        check("SQL error raises", True, False)
    except pyodbc.Error as e:
        check("SQL error raises with the message", True, "no such column" in str(e))
    cur.execute("SELECT count(*) FROM events WHERE status = 'skipped'")
    check("connection usable after the error", True, cur.fetchone()[0] > 0)
    conn.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""pyodbc_reports.py: every report runs verbatim through the SQLite ODBC driver.

Usage: pyodbc_reports.py DSN DB EXT REPORT_DIR GOLDEN_DIR

For each REPORT_DIR/*.sql, its whole text (comments included) is executed
with one cursor.execute() through the DSN (the SQLite ODBC driver, LoadExt=
the extension) and must return rows; the rows must equal those Python's
sqlite3 module gives for the same text on the same database file, and their
number the lines of GOLDEN_DIR/NAME.out (the sqlite3 shell's output, list
mode, no headers). Then cursor.columns() (SQLColumns) for every table and view
in the database: no column named like a name, type, status, attribute or short
value is LONGVARCHAR. Run from a directory other than the repository root.
"""
import datetime
import glob
import math
import os
import re
import sqlite3
import sys

import pyodbc

SQL_LONGVARCHAR = -1
fails = 0


def fail(msg):
    global fails
    fails += 1
    print("FAIL " + msg)


def same(a, b):
    """An ODBC value a against the sqlite3 module's value b."""
    if isinstance(a, datetime.datetime) and isinstance(b, str):
        return a == datetime.datetime.strptime(b[:26], "%Y-%m-%d %H:%M:%S.%f")
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-9)
    return a == b


def main():
    dsn, db, ext, rdir, gdir = sys.argv[1:6]
    if os.path.exists(os.path.join(os.getcwd(), "sql", "setup.sql")):
        fail("run from the repository root: this test must run elsewhere")
    cn = pyodbc.connect("DSN=" + dsn, autocommit=True)
    cur = cn.cursor()
    lc = sqlite3.connect(db)
    lc.enable_load_extension(True)
    lc.load_extension(ext)
    lc.enable_load_extension(False)
    reports = sorted(glob.glob(os.path.join(rdir, "*.sql")))
    if len(reports) < 9:
        fail("only %d reports in %s" % (len(reports), rdir))
    for path in reports:
        name = os.path.basename(path)
        text = open(path, encoding="utf-8").read()
        try:
            cur.execute(text)
            rows = [tuple(r) for r in cur.fetchall()]
        except pyodbc.Error as e:
            fail("%s through ODBC: %s" % (name, e))
            continue
        want = lc.execute(text).fetchall()
        golden = open(os.path.join(gdir, name[:-4] + ".out"), encoding="utf-8").read().splitlines()
        if not rows:
            fail("%s: no rows through ODBC" % name)
        elif len(rows) != len(want) or len(rows) != len(golden):
            fail("%s: %d rows through ODBC, %d through sqlite3, %d lines from the shell"
                 % (name, len(rows), len(want), len(golden)))
        else:
            bad = [(r, w) for r, w in zip(rows, want) if len(r) != len(w) or not all(map(same, r, w))]
            if bad:
                fail("%s: %d rows differ, first %r vs %r" % (name, len(bad), bad[0][0], bad[0][1]))
            else:
                print("ok   %s: %d rows, equal to sqlite3's and as many as the shell's" % (name, len(rows)))
    # SQLColumns: the declared types BI tools see
    objs = [r[0] for r in lc.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY 1")]
    short = re.compile(r"(^|_)(id|name|type|status|code|category)$|^(action|attribute|old_value|new_value)$")
    ncol = 0
    for o in objs:
        cols = list(cur.columns(table=o))
        if not cols:
            fail("SQLColumns gives no column for %s" % o)
        for c in cols:
            ncol += 1
            if short.search(c.column_name) and c.data_type == SQL_LONGVARCHAR:
                fail("%s.%s is LONGVARCHAR (%s)" % (o, c.column_name, c.type_name))
    tv = {c.column_name: c.type_name for c in cur.columns(table="event_steps")}
    tv.update({c.column_name: c.type_name for c in cur.columns(table="event_modified_properties")})
    for col in ("step_name", "step_type", "step_status", "attribute", "old_value", "new_value"):
        if not tv.get(col, "").startswith("VARCHAR("):
            fail("%s is declared %r, not VARCHAR(n)" % (col, tv.get(col)))
    nshort = sum(1 for o in objs for c in cur.columns(table=o) if short.search(c.column_name))
    if nshort < 40:
        fail("only %d name, type or status columns found" % nshort)
    if not fails:
        print("ok   SQLColumns: %d columns of %s, %d of them names, types or statuses, none LONGVARCHAR"
              % (ncol, ", ".join(objs), nshort))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())

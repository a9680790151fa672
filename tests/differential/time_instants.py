#!/usr/bin/python3
"""time_instants.py: time comparisons on activity_date_time give the instant answer.

Usage: time_instants.py EXT WORKDIR [MOCK_BASE_URL] [--pairs N] [--seed S]
       time_instants.py --gen WORKDIR [--seed S]   (only write the event files)

Generates events whose activityDateTime mixes precisions (0 to 7 fraction
digits) and zones (Z, +hh:mm, -hh:mm), plus a NULL, a text that is no time and
an impossible date. Then, for N random (operator, literal form) pairs, compares
the count SQLite returns with an oracle computed here on instants (Python
Fractions): with pushdown, with +col, with pushdown=0, with an OR across
columns, with the literal as a bound parameter, and, when a mock Graph URL is
given, over the mock (pushdown and +col). The literal forms include what
drivers send for a datetime parameter ('... 00:00:00.000', '... 00:00:00',
'.000000') and JavaScript's toISOString(). Prints one line per mismatch and a
summary; exits 1 on any mismatch.
"""
import datetime as dt
import json
import os
import random
import sqlite3
import sys
from fractions import Fraction

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def parse_time(s):
    """The instant of s (seconds since 1970, a Fraction) as provisioning_time
    reads it, or None when s is no time."""
    if not isinstance(s, str):
        return None
    import re
    if re.fullmatch(r"\d{4}-\d{2}", s):
        s += "-01"  # a month alone: its first day
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
                     r"([Zz]|[+-]\d{2}:?\d{2})?)?", s)
    if not m:
        return None
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    if m[4] is None:
        h = mi = sec = 0
    else:
        h, mi = int(m[4]), int(m[5])
        sec = int(m[6]) if m[6] else 0
    try:
        t = dt.datetime(y, mo, d, h, mi, sec, tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    frac = Fraction(int(m[7]), 10 ** len(m[7])) if m[7] else Fraction(0)
    off = 0
    z = m[8]
    if z and z not in "Zz":
        sign = -1 if z[0] == "-" else 1
        digits = z[1:].replace(":", "")
        oh, om = int(digits[:2]), int(digits[2:])
        if oh > 23 or om > 59:
            return None
        off = sign * (oh * 3600 + om * 60)
    return Fraction(int((t - EPOCH).total_seconds()) - off) + frac


def stored_key(s):
    """The order key of a stored value under the collation: times first."""
    t = parse_time(s)
    if t is not None:
        return (0, t, b"")  # stored times carry at most 7 digits: kept exactly
    return (1, Fraction(0), s.encode())


def lit_key(s):
    t = parse_time(s)
    if t is None:
        return (1, Fraction(0), s.encode())
    return (0, t, b"")


def gen_events(rnd, n, oddballs):
    base = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)
    evs = []
    for i in range(n):
        # many events share whole seconds, so boundaries are hit often
        secs = rnd.randrange(0, 3 * 86400)
        if rnd.random() < 0.5:
            secs -= secs % 60
        t = base + dt.timedelta(seconds=secs)
        nd = rnd.choice([0, 0, 1, 3, 6, 7, 7])
        fr = "" if nd == 0 else "." + ("".join(rnd.choice("0123456789") for _ in range(nd))
                                      if rnd.random() < 0.6 else "0" * nd)
        zone = rnd.choice(["Z", "Z", "+02:00", "-08:00", "+05:30"])
        if zone == "Z":
            local = t
        else:
            sign = -1 if zone[0] == "-" else 1
            off = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])) * sign
            local = t + off
        evs.append({"id": "ev-%05d" % i, "activityDateTime": local.strftime("%Y-%m-%dT%H:%M:%S") + fr + zone,
                    "durationInMilliseconds": i, "jobId": "job-%d" % (i % 3),
                    "provisioningStatusInfo": {"status": "success"}})
    if oddballs:
        evs.append({"id": "odd-null", "durationInMilliseconds": -1})
        evs.append({"id": "odd-text", "activityDateTime": "not a time", "durationInMilliseconds": -2})
        evs.append({"id": "odd-date", "activityDateTime": "2024-13-01T00:00:00Z", "durationInMilliseconds": -3})
    return evs


def render(rnd, t, form):
    """Instant t (aware datetime, microseconds) in a literal form."""
    u = t.astimezone(dt.timezone.utc)
    if form == "canonical":
        return u.strftime("%Y-%m-%d %H:%M:%S.") + "%06d0" % u.microsecond
    if form == "iso_z":
        return u.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form == "iso_z_frac7":
        return u.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d0Z" % u.microsecond
    if form == "iso_offset":
        tz = rnd.choice([dt.timezone(dt.timedelta(hours=2)), dt.timezone(dt.timedelta(hours=-8)),
                         dt.timezone(dt.timedelta(hours=5, minutes=30))])
        return t.astimezone(tz).isoformat()  # '+02:00', microseconds when nonzero
    if form == "pyodbc":  # '.000': a datetime parameter through ODBC
        return u.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (u.microsecond // 1000)
    if form == "python":  # str(datetime) without microseconds, also SQLite's datetime()
        return u.strftime("%Y-%m-%d %H:%M:%S")
    if form == "sqlalchemy":
        return u.strftime("%Y-%m-%d %H:%M:%S.") + "%06d" % u.microsecond
    if form == "toisostring":  # JavaScript's Date.prototype.toISOString()
        return u.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (u.microsecond // 1000)
    if form == "date":
        return u.strftime("%Y-%m-%d")
    if form == "month":
        return u.strftime("%Y-%m")
    if form == "no_zone_t":
        return u.strftime("%Y-%m-%dT%H:%M:%S.") + "%02d" % (u.microsecond // 10000)
    if form == "nine_digits":
        return u.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d%03dZ" % (u.microsecond, rnd.choice([0, 0, 1, 500]))
    if form == "hhmm":
        return u.strftime("%Y-%m-%d %H:%M")
    if form == "lower_tz":
        return u.strftime("%Y-%m-%dt%H:%M:%Sz")
    raise ValueError(form)


FORMS = ["canonical", "iso_z", "iso_z_frac7", "iso_offset", "pyodbc", "python", "sqlalchemy", "toisostring",
         "date", "month", "no_zone_t", "nine_digits", "hhmm", "lower_tz"]
OPS = ["=", "<", "<=", ">", ">=", "BETWEEN", "!=", "IN"]


def pick_instant(rnd, evs):
    """An event's own instant (a boundary), or a nearby random one."""
    ev = rnd.choice(evs)
    t = parse_time(ev.get("activityDateTime"))
    if t is None:
        t = Fraction(1717200000)
    if rnd.random() < 0.3:
        t += rnd.choice([-1, 1]) * Fraction(rnd.randrange(1, 3600 * 1000), 1000)
    micros = int(t * 10 ** 6)
    return EPOCH + dt.timedelta(microseconds=micros)


def oracle(keys, op, lits):
    ls = [lit_key(x) for x in lits]
    n = 0
    for k in keys:
        if k is None:
            continue
        if op == "=":
            ok = k == ls[0]
        elif op == "!=":
            ok = k != ls[0]
        elif op == "<":
            ok = k < ls[0]
        elif op == "<=":
            ok = k <= ls[0]
        elif op == ">":
            ok = k > ls[0]
        elif op == ">=":
            ok = k >= ls[0]
        elif op == "BETWEEN":
            ok = ls[0] <= k <= ls[1]
        else:
            ok = k in ls
        n += ok
    return n


def sql_lit(s):
    return "'" + s.replace("'", "''") + "'"


def where(col, op, lits, params):
    """The condition text; with params, the literals become bound parameters."""
    vals = ["?" for _ in lits] if params else [sql_lit(x) for x in lits]
    if op == "BETWEEN":
        return "%s BETWEEN %s AND %s" % (col, vals[0], vals[1])
    if op == "IN":
        return "%s IN (%s)" % (col, ", ".join(vals))
    return "%s %s %s" % (col, op, vals[0])


def main():
    args = sys.argv[1:]
    npairs, seed = 400, 14
    if "--pairs" in args:
        i = args.index("--pairs")
        npairs = int(args[i + 1])
        del args[i:i + 2]
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    ext, work = args[0], args[1]
    gen_only = ext == "--gen"
    mock = args[2] if len(args) > 2 else None
    rnd = random.Random(seed)
    evs = gen_events(rnd, 1500, oddballs=True)
    clean = [e for e in evs if not e["id"].startswith("odd-")]
    f_all = os.path.join(work, "time_events.json")
    f_clean = os.path.join(work, "time_events_clean.json")
    with open(f_all, "w") as f:
        json.dump({"value": evs}, f)
    with open(f_clean, "w") as f:
        json.dump({"value": clean}, f)
    if gen_only:
        return 0
    keys_all = [stored_key(e["activityDateTime"]) if "activityDateTime" in e else None for e in evs]
    keys_clean = [stored_key(e["activityDateTime"]) for e in clean]

    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(ext)
    conn.enable_load_extension(False)
    conn.execute("CREATE VIRTUAL TABLE ev USING provisioning_events(source='file:%s')" % f_all)
    conn.execute("CREATE VIRTUAL TABLE ev0 USING provisioning_events(source='file:%s', pushdown=0)" % f_all)
    plans = [
        ("pushdown", "ev", "activity_date_time", keys_all, False),
        ("+col", "ev", "+activity_date_time", keys_all, False),
        ("pushdown=0", "ev0", "activity_date_time", keys_all, False),
        ("OR", "ev", "activity_date_time", keys_all, "or"),
        ("parameter", "ev", "activity_date_time", keys_all, "param"),
    ]
    if mock:
        conn.execute("CREATE VIRTUAL TABLE gr USING provisioning_events(source='%s/v1.0', "
                     "rate_limit=1000, rate_window=1)" % mock)
        plans += [("mock", "gr", "activity_date_time", keys_clean, False),
                  ("mock +col", "gr", "+activity_date_time", keys_clean, False),
                  ("mock parameter", "gr", "activity_date_time", keys_clean, "param")]
    bad = 0
    nq = 0
    seen_forms = set()
    for _ in range(npairs):
        op = rnd.choice(OPS)
        form = rnd.choice(FORMS)
        seen_forms.add((op, form))
        nlit = 2 if op == "BETWEEN" else rnd.randrange(1, 4) if op == "IN" else 1
        lits = []
        for k in range(nlit):
            f = form if k == 0 else rnd.choice(FORMS)
            lits.append(render(rnd, pick_instant(rnd, clean), f))
        if op == "BETWEEN" and lit_key(lits[0]) > lit_key(lits[1]):
            lits.reverse()
        for name, table, col, keys, mode in plans:
            want = oracle(keys, op, lits)
            cond = where(col, op, lits, mode == "param")
            if mode == "or":
                cond = "(%s) OR duration_ms = 1000000" % cond  # no such duration: the same rows
            sql = "SELECT count(*) FROM %s WHERE %s" % (table, cond)
            try:
                got = conn.execute(sql, lits if mode == "param" else ()).fetchone()[0]
            except sqlite3.Error as e:
                got = "error: %s" % e
            nq += 1
            if got != want:
                bad += 1
                print("MISMATCH [%s] %s -- %s: got %s, instants say %s" % (name, sql, lits, got, want))
    print("time_instants: %d (operator, literal form) pairs, %d distinct, %d queries on %d plans, %d mismatches"
          % (npairs, len(seen_forms), nq, len(plans), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""run_examples.py: the README's marked SQL examples print what the README says.

Usage: run_examples.py README SQLITE3_COMMAND... (run from the repository root)

Every ```sql block preceded by a line starting with '<!-- readme-test' runs in
one sqlite3 shell session (:memory:, './provisioning' as written, or the
extension given by $EXT). After a SELECT or EXPLAIN statement, the '-- '
comment lines that follow it directly are its expected output (for EXPLAIN
QUERY PLAN, the plan lines without the tree drawing). Exits 1 on a difference
or an error.
"""
import os
import re
import subprocess
import sys


def blocks(text):
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("<!-- readme-test") and i + 1 < len(lines) and lines[i + 1].strip() == "```sql":
            j = i + 2
            body = []
            while j < len(lines) and lines[j].strip() != "```":
                body.append(lines[j])
                j += 1
            yield i + 1, body
            i = j
        i += 1


def statements(body):
    """(text, expected lines or None) for each statement or dot-command."""
    out = []
    cur = []
    expect = False  # the comment lines now read are the last statement's output
    for line in body:
        if not cur and line.startswith("-- "):
            if expect:
                out[-1][1].append(line[3:])
            continue
        expect = False
        if not cur and line.startswith("."):
            out.append([line, None])
            continue
        if not cur and not line.strip():
            continue
        cur.append(line)
        if line.rstrip().endswith(";"):
            text = "\n".join(cur)
            head = text.lstrip().split(None, 1)[0].upper()
            expect = head in ("SELECT", "EXPLAIN", "WITH")
            out.append([text, [] if expect else None])
            cur = []
    return [(s[0], s[1]) for s in out]


def main():
    readme, cmd = sys.argv[1], sys.argv[2:]
    ext = os.environ.get("EXT")
    bad = 0
    nblk = nchk = 0
    for line_no, body in blocks(open(readme, encoding="utf-8").read()):
        nblk += 1
        stmts = statements(body)
        script = []
        for k, (text, _) in enumerate(stmts):
            if ext and text.strip() == ".load ./provisioning":
                text = ".load " + ext
            script.append(text)
            script.append(".print @@@%d" % k)
        r = subprocess.run(cmd + ["-batch", "-init", "/dev/null", ":memory:"], input="\n".join(script) + "\n",
                           capture_output=True, text=True)
        parts = re.split(r"^@@@(\d+)\n", r.stdout, flags=re.M)
        got = {}
        for a in range(1, len(parts), 2):
            got[int(parts[a])] = parts[a - 1]
        if r.stderr.strip():
            bad += 1
            print("FAIL README.md:%d: the block printed an error:\n%s" % (line_no, r.stderr.strip()))
        for k, (text, want) in enumerate(stmts):
            if want is None or not want:
                continue
            nchk += 1
            lines = got.get(k, "").splitlines()
            if text.lstrip().upper().startswith("EXPLAIN"):
                lines = [re.sub(r"^[|` ]*--", "", x) for x in lines if x != "QUERY PLAN"]
            if lines != want:
                bad += 1
                print("FAIL README.md:%d: %s\n  README says: %s\n  it prints:   %s" % (line_no, text.strip(), want, lines))
    print("readme examples: %d blocks, %d outputs compared, %d differences" % (nblk, nchk, bad))
    if nblk < 4 or nchk < 8:
        print("FAIL fewer marked examples than expected")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

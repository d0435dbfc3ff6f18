"""lineage-cli: SQL against a lineage cluster, printed as the sqlite3 shell does.

    lineage-cli --cluster 127.0.0.1:29001,127.0.0.1:29002 "SELECT * FROM lineage_runs"
    lineage-cli --cluster 127.0.0.1:29001 < sql/demo.sql

Statements come from the SQL argument or from standard input, one at a time:
input is split on ';' outside strings, identifiers and comments (so JSON in a
string literal may hold any ';'), and a statement ends where SQLite's own
sqlite3_complete() says it does (a trigger body's ';' does not end it).

Output is the sqlite3 shell's: list mode (no header, '|' between values,
NULL as nothing) unless `.mode box` is given. The shell's dot commands a
script needs are understood: .print, .mode list|box, .headers on|off,
.bail on|off, .quit. A statement that calls a writer (run_start,
log_artifact, ...) outside a transaction the script opened is run in one
transaction of its own, the cluster's write recipe (BEGIN IMMEDIATE, the
SELECT, COMMIT).
"""

import argparse
import io
import re
import subprocess
import sqlite3
import sys

from . import cluster

WRITERS = ("run_start", "run_finish", "use_artifact", "log_artifact",
           "artifact_alias", "artifact_unalias", "artifact_delete")
_CALLS_WRITER = re.compile(r"\b(?:%s)\s*\(" % "|".join(WRITERS), re.I)
# A writer's transaction replayed on a new leader with another result is
# run again; more conflicts than this in a row mean the cluster keeps
# changing leader under load, which is worth reporting.
CONFLICT_RETRIES = 10
_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*(\w+)", re.S)
_BLANK = re.compile(r"(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*\Z", re.S)


def blank(text):
    """Only whitespace and comments (the shell ignores such input)."""
    return _BLANK.match(text) is not None


def split_statements(text):
    """Yield (statement, line, end) for each complete statement of text: its
    first line (counting from 1) and the offset just past its ';'. What
    follows the last one is unfinished."""
    start, i, n, line, start_line = 0, 0, len(text), 1, 1
    while i < n:
        c = text[i]
        if c in "'\"`[":
            close = "]" if c == "[" else c
            j = i + 1
            while j < n:
                if text[j] == close:
                    if close != "]" and j + 1 < n and text[j + 1] == close:
                        j += 2
                        continue
                    break
                j += 1
            line += text.count("\n", i, j)
            i = j + 1
            continue
        if text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
            continue
        if c == "\n":
            line += 1
        elif c == ";":
            stmt = text[start:i + 1]
            if sqlite3.complete_statement(stmt):
                if stmt.strip(" \t\r\n;"):
                    lead = len(stmt) - len(stmt.lstrip())
                    yield stmt, start_line + stmt.count("\n", 0, lead), i + 1
                start, start_line = i + 1, line
        i += 1


def sqlite_text(v):
    """A value as sqlite3_column_text() gives it (and the shell prints it)."""
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:
            return ""
        if v in (float("inf"), float("-inf")):
            return "Inf" if v > 0 else "-Inf"
        s = "%.15g" % v
        if "e" in s:
            mant, exp = s.split("e")
            if "." not in mant:
                mant += ".0"
            sign = exp[0]
            digits = exp[1:].lstrip("0") or "0"
            s = "%se%s%s" % (mant, sign, digits.rjust(2, "0"))
        elif "." not in s:
            s += ".0"
        return s
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def print_box(out, names, rows):
    """The shell's box mode: headers centred, values left-aligned."""
    if not rows:
        return
    cells = [[sqlite_text(v) for v in r] for r in rows]
    widths = [max([len(names[k])] + [len(r[k]) for r in cells])
              for k in range(len(names))]

    def rule(left, mid, right):
        out.write(left + mid.join("─" * (w + 2) for w in widths) + right + "\n")

    rule("┌", "┬", "┐")
    out.write("│" + "│".join(
        " " + " " * ((w - len(h)) // 2) + h + " " * ((w - len(h) + 1) // 2) + " "
        for h, w in zip(names, widths)) + "│\n")
    rule("├", "┼", "┤")
    for r in cells:
        out.write("│" + "│".join(" " + v.ljust(w) + " " for v, w in zip(r, widths)) + "│\n")
    rule("└", "┴", "┘")


def print_list(out, names, rows, headers):
    if headers and names and rows:
        out.write("|".join(names) + "\n")
    for r in rows:
        out.write("|".join(sqlite_text(v) for v in r) + "\n")


def dot_print_args(rest):
    """The arguments of a dot command, unquoted as the shell does."""
    args = []
    for m in re.finditer(r"'([^']*)'|\"((?:[^\"\\]|\\.)*)\"|(\S+)", rest):
        if m.group(1) is not None:
            args.append(m.group(1))
        elif m.group(2) is not None:
            args.append(m.group(2).encode().decode("unicode_escape"))
        else:
            args.append(m.group(3))
    return args


class Shell:
    def __init__(self, client, out=sys.stdout, err=sys.stderr):
        self.c = client
        self.out = out
        self.err = err
        self.mode = "list"
        self.headers = False
        self.bail = False
        self.in_txn = False      # the script opened a transaction
        self.failed = False
        self.once = None         # .once: where the next statement's rows go

    def error(self, line, msg):
        self.failed = True
        where = " near line %d" % line if line else ""
        self.err.write("Error%s: %s\n" % (where, msg))
        self.err.flush()

    def dot(self, text, line):
        """Run a dot command; False to stop."""
        word, _, rest = text[1:].strip().partition(" ")
        args = dot_print_args(rest)
        if word == "print":
            self.out.write(" ".join(args) + "\n")
        elif word == "mode" and args and args[0] in ("list", "box"):
            self.mode = args[0]
        elif word in ("headers", "header") and args and args[0] in ("on", "off"):
            self.headers = args[0] == "on"
        elif word == "bail" and args and args[0] in ("on", "off"):
            self.bail = args[0] == "on"
        elif word == "once" and len(args) == 1:
            self.once = args[0]
        elif word in ("quit", "exit"):
            return False
        else:
            self.error(line, "lineage-cli understands .print, .mode list|box, "
                       ".headers on|off, .once FILE|'|COMMAND', .bail on|off "
                       "and .quit, not %r" % text.strip())
            return not self.bail
        return True

    def write(self, sql):
        """A statement that calls a writer, in a transaction of its own; run
        again when the transaction was replayed with another result (then
        nothing was committed)."""
        for _attempt in range(CONFLICT_RETRIES):
            try:
                with self.c.transaction():
                    return self.c.query(sql)
            except cluster.TransactionConflict:
                continue
        raise cluster.Error("lineage-cli: %r conflicted %d times with other "
                            "writers during leader changes" % (sql[:60], CONFLICT_RETRIES))

    def statement(self, sql, line):
        """Run one statement and print its rows; False to stop."""
        m = _FIRST_WORD.match(sql)
        word = m.group(1).upper() if m else ""
        try:
            if _CALLS_WRITER.search(sql) and not self.in_txn:
                names, rows = self.write(sql)
            else:
                names, rows = self.c.query(sql)
                if word in ("BEGIN", "SAVEPOINT") and not self.in_txn:
                    self.in_txn = True
                elif word in ("COMMIT", "END", "ROLLBACK") and \
                        not re.match(r"\s*ROLLBACK\s+(TRANSACTION\s+)?TO\b", sql, re.I):
                    self.in_txn = False
        except cluster.Error as e:
            self.error(line, str(e))
            return not self.bail
        target, self.once = self.once, None
        out = io.StringIO() if target else self.out
        if self.mode == "box":
            print_box(out, names, rows)
        else:
            print_list(out, names, rows, self.headers)
        if target:
            return self.write_once(target, out.getvalue(), line)
        return True

    def write_once(self, target, text, line):
        """The rows of a statement after .once: into a file, or, for
        '|COMMAND', into the standard input of a shell command (as the sqlite3
        shell does). False to stop."""
        try:
            if target.startswith("|"):
                done = subprocess.run(target[1:], shell=True, input=text.encode())
                if done.returncode != 0:
                    self.error(line, "%r exited with status %d" % (target[1:], done.returncode))
                    return not self.bail
            else:
                with open(target, "w", encoding="utf-8") as f:
                    f.write(text)
        except OSError as e:
            self.error(line, "cannot write %r: %s" % (target, e))
            return not self.bail
        return True

    def run(self, text):
        """Run a script: dot commands on lines of their own between statements."""
        pending, first = "", 1
        for lineno, raw in enumerate(text.splitlines(True), 1):
            if blank(pending):
                pending, first = "", lineno
                if raw.lstrip().startswith("."):
                    if not self.dot(raw, lineno):
                        return
                    continue
            pending += raw
            used = 0
            for stmt, line, end in split_statements(pending):
                if not self.statement(stmt, first + line - 1):
                    return
                used = end
            if used:
                first += pending[:used].count("\n")
                pending = pending[used:]
            self.out.flush()
        if not blank(pending.replace(";", " ")):
            self.statement(pending, first)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="lineage-cli",
        description="Run SQL against a lineage cluster (lineage-node) and print "
                    "the rows as the sqlite3 shell does.")
    ap.add_argument("--cluster", required=True, metavar="ADDR[,ADDR...]",
                    help="one or more nodes, host:port, comma-separated")
    ap.add_argument("--database", default="lineage",
                    help="the database's name in the cluster (default: lineage)")
    ap.add_argument("--timeout", type=float, default=cluster.DEFAULT_TIMEOUT,
                    help="seconds to wait for a leader (default: %(default)s)")
    ap.add_argument("sql", nargs="?",
                    help="SQL to run; without it, statements are read from "
                         "standard input")
    args = ap.parse_args(argv)
    try:
        client = cluster.connect(args.cluster.split(","), database=args.database,
                                 timeout=args.timeout)
    except cluster.Error as e:
        sys.stderr.write("Error: %s\n" % e)
        return 1
    shell = Shell(client)
    try:
        shell.run(args.sql if args.sql is not None else sys.stdin.read())
    finally:
        sys.stdout.flush()
        client.close()
    return 1 if shell.failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Panic-surface inventory for capOS: every place the kernel can stop.

Scans kernel/ and lib/ for the sites where execution ends or the kernel
gives up, and checks them against docs/panic-surface.md, which must list
each one with the reason no user input can reach it (ARCHITECTURE.md: "The
kernel never panics on anything a user process can send").

Sites (after comments are removed; macro definitions are the machinery,
not sites):
  panic     a call of panic(...) or vpanic(...); the message is the format
            string (or the argument text when it is not a literal)
  KASSERT   a use of KASSERT(cond); the message is the condition
  trap      __builtin_trap() or __builtin_unreachable()
  halt      a call of halt_forever() or qemu_exit(...) (message: the call
            as written), or a `hlt` after a `cli` in the same inline asm
            string, or directly after a `cli` (no label between) in a .S
            file (message: "cli; hlt"). A plain `hlt` (an idle wait that
            an interrupt ends) is not a site.

Entries are matched by file, kind and message, never by line number, so
unrelated edits do not disturb the check. Identical sites in one file need
one row each.

Usage:
  panic_surface.py [--root DIR] --list          print every site
  panic_surface.py [--root DIR] --check DOC     exit 1 unless DOC lists
                                                exactly the sites found,
                                                each with a reason, none
                                                marked reachable
  panic_surface.py [--root DIR] --rows          print table rows for the
                                                sites DOC does not list yet
                                                (with --check DOC)
  panic_surface.py --self-test                  test this script
"""

import argparse
import os
import re
import sys
import tempfile
from collections import Counter

SCAN_DIRS = ("kernel", "lib")
C_EXTS = {".c", ".cc", ".cpp", ".h", ".hpp", ".inc"}
ASM_EXTS = {".S", ".s"}
KINDS = ("panic", "KASSERT", "trap", "halt")


class Site:
    def __init__(self, path, line, kind, message):
        self.path = path
        self.line = line
        self.kind = kind
        self.message = message

    def key(self):
        return (self.path, self.kind, normalize(self.message))


def normalize(text):
    return " ".join(text.split())


def blank(match):
    """Replace a match by spaces, keeping its newlines (line numbers)."""
    return re.sub(r"[^\n]", " ", match.group(0))


# C and C++: comments, string and character literals, in one pass so that a
# "//" inside a string is not a comment and a quote inside a comment is not
# a string.
_C_TOKENS = re.compile(
    r"""//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'""",
    re.S)


def strip_c_comments(text):
    def repl(m):
        s = m.group(0)
        return blank(m) if s.startswith("/") else s
    return _C_TOKENS.sub(repl, text)


def blank_literals(text):
    """Blank the inside of string and character literals (text has no comments)."""
    def repl(m):
        s = m.group(0)
        if s.startswith("/"):
            return s
        return s[0] + re.sub(r"[^\n]", " ", s[1:-1]) + s[-1]
    return _C_TOKENS.sub(repl, text)


def mask_macro_definitions(text):
    """Blank every #define directive (with its continuation lines)."""
    out = []
    in_define = False
    for line in text.split("\n"):
        if in_define or re.match(r"\s*#\s*define\b", line):
            out.append(" " * len(line))
            in_define = line.rstrip().endswith("\\")
        else:
            out.append(line)
    return "\n".join(out)


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def call_arguments(text, open_paren):
    """The text between the parenthesis at open_paren and its match."""
    depth = 0
    i = open_paren
    while i < len(text):
        c = text[i]
        if c == '"' or c == "'":
            m = re.compile(r"""%s(?:\\.|[^%s\\\n])*%s""" % (c, c, c)).match(text, i)
            if m:
                i = m.end()
                continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[open_paren + 1:i]
        i += 1
    return text[open_paren + 1:]


def split_top_level_args(args):
    parts, depth, cur, i = [], 0, [], 0
    while i < len(args):
        c = args[i]
        if c in "\"'":
            m = re.compile(r"""%s(?:\\.|[^%s\\\n])*%s""" % (c, c, c)).match(args, i)
            if m:
                cur.append(m.group(0))
                i = m.end()
                continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def literal_message(arg):
    """The text of a (possibly concatenated) string literal, else the argument."""
    lits = re.findall(r'"((?:\\.|[^"\\])*)"', arg)
    if lits and re.fullmatch(r'\s*(?:"(?:\\.|[^"\\])*"\s*)+', arg):
        return "".join(lits)
    return arg


_DEFINITION_BEFORE = re.compile(r"(?:\bvoid|\bauto|\bnoreturn\]\]|::)\s*$")


def is_definition(text, start):
    """True when the name at `start` is being declared (e.g. `void panic(`)."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    if before.rstrip().endswith("::"):
        # qualified call like arch::halt_forever( or ::capos::panic(: a call,
        # unless the qualification itself follows a return type.
        return bool(re.search(r"\b(?:void|auto)\s+[\w:]*$", before))
    return bool(_DEFINITION_BEFORE.search(before))


_C_PATTERNS = [
    ("panic", re.compile(r"(?<![\w.>])(?:(?:::)?\w+::)*v?panic\s*\(")),
    ("KASSERT", re.compile(r"(?<![\w.>])KASSERT\s*\(")),
    ("trap", re.compile(r"(?<![\w.>])__builtin_(?:trap|unreachable)\s*\(")),
    ("halt", re.compile(r"(?<![\w.>])(?:(?:::)?\w+::)*(?:halt_forever|qemu_exit)\s*\(")),
]

_ASM_CLI_HLT = re.compile(r"\bcli\b[^\"]*?\bhlt\b")


def scan_c(path, text):
    sites = []
    code = mask_macro_definitions(strip_c_comments(text))
    names_only = blank_literals(code)  # same offsets; no call inside a string
    for kind, pattern in _C_PATTERNS:
        for m in pattern.finditer(names_only):
            name_start = m.start()
            if is_definition(names_only, name_start):
                continue
            open_paren = m.end() - 1
            args = call_arguments(code, open_paren)
            if kind == "panic":
                first = split_top_level_args(args)[0]
                message = literal_message(first)
            elif kind == "KASSERT":
                message = args
            elif kind == "trap":
                message = m.group(0).rstrip("( ")
            else:
                call_end = open_paren + 1 + len(args) + 1
                message = re.sub(r"^(?:::)?(?:\w+::)*", "", code[name_start:call_end])
            sites.append(Site(path, line_of(code, name_start), kind, normalize(message)))
    # Inline asm that disables interrupts and halts.
    for m in re.finditer(r'"(?:\\.|[^"\\\n])*"', code):
        if _ASM_CLI_HLT.search(m.group(0)):
            line_start = code.rfind("\n", 0, m.start()) + 1
            if re.search(r"\basm\b|__asm__", code[line_start:m.start()]):
                sites.append(Site(path, line_of(code, m.start()), "halt", "cli; hlt"))
    return sites


def scan_asm(path, text):
    sites = []
    code = re.sub(r"/\*.*?\*/", blank, text, flags=re.S)
    previous = None  # the instruction before, since the last label
    for n, raw in enumerate(code.split("\n"), 1):
        line = raw.split("//")[0]
        if re.match(r"\s*#", line):  # preprocessor directive
            continue
        line = re.sub(r"\s#.*$", "", line)
        if re.match(r"^\s*[\w.$]+:", line):  # a label: control may arrive from elsewhere
            previous = None
            line = re.sub(r"^\s*[\w.$]+:", "", line)
        for stmt in line.split(";"):
            ins = stmt.strip().split()
            if not ins or ins[0].startswith("."):
                continue
            op = ins[0].lower()
            if op == "hlt" and previous == "cli":
                sites.append(Site(path, n, "halt", "cli; hlt"))
            previous = op
    return sites


def scan(root):
    sites = []
    for d in SCAN_DIRS:
        base = os.path.join(root, d)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                ext = os.path.splitext(name)[1]
                if ext not in C_EXTS and ext not in ASM_EXTS:
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                with open(full, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                sites.extend(scan_asm(rel, text) if ext in ASM_EXTS else scan_c(rel, text))
    sites.sort(key=lambda s: (s.path, s.line))
    return sites


# ---------------------------------------------------------------------------
# docs/panic-surface.md

def split_row(line):
    """Cells of a markdown table row; `\\|` is a literal bar."""
    cells, cur, i = [], [], 0
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] == "|":
            cur.append("|")
            i += 2
            continue
        if body[i] == "|":
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(body[i])
        i += 1
    cells.append("".join(cur).strip())
    return cells


def unquote(cell):
    m = re.fullmatch(r"(`+)\s?(.*?)\s?\1", cell)
    return m.group(2) if m else cell


class Entry:
    def __init__(self, lineno, path, kind, message, reachable, reason):
        self.lineno = lineno
        self.path = path
        self.kind = kind
        self.message = message
        self.reachable = reachable
        self.reason = reason

    def key(self):
        return (self.path, self.kind, normalize(self.message))


def parse_doc(path):
    """Rows whose first cell is a `kernel/...` or `lib/...` path."""
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.lstrip().startswith("|"):
                continue
            cells = split_row(line)
            if len(cells) < 5:
                continue
            file_cell = unquote(cells[0])
            if not file_cell.startswith(tuple(d + "/" for d in SCAN_DIRS)):
                continue
            entries.append(Entry(n, file_cell, cells[1].strip(), unquote(cells[2]),
                                 cells[3].strip().lower(), cells[4].strip()))
    return entries


def md_code(text):
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def row_for(site):
    return (f"| {md_code(site.path)} | {site.kind} | {md_code(site.message)} | no | "
            f"FIXME: why no user input reaches it |")


def check(root, doc, print_rows=False, out=sys.stdout):
    sites = scan(root)
    entries = parse_doc(doc)
    problems = 0
    remaining = Counter(e.key() for e in entries)
    unlisted = []
    for s in sites:
        if remaining[s.key()] > 0:
            remaining[s.key()] -= 1
        else:
            unlisted.append(s)
    for s in unlisted:
        problems += 1
        print(f"{s.path}:{s.line}: unlisted {s.kind} site: {s.message!r}", file=out)
    stale = Counter({k: v for k, v in remaining.items() if v > 0})
    for e in entries:
        if stale[e.key()] > 0:
            stale[e.key()] -= 1
            problems += 1
            print(f"{doc}:{e.lineno}: listed {e.kind} site not found in {e.path}: {e.message!r}", file=out)
    for e in entries:
        if e.kind not in KINDS:
            problems += 1
            print(f"{doc}:{e.lineno}: unknown kind {e.kind!r}", file=out)
        if e.reachable not in ("no", "yes"):
            problems += 1
            print(f"{doc}:{e.lineno}: reachable must be 'no' or 'yes', not {e.reachable!r}", file=out)
        if e.reachable == "yes":
            problems += 1
            print(f"{doc}:{e.lineno}: REACHABLE FROM USER INPUT: {e.path} {e.kind} {e.message!r} "
                  f"(a kernel bug: the kernel must not stop on anything a process sends)", file=out)
        if not e.reason or "FIXME" in e.reason:
            problems += 1
            print(f"{doc}:{e.lineno}: no reason given for {e.path} {e.message!r}", file=out)
    if print_rows:
        for s in unlisted:
            print(row_for(s), file=out)
    if problems:
        print(f"panic surface: {problems} problem(s); {len(sites)} sites in {', '.join(SCAN_DIRS)}, "
              f"{len(entries)} rows in {doc}. Justify each new site in {doc} "
              f"(panic_surface.py --check {doc} --rows prints rows to start from).", file=out)
        return 1
    print(f"panic surface: {len(sites)} sites, each listed in {doc} with its reason: OK", file=out)
    return 0


# ---------------------------------------------------------------------------
# Self-test

_FIXTURE_C = r'''// panic("in a comment") must not count, nor /* KASSERT(x) */
#define KASSERT(cond) do { if (!(cond)) ::capos::panic("assertion failed: {}", #cond); } while (0)
#define MULTI(x) \
    panic("inside a macro definition")
[[noreturn]] void panic(StringView fmt);
[[noreturn]] inline void halt_forever() {
    for (;;) asm volatile("cli; hlt");
}
void idle() { asm volatile("sti; hlt; cli"); }
void f(int a) {
    const char* s = "panic(not a call)";
    if (a) panic("first: {}", a);
    if (a > 1) ::capos::panic(
        "second, "
        "concatenated");
    KASSERT(a != 3 && s);
    if (a == 4) __builtin_trap();
    arch::halt_forever();
    vpanic(fmt, nullptr, 0);
}
'''

_FIXTURE_S = '''    call kmain
4:  cli
    hlt
    jmp 4b
idle:
    hlt    # waits for an interrupt: not a site
'''


def self_test():
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "kernel"))
        os.makedirs(os.path.join(root, "lib"))
        c_path = os.path.join(root, "kernel", "a.cpp")
        with open(c_path, "w") as f:
            f.write(_FIXTURE_C)
        with open(os.path.join(root, "kernel", "boot.S"), "w") as f:
            f.write(_FIXTURE_S)
        got = sorted((s.path, s.kind, s.message) for s in scan(root))
        want = sorted([
            ("kernel/a.cpp", "halt", "cli; hlt"),
            ("kernel/a.cpp", "panic", "first: {}"),
            ("kernel/a.cpp", "panic", "second, concatenated"),
            ("kernel/a.cpp", "KASSERT", "a != 3 && s"),
            ("kernel/a.cpp", "trap", "__builtin_trap"),
            ("kernel/a.cpp", "halt", "halt_forever()"),
            ("kernel/a.cpp", "panic", "fmt"),
            ("kernel/boot.S", "halt", "cli; hlt"),
        ])
        expect(got == want, f"scan found {got}, want {want}")

        doc = os.path.join(root, "doc.md")
        rows = ["| File | Kind | Message | Reachable | Reason |", "|---|---|---|---|---|"]
        rows += [f"| {md_code(p)} | {k} | {md_code(m)} | no | test reason |" for p, k, m in want]
        with open(doc, "w") as f:
            f.write("\n".join(rows) + "\n")
        sink = open(os.devnull, "w")
        expect(check(root, doc, out=sink) == 0, "complete inventory rejected")

        # Moving code around (line numbers change) does not matter.
        with open(c_path, "w") as f:
            f.write("\n\n\n" + _FIXTURE_C)
        expect(check(root, doc, out=sink) == 0, "line shift broke the match")

        # A new site fails the check.
        with open(c_path, "a") as f:
            f.write('void g() { panic("brand new"); }\n')
        expect(check(root, doc, out=sink) == 1, "unlisted site accepted")
        # A duplicate of a listed message needs its own row.
        with open(c_path, "w") as f:
            f.write(_FIXTURE_C + 'void g(int a) { if (a) panic("first: {}", a); }\n')
        expect(check(root, doc, out=sink) == 1, "duplicate site accepted with one row")

        # A removed site leaves a stale row, which fails.
        with open(c_path, "w") as f:
            f.write(_FIXTURE_C.replace("    if (a == 4) __builtin_trap();\n", ""))
        expect(check(root, doc, out=sink) == 1, "stale row accepted")

        # A row marked reachable, or without a reason, fails.
        with open(c_path, "w") as f:
            f.write(_FIXTURE_C)
        for bad in ("| yes | test reason |", "| no |  |", "| no | FIXME: later |"):
            with open(doc, "w") as f:
                f.write("\n".join(r.replace("| no | test reason |", bad) if "first" in r else r
                                  for r in rows) + "\n")
            expect(check(root, doc, out=sink) == 1, f"row ending {bad!r} accepted")
        sink.close()

    if failures:
        for f in failures:
            print("self-test FAILED:", f)
        return 1
    print("panic_surface.py self-test: OK")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--check", metavar="DOC")
    ap.add_argument("--rows", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if a.list:
        for s in scan(a.root):
            print(f"{s.path}:{s.line}: {s.kind}: {s.message}")
        return 0
    if a.check:
        return check(a.root, a.check, print_rows=a.rows)
    ap.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Parsing of the measure transcripts (stdlib only).

Both sides print the harness line (bench/measure/harness.hpp):

  measure: row=NAME ops=K iters=N warmup=W total=T baseline=B per_op=X.YY failures=F check=ok

The capOS kernel also prints, at log=debug, a counter snapshot when each
benchmark service starts and exits (kernel/stats.cpp):

  stats: pid P start: syscalls S irqs I cr3 C switches W handoffs H
  stats: pid P exit: syscalls S irqs I cr3 C switches W handoffs H

(handoffs: direct switches; lines without the field read it as 0).
The measure kernel (capos-measure.elf, kernel/segments.hpp) adds, beside
each snapshot, the instructions spent so far in each segment of the
system-call path:

  segments: pid P start: entry N sqe N lookup N decode N body N post N wake N switch N pass N
"""

import json
import re

ROW = re.compile(r"measure: row=(\S+) (.*)$")
FIELD = re.compile(r"(\w+)=(\S+)")
STATS = re.compile(r"stats: pid (\d+) (start|exit): syscalls (\d+) irqs (\d+) cr3 (\d+) switches (\d+)"
                   r"(?: handoffs (\d+))?")
STARTED = re.compile(r"service '([^']+)' started as pid (\d+)")
COUNTERS = ("syscalls", "irqs", "cr3", "switches", "handoffs")
SEGMENTS = ("entry", "sqe", "lookup", "decode", "body", "post", "wake", "switch", "pass")
SEGLINE = re.compile(r"segments: pid (\d+) (start|exit): " + " ".join(f"{s} (\\d+)" for s in SEGMENTS))


def parse_rows(lines):
    """The harness rows of one transcript, in order: a list of dicts with
    row, ok, and (when the row ran) ops, iters, warmup, total, baseline,
    failures and instructions per op (exact, recomputed from the raw counts)."""
    rows = []
    for line in lines:
        m = ROW.search(line)
        if not m:
            continue
        fields = dict(FIELD.findall(m.group(2)))
        row = {"row": m.group(1), "ok": fields.get("check") == "ok"}
        if "reason" in fields:
            row["reason"] = fields["reason"]
        for key in ("ops", "iters", "warmup", "total", "baseline", "failures"):
            if key in fields:
                row[key] = int(fields[key])
        if row["ok"] and {"ops", "iters", "total", "baseline"} <= row.keys():
            row["per_op"] = (row["total"] - row["baseline"]) / (row["iters"] * row["ops"])
        rows.append(row)
    return attach_events(lines, rows)


def parse_stats(lines):
    """Kernel counter deltas per service (capOS transcripts): a dict from
    service name to {counter: exit - start}."""
    names = {}
    starts = {}
    out = {}
    for line in lines:
        m = STARTED.search(line)
        if m:
            names[m.group(2)] = m.group(1)
            continue
        m = STATS.search(line)
        if not m:
            continue
        pid, when = m.group(1), m.group(2)
        values = dict(zip(COUNTERS, (int(v or 0) for v in m.groups()[2:])))
        if when == "start":
            starts[pid] = values
        elif pid in starts:
            name = names.get(pid, "pid " + pid)
            out[name] = {k: values[k] - starts[pid][k] for k in COUNTERS}
    return out


def read_lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return [l.rstrip("\r\n") for l in f]


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")


def attach_segments(lines, rows):
    """Adds "segments" (segment deltas of the process that printed the row,
    measure kernel only) to each row, matched as attach_events does."""
    starts = {}
    pending = []
    it = iter(rows)
    for line in lines:
        if ROW.search(line):
            r = next(it, None)
            if r is not None:
                pending.append(r)
            continue
        m = SEGLINE.search(line)
        if not m:
            continue
        pid, when = m.group(1), m.group(2)
        values = dict(zip(SEGMENTS, (int(v) for v in m.groups()[2:])))
        if when == "start":
            starts[pid] = values
        elif pid in starts and pending:
            delta = {k: values[k] - starts[pid][k] for k in SEGMENTS}
            for r in pending:
                r["segments"] = delta
            pending = []
    return rows


def attach_events(lines, rows):
    """Adds "events" (kernel counter deltas of the process that printed the
    row) to each row of parse_rows(lines): the process whose exit snapshot
    is the first one after the row's line (the printing process exits right
    after printing; in the concurrent IPC boot the server has exited
    before its client prints)."""
    starts = {}
    pending = []  # rows printed whose process has not exited yet
    by_name = {}
    it = iter(rows)
    for line in lines:
        if ROW.search(line):
            r = next(it, None)
            if r is not None:
                pending.append(r)
            continue
        m = STATS.search(line)
        if not m:
            continue
        pid, when = m.group(1), m.group(2)
        values = dict(zip(COUNTERS, (int(v or 0) for v in m.groups()[2:])))
        if when == "start":
            starts[pid] = values
        elif pid in starts and pending:
            delta = {k: values[k] - starts[pid][k] for k in COUNTERS}
            for r in pending:
                r["events"] = delta
            pending = []
    return rows

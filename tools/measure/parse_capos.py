#!/usr/bin/env python3
"""Turns the serial logs of `make run-measure` boots into capos.json and
prints each row with its spread over the boots.

usage: parse_capos.py [--segments SEGLOG] OUT.json LOG [LOG ...]

For every boot: the harness rows (bench/measure/harness.hpp), the kernel
counter deltas of each benchmark service (kernel/stats.hpp) and the exit
codes. With --segments, SEGLOG (every package booted once on the measure
kernel) gives each row's segment split ("segments": row -> per-op figure on
that kernel and instructions per operation in each segment). Exits 1 when a boot printed no rows, a row failed its check, or a
benchmark service did not exit with 0.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measurelib  # noqa: E402

EXITED = re.compile(r"service '([^']+)' \(pid \d+\) exited with code (-?\d+)")
BANNER = re.compile(r"capOS (\S+) \(commit (\S+)\) booting")


def segment_split(path):
    """row -> {"per_op": figure on the measure kernel, "segments": {name: per op}}."""
    lines = measurelib.read_lines(path)
    rows = measurelib.attach_segments(lines, measurelib.parse_rows(lines))
    out = {}
    for r in rows:
        if not r["ok"] or "segments" not in r or "iters" not in r:
            continue
        ops = (r["warmup"] + r["iters"]) * r["ops"]
        out[r["row"]] = {"per_op": r.get("per_op"),
                         "segments": {k: v / ops for k, v in r["segments"].items()}}
    return out


def main():
    args = sys.argv[1:]
    segments = None
    if len(args) >= 2 and args[0] == "--segments":
        segments, args = args[1], args[2:]
    if len(args) < 2:
        sys.exit(__doc__)
    out = {"source": "make run-measure (tools/measure/capos.sh)", "boots": []}
    if segments:
        out["segments"] = segment_split(segments)
    bad = []
    for log in args[1:]:
        lines = measurelib.read_lines(log)
        boot = {"log": os.path.basename(log), "rows": measurelib.parse_rows(lines),
                "stats": measurelib.parse_stats(lines), "exit_codes": {}}
        for line in lines:
            m = BANNER.search(line)
            if m:
                boot["version"], boot["commit"] = m.group(1), m.group(2)
            m = EXITED.search(line)
            if m:
                boot["exit_codes"][m.group(1)] = int(m.group(2))
        if not boot["rows"]:
            bad.append(f"{log}: no measure rows")
        bad += [f"{log}: row {r['row']} failed its check" for r in boot["rows"] if not r["ok"]]
        bad += [f"{log}: service {s} exited with {c}" for s, c in boot["exit_codes"].items() if c != 0]
        out["boots"].append(boot)
    measurelib.write_json(args[0], out)

    figures = {}
    for boot in out["boots"]:
        for r in boot["rows"]:
            if "per_op" in r:
                figures.setdefault(r["row"], []).append(r["per_op"])
    print(f"{'row':16} {'instructions/op':>16}  spread over {len(out['boots'])} boot(s)")
    for row, values in figures.items():
        spread = "identical" if len(set(values)) == 1 else f"min {min(values):.2f} max {max(values):.2f}"
        print(f"{row:16} {values[0]:16.2f}  {spread}")
    for b in bad:
        print("run-measure: " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

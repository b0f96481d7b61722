#!/usr/bin/env python3
"""Print ours/libcapnp time ratios from bench_capnp's JSON output.

Usage: ratio.py results.json
Pairs Case_Ours with Case_Libcapnp (median of repetitions when present).
Exits 0 either way: the ratio is a measurement, not a pass/fail gate.
"""
import json
import sys


def main(path):
    with open(path) as f:
        data = json.load(f)
    times = {}
    for b in data["benchmarks"]:
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        times.setdefault(name, b["cpu_time"])
        if b.get("aggregate_name") == "median":
            times[name] = b["cpu_time"]
    unit = data["benchmarks"][0].get("time_unit", "ns")
    print(f"{'case':<14} {'ours':>12} {'libcapnp':>12} {'ours/libcapnp':>14}")
    for name in sorted(times):
        if not name.endswith("_Ours"):
            continue
        case = name[: -len("_Ours")]
        theirs = times.get(case + "_Libcapnp")
        if theirs is None:
            continue
        ours = times[name]
        print(f"{case:<14} {ours:>10.1f}{unit} {theirs:>10.1f}{unit} {ours / theirs:>13.2f}x")


if __name__ == "__main__":
    main(sys.argv[1])

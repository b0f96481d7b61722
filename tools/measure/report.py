#!/usr/bin/env python3
"""make measure-report: the side-by-side table and plot (docs/performance.md).

usage: report.py MEASURE_DIR

Reads MEASURE_DIR/capos.json (make run-measure) and, when present,
MEASURE_DIR/linux.json (make measure-linux); writes MEASURE_DIR/report.md,
MEASURE_DIR/report.dat and, with gnuplot, MEASURE_DIR/report.png
(instructions per operation, log scale). Prints the report.

A figure counts only when its row passed its own checks in every boot;
rows whose checks failed are shown as FAILED, never as numbers. When
capos.json holds the segment split (the measure kernel's boots), the report
adds a table of instructions per operation in each segment of the
system-call path. stdlib only.
"""

import json
import os
import shutil
import subprocess
import sys

# capOS rows: (row, what one operation is, Linux analogue row, goal).
# Goals (issue #9): ("linux", f) means at or below f x the Linux analogue
# (mitigations=off); ("row", r, f) means at or below f x capOS row r;
# ("abs", n, why) means at or below n instructions; ("sel4", n, what) is a
# comparison with seL4's figure n, not a goal.
CAPOS_ROWS = [
    ("null_enter", "null `cap_enter` (no SQEs)", "getpid", ("linux", 0.5)),
    ("nop1", "ring NOP, 1 SQE per enter", "uring_nop1", ("linux", 0.35)),
    ("nop8", "ring NOP, 8 SQEs per enter (per NOP)", None, None),
    ("nop32", "ring NOP, 32 SQEs per enter (per NOP)", "uring_nop32", ("row", "nop1", 0.25)),
    ("timer_now", "CALL kernel cap, empty params: `Timer.now()`, generated client, user to user", "getpid", None),
    ("timer_now_raw", "CALL kernel cap, empty params: `Timer.now()`, SQE and params prebuilt", "getpid", None),
    ("timer_sleep0", "CALL kernel cap decoding small params: `Timer.sleep(ns = 0)`, generated client", "getpid", None),
    ("ipc_rt", "endpoint IPC round trip, empty params, null server, user to user (CALL SQE prebuilt, "
     "enter, reap; server: RECV, RETURN)", "pipe_rt", ("abs", 830, "2x seL4; stretch 415")),
    ("ipc_copy", "the same round trip carrying a copied capability (the server RELEASEs it)",
     "scm_rights_rt", None),
    ("ipc_move", "the same round trip with a capability moved to the server and moved back in the answer",
     "scm_rights_rt", ("row", "ipc_rt", 1.4)),
    ("ipc_batch32", "32 endpoint calls batched per `cap_enter` (per call); the server keeps 32 RECVs waiting and "
     "answers each batch with RETURN + RECV per call, 32 SQEs per enter", None,
     ("abs", 208, "half seL4's round trip")),
    ("ipc_call_oneway", "one-way CALL, sel4bench bracket: client's timer read just before its `cap_enter`, "
     "server's just after its `cap_enter` returns with the call, minus the bracket around no syscall", None,
     ("sel4", 194, "Call")),
    ("ipc_return_oneway", "one-way RETURN (with the next RECV, like seL4's ReplyRecv), the same bracket from "
     "the server's `cap_enter` to the client's return", None, ("sel4", 221, "ReplyRecv")),
    ("mo_map", "MemoryObject `map` + `unmap` of one page, generated client (one op = the pair)", None, None),
]

# The segment split (measure kernel, kernel/segments.hpp): the rows shown.
SEGMENT_ROWS = ("nop1", "nop32", "timer_now_raw", "timer_sleep0", "ipc_rt", "ipc_move", "ipc_batch32", "mo_map")
SEGMENTS = ("entry", "sqe", "lookup", "decode", "body", "post", "wake", "switch", "pass")


LINUX_ROWS = [
    ("getpid", "`getpid` (raw syscall)", 308),
    ("pipe_rt", "pipe ping-pong round trip, two processes", 12800),
    ("futex_rt", "futex ping-pong round trip over shared memory, two processes", None),
    ("uring_nop1", "io_uring NOP, 1 SQE per enter", 880),
    ("uring_nop32", "io_uring NOP, 32 SQEs per enter (per NOP)", 271),
    ("scm_rights_rt", "AF_UNIX round trip passing one fd with SCM_RIGHTS", 32400),
]

SEL4 = ("seL4 fastpath, two address spaces (fixed reference)", 194, 221, 415,
        "issue #9, 'The microkernel anchor': sel4bench in this same QEMU with -icount shift=0; "
        "each direction bracketed by a timer read just before the sender's syscall and just after "
        "the receiver's returns, minus the same bracket around a no-op")

COUNTERS = ("syscalls", "irqs", "cr3", "switches", "handoffs")


def load(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def figures(boots):
    """row -> {"values": [per_op per boot], "ok": all boots checked out, "row": last raw row}"""
    out = {}
    for boot in boots:
        for r in boot["rows"]:
            e = out.setdefault(r["row"], {"values": [], "ok": True, "raw": r})
            e["ok"] = e["ok"] and r["ok"]
            if r["ok"] and "per_op" in r:
                e["values"].append(r["per_op"])
            e["raw"] = r
    return out


def fmt(v):
    if v is None:
        return "-"
    return f"{v:,.2f}" if v < 100 else f"{v:,.0f}"


def spread(values):
    if not values:
        return "-"
    if len(set(values)) == 1:
        return f"identical x{len(values)}"
    return f"{min(values):,.2f}..{max(values):,.2f} ({len(values)} boots)"


def value(entry):
    if not entry or not entry["ok"] or not entry["values"]:
        return None
    return entry["values"][0]


def events_per_op(boot, row):
    """Kernel counters per operation for a capOS row: the counter deltas of
    the process that printed it (measurelib.attach_events) divided by
    (warmup + iters) * ops. Includes the process's fixed overhead (its
    print, its exit; for the IPC rows the server's start-up), under 0.001
    per op."""
    raw = next((r for r in boot["rows"] if r["row"] == row), None)
    if not raw or "events" not in raw or "iters" not in raw:
        return None
    ops = (raw["warmup"] + raw["iters"]) * raw["ops"]
    return {k: raw["events"].get(k, 0) / ops for k in COUNTERS}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    mdir = sys.argv[1]
    capos = load(os.path.join(mdir, "capos.json"))
    linux = load(os.path.join(mdir, "linux.json"))
    if capos is None:
        sys.exit(f"measure-report: {mdir}/capos.json is missing: run `make run-measure` first")
    cf = figures(capos["boots"])
    lconf = {}
    if linux:
        for config, boots in linux["configs"].items():
            lconf[config] = figures(boots)
    loff = lconf.get("mitigations-off", {})
    ldef = lconf.get("defaults", {})

    md = []
    md.append("# capOS measurement report")
    md.append("")
    md.append("Generated by `make measure-report` (tools/measure/report.py); method in docs/performance.md.")
    md.append("Unit: guest instructions per operation (QEMU TCG, `-icount shift=0,align=off,sleep=off`: "
              "the TSC advances once per retired instruction), timed loop minus an empty-loop baseline.")
    md.append("")
    b0 = capos["boots"][0]
    md.append(f"- capOS: {b0.get('version', '?')} commit {b0.get('commit', '?')}, "
              f"{len(capos['boots'])} boot(s) each of system/measure.capnp and system/measure_ipc.capnp "
              f"(one per endpoint row)")
    if linux:
        pkg = linux.get("package", {})
        nboots = {c: len(b) for c, b in linux["configs"].items()}
        md.append(f"- Linux: Debian package {pkg.get('name', '?')} {pkg.get('version', '?')}, boots per "
                  f"configuration: " + ", ".join(f"{c} {n}" for c, n in nboots.items()))
    else:
        md.append("- Linux: no linux.json (run `make measure-linux`); Linux columns are empty")
    md.append("")

    md.append("## capOS beside Linux")
    md.append("")
    md.append("| capOS row | capOS | spread | events/op (syscalls, irqs, CR3 writes, switches, handoffs) | "
              "Linux analogue | Linux mitigations=off | ratio | Linux defaults | ratio | goal |")
    md.append("|---|---:|---|---|---|---:|---:|---:|---:|---|")
    plot = []
    for row, what, analogue, goal in CAPOS_ROWS:
        e = cf.get(row)
        v = value(e)
        shown = fmt(v) if v is not None else ("FAILED" if e else "not run")
        ev = events_per_op(b0, row) if v is not None else None
        evs = ", ".join(f"{ev[k]:.3f}" for k in COUNTERS) if ev else "-"
        lo = value(loff.get(analogue)) if analogue else None
        ld = value(ldef.get(analogue)) if analogue else None
        r_off = f"{v / lo:.2f}x" if v is not None and lo else "-"
        r_def = f"{v / ld:.2f}x" if v is not None and ld else "-"
        g = "-"
        if goal and v is not None:
            if goal[0] == "linux" and lo:
                target = goal[1] * lo
                g = f"<= {goal[1]}x Linux ({target:,.0f}): " + (
                    "met" if v <= target else f"missed by {v / target - 1:.0%}")
            elif goal[0] == "abs":
                g = f"<= {goal[1]:,} ({goal[2]}): " + (
                    "met" if v <= goal[1] else f"missed by {v / goal[1] - 1:.0%}")
            elif goal[0] == "sel4":
                g = f"seL4 {goal[2]}: {goal[1]} ({v / goal[1]:.2f}x)"
            elif goal[0] == "row" and value(cf.get(goal[1])):
                target = goal[2] * value(cf.get(goal[1]))
                g = f"<= {goal[2]}x {goal[1]} ({target:,.1f}): " + (
                    "met" if v <= target else f"missed by {v / target - 1:.0%}")
        elif goal:
            g = "needs the Linux figure" if goal[0] == "linux" else "-"
        md.append(f"| {row}: {what} | {shown} | {spread(e['values']) if e else '-'} | {evs} | "
                  f"{analogue or '-'} | {fmt(lo)} | {r_off} | {fmt(ld)} | {r_def} | {g} |")
        if v is not None:
            plot.append((f"capOS {row}", v))
    name, call, reply, rt, prov = SEL4
    md.append(f"| {name} | Call {call} + ReplyRecv {reply} = **{rt}** round trip | fixed | - | - | - | - | - | - | "
              f"reference |")
    md.append("")
    md.append(f"seL4 provenance: {prov}.")
    one_way = [value(cf.get(r)) for r in ("ipc_call_oneway", "ipc_return_oneway")]
    if None not in one_way:
        total = sum(one_way)
        md.append("")
        md.append(f"One-way CALL + one-way RETURN = {fmt(total)} instructions, {total / rt:.2f}x seL4's {rt} "
                  f"(the same bracket); the user-to-user round trip (`ipc_rt`) also counts submitting the SQE "
                  f"and reaping and checking the CQE on both sides.")
    md.append("")
    md.append("Ratios are capOS / Linux. The Linux analogue of the kernel-capability CALL rows is `getpid`, "
              "the cheapest system call: a CALL does more (SQE decode, capability lookup, a Cap'n Proto "
              "message each way), so those ratios bound the cost of the ring path, not a like-for-like "
              "operation. Events per op divide each benchmark service's kernel counter deltas by its "
              "warm-up plus timed operations (the service's one print and its exit are included, "
              "< 0.001 per op); `irqs` are PIT ticks, each of which also preempts (2 CR3 writes, 1 switch).")
    md.append("")

    split = capos.get("segments") or {}
    if split:
        md.append("## CALL segment split (measure kernel)")
        md.append("")
        md.append("Instructions per operation in each segment of the system-call path, from one boot of every "
                  "package on `capos-measure.elf` (kernel/segments.hpp; the segment deltas of the process "
                  "that printed the row, divided by its warm-up plus timed operations). `per op` is that "
                  "kernel's own figure for the row (each stamp adds ~10 instructions); `outside` is the rest: "
                  "user code (building and submitting SQEs, reaping CQEs, the harness) and the assembly "
                  "entry and exit stubs around `syscall_dispatch`. For the IPC rows the counters are global, "
                  "so both sides of the round trip are included.")
        md.append("")
        md.append("| row | per op | " + " | ".join(SEGMENTS) + " | kernel total | outside |")
        md.append("|---|---:|" + "---:|" * len(SEGMENTS) + "---:|---:|")
        for row in SEGMENT_ROWS:
            e = split.get(row)
            if not e or e.get("per_op") is None:
                continue
            segs = e["segments"]
            ktotal = sum(segs.get(k, 0) for k in SEGMENTS)
            md.append(f"| {row} | {fmt(e['per_op'])} | " + " | ".join(fmt(segs.get(k, 0)) for k in SEGMENTS) +
                      f" | {fmt(ktotal)} | {fmt(e['per_op'] - ktotal)} |")
        md.append("")
        md.append("Segments: entry = `syscall_dispatch` and `cap_enter` up to the first SQE; sqe = "
                  "`KernelRing::next` and `decode_sqe`; lookup = capability table lookup and kind checks; "
                  "decode = params copied in and framed as a Cap'n Proto message; body = the method or "
                  "endpoint operation (for endpoint IPC: transfers, the endpoint state machine, the copy into "
                  "the receiver); post = CQE posts and results copied out; wake = `sched_wake`; switch = "
                  "blocking, the direct switch and the woken side's way back; pass = `end_pass`, deferred "
                  "completions and the wait check.")
        md.append("")

    if linux:
        md.append("## Linux peer (make measure-linux)")
        md.append("")
        md.append("| Linux row | mitigations=off | spread | defaults | spread | issue #9 figure (6.1, same QEMU) |")
        md.append("|---|---:|---|---:|---|---:|")
        for row, what, quoted in LINUX_ROWS:
            eo, ed = loff.get(row), ldef.get(row)
            so = fmt(value(eo)) if value(eo) is not None else ("FAILED" if eo else "-")
            sd = fmt(value(ed)) if value(ed) is not None else ("FAILED" if ed else "-")
            md.append(f"| {row}: {what} | {so} | {spread(eo['values']) if eo else '-'} | {sd} | "
                      f"{spread(ed['values']) if ed else '-'} | {fmt(quoted) if quoted else '-'} |")
            if value(eo) is not None:
                plot.append((f"Linux {row}", value(eo)))
        md.append("")
        voff = (linux["configs"].get("mitigations-off") or [{}])[0].get("vulnerabilities", {})
        vdef = (linux["configs"].get("defaults") or [{}])[0].get("vulnerabilities", {})
        if vdef:
            md.append("CPU vulnerability status under the default boot (QEMU's default CPU model), "
                      "and where mitigations=off changed it:")
            md.append("")
            unaffected = []
            for name in sorted(vdef):
                other = voff.get(name)
                if vdef[name] == "Not affected" and other in (None, "Not affected"):
                    unaffected.append(name)
                    continue
                change = f" (mitigations=off: {other})" if other and other != vdef[name] else ""
                md.append(f"- {name}: {vdef[name]}{change}")
            if unaffected:
                md.append("- not affected: " + ", ".join(unaffected))
            md.append("")
        md.append("The issue's SCM_RIGHTS figure came from a program we do not have; ours passes the "
                  "descriptor one way (request) and answers with plain bytes, which may explain a "
                  "lower count.")
        md.append("")

    dat = os.path.join(mdir, "report.dat")
    with open(dat, "w", encoding="utf-8") as f:
        for i, (label, v) in enumerate(plot):
            colour = 0x3B6EA8 if label.startswith("capOS") else 0xC0504D
            f.write(f'{i} "{label}" {v:.2f} {colour}\n')
    png = os.path.join(mdir, "report.png")
    if plot and shutil.which("gnuplot"):
        script = f"""
set terminal png size 1100,600 noenhanced
set output '{png}'
set title 'Guest instructions per operation, log scale (QEMU -icount shift=0; blue capOS, red Linux mitigations=off)'
set style fill solid 0.8
set boxwidth 0.7
set rmargin 8
set logscale y
set yrange [10:*]
set grid ytics
set xtics rotate by -35 font ',9'
unset key
plot '{dat}' using 1:3:4:xtic(2) with boxes lc rgb variable, \\
     '' using 1:3:(sprintf('%.0f', $3)) with labels offset 0,0.7 font ',8'
"""
        r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if r.returncode == 0:
            md.append("![instructions per operation](report.png)")
        else:
            md.append(f"(plot failed: {r.stderr.strip()})")
    else:
        md.append("(no plot: gnuplot not installed or no figures)")
    md.append("")

    text = "\n".join(md)
    with open(os.path.join(mdir, "report.md"), "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    print(f"measure-report: wrote {mdir}/report.md" + (f" and {png}" if os.path.exists(png) else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

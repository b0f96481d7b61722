#!/usr/bin/env python3
"""Boot capOS in QEMU for one scenario and judge its serial transcript.

A scenario file (tests/qemu/scenarios/NAME.scn) holds `key: value` lines:

  boot: pvh | iso | uefi     how to boot (default pvh: -kernel, no firmware)
  machine: q35 | pc | microvm  (default q35: its PIT reaches the 8259 PIC,
                             which the scheduler tick needs; microvm's does not)
  cmdline: ...               kernel command line (pvh only; iso/uefi use grub.cfg)
  bootpkg: NAME | none       boot package build/bootpkg/NAME.bin (default: default)
  memory: 256M               guest RAM
  cpu: max                   QEMU CPU model (default: QEMU's; `max` has SMEP/SMAP)
  timeout: SECONDS           generous wall-clock limit (default 180)
  exit: success | failure | running
                             expected isa-debug-exit status (33 or 35; never 0),
                             or `running`: the kernel keeps running (as under
                             `make run`), so the runner stops QEMU once every
                             expect line has appeared (and a short grace period
                             has shown no failure line)
  expect: REGEX              lines that must appear, in this order (repeatable)
  allow: REGEX               lines exempt from the failure patterns (repeatable)
  forbid: REGEX              extra failure patterns (repeatable)
  before: REGEX_A || REGEX_B the first line matching A comes before the first
                             line matching B (both must appear); for events
                             whose order is not fixed, such as preemption
  same: REGEX                one capture group: every match must capture the same
                             value, and there must be at least two matches;
                             several groups: on every matching line (at least
                             one) all groups must capture the same value

A scenario passes only if every expect line appears in order, QEMU exits with
the expected status, no line from the kernel banner on matches a failure
pattern (panic, exception, assert, warn, unless allowed) and it finishes
before the timeout.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys
import time

EXIT_STATUS = {"success": 33, "failure": 35}
FAILURE_PATTERNS = [r"(?i)panic", r"(?i)exception", r"(?i)assert", r"(?i)warn"]
# Lines before the kernel's banner come from firmware and GRUB; they are
# shown but not judged.
BANNER = re.compile(r"capOS \S+ \(commit \S+\) booting")
MULTI_KEYS = {"expect", "allow", "forbid", "same", "before"}
KNOWN_KEYS = MULTI_KEYS | {"boot", "machine", "cmdline", "bootpkg", "memory", "timeout", "exit", "cpu"}
OVMF_CANDIDATES = ["/usr/share/ovmf/OVMF.fd", "/usr/share/OVMF/OVMF.fd"]


def parse_scenario(path):
    spec = {k: [] for k in MULTI_KEYS}
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, sep, value = line.partition(":")
            key = key.strip()
            if not sep or key not in KNOWN_KEYS:
                sys.exit(f"{path}:{lineno}: unknown scenario line: {line!r}")
            value = value.strip()
            if key in MULTI_KEYS:
                parts = value.split(" || ") if key == "before" else [value]
                if key == "before" and len(parts) != 2:
                    sys.exit(f"{path}:{lineno}: before: wants REGEX_A || REGEX_B")
                for part in parts:
                    try:
                        re.compile(part)
                    except re.error as e:
                        sys.exit(f"{path}:{lineno}: bad regex {part!r}: {e}")
                spec[key].append(value)
            else:
                spec[key] = value
    return spec


def qemu_command(args, spec, log_path):
    boot = spec.get("boot", "pvh")
    machine = spec.get("machine", "q35")
    cmd = [args.qemu, "-accel", "tcg", "-M", machine, "-m", spec.get("memory", "256M"),
           "-display", "none", "-no-reboot", "-monitor", "none",
           "-serial", f"file:{log_path}",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if spec.get("cpu"):
        cmd += ["-cpu", spec["cpu"]]
    if boot == "pvh":
        cmd += ["-kernel", args.kernel]
        if spec.get("cmdline"):
            cmd += ["-append", spec["cmdline"]]
        pkg = spec.get("bootpkg", "default")
        if pkg != "none":
            cmd += ["-initrd", os.path.join(args.bootpkg_dir, pkg + ".bin")]
    elif boot in ("iso", "uefi"):
        if spec.get("cmdline"):
            sys.exit("cmdline: only pvh scenarios take a command line (the ISO uses grub.cfg)")
        cmd += ["-cdrom", args.iso]
        if boot == "uefi":
            ovmf = next((p for p in OVMF_CANDIDATES if os.path.exists(p)), None)
            if ovmf is None:
                sys.exit("uefi: no OVMF firmware found (install the ovmf package)")
            cmd += ["-bios", ovmf]
    else:
        sys.exit(f"boot: unknown boot method {boot!r}")
    return cmd


def expects_met(spec, lines):
    pos = 0
    for pattern in spec["expect"]:
        rx = re.compile(pattern)
        while pos < len(lines) and not rx.search(lines[pos]):
            pos += 1
        if pos == len(lines):
            return False
        pos += 1
    return True


def read_lines(log_path):
    try:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            return [l.rstrip("\r\n") for l in f]
    except FileNotFoundError:
        return []


def judge(spec, lines, status):
    problems = []
    exit_kind = spec.get("exit", "success")
    expected_status = EXIT_STATUS.get(exit_kind)
    if exit_kind == "running":
        if status is not None:
            problems.append(f"QEMU exited with status {status}; the kernel was expected to keep running")
    elif expected_status is None:
        problems.append(f"exit: unknown value {exit_kind!r}")
    elif status != expected_status:
        hint = " (0 means a triple fault or a crash)" if status == 0 else ""
        problems.append(f"QEMU exited with status {status}{hint}, expected {expected_status}")

    allow = [re.compile(p) for p in spec["allow"]]
    fail = [re.compile(p) for p in FAILURE_PATTERNS + spec["forbid"]]
    first = next((i for i, l in enumerate(lines) if BANNER.search(l)), None)
    if first is None:
        problems.append("the kernel banner never appeared")
        first = len(lines)
    for line in lines[first:]:
        if any(a.search(line) for a in allow):
            continue
        for f in fail:
            if f.search(line):
                problems.append(f"failure pattern {f.pattern!r} matched: {line!r}")
                break

    pos = 0
    for pattern in spec["expect"]:
        rx = re.compile(pattern)
        while pos < len(lines) and not rx.search(lines[pos]):
            pos += 1
        if pos == len(lines):
            problems.append(f"expected line not found (in order): {pattern!r}")
            break
        pos += 1

    for pair in spec["before"]:
        a, b = (re.compile(p) for p in pair.split(" || "))
        ia = next((i for i, l in enumerate(lines) if a.search(l)), None)
        ib = next((i for i, l in enumerate(lines) if b.search(l)), None)
        if ia is None or ib is None:
            problems.append(f"before: {pair!r}: " + ("first" if ia is None else "second") + " pattern never matched")
        elif ia >= ib:
            problems.append(f"before: {pair!r}: line {ia + 1} is not before line {ib + 1}")

    for pattern in spec["same"]:
        rx = re.compile(pattern)
        if rx.groups >= 2:
            matches = [m for m in (rx.search(l) for l in lines) if m]
            if not matches:
                problems.append(f"same: {pattern!r} matched no line")
            for m in matches:
                if len(set(m.groups())) != 1:
                    problems.append(f"same: {pattern!r} captured different values: {list(m.groups())}")
            continue
        values = [m.group(1) for m in (rx.search(l) for l in lines) if m]
        if len(values) < 2:
            problems.append(f"same: {pattern!r} matched {len(values)} line(s), need at least 2")
        elif len(set(values)) != 1:
            problems.append(f"same: {pattern!r} captured different values: {values}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--iso", required=True)
    ap.add_argument("--bootpkg-dir", required=True)
    ap.add_argument("--log-dir", required=True)
    args = ap.parse_args()

    spec = parse_scenario(args.scenario)
    name = os.path.splitext(os.path.basename(args.scenario))[0]
    os.makedirs(args.log_dir, exist_ok=True)
    log_path = os.path.join(args.log_dir, name + ".log")
    if os.path.exists(log_path):
        os.remove(log_path)
    cmd = qemu_command(args, spec, log_path)
    timeout = float(spec.get("timeout", "180"))
    print("scenario:", name)
    print("command:", shlex.join(cmd))

    start = time.monotonic()
    timed_out = False
    running = spec.get("exit", "success") == "running"
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    status = None
    met_at = None
    while True:
        try:
            status = proc.wait(timeout=0.25)
            break
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() - start > timeout:
            timed_out = True
            break
        if running:
            if met_at is None and expects_met(spec, read_lines(log_path)):
                met_at = time.monotonic()
            elif met_at is not None and time.monotonic() - met_at > 1.0:
                break
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    qemu_output = proc.stdout.read().decode(errors="replace")
    elapsed = time.monotonic() - start
    lines = read_lines(log_path)

    problems = [] if not timed_out else [f"timed out after {timeout:.0f} s"]
    problems += judge(spec, lines, status)

    print(f"serial log: {log_path} ({len(lines)} lines, {elapsed:.1f} s)")
    if problems:
        print("---- serial transcript ----")
        for l in lines[-200:]:
            print("  " + l)
        if qemu_output.strip():
            print("---- qemu output ----")
            print(qemu_output)
        print("---- FAILED ----")
        for p in problems:
            print("  " + p)
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())

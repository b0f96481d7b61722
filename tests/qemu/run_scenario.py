#!/usr/bin/env python3
r"""Boot capOS in QEMU for one scenario and judge its serial transcript.

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

The terminal (COM2, docs/terminal.md). A scenario with any of these keys gets
a second serial port, COM2, on a Unix socket the runner connects to (QEMU
waits for the connection before the guest starts, so nothing is lost); COM1
stays the debug log above. Scenarios without them get no COM2 at all.

  type: REGEX || TEXT        wait until the terminal output matches REGEX, then
                             type TEXT (repeatable; steps run in order). REGEX
                             is searched in the raw output received since the
                             previous step's match (prompts end without a
                             newline, so it matches unterminated output; `\r`,
                             `\x08` are literal bytes there). TEXT takes Python
                             escapes: \r (Enter), \x03 (Ctrl-C), \x04 (Ctrl-D),
                             \x15 (Ctrl-U), \x7f or \x08 (Backspace), \x1b[A
                             (Up), \x1b[B (Down), \\; trailing spaces as \x20.
                             The bytes are sent one at a time, 2 ms apart.
  term-expect: REGEX         lines that must appear on the terminal transcript,
                             in this order (repeatable), matched on the
                             transcript as a terminal shows it: "\b" moves
                             back (so an erased byte is gone), "\r" returns to
                             the line's start, escape sequences are dropped;
                             the last, unterminated line counts too
  term-forbid: REGEX         no line of that transcript, and no stretch of the
                             raw terminal bytes, may match (repeatable)

A step whose REGEX never matches fails the scenario (named in the report).
The terminal transcript is saved beside the COM1 log as NAME.term.log (as a
terminal shows it) and NAME.term.raw (the bytes as received).

A scenario passes only if every expect line appears in order, QEMU exits with
the expected status, no line from the kernel banner on matches a failure
pattern (panic, exception, assert, warn, unless allowed), the terminal keys
hold and it finishes before the timeout.
"""

import argparse
import codecs
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time

EXIT_STATUS = {"success": 33, "failure": 35}
FAILURE_PATTERNS = [r"(?i)panic", r"(?i)exception", r"(?i)assert", r"(?i)warn"]
# Lines before the kernel's banner come from firmware and GRUB; they are
# shown but not judged.
BANNER = re.compile(r"capOS \S+ \(commit \S+\) booting")
MULTI_KEYS = {"expect", "allow", "forbid", "same", "before", "type", "term-expect", "term-forbid"}
TERMINAL_KEYS = {"type", "term-expect", "term-forbid"}
TYPE_GAP_S = 0.002
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
                if key == "type":
                    regex, sep, text = value.partition(" || ")
                    if not sep:
                        sys.exit(f"{path}:{lineno}: type: wants REGEX || TEXT")
                    try:
                        codecs.decode(text, "unicode_escape").encode("latin-1")
                    except (UnicodeError, ValueError) as e:
                        sys.exit(f"{path}:{lineno}: type: bad text {text!r}: {e}")
                    parts = [regex]
                for part in parts:
                    try:
                        re.compile(part)
                    except re.error as e:
                        sys.exit(f"{path}:{lineno}: bad regex {part!r}: {e}")
                spec[key].append(value)
            else:
                spec[key] = value
    return spec


def uses_terminal(spec):
    return any(spec[k] for k in TERMINAL_KEYS)


def qemu_command(args, spec, log_path, term_socket=None):
    boot = spec.get("boot", "pvh")
    machine = spec.get("machine", "q35")
    cmd = [args.qemu, "-accel", "tcg", "-M", machine, "-m", spec.get("memory", "256M"),
           "-display", "none", "-no-reboot", "-monitor", "none",
           "-serial", f"file:{log_path}",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if term_socket:
        # COM2: the terminal, on a socket QEMU waits on before starting.
        cmd += ["-chardev", f"socket,id=term,path={term_socket},server=on,wait=on",
                "-serial", "chardev:term"]
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


def render_terminal(raw):
    r"""The lines a terminal would show for `raw` (bytes): printable bytes
    overwrite at the cursor, "\b" moves back, "\r" returns to the start,
    "\n" ends the line, ESC sequences and other control bytes are dropped."""
    lines, cur, col = [], [], 0
    i = 0
    while i < len(raw):
        b = raw[i]
        i += 1
        if b == 0x1B:
            if i < len(raw) and raw[i] in (0x5B, 0x4F):  # ESC [ or ESC O
                i += 1
                while i < len(raw) and not 0x40 <= raw[i] <= 0x7E:
                    i += 1
                i += 1
            continue
        if b == 0x0A:
            lines.append("".join(cur).rstrip())
            cur, col = [], 0
        elif b == 0x0D:
            col = 0
        elif b == 0x08:
            col = max(0, col - 1)
        elif 0x20 <= b <= 0x7E or b >= 0x80:
            ch = chr(b) if b < 0x80 else "\ufffd"
            if col < len(cur):
                cur[col] = ch
            else:
                cur.append(ch)
            col += 1
    if cur:
        lines.append("".join(cur).rstrip())
    return lines


class Terminal:
    """COM2 over QEMU's socket: collects the output and types the `type`
    steps in order, each once its REGEX matches the output received since
    the previous step's match."""

    def __init__(self, spec, path):
        self.path = path
        self.sock = None
        self.raw = bytearray()
        self.steps = []
        for value in spec["type"]:
            regex, _, text = value.partition(" || ")
            data = codecs.decode(text, "unicode_escape").encode("latin-1")
            self.steps.append((value, re.compile(regex.encode("latin-1")), data))
        self.step = 0
        self.search_from = 0

    def connect(self, proc, deadline):
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.path)
                s.setblocking(False)
                self.sock = s
                return True
            except OSError:
                s.close()
                time.sleep(0.05)
        return False

    def pump(self):
        """Reads what arrived; types the next step if its REGEX matches."""
        if self.sock is None:
            return
        while True:
            try:
                chunk = self.sock.recv(65536)
            except BlockingIOError:
                break
            except OSError:
                self.close()
                return
            if not chunk:
                self.close()
                return
            self.raw += chunk
        while self.step < len(self.steps):
            _, rx, data = self.steps[self.step]
            m = rx.search(bytes(self.raw), self.search_from)
            if not m:
                break
            self.search_from = m.end()
            self.step += 1
            for b in data:
                try:
                    self.sock.sendall(bytes([b]))
                except OSError:
                    self.close()
                    return
                time.sleep(TYPE_GAP_S)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def judge(self, spec):
        problems = []
        if self.step < len(self.steps):
            problems.append(f"type: step {self.step + 1} never saw its prompt: {self.steps[self.step][0]!r}")
        lines = render_terminal(self.raw)
        pos = 0
        for pattern in spec["term-expect"]:
            rx = re.compile(pattern)
            while pos < len(lines) and not rx.search(lines[pos]):
                pos += 1
            if pos == len(lines):
                problems.append(f"terminal: expected line not found (in order): {pattern!r}")
                break
            pos += 1
        text = bytes(self.raw).decode("latin-1")
        for pattern in spec["term-forbid"]:
            rx = re.compile(pattern)
            hit = next((l for l in lines if rx.search(l)), None)
            if hit is not None:
                problems.append(f"terminal: forbidden pattern {pattern!r} matched: {hit!r}")
            elif rx.search(text):
                problems.append(f"terminal: forbidden pattern {pattern!r} matched the raw output")
        return problems


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
    term = None
    term_dir = None
    if uses_terminal(spec):
        term_dir = tempfile.mkdtemp(prefix="capos-term-")
        term = Terminal(spec, os.path.join(term_dir, "com2.sock"))
    cmd = qemu_command(args, spec, log_path, term.path if term else None)
    timeout = float(spec.get("timeout", "180"))
    print("scenario:", name)
    print("command:", shlex.join(cmd))

    start = time.monotonic()
    timed_out = False
    running = spec.get("exit", "success") == "running"
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    if term:
        term.connect(proc, start + timeout)
    status = None
    met_at = None
    poll_s = 0.02 if term else 0.25
    while True:
        try:
            status = proc.wait(timeout=poll_s)
            break
        except subprocess.TimeoutExpired:
            pass
        if term:
            term.pump()
        if time.monotonic() - start > timeout:
            timed_out = True
            break
        if running:
            done = expects_met(spec, read_lines(log_path)) and (not term or term.step == len(term.steps))
            if met_at is None and done:
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
    term_lines = []
    if term:
        term.pump()
        term.close()
        problems += term.judge(spec)
        term_lines = render_terminal(term.raw)
        base = os.path.join(args.log_dir, name)
        with open(base + ".term.raw", "wb") as f:
            f.write(term.raw)
        with open(base + ".term.log", "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in term_lines))
        try:
            os.remove(term.path)
        except OSError:
            pass
        os.rmdir(term_dir)

    print(f"serial log: {log_path} ({len(lines)} lines, {elapsed:.1f} s)")
    if term:
        print(f"terminal log: {os.path.join(args.log_dir, name)}.term.log ({len(term_lines)} lines)")
    if problems:
        print("---- serial transcript ----")
        for l in lines[-200:]:
            print("  " + l)
        if term:
            print("---- terminal transcript ----")
            for l in term_lines[-100:]:
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

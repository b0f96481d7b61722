#!/usr/bin/env python3
"""Turns the serial logs of the Linux peer's boots into linux.json.

usage: parse_linux.py OUT.json [package=NAME version=VERSION] CONFIG=LOG [CONFIG=LOG ...]

package= and version= record the Debian kernel package. CONFIG names the kernel command-line variant (mitigations-off, defaults);
a config may appear several times (repeated boots). Exits 1 when a boot
printed no rows, a row failed its check, or the program list did not
finish ("measure-linux: done, 0 program(s) failed").
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measurelib  # noqa: E402

KERNEL = re.compile(r"measure-linux: kernel (\S+) (.*)$")
CMDLINE = re.compile(r"measure-linux: cmdline (.*)$")
VULN = re.compile(r"measure-linux: vulnerability (\S+): (.*)$")
DONE = re.compile(r"measure-linux: done, (\d+) program\(s\) failed")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = {"source": "make measure-linux (tools/measure/linux.sh)", "configs": {}}
    bad = []
    for arg in sys.argv[2:]:
        config, _, log = arg.partition("=")
        if config in ("package", "version"):
            out.setdefault("package", {})["name" if config == "package" else "version"] = log
            continue
        lines = measurelib.read_lines(log)
        boot = {"log": os.path.basename(log), "rows": measurelib.parse_rows(lines),
                "vulnerabilities": {}}
        for line in lines:
            m = KERNEL.search(line)
            if m:
                boot["kernel"] = m.group(1)
                boot["kernel_version"] = m.group(2)
            m = CMDLINE.search(line)
            if m:
                boot["cmdline"] = m.group(1)
            m = VULN.search(line)
            if m:
                boot["vulnerabilities"][m.group(1)] = m.group(2)
            m = DONE.search(line)
            if m:
                boot["programs_failed"] = int(m.group(1))
        if not boot["rows"]:
            bad.append(f"{log}: no measure rows")
        bad += [f"{log}: row {r['row']} failed its check" for r in boot["rows"] if not r["ok"]]
        if boot.get("programs_failed") != 0:
            bad.append(f"{log}: the program list did not finish cleanly")
        out["configs"].setdefault(config, []).append(boot)
    measurelib.write_json(sys.argv[1], out)
    for config, boots in out["configs"].items():
        for boot in boots:
            print(f"{config} ({boot['log']}):")
            for r in boot["rows"]:
                fig = f"{r['per_op']:.2f}" if "per_op" in r else "-"
                print(f"  {r['row']:16} {fig:>12} instructions/op  check={'ok' if r['ok'] else 'FAILED'}")
    for b in bad:
        print("measure-linux: " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""host.argon2_user_flags: the freestanding Argon2 build uses the user flags.

    flags_check.py compile_commands.json libargon2_user.a

1. Every flag of a user runtime C++ file's command (user/rt/heap.cpp,
   capos_user_flags) that applies to C is on the command of each Argon2
   file of argon2_user, which also puts lib/argon2/freestanding first and
   defines ARGON2_NO_THREADS; no sanitizer or hosted flag is there.
2. The archive's undefined symbols are only its own functions and the few
   the user runtime and the auth service provide.
"""
import json
import shlex
import subprocess
import sys

CXX_ONLY = {"-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics", "-fno-use-cxa-atexit"}
ALLOWED_EXTERNAL = {"memcpy", "memset", "memmove", "memcmp", "strlen", "malloc", "free"}


def flags(cmd):
    out = []
    skip = False
    for a in shlex.split(cmd)[1:]:
        if skip:
            skip = False
            continue
        if a in ("-o", "-c", "-MF", "-MT"):
            skip = True
            continue
        if a.startswith("-std=") or a.startswith("-I") or a in ("-MD",):
            continue
        out.append(a)
    return out


def main():
    cc_path, archive = sys.argv[1], sys.argv[2]
    entries = json.load(open(cc_path))
    ref = [e for e in entries if e["file"].endswith("user/rt/heap.cpp")]
    if not ref:
        sys.exit("no compile command for user/rt/heap.cpp")
    want = [f for f in flags(ref[0]["command"]) if f not in CXX_ONLY]
    argon = [e for e in entries
             if "third_party/argon2/src/" in e["file"] and "argon2_user.dir" in e["command"]]
    if len(argon) < 4:
        sys.exit(f"expected the 4 Argon2 files of argon2_user, found {len(argon)}")
    failures = 0
    for e in argon:
        got = flags(e["command"])
        missing = [f for f in want if f not in got]
        if missing:
            print(f"{e['file']}: missing user flags {missing}")
            failures += 1
        if "-DARGON2_NO_THREADS" not in got:
            print(f"{e['file']}: no -DARGON2_NO_THREADS")
            failures += 1
        bad = [f for f in got if f.startswith("-fsanitize") or f == "-DCAPOS_HOST=1"]
        if bad:
            print(f"{e['file']}: hosted flags {bad}")
            failures += 1
        incs = [a[2:] for a in shlex.split(e["command"]) if a.startswith("-I")]
        if not incs or not incs[0].endswith("lib/argon2/freestanding"):
            print(f"{e['file']}: lib/argon2/freestanding is not first on the include path: {incs}")
            failures += 1
    nm = subprocess.run(["nm", "-g", archive], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3:
            defined.add(parts[2])
    # encode_string, decode_string, b64len, numlen: encoding.c, left out;
    # only argon2_hash/argon2_verify use them and user programs link
    # with --gc-sections, so they are never pulled in.
    external = undefined - defined - ALLOWED_EXTERNAL - {"encode_string", "decode_string", "b64len", "numlen"}
    if external:
        print(f"{archive}: needs symbols outside the user runtime: {sorted(external)}")
        failures += 1
    print(f"{len(argon)} files checked against {len(want)} user flags; "
          f"external symbols {sorted(undefined - defined)}")
    print("OK" if failures == 0 else "FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

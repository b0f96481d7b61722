#!/usr/bin/env python3
"""Write hostile variants of a valid ELF64 program, for the QEMU scenario
that checks the kernel refuses each with a message naming the binary and
the reason (tests/qemu/scenarios/user_hostile_elf.scn).

usage: hostile_elf.py GOOD.elf OUTDIR
"""
import os
import struct
import sys

PT_LOAD = 1
PF_X, PF_W = 1, 2


def phdrs(data):
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    return [phoff + i * phentsize for i in range(phnum)]


def loads(data):
    return [o for o in phdrs(data) if struct.unpack_from("<I", data, o)[0] == PT_LOAD]


def variant_wx(d):
    o = next(o for o in loads(d) if struct.unpack_from("<I", d, o + 4)[0] & PF_X)
    flags, = struct.unpack_from("<I", d, o + 4)
    struct.pack_into("<I", d, o + 4, flags | PF_W | PF_X)


def variant_kernel_half(d):
    o = loads(d)[0]
    struct.pack_into("<QQ", d, o + 16, 0xFFFFFFFF80000000, 0xFFFFFFFF80000000)


def variant_huge_memsz(d):
    o = loads(d)[-1]
    struct.pack_into("<Q", d, o + 40, 1 << 40)


def variant_overlap(d):
    first, second = loads(d)[0], loads(d)[1]
    vaddr, = struct.unpack_from("<Q", d, first + 16)
    off, = struct.unpack_from("<Q", d, first + 8)
    struct.pack_into("<QQQ", d, second + 8, off, vaddr, vaddr)


def variant_bad_magic(d):
    d[0] = 0


VARIANTS = {
    "wx": variant_wx,
    "kernel_half": variant_kernel_half,
    "huge_memsz": variant_huge_memsz,
    "overlap": variant_overlap,
    "bad_magic": variant_bad_magic,
}


def main():
    good, outdir = sys.argv[1], sys.argv[2]
    with open(good, "rb") as f:
        base = f.read()
    os.makedirs(outdir, exist_ok=True)
    for name, fn in VARIANTS.items():
        d = bytearray(base)
        fn(d)
        with open(os.path.join(outdir, name + ".elf"), "wb") as f:
            f.write(d)
    with open(os.path.join(outdir, "truncated.elf"), "wb") as f:
        f.write(base[:100])


if __name__ == "__main__":
    main()

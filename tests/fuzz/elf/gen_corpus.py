#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_elf: tiny hand-laid ELF64 files.

Run from anywhere: python3 gen_corpus.py [outdir]. Deterministic; the output is
committed under corpus/. Segments share file pages but not virtual pages
(vaddr = offset + a page multiple), which keeps each file a few hundred bytes.
"""
import os
import struct
import sys

PT_LOAD, PT_INTERP, PT_TLS, PT_GNU_STACK = 1, 3, 7, 0x6474E551
R, W, X = 4, 2, 1


def elf(entry, segments, payload_size, osabi=0):
    phoff = 64
    phnum = len(segments)
    ident = b"\x7fELF" + bytes([2, 1, 1, osabi]) + bytes(8)
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, phoff, 0, 0,
                                 64, 56, phnum, 0, 0, 0)
    table = b"".join(struct.pack("<IIQQQQQQ", t, f, off, va, va, fs, ms, al)
                     for (t, f, off, va, fs, ms, al) in segments)
    body = header + table
    size = max(len(body), payload_size)
    data = bytearray(body + bytes((i * 7 + 3) & 0xFF for i in range(size - len(body))))
    return bytes(data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    os.makedirs(out, exist_ok=True)
    seeds = {
        # One R+X segment holding headers and code.
        "minimal.elf": elf(0x400100, [
            (PT_LOAD, R | X, 0x0, 0x400000, 0x120, 0x120, 0x1000),
            (PT_GNU_STACK, R | W, 0, 0, 0, 0, 16),
        ], 0x120),
        # Text, read-only data, data+bss, TLS template, non-executable stack.
        "tls.elf": elf(0x400150, [
            (PT_LOAD, R | X, 0x0, 0x400000, 0x180, 0x180, 0x1000),
            (PT_LOAD, R, 0x180, 0x401180, 0x40, 0x40, 0x1000),
            (PT_LOAD, R | W, 0x1C0, 0x4021C0, 0x40, 0x3000, 0x1000),
            (PT_TLS, R, 0x1C0, 0x4021C0, 0x10, 0x30, 8),
            (PT_GNU_STACK, R | W, 0, 0, 0, 0, 16),
        ], 0x200, osabi=3),
        # Refused (PT_INTERP), so the fuzzer starts near that branch too.
        "interp.elf": elf(0x400100, [
            (PT_INTERP, R, 0xB0, 0x4000B0, 0x10, 0x10, 1),
            (PT_LOAD, R | X, 0x0, 0x400000, 0x120, 0x120, 0x1000),
        ], 0x120),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_sqe (tests/fuzz/sqe/fuzz_sqe.cpp).

Layouts follow abi/ring.hpp. Run from anywhere; writes next to this file.
"""
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
BUF = 0x400000


def sqe(opcode, flags=0, cap_id=0, user_data=0, params=(0, 0), method=0, xfer_count=0,
        result=(0, 0), call_id=0, xfer_addr=0):
    b = struct.pack("<BBHIQQIHHQIIQIHH", opcode, 0, flags, cap_id, user_data, params[0], params[1],
                    method, xfer_count, result[0], result[1], call_id, xfer_addr, 0, 0, 0)
    assert len(b) == 64
    return b


def xfer(cap_id, mode):
    return struct.pack("<IBBHQ", cap_id, mode, 0, 0, 0)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


os.makedirs(HERE, exist_ok=True)
CAP = (7 << 16) | 3
valid = [
    sqe(0, user_data=1),
    sqe(1, cap_id=CAP, user_data=2, params=(BUF, 64), method=2, xfer_count=2,
        result=(BUF + 0x1000, 256), xfer_addr=BUF + 0x2000),
    sqe(2, cap_id=CAP, user_data=3, result=(BUF, 4096)),
    sqe(3, cap_id=CAP, user_data=4, params=(BUF, 16), call_id=42, xfer_count=1, xfer_addr=BUF),
    sqe(3, flags=8, cap_id=CAP, user_data=5, params=(BUF, 16), call_id=43),
    sqe(4, cap_id=CAP, user_data=6),
]
# Mode 0: the decoder over valid SQEs of every kind, then descriptors.
write("decode_valid", b"\x00" + b"".join(valid))
write("decode_xfer", b"\x00" + xfer(CAP, 1) + xfer(CAP, 2) + xfer(0, 0) + xfer(CAP, 3))
# Malformed: reserved opcode, reserved flag, buffer crossing the top.
write("decode_bad", b"\x00" + sqe(6) + sqe(1, flags=2, cap_id=CAP) +
      sqe(1, cap_id=CAP, params=(0x7FFFFFFFFFC0, 128)))

# Mode 1: the ring. Geometry byte 0x02 -> sq 4, cq 4; start index near the wrap.
def ring_script(geometry, start, sq, cq, steps):
    entries = bytes(64 * sq + 32 * cq)
    return b"\x01" + bytes([geometry]) + struct.pack("<I", start) + entries + steps

submit = lambda s: b"\x01" + s
pass_all = b"\x03\x00"
pass_defer = b"\x03\xff"
reap = b"\x02\x07"
write("ring_roundtrip", ring_script(0x02, 0xFFFFFFFE, 4, 4,
                                    submit(valid[0]) + submit(valid[1]) + pass_all + reap +
                                    submit(valid[5]) + pass_defer + b"\x04" + reap))
# sq 4, cq 8 (0x14); the process corrupts sq_tail (word 32) and cq_head (33).
write("ring_hostile", ring_script(0x14, 0, 4, 8,
                                  submit(valid[0]) + b"\x00\x20\xff\xff\x00\x00" + pass_all +
                                  b"\x00\x21\x05\x00\x00\x00" + pass_all + b"\x05" + reap))

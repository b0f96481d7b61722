// Decode, before perform: a pure function from a copied SQE to the
// operation it asks for, or the transport error it earns. No capability
// lookup, no memory access: what can be judged from the 64 bytes alone.
//
// Checks, in this order (the first failure wins):
//   1. opcode known and not reserved                          RingBadOpcode
//   2. reserved0, reserved1, answer_id, pipeline_index zero;
//      no unknown flag, no reserved flag (Link, Promise, Answer),
//      Exception only on RETURN                               RingBadSqe
//   3. every field the opcode does not use is zero            RingBadSqe
//      (docs/abi.md, "SQE fields by opcode")
//   4. RETURN with Exception carries no transfers             RingBadSqe
//   5. xfer_count <= kMaxTransfers                            RingBadTransfer
//   6. each buffer the opcode uses: len <= its maximum; len == 0 iff
//      addr == 0; [addr, addr + len) inside [kUserMin, kUserTop) without
//      overflow; the transfer array likewise (16 * xfer_count) RingBadBuffer
//   7. RECV buffer at least sizeof(RecvHeader)               RingBufferTooSmall
#pragma once

#include <cstddef>
#include <cstdint>

#include "abi/ring.hpp"
#include "lib/base/error.hpp"

namespace capos::ring {

struct UserBuffer {
    uint64_t addr = 0;  // Invariant: 0 iff len == 0; else inside the user half
    uint32_t len = 0;
};

struct DecodedSqe {
    abi::Opcode opcode = abi::Opcode::Nop;
    uint64_t user_data = 0;
    abi::CapId cap_id = abi::kCapIdNone;  // CALL, RECV, RETURN, RELEASE
    uint16_t method = 0;                  // CALL
    UserBuffer params;                    // CALL: params; RETURN: results or CapException
    UserBuffer result;                    // CALL: result buffer; RECV: receive buffer
    uint32_t call_id = 0;                 // RETURN
    UserBuffer transfers;                 // CALL, RETURN: TransferDescriptor array
    uint16_t xfer_count = 0;              //   (transfers.len == 16 * xfer_count)
    bool exception = false;               // RETURN with kSqeFlagException
};

Result<DecodedSqe> decode_sqe(const abi::Sqe& sqe);

// True when every byte of `sqe` but user_data is zero: a NOP with nothing
// else to judge (decode_sqe accepts exactly such an SQE as Nop, and
// cap_enter completes it with 0 without the field-by-field decode). Any
// other SQE, including a NOP with a stray field, goes through decode_sqe.
inline bool is_plain_nop(const abi::Sqe& sqe) {
    uint64_t w[sizeof(abi::Sqe) / 8];
    __builtin_memcpy(w, &sqe, sizeof w);
    static_assert(offsetof(abi::Sqe, user_data) == 8);
    return (w[0] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) == 0;
}

struct DecodedTransfer {
    abi::CapId cap_id;
    abi::TransferMode mode;
};

// One descriptor, after the kernel copied the array in. Errors:
// RingBadTransfer (mode not Copy/Move, or a reserved field nonzero).
Result<DecodedTransfer> decode_transfer(const abi::TransferDescriptor& d);

// [addr, addr + len) is a valid user range: len <= max_len, addr == 0 iff
// len == 0, and inside [kUserMin, kUserTop) without overflow.
bool user_range_valid(uint64_t addr, uint64_t len, uint64_t max_len);

}  // namespace capos::ring

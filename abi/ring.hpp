// capOS ABI: the capability ring.
//
// Each process owns one ring, mapped read-write at kRingAddress
// (abi/layout.hpp): a header, a submission queue (SQ) of 64-byte SQEs and a
// completion queue (CQ) of 32-byte CQEs. Userspace writes SQEs and advances
// sq_tail; cap_enter (abi/syscall.hpp) makes the kernel consume SQEs from
// sq_head and post CQEs at cq_tail; userspace reaps CQEs from cq_head.
//
//   kRingAddress
//   +0     +--------------------------------------------------------------+
//          | RingHeader (256 bytes)                                       |
//          |   +0   line 0: identity, written by the kernel at spawn      |
//          |        magic version sq_entries cq_entries sq_mask cq_mask   |
//          |        sq_offset cq_offset ring_bytes features               |
//          |   +64  line 1: written by the kernel only                    |
//          |        sq_head flags cq_tail cq_overflow                     |
//          |   +128 line 2: written by userspace only                     |
//          |        sq_tail cq_head                                       |
//          |   +192 line 3: reserved                                      |
//   +256   +--------------------------------------------------------------+
//   (sq_offset) | Sqe[0] | Sqe[1] | ...              | Sqe[sq_entries-1] |  64 B each
//          +--------------------------------------------------------------+
//   (cq_offset) | Cqe[0] | Cqe[1] | ...              | Cqe[cq_entries-1] |  32 B each
//          +--------------------------------------------------------------+
//   ring_bytes = 256 + 64 * sq_entries + 32 * cq_entries (default 32/64: 4352)
//
// Indices (sq_head, sq_tail, cq_head, cq_tail) are free-running u32 counters
// that wrap at 2^32; entry i lives at slot (i & mask). A queue holds
// tail - head entries (mod 2^32). Publication order: the producer writes the
// entry, then stores tail with release ordering; the consumer loads tail with
// acquire ordering, reads the entry, then stores head with release ordering.
//
// The kernel trusts nothing in the ring: it keeps its own copies of the
// geometry, sq_head, cq_tail, flags and cq_overflow, reads each
// user-written index once per decision, copies each SQE once before looking
// at it, and masks every index with its own masks. See docs/abi.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "abi/cap_id.hpp"

namespace capos::abi {

// ---------------------------------------------------------------------------
// Geometry

inline constexpr uint32_t kRingMagic = 0x474E'5243;  // "CRNG" in memory order
inline constexpr uint32_t kRingVersion = 1;

inline constexpr uint32_t kRingHeaderBytes = 256;
inline constexpr uint32_t kSqeBytes = 64;
inline constexpr uint32_t kCqeBytes = 32;

inline constexpr uint32_t kDefaultSqEntries = 32;
inline constexpr uint32_t kDefaultCqEntries = 64;
inline constexpr uint32_t kMaxSqEntries = 256;
inline constexpr uint32_t kMaxCqEntries = 512;

constexpr bool is_power_of_two(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// A geometry the kernel accepts at spawn: both sizes powers of two,
// 1 <= sq_entries <= kMaxSqEntries, sq_entries <= cq_entries <= kMaxCqEntries.
constexpr bool ring_geometry_valid(uint32_t sq_entries, uint32_t cq_entries) {
    return is_power_of_two(sq_entries) && is_power_of_two(cq_entries) &&
           sq_entries <= kMaxSqEntries && cq_entries <= kMaxCqEntries &&
           sq_entries <= cq_entries;
}

constexpr uint32_t ring_sq_offset() { return kRingHeaderBytes; }
constexpr uint32_t ring_cq_offset(uint32_t sq_entries) {
    return kRingHeaderBytes + sq_entries * kSqeBytes;
}
// Bytes the ring uses (not rounded to pages). Precondition: valid geometry.
constexpr uint32_t ring_bytes(uint32_t sq_entries, uint32_t cq_entries) {
    return ring_cq_offset(sq_entries) + cq_entries * kCqeBytes;
}

// ---------------------------------------------------------------------------
// Header

// RingHeader.flags bits (written by the kernel).
// SqBacklog: the last cap_enter stopped consuming SQEs because the CQ had no
// room; SQEs remain queued. Reap CQEs and enter again. Cleared when a
// cap_enter pass consumes every SQE it saw.
inline constexpr uint32_t kRingFlagSqBacklog = 1u << 0;

struct RingHeader {
    // Line 0: identity. Written by the kernel at spawn, never read back by it.
    uint32_t magic;        // kRingMagic
    uint32_t version;      // kRingVersion
    uint32_t sq_entries;   // power of two
    uint32_t cq_entries;   // power of two
    uint32_t sq_mask;      // sq_entries - 1
    uint32_t cq_mask;      // cq_entries - 1
    uint32_t sq_offset;    // bytes from the ring base to Sqe[0]
    uint32_t cq_offset;    // bytes from the ring base to Cqe[0]
    uint32_t ring_bytes;   // ring_bytes(sq_entries, cq_entries)
    uint32_t features;     // feature bits; 0 in version 1
    uint32_t reserved0[6];

    // Line 1: written by the kernel only (userspace reads).
    uint32_t sq_head;      // next SQE the kernel will consume
    uint32_t flags;        // kRingFlag*
    uint32_t cq_tail;      // one past the last CQE posted
    uint32_t cq_overflow;  // times the kernel found the CQ full (wraps)
    uint32_t reserved1[12];

    // Line 2: written by userspace only (the kernel reads).
    uint32_t sq_tail;      // one past the last SQE submitted
    uint32_t cq_head;      // next CQE userspace will reap
    uint32_t reserved2[14];

    // Line 3: reserved.
    uint32_t reserved3[16];
};

static_assert(sizeof(RingHeader) == kRingHeaderBytes);
static_assert(alignof(RingHeader) == 4);
static_assert(offsetof(RingHeader, magic) == 0);
static_assert(offsetof(RingHeader, version) == 4);
static_assert(offsetof(RingHeader, sq_entries) == 8);
static_assert(offsetof(RingHeader, cq_entries) == 12);
static_assert(offsetof(RingHeader, sq_mask) == 16);
static_assert(offsetof(RingHeader, cq_mask) == 20);
static_assert(offsetof(RingHeader, sq_offset) == 24);
static_assert(offsetof(RingHeader, cq_offset) == 28);
static_assert(offsetof(RingHeader, ring_bytes) == 32);
static_assert(offsetof(RingHeader, features) == 36);
static_assert(offsetof(RingHeader, reserved0) == 40);
static_assert(offsetof(RingHeader, sq_head) == 64);
static_assert(offsetof(RingHeader, flags) == 68);
static_assert(offsetof(RingHeader, cq_tail) == 72);
static_assert(offsetof(RingHeader, cq_overflow) == 76);
static_assert(offsetof(RingHeader, reserved1) == 80);
static_assert(offsetof(RingHeader, sq_tail) == 128);
static_assert(offsetof(RingHeader, cq_head) == 132);
static_assert(offsetof(RingHeader, reserved2) == 136);
static_assert(offsetof(RingHeader, reserved3) == 192);

// ---------------------------------------------------------------------------
// Opcodes

enum class Opcode : uint8_t {
    Nop = 0,      // completes with result 0
    Call = 1,     // invoke method `method` of capability `cap_id`
    Recv = 2,     // receive the next call on endpoint `cap_id`
    Return = 3,   // answer call `call_id` received on endpoint `cap_id`
    Release = 4,  // drop capability `cap_id` from this process's table
    // Reserved: rejected with BadOpcode until they are given meaning.
    Finish = 5,        // drop a pipelined answer (answer_id)
    Park = 6,          // wait while a user u32 word equals an expected value
    Unpark = 7,        // wake waiters parked on a user word
    NotifySignal = 8,  // set bits on a notification object
    NotifyWait = 9,    // wait for bits on a notification object
};

inline constexpr uint8_t kOpcodeFirstReserved = 5;
inline constexpr uint8_t kOpcodeLastReserved = 9;

// ---------------------------------------------------------------------------
// SQE

// Sqe.flags bits.
// Link (reserved): the next SQE runs only if this one succeeds.
inline constexpr uint16_t kSqeFlagLink = 1u << 0;
// Promise (reserved): cap_id is an answer id of an earlier CALL, and
// pipeline_index selects which capability of its results to target.
inline constexpr uint16_t kSqeFlagPromise = 1u << 1;
// Answer (reserved): this CALL's answer can be named later by answer_id.
inline constexpr uint16_t kSqeFlagAnswer = 1u << 2;
// Exception (RETURN only): params hold a serialized CapException instead of
// results; the caller's CQE reports ApplicationException.
inline constexpr uint16_t kSqeFlagException = 1u << 3;

inline constexpr uint16_t kSqeFlagsReserved = kSqeFlagLink | kSqeFlagPromise | kSqeFlagAnswer;
inline constexpr uint16_t kSqeFlagsKnown = kSqeFlagsReserved | kSqeFlagException;

// Limits checked when an SQE is decoded.
inline constexpr uint32_t kMaxParamsBytes = 64 * 1024;
inline constexpr uint32_t kMaxResultBytes = 1024 * 1024;
inline constexpr uint32_t kMaxTransfers = 16;

// One submission. Fields an opcode does not use must be zero (docs/abi.md,
// "SQE fields by opcode"); a nonzero unused or reserved field is BadSqe.
struct Sqe {
    uint8_t opcode;           // Opcode
    uint8_t reserved0;        // must be 0
    uint16_t flags;           // kSqeFlag*
    CapId cap_id;             // target capability (or answer id with Promise)
    uint64_t user_data;       // echoed in the CQE, never interpreted
    uint64_t params_addr;     // CALL: params message; RETURN: results or CapException
    uint32_t params_len;      //   bytes, <= kMaxParamsBytes
    uint16_t method;          // CALL: method ordinal in the target's interface
    uint16_t xfer_count;      // CALL, RETURN: number of TransferDescriptors
    uint64_t result_addr;     // CALL: result buffer; RECV: receive buffer
    uint32_t result_len;      //   bytes, <= kMaxResultBytes
    uint32_t call_id;         // RETURN: the call answered (from its RecvHeader)
    uint64_t xfer_addr;       // CALL, RETURN: address of TransferDescriptor[xfer_count]
    uint32_t answer_id;       // reserved (pipelining): must be 0
    uint16_t pipeline_index;  // reserved (pipelining): must be 0
    uint16_t reserved1;       // must be 0
};

static_assert(sizeof(Sqe) == kSqeBytes);
static_assert(alignof(Sqe) == 8);
static_assert(offsetof(Sqe, opcode) == 0);
static_assert(offsetof(Sqe, reserved0) == 1);
static_assert(offsetof(Sqe, flags) == 2);
static_assert(offsetof(Sqe, cap_id) == 4);
static_assert(offsetof(Sqe, user_data) == 8);
static_assert(offsetof(Sqe, params_addr) == 16);
static_assert(offsetof(Sqe, params_len) == 24);
static_assert(offsetof(Sqe, method) == 28);
static_assert(offsetof(Sqe, xfer_count) == 30);
static_assert(offsetof(Sqe, result_addr) == 32);
static_assert(offsetof(Sqe, result_len) == 40);
static_assert(offsetof(Sqe, call_id) == 44);
static_assert(offsetof(Sqe, xfer_addr) == 48);
static_assert(offsetof(Sqe, answer_id) == 56);
static_assert(offsetof(Sqe, pipeline_index) == 60);
static_assert(offsetof(Sqe, reserved1) == 62);

// ---------------------------------------------------------------------------
// CQE

// Cqe.flags bits.
// More (reserved): further CQEs will follow for the same SQE (multishot).
inline constexpr uint32_t kCqeFlagMore = 1u << 0;

// One completion.
struct Cqe {
    uint64_t user_data;   // the SQE's user_data
    int32_t result;       // < 0: TransportError; >= 0: opcode-specific
    uint32_t flags;       // kCqeFlag*
    uint32_t xfer_count;  // TransferResult records written to the result buffer
    uint32_t aux;         // result-specific (docs/abi.md, "CQE"); else 0
    uint64_t reserved;    // 0
};

static_assert(sizeof(Cqe) == kCqeBytes);
static_assert(alignof(Cqe) == 8);
static_assert(offsetof(Cqe, user_data) == 0);
static_assert(offsetof(Cqe, result) == 8);
static_assert(offsetof(Cqe, flags) == 12);
static_assert(offsetof(Cqe, xfer_count) == 16);
static_assert(offsetof(Cqe, aux) == 20);
static_assert(offsetof(Cqe, reserved) == 24);

static_assert(ring_sq_offset() % alignof(Sqe) == 0);
static_assert(ring_cq_offset(1) % alignof(Cqe) == 0);
static_assert(ring_bytes(kDefaultSqEntries, kDefaultCqEntries) == 4352);
static_assert(ring_geometry_valid(kDefaultSqEntries, kDefaultCqEntries));
static_assert(ring_bytes(kMaxSqEntries, kMaxCqEntries) <= 0x1'0000);  // kRingWindowBytes

// ---------------------------------------------------------------------------
// Transport errors: the closed list of negative CQE results.

enum class TransportError : int32_t {
    // The SQE itself: a reserved field or unused field nonzero, an unknown
    // or reserved flag, a flag the opcode does not take.
    BadSqe = -1,
    // Unknown or reserved opcode.
    BadOpcode = -2,
    // cap_id names no live capability (free slot, stale generation, 0).
    BadCapability = -3,
    // The capability does not support the operation (RECV/RETURN on a
    // non-endpoint or a client facet).
    WrongInterface = -4,
    // A buffer range is outside the user half, overflows, exceeds its
    // maximum length, is unmapped or lacks the needed permission, or has
    // len == 0 with addr != 0 (or the reverse where a buffer is required).
    BadBuffer = -5,
    // The result or receive buffer cannot hold the answer; aux = bytes needed.
    BufferTooSmall = -6,
    // The params did not decode (not a valid Cap'n Proto message for the
    // method, or an internal decode limit was hit).
    MalformedParams = -7,
    // A transfer descriptor was malformed, its source stale, the receiver's
    // table full, or the count above kMaxTransfers. Nothing was transferred.
    TransferFailed = -8,
    // The target cannot accept the operation now (endpoint queue full,
    // kernel resources for the call exhausted). Nothing happened; retry.
    QueueFull = -9,
    // The operation was cancelled before it completed (timeout, caller
    // exit). Whether the callee saw it is unspecified.
    Interrupted = -10,
    // The result buffer holds a complete serialized CapException of aux bytes.
    ApplicationException = -11,
    // The CapException did not fit: the buffer holds one of aux bytes with
    // the same type and a shortened message, or nothing when aux == 0.
    ApplicationExceptionTruncated = -12,
    // RETURN names a call_id that is not awaiting an answer on this endpoint.
    NoSuchCall = -13,
};

inline constexpr int32_t kTransportErrorMin = -13;

constexpr int32_t to_result(TransportError e) { return static_cast<int32_t>(e); }

// ---------------------------------------------------------------------------
// Transfers (CALL and RETURN carry capabilities beside the message)

enum class TransferMode : uint8_t {
    // 0 is invalid: a zeroed descriptor is rejected.
    Copy = 1,  // the sender keeps the capability
    Move = 2,  // the sender's slot is released when the transfer commits
};

// In the sender's memory at Sqe.xfer_addr, xfer_count of them.
struct TransferDescriptor {
    CapId cap_id;        // the capability to send, in the sender's table
    uint8_t mode;        // TransferMode
    uint8_t reserved0;   // must be 0
    uint16_t flags;      // must be 0 (reserved: transfer scope)
    uint64_t reserved1;  // must be 0
};

static_assert(sizeof(TransferDescriptor) == 16);
static_assert(offsetof(TransferDescriptor, cap_id) == 0);
static_assert(offsetof(TransferDescriptor, mode) == 4);
static_assert(offsetof(TransferDescriptor, reserved0) == 5);
static_assert(offsetof(TransferDescriptor, flags) == 6);
static_assert(offsetof(TransferDescriptor, reserved1) == 8);

// Written by the kernel into the receiver's buffer, one per transferred
// capability, in descriptor order.
struct TransferResult {
    CapId cap_id;           // the new capability id in the receiver's table
    uint32_t reserved;      // 0
    uint64_t interface_id;  // its interface
};

static_assert(sizeof(TransferResult) == 16);
static_assert(offsetof(TransferResult, cap_id) == 0);
static_assert(offsetof(TransferResult, reserved) == 4);
static_assert(offsetof(TransferResult, interface_id) == 8);

// ---------------------------------------------------------------------------
// RECV: the receive buffer holds
//
//   result_addr
//   +0    RecvHeader                        64 bytes
//   +64   TransferResult[xfer_count]        16 bytes each
//   +64+16*xfer_count  params message       params_len bytes (== CQE result)

// RecvHeader.caller_liveness values (reserved: 0 in version 1).
inline constexpr uint32_t kCallerLivenessUnknown = 0;

struct RecvHeader {
    uint32_t call_id;          // name this call in RETURN's call_id
    uint16_t method;           // method ordinal the caller invoked
    uint16_t xfer_count;       // TransferResult records that follow
    uint64_t interface_id;     // interface the caller invoked
    uint32_t params_len;       // bytes of the params message
    uint32_t flags;            // 0 in version 1
    // Caller-session metadata (reserved: 0 in version 1).
    uint64_t caller_ref_lo;    // 128-bit opaque caller reference, scoped
    uint64_t caller_ref_hi;    //   to the receiving service
    uint64_t caller_epoch;     // session epoch
    uint32_t caller_liveness;  // kCallerLiveness*
    uint32_t reserved0;        // 0
    uint64_t reserved1;        // 0
};

static_assert(sizeof(RecvHeader) == 64);
static_assert(offsetof(RecvHeader, call_id) == 0);
static_assert(offsetof(RecvHeader, method) == 4);
static_assert(offsetof(RecvHeader, xfer_count) == 6);
static_assert(offsetof(RecvHeader, interface_id) == 8);
static_assert(offsetof(RecvHeader, params_len) == 16);
static_assert(offsetof(RecvHeader, flags) == 20);
static_assert(offsetof(RecvHeader, caller_ref_lo) == 24);
static_assert(offsetof(RecvHeader, caller_ref_hi) == 32);
static_assert(offsetof(RecvHeader, caller_epoch) == 40);
static_assert(offsetof(RecvHeader, caller_liveness) == 48);
static_assert(offsetof(RecvHeader, reserved0) == 52);
static_assert(offsetof(RecvHeader, reserved1) == 56);

// Where the message starts inside a CALL result buffer or a RECV buffer.
constexpr uint64_t call_result_message_offset(uint32_t xfer_count) {
    return uint64_t{xfer_count} * sizeof(TransferResult);
}
constexpr uint64_t recv_message_offset(uint32_t xfer_count) {
    return sizeof(RecvHeader) + uint64_t{xfer_count} * sizeof(TransferResult);
}

}  // namespace capos::abi

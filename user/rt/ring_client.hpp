// The process's ring client: lib/ring's UserRing over the ring the kernel
// set up at spawn, cap_enter, and completions matched by user_data.
//
//   RingClient& ring = TRY(rt::ring());         // attached on first use
//   abi::Sqe sqe{};                              // an all-zero SQE is a NOP
//   sqe.user_data = ring.next_user_data();
//   TRY(ring.submit(sqe));
//   ring.enter(1, abi::kTimeoutForever);
//   abi::Cqe cqe;
//   if (ring.take(sqe.user_data, &cqe)) ...      // or submit_and_wait()
//
// Completions may arrive in any order (docs/abi.md, "CQE"). take() reaps
// CQEs in ring order and keeps the ones it was not looking for in a small
// stash; reap() hands out stashed CQEs first, so nothing reaped on behalf of
// one caller is lost to another.
//
// Contract with the kernel (docs/abi.md 4-5): the process owns sq_tail and
// cq_head (UserRing keeps its own copies and only stores them); the kernel
// owns sq_head, cq_tail, flags and cq_overflow. A program that scribbles on
// its own indices (user/tests/ring_garbage) calls resynchronise() to take
// the kernel's published values back.
//
// Not thread-safe: processes are single-threaded for now.
#pragma once

#include <cstddef>
#include <cstdint>

#include "abi/ring.hpp"
#include "lib/base/error.hpp"
#include "lib/ring/user_ring.hpp"

namespace capos::rt {

class RingClient {
public:
    // CQEs take() may hold back for other callers.
    static constexpr uint32_t kStashEntries = 64;
    // take_wait() gives up after this many cap_enter calls that did not
    // bring the wanted CQE (a kernel that lost a completion), so a program
    // fails with an error instead of spinning for ever.
    static constexpr uint32_t kMaxFruitlessEnters = 1u << 16;

    // Checks the header at `ring` (abi::kRingWindowBytes mapped): magic,
    // version and geometry (UserRing::attach). Errors: BadMagic,
    // Unsupported, Malformed, Misaligned.
    static Result<RingClient> attach(void* ring);

    const ring::RingGeometry& geometry() const { return ring_.geometry(); }
    abi::RingHeader* header() const { return header_; }

    // A fresh user_data value (never 0: 0 is left for programs that want a
    // recognisable "none").
    uint64_t next_user_data() { return ++last_user_data_; }

    // Writes one SQE and publishes sq_tail. Errors: RingQueueFull.
    Result<void> submit(const abi::Sqe& sqe) { return ring_.submit(sqe); }

    // cap_enter(min_complete, timeout_ns): the kernel processes the SQ;
    // returns the number of CQEs available (docs/abi.md 1).
    uint32_t enter(uint64_t min_complete, uint64_t timeout_ns);

    // The next completion, stashed ones first, then the ring's in order.
    // False when none is ready (does not enter).
    bool reap(abi::Cqe* out);

    // The completion for `user_data` if it has arrived: looks in the stash,
    // then reaps CQEs, stashing the others. False when it has not arrived,
    // or when the stash is full (the CQE then stays in the ring).
    bool take(uint64_t user_data, abi::Cqe* out);

    // Enters until the completion for `user_data` arrives. Errors:
    // LimitExceeded when the stash is full of other completions;
    // RingInterrupted after kMaxFruitlessEnters enters without it.
    Result<abi::Cqe> take_wait(uint64_t user_data);

    // submit() (entering once to make room if the SQ is full), then
    // take_wait(sqe.user_data). Errors: RingQueueFull, and take_wait's.
    Result<abi::Cqe> submit_and_wait(const abi::Sqe& sqe);

    // CQEs ready in the ring (not counting the stash), at most cq_entries.
    uint32_t cq_ready() const { return ring_.cq_ready(); }
    // SQEs submitted and not yet consumed by the kernel.
    uint32_t sq_pending() const { return ring_.sq_pending(); }
    uint32_t sq_space() const { return ring_.sq_space(); }
    uint32_t overflow_count() const { return ring_.overflow_count(); }
    bool backlog() const { return ring_.backlog(); }
    uint32_t stashed() const { return stash_count_; }

    // Recovery after the process corrupted its own indices: sq_tail := the
    // kernel's published sq_head (unconsumed SQEs are dropped), cq_head :=
    // the published cq_tail (unreaped CQEs are dropped), the stash emptied,
    // and the ring attached again. Errors: attach()'s, when line 0 of the
    // header was changed as well.
    Result<void> resynchronise();

private:
    RingClient(ring::UserRing<> ring, abi::RingHeader* header) : ring_(ring), header_(header) {}

    bool stash_push(const abi::Cqe& cqe);

    ring::UserRing<> ring_;
    abi::RingHeader* header_;
    uint64_t last_user_data_ = 0;
    // Invariant: stash_[0, stash_count_) holds reaped CQEs nobody took yet,
    // oldest first.
    abi::Cqe stash_[kStashEntries];
    uint32_t stash_count_ = 0;
};

// The process's ring client, attached from StartInfo::ring() the first time
// it is asked for. Errors: attach()'s (the header the kernel wrote is bad).
Result<RingClient*> ring();

// A transport error's name ("BadSqe", ...), "ok" for results >= 0, or
// "unknown" for a negative value outside the ABI's list.
const char* transport_error_name(int32_t result);

}  // namespace capos::rt

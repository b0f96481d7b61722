// The kernel's side of one process's ring: SQ consumer and CQ producer.
//
// The ring is memory the process can change at any moment (another of its
// threads may run on another CPU). Rules this class keeps:
//   - Geometry, sq_head, cq_tail, flags and cq_overflow are kept here and
//     only ever stored to the header, never read back from it.
//   - Each user-written index (sq_tail, cq_head) is loaded once per
//     decision, and every slot index is masked with the kernel's own mask,
//     so no value in the header can make it read or write outside the ring.
//   - Each SQE is copied word by word into kernel memory exactly once, before
//     anything looks at it (next()).
//   - One pass consumes at most sq_entries SQEs: a sq_tail that claims more
//     (far ahead of sq_head, or behind it) is clamped to sq_entries.
//   - An SQE is consumed only when a CQE slot can be reserved for its
//     completion. When the CQ has no room, the SQE stays in the SQ
//     (sq_head does not move past it), cq_overflow is incremented, the pass
//     ends and kRingFlagSqBacklog is set. A CQE is never written over one
//     the process has not reaped: a cq_head that claims more than
//     cq_entries unread entries (corrupted) reads as a full CQ.
//
// One cap_enter:
//   ring.begin_pass();
//   abi::Sqe sqe;
//   while (ring.next(&sqe) == NextResult::Sqe) {
//       ... decode, perform ...; ring.post(cqe) now, or keep the
//       reservation and post when the operation completes later.
//   }
//   ring.end_pass();
//
// Not thread-safe: the caller holds the process's ring lock.
#pragma once

#include <cstddef>
#include <cstdint>

#include "abi/ring.hpp"
#include "lib/base/error.hpp"
#include "lib/ring/geometry.hpp"
#include "lib/ring/shared_access.hpp"

namespace capos::ring {

enum class NextResult {
    Sqe,     // an SQE was copied out and consumed; one CQE slot is reserved for it
    Empty,   // the pass is over (no more SQEs this pass)
    CqFull,  // no CQE slot: the SQE stays queued and the pass is over
};

template <typename Access = SharedAccess>
class KernelRing {
public:
    // `ring` is the kernel's mapping of the ring: `ring_len` bytes, 8-byte
    // aligned. Errors: InvalidArgument when ring_len < geometry.bytes();
    // Misaligned. Does not touch the ring (call reset() at spawn).
    static Result<KernelRing> create(void* ring, size_t ring_len, RingGeometry geometry) {
        if (ring == nullptr || ring_len < geometry.bytes()) return Error::InvalidArgument;
        if (reinterpret_cast<uintptr_t>(ring) % 8 != 0) return Error::Misaligned;
        return KernelRing(static_cast<unsigned char*>(ring), geometry);
    }

    // Writes the whole header (identity, indices, flags; reserved words 0)
    // and zeroes the entries. Indices start at `initial_index` (0 at spawn;
    // tests start near 2^32 to cross the wrap).
    void reset(uint32_t initial_index = 0) {
        for (uint32_t off = 0; off < geometry_.bytes(); off += 8)
            Access::store_relaxed(reinterpret_cast<SharedWord*>(base_ + off), 0);
        abi::RingHeader* h = header();
        Access::store_release(&h->magic, abi::kRingMagic);
        Access::store_release(&h->version, abi::kRingVersion);
        Access::store_release(&h->sq_entries, geometry_.sq_entries());
        Access::store_release(&h->cq_entries, geometry_.cq_entries());
        Access::store_release(&h->sq_mask, geometry_.sq_mask());
        Access::store_release(&h->cq_mask, geometry_.cq_mask());
        Access::store_release(&h->sq_offset, geometry_.sq_offset());
        Access::store_release(&h->cq_offset, geometry_.cq_offset());
        Access::store_release(&h->ring_bytes, geometry_.bytes());
        Access::store_release(&h->features, 0);
        sq_head_ = initial_index;
        cq_tail_ = initial_index;
        overflow_ = 0;
        flags_ = 0;
        reserved_ = 0;
        pass_remaining_ = 0;
        pass_stopped_full_ = false;
        Access::store_release(&h->sq_tail, initial_index);
        Access::store_release(&h->cq_head, initial_index);
        publish();
    }

    const RingGeometry& geometry() const { return geometry_; }

    // Starts a pass: loads sq_tail once and returns how many SQEs this pass
    // may consume, at most sq_entries.
    uint32_t begin_pass() {
        uint32_t tail = Access::load_acquire(&header()->sq_tail);
        uint32_t pending = tail - sq_head_;
#ifndef CAPOS_PLANTED_BUG_RING_CLAMP  // tests/model: planted-bug build only
        if (pending > geometry_.sq_entries()) pending = geometry_.sq_entries();
#endif
        pass_remaining_ = pending;
        pass_stopped_full_ = false;
        return pending;
    }

    // Copies the next SQE of this pass into *out, consumes it (publishing
    // sq_head) and reserves a CQE slot for its completion.
    NextResult next(abi::Sqe* out) {
        if (pass_remaining_ == 0) return NextResult::Empty;
        if (!reserve_slot()) {
            pass_remaining_ = 0;
            pass_stopped_full_ = true;
            return NextResult::CqFull;
        }
        const unsigned char* slot =
            base_ + geometry_.sq_offset() + size_t{sq_head_ & geometry_.sq_mask()} * abi::kSqeBytes;
        copy_from_shared<Access, abi::kSqeBytes>(out, slot);
        ++sq_head_;
        --pass_remaining_;
        Access::store_release(&header()->sq_head, sq_head_);
        return NextResult::Sqe;
    }

    // Ends the pass: sets or clears kRingFlagSqBacklog and re-publishes every
    // kernel-written header word (undoing any scribbling by the process).
    void end_pass() {
        if (pass_stopped_full_)
            flags_ |= abi::kRingFlagSqBacklog;
        else
            flags_ &= ~abi::kRingFlagSqBacklog;
        pass_remaining_ = 0;
        publish();
    }

    // Reserves a CQE slot for a completion not obtained through next().
    // False (and cq_overflow incremented) when the CQ has no room.
    bool reserve_cqe() { return reserve_slot(); }

    // Gives back a reservation that will not be posted.
    // Precondition: reserved_cqes() > 0.
    void cancel_reservation() {
        if (reserved_ > 0) --reserved_;
    }

    // Posts a completion into a reserved slot and publishes cq_tail.
    // Errors: InvalidArgument when no reservation is held (a kernel bug);
    // RingCqFull when the process's cq_head shows no room (it moved cq_head
    // backwards or corrupted it): cq_overflow is incremented, nothing is
    // written and the reservation is kept, so the caller can retry later.
    Result<void> post(const abi::Cqe& cqe) {
        if (reserved_ == 0) return Error::InvalidArgument;
        if (used_slots() >= geometry_.cq_entries()) {
            count_overflow();
            return Error::RingCqFull;
        }
        unsigned char* slot =
            base_ + geometry_.cq_offset() + size_t{cq_tail_ & geometry_.cq_mask()} * abi::kCqeBytes;
        copy_to_shared<Access, abi::kCqeBytes>(slot, &cqe);
        ++cq_tail_;
        --reserved_;
        Access::store_release(&header()->cq_tail, cq_tail_);
        return {};
    }

    // CQEs the process can reap now: cq_tail - cq_head, or cq_entries when
    // cq_head is corrupted. cap_enter returns this and waits on it.
    uint32_t cq_ready() const { return used_slots(); }

    uint32_t sq_head() const { return sq_head_; }
    uint32_t cq_tail() const { return cq_tail_; }
    uint32_t overflow_count() const { return overflow_; }
    uint32_t flags() const { return flags_; }
    uint32_t reserved_cqes() const { return reserved_; }

private:
    KernelRing(unsigned char* base, RingGeometry geometry) : base_(base), geometry_(geometry) {}

    abi::RingHeader* header() const { return reinterpret_cast<abi::RingHeader*>(base_); }

    // Entries posted and not yet reaped, from one load of cq_head; a value
    // above cq_entries (cq_head ahead of cq_tail or too far behind) reads
    // as cq_entries.
    uint32_t used_slots() const {
        uint32_t head = Access::load_acquire(&header()->cq_head);
        uint32_t used = cq_tail_ - head;
        return used > geometry_.cq_entries() ? geometry_.cq_entries() : used;
    }

    bool reserve_slot() {
        if (used_slots() + reserved_ >= geometry_.cq_entries()) {
            count_overflow();
            return false;
        }
        ++reserved_;
        return true;
    }

    void count_overflow() {
        ++overflow_;
        Access::store_release(&header()->cq_overflow, overflow_);
    }

    void publish() {
        abi::RingHeader* h = header();
        Access::store_release(&h->sq_head, sq_head_);
        Access::store_release(&h->cq_tail, cq_tail_);
        Access::store_release(&h->cq_overflow, overflow_);
        Access::store_release(&h->flags, flags_);
    }

    unsigned char* base_;
    RingGeometry geometry_;
    uint32_t sq_head_ = 0;     // Invariant: kernel-owned; the header's copy is output only
    uint32_t cq_tail_ = 0;     // Invariant: kernel-owned
    uint32_t overflow_ = 0;
    uint32_t flags_ = 0;
    uint32_t reserved_ = 0;    // Invariant: cq_tail_ - cq_head + reserved_ <= cq_entries
                               //   whenever cq_head is honest
    uint32_t pass_remaining_ = 0;
    bool pass_stopped_full_ = false;
};

}  // namespace capos::ring

// The process's side of its ring: SQ producer and CQ consumer. Used by the
// user runtime (user/rt) and by host tests that play the process.
//
// The process owns sq_tail and cq_head; it keeps its own copies and only
// stores them. The kernel owns sq_head and cq_tail; they are loaded once
// per decision. Geometry comes from the header, checked once at attach().
//
// Not thread-safe: one thread uses a UserRing at a time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "abi/ring.hpp"
#include "lib/base/error.hpp"
#include "lib/ring/geometry.hpp"
#include "lib/ring/shared_access.hpp"

namespace capos::ring {

template <typename Access = SharedAccess>
class UserRing {
public:
    // Checks the header the kernel wrote at spawn. Errors: Misaligned;
    // BadMagic; Unsupported (version); Malformed (geometry invalid,
    // offsets not the ABI's, or ring_bytes larger than ring_len).
    static Result<UserRing> attach(void* ring, size_t ring_len) {
        if (ring == nullptr || ring_len < sizeof(abi::RingHeader)) return Error::Malformed;
        if (reinterpret_cast<uintptr_t>(ring) % 8 != 0) return Error::Misaligned;
        auto* h = static_cast<abi::RingHeader*>(ring);
        if (Access::load_acquire(&h->magic) != abi::kRingMagic) return Error::BadMagic;
        if (Access::load_acquire(&h->version) != abi::kRingVersion) return Error::Unsupported;
        uint32_t sq = Access::load_acquire(&h->sq_entries);
        uint32_t cq = Access::load_acquire(&h->cq_entries);
        auto made = RingGeometry::make(sq, cq);
        if (!made) return Error::Malformed;
        RingGeometry g = made.value();
        if (Access::load_acquire(&h->sq_mask) != g.sq_mask() ||
            Access::load_acquire(&h->cq_mask) != g.cq_mask() ||
            Access::load_acquire(&h->sq_offset) != g.sq_offset() ||
            Access::load_acquire(&h->cq_offset) != g.cq_offset() ||
            Access::load_acquire(&h->ring_bytes) != g.bytes() || g.bytes() > ring_len)
            return Error::Malformed;
        UserRing r(static_cast<unsigned char*>(ring), g);
        r.sq_tail_ = Access::load_acquire(&h->sq_tail);
        r.cq_head_ = Access::load_acquire(&h->cq_head);
        return r;
    }

    const RingGeometry& geometry() const { return geometry_; }

    // Free SQ slots: sq_entries - (sq_tail - sq_head). 0 if sq_head is
    // inconsistent (never trust more room than can exist).
    uint32_t sq_space() const {
        uint32_t head = Access::load_acquire(&header()->sq_head);
        uint32_t used = sq_tail_ - head;
        if (used > geometry_.sq_entries()) return 0;
        return geometry_.sq_entries() - used;
    }

    // Writes `sqe` into the next SQ slot and publishes sq_tail.
    // Errors: RingQueueFull when the SQ has no free slot.
    Result<void> submit(const abi::Sqe& sqe) {
        if (sq_space() == 0) return Error::RingQueueFull;
        unsigned char* slot =
            base_ + geometry_.sq_offset() + size_t{sq_tail_ & geometry_.sq_mask()} * abi::kSqeBytes;
        copy_to_shared<Access, abi::kSqeBytes>(slot, &sqe);
        ++sq_tail_;
        Access::store_release(&header()->sq_tail, sq_tail_);
        return {};
    }

    // SQEs submitted and not yet consumed by the kernel.
    uint32_t sq_pending() const {
        uint32_t used = sq_tail_ - Access::load_acquire(&header()->sq_head);
        return used > geometry_.sq_entries() ? geometry_.sq_entries() : used;
    }

    // CQEs ready to reap (at most cq_entries).
    uint32_t cq_ready() const {
        uint32_t ready = Access::load_acquire(&header()->cq_tail) - cq_head_;
        return ready > geometry_.cq_entries() ? geometry_.cq_entries() : ready;
    }

    // Copies the oldest unreaped CQE into *out and releases its slot.
    // False when none is ready.
    bool reap(abi::Cqe* out) {
        if (cq_ready() == 0) return false;
        const unsigned char* slot =
            base_ + geometry_.cq_offset() + size_t{cq_head_ & geometry_.cq_mask()} * abi::kCqeBytes;
        copy_from_shared<Access, abi::kCqeBytes>(out, slot);
        ++cq_head_;
        Access::store_release(&header()->cq_head, cq_head_);
        return true;
    }

    uint32_t overflow_count() const { return Access::load_acquire(&header()->cq_overflow); }
    bool backlog() const {
        return (Access::load_acquire(&header()->flags) & abi::kRingFlagSqBacklog) != 0;
    }

private:
    UserRing(unsigned char* base, RingGeometry geometry) : base_(base), geometry_(geometry) {}

    abi::RingHeader* header() const { return reinterpret_cast<abi::RingHeader*>(base_); }

    unsigned char* base_;
    RingGeometry geometry_;
    uint32_t sq_tail_ = 0;  // Invariant: process-owned; the header's copy is output only
    uint32_t cq_head_ = 0;  // Invariant: process-owned
};

}  // namespace capos::ring

// The kernel's own copy of a ring's geometry, fixed at spawn. Every index
// into the ring is masked with these values, never with the header's.
#pragma once

#include <cstdint>

#include "abi/ring.hpp"
#include "lib/base/error.hpp"

namespace capos::ring {

class RingGeometry {
public:
    // Errors: InvalidArgument unless abi::ring_geometry_valid(sq, cq).
    static Result<RingGeometry> make(uint32_t sq_entries, uint32_t cq_entries) {
        if (!abi::ring_geometry_valid(sq_entries, cq_entries)) return Error::InvalidArgument;
        return RingGeometry(sq_entries, cq_entries);
    }
    static RingGeometry default_geometry() {
        return RingGeometry(abi::kDefaultSqEntries, abi::kDefaultCqEntries);
    }

    uint32_t sq_entries() const { return sq_entries_; }
    uint32_t cq_entries() const { return cq_entries_; }
    uint32_t sq_mask() const { return sq_entries_ - 1; }
    uint32_t cq_mask() const { return cq_entries_ - 1; }
    uint32_t sq_offset() const { return abi::ring_sq_offset(); }
    uint32_t cq_offset() const { return abi::ring_cq_offset(sq_entries_); }
    uint32_t bytes() const { return abi::ring_bytes(sq_entries_, cq_entries_); }

private:
    RingGeometry(uint32_t sq, uint32_t cq) : sq_entries_(sq), cq_entries_(cq) {}
    uint32_t sq_entries_;  // Invariant: ring_geometry_valid(sq_entries_, cq_entries_)
    uint32_t cq_entries_;
};

}  // namespace capos::ring

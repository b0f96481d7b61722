// Revocation by object epoch (docs/ipc.md, "Revocation").
//
// An object that can be revoked keeps an Epoch. Every capability to it is
// minted at the object's current epoch and carries that number beside its
// object reference (EpochRef below: the pair is the capability table's Ref
// type, so the number lives in the slot, next to the reference, and travels
// with every Copy and Move transfer without lib/cap knowing about it).
//
//   Epoch e;                          object created: epoch 0
//   EpochRef<Obj*> a{obj, e.mint()};  a capability minted at 0
//   e.valid(a.epoch)                  true
//   e.revoke()                        epoch 1: every capability minted at 0,
//                                     and every copy of one, is now invalid
//   EpochRef<Obj*> b{obj, e.mint()};  minted at 1: valid
//
// A capability is valid iff its epoch equals the object's current epoch.
// The check is made where the capability is used (the kernel compares
// before it acts on a CALL), so revoke() is O(1): no table is walked.
//
// The epoch is 64 bits and only ever increases; at the maximum, revoke()
// refuses (LimitExceeded) instead of wrapping, because a wrap would make
// capabilities revoked long ago valid again. 2^64 revocations are out of
// reach, so the refusal is a guarantee, not a limit anyone meets.
//
// Pure logic: no locks, no allocation. The caller holds the object's lock.
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "lib/base/error.hpp"

namespace capos::ipc {

class Epoch {
public:
    static constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

    constexpr Epoch() = default;
    // For tests: start at `value` (e.g. near kMax).
    constexpr explicit Epoch(uint64_t value) : value_(value) {}

    constexpr uint64_t current() const { return value_; }
    // The epoch a capability minted now carries.
    constexpr uint64_t mint() const { return value_; }
    constexpr bool valid(uint64_t capability_epoch) const { return capability_epoch == value_; }

    // Invalidates every capability minted so far. Errors: LimitExceeded at
    // kMax (nothing changes).
    Result<void> revoke() {
        if (value_ == kMax) return Error::LimitExceeded;
        ++value_;
        return {};
    }

private:
    uint64_t value_ = 0;  // Invariant: only increases
};

// A capability table reference with the epoch it was minted at:
// CapTable<EpochRef<Ref>> stores the pair in each slot. Default-constructed
// it is the empty reference. get() makes CapTable::lookup<T> see the
// object (lib/cap/cap_table.hpp, detail::ref_get).
template <typename Ref>
struct EpochRef {
    Ref object{};
    uint64_t epoch = 0;

    auto get() const {
        if constexpr (std::is_pointer_v<Ref>)
            return object;
        else
            return object.get();
    }
};

}  // namespace capos::ipc

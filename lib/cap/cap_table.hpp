// The capability table of one process: flat, bounded, generation-tagged.
//
//   storage (caller-provided span of Slot<Ref>, capacity = storage.size())
//   +--------+--------+--------+--------+-----+
//   | slot 0 | slot 1 | slot 2 | slot 3 | ... |
//   +--------+--------+--------+--------+-----+
//     Live     Free     Live     Free
//              |                  ^
//   free_head_-+   next_free -----+---> ... free_tail_
//
// A CapId (abi/cap_id.hpp) names (slot index, generation). It resolves only
// while that slot is Live with that generation. Releasing a slot bumps its
// generation, so ids kept past their release fail as stale.
//
// Free slots form a FIFO list: a released slot is reused only after every
// other free slot, which spreads reuse (and generation wrap) across the table.
//
// Ref is the object reference a slot holds: default-constructible (the empty
// reference), copyable (a Copy transfer copies it) and movable. The table
// owns one reference per Live slot. Pointers (e.g. void* or T*) and
// refcounting handles with get() both work; lookup<T> needs one of the two.
//
// Not thread-safe: the caller holds the owning process's lock.
#pragma once

#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include "abi/cap_id.hpp"
#include "lib/base/error.hpp"

namespace capos::cap {

using abi::CapId;

template <typename Ref>
class CapTable;
template <typename Ref>
class Transaction;

inline constexpr uint32_t kNoSlot = 0xFFFF'FFFF;

enum class SlotState : uint8_t {
    Free = 0,      // on the free list
    Live = 1,      // holds a capability
    Reserved = 2,  // taken off the free list by an open transaction
};

template <typename Ref>
struct Slot {
    Ref object{};               // Invariant: Ref{} unless Live
    uint64_t interface_id = 0;  // Invariant: 0 unless Live
    uint32_t next_free = kNoSlot;  // Free: next free slot; else unspecified
    uint16_t generation = 1;    // Invariant: 1..kCapIdGenerationMax
    SlotState state = SlotState::Free;
    uint8_t pending_move = 0;   // Live: 1 while an open transaction moves it out
};

// What a lookup yields. `object` points into the table: valid until the
// slot is next changed.
template <typename Ref>
struct CapEntry {
    const Ref* object;
    uint64_t interface_id;
    CapId id;
};

namespace detail {
template <typename Ref>
auto ref_get(const Ref& r) {
    if constexpr (std::is_pointer_v<Ref>)
        return r;
    else
        return r.get();
}
}  // namespace detail

template <typename Ref>
class CapTable {
public:
    using SlotType = Slot<Ref>;

    CapTable() = default;
    CapTable(const CapTable&) = delete;
    CapTable& operator=(const CapTable&) = delete;

    // Takes `storage` as the table's slots, all free. 1 <= storage.size() <=
    // abi::kCapTableMaxSlots, else InvalidArgument. The storage must outlive
    // the table and must hold no live references (they would be overwritten).
    Result<void> init(std::span<SlotType> storage) {
        if (storage.empty() || storage.size() > abi::kCapTableMaxSlots) return Error::InvalidArgument;
        slots_ = storage.data();
        capacity_ = static_cast<uint32_t>(storage.size());
        for (uint32_t i = 0; i < capacity_; ++i) {
            slots_[i] = SlotType{};
            slots_[i].next_free = i + 1 < capacity_ ? i + 1 : kNoSlot;
        }
        free_head_ = 0;
        free_tail_ = capacity_ - 1;
        live_ = 0;
        reserved_ = 0;
        txn_open_ = 0;
        return {};
    }

    uint32_t capacity() const { return capacity_; }
    // Live capabilities.
    uint32_t size() const { return live_; }
    // Slots an insert could still take.
    uint32_t free_slots() const { return capacity_ - live_ - reserved_; }

    // Installs `object` (taking the table's reference) under a fresh id.
    // Errors: CapTableFull when no slot is free; Busy while a transaction is
    // open on this table. On error `object` is dropped by the caller's copy
    // semantics (nothing is stored).
    Result<CapId> insert(Ref object, uint64_t interface_id) {
        if (txn_open_) return Error::Busy;
        if (free_head_ == kNoSlot) return Error::CapTableFull;
        uint32_t index = reserve_slot();
        return fill_reserved(index, std::move(object), interface_id);
    }

    // The one place ids are checked. Errors: CapStale when `id` does not name
    // a Live slot with its generation (including id 0 and any index at or
    // beyond capacity).
    Result<CapEntry<Ref>> resolve(CapId id) const {
        uint32_t index = abi::cap_id_index(id);
        uint32_t generation = abi::cap_id_generation(id);
        if (index >= capacity_) return Error::CapStale;
        const SlotType& s = slots_[index];
        if (s.state != SlotState::Live || s.generation != generation) return Error::CapStale;
        return CapEntry<Ref>{&s.object, s.interface_id, id};
    }

    // resolve() plus the interface check. Errors: CapStale, CapWrongInterface.
    Result<CapEntry<Ref>> lookup(CapId id, uint64_t interface_id) const {
        CapEntry<Ref> e = TRY(resolve(id));
        if (e.interface_id != interface_id) return Error::CapWrongInterface;
        return e;
    }

    // Typed lookup: T::kInterfaceId names T's interface, and the object a
    // slot of that interface holds is a T (the caller's invariant when it
    // inserted it). Errors: CapStale, CapWrongInterface.
    template <typename T>
    Result<T*> lookup(CapId id) const {
        CapEntry<Ref> e = TRY(lookup(id, T::kInterfaceId));
        return static_cast<T*>(detail::ref_get(*e.object));
    }

    // Removes the capability and hands back the table's reference.
    // Errors: CapStale; Busy while a transaction is open on this table.
    Result<Ref> release(CapId id) {
        if (txn_open_) return Error::Busy;
        TRY(resolve(id));
        return take_and_free(abi::cap_id_index(id));
    }

    // Releases every live capability (process exit), passing each reference
    // to `drop(Ref&&)` in slot order. Precondition: no transaction open.
    template <typename F>
    void release_all(F&& drop) {
        for (uint32_t i = 0; i < capacity_; ++i) {
            if (slots_[i].state == SlotState::Live) drop(take_and_free(i));
        }
    }

    // Read-only view for tests and diagnostics.
    std::span<const SlotType> slots() const { return {slots_, capacity_}; }
    uint32_t free_head() const { return free_head_; }
    uint32_t free_tail() const { return free_tail_; }
    bool transaction_open() const { return txn_open_ != 0; }

private:
    friend class Transaction<Ref>;

    // Precondition: free_head_ != kNoSlot. Undone exactly by unreserve_slot
    // when reservations are undone in reverse order.
    uint32_t reserve_slot() {
        uint32_t index = free_head_;
        SlotType& s = slots_[index];
        free_head_ = s.next_free;
        if (free_head_ == kNoSlot) free_tail_ = kNoSlot;
        s.state = SlotState::Reserved;
        ++reserved_;
        return index;
    }

    // Precondition: `index` is the most recent reservation not yet undone.
    void unreserve_slot(uint32_t index) {
        SlotType& s = slots_[index];
        s.state = SlotState::Free;
        if (free_head_ == kNoSlot) free_tail_ = index;
        free_head_ = index;
        --reserved_;
    }

    CapId fill_reserved(uint32_t index, Ref object, uint64_t interface_id) {
        SlotType& s = slots_[index];
        s.object = std::move(object);
        s.interface_id = interface_id;
        s.next_free = kNoSlot;
        s.state = SlotState::Live;
        s.pending_move = 0;
        --reserved_;
        ++live_;
        return abi::make_cap_id(index, s.generation);
    }

    Ref take_and_free(uint32_t index) {
        SlotType& s = slots_[index];
        Ref out = std::move(s.object);
        s.object = Ref{};
        s.interface_id = 0;
        s.pending_move = 0;
        s.state = SlotState::Free;
#ifndef CAPOS_PLANTED_BUG_CAP_GENERATION  // tests/model: planted-bug build only
        s.generation = static_cast<uint16_t>(abi::next_cap_generation(s.generation));
#endif
        s.next_free = kNoSlot;
        if (free_tail_ == kNoSlot) {
            free_head_ = index;
        } else {
            slots_[free_tail_].next_free = index;
        }
        free_tail_ = index;
        --live_;
        return out;
    }

    SlotType* slots_ = nullptr;
    uint32_t capacity_ = 0;
    uint32_t free_head_ = kNoSlot;  // Invariant: kNoSlot iff free_tail_ == kNoSlot
    uint32_t free_tail_ = kNoSlot;
    uint32_t live_ = 0;             // Invariant: Live slots
    uint32_t reserved_ = 0;         // Invariant: Reserved slots
    uint32_t txn_open_ = 0;         // Invariant: 1 while a Transaction holds this table
};

}  // namespace capos::cap

// Capability transfer between two tables (or within one): all or nothing.
//
//   Transaction t(sender_table, receiver_table);   // holds both tables
//   TRY(t.add(id_a, TransferMode::Copy));           // prepare: may fail
//   TRY(t.add(id_b, TransferMode::Move));           //   (caller then aborts)
//   t.commit(out);                                  // perform: cannot fail
//
// add() checks the source and reserves a receiver slot; nothing becomes
// visible: the reserved slot resolves to no id, the source still resolves.
// commit() fills every reserved slot in add order and, for each Move,
// releases the source slot (bumping its generation). abort() (also run by
// the destructor of an open transaction) undoes every add in reverse order
// and leaves both tables byte-for-byte as they were before the transaction.
//
// While a transaction is open, insert() and release() on either table fail
// with Busy and a second transaction on either table adds nothing (Busy):
// exact rollback relies on no one else touching the free lists.
//
// Conflicts (Error::CapTransferConflict): naming a source that an earlier
// add() of this transaction already moves. (A Copy then a Move of the same
// source is fine: commit runs in add order.)
//
// The errors of add() say what went wrong; the ring reports every one of
// them to the process as TransportError::TransferFailed (docs/abi.md,
// section 10), not through the generic ring::transport_error mapping.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <utility>

#include "abi/cap_id.hpp"
#include "abi/ring.hpp"
#include "lib/base/error.hpp"
#include "lib/cap/cap_table.hpp"

namespace capos::cap {

struct TransferredCap {
    CapId id;               // in the receiver's table
    uint64_t interface_id;
};

template <typename Ref>
class Transaction {
public:
    static constexpr uint32_t kMaxEntries = abi::kMaxTransfers;

    Transaction(CapTable<Ref>& source, CapTable<Ref>& dest) : source_(source), dest_(dest) {
        if (source_.txn_open_ == 0 && dest_.txn_open_ == 0) {
            source_.txn_open_ = 1;
            dest_.txn_open_ = 1;
            held_ = true;
        }
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (held_) abort();
    }

    uint32_t size() const { return count_; }

    // Prepares one transfer of `source_id` with `mode`. On error this call
    // changed nothing (earlier adds stay prepared; abort() undoes them).
    // Errors: Busy (transaction not holding the tables, or closed),
    // LimitExceeded (more than kMaxEntries), InvalidArgument (mode),
    // CapStale (source), CapTransferConflict, CapTableFull (receiver).
    Result<void> add(CapId source_id, abi::TransferMode mode) {
        if (!held_) return Error::Busy;
        if (count_ >= kMaxEntries) return Error::LimitExceeded;
        if (mode != abi::TransferMode::Copy && mode != abi::TransferMode::Move)
            return Error::InvalidArgument;
        TRY(source_.resolve(source_id));
        uint32_t src_index = abi::cap_id_index(source_id);
        Slot<Ref>& src = source_.slots_[src_index];
        if (src.pending_move) return Error::CapTransferConflict;
        if (dest_.free_head_ == kNoSlot) return Error::CapTableFull;
        uint32_t dst_index = dest_.reserve_slot();
        if (mode == abi::TransferMode::Move) src.pending_move = 1;
        pending_[count_++] = Pending{src_index, dst_index, mode};
        return {};
    }

    // Performs every prepared transfer; out[i] receives the i-th new id.
    // Precondition: the transaction holds the tables and out.size() >= size().
    // Closes the transaction.
    void commit(std::span<TransferredCap> out) {
        if (!held_) return;
        for (uint32_t i = 0; i < count_; ++i) {
            const Pending& p = pending_[i];
            Slot<Ref>& src = source_.slots_[p.src_index];
            uint64_t interface_id = src.interface_id;
            CapId id;
            if (p.mode == abi::TransferMode::Move) {
                id = dest_.fill_reserved(p.dst_index, source_.take_and_free(p.src_index),
                                         interface_id);
            } else {
                id = dest_.fill_reserved(p.dst_index, Ref(src.object), interface_id);
            }
            if (i < out.size()) out[i] = TransferredCap{id, interface_id};
        }
        count_ = 0;
        release_tables();
    }

    // Undoes every add in reverse order. Closes the transaction.
    void abort() {
        if (!held_) return;
        while (count_ > 0) {
            const Pending& p = pending_[--count_];
            if (p.mode == abi::TransferMode::Move) source_.slots_[p.src_index].pending_move = 0;
            dest_.unreserve_slot(p.dst_index);
        }
        release_tables();
    }

private:
    struct Pending {
        uint32_t src_index;
        uint32_t dst_index;
        abi::TransferMode mode;
    };

    void release_tables() {
        source_.txn_open_ = 0;
        dest_.txn_open_ = 0;
        held_ = false;
    }

    CapTable<Ref>& source_;
    CapTable<Ref>& dest_;
    std::array<Pending, kMaxEntries> pending_{};
    uint32_t count_ = 0;
    bool held_ = false;
};

}  // namespace capos::cap

// A process's resource ledger (lib/mm/ledger.hpp) as a kernel object: the
// process holds one reference, and every MemoryObject charged to it holds
// another, so frames charged by a process that has exited are refunded
// into a ledger that still exists.
#pragma once

#include <cstdint>

#include "lib/mm/ledger.hpp"

namespace capos {

class Account {
public:
    // A new account with one reference, or null when the heap is exhausted.
    static Account* create(const mm::Limits& limits);

    mm::Ledger& ledger() { return ledger_; }
    const mm::Ledger& ledger() const { return ledger_; }

    void retain() { ++refs_; }
    void release();

    // Refunds a charge the kernel made; a refund the ledger refuses is an
    // accounting bug in the kernel, which panics.
    void refund(mm::Charge k, uint64_t n);

private:
    explicit Account(const mm::Limits& limits) : ledger_(limits) {}
    mm::Ledger ledger_;
    uint32_t refs_ = 1;
};

}  // namespace capos

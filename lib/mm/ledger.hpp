// A per-process resource ledger: what a process holds, charged against the
// limits of its resource profile (schema ResourceProfile). Pure accounting:
// the kernel charges before it allocates and refunds when it frees; a
// charge past a limit is Error::LimitExceeded and changes nothing.
//
//   cap_slots     live capability table entries
//   frames        physical frames held: the process's own memory (image,
//                 stack, TLS, ring, CapSet, VirtualMemory commits) and the
//                 MemoryObjects it allocated, for as long as they live
//   mapped_pages  user pages present in its address space
//
// Page-table frames and kernel objects are not charged (bounded by the
// mapped pages and the capability slots; docs/memory.md).
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/base/error.hpp"

namespace capos::mm {

enum class Charge : uint8_t { CapSlots = 0, Frames = 1, MappedPages = 2 };
inline constexpr size_t kChargeKinds = 3;

struct Limits {
    uint64_t cap_slots = 0;
    uint64_t frames = 0;
    uint64_t mapped_pages = 0;

    uint64_t get(Charge k) const;
    friend bool operator==(const Limits&, const Limits&) = default;
};

// The limits a new process gets: each requested value of 0 means
// `defaults`; the result never exceeds `ceiling` (the spawner's own limits,
// or the kernel's maxima for a process the kernel starts).
Limits resolve_limits(const Limits& requested, const Limits& defaults, const Limits& ceiling);

class Ledger {
public:
    Ledger() = default;
    explicit Ledger(const Limits& limits) : limits_(limits) {}

    // Adds n to the count of k. LimitExceeded (nothing changed) when the
    // count would pass the limit.
    Result<void> charge(Charge k, uint64_t n);
    // Subtracts n. InvalidArgument (nothing changed) when n exceeds the
    // count: a refund without its charge is an accounting bug the caller
    // reports.
    Result<void> refund(Charge k, uint64_t n);

    uint64_t used(Charge k) const { return used_[index(k)]; }
    uint64_t limit(Charge k) const { return limits_.get(k); }
    uint64_t available(Charge k) const { return limit(k) - used(k); }
    const Limits& limits() const { return limits_; }

private:
    static size_t index(Charge k) { return static_cast<size_t>(k); }
    Limits limits_{};
    uint64_t used_[kChargeKinds] = {};
};

}  // namespace capos::mm

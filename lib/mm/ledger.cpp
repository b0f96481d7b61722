#include "lib/mm/ledger.hpp"

namespace capos::mm {

uint64_t Limits::get(Charge k) const {
    switch (k) {
    case Charge::CapSlots: return cap_slots;
    case Charge::Frames: return frames;
    case Charge::MappedPages: return mapped_pages;
    }
    return 0;
}

namespace {
uint64_t pick(uint64_t requested, uint64_t fallback, uint64_t ceiling) {
    uint64_t v = requested == 0 ? fallback : requested;
    return v < ceiling ? v : ceiling;
}
}  // namespace

Limits resolve_limits(const Limits& requested, const Limits& defaults, const Limits& ceiling) {
    return Limits{pick(requested.cap_slots, defaults.cap_slots, ceiling.cap_slots),
                  pick(requested.frames, defaults.frames, ceiling.frames),
                  pick(requested.mapped_pages, defaults.mapped_pages, ceiling.mapped_pages)};
}

Result<void> Ledger::charge(Charge k, uint64_t n) {
    uint64_t& u = used_[index(k)];
#ifndef CAPOS_PLANTED_BUG_LEDGER_LIMIT  // tests/model: planted-bug build only
    if (n > limit(k) || u > limit(k) - n) return Error::LimitExceeded;
#else
    if (n > limit(k)) return Error::LimitExceeded;
#endif
    u += n;
    return {};
}

Result<void> Ledger::refund(Charge k, uint64_t n) {
    uint64_t& u = used_[index(k)];
    if (n > u) return Error::InvalidArgument;
    u -= n;
    return {};
}

}  // namespace capos::mm

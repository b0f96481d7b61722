#include "kernel/mm/account.hpp"

#include <new>

#include "kernel/panic.hpp"

namespace capos {

Account* Account::create(const mm::Limits& limits) { return new (std::nothrow) Account(limits); }

void Account::release() {
    if (--refs_ == 0) delete this;
}

void Account::refund(mm::Charge k, uint64_t n) {
    if (!ledger_.refund(k, n).ok())
        panic("ledger: refund of {} (kind {}) exceeds the charge {}", n, static_cast<int>(k), ledger_.used(k));
}

}  // namespace capos

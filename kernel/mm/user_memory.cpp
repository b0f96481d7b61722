#include "kernel/mm/user_memory.hpp"

#include "abi/layout.hpp"
#include "kernel/mm/address_space.hpp"

extern "C" uint64_t arch_user_copy(void* dst, const void* src, size_t len, uint64_t smap);

extern "C" const uint64_t __ex_table_start[];
extern "C" const uint64_t __ex_table_end[];

namespace capos {

Result<void> check_user_range(UserAddr addr, size_t len) {
    uint64_t end;
    if (__builtin_add_overflow(addr.value, len, &end)) return Error::OutOfRange;
    if (addr.value < abi::kUserMin || end > abi::kUserTop) return Error::OutOfRange;
    return {};
}

Result<void> copy_from_user(void* dst, UserAddr src, size_t len) {
    TRY(check_user_range(src, len));
    if (len == 0) return {};
    if (arch_user_copy(dst, reinterpret_cast<const void*>(src.value), len, smap_enabled()))
        return Error::NotFound;
    return {};
}

Result<void> copy_to_user(UserAddr dst, const void* src, size_t len) {
    TRY(check_user_range(dst, len));
    if (len == 0) return {};
    if (arch_user_copy(reinterpret_cast<void*>(dst.value), src, len, smap_enabled()))
        return Error::NotFound;
    return {};
}

bool user_copy_fixup(uint64_t rip, uint64_t* resume) {
    for (const uint64_t* e = __ex_table_start; e + 1 < __ex_table_end; e += 2) {
        if (e[0] == rip) {
            *resume = e[1];
            return true;
        }
    }
    return false;
}

}  // namespace capos

// The kernel's last word: print a clear message on COM1 and end QEMU with
// the failure status (or halt on real hardware). Reachable only from kernel
// bugs, never from anything a user process sends (docs/panic-surface.md).
#pragma once

#include "lib/base/format.hpp"

namespace capos {

[[noreturn]] void vpanic(StringView fmt, const FormatArg* args, size_t nargs);

template <typename... Args>
[[noreturn]] void panic(StringView fmt, const Args&... args) {
    if constexpr (sizeof...(Args) == 0) {
        vpanic(fmt, nullptr, 0);
    } else {
        const FormatArg list[] = {FormatArg(args)...};
        vpanic(fmt, list, sizeof...(Args));
    }
}

}  // namespace capos

#define KASSERT(cond)                                                                   \
    do {                                                                                \
        if (!(cond)) ::capos::panic("assertion failed: {} ({}:{})", #cond, __FILE__, __LINE__); \
    } while (0)

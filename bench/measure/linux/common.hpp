// Shared by the Linux peer's benchmark programs (static, run by init.cpp
// inside the measure initramfs): iteration counts and printing a harness
// line on stdout (the serial console).
#pragma once

#include <unistd.h>

#include <cstdint>

#include "bench/measure/harness.hpp"

namespace peer {

inline constexpr uint64_t kWarmup = 1000;
inline constexpr uint64_t kIters = 10000;
static_assert(kWarmup >= measure::kMinWarmup && kIters >= measure::kMinIters);

inline void emit(const measure::Line& l) {
    measure::Line out = l;
    out.add("\n");
    const char* p = out.c_str();
    size_t left = out.size();
    while (left) {
        ssize_t n = write(1, p, left);
        if (n <= 0) return;
        p += n;
        left -= static_cast<size_t>(n);
    }
}

// Prints the row and returns the process exit status (0 only when it checked out).
inline int report(const measure::Sample& s) {
    emit(measure::format(s));
    return s.ok() ? 0 : 1;
}

inline int fail(const char* row, const char* reason) {
    emit(measure::format_failed(row, reason));
    return 1;
}

}  // namespace peer

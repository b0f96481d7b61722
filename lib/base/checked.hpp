// Overflow-checked arithmetic. Every size or offset computed from untrusted
// input goes through these.
#pragma once

#include <cstdint>

#include "lib/base/error.hpp"

namespace capos {

template <typename T>
[[nodiscard]] constexpr bool checked_add(T a, T b, T* out) {
    return !__builtin_add_overflow(a, b, out);
}

template <typename T>
[[nodiscard]] constexpr bool checked_mul(T a, T b, T* out) {
    return !__builtin_mul_overflow(a, b, out);
}

// True when [offset, offset + len) lies inside [0, size), without overflow.
template <typename T>
[[nodiscard]] constexpr bool range_within(T offset, T len, T size) {
    T end;
    if (__builtin_add_overflow(offset, len, &end)) return false;
    return end <= size;
}

template <typename T>
constexpr T align_up(T value, T align) {
    return (value + align - 1) & ~(align - 1);
}

template <typename T>
constexpr T align_down(T value, T align) {
    return value & ~(align - 1);
}

template <typename T>
constexpr bool is_aligned(T value, T align) {
    return (value & (align - 1)) == 0;
}

// align_up that reports overflow instead of wrapping.
template <typename T>
[[nodiscard]] constexpr bool checked_align_up(T value, T align, T* out) {
    T tmp;
    if (__builtin_add_overflow(value, align - 1, &tmp)) return false;
    *out = tmp & ~(align - 1);
    return true;
}

}  // namespace capos

// The byte-string primitives behind the runtime's memcpy, memmove, memset,
// memcmp and strlen (libc.cpp). Header-only and named differently from the C
// functions so host tests can compare them with the host's.
//
// Contract: the C standard's, including overlapping ranges for mem_move.
// Copies use `rep movsb`/`rep stosb` (fast on CPUs with ERMS, one helper call
// under QEMU TCG). DF is 0 at entry and on return (SysV ABI).
#pragma once

#include <cstddef>
#include <cstdint>

namespace capos::rt {

// Eight bytes per step, then the tail: under QEMU's icount every rep
// iteration counts as an instruction, and real CPUs are no slower.
inline void* mem_copy(void* dst, const void* src, size_t n) {
    void* d = dst;
    size_t words = n / 8, tail = n % 8;
    asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) : : "memory");
    return dst;
}

inline void* mem_move(void* dst, const void* src, size_t n) {
    auto d = reinterpret_cast<uintptr_t>(dst);
    auto s = reinterpret_cast<uintptr_t>(src);
    if (d - s >= n) {  // d < s, or no overlap: forward, byte by byte
        void* dd = dst;
        asm volatile("rep movsb" : "+D"(dd), "+S"(src), "+c"(n) : : "memory");
        return dst;
    }
    // dst overlaps the tail of src: copy backwards, last byte first.
    void* dl = static_cast<unsigned char*>(dst) + n - 1;
    const void* sl = static_cast<const unsigned char*>(src) + n - 1;
    asm volatile("std\n\trep movsb\n\tcld" : "+D"(dl), "+S"(sl), "+c"(n) : : "memory", "cc");
    return dst;
}

inline void* mem_set(void* dst, int c, size_t n) {
    void* d = dst;
    uint64_t v = 0x0101'0101'0101'0101ull * static_cast<uint8_t>(c);
    size_t words = n / 8, tail = n % 8;
    asm volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(v) : "memory");
    asm volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(v) : "memory");
    return dst;
}

inline int mem_compare(const void* a, const void* b, size_t n) {
    auto* x = static_cast<const unsigned char*>(a);
    auto* y = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; ++i)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

inline size_t str_length(const char* s) {
    size_t n = 0;
    while (s[n] != '\0') ++n;
    return n;
}

}  // namespace capos::rt

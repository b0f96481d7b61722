// Freestanding C/C++ runtime support for the kernel: the mem* functions the
// compiler may call, operator new/delete over the kernel heap, and the
// handful of symbols libstdc++ headers and the ABI expect.
#include <cstddef>
#include <cstdint>
#include <new>

#include "kernel/mm/memory.hpp"
#include "kernel/panic.hpp"

extern "C" {

// Eight bytes per step, then the tail (DF is clear in the kernel: the
// syscall mask and every trap entry clear it). A byte loop cost about three
// instructions per byte on every struct copy, RECV header and message.
void* memcpy(void* dst, const void* src, size_t n) {
    void* d = dst;
    size_t words = n / 8, tail = n % 8;
    asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) : : "memory");
    return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
    auto* d = static_cast<uint8_t*>(dst);
    auto* s = static_cast<const uint8_t*>(src);
    if (d < s) {
        for (size_t i = 0; i < n; ++i) d[i] = s[i];
    } else {
        for (size_t i = n; i-- > 0;) d[i] = s[i];
    }
    return dst;
}

void* memset(void* dst, int c, size_t n) {
    void* d = dst;
    uint64_t v = 0x0101'0101'0101'0101ull * static_cast<uint8_t>(c);
    size_t words = n / 8, tail = n % 8;
    asm volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(v) : "memory");
    asm volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(v) : "memory");
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    auto* x = static_cast<const uint8_t*>(a);
    auto* y = static_cast<const uint8_t*>(b);
    for (size_t i = 0; i < n; ++i)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}

void __cxa_pure_virtual() { capos::panic("pure virtual call"); }

// Static-local guards are disabled (-fno-threadsafe-statics); atexit is not used.
void* __dso_handle = nullptr;

}  // extern "C"

namespace std {
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) { capos::panic("std: out of range"); }
[[noreturn]] void __throw_length_error(const char*) { capos::panic("std: length error"); }
[[noreturn]] void __throw_bad_alloc() { capos::panic("std: bad alloc"); }
[[noreturn]] void __throw_bad_optional_access() { capos::panic("std: bad optional access"); }
}  // namespace std

namespace std {
const nothrow_t nothrow{};
}  // namespace std

void* operator new(size_t size, const std::nothrow_t&) noexcept { return capos::kheap_alloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return capos::kheap_alloc(size); }
void operator delete(void* p) noexcept { capos::kheap_free(p); }
void operator delete[](void* p) noexcept { capos::kheap_free(p); }
void operator delete(void* p, size_t) noexcept { capos::kheap_free(p); }
void operator delete[](void* p, size_t) noexcept { capos::kheap_free(p); }

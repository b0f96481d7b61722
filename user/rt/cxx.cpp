// What C++ code needs from a runtime when there are no exceptions, no RTTI
// and no hosted library: allocation operators, the pure-virtual trap, the
// DSO handle, atexit, abort and the std::__throw_* helpers libstdc++ headers
// call out of line. Each failure path ends the process with its own code
// (rt.hpp).
//
// Only the nothrow forms of operator new exist: allocation failure is a
// value (nullptr), so `new T` without std::nothrow does not link.
#include <cstddef>
#include <new>

#include "user/rt/heap.hpp"
#include "user/rt/rt.hpp"

extern "C" {

void __cxa_pure_virtual() { capos::rt::panic("pure virtual call", capos::rt::kExitPureVirtual); }

// One image, no shared objects.
void* __dso_handle = nullptr;

// Static destructors never run: exit tears the whole process down. The
// compiler registers function-local statics with atexit
// (-fno-use-cxa-atexit), global ones through .fini_array (discarded).
int atexit(void (*)()) { return 0; }
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }

[[noreturn]] void abort() { capos::rt::panic("abort", capos::rt::kExitStdThrow); }

}  // extern "C"

namespace std {
// Declared by <new>; normally defined in libsupc++.
const nothrow_t nothrow{};

[[noreturn]] void __throw_bad_alloc() { capos::rt::panic("std: bad_alloc", capos::rt::kExitStdThrow); }
[[noreturn]] void __throw_bad_array_new_length() {
    capos::rt::panic("std: bad_array_new_length", capos::rt::kExitStdThrow);
}
[[noreturn]] void __throw_length_error(const char*) {
    capos::rt::panic("std: length_error", capos::rt::kExitStdThrow);
}
[[noreturn]] void __throw_out_of_range(const char*) {
    capos::rt::panic("std: out_of_range", capos::rt::kExitStdThrow);
}
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) {
    capos::rt::panic("std: out_of_range", capos::rt::kExitStdThrow);
}
[[noreturn]] void __throw_logic_error(const char*) {
    capos::rt::panic("std: logic_error", capos::rt::kExitStdThrow);
}
[[noreturn]] void __throw_invalid_argument(const char*) {
    capos::rt::panic("std: invalid_argument", capos::rt::kExitStdThrow);
}
[[noreturn]] void __throw_bad_function_call() {
    capos::rt::panic("std: bad_function_call", capos::rt::kExitStdThrow);
}
}  // namespace std

void* operator new(size_t size, const std::nothrow_t&) noexcept { return capos::rt::alloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
    return capos::rt::alloc(size);
}
void operator delete(void* p) noexcept { capos::rt::free(p); }
void operator delete[](void* p) noexcept { capos::rt::free(p); }
void operator delete(void* p, size_t) noexcept { capos::rt::free(p); }
void operator delete[](void* p, size_t) noexcept { capos::rt::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { capos::rt::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { capos::rt::free(p); }

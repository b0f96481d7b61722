// Shared pieces of the bounded model checks (tests/model): violation
// reporting, a 128-bit state fingerprint, a counted reference type and a
// stopwatch. Hosted C++: the checks run on the build machine only.
#pragma once

#include <chrono>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <type_traits>
#include <utility>

#include "lib/base/error.hpp"

namespace capos::model {

// Called before a violation report exits, to print the path that led to it
// (the operation sequence or the schedule). Set by each checker.
inline std::function<void()>& violation_context() {
    static std::function<void()> f;
    return f;
}

// Every failed check prints one line that starts with "MODEL VIOLATION
// [tag]" (the planted-bug tests match on it), then the context, and exits
// with status 1.
[[noreturn]] __attribute__((format(printf, 2, 3))) inline void violation(const char* tag,
                                                                          const char* fmt, ...) {
    std::fflush(stdout);
    std::fprintf(stderr, "MODEL VIOLATION [%s]: ", tag);
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    if (violation_context()) violation_context()();
    std::printf("MODEL VIOLATION [%s]\n", tag);
    std::fflush(stdout);
    std::fflush(stderr);
    std::exit(1);
}

inline const char* err(Error e) { return error_name(e); }

// 128-bit fingerprint of a byte stream: two independent 64-bit lanes. A
// state is a revisit when its fingerprint was seen before; with n states
// the chance that two distinct states collide is about n^2 / 2^129
// (below 1e-26 for the state counts these checks reach).
class Fingerprint {
public:
    void add(const void* data, size_t len) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (size_t i = 0; i < len; ++i) {
            a_ = (a_ ^ p[i]) * 0x0000'0100'0000'01B3ull;  // FNV-1a 64
            b_ = mix(b_ + p[i] + 0x9E37'79B9'7F4A'7C15ull);
        }
    }
    template <typename T>
    void add_value(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        unsigned char bytes[sizeof(T)];
        std::memcpy(bytes, &v, sizeof(T));
        add(bytes, sizeof(T));
    }
    std::pair<uint64_t, uint64_t> value() const { return {a_, mix(b_ ^ a_)}; }

private:
    static uint64_t mix(uint64_t z) {  // splitmix64 finaliser
        z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EBull;
        return z ^ (z >> 31);
    }
    uint64_t a_ = 0xCBF2'9CE4'8422'2325ull;
    uint64_t b_ = 0x6A09'E667'F3BC'C908ull;
};

struct FingerprintHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& v) const {
        return static_cast<size_t>(v.first ^ (v.second * 0x9E37'79B9'7F4A'7C15ull));
    }
};

// An object with a reference count, standing in for a kernel object.
struct Counted {
    int refs = 0;
};

// A counting reference, one pointer wide (so a cap::Slot of it has no
// padding and can be compared byte for byte). Every copy, move and drop the
// code under test makes shows in the target's count.
class CountedRef {
public:
    CountedRef() = default;
    explicit CountedRef(Counted* p) : p_(p) {
        if (p_) ++p_->refs;
    }
    CountedRef(const CountedRef& o) : p_(o.p_) {
        if (p_) ++p_->refs;
    }
    CountedRef(CountedRef&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
    CountedRef& operator=(const CountedRef& o) {
        CountedRef tmp(o);
        std::swap(p_, tmp.p_);
        return *this;
    }
    CountedRef& operator=(CountedRef&& o) noexcept {
        CountedRef tmp(std::move(o));
        std::swap(p_, tmp.p_);
        return *this;
    }
    ~CountedRef() {
        if (p_) --p_->refs;
    }
    Counted* get() const { return p_; }

private:
    Counted* p_ = nullptr;
};

class Stopwatch {
public:
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace capos::model

#define MODEL_REQUIRE(cond, tag, ...)                                   \
    do {                                                                \
        if (!(cond)) ::capos::model::violation(tag, __VA_ARGS__);       \
    } while (0)

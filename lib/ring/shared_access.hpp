// Every access to ring memory shared with another party goes through an
// Access policy, so a model checker (tests/model) can substitute its own
// and interleave or corrupt each load and store.
//
// A policy provides, for naturally aligned words in shared memory:
//   static uint32_t load_acquire(const uint32_t*);   indices written by the peer
//   static void     store_release(uint32_t*, uint32_t); indices we publish
//   static uint64_t load_relaxed(const uint64_t*);   entry words
//   static void     store_relaxed(uint64_t*, uint64_t);
//
// SharedAccess is the production policy: compiler atomics, which on x86_64
// are plain MOVs plus compiler barriers (acquire/release need no fence).
#pragma once

#include <cstddef>
#include <cstdint>

namespace capos::ring {

// Entries are moved as 64-bit words through a may_alias type: the ring is
// raw shared memory, never accessed as Sqe/Cqe objects in place.
using SharedWord = uint64_t __attribute__((may_alias));

struct SharedAccess {
    static uint32_t load_acquire(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
    static void store_release(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
    static uint64_t load_relaxed(const SharedWord* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
    static void store_relaxed(SharedWord* p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
};

// Copies one entry of `Bytes` bytes out of shared memory, each word read
// exactly once, straight into `dst` (written through the may_alias word
// type; fully unrolled: an SQE is 8 loads and 8 stores, no loop, no bounce
// buffer, on the path every SQE and CQE takes). Precondition: both 8-byte
// aligned.
template <typename Access, size_t Bytes>
void copy_from_shared(void* dst, const void* shared) {
    static_assert(Bytes % 8 == 0);
    const SharedWord* src = static_cast<const SharedWord*>(shared);
    SharedWord* out = static_cast<SharedWord*>(dst);
#pragma GCC unroll 16
    for (size_t i = 0; i < Bytes / 8; ++i) out[i] = Access::load_relaxed(src + i);
}

// Copies one entry of `Bytes` bytes into shared memory, word by word
// (unrolled likewise).
template <typename Access, size_t Bytes>
void copy_to_shared(void* shared, const void* src) {
    static_assert(Bytes % 8 == 0);
    const SharedWord* in = static_cast<const SharedWord*>(src);
    SharedWord* dst = static_cast<SharedWord*>(shared);
#pragma GCC unroll 16
    for (size_t i = 0; i < Bytes / 8; ++i) Access::store_relaxed(dst + i, in[i]);
}

}  // namespace capos::ring

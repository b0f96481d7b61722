// The runtime's heap: lib/mm's size-class Heap over pages of one fixed
// arena in .bss (ArenaPageSource, user/rt/arena.hpp). There is no
// VirtualMemory capability yet, so the arena is all the heap a process has.
//
// The arena is kDefaultHeapBytes (256 KiB) unless the program chooses
// another size, in exactly one of its source files, with
//
//     CAPOS_RT_HEAP_BYTES(64 * 1024);
//
// The arena is .bss: the kernel maps and zeroes all of it at spawn, so a
// program that starts often or needs little heap should make it small.
//
// Not thread-safe (capOS user programs are single-threaded for now).
#pragma once

#include <cstddef>
#include <cstdint>

namespace capos::rt {

inline constexpr size_t kHeapPageBytes = 4096;
inline constexpr size_t kDefaultHeapBytes = 256 * 1024;
// The arena is part of the RW segment, which lib/elf limits to 1 GiB.
inline constexpr size_t kMaxHeapBytes = size_t{512} << 20;
// 64-bit words of the arena's page bitmap.
constexpr size_t heap_bitmap_words(size_t bytes) { return (bytes / kHeapPageBytes + 63) / 64; }

// A 16-byte-aligned block of at least `size` bytes, or nullptr when the
// arena is exhausted (never a crash). size 0 yields a valid minimal block.
void* alloc(size_t size);
// Returns a block from alloc() to the heap; nullptr is ignored. Anything
// else (a foreign pointer, a double free) ends the process with
// kExitHeapCorrupt (rt.hpp).
void free(void* p);

struct HeapStats {
    size_t live_bytes;        // bytes in live blocks (slab class sizes)
    size_t live_allocations;  // live blocks
    size_t pages_held;        // arena pages the heap holds
    size_t arena_pages;       // arena size in pages
};
HeapStats heap_stats();

// Called once by capos_rt_start before any constructor runs.
void heap_init();

}  // namespace capos::rt

// The arena and its page bitmap (both .bss). Defined by the runtime
// (heap_arena.cpp, kDefaultHeapBytes) unless a program defines all three
// symbols with CAPOS_RT_HEAP_BYTES; then the runtime's definitions are never
// pulled from the archive.
extern "C" {
extern unsigned char capos_rt_heap_arena[];
extern const size_t capos_rt_heap_arena_bytes;
extern uint64_t capos_rt_heap_bitmap[];
}

// Use at namespace scope in one source file of a program.
#define CAPOS_RT_HEAP_BYTES(bytes)                                                   \
    static_assert((bytes) > 0 && (bytes) % ::capos::rt::kHeapPageBytes == 0 &&        \
                      (bytes) <= ::capos::rt::kMaxHeapBytes,                          \
                  "CAPOS_RT_HEAP_BYTES: whole pages, at most rt::kMaxHeapBytes");    \
    extern "C" {                                                                     \
    alignas(::capos::rt::kHeapPageBytes) unsigned char capos_rt_heap_arena[(bytes)]; \
    const size_t capos_rt_heap_arena_bytes = (bytes);                                \
    uint64_t capos_rt_heap_bitmap[::capos::rt::heap_bitmap_words(bytes)];             \
    }                                                                                \
    static_assert(true, "")

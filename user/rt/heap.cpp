#include "user/rt/heap.hpp"

#include "lib/mm/heap.hpp"
#include "user/rt/arena.hpp"
#include "user/rt/rt.hpp"

namespace capos::rt {

namespace {
// Constant-initialised: usable before (and by) global constructors.
constinit ArenaPageSource g_source;
constinit mm::Heap g_heap;
}  // namespace

void heap_init() {
    if (!g_source.init(capos_rt_heap_arena, capos_rt_heap_arena_bytes / kHeapPageBytes,
                       capos_rt_heap_bitmap))
        panic("heap: bad arena", kExitHeapCorrupt);
    g_heap.init(&g_source);
}

void* alloc(size_t size) { return g_heap.alloc(size); }

void free(void* p) {
    if (p == nullptr) return;
    // Heap::free reads the block's page header: never let it near memory
    // outside the arena.
    if (!g_source.contains(p) || !g_heap.free(p)) panic("heap: bad free", kExitHeapCorrupt);
}

HeapStats heap_stats() {
    return HeapStats{g_heap.live_bytes(), g_heap.live_allocations(), g_heap.pages_held(),
                     g_source.pages()};
}

}  // namespace capos::rt

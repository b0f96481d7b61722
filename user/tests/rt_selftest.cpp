// rt_selftest: the entry ABI and the runtime, checked from inside a process.
//
// Exit code 0 when every check held, else the number of the first failure:
//   entry (what _start recorded, rt::entry_snapshot, abi/layout.hpp)
//    1 RSP != kInitialStackPointer     2 [RSP] != 0
//    3 RFLAGS: IF clear or DF set      4 a general register was not 0
//    5 MXCSR != 0x1F80                 6 FCW != 0x037F
//    7 RDI != kRingAddress             8 pid == 0
//    9 RDX neither 0 nor kCapSetAddress
//   loading
//   10 .data initialiser lost          11 .bss not zero
//   12 .rodata string wrong
//   runtime
//   13 a global constructor did not run (or ran twice)
//   14 the heap was not empty at capos_main
//   15 a small allocation failed or is misaligned
//   16 a large (multi-page) allocation failed or is misaligned
//   17 heap statistics wrong after freeing everything
//   18 an allocation larger than the arena did not fail cleanly
//   19 filling the arena with blocks went wrong
//   20 new(nothrow) / virtual dispatch / delete went wrong
//   21 memcpy / memmove / memset / memcmp / strlen gave a wrong answer
//   22 SSE arithmetic wrong (MXCSR or the SSE state)
//   what the kernel wrote at spawn (last, so every check above has run)
//   23 no valid ring header at the ring address (magic or version)
//   24 a CapSet was passed but its header is wrong
#include <cstddef>
#include <cstdint>
#include <new>

#include "abi/capset.hpp"
#include "abi/layout.hpp"
#include "abi/ring.hpp"
#include "user/rt/rt.hpp"

extern "C" {
void* memcpy(void*, const void*, size_t);
void* memmove(void*, const void*, size_t);
void* memset(void*, int, size_t);
int memcmp(const void*, const void*, size_t);
size_t strlen(const char*);
}

namespace {
namespace abi = capos::abi;
namespace rt = capos::rt;

volatile uint64_t g_data = 0x0123'4567'89ab'cdef;
volatile uint64_t g_bss[64];
const char kRodata[] = "capOS rodata";

volatile int g_ctor_seed = 7;
struct Constructed {
    int value;
    int runs = 0;
    Constructed() : value(g_ctor_seed) { ++runs; }
};
Constructed g_constructed;

struct Base {
    virtual ~Base() = default;
    virtual int id() const = 0;
};
struct Derived final : Base {
    int id() const override { return 31; }
};

// Called through volatile pointers: the compiler must use the runtime's
// symbols, not its builtins.
void* (*volatile p_memcpy)(void*, const void*, size_t) = memcpy;
void* (*volatile p_memmove)(void*, const void*, size_t) = memmove;
void* (*volatile p_memset)(void*, int, size_t) = memset;
int (*volatile p_memcmp)(const void*, const void*, size_t) = memcmp;
size_t (*volatile p_strlen)(const char*) = strlen;

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

bool heap_empty() {
    rt::HeapStats s = rt::heap_stats();
    return s.live_allocations == 0 && s.live_bytes == 0 && s.pages_held == 0;
}

bool mem_functions_ok() {
    unsigned char a[64];
    unsigned char b[64];
    for (int i = 0; i < 64; ++i) a[i] = static_cast<unsigned char>(i);
    if (p_memcpy(b, a, 64) != b || p_memcmp(a, b, 64) != 0) return false;
    b[40] = 200;
    if (p_memcmp(a, b, 64) >= 0 || p_memcmp(b, a, 64) <= 0 || p_memcmp(a, b, 40) != 0)
        return false;
    // Overlap, destination above the source: must copy backwards.
    p_memmove(a + 8, a, 32);
    for (int i = 0; i < 32; ++i)
        if (a[8 + i] != i) return false;
    // Overlap, destination below the source.
    for (int i = 0; i < 64; ++i) a[i] = static_cast<unsigned char>(i);
    p_memmove(a, a + 8, 32);
    for (int i = 0; i < 32; ++i)
        if (a[i] != i + 8) return false;
    for (int i = 0; i < 64; ++i) a[i] = static_cast<unsigned char>(i);
    if (p_memset(a, 0xee, 17) != a || a[0] != 0xee || a[16] != 0xee || a[17] != 17) return false;
    if (p_strlen("") != 0 || p_strlen(kRodata) != sizeof(kRodata) - 1) return false;
    return true;
}

}  // namespace

int capos_main(const rt::StartInfo& info) {
    const rt::EntrySnapshot& e = rt::entry_snapshot();
    if (e.rsp != abi::kInitialStackPointer) return 1;
    if (e.return_slot != 0) return 2;
    if ((e.rflags & (1u << 9)) == 0 || (e.rflags & (1u << 10)) != 0) return 3;
    if (e.other_gprs != 0) return 4;
    if (e.mxcsr != 0x1f80) return 5;
    if (e.fcw != 0x037f) return 6;
    if (info.ring_address != abi::kRingAddress) return 7;
    if (info.pid == 0) return 8;
    if (info.capset_address != 0 && info.capset_address != abi::kCapSetAddress) return 9;

    if (g_data != 0x0123'4567'89ab'cdef) return 10;
    for (auto& w : g_bss)
        if (w != 0) return 11;
    const volatile char* ro = kRodata;
    if (ro[0] != 'c' || ro[6] != 'r' || ro[sizeof(kRodata) - 1] != '\0') return 12;

    if (g_constructed.value != 7 || g_constructed.runs != 1) return 13;

    if (!heap_empty() || rt::heap_stats().arena_pages != rt::kDefaultHeapBytes / 4096) return 14;
    auto* small = static_cast<unsigned char*>(rt::alloc(100));
    if (small == nullptr || !aligned16(small)) return 15;
    p_memset(small, 0x5a, 100);
    auto* large = static_cast<unsigned char*>(rt::alloc(3 * 4096 + 1));
    if (large == nullptr || !aligned16(large)) return 16;
    p_memset(large, 0xa5, 3 * 4096 + 1);
    if (small[99] != 0x5a || rt::heap_stats().live_allocations != 2) return 16;
    rt::free(large);
    rt::free(small);
    rt::free(nullptr);
    if (!heap_empty()) return 17;

    if (rt::alloc(rt::kDefaultHeapBytes) != nullptr || !heap_empty()) return 18;

    // 2 KiB blocks: one per page (after the page header), so the arena
    // holds exactly arena_pages of them.
    static void* blocks[rt::kDefaultHeapBytes / 4096 + 1];
    size_t n = 0;
    while (n < sizeof(blocks) / sizeof(blocks[0])) {
        void* b = rt::alloc(2048);
        if (b == nullptr) break;
        blocks[n++] = b;
    }
    if (n != rt::kDefaultHeapBytes / 4096) return 19;
    for (size_t i = 0; i < n; ++i) rt::free(blocks[n - 1 - i]);
    if (!heap_empty()) return 19;

    Base* obj = new (std::nothrow) Derived;
    if (obj == nullptr || obj->id() != 31) return 20;
    delete obj;
    if (!heap_empty()) return 20;

    if (!mem_functions_ok()) return 21;

    volatile double x = 1.5;
    volatile double y = 2.0;
    if (x * y != 3.0 || x / y != 0.75) return 22;

    auto* ring = static_cast<const volatile abi::RingHeader*>(info.ring());
    if (ring->magic != abi::kRingMagic || ring->version != abi::kRingVersion) return 23;
    if (const auto* cs = info.capset()) {
        if (cs->magic != abi::kCapSetMagic || cs->version != abi::kCapSetVersion ||
            cs->entry_bytes != sizeof(abi::CapSetEntry) || cs->count > abi::kCapSetMaxEntries)
            return 24;
    }

    return 0;
}

#include "kernel/selftest.hpp"

#include "kernel/arch/x86_64/cpu.hpp"
#include "kernel/log.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/user_memory.hpp"
#include "kernel/mm/memory.hpp"
#include "kernel/panic.hpp"

namespace capos {

namespace {

// Allocate every free frame, then free them all: the free count must come
// back to its start value, no frame may be handed out twice, and a double
// free must be refused.
void test_frames() {
    auto& fa = frames();
    uint64_t start_free = fa.free_frames();
    log::info("test frames: free before {}", start_free);
    // Chain the allocated frames through their own first word (direct map).
    uint64_t head = 0;
    uint64_t count = 0;
    for (;;) {
        auto r = fa.alloc();
        if (!r.ok()) break;
        uint64_t phys = r.value();
        if (phys == 0) panic("test frames: frame 0 handed out");
        *static_cast<uint64_t*>(phys_to_virt(phys)) = head;
        head = phys;
        ++count;
    }
    log::info("test frames: allocated {} frames, free now {}", count, fa.free_frames());
    if (count != start_free) panic("test frames: allocated {} of {} free frames", count, start_free);
    uint64_t freed = 0;
    uint64_t last = 0;
    while (head) {
        uint64_t next = *static_cast<uint64_t*>(phys_to_virt(head));
        auto r = fa.free(head);
        if (!r.ok()) panic("test frames: free failed: {}", r.error());
        last = head;
        head = next;
        ++freed;
    }
    auto dbl = fa.free(last);
    if (dbl.ok() || dbl.error() != Error::DoubleFree) panic("test frames: double free not refused");
    log::info("test frames: double free refused: {}", dbl.error());
    log::info("test frames: freed {} frames", freed);
    log::info("test frames: free after {}", fa.free_frames());
}

// Allocate 64 KiB blocks until the heap says no; it must return null, not
// crash, and give everything back.
void test_heap() {
    auto& h = kheap();
    log::info("test heap: before live bytes {} allocations {} free frames {}", h.live_bytes(),
              h.live_allocations(), frames().free_frames());
    struct Node {
        Node* next;
    };
    Node* head = nullptr;
    uint64_t n = 0;
    for (;;) {
        void* p = kheap_alloc(64 * 1024);
        if (!p) break;
        auto* node = static_cast<Node*>(p);
        node->next = head;
        head = node;
        ++n;
    }
    log::info("test heap: exhausted after {} allocations of 64 KiB: null returned", n);
    // Small allocations still fail gracefully, or succeed from leftovers.
    void* small = kheap_alloc(32);
    log::info("test heap: small allocation at exhaustion {}", small ? "succeeded" : "returned null");
    kheap_free(small);
    while (head) {
        Node* next = head->next;
        kheap_free(head);
        head = next;
    }
    // Mixed sizes, freed in a different order.
    void* blocks[64];
    for (size_t i = 0; i < 64; ++i) {
        blocks[i] = kheap_alloc((i * 37) % 5000 + 1);
        if (!blocks[i]) panic("test heap: allocation failed with memory free");
    }
    for (size_t i = 0; i < 64; i += 2) kheap_free(blocks[i]);
    for (size_t i = 1; i < 64; i += 2) kheap_free(blocks[i]);
    log::info("test heap: after live bytes {} allocations {} free frames {}", h.live_bytes(),
              h.live_allocations(), frames().free_frames());
    log::info("test heap: the kernel carries on");
}

[[gnu::noinline]] void test_page_fault() {
    log::info("test pagefault: reading unmapped address 0xdead0000000");
    volatile uint64_t* p = reinterpret_cast<volatile uint64_t*>(0xdead0000000ull);
    (void)*p;
    panic("test pagefault: the read did not fault");
}

[[gnu::noinline]] void test_gpf() {
    log::info("test gpf: reading non-canonical address 0x8000000000000000");
    volatile uint64_t* p = reinterpret_cast<volatile uint64_t*>(0x8000000000000000ull);
    (void)*p;
    panic("test gpf: the read did not fault");
}

// The user-copy helpers against every kind of bad pointer, inside a real
// process address space: errors, never a panic; counters back at the end.
void test_usercopy() {
    uint64_t free_before = frames().free_frames();
    auto as = AddressSpace::create();
    if (!as.ok()) panic("test usercopy: no address space");
    constexpr uint64_t kRw = 0x400000, kRo = 0x401000, kUnmapped = 0x500000;
    if (!as.value()->map_anonymous(kRw, 1, {.writable = true}).ok() ||
        !as.value()->map_anonymous(kRo, 1, {}).ok())
        panic("test usercopy: mapping failed");
    arch::write_cr3(as.value()->cr3());

    const char msg[] = "capability";
    char back[sizeof(msg)] = {};
    char scratch[16];  // failing copies may write part of the destination
    struct Case {
        const char* what;
        Result<void> got;
        bool ok;
        Error want;
    };
    Case cases[] = {
        {"copy_to_user rw page", copy_to_user({kRw + 100}, msg, sizeof(msg)), true, Error::OutOfRange},
        {"copy_from_user rw page", copy_from_user(back, {kRw + 100}, sizeof(msg)), true, Error::OutOfRange},
        {"copy_to_user read-only page", copy_to_user({kRo}, msg, sizeof(msg)), false, Error::NotFound},
        {"copy_from_user unmapped", copy_from_user(scratch, {kUnmapped}, 8), false, Error::NotFound},
        {"copy across into unmapped", copy_from_user(scratch, {kRo + 4092}, 8), false, Error::NotFound},
        {"copy_from_user kernel half", copy_from_user(scratch, {0xffff800000000000}, 8), false, Error::OutOfRange},
        {"copy_from_user non-canonical", copy_from_user(scratch, {0x0000800000000000}, 8), false, Error::OutOfRange},
        {"copy_to_user wrapping length", copy_to_user({kRw}, msg, SIZE_MAX), false, Error::OutOfRange},
        {"copy_from_user null page", copy_from_user(scratch, {0}, 8), false, Error::OutOfRange},
    };
    bool all = true;
    for (auto& c : cases) {
        bool pass = c.ok ? c.got.ok() : (!c.got.ok() && c.got.error() == c.want);
        all = all && pass;
        log::info("test usercopy: {}: {} ({})", c.what, pass ? "as expected" : "WRONG",
                  c.got.ok() ? "ok" : error_name(c.got.error()));
    }
    for (size_t i = 0; i < sizeof(msg); ++i)
        if (back[i] != msg[i]) all = false;
    arch::write_cr3(kernel_page_table().root());
    delete as.value();
    log::info("test usercopy: frames free before {} after {}", free_before, frames().free_frames());
    if (!all) panic("test usercopy: a helper misbehaved");
    log::info("test usercopy: all cases as expected");
}

// With SMAP on, the kernel touching user memory outside the helpers faults.
void test_smap() {
    log::info("test smap: SMEP {}, SMAP {}", smep_enabled() ? "on" : "off", smap_enabled() ? "on" : "off");
    auto as = AddressSpace::create();
    if (!as.ok() || !as.value()->map_anonymous(0x400000, 1, {.writable = true}).ok())
        panic("test smap: no address space");
    arch::write_cr3(as.value()->cr3());
    log::info("test smap: reading user address 0x400000 directly from the kernel");
    volatile uint64_t* p = reinterpret_cast<volatile uint64_t*>(0x400000);
    (void)*p;
    arch::write_cr3(kernel_page_table().root());
    delete as.value();
    log::info("test smap: the read did not fault (SMAP is off)");
}

// In the UBSan build (capos-ubsan.elf, CAPOS_UBSAN) a signed overflow must
// trap: ud2, #UD in ring 0, the exception handler's panic. Elsewhere the
// overflow is not attempted.
[[gnu::noinline]] void test_ubsan() {
#if defined(CAPOS_UBSAN)
    volatile int64_t big = INT64_MAX;
    log::info("test ubsan: adding 1 to INT64_MAX (signed overflow)");
    int64_t sum = big + 1;
    panic("test ubsan: the overflow did not trap (sum {})", sum);
#else
    log::info("test ubsan: not the UBSan build, nothing to trap");
#endif
}

}  // namespace

void run_selftests(const BootOptions& options) {
    for (size_t i = 0; i < options.test_count; ++i) {
        switch (options.tests[i]) {
        case KernelTest::Frames: test_frames(); break;
        case KernelTest::Heap: test_heap(); break;
        case KernelTest::PageFault: test_page_fault(); break;
        case KernelTest::GeneralProtection: test_gpf(); break;
        case KernelTest::UserCopy: test_usercopy(); break;
        case KernelTest::Smap: test_smap(); break;
        case KernelTest::Ubsan: test_ubsan(); break;
        }
    }
}

}  // namespace capos

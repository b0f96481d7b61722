#include "kernel/mm/address_space.hpp"

#include <new>

#include "kernel/arch/x86_64/cpu.hpp"
#include "kernel/log.hpp"
#include "kernel/mm/memory.hpp"
#include "kernel/panic.hpp"
#include "kernel/stats.hpp"
#include "lib/base/checked.hpp"

extern "C" char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern "C" char __data_start[], __data_end[];

namespace capos {

namespace {

class KernelTableMemory final : public paging::PhysicalMemory {
public:
    Result<paging::PhysAddr> allocate_table() override {
        uint64_t f = TRY(frames().alloc());
        __builtin_memset(phys_to_virt(f), 0, paging::kPageSize);
        return f;
    }
    void free_table(paging::PhysAddr frame) override {
        if (!frames().free(frame).ok()) panic("page tables: freeing a frame that is not allocated");
    }
    uint64_t* table(paging::PhysAddr frame) override { return static_cast<uint64_t*>(phys_to_virt(frame)); }
};

constinit KernelTableMemory g_table_memory;
alignas(paging::PageTable) unsigned char g_kernel_table_storage[sizeof(paging::PageTable)];
paging::PageTable* g_kernel_table = nullptr;
bool g_smap = false;
bool g_smep = false;

void map_or_panic(uint64_t va, uint64_t pa, paging::PageSize size, paging::Attributes a) {
    auto r = g_kernel_table->map(va, pa, size, a);
    if (!r.ok()) panic("kernel address space: mapping {:#x} failed: {}", va, r.error());
}

void map_section(const char* start, const char* end, paging::Attributes a) {
    uint64_t s = reinterpret_cast<uint64_t>(start);
    uint64_t e = align_up(reinterpret_cast<uint64_t>(end), paging::kPageSize);
    for (uint64_t va = s; va < e; va += paging::kPageSize)
        map_or_panic(va, va - KERNEL_VMA, paging::PageSize::Size4K, a);
}

}  // namespace

paging::PhysicalMemory& table_memory() { return g_table_memory; }
paging::PageTable& kernel_page_table() { return *g_kernel_table; }
bool smap_enabled() { return g_smap; }
bool smep_enabled() { return g_smep; }

void address_space_init() {
    auto t = paging::PageTable::create(g_table_memory);
    if (!t.ok()) panic("kernel address space: no frame for the root table");
    g_kernel_table = new (g_kernel_table_storage) paging::PageTable(t.release_value());

    map_section(__text_start, __text_end, {.writable = false, .executable = true, .global = true});
    map_section(__rodata_start, __rodata_end, {.global = true});
    map_section(__data_start, __data_end, {.writable = true, .global = true});

    // Direct map of all physical memory the frame allocator manages, in 2 MiB pages.
    uint64_t top = align_up(frames().frame_limit() * mm::kFrameSize, uint64_t{1} << 21);
    if (top < (uint64_t{1} << 32)) top = uint64_t{1} << 32;  // low MMIO too (APIC, ...)
    for (uint64_t pa = 0; pa < top; pa += uint64_t{1} << 21)
        map_or_panic(kDirectMapBase + pa, pa, paging::PageSize::Size2M, {.writable = true, .global = true});

    auto pop = g_kernel_table->populate_kernel_half();
    if (!pop.ok()) panic("kernel address space: cannot populate the kernel half");

    uint32_t a, b, c, d;
    arch::cpuid(0, 0, &a, &b, &c, &d);
    uint32_t max_leaf = a;
    uint32_t leaf7_ebx = 0;
    if (max_leaf >= 7) {
        arch::cpuid(7, 0, &a, &b, &c, &d);
        leaf7_ebx = b;
    }
    uint64_t cr4 = arch::read_cr4();
    cr4 |= uint64_t{1} << 7;  // PGE: global pages
    if (leaf7_ebx & (1u << 7)) {
        cr4 |= uint64_t{1} << 20;  // SMEP
        g_smep = true;
    }
    if (leaf7_ebx & (1u << 20)) {
        cr4 |= uint64_t{1} << 21;  // SMAP
        g_smap = true;
    }
    arch::write_cr3(g_kernel_table->root());
    arch::write_cr4(cr4);
    log::info("paging: kernel address space active (text RX, rodata R, data RW NX, direct map {} MiB); "
              "SMEP {}, SMAP {}",
              top >> 20, g_smep ? "on" : "off", g_smap ? "on" : "off");
}

namespace {
constexpr uint64_t kSlotBytes = (kKernelStackPages + 1) * paging::kPageSize;
constinit uint64_t g_stack_slot_used[kKernelStackSlots / 64] = {};

void invlpg(uint64_t va) { asm volatile("invlpg (%0)" ::"r"(va) : "memory"); }

void unmap_stack_pages(uint64_t base, uint64_t pages) {
    for (uint64_t i = 0; i < pages; ++i) {
        uint64_t va = base + i * paging::kPageSize;
        auto m = g_kernel_table->unmap(va);
        if (m.ok()) {
            invlpg(va);
            (void)frames().free(m.value().pa);
        }
    }
}
}  // namespace

Result<uint64_t> alloc_kernel_stack() {
    uint64_t slot = kKernelStackSlots;
    for (uint64_t i = 0; i < kKernelStackSlots; ++i) {
        if (!(g_stack_slot_used[i / 64] & (uint64_t{1} << (i % 64)))) {
            slot = i;
            break;
        }
    }
    if (slot == kKernelStackSlots) return Error::LimitExceeded;
    uint64_t base = kKernelStackArea + slot * kSlotBytes + paging::kPageSize;  // guard below
    for (uint64_t i = 0; i < kKernelStackPages; ++i) {
        auto f = frames().alloc();
        auto r = f.ok() ? g_kernel_table->map(base + i * paging::kPageSize, f.value(), paging::PageSize::Size4K,
                                              {.writable = true, .global = true})
                        : Result<paging::Flush>(f.error());
        if (!r.ok()) {
            if (f.ok()) (void)frames().free(f.value());
            unmap_stack_pages(base, i);
            return r.error();
        }
    }
    g_stack_slot_used[slot / 64] |= uint64_t{1} << (slot % 64);
    return base + kKernelStackPages * paging::kPageSize;
}

void free_kernel_stack(uint64_t top) {
    uint64_t base = top - kKernelStackPages * paging::kPageSize;
    uint64_t slot = (base - paging::kPageSize - kKernelStackArea) / kSlotBytes;
    if (slot >= kKernelStackSlots) panic("free_kernel_stack: not a kernel stack");
    unmap_stack_pages(base, kKernelStackPages);
    g_stack_slot_used[slot / 64] &= ~(uint64_t{1} << (slot % 64));
}

Result<AddressSpace*> AddressSpace::create() {
    auto t = TRY(paging::PageTable::create(g_table_memory));
    auto shared = t.share_kernel_half(*g_kernel_table);
    auto* as = new (std::nothrow) AddressSpace(static_cast<paging::PageTable&&>(t));
    if (!as || !shared.ok()) {
        if (as) {
            delete as;
        } else {
            t.destroy([](const paging::Mapping&) {});
        }
        return shared.ok() ? Error::OutOfMemory : shared.error();
    }
    return as;
}

AddressSpace::~AddressSpace() {
    if (table_.root() == 0) return;
    table_.destroy([](const paging::Mapping& m) {
        if (!frames().free(m.pa).ok()) panic("address space: user frame {:#x} was not allocated", m.pa);
    });
}

Result<void> AddressSpace::map_anonymous(uint64_t va, uint64_t pages, paging::Attributes attrs) {
    attrs.user = true;
    for (uint64_t i = 0; i < pages; ++i) {
        auto f = frames().alloc();
        auto r = f.ok() ? table_.map(va + i * paging::kPageSize, f.value(), paging::PageSize::Size4K, attrs)
                        : Result<paging::Flush>(f.error());
        if (!r.ok()) {
            if (f.ok()) (void)frames().free(f.value());
            for (uint64_t j = 0; j < i; ++j) {
                auto m = table_.unmap(va + j * paging::kPageSize);
                if (m.ok()) (void)frames().free(m.value().pa);
            }
            return r.error();
        }
        __builtin_memset(phys_to_virt(f.value()), 0, paging::kPageSize);
    }
    return {};
}

Result<void> AddressSpace::map_frames(uint64_t va, uint64_t phys, uint64_t pages, paging::Attributes attrs) {
    attrs.user = true;
    for (uint64_t i = 0; i < pages; ++i) {
        auto r = table_.map(va + i * paging::kPageSize, phys + i * paging::kPageSize, paging::PageSize::Size4K, attrs);
        if (!r.ok()) {
            for (uint64_t j = 0; j < i; ++j) (void)table_.unmap(va + j * paging::kPageSize);
            return r.error();
        }
    }
    return {};
}

Result<void> AddressSpace::map_frame_list(uint64_t va, const uint64_t* frame_list, uint64_t pages,
                                          paging::Attributes attrs) {
    attrs.user = true;
    for (uint64_t i = 0; i < pages; ++i) {
        auto r = table_.map(va + i * paging::kPageSize, frame_list[i], paging::PageSize::Size4K, attrs);
        if (!r.ok()) {
            unmap_pages(va, i, false);
            return r.error();
        }
    }
    return {};
}

bool AddressSpace::live() const { return arch::read_cr3() == table_.root(); }

void AddressSpace::flush(uint64_t va) const {
    if (live()) invlpg(va);
}

uint64_t AddressSpace::unmap_pages(uint64_t va, uint64_t pages, bool free_frames) {
    uint64_t present = 0;
    for (uint64_t i = 0; i < pages; ++i) {
        uint64_t page = va + i * paging::kPageSize;
        auto m = table_.unmap(page);
        if (!m.ok()) continue;
        ++present;
        flush(page);
        if (free_frames && !frames().free(m.value().pa).ok())
            panic("address space: user frame {:#x} was not allocated", m.value().pa);
    }
    // Freed tables may sit in paging-structure caches: reload CR3 (the
    // kernel half is global and survives).
    if (pages > 0 && table_.prune(va, va + pages * paging::kPageSize - 1) > 0 && live()) {
        arch::write_cr3(table_.root());
        stats::count_cr3_write();
    }
    return present;
}

uint64_t AddressSpace::present_pages(uint64_t va, uint64_t pages) const {
    uint64_t present = 0;
    for (uint64_t i = 0; i < pages; ++i)
        if (table_.translate(va + i * paging::kPageSize).ok()) ++present;
    return present;
}

Result<void> AddressSpace::protect_pages(uint64_t va, uint64_t pages, paging::Attributes attrs) {
    if (present_pages(va, pages) != pages) return Error::NotFound;
    attrs.user = true;
    for (uint64_t i = 0; i < pages; ++i) {
        uint64_t page = va + i * paging::kPageSize;
        auto r = table_.protect(page, attrs);
        if (!r.ok()) panic("address space: protect of a present page failed: {}", r.error());
        flush(page);
    }
    return {};
}

bool AddressSpace::user_range_mapped(uint64_t va, uint64_t len, bool writable) const {
    if (len == 0) return true;
    uint64_t end;
    if (__builtin_add_overflow(va, len, &end)) return false;
    const uint64_t required = paging::pte::kUser | (writable ? paging::pte::kWritable : 0);
    for (uint64_t page = align_down(va, paging::kPageSize); page < end; page += paging::kPageSize)
        if (!table_.translate_leaf(page, required).ok()) return false;
    return true;
}

Result<void> AddressSpace::write_user(uint64_t va, const void* src, uint64_t len) {
    auto* from = static_cast<const uint8_t*>(src);
    while (len > 0) {
        auto t = table_.translate_leaf(va, paging::pte::kUser | paging::pte::kWritable);
        if (!t.ok()) return Error::NotFound;
        uint64_t chunk = paging::kPageSize - (va % paging::kPageSize);
        if (chunk > len) chunk = len;
        __builtin_memcpy(phys_to_virt(t.value()), from, chunk);
        va += chunk;
        from += chunk;
        len -= chunk;
    }
    return {};
}

Result<uint8_t*> AddressSpace::user_window(uint64_t va, uint64_t len, bool writable) const {
    if (len == 0 || len > paging::kPageSize - va % paging::kPageSize) return Error::NotFound;
    const uint64_t required = paging::pte::kUser | (writable ? paging::pte::kWritable : 0);
    paging::PhysAddr pa = TRY(table_.translate_leaf(va, required));
    return static_cast<uint8_t*>(phys_to_virt(pa));
}

Result<uint8_t*> AddressSpace::backing(uint64_t va) const {
    auto t = TRY(table_.translate(va));
    return static_cast<uint8_t*>(phys_to_virt(t.phys));
}

}  // namespace capos

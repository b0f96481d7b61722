#include "kernel/arch/x86_64/gdt.hpp"

#include <cstddef>

namespace capos::arch {

namespace {

struct [[gnu::packed]] Tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
static_assert(sizeof(Tss) == 104);
static_assert(offsetof(Tss, ist) == 36);

struct [[gnu::packed]] DescriptorPointer {
    uint16_t limit;
    uint64_t base;
};

constexpr size_t kIstStackSize = 16384;
alignas(16) constinit uint8_t g_ist_stacks[3][kIstStackSize];

alignas(16) constinit Tss g_tss{};
alignas(16) constinit uint64_t g_gdt[7] = {
    0,
    0x00af9a000000ffff,  // kernel code, 64-bit
    0x00cf92000000ffff,  // kernel data
    0x00cff2000000ffff,  // user data (DPL 3)
    0x00affa000000ffff,  // user code, 64-bit (DPL 3)
    0, 0,                // TSS, filled at init
};

}  // namespace

void gdt_init() {
    for (int i = 0; i < 3; ++i)
        g_tss.ist[i] = reinterpret_cast<uint64_t>(&g_ist_stacks[i][kIstStackSize]);
    g_tss.iomap_base = sizeof(Tss);

    uint64_t base = reinterpret_cast<uint64_t>(&g_tss);
    uint64_t limit = sizeof(Tss) - 1;
    g_gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (uint64_t{0x89} << 40) |
               (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    g_gdt[6] = base >> 32;

    DescriptorPointer ptr{sizeof(g_gdt) - 1, reinterpret_cast<uint64_t>(g_gdt)};
    asm volatile(
        "lgdt %0\n"
        "pushq %1\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"
        "1:\n"
        "mov %2, %%ds\n"
        "mov %2, %%es\n"
        "mov %2, %%ss\n"
        "ltr %3\n"
        :
        : "m"(ptr), "i"(kKernelCs), "r"(static_cast<uint32_t>(kKernelDs)), "r"(kTssSel)
        : "rax", "memory");
}

void tss_set_rsp0(uint64_t rsp0) { g_tss.rsp[0] = rsp0; }

}  // namespace capos::arch

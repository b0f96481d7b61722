#include "kernel/arch/x86_64/cpu_local.hpp"

#include "kernel/arch/x86_64/cpu.hpp"
#include "kernel/arch/x86_64/gdt.hpp"

namespace capos::arch {

namespace {
constinit CpuLocal g_cpu{};

constexpr uint32_t kMsrEfer = 0xC0000080;
constexpr uint32_t kMsrStar = 0xC0000081;
constexpr uint32_t kMsrLstar = 0xC0000082;
constexpr uint32_t kMsrFmask = 0xC0000084;
constexpr uint32_t kMsrFsBase = 0xC0000100;
constexpr uint32_t kMsrGsBase = 0xC0000101;
constexpr uint32_t kMsrKernelGsBase = 0xC0000102;
}  // namespace

void cpu_init(uint64_t kernel_stack_top) {
    g_cpu.kernel_rsp = kernel_stack_top;
    g_cpu.self = &g_cpu;
    wrmsr(kMsrGsBase, reinterpret_cast<uint64_t>(&g_cpu));
    wrmsr(kMsrKernelGsBase, 0);
    tss_set_rsp0(kernel_stack_top);

    wrmsr(kMsrEfer, rdmsr(kMsrEfer) | 1);  // SCE
    // SYSCALL: CS = 0x08, SS = 0x10. SYSRET (64-bit): CS = 0x10 + 16 = 0x20|3, SS = 0x10 + 8 = 0x18|3.
    wrmsr(kMsrStar, (uint64_t{0x10} << 48) | (uint64_t{kKernelCs} << 32));
    wrmsr(kMsrLstar, reinterpret_cast<uint64_t>(&syscall_entry));
    // Cleared on entry: TF, IF, DF, NT, AC.
    wrmsr(kMsrFmask, (1u << 8) | (1u << 9) | (1u << 10) | (1u << 14) | (1u << 18));

    uint64_t cr0 = read_cr0();
    cr0 &= ~(uint64_t{1} << 2);  // EM off
    cr0 |= uint64_t{1} << 1;     // MP on
    asm volatile("mov %0, %%cr0" ::"r"(cr0));
    write_cr4(read_cr4() | (uint64_t{1} << 9) | (uint64_t{1} << 10));  // OSFXSR, OSXMMEXCPT
}

void set_fs_base(uint64_t base) { wrmsr(kMsrFsBase, base); }

void cpu_set_kernel_rsp(uint64_t top) { g_cpu.kernel_rsp = top; }

}  // namespace capos::arch

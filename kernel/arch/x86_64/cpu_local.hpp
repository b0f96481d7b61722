// Per-CPU data, reached through GS in kernel mode (swapgs on every entry
// from and exit to ring 3). Offsets are used by syscall.S.
#pragma once

#include <cstddef>
#include <cstdint>

namespace capos::arch {

struct CpuLocal {
    uint64_t kernel_rsp;  // 0: stack for syscalls from ring 3 (top)
    uint64_t user_rsp;    // 8: scratch: the user RSP during a syscall
    CpuLocal* self;       // 16
};
static_assert(offsetof(CpuLocal, kernel_rsp) == 0);
static_assert(offsetof(CpuLocal, user_rsp) == 8);

// Sets GS base, the syscall MSRs (STAR, LSTAR, FMASK, EFER.SCE) and SSE
// (CR0.MP, CR4.OSFXSR|OSXMMEXCPT) so ring 3 can use it. `kernel_stack_top`
// serves syscalls and (through TSS.RSP0) traps from ring 3.
void cpu_init(uint64_t kernel_stack_top);

// A saved kernel context for switch_context (switch.S).
struct KernelContext {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

void set_fs_base(uint64_t base);
// The stack syscalls from ring 3 start on (the current thread's kernel stack).
void cpu_set_kernel_rsp(uint64_t top);

}  // namespace capos::arch

extern "C" {
void syscall_entry();
}

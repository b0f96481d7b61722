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

// Saved kernel state for enter_user()/resume_kernel() (user_entry.S).
struct KernelContext {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

void set_fs_base(uint64_t base);

}  // namespace capos::arch

extern "C" {
// Enters ring 3 with the register state in `frame` (a TrapFrame; rip, cs,
// rflags, rsp, ss as for iretq); returns only when resume_kernel(ctx, v)
// is called, with v.
uint64_t enter_user(const void* frame, capos::arch::KernelContext* ctx);
[[noreturn]] void resume_kernel(capos::arch::KernelContext* ctx, uint64_t value);
void syscall_entry();
}

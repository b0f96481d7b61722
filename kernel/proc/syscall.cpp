// The two syscalls (abi/syscall.hpp) and what happens when ring 3 faults.
#include "abi/layout.hpp"
#include "abi/syscall.hpp"
#include "kernel/arch/x86_64/cpu.hpp"
#include "kernel/arch/x86_64/trap.hpp"
#include "kernel/ipc/ring_dispatch.hpp"
#include "kernel/log.hpp"
#include "kernel/proc/process.hpp"
#include "kernel/segments.hpp"
#include "kernel/stats.hpp"

namespace capos {

void user_fault(const arch::TrapFrame& f) {
    Process* p = current_process();
    uint64_t cr2 = arch::read_cr2();
    log::info("process '{}' (pid {}) killed: {} (vector {}) at rip {:#x}, address {:#x}, error code {:#x}",
              p ? p->name : "?", p ? p->pid : 0, arch::exception_name(f.vector), f.vector, f.rip,
              f.vector == 14 ? cr2 : 0, f.error);
    process_exit_current(kExitFaulted);
}

}  // namespace capos

extern "C" void syscall_dispatch(capos::arch::TrapFrame* f) {
    using namespace capos;
    stats::count_syscall();
    seg::begin();
    switch (f->rax) {
    case abi::kSysExit:
        process_exit_current(static_cast<int32_t>(f->rdi));
    case abi::kSysCapEnter:
        f->rax = cap_enter(*current_process(), f->rdi, f->rsi);
        break;
    default:
        f->rax = static_cast<uint64_t>(abi::kSysErrUnknown);
        break;
    }
    // SYSRET to a non-canonical RIP would fault in ring 0: the last user
    // page is never mapped, so a syscall cannot end there, but check anyway.
    if (f->rip >= abi::kUserSysretGuard) {
        log::info("process '{}' killed: syscall return address {:#x} outside the user half",
                  current_process()->name, f->rip);
        process_exit_current(kExitFaulted);
    }
    seg::end();
}

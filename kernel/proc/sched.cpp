#include "kernel/proc/sched.hpp"

#include "kernel/arch/x86_64/cpu.hpp"
#include "kernel/arch/x86_64/cpu_local.hpp"
#include "kernel/arch/x86_64/gdt.hpp"
#include "kernel/arch/x86_64/pit.hpp"
#include "kernel/arch/x86_64/trap.hpp"
#include "kernel/log.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/panic.hpp"
#include "kernel/proc/process.hpp"
#include "kernel/stats.hpp"
#include "lib/sched/queues.hpp"

extern "C" void switch_context(capos::arch::KernelContext* save, const capos::arch::KernelContext* load);

namespace capos {

namespace {

constinit sched::RunQueue<Process> g_run;
constinit sched::RunQueue<Process> g_exited;
constinit sched::SleepList<Process> g_sleepers;
constinit Process* g_current = nullptr;
constinit arch::KernelContext g_idle_ctx{};
constinit uint64_t g_ticks = 0;
constinit uint64_t g_idle_halts = 0;
constinit uint64_t g_switches = 0;
constinit uint64_t g_handoffs = 0;
constinit uint64_t g_live = 0;
using IrqHandler = void (*)();
constinit IrqHandler g_irq_handlers[16] = {};
constinit IrqHandler g_idle_work = nullptr;

// From the current process to idle. Returns when idle resumes it.
void to_idle() {
    Process* p = g_current;
    asm volatile("fxsave %0" : "=m"(p->fpu));
    switch_context(&p->ctx, &g_idle_ctx);
}

// From the current process straight to `next` (already off the run
// queue): the same state changes as run(), without the idle pass. The
// current process resumes here when something switches back to it.
void switch_direct(Process* next) {
    Process* p = g_current;
    asm volatile("fxsave %0" : "=m"(p->fpu));
    g_current = next;
    next->state = Process::State::Running;
    arch::tss_set_rsp0(next->kstack_top);
    arch::cpu_set_kernel_rsp(next->kstack_top);
    arch::write_cr3(next->aspace->cr3());
    stats::count_cr3_write();
    arch::set_fs_base(next->fs_base);
    asm volatile("fxrstor %0" ::"m"(next->fpu));
    ++g_switches;
    ++g_handoffs;
    switch_context(&p->ctx, &next->ctx);
}

void wake_sleepers() {
    g_sleepers.wake_due(g_ticks, [](Process* p) {
        p->state = Process::State::Runnable;
        g_run.push(p);
    });
}

void run(Process* p) {
    g_current = p;
    p->state = Process::State::Running;
    arch::tss_set_rsp0(p->kstack_top);
    arch::cpu_set_kernel_rsp(p->kstack_top);
    arch::write_cr3(p->aspace->cr3());
    stats::count_cr3_write();
    arch::set_fs_base(p->fs_base);
    asm volatile("fxrstor %0" ::"m"(p->fpu));
    ++g_switches;
    switch_context(&g_idle_ctx, &p->ctx);
    // Back in idle: the process yielded, blocked or exited.
    arch::write_cr3(kernel_page_table().root());
    stats::count_cr3_write();
    arch::set_fs_base(0);
    g_current = nullptr;
}

}  // namespace

Process* current_process() { return g_current; }
uint64_t sched_ticks() { return g_ticks; }
uint64_t sched_idle_halts() { return g_idle_halts; }
uint64_t sched_switches() { return g_switches; }
uint64_t sched_handoffs() { return g_handoffs; }

void sched_init() {
    arch::pic_init();
    arch::pit_init();
}

void sched_add(Process* p) {
    ++g_live;
    stats::snapshot("start", p->pid);
    p->state = Process::State::Runnable;
    g_run.push(p);
}

void sched_run(void (*on_exit)(Process*, int64_t)) {
    while (g_live > 0) {
        while (Process* dead = g_exited.pop()) {
            --g_live;
            stats::snapshot("exit", dead->pid);
            if (on_exit) on_exit(dead, dead->exit_code);
            process_destroy(dead);
        }
        if (g_live == 0) break;
        if (g_idle_work) g_idle_work();
        if (Process* next = g_run.pop()) {
            run(next);
            continue;
        }
        ++g_idle_halts;
        asm volatile("sti; hlt; cli" ::: "memory");
    }
}

void sched_yield() {
    Process* p = g_current;
    p->state = Process::State::Runnable;
    g_run.push(p);
    to_idle();
}

void sched_block_until(uint64_t tick, Process* next) {
    Process* p = g_current;
    if (tick <= g_ticks) return;
    p->state = Process::State::Blocked;
    g_sleepers.insert(p, tick);
    if (next && next != p && next->state == Process::State::Runnable && g_run.remove(next)) {
        switch_direct(next);
        return;
    }
    to_idle();
}

void sched_set_irq_handler(uint8_t irq, void (*fn)()) {
    if (irq != 0 && irq < 16 && irq != 7 && irq != 15) g_irq_handlers[irq] = fn;
}

void sched_set_idle_work(void (*fn)()) { g_idle_work = fn; }

void sched_wake(Process* p) {
    if (p->state != Process::State::Blocked) return;
    g_sleepers.remove(p);
    p->state = Process::State::Runnable;
    g_run.push(p);
}

[[noreturn]] void process_exit_current(int64_t code) {
    Process* p = g_current;
    if (!p) panic("exit with no current process");
    p->exit_code = code;
    p->state = Process::State::Exited;
    g_exited.push(p);
    to_idle();
    panic("an exited process was resumed");
}

// Hardware interrupts (vectors 32..47). Interrupt context: no allocation,
// no blocking, no page tables, no Cap'n Proto. The tick only moves
// processes between queues, then preempts ring 3.
void irq_dispatch(arch::TrapFrame& f) {
    uint8_t irq = static_cast<uint8_t>(f.vector - 32);
    // Only IRQ 0 and lines with a handler (COM2's 3) are unmasked: 7 and
    // 15 can only be spurious. A spurious IRQ 7 gets no EOI; a spurious
    // IRQ 15 is acknowledged at the master only.
    if (irq == 7) return;
    if (irq == 15) {
        arch::pic_eoi(0);
        return;
    }
    arch::pic_eoi(irq);
    if (irq != 0) {
        if (irq < 16 && g_irq_handlers[irq]) g_irq_handlers[irq]();
        return;
    }
    ++g_ticks;
    wake_sleepers();
    if ((f.cs & 3) == 3 && g_current) sched_yield();
}

}  // namespace capos

// The scheduler: round robin over runnable processes (one thread each),
// preempted by the PIT tick (kTickHz) whenever the tick interrupts ring 3.
// The kernel itself is never preempted: it runs with interrupts off, and
// only the idle loop (on the boot stack) waits for interrupts with hlt.
//
// A process that yields or exits switches to the idle context, which picks
// the next runnable process, reaps exited ones (freeing everything they
// held) and halts when nothing is runnable. A process that blocks right
// after making another runnable (an IPC CALL that reached a waiting server,
// a RETURN to a waiting caller) switches straight to it: no idle pass, no
// round robin (sched_handoffs() counts these).
#pragma once

#include <cstdint>

namespace capos {

struct Process;

void sched_init();
// Adds a new (Runnable) process to the run queue.
void sched_add(Process* p);
// Runs processes until none is left; calls on_exit(process, code) as each is
// reaped, just before it is destroyed.
void sched_run(void (*on_exit)(Process* p, int64_t code));

uint64_t sched_ticks();
uint64_t sched_idle_halts();
uint64_t sched_switches();
// Switches made directly from one process to another (IPC handoff), not
// through idle.
uint64_t sched_handoffs();

// From the current process (syscall or trap context):
void sched_yield();                      // back of the run queue
// Sleeps until that tick (UINT64_MAX: until woken). With `next` runnable,
// switches straight to it instead of through idle (direct-switch handoff).
void sched_block_until(uint64_t tick, Process* next = nullptr);
// Makes a blocked process runnable now (a completion arrived for it).
void sched_wake(Process* p);

// Device interrupts besides the tick (one handler per line, the line
// unmasked by the caller): `fn` runs in interrupt context (no allocation,
// no blocking, no user memory), after the EOI.
void sched_set_irq_handler(uint8_t irq, void (*fn)());
// Work the idle loop runs (kernel context, interrupts off) before it picks
// the next process: what an interrupt handler left for later (the
// terminal completes a waiting readLine here). It runs at least once per
// tick while any process is preempted, and after every interrupt that
// ends an idle halt.
void sched_set_idle_work(void (*fn)());

}  // namespace capos

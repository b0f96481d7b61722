#include "kernel/stats.hpp"

#include "kernel/log.hpp"
#include "kernel/proc/sched.hpp"

namespace capos::stats {

void snapshot(StringView when, uint64_t pid) {
    log::debug("stats: pid {} {}: syscalls {} irqs {} cr3 {} switches {} handoffs {}", pid, when,
               g_syscalls, sched_ticks(), g_cr3_writes, sched_switches(), sched_handoffs());
}

}  // namespace capos::stats

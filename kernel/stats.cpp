#include "kernel/stats.hpp"

#include "kernel/log.hpp"
#include "kernel/proc/sched.hpp"
#include "kernel/segments.hpp"

namespace capos::stats {

void snapshot(StringView when, uint64_t pid) {
    log::debug("stats: pid {} {}: syscalls {} irqs {} cr3 {} switches {} handoffs {}", pid, when,
               g_syscalls, sched_ticks(), g_cr3_writes, sched_switches(), sched_handoffs());
    if constexpr (seg::kEnabled) {
        const uint64_t* t = seg::g_ticks;
        log::debug("segments: pid {} {}: entry {} sqe {} lookup {} decode {} body {} post {} wake {} switch {} pass {}",
                   pid, when, t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9]);
    }
}

}  // namespace capos::stats

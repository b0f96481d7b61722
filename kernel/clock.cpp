#include "kernel/clock.hpp"

#include "kernel/arch/x86_64/cpu.hpp"
#include "kernel/arch/x86_64/pit.hpp"
#include "kernel/log.hpp"
#include "kernel/proc/sched.hpp"
#include "lib/sched/clock_math.hpp"

namespace capos {

namespace {
constinit uint64_t g_tsc_boot = 0;
constinit uint64_t g_tsc_per_tick = 1;
constexpr uint64_t kCalibrationTicks = 10;
}  // namespace

void clock_calibrate() {
    asm volatile("sti" ::: "memory");
    uint64_t t0 = sched_ticks();
    while (sched_ticks() == t0) asm volatile("hlt");
    uint64_t start = arch::rdtsc();
    uint64_t t1 = sched_ticks();
    while (sched_ticks() < t1 + kCalibrationTicks) asm volatile("hlt");
    uint64_t end = arch::rdtsc();
    asm volatile("cli" ::: "memory");
    g_tsc_per_tick = (end - start) / kCalibrationTicks;
    if (g_tsc_per_tick == 0) g_tsc_per_tick = 1;
    g_tsc_boot = start;
    log::info("clock: TSC {} cycles per {} ms tick", g_tsc_per_tick, arch::kNsPerTick / 1'000'000);
}

uint64_t clock_now_ns() {
    return sched::ns_from_cycles(arch::rdtsc() - g_tsc_boot, g_tsc_per_tick, arch::kNsPerTick);
}

uint64_t clock_tick_for_ns(uint64_t ns) {
    return sched::tick_for_deadline(ns, clock_now_ns(), sched_ticks(), arch::kNsPerTick);
}

}  // namespace capos

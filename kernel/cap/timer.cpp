#include "kernel/cap/timer.hpp"

#include <new>

#include "kernel/clock.hpp"
#include "kernel/proc/process.hpp"
#include "lib/sched/clock_math.hpp"

namespace capos {

namespace {
alignas(TimerCap) unsigned char g_timer_storage[sizeof(TimerCap)];
TimerCap* g_timer = nullptr;
}  // namespace

TimerCap& TimerCap::instance() {
    if (!g_timer) g_timer = new (g_timer_storage) TimerCap();
    return *g_timer;
}

Result<void> TimerCap::now(schema::Timer::NowParams::Reader, schema::Timer::NowResults::Builder results) {
    results.set_ns(clock_now_ns());
    return {};
}

Result<void> TimerCap::sleep(schema::Timer::SleepParams::Reader params, schema::Timer::SleepResults::Builder) {
    uint64_t ns = params.ns();
    if (ns == 0) return {};
    if (!ctx().caller || ctx().caller->pending_count == kMaxPendingCalls) return Error::Busy;
    uint64_t now = clock_now_ns();
    ctx().defer = true;
    ctx().complete_at_ns = sched::deadline_after(now, ns);
    return {};
}

}  // namespace capos

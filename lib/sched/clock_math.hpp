// Time arithmetic of the clock and of timeouts, free of hardware
// (kernel/clock.cpp and kernel/ipc/ring_dispatch.cpp supply the readings).
// Every function saturates instead of wrapping.
#pragma once

#include <cstdint>

namespace capos::sched {

// Nanoseconds for `cycles` TSC cycles at `cycles_per_tick` cycles per tick
// of `ns_per_tick` ns. cycles_per_tick 0 is treated as 1.
constexpr uint64_t ns_from_cycles(uint64_t cycles, uint64_t cycles_per_tick, uint64_t ns_per_tick) {
    if (cycles_per_tick == 0) cycles_per_tick = 1;
    unsigned __int128 ns = static_cast<unsigned __int128>(cycles) * ns_per_tick / cycles_per_tick;
    return ns > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(ns);
}

// The tick to wake at for `deadline_ns`, given the clock reads `now_ns`
// during tick `ticks_now`: a deadline already reached is `ticks_now`;
// otherwise whole ticks up to the deadline, plus one for the part of the
// current tick already gone. The clock and the tick are not in phase, so
// the wake can come up to one tick before the deadline: the waker
// re-checks the clock (kernel/ipc/ring_dispatch.cpp does) and at worst
// waits one tick more.
constexpr uint64_t tick_for_deadline(uint64_t deadline_ns, uint64_t now_ns, uint64_t ticks_now,
                                     uint64_t ns_per_tick) {
    if (deadline_ns <= now_ns) return ticks_now;
    if (ns_per_tick == 0) ns_per_tick = 1;
    uint64_t whole = (deadline_ns - now_ns) / ns_per_tick;
    return whole >= UINT64_MAX - ticks_now ? UINT64_MAX : ticks_now + whole + 1;
}

// The tick at which a wait of `timeout_ns` starting at tick `ticks_now`
// may end: at least timeout_ns later, whatever fraction of the current
// tick has passed (rounded up, plus one tick).
constexpr uint64_t timeout_deadline_tick(uint64_t timeout_ns, uint64_t ticks_now, uint64_t ns_per_tick) {
    if (ns_per_tick == 0) ns_per_tick = 1;
    uint64_t whole = timeout_ns / ns_per_tick;
    return whole >= UINT64_MAX - 1 - ticks_now ? UINT64_MAX : ticks_now + whole + 2;
}

// now + ns, saturating (Timer.sleep's completion time).
constexpr uint64_t deadline_after(uint64_t now_ns, uint64_t ns) {
    return ns > UINT64_MAX - now_ns ? UINT64_MAX : now_ns + ns;
}

}  // namespace capos::sched

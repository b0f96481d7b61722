// The monotonic clock: the TSC, scaled by its rate measured against the
// PIT tick at boot (clock_calibrate, interrupts briefly on). Under QEMU's
// TCG the TSC follows the host clock; with -icount it counts instructions.
#pragma once

#include <cstdint>

namespace capos {

// Measures TSC cycles per PIT tick over ten ticks; logs the result.
void clock_calibrate();
uint64_t clock_now_ns();
// The scheduler tick at or after `ns` on the clock.
uint64_t clock_tick_for_ns(uint64_t ns);

}  // namespace capos

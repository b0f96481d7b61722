// Ending a QEMU run through isa-debug-exit (iobase 0xf4). QEMU exits with
// status (value << 1) | 1, so success is 33 and failure 35. A triple fault
// under -no-reboot exits with 0, which the test runner never accepts.
#pragma once

#include <cstdint>

namespace capos::arch {

inline constexpr uint8_t kQemuExitSuccess = 0x10;  // status 33
inline constexpr uint8_t kQemuExitFailure = 0x11;  // status 35

// Exits QEMU if the device is present; otherwise halts the CPU forever.
[[noreturn]] void qemu_exit(uint8_t value);

}  // namespace capos::arch

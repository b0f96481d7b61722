#include "kernel/arch/x86_64/qemu.hpp"

#include "kernel/arch/x86_64/cpu.hpp"

namespace capos::arch {

void qemu_exit(uint8_t value) {
    cli();
    outl(0xf4, value);
    halt_forever();
}

}  // namespace capos::arch

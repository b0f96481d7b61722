// fault_io_port: writes port 0xf4, QEMU's isa-debug-exit. Without I/O
// permission (IOPL 0, no TSS I/O bitmap grant) `out` is a general-protection
// fault and the kernel ends the process. If user code could reach the port,
// QEMU itself would exit with status (0x31 << 1) | 1 = 99; exit code 1 means
// the write completed without effect.
#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) {
    asm volatile("outb %%al, $0xf4" : : "a"(0x31) : "memory");
    return 1;
}

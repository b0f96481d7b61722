// fault_privileged: executes `cli`. In ring 3 with IOPL 0 that is a
// general-protection fault; the kernel must end the process. Exit code 1
// means user code could mask interrupts (IOPL was not 0).
#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) {
    asm volatile("cli" ::: "memory");
    return 1;
}

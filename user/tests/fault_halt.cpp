// fault_halt: executes `hlt`, privileged at any IOPL: a general-protection
// fault in ring 3; the kernel must end the process. Exit code 1 means the
// instruction completed.
#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) {
    asm volatile("hlt" ::: "memory");
    return 1;
}

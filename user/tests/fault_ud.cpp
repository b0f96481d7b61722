// fault_ud: executes `ud2` (#UD, invalid opcode). The kernel must end the
// process. Exit code 1 means execution went on past it.
#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) {
    asm volatile("ud2" ::: "memory");
    return 1;
}

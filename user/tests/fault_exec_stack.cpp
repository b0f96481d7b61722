// fault_exec_stack: copies `mov $1, %eax; ret` onto the stack and calls it.
// The stack is mapped no-execute (PT_GNU_STACK is RW), so the call faults
// (#PF, instruction fetch). Exit code 1 means code on the stack ran.
#include <cstdint>

#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) {
    volatile uint8_t code[16] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};
    auto fn = reinterpret_cast<int (*)()>(reinterpret_cast<uintptr_t>(&code[0]));
    return fn();
}

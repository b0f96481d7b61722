// fault_exec_data: jumps into a buffer in .data holding `mov $1, %eax; ret`.
// W^X: the RW segment is mapped no-execute, so the jump faults (#PF,
// instruction fetch). Exit code 1 means the code in .data ran.
#include <cstdint>

#include "user/rt/rt.hpp"

namespace {
// mov $1, %eax ; ret
volatile uint8_t g_code[16] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};
}

int capos_main(const capos::rt::StartInfo&) {
    auto fn = reinterpret_cast<int (*)()>(reinterpret_cast<uintptr_t>(&g_code[0]));
    return fn();
}

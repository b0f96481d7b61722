// The register state saved by traps.S, lowest address first.
#pragma once

#include <cstdint>

namespace capos::arch {

struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
};
static_assert(sizeof(TrapFrame) == 22 * 8);

void idt_init();
const char* exception_name(uint64_t vector);

}  // namespace capos::arch

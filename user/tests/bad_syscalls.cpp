// bad_syscalls: hostile syscall arguments. The kernel must answer each with
// the documented value (abi/syscall.hpp) and change nothing.
//
// Exit code: 0 when every check held, else the number of the first check
// that failed (the numbers are in the comments below). Checks 6 and 14 pass
// their own number as exit's argument, so a kernel that truncates the
// syscall number to 32 bits and runs exit reveals itself the same way.
//
// Check 15, the last, blocks for 1 microsecond (cap_enter with
// min_complete 1 on an empty ring): a kernel without cap_enter timeouts
// hangs there.
#include <cstdint>

#include "abi/ring.hpp"
#include "abi/syscall.hpp"
#include "user/rt/rt.hpp"

// syscall_clobber_mask(nr, a0, a1): performs the syscall with known values
// in every register the kernel must preserve (RBX RBP RDX R8 R9 R10 R12-R15,
// XMM0, XMM15), DF set and MXCSR = 0x7F80 (round toward zero), and returns a
// mask of what changed: bit 0 RBX, 1 RBP, 2 RDX, 3 R8, 4 R9, 5 R10, 6 R12,
// 7 R13, 8 R14, 9 R15, 10 DF, 11 XMM0, 12 XMM15, 13 MXCSR. 0 = all kept.
extern "C" uint64_t syscall_clobber_mask(uint64_t nr, uint64_t a0, uint64_t a1);

asm(R"(
    .section .text.syscall_clobber_mask, "ax", @progbits
    .type syscall_clobber_mask, @function
syscall_clobber_mask:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    sub $8, %rsp
    stmxcsr (%rsp)
    movl $0x7f80, 4(%rsp)
    ldmxcsr 4(%rsp)
    mov %rdi, %rax
    mov %rsi, %rdi
    mov %rdx, %rsi
    movabs $0x1111111111111111, %rbx
    movabs $0x2222222222222222, %rbp
    movabs $0x3333333333333333, %rdx
    movabs $0x4444444444444444, %r8
    movabs $0x5555555555555555, %r9
    movabs $0x6666666666666666, %r10
    movabs $0x7777777777777777, %r12
    movabs $0x8888888888888888, %r13
    movabs $0x9999999999999999, %r14
    movabs $0xaaaaaaaaaaaaaaaa, %r15
    movq %rbx, %xmm0
    movq %r15, %xmm15
    std
    syscall
    pushfq
    popq %rcx
    cld
    stmxcsr 4(%rsp)
    ldmxcsr (%rsp)
    xor %eax, %eax
    movabs $0x1111111111111111, %r11
    cmp %r11, %rbx
    je 1f
    or $0x1, %eax
1:  movabs $0x2222222222222222, %r11
    cmp %r11, %rbp
    je 1f
    or $0x2, %eax
1:  movabs $0x3333333333333333, %r11
    cmp %r11, %rdx
    je 1f
    or $0x4, %eax
1:  movabs $0x4444444444444444, %r11
    cmp %r11, %r8
    je 1f
    or $0x8, %eax
1:  movabs $0x5555555555555555, %r11
    cmp %r11, %r9
    je 1f
    or $0x10, %eax
1:  movabs $0x6666666666666666, %r11
    cmp %r11, %r10
    je 1f
    or $0x20, %eax
1:  movabs $0x7777777777777777, %r11
    cmp %r11, %r12
    je 1f
    or $0x40, %eax
1:  movabs $0x8888888888888888, %r11
    cmp %r11, %r13
    je 1f
    or $0x80, %eax
1:  movabs $0x9999999999999999, %r11
    cmp %r11, %r14
    je 1f
    or $0x100, %eax
1:  movabs $0xaaaaaaaaaaaaaaaa, %r11
    cmp %r11, %r15
    je 1f
    or $0x200, %eax
1:  bt $10, %rcx
    jc 1f
    or $0x400, %eax
1:  movq %xmm0, %rcx
    movabs $0x1111111111111111, %r11
    cmp %r11, %rcx
    je 1f
    or $0x800, %eax
1:  movq %xmm15, %rcx
    movabs $0xaaaaaaaaaaaaaaaa, %r11
    cmp %r11, %rcx
    je 1f
    or $0x1000, %eax
1:  cmpl $0x7f80, 4(%rsp)
    je 1f
    or $0x2000, %eax
1:  add $8, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret
    .size syscall_clobber_mask, . - syscall_clobber_mask
    .text
)");

namespace {

using capos::rt::syscall2;
using capos::rt::sys_cap_enter;
namespace abi = capos::abi;

constexpr uint64_t kUnknown = static_cast<uint64_t>(abi::kSysErrUnknown);

// A cap_enter result is a CQE count: never negative, never above the
// largest CQ there can be.
bool count_ok(int64_t r) { return r >= 0 && r <= int64_t{abi::kMaxCqEntries}; }

}  // namespace

int capos_main(const capos::rt::StartInfo&) {
    // 1-4: unknown numbers.
    if (syscall2(0, 0, 0) != kUnknown) return 1;
    if (syscall2(3, 0, 0) != kUnknown) return 2;
    if (syscall2(1000, 0, 0) != kUnknown) return 3;
    if (syscall2(~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}) != kUnknown) return 4;
    // 5-7: valid numbers in the low 32 bits, garbage above: the whole RAX
    // is the number.
    if (syscall2((uint64_t{1} << 32) | abi::kSysCapEnter, 0, 0) != kUnknown) return 5;
    if (syscall2((uint64_t{1} << 32) | abi::kSysExit, 6, 0) != kUnknown) return 6;
    if (syscall2((uint64_t{1} << 63) | abi::kSysCapEnter, 0, 0) != kUnknown) return 7;

    // 8-11: cap_enter with hostile arguments returns at once and harmlessly.
    if (!count_ok(sys_cap_enter(~uint64_t{0}, abi::kTimeoutPoll))) return 8;
    if (!count_ok(sys_cap_enter(0, abi::kTimeoutPoll))) return 9;
    // min_complete 0 is always satisfied: must not block even "forever".
    if (!count_ok(sys_cap_enter(0, abi::kTimeoutForever))) return 10;
    if (!count_ok(sys_cap_enter(uint64_t{1} << 63, abi::kTimeoutPoll))) return 11;

    // 12-13: the kernel preserves every register the ABI says it does.
    if (syscall_clobber_mask(1000, 0, 0) != 0) return 12;
    if (syscall_clobber_mask(abi::kSysCapEnter, 0, abi::kTimeoutPoll) != 0) return 13;
    // 14: and does so for an unknown number whose low half is exit.
    if (syscall_clobber_mask((uint64_t{1} << 32) | abi::kSysExit, 14, 0) != 0) return 14;

    // 15 (last: it waits): nothing can complete on an empty ring, so the
    // 1 us wait times out.
    if (!count_ok(sys_cap_enter(1, 1000))) return 15;

    return 0;
}

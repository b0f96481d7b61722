#include "kernel/arch/x86_64/frame.inc"

.section .text

// SYSCALL entry: RCX = user RIP, R11 = user RFLAGS, interrupts off (FMASK).
// Builds a TrapFrame on the per-CPU kernel stack and calls
// syscall_dispatch(frame); returns with SYSRET (syscall_dispatch has made
// sure RIP is a canonical user address).
.global syscall_entry
syscall_entry:
    swapgs
    mov %rsp, %gs:8
    mov %gs:0, %rsp
    pushq $0x1b            // ss (user data)
    pushq %gs:8            // rsp
    pushq %r11             // rflags
    pushq $0x23            // cs (user code)
    pushq %rcx             // rip
    pushq $0               // error
    pushq $0x100           // vector: marks a syscall frame
    PUSH_GPRS
    mov %rsp, %rdi
    cld
    call syscall_dispatch
    POP_GPRS
    add $16, %rsp          // vector, error
    mov 0(%rsp), %rcx      // rip
    mov 16(%rsp), %r11     // rflags
    mov 24(%rsp), %rsp     // user rsp
    swapgs
    sysretq

.section .note.GNU-stack, "", @progbits

#include "kernel/arch/x86_64/frame.inc"

// Exception entry stubs. Each pushes an error code (0 if the CPU pushed
// none) and its vector, then trap_common saves the general registers into a
// TrapFrame (kernel/arch/x86_64/trap.hpp) and calls trap_dispatch(frame).

.macro TRAP_NOERR vec
.global trap_stub_\vec
trap_stub_\vec:
    pushq $0
    pushq $\vec
    jmp trap_common
.endm

.macro TRAP_ERR vec
.global trap_stub_\vec
trap_stub_\vec:
    pushq $\vec
    jmp trap_common
.endm

.section .text
TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR   8
TRAP_NOERR 9
TRAP_ERR   10
TRAP_ERR   11
TRAP_ERR   12
TRAP_ERR   13
TRAP_ERR   14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR   17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR   21
TRAP_NOERR 22
TRAP_NOERR 23
TRAP_NOERR 24
TRAP_NOERR 25
TRAP_NOERR 26
TRAP_NOERR 27
TRAP_NOERR 28
TRAP_ERR   29
TRAP_ERR   30
TRAP_NOERR 31
// Hardware interrupts: the 8259 PICs remapped to 32..47.
.irp vec, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
TRAP_NOERR \vec
.endr

trap_common:
    // From ring 3, switch GS to the kernel's (CS is at 24(%rsp) here).
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:  PUSH_GPRS
    mov %rsp, %rdi
    cld
    call trap_dispatch
// Also the first return to ring 3 of a new thread: its kernel stack holds
// a TrapFrame and switch_context lands here (kernel/proc/sched.cpp).
.global trap_return
trap_return:
    POP_GPRS
    testb $3, 24(%rsp)
    jz 2f
    swapgs
2:  add $16, %rsp
    iretq

.section .rodata
.balign 8
.global trap_stub_table
trap_stub_table:
.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .quad trap_stub_\vec
.endr

.section .note.GNU-stack, "", @progbits

// _start: the ELF entry point of every capOS user program.
//
// Entry ABI (abi/layout.hpp): RDI = ring address, RSI = pid, RDX = CapSet
// address or 0, RSP = kInitialStackPointer with [RSP] = 0, every other
// general register 0, FCW = 0x037F, MXCSR = 0x1F80.
//
// Records that state in capos_rt_entry_snapshot (rt::EntrySnapshot; the
// offsets are static_asserted in start.cpp), then calls
// capos_rt_start(ring, pid, capset) on a 16-byte aligned stack with RBP = 0
// (the outermost frame). capos_rt_start never returns; ud2 catches it if it
// did.

#define SNAP_RSP 0
#define SNAP_RETURN_SLOT 8
#define SNAP_RFLAGS 16
#define SNAP_OTHER_GPRS 24
#define SNAP_MXCSR 32
#define SNAP_FCW 36

    .section .text._start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    or %rbx, %rax
    or %rcx, %rax
    or %rbp, %rax
    or %r8, %rax
    or %r9, %rax
    or %r10, %rax
    or %r11, %rax
    or %r12, %rax
    or %r13, %rax
    or %r14, %rax
    or %r15, %rax
    mov %rax, capos_rt_entry_snapshot+SNAP_OTHER_GPRS(%rip)
    mov %rsp, capos_rt_entry_snapshot+SNAP_RSP(%rip)
    mov (%rsp), %rax
    mov %rax, capos_rt_entry_snapshot+SNAP_RETURN_SLOT(%rip)
    pushfq
    popq capos_rt_entry_snapshot+SNAP_RFLAGS(%rip)
    stmxcsr capos_rt_entry_snapshot+SNAP_MXCSR(%rip)
    fnstcw capos_rt_entry_snapshot+SNAP_FCW(%rip)
    xor %eax, %eax
    xor %ebp, %ebp
    and $-16, %rsp
    call capos_rt_start
    ud2
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits

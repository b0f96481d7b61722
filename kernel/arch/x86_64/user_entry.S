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
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    mov %rsp, %rdi
    cld
    call syscall_dispatch
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    add $16, %rsp          // vector, error
    mov 0(%rsp), %rcx      // rip
    mov 16(%rsp), %r11     // rflags
    mov 24(%rsp), %rsp     // user rsp
    swapgs
    sysretq

.section .note.GNU-stack, "", @progbits

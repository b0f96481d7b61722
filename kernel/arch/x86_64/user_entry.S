// Entering ring 3 and coming back.
//
// enter_user(frame, ctx): saves the callee-saved registers and the return
// point in *ctx, gives the FPU/SSE state a clean start (so nothing leaks
// from a previous process), loads the general registers from the TrapFrame
// and irets to ring 3. resume_kernel(ctx, value) abandons the current
// kernel stack and returns from that enter_user call with `value`.

.section .text
.global enter_user
enter_user:
    mov %rbx, 0(%rsi)
    mov %rbp, 8(%rsi)
    mov %r12, 16(%rsi)
    mov %r13, 24(%rsi)
    mov %r14, 32(%rsi)
    mov %r15, 40(%rsi)
    lea 8(%rsp), %rax
    mov %rax, 48(%rsi)
    mov (%rsp), %rax
    mov %rax, 56(%rsi)

    fninit
    pxor %xmm0, %xmm0
    pxor %xmm1, %xmm1
    pxor %xmm2, %xmm2
    pxor %xmm3, %xmm3
    pxor %xmm4, %xmm4
    pxor %xmm5, %xmm5
    pxor %xmm6, %xmm6
    pxor %xmm7, %xmm7
    pxor %xmm8, %xmm8
    pxor %xmm9, %xmm9
    pxor %xmm10, %xmm10
    pxor %xmm11, %xmm11
    pxor %xmm12, %xmm12
    pxor %xmm13, %xmm13
    pxor %xmm14, %xmm14
    pxor %xmm15, %xmm15
    sub $8, %rsp
    movl $0x1F80, (%rsp)
    ldmxcsr (%rsp)
    add $8, %rsp

    mov %rdi, %rsp
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
    add $16, %rsp
    swapgs
    iretq

.global resume_kernel
resume_kernel:
    mov %rsi, %rax
    mov 0(%rdi), %rbx
    mov 8(%rdi), %rbp
    mov 16(%rdi), %r12
    mov 24(%rdi), %r13
    mov 32(%rdi), %r14
    mov 40(%rdi), %r15
    mov 48(%rdi), %rsp
    jmp *56(%rdi)

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

// switch_context(save, load): saves the callee-saved registers, RSP and the
// return address in *save (a KernelContext) and continues from *load. A new
// thread's context points at trap_return with RSP at its first TrapFrame.

.section .text
.global switch_context
switch_context:
    mov %rbx, 0(%rdi)
    mov %rbp, 8(%rdi)
    mov %r12, 16(%rdi)
    mov %r13, 24(%rdi)
    mov %r14, 32(%rdi)
    mov %r15, 40(%rdi)
    lea 8(%rsp), %rax
    mov %rax, 48(%rdi)
    mov (%rsp), %rax
    mov %rax, 56(%rdi)

    mov 0(%rsi), %rbx
    mov 8(%rsi), %rbp
    mov 16(%rsi), %r12
    mov 24(%rsi), %r13
    mov 32(%rsi), %r14
    mov 40(%rsi), %r15
    mov 48(%rsi), %rsp
    jmp *56(%rsi)

.section .note.GNU-stack, "", @progbits

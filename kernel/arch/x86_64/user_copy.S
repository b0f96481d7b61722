// uint64_t arch_user_copy(void* dst, const void* src, size_t len, uint64_t smap)
// Byte copy between kernel and user memory with SMAP opened (stac/clac
// when the CPU has SMAP; the caller passes that in the fourth argument).
// Returns 0, or 1 when a fault hit the copy loop: the trap handler finds the
// loop's address in __ex_table and resumes at the fixup.

.section .text
.global arch_user_copy
arch_user_copy:
    mov %rcx, %r8
    test %r8, %r8
    jz 1f
    stac
1:  mov %rdx, %rcx
.global arch_user_copy_insn
arch_user_copy_insn:
    rep movsb
    xor %eax, %eax
2:  test %r8, %r8
    jz 3f
    clac
3:  ret
.global arch_user_copy_fixup
arch_user_copy_fixup:
    mov $1, %eax
    jmp 2b

.section __ex_table, "a"
.balign 8
    .quad arch_user_copy_insn
    .quad arch_user_copy_fixup

.section .note.GNU-stack, "", @progbits

// capOS 32-bit entry: Multiboot2 (GRUB) and PVH (QEMU -kernel), then long mode.
//
// Both protocols enter here in 32-bit protected mode with paging off. We
// build boot page tables, enable long mode and jump to the higher half:
//
//   PML4[0]   -> pdpt_low [0]   -> pd_boot   identity 0..1 GiB (2 MiB pages, dropped later)
//   PML4[256] -> pdpt_low [0]   -> pd_boot   direct map 0xFFFF800000000000 + 0..1 GiB
//   PML4[511] -> pdpt_high[510] -> pd_boot   kernel image at 0xFFFFFFFF80000000 + phys
//
// kmain(protocol, info_phys) receives which protocol booted us and the
// physical address of the Multiboot2 information or the PVH start_info.

#include "kernel/arch/x86_64/boot_defs.hpp"

.set MB2_MAGIC,     0xe85250d6
.set MB2_ARCH_I386, 0
.set PVH_MAGIC,     0x336ec578

.section .multiboot2, "a"
.balign 8
mb2_header:
    .long MB2_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    // end tag
    .short 0
    .short 0
    .long 8
mb2_header_end:

// PVH entry point note (XEN_ELFNOTE_PHYS32_ENTRY = 18), read by QEMU -kernel.
.section .note.Xen, "a"
.balign 4
    .long 4            // name size
    .long 4            // desc size
    .long 18           // type
    .asciz "Xen"
    .long pvh_entry    // physical entry address

.section .boot.text, "ax"
.code32
.global mb2_entry
mb2_entry:
    cli
    cld
    mov $BOOT_PROTOCOL_MULTIBOOT2, %esi
    cmp $0x36d76289, %eax
    je 1f
    mov $BOOT_PROTOCOL_UNKNOWN, %esi
1:  mov %ebx, %edi
    jmp common32

.global pvh_entry
pvh_entry:
    cli
    cld
    mov $BOOT_PROTOCOL_PVH, %esi
    cmpl $PVH_MAGIC, (%ebx)
    je 1f
    mov $BOOT_PROTOCOL_UNKNOWN, %esi
1:  mov %ebx, %edi
    // fallthrough

common32:
    // edi = info physical address, esi = protocol (kept across this code)
    mov $boot_stack_top_phys, %esp

    // Zero the three boot tables.
    mov $pml4_boot, %eax
    mov $(4096 * 4 / 4), %ecx
2:  movl $0, (%eax)
    add $4, %eax
    loop 2b

    // pd_boot: 512 x 2 MiB pages = 1 GiB, present | writable | huge
    mov $pd_boot, %ebx
    xor %ecx, %ecx
3:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, (%ebx, %ecx, 8)
    movl $0, 4(%ebx, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jne 3b

    mov $pd_boot, %eax
    or $0x3, %eax
    mov %eax, pdpt_low
    mov %eax, pdpt_high + 510 * 8

    mov $pdpt_low, %eax
    or $0x3, %eax
    mov %eax, pml4_boot
    mov %eax, pml4_boot + 256 * 8
    mov $pdpt_high, %eax
    or $0x3, %eax
    mov %eax, pml4_boot + 511 * 8

    // PAE, then CR3, then EFER.LME|NXE, then paging.
    mov %cr4, %eax
    or $(1 << 5), %eax
    mov %eax, %cr4
    mov $pml4_boot, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16) | 1), %eax   // PG | WP | PE
    mov %eax, %cr0

    lgdt gdt_boot_ptr
    ljmp $0x08, $long_mode_entry

.code64
long_mode_entry:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $higher_half, %rax
    jmp *%rax

.balign 8
gdt_boot:
    .quad 0
    .quad 0x00af9a000000ffff   // 0x08: 64-bit code
    .quad 0x00cf92000000ffff   // 0x10: data
gdt_boot_end:
gdt_boot_ptr:
    .short gdt_boot_end - gdt_boot - 1
    .long gdt_boot

.section .text
.code64
higher_half:
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp
    // edi, esi still hold info and protocol; kmain(protocol, info_phys)
    mov %edi, %eax
    mov %esi, %edi
    mov %rax, %rsi
    call kmain
4:  cli
    hlt
    jmp 4b

.section .boot.bss, "aw", @nobits
.balign 4096
.global pml4_boot
pml4_boot:  .skip 4096
pdpt_low:   .skip 4096
pdpt_high:  .skip 4096
pd_boot:    .skip 4096

.section .bss
.balign 16
.global boot_stack_bottom
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
boot_stack_top:

.set boot_stack_top_phys, boot_stack_top - KERNEL_VMA

.section .note.GNU-stack, "", @progbits

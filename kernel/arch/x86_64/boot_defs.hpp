// Constants shared by the assembly entry and C++ (no C++ syntax allowed
// outside the #ifndef __ASSEMBLER__ part).
#pragma once

#define KERNEL_VMA 0xFFFFFFFF80000000
#define DIRECT_MAP_BASE 0xFFFF800000000000
#define BOOT_STACK_SIZE 16384

#define BOOT_PROTOCOL_UNKNOWN 0
#define BOOT_PROTOCOL_MULTIBOOT2 1
#define BOOT_PROTOCOL_PVH 2

// GDT and TSS. Selector layout (sysret needs user data right below user code):
//
//   0x00 null | 0x08 kernel code | 0x10 kernel data | 0x18 user data |
//   0x20 user code (64-bit) | 0x28 TSS (16 bytes)
//
// IST1 = double fault stack, IST2 = NMI stack, IST3 = machine check.
#pragma once

#include <cstdint>

namespace capos::arch {

inline constexpr uint16_t kKernelCs = 0x08;
inline constexpr uint16_t kKernelDs = 0x10;
inline constexpr uint16_t kUserDs = 0x18 | 3;
inline constexpr uint16_t kUserCs = 0x20 | 3;
inline constexpr uint16_t kTssSel = 0x28;

inline constexpr uint8_t kIstDoubleFault = 1;
inline constexpr uint8_t kIstNmi = 2;
inline constexpr uint8_t kIstMachineCheck = 3;

void gdt_init();
void tss_set_rsp0(uint64_t rsp0);

}  // namespace capos::arch

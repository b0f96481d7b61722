// The 8254 PIT as the scheduler tick, through the (remapped) 8259 PIC.
#pragma once

#include <cstdint>

namespace capos::arch {

inline constexpr uint32_t kTickHz = 100;
inline constexpr uint64_t kNsPerTick = 1'000'000'000 / kTickHz;

// Remaps the PICs to vectors 32..47 with every line masked.
void pic_init();
void pic_unmask(uint8_t irq);
void pic_eoi(uint8_t irq);
// Channel 0, rate generator at kTickHz; unmasks IRQ 0.
void pit_init();

}  // namespace capos::arch

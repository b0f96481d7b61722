#include "kernel/arch/x86_64/pit.hpp"

#include "kernel/arch/x86_64/cpu.hpp"

namespace capos::arch {

namespace {
constexpr uint32_t kPitHz = 1193182;
}

void pic_init() {
    outb(0x20, 0x11);
    outb(0xA0, 0x11);
    outb(0x21, 32);
    outb(0xA1, 40);
    outb(0x21, 4);
    outb(0xA1, 2);
    outb(0x21, 1);
    outb(0xA1, 1);
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}

void pic_unmask(uint8_t irq) {
    uint16_t port = irq < 8 ? 0x21 : 0xA1;
    outb(port, inb(port) & static_cast<uint8_t>(~(1u << (irq % 8))));
    if (irq >= 8) outb(0x21, inb(0x21) & static_cast<uint8_t>(~(1u << 2)));
}

void pic_eoi(uint8_t irq) {
    if (irq >= 8) outb(0xA0, 0x20);
    outb(0x20, 0x20);
}

void pit_init() {
    uint16_t divisor = static_cast<uint16_t>(kPitHz / kTickHz);
    outb(0x43, 0x34);  // channel 0, lobyte/hibyte, mode 2
    outb(0x40, static_cast<uint8_t>(divisor & 0xFF));
    outb(0x40, static_cast<uint8_t>(divisor >> 8));
    pic_unmask(0);
}

}  // namespace capos::arch

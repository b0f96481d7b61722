// 16550 UART. COM1 (0x3F8) is the kernel debug log; COM2 (0x2F8, IRQ 3)
// is the terminal (kernel/cap/terminal.hpp, docs/terminal.md).
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/term/byte_queue.hpp"

namespace capos::arch {

inline constexpr uint16_t kCom1 = 0x3F8;
inline constexpr uint16_t kCom2 = 0x2F8;
inline constexpr uint8_t kCom2Irq = 3;
// COM2's receive buffer: bytes typed while nobody reads wait here; bytes
// past it are dropped and counted.
inline constexpr uint32_t kCom2RxBytes = 1024;

class Uart {
public:
    // 115200 8N1, FIFOs on, interrupts off. False if no UART answers.
    bool init(uint16_t port);
    void write(const char* data, size_t len);
    // Writes the bytes as they are ("\n" is not turned into "\r\n").
    void write_raw(const uint8_t* data, size_t len);
    // Raises the UART's interrupt when a byte arrives (the PIC line is
    // unmasked separately).
    void enable_rx_interrupt();
    // One received byte, if the UART holds one.
    bool read(uint8_t* b);
    bool present() const { return present_; }

private:
    void put(char c);
    uint16_t port_ = 0;
    bool present_ = false;
};

Uart& com1();
Uart& com2();

// COM2 receive: the interrupt handler moves every byte the UART holds into
// the buffer (interrupt context: no allocation). The terminal drains it
// with interrupts off.
void com2_receive();
term::ByteQueue<kCom2RxBytes>& com2_rx();

}  // namespace capos::arch

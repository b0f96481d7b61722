#include "kernel/arch/x86_64/serial.hpp"

#include "kernel/arch/x86_64/cpu.hpp"

namespace capos::arch {

namespace {
constinit Uart g_com1;
constinit Uart g_com2;
constinit term::ByteQueue<kCom2RxBytes> g_com2_rx;
}  // namespace

Uart& com1() { return g_com1; }
Uart& com2() { return g_com2; }
term::ByteQueue<kCom2RxBytes>& com2_rx() { return g_com2_rx; }

void com2_receive() {
    // Read until empty even when the buffer is full: the PIC line is
    // edge-triggered, so a byte left behind would stop further interrupts.
    // (Bounded only against a UART that never reports empty.)
    uint8_t b;
    for (int i = 0; i < 4096 && g_com2.read(&b); ++i) (void)g_com2_rx.push(b);
}

bool Uart::init(uint16_t port) {
    port_ = port;
    outb(port + 1, 0x00);  // interrupts off
    outb(port + 3, 0x80);  // DLAB
    outb(port + 0, 0x01);  // divisor 1 = 115200 baud
    outb(port + 1, 0x00);
    outb(port + 3, 0x03);  // 8N1
    outb(port + 2, 0xC7);  // FIFO on, clear, 14-byte threshold
    outb(port + 4, 0x0B);  // DTR, RTS, OUT2
    // Scratch register probe: a missing UART reads back 0xFF.
    outb(port + 7, 0x5A);
    present_ = inb(port + 7) == 0x5A;
    return present_;
}

void Uart::put(char c) {
    for (int spin = 0; spin < 100000 && !(inb(port_ + 5) & 0x20); ++spin) pause();
    outb(port_, static_cast<uint8_t>(c));
}

void Uart::write_raw(const uint8_t* data, size_t len) {
    if (!present_) return;
    for (size_t i = 0; i < len; ++i) put(static_cast<char>(data[i]));
}

void Uart::enable_rx_interrupt() {
    if (!present_) return;
    outb(port_ + 1, 0x01);  // received data available
}

bool Uart::read(uint8_t* b) {
    if (!present_ || !(inb(port_ + 5) & 0x01)) return false;
    *b = inb(port_);
    return true;
}

void Uart::write(const char* data, size_t len) {
    if (!present_) return;
    for (size_t i = 0; i < len; ++i) {
        if (data[i] == '\n') put('\r');
        put(data[i]);
    }
}

}  // namespace capos::arch

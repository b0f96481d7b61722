// 16550 UART. COM1 (0x3F8) is the kernel debug log; COM2 (0x2F8) is
// reserved for the terminal.
#pragma once

#include <cstddef>
#include <cstdint>

namespace capos::arch {

inline constexpr uint16_t kCom1 = 0x3F8;
inline constexpr uint16_t kCom2 = 0x2F8;

class Uart {
public:
    // 115200 8N1, FIFOs on, interrupts off. False if no UART answers.
    bool init(uint16_t port);
    void write(const char* data, size_t len);
    bool present() const { return present_; }

private:
    void put(char c);
    uint16_t port_ = 0;
    bool present_ = false;
};

Uart& com1();

}  // namespace capos::arch

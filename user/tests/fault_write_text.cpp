// fault_write_text: writes over the first byte of its own capos_main, in
// the RX segment. W^X: code pages are never writable, so the store faults
// (#PF, protection). Exit code 1 means code was writable.
#include <cstdint>

#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) {
    auto* p = reinterpret_cast<volatile uint8_t*>(&capos_main);
    *p = 0xc3;  // ret
    return 1;
}

// fault_gpf: reads the non-canonical address 0x8000000000000000. x86_64
// raises a general-protection fault (#GP, not #PF) for it; the kernel must
// end the process. Exit code 1 means the read succeeded.
#include <cstdint>

#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) {
    auto* p = reinterpret_cast<volatile uint64_t*>(0x8000000000000000);
    uint64_t v = *p;
    return 1 + static_cast<int>(v & 0);
}

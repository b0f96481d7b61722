// fault_write_rodata: writes into its own .rodata, mapped read-only (the
// R PT_LOAD segment). The kernel must map it without write permission, so
// the store faults (#PF, protection). Exit code 1 means the store landed.
#include <cstdint>

#include "user/rt/rt.hpp"

namespace {
const uint64_t kConstant = 0x1234'5678'9abc'def0;
}

int capos_main(const capos::rt::StartInfo&) {
    // Through a volatile pointer so the compiler keeps the store.
    auto* p = const_cast<volatile uint64_t*>(&kConstant);
    *p = 0;
    return *p == 0 ? 1 : 2;
}

// fault_kernel_read: reads 0xffffffff80100000, kernel text in the higher
// half. The page is mapped, but for the kernel only: the read must fault
// (#PF, protection violation) in ring 3. Exit code 1 means the kernel's
// memory was readable from user mode.
#include <cstdint>

#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) {
    auto* p = reinterpret_cast<volatile uint64_t*>(0xffffffff80100000);
    uint64_t v = *p;
    return 1 + static_cast<int>(v & 0);
}

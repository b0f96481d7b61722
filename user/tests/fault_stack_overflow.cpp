// fault_stack_overflow: recurses with 4 KiB frames, touching both ends of
// each, until it runs off the bottom of the 256 KiB stack into the
// never-mapped guard page (abi::kStackGuard). The #PF arrives with RSP
// pointing at unmapped memory; the kernel must still end the process
// cleanly (it handles the fault on its own stack). Exit code 1 means the
// recursion limit, far beyond the stack size, was reached without a fault.
#include <cstdint>

#include "abi/layout.hpp"
#include "user/rt/rt.hpp"

namespace {
// Volatile: the compiler can neither bound the recursion nor remove it.
volatile uint64_t g_limit = 16 * capos::abi::kStackRegionBytes / 4096;

__attribute__((noinline)) uint64_t dive(uint64_t depth) {
    volatile uint8_t frame[4096];
    frame[0] = static_cast<uint8_t>(depth);
    frame[sizeof(frame) - 1] = static_cast<uint8_t>(depth);
    if (depth >= g_limit) return 1;
    // Not a tail call: the frame stays live across the recursive call.
    return dive(depth + 1) + frame[depth % sizeof(frame)];
}
}  // namespace

int capos_main(const capos::rt::StartInfo&) {
    dive(0);
    return 1;
}

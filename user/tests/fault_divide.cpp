// fault_divide: an unsigned 64-bit division by zero (#DE). The divisor is
// loaded from a volatile so the compiler cannot fold or drop the division;
// `div` is issued by inline assembly, so no undefined behaviour is involved.
// The kernel must end the process. Exit code 1 means the division completed.
#include <cstdint>

#include "user/rt/rt.hpp"

namespace {
volatile uint64_t g_zero = 0;
}

int capos_main(const capos::rt::StartInfo&) {
    uint64_t divisor = g_zero;
    uint64_t quotient = 42;
    uint64_t remainder = 0;
    asm volatile("divq %2" : "+a"(quotient), "+d"(remainder) : "r"(divisor) : "cc");
    return 1 + static_cast<int>(quotient & 0);
}

#include "kernel/arch/x86_64/random.hpp"

#include "kernel/arch/x86_64/cpu.hpp"

namespace capos::arch {

bool cpu_has_rdrand() {
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    return (c >> 30) & 1;
}

bool cpu_has_rdseed() {
    uint32_t a, b, c, d;
    cpuid(0, 0, &a, &b, &c, &d);
    if (a < 7) return false;
    cpuid(7, 0, &a, &b, &c, &d);
    return (b >> 18) & 1;
}

bool rdrand64(uint64_t* out, int tries) {
    for (int i = 0; i < tries; ++i) {
        uint64_t v;
        uint8_t ok;
        asm volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
        if (ok) {
            *out = v;
            return true;
        }
    }
    return false;
}

bool rdseed64(uint64_t* out, int tries) {
    for (int i = 0; i < tries; ++i) {
        uint64_t v;
        uint8_t ok;
        asm volatile("rdseed %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
        if (ok) {
            *out = v;
            return true;
        }
        pause();
    }
    return false;
}

uint64_t read_tsc() { return rdtsc(); }

}  // namespace capos::arch

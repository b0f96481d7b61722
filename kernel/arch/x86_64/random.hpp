// The CPU's random number instructions, for kernel/cap/entropy (the only
// user). RDSEED gives conditioned entropy straight from the hardware
// source; RDRAND gives the output of a DRBG the hardware reseeds. Either
// may fail transiently (CF = 0), so callers retry (Intel's DRNG guide:
// up to 10 RDRAND tries before reporting failure; RDSEED may need many
// more, with a pause between tries).
#pragma once

#include <cstdint>

namespace capos::arch {

bool cpu_has_rdrand();   // CPUID.01H:ECX[30]
bool cpu_has_rdseed();   // CPUID.(EAX=07H,ECX=0):EBX[18]
// Up to `tries` attempts (RDSEED pauses between them); false when every
// attempt had CF = 0.
bool rdrand64(uint64_t* out, int tries);
bool rdseed64(uint64_t* out, int tries);
uint64_t read_tsc();

}  // namespace capos::arch

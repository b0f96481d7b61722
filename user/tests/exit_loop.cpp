// exit_loop: started and reaped many times in a row (1,000 sequential
// start/exit cycles) to show that spawning and tearing down a process leaks
// nothing. Exits with pid % 7, a small code that varies from run to run, so
// a kernel that mixes up processes or exit codes shows it in the log.
// Its heap arena is one page: each start maps as little as possible.
#include "user/rt/rt.hpp"

CAPOS_RT_HEAP_BYTES(4096);

int capos_main(const capos::rt::StartInfo& info) { return static_cast<int>(info.pid % 7); }

// exit_code: the smallest program. capos_main returns 42, so the kernel must
// log exit code 42 for it: proof that entry, the runtime's start sequence
// and the exit syscall work end to end.
#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) { return 42; }

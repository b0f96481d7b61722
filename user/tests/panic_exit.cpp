// panic_exit: calls rt::panic with no panic hook installed. Expected exit
// code: rt::kExitPanic (250). Returns 1 if panic ever returned.
#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) {
    capos::rt::panic("panic_exit: deliberate panic");
    return 1;  // not reached: panic is [[noreturn]]
}

// console_hook: the runtime's Console panic hook. Prints one line, then
// calls rt::panic; the hook the runtime installed at start (the program
// links user/rt/console.cpp through rt::print_line) must write
//   "panic (pid N): console_hook: deliberate (exit code 250)"
// through the Console before the process exits with rt::kExitPanic (250).
//
// Exit 250 is the pass; 1 if the first line could not be printed; 2 if
// rt::panic returned (it cannot).
#include "user/rt/console.hpp"
#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) {
    namespace rt = capos::rt;
    if (!rt::print_line("console_hook: about to stop")) return 1;
    rt::panic("console_hook: deliberate");
    return 2;
}

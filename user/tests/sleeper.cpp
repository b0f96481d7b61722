// sleeper: blocks in cap_enter with nothing to complete and a timeout
// (qemu.sched_sleep): the kernel must put it to sleep (the idle loop halts
// meanwhile) and return 0 completions after the timeout, several times.
//
// Exit code 0; 1 if cap_enter returned completions it should not have.
#include <cstdint>

#include "abi/syscall.hpp"
#include "user/rt/console.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/syscall.hpp"

int capos_main(const capos::rt::StartInfo&) {
    for (int i = 0; i < 5; ++i) {
        int64_t n = capos::rt::sys_cap_enter(1, 50'000'000);  // 50 ms
        if (n != 0) return 1;
    }
    if (!capos::rt::print_line("sleeper: woke after every timeout")) return 2;
    return 0;
}

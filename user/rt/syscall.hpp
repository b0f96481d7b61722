// The two capOS system calls (abi/syscall.hpp) and a raw entry for tests.
//
// Register convention: RAX = number, RDI = argument 0, RSI = argument 1,
// result in RAX; the `syscall` instruction clobbers RCX and R11, the kernel
// preserves everything else.
#pragma once

#include <cstdint>

#include "abi/syscall.hpp"

namespace capos::rt {

// Any syscall number with two arguments; returns RAX. For hostile tests and
// for the two wrappers below.
inline uint64_t syscall2(uint64_t nr, uint64_t a0, uint64_t a1) {
    uint64_t ret;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(nr), "D"(a0), "S"(a1)
                 : "rcx", "r11", "memory");
    return ret;
}

// Processes the SQ, waits for min(min_complete, cq_entries) CQEs or until
// timeout_ns passed (abi::kTimeoutPoll: never wait; abi::kTimeoutForever: no
// deadline). Returns the number of CQEs available; never negative.
inline int64_t sys_cap_enter(uint64_t min_complete, uint64_t timeout_ns) {
    return static_cast<int64_t>(syscall2(abi::kSysCapEnter, min_complete, timeout_ns));
}

// Ends the process; the kernel records the low 32 bits of `code` as an i32.
[[noreturn]] inline void sys_exit(int code) {
    // If exit ever returned, ud2 turns that kernel bug into a visible fault.
    asm volatile("syscall\n\tud2"
                 :
                 : "a"(abi::kSysExit), "D"(static_cast<uint64_t>(static_cast<int64_t>(code))),
                   "S"(uint64_t{0})
                 : "rcx", "r11", "memory");
    __builtin_unreachable();
}

}  // namespace capos::rt

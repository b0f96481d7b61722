// libcapos, the user runtime: process entry, exit, panic, and what a
// program may rely on before capos_main runs.
//
// A program defines
//
//     int capos_main(const capos::rt::StartInfo& info);
//
// and links with capos_rt (cmake/user.cmake: capos_user_program). The entry
// sequence (docs/user-runtime.md):
//
//   _start (start.S)        records the entry registers (EntrySnapshot),
//                           aligns the stack, calls capos_rt_start
//   capos_rt_start          sets up the heap, runs .preinit_array and
//                           .init_array, calls capos_main, exits with its
//                           return value
//
// Static destructors never run: exit ends the process and the kernel
// reclaims everything.
#pragma once

#include <cstdint>

#include "abi/capset.hpp"
#include "abi/layout.hpp"
#include "user/rt/heap.hpp"
#include "user/rt/syscall.hpp"

namespace capos::rt {

// What the kernel passed at entry (abi/layout.hpp, "Entry ABI").
struct StartInfo {
    uint64_t ring_address;    // RDI: abi::kRingAddress
    uint64_t pid;             // RSI: nonzero
    uint64_t capset_address;  // RDX: abi::kCapSetAddress, or 0 without a CapSet

    void* ring() const { return reinterpret_cast<void*>(ring_address); }
    // nullptr when the process has no CapSet page.
    const abi::CapSetHeader* capset() const {
        return reinterpret_cast<const abi::CapSetHeader*>(capset_address);
    }
};

// The entry values of this process, recorded by capos_rt_start before
// anything else runs (the ring client and CapSet lookup start from them).
const StartInfo& start_info();

// The machine state _start found, before any compiled code ran. For tests of
// the entry ABI; nothing else depends on it.
struct EntrySnapshot {
    uint64_t rsp;          // abi::kInitialStackPointer
    uint64_t return_slot;  // [rsp]: 0
    uint64_t rflags;       // IF = 1, DF = 0
    // RAX | RBX | RCX | RBP | R8 | ... | R15: 0 when every general register
    // the ABI does not assign was zero.
    uint64_t other_gprs;
    uint32_t mxcsr;  // 0x1F80
    uint16_t fcw;    // 0x037F
};
const EntrySnapshot& entry_snapshot();

// Exit codes the runtime itself uses. Programs should keep their own codes
// below kExitRuntimeBase so a log line tells the two apart.
inline constexpr int kExitRuntimeBase = 240;
inline constexpr int kExitPanic = 250;         // rt::panic
inline constexpr int kExitHeapCorrupt = 251;   // rt::free of a pointer that is not a live block
inline constexpr int kExitPureVirtual = 252;   // __cxa_pure_virtual
inline constexpr int kExitStdThrow = 253;      // a std::__throw_* helper or abort()

// Ends the process with `code`: calls the panic hook (if one is set and this
// is not a nested panic), then sys_exit(code). `msg` is a NUL-terminated
// string; it is only seen by the hook.
[[noreturn]] void panic(const char* msg, int code = kExitPanic);

// The panic hook: where a panic message goes. By default nothing is
// printed; programs that link the Console client (user/rt/console.hpp) start
// with a hook that writes the message through their Console, if they hold
// one. The hook must not allocate and must return (panic exits after it).
// Returns the previous hook.
using PanicHook = void (*)(const char* msg, int code);
PanicHook set_panic_hook(PanicHook hook);

}  // namespace capos::rt

// The program's entry point, defined by every program.
int capos_main(const capos::rt::StartInfo& info);

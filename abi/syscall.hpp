// capOS ABI: the two system calls.
//
// capOS has exactly two syscalls; every other operation is a ring opcode
// (abi/ring.hpp). They are entered with the `syscall` instruction:
//
//   RAX = syscall number                 (kSysCapEnter or kSysExit)
//   RDI = argument 0, RSI = argument 1   (RDX, R10, R8, R9: unused, reserved)
//   return value in RAX
//   RCX and R11 are clobbered (by the instruction); every other register,
//   including RSP, RFLAGS' DF and the x87/SSE state, is preserved.
//
// cap_enter(min_complete: u64, timeout_ns: u64) -> i64
//   1. Processes the submission queue: at most sq_entries SQEs, in order,
//      stopping early when the completion queue has no room (the remaining
//      SQEs stay queued; see docs/abi.md, "CQ full").
//   2. If fewer than min(min_complete, cq_entries) CQEs are available, blocks
//      until that many are, or until timeout_ns nanoseconds have passed.
//      timeout_ns == 0 never blocks; kTimeoutForever never times out.
//   3. Returns the number of CQEs available to reap (cq_tail - cq_head, at
//      most cq_entries; a corrupted cq_head reads as a full CQ). A return
//      value below min_complete means the wait timed out or was interrupted.
//   cap_enter never fails: every per-operation error is a CQE.
//
// exit(code: u64) -> never returns
//   Ends the whole process; code (its low 32 bits, as i32) is its exit code.
//
// An unknown syscall number returns kSysErrUnknown and changes nothing.
//
// Contract: docs/abi.md, "Syscalls".
#pragma once

#include <cstdint>

namespace capos::abi {

enum class Syscall : uint64_t {
    // 0 is never a syscall, so a zeroed RAX does nothing.
    CapEnter = 1,
    Exit = 2,
};

inline constexpr uint64_t kSysCapEnter = static_cast<uint64_t>(Syscall::CapEnter);
inline constexpr uint64_t kSysExit = static_cast<uint64_t>(Syscall::Exit);

// cap_enter's timeout_ns: wait without a deadline.
inline constexpr uint64_t kTimeoutForever = ~uint64_t{0};
// cap_enter's timeout_ns: never block.
inline constexpr uint64_t kTimeoutPoll = 0;

// RAX after an unknown syscall number.
inline constexpr int64_t kSysErrUnknown = -1;

}  // namespace capos::abi

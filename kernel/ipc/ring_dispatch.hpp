// cap_enter: drain the process's submission queue. Each SQE is copied once
// into kernel memory (KernelRing::next), decoded (ring::decode_sqe: nothing
// changes yet), then performed by its op_* handler, which posts exactly one
// CQE. Indices are the kernel's own; a full CQ stops the pass and leaves
// the rest queued (docs/abi.md, section 5).
#pragma once

#include <cstdint>

namespace capos {

struct Process;

// Returns the number of CQEs available to reap. When fewer than
// min(min_complete, cq_entries) are available, sleeps (using no CPU) until
// enough are or timeout_ns has passed (abi::kTimeoutPoll: never sleeps;
// abi::kTimeoutForever: no deadline). The clock is the scheduler tick, so a
// timeout lasts at least timeout_ns and at most two ticks more.
uint64_t cap_enter(Process& p, uint64_t min_complete, uint64_t timeout_ns);

}  // namespace capos

// Kernel event counters for measurement (docs/performance.md): system-call
// entries and CR3 writes, beside the scheduler's own tick and switch
// counts. Counting is one increment on each path; nothing reads the
// counters but the snapshot line below, so they grant no authority.
//
// At log level debug (`log=debug`, as `make run-measure` boots) the
// scheduler logs a snapshot when a process is added and when it has exited:
//
//   stats: pid P start: syscalls S irqs I cr3 C switches W handoffs H
//   stats: pid P exit: syscalls S irqs I cr3 C switches W handoffs H
//
// `irqs` is the PIT tick count (the only unmasked interrupt); `switches`
// counts every switch to a process, `handoffs` the direct ones among them
// (from one process straight to another, endpoint IPC). The measure
// kernel (capos-measure.elf, kernel/segments.hpp) adds a `segments:` line
// with the instructions spent in each segment of the system-call path. The two lines
// of one pid bracket that process's life; tools/measure/report.py divides
// their difference by the operations the process performed.
#pragma once

#include <cstdint>

#include "lib/base/string_view.hpp"

namespace capos::stats {

// Invariant: only incremented; wraps after 2^64 events.
inline constinit uint64_t g_syscalls = 0;
inline constinit uint64_t g_cr3_writes = 0;

inline void count_syscall() { ++g_syscalls; }
inline void count_cr3_write() { ++g_cr3_writes; }

// Logs a snapshot line at debug level; `when` is "start" or "exit".
void snapshot(StringView when, uint64_t pid);

}  // namespace capos::stats

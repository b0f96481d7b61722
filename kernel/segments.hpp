// Segment timestamps for the measure kernel variant (capos-measure.elf,
// docs/performance.md, "The CALL segment split"). Compiled in only when
// CAPOS_MEASURE_SEGMENTS is defined; in every other kernel each call below
// is empty and inlines to nothing.
//
// Every instruction the kernel retires inside a system call belongs to
// exactly one segment: begin() opens `Entry` at the top of
// syscall_dispatch, to(S) closes the open segment (adding the TSC ticks
// since the last stamp to it) and opens S, end() closes the open segment
// before the return to ring 3. Under `-icount shift=0` TSC ticks are
// retired instructions, so the buckets partition the kernel's share of a
// row exactly (each stamp adds its own ~10 instructions to the segment it
// closes; the assembly entry and exit stubs around syscall_dispatch are
// outside every segment).
//
// A direct switch happens inside a system call and lands inside another
// process's system call, so `Switch` covers the block, the switch and the
// woken process's way back up to its own next stamp.
//
// The totals are printed beside the event counters (kernel/stats.cpp) at
// log=debug; tools/measure/measurelib.py takes the deltas per benchmark
// process. They grant no authority: nothing in user space reads them.
#pragma once

#include <cstdint>

namespace capos::seg {

enum class Seg : uint32_t {
    None,    // outside a system call (ticks here are discarded)
    Entry,   // syscall_dispatch and cap_enter up to the first SQE
    Sqe,     // SQE fetch (KernelRing::next) and validation (decode_sqe)
    Lookup,  // capability lookup (CapTable::resolve, kind checks)
    Decode,  // params copied in and checked as a Cap'n Proto message
    Body,    // the method or endpoint operation itself
    Post,    // CQE post and results copied out
    Wake,    // making the peer runnable (sched_wake)
    Switch,  // blocking, the direct switch, the woken side's way back
    Pass,    // the end of a pass: end_pass, deferred completions, the wait check
    Count,
};
inline constexpr uint32_t kSegments = static_cast<uint32_t>(Seg::Count);
inline constexpr const char* kSegNames[kSegments] = {"none", "entry", "sqe",  "lookup", "decode",
                                                     "body", "post",  "wake", "switch", "pass"};

#ifdef CAPOS_MEASURE_SEGMENTS
inline constexpr bool kEnabled = true;

inline constinit uint64_t g_ticks[kSegments] = {};
inline constinit uint64_t g_last = 0;
inline constinit Seg g_open = Seg::None;

inline uint64_t tsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return (uint64_t{hi} << 32) | lo;
}
inline void to(Seg s) {
    uint64_t t = tsc();
    g_ticks[static_cast<uint32_t>(g_open)] += t - g_last;
    g_last = t;
    g_open = s;
}
inline void begin() {
    g_last = tsc();
    g_open = Seg::Entry;
}
inline void end() { to(Seg::None); }
#else
inline constexpr bool kEnabled = false;
inline constinit uint64_t g_ticks[kSegments] = {};
inline void to(Seg) {}
inline void begin() {}
inline void end() {}
#endif

}  // namespace capos::seg

// capos_rt_start: the C++ half of process entry (start.S is the first half).
#include <cstddef>
#include <cstdint>

#include "user/rt/heap.hpp"
#include "user/rt/rt.hpp"

extern "C" {
// Written by _start before any compiled code runs (offsets below).
capos::rt::EntrySnapshot capos_rt_entry_snapshot;

// Bounds of the constructor tables (user/rt/user.ld).
extern void (*const __preinit_array_start[])();
extern void (*const __preinit_array_end[])();
extern void (*const __init_array_start[])();
extern void (*const __init_array_end[])();

[[noreturn]] void capos_rt_start(uint64_t ring, uint64_t pid, uint64_t capset);
}

// start.S's SNAP_* offsets.
static_assert(offsetof(capos::rt::EntrySnapshot, rsp) == 0);
static_assert(offsetof(capos::rt::EntrySnapshot, return_slot) == 8);
static_assert(offsetof(capos::rt::EntrySnapshot, rflags) == 16);
static_assert(offsetof(capos::rt::EntrySnapshot, other_gprs) == 24);
static_assert(offsetof(capos::rt::EntrySnapshot, mxcsr) == 32);
static_assert(offsetof(capos::rt::EntrySnapshot, fcw) == 36);

namespace capos::rt {
const EntrySnapshot& entry_snapshot() { return capos_rt_entry_snapshot; }
}  // namespace capos::rt

namespace {
void run_table(void (*const* first)(), void (*const* last)()) {
    for (; first != last; ++first) (*first)();
}
}  // namespace

void capos_rt_start(uint64_t ring, uint64_t pid, uint64_t capset) {
    // Constructors may allocate: the heap comes first.
    capos::rt::heap_init();
    run_table(__preinit_array_start, __preinit_array_end);
    run_table(__init_array_start, __init_array_end);
    const capos::rt::StartInfo info{ring, pid, capset};
    capos::rt::sys_exit(capos_main(info));
}

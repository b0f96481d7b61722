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

// Defined by user/rt/console.cpp when the program links it: installs the
// Console panic hook. A weak reference does not pull the object from the
// archive, so programs that never use the Console do not carry it.
__attribute__((weak)) void capos_rt_console_init();
}

// start.S's SNAP_* offsets.
static_assert(offsetof(capos::rt::EntrySnapshot, rsp) == 0);
static_assert(offsetof(capos::rt::EntrySnapshot, return_slot) == 8);
static_assert(offsetof(capos::rt::EntrySnapshot, rflags) == 16);
static_assert(offsetof(capos::rt::EntrySnapshot, other_gprs) == 24);
static_assert(offsetof(capos::rt::EntrySnapshot, mxcsr) == 32);
static_assert(offsetof(capos::rt::EntrySnapshot, fcw) == 36);

namespace capos::rt {
namespace {
constinit StartInfo g_start_info{};
}  // namespace

const EntrySnapshot& entry_snapshot() { return capos_rt_entry_snapshot; }
const StartInfo& start_info() { return g_start_info; }
}  // namespace capos::rt

namespace {
void run_table(void (*const* first)(), void (*const* last)()) {
    for (; first != last; ++first) (*first)();
}
}  // namespace

void capos_rt_start(uint64_t ring, uint64_t pid, uint64_t capset) {
    capos::rt::g_start_info = capos::rt::StartInfo{ring, pid, capset};
    // Constructors may allocate: the heap comes first.
    capos::rt::heap_init();
    // The Console panic hook (if linked) is in place before constructors
    // run, and programs may replace it from them or from capos_main.
    if (capos_rt_console_init) capos_rt_console_init();
    run_table(__preinit_array_start, __preinit_array_end);
    run_table(__init_array_start, __init_array_end);
    capos::rt::sys_exit(capos_main(capos::rt::start_info()));
}

// spin: a CPU-bound program for the preemption scenario (qemu.sched_spin).
// It never enters the kernel while it computes: only the timer tick can
// take the CPU from it. Every kRound iterations of a busy loop it prints
// "spin <pid>: round N" through its Console, kRounds times, then
// "spin <pid>: done". Two of them started together must interleave.
//
// Exit code 0; 1 if printing failed.
#include <cstdint>

#include "lib/base/format.hpp"
#include "user/rt/console.hpp"
#include "user/rt/rt.hpp"

namespace {
constexpr int kRounds = 6;
constexpr uint64_t kRound = 3'000'000;
}  // namespace

int capos_main(const capos::rt::StartInfo& info) {
    char line[64];
    volatile uint64_t sink = 0;
    for (int r = 1; r <= kRounds; ++r) {
        for (uint64_t i = 0; i < kRound; ++i) sink = sink + i;
        capos::format_to(line, sizeof(line), "spin {}: round {}", info.pid, r);
        if (!capos::rt::print_line(line)) return 1;
    }
    capos::format_to(line, sizeof(line), "spin {}: done", info.pid);
    if (!capos::rt::print_line(line)) return 1;
    return 0;
}

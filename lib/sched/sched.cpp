// lib/sched is header-only; this file makes every flavour compile the
// headers (and gives the library an object).
#include "lib/sched/clock_math.hpp"
#include "lib/sched/queues.hpp"

namespace capos::sched {
namespace {
struct Node {
    Node* next;
    uint64_t wake_tick;
};
[[maybe_unused]] void instantiate() {
    RunQueue<Node> run;
    SleepList<Node> sleep;
    (void)sleep.wake_due(0, [&](Node* n) { run.push(n); });
}
static_assert(ns_from_cycles(10, 10, 100) == 100);
static_assert(timeout_deadline_tick(0, 5, 10) == 7);
}  // namespace
}  // namespace capos::sched

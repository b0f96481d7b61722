// The scheduler's queues and the clock's arithmetic (lib/sched).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "lib/sched/clock_math.hpp"
#include "lib/sched/queues.hpp"

using namespace capos::sched;

namespace {
struct Node {
    int id = 0;
    Node* next = nullptr;
    uint64_t wake_tick = 0;
    uint64_t ran = 0;
};
}  // namespace

// Round robin: N runnable processes, each preempted after one quantum and
// pushed back, all get the CPU equally and in a fixed rotation.
TEST(RunQueue, RoundRobinIsFair) {
    std::vector<Node> nodes(5);
    RunQueue<Node> run;
    for (int i = 0; i < 5; ++i) {
        nodes[i].id = i;
        run.push(&nodes[i]);
    }
    std::vector<int> order;
    for (int quantum = 0; quantum < 23; ++quantum) {
        Node* p = run.pop();
        ASSERT_NE(p, nullptr);
        order.push_back(p->id);
        ++p->ran;
        run.push(p);
    }
    for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], static_cast<int>(i % 5));
    uint64_t lo = UINT64_MAX, hi = 0;
    for (auto& n : nodes) {
        lo = std::min(lo, n.ran);
        hi = std::max(hi, n.ran);
    }
    EXPECT_LE(hi - lo, 1u);
    EXPECT_EQ(run.size(), 5u);
}

// Direct-switch handoff takes a woken process out of the middle of the queue.
TEST(RunQueue, RemoveKeepsTheRestInOrder) {
    std::vector<Node> nodes(4);
    RunQueue<Node> run;
    for (int i = 0; i < 4; ++i) {
        nodes[i].id = i;
        run.push(&nodes[i]);
    }
    EXPECT_TRUE(run.remove(&nodes[2]));
    EXPECT_FALSE(run.remove(&nodes[2]));
    EXPECT_TRUE(run.remove(&nodes[3]));  // the tail: a later push must still link
    run.push(&nodes[3]);
    EXPECT_TRUE(run.remove(&nodes[0]));  // the head
    EXPECT_EQ(run.size(), 2u);
    EXPECT_EQ(run.pop(), &nodes[1]);
    EXPECT_EQ(run.pop(), &nodes[3]);
    EXPECT_EQ(run.pop(), nullptr);
    EXPECT_TRUE(run.empty());
}

TEST(SleepList, WakesAtItsTickInOrder) {
    Node a{.id = 1}, b{.id = 2}, c{.id = 3}, d{.id = 4};
    SleepList<Node> sleep;
    RunQueue<Node> run;
    auto push = [&](Node* n) { run.push(n); };
    sleep.insert(&a, 10);
    sleep.insert(&b, 5);
    sleep.insert(&c, 10);
    sleep.insert(&d, UINT64_MAX);
    EXPECT_EQ(sleep.next_tick(), 5u);
    EXPECT_EQ(sleep.wake_due(4, push), 0u);
    EXPECT_EQ(sleep.wake_due(5, push), 1u);
    EXPECT_EQ(run.pop(), &b);
    EXPECT_EQ(sleep.wake_due(9, push), 0u);
    EXPECT_EQ(sleep.wake_due(12, push), 2u);
    EXPECT_EQ(run.pop(), &a);  // equal ticks: the order they slept in
    EXPECT_EQ(run.pop(), &c);
    EXPECT_EQ(sleep.wake_due(UINT64_MAX - 1, push), 0u);  // "forever" never comes
    EXPECT_TRUE(sleep.remove(&d));
    EXPECT_FALSE(sleep.remove(&d));
    EXPECT_EQ(sleep.size(), 0u);
    EXPECT_EQ(sleep.next_tick(), UINT64_MAX);
}

// Random sleeps and ticks against a model: each sleeper wakes at the
// first tick >= its wake tick, never earlier, exactly once.
RC_GTEST_PROP(SleepList, WakesExactlyWhenDue, ()) {
    auto ticks = *rc::gen::container<std::vector<uint64_t>>(rc::gen::inRange<uint64_t>(0, 50));
    std::vector<Node> nodes(ticks.size());
    SleepList<Node> sleep;
    RunQueue<Node> run;
    auto push = [&](Node* n) { run.push(n); };
    for (size_t i = 0; i < ticks.size(); ++i) {
        nodes[i].id = static_cast<int>(i);
        sleep.insert(&nodes[i], ticks[i]);
    }
    std::vector<int> woke_at(ticks.size(), -1);
    for (uint64_t now = 0; now <= 50; now += *rc::gen::inRange<uint64_t>(1, 4)) {
        sleep.wake_due(now, push);
        while (Node* p = run.pop()) {
            RC_ASSERT(woke_at[p->id] == -1);
            RC_ASSERT(p->wake_tick <= now);
            woke_at[p->id] = static_cast<int>(now);
        }
        for (size_t i = 0; i < ticks.size(); ++i)
            if (ticks[i] <= now) RC_ASSERT(woke_at[i] != -1);
    }
}

TEST(ClockMath, NsFromCycles) {
    EXPECT_EQ(ns_from_cycles(0, 1000, 10'000'000), 0u);
    EXPECT_EQ(ns_from_cycles(1000, 1000, 10'000'000), 10'000'000u);
    EXPECT_EQ(ns_from_cycles(1500, 1000, 10'000'000), 15'000'000u);
    EXPECT_EQ(ns_from_cycles(UINT64_MAX, 1, 10'000'000), UINT64_MAX);  // saturates
    EXPECT_EQ(ns_from_cycles(7, 0, 10), 70u);                          // 0 rate treated as 1
}

RC_GTEST_PROP(ClockMath, NsIsMonotonic, (uint64_t a, uint64_t b)) {
    uint64_t rate = *rc::gen::inRange<uint64_t>(1, 1'000'000'000);
    uint64_t lo = std::min(a, b), hi = std::max(a, b);
    RC_ASSERT(ns_from_cycles(lo, rate, 10'000'000) <= ns_from_cycles(hi, rate, 10'000'000));
}

// A timeout's deadline tick is at least timeout_ns after any instant of
// the current tick, and at most two ticks more than needed.
RC_GTEST_PROP(ClockMath, TimeoutCoversTheWholeWait, ()) {
    constexpr uint64_t kNs = 10'000'000;
    uint64_t timeout = *rc::gen::inRange<uint64_t>(0, 1'000'000'000'000);
    uint64_t now_tick = *rc::gen::inRange<uint64_t>(0, 1'000'000);
    uint64_t into_tick = *rc::gen::inRange<uint64_t>(0, kNs);  // how far the current tick has run
    uint64_t deadline = timeout_deadline_tick(timeout, now_tick, kNs);
    uint64_t start_ns = now_tick * kNs + into_tick;
    RC_ASSERT(deadline * kNs >= start_ns + timeout);
    RC_ASSERT(deadline * kNs <= start_ns + timeout + 3 * kNs);
}

RC_GTEST_PROP(ClockMath, DeadlineTickIsNotEarly, ()) {
    constexpr uint64_t kNs = 10'000'000;
    uint64_t now_tick = *rc::gen::inRange<uint64_t>(0, 1'000'000);
    uint64_t into_tick = *rc::gen::inRange<uint64_t>(0, kNs - 1);
    uint64_t now_ns = now_tick * kNs + into_tick;
    uint64_t deadline_ns = now_ns + *rc::gen::inRange<uint64_t>(0, 100 * kNs);
    uint64_t tick = tick_for_deadline(deadline_ns, now_ns, now_tick, kNs);
    // The tick it names starts less than one tick before the deadline (the
    // caller re-checks the clock when it wakes) and less than two after.
    RC_ASSERT(tick * kNs + kNs > deadline_ns);
    RC_ASSERT(tick * kNs < deadline_ns + 2 * kNs);
    // Waking one tick later is never early.
    RC_ASSERT((tick + 1) * kNs >= deadline_ns);
}

TEST(ClockMath, Saturates) {
    EXPECT_EQ(timeout_deadline_tick(UINT64_MAX, UINT64_MAX - 1, 10), UINT64_MAX);
    EXPECT_EQ(timeout_deadline_tick(UINT64_MAX, 0, 1), UINT64_MAX);  // timeout/tick + 2 would wrap
    EXPECT_EQ(timeout_deadline_tick(UINT64_MAX - 2, 0, 1), UINT64_MAX);
    EXPECT_EQ(timeout_deadline_tick(UINT64_MAX - 3, 0, 1), UINT64_MAX - 1);
    EXPECT_EQ(tick_for_deadline(UINT64_MAX, 0, UINT64_MAX - 1, 1), UINT64_MAX);
    EXPECT_EQ(deadline_after(UINT64_MAX - 5, 10), UINT64_MAX);
    EXPECT_EQ(deadline_after(5, 10), 15u);
    EXPECT_EQ(tick_for_deadline(100, 200, 7, 10), 7u);  // already passed
}

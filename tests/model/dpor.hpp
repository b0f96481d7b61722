// A deterministic scheduler for small concurrent programs whose threads
// share memory only through instrumented accesses (Engine::access), and
// two ways to drive it:
//
//   explore_all   stateless depth-first search over every interleaving,
//                 with dynamic partial-order reduction (Flanagan and
//                 Godefroid, POPL 2005): two schedules that differ only in
//                 the order of independent accesses (different words, or
//                 two loads) reach the same states, so only one of them is
//                 run. Every Mazurkiewicz trace of the program (every
//                 distinct ordering of conflicting accesses) is executed at
//                 least once. Each run re-executes the program from scratch
//                 along a recorded prefix of choices.
//   run_random    one schedule chosen by a caller's random source (property
//                 tests with larger configurations).
//
// Threads are fibers (fiber.hpp). A thread's step is one shared access plus
// the local computation that follows it up to its next access; the
// scheduler picks which thread takes the next step. The model is
// sequentially consistent: every access is atomic and happens in the
// chosen order.
//
// Threads never block (they poll), so every unfinished thread is enabled.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "tests/model/fiber.hpp"
#include "tests/model/model.hpp"

namespace capos::model {

inline constexpr uint32_t kMaxThreads = 4;

// One execution of the program under test. A fresh Program is made for
// every run.
class Program {
public:
    virtual ~Program() = default;
    virtual uint32_t thread_count() const = 0;
    // Runs on thread t's fiber. Shared accesses go through Engine::access.
    virtual void thread_main(uint32_t t) = 0;
    // Runs after every thread has finished (no interleaving): final checks.
    virtual void finish() = 0;
    // A fingerprint of what the run observed (for cross-checking the
    // reduction against exhaustive exploration); 0 if not provided.
    virtual std::pair<uint64_t, uint64_t> outcome() const { return {0, 0}; }
};

class Engine {
public:
    struct Stats {
        uint64_t runs = 0;
        uint64_t steps = 0;
        uint32_t longest = 0;
        uint64_t sleep_blocked = 0;  // runs cut short as redundant by sleep sets
    };
    using Factory = std::function<std::unique_ptr<Program>(Engine&)>;

    // A yield point: called by a thread just before it performs a shared
    // access of `size` bytes at `addr`. Returns when the scheduler lets the
    // thread perform it. Outside the threaded phase it returns at once.
    void access(const void* addr, uint32_t size, bool write) {
        if (!threaded_) return;
        pending_[current_] = Access{reinterpret_cast<uintptr_t>(addr), size, write};
        fibers_[current_]->yield();
    }

    bool threaded() const { return threaded_; }
    uint32_t current() const { return current_; }
    // The schedule of the run in progress (thread of each step), for reports.
    const std::vector<uint8_t>& schedule() const { return schedule_; }

    // Every interleaving, up to independence. Fails (violation) when the
    // number of runs exceeds max_runs, so a bound is never silently cut.
    // `reduce` false: every interleaving, no reduction at all (to validate
    // the reduction on small programs). Each run's outcome() goes to
    // `outcomes` when given.
    Stats explore_all(const Factory& make, uint64_t max_runs, bool reduce = true,
                      std::vector<std::pair<uint64_t, uint64_t>>* outcomes = nullptr) {
        Stats st;
        nodes_.clear();
        outcomes_ = outcomes;
        for (;;) {
            run_one(make, reduce ? Mode::Dpor : Mode::Naive, nullptr, &st);
            if (st.runs > max_runs)
                violation("model.bound", "more than %llu runs: raise the bound or shrink the model",
                          static_cast<unsigned long long>(max_runs));
            // Backtrack to the deepest node with an unexplored choice.
            while (!nodes_.empty()) {
                Node& n = nodes_.back();
                uint32_t todo = n.backtrack & ~n.done & ~n.sleep;
                if (todo) {
                    n.chosen = static_cast<uint8_t>(__builtin_ctz(todo));
                    break;
                }
                nodes_.pop_back();
            }
            if (nodes_.empty()) return st;
        }
    }

    // One run whose every choice is rng(enabled thread count).
    void run_random(const Factory& make, const std::function<uint32_t(uint32_t)>& rng, Stats* st) {
        outcomes_ = nullptr;
        run_one(make, Mode::Random, &rng, st);
    }

private:
    enum class Mode { Dpor, Naive, Random };

    struct Access {
        uintptr_t addr = 0;
        uint32_t size = 0;
        bool write = false;
    };
    static bool conflict(const Access& a, const Access& b) {
        return (a.write || b.write) && a.addr < b.addr + b.size && b.addr < a.addr + a.size;
    }

    using Clock = std::array<uint32_t, kMaxThreads>;

    // A state of the current schedule (the state before step k).
    struct Node {
        uint32_t enabled = 0;
        uint32_t backtrack = 0;
        uint32_t done = 0;
        uint32_t sleep = 0;  // threads whose next step here is known redundant
        uint8_t chosen = 0;
        std::array<Access, kMaxThreads> pending{};
    };
    struct Step {
        uint8_t thread;
        Access access;
        Clock clock;  // vector clock: step j of thread t happens-before iff clock[t] >= j + 1
    };

    static void fiber_entry(void* arg) {
        auto* self = static_cast<Engine*>(arg);
        self->program_->thread_main(self->starting_);
    }

    uint32_t enabled_mask() const {
        uint32_t m = 0;
        for (uint32_t t = 0; t < nthreads_; ++t)
            if (!fibers_[t]->done()) m |= 1u << t;
        return m;
    }

    // The DPOR update at a newly reached state k: for every thread p whose
    // next access conflicts with an earlier step i of another thread that
    // does not happen-before p, p must also be tried at state i (or, if p
    // was not enabled there, every thread that was).
    void add_backtracks(uint32_t k) {
        const Node& node = nodes_[k];
        for (uint32_t p = 0; p < nthreads_; ++p) {
            if (!(node.enabled & (1u << p))) continue;
            const Access& next = node.pending[p];
            for (uint32_t i = k; i-- > 0;) {
                const Step& s = trace_[i];
                if (s.thread == p || !conflict(s.access, next)) continue;
                if (thread_clock_[p][s.thread] >= i + 1) break;  // ordered already
                Node& pre = nodes_[i];
                if (pre.enabled & (1u << p))
                    pre.backtrack |= 1u << p;
                else
                    pre.backtrack |= pre.enabled;
                break;
            }
        }
    }

    void record_step(uint32_t k, uint32_t t, const Access& a) {
        Clock c = thread_clock_[t];
        for (uint32_t j = 0; j < k; ++j) {
            const Step& s = trace_[j];
            if (s.thread != t && conflict(s.access, a))
                for (uint32_t q = 0; q < kMaxThreads; ++q) c[q] = std::max(c[q], s.clock[q]);
        }
        c[t] = k + 1;
        trace_.push_back(Step{static_cast<uint8_t>(t), a, c});
        thread_clock_[t] = c;
    }

    void run_one(const Factory& make, Mode mode, const std::function<uint32_t(uint32_t)>* rng, Stats* st) {
        std::unique_ptr<Program> prog = make(*this);
        program_ = prog.get();
        nthreads_ = prog->thread_count();
        if (nthreads_ == 0 || nthreads_ > kMaxThreads) violation("model.setup", "bad thread count");
        while (fibers_.size() < nthreads_) fibers_.push_back(std::make_unique<Fiber>());
        trace_.clear();
        schedule_.clear();
        for (auto& c : thread_clock_) c.fill(0);
        threaded_ = true;
        // Each thread runs its local prologue up to its first access.
        for (uint32_t t = 0; t < nthreads_; ++t) {
            starting_ = t;
            current_ = t;
            fibers_[t]->start(&Engine::fiber_entry, this);
            fibers_[t]->resume();
        }
        const size_t replay = nodes_.size();
        uint32_t k = 0;
        uint32_t prev = 0;
        bool blocked = false;  // every enabled thread asleep: the rest is redundant
        for (uint32_t enabled; (enabled = enabled_mask()) != 0; ++k) {
            uint32_t choice;
            if (mode == Mode::Random) {
                uint32_t count = static_cast<uint32_t>(__builtin_popcount(enabled));
                uint32_t pick = (*rng)(count);
                choice = 0;
                for (uint32_t t = 0, seen = 0; t < nthreads_; ++t)
                    if (enabled & (1u << t)) {
                        if (seen++ == pick) choice = t;
                    }
            } else if (k < replay) {
                Node& n = nodes_[k];
                if (n.enabled != enabled || !same(n.pending[n.chosen], pending_[n.chosen]))
                    violation("model.nondeterminism", "replay diverged at step %u", k);
                choice = n.chosen;
                n.done |= 1u << choice;
            } else if (mode == Mode::Naive) {
                Node n;
                n.enabled = enabled;
                n.pending = pending_;
                choice = static_cast<uint32_t>(__builtin_ctz(enabled));
                n.chosen = static_cast<uint8_t>(choice);
                n.backtrack = enabled;
                n.done = 1u << choice;
                nodes_.push_back(n);
            } else if (blocked) {
                choice = (enabled & (1u << prev)) ? prev : static_cast<uint32_t>(__builtin_ctz(enabled));
            } else {
                Node n;
                n.enabled = enabled;
                n.pending = pending_;
                // Sleep sets (Godefroid): a thread asleep at the parent, or
                // explored there before the step just taken, stays asleep
                // while its next access is independent of that step.
                if (k > 0) {
                    const Node& parent = nodes_[k - 1];
                    const Access& taken = parent.pending[parent.chosen];
                    uint32_t cand = (parent.sleep | parent.done) & ~(1u << parent.chosen) & enabled;
                    for (uint32_t q = 0; q < nthreads_; ++q)
                        if ((cand & (1u << q)) && !conflict(parent.pending[q], taken)) n.sleep |= 1u << q;
                }
                nodes_.push_back(n);
                add_backtracks(k);
                uint32_t awake = enabled & ~n.sleep;
                if (awake == 0) {
                    nodes_.pop_back();
                    blocked = true;
                    ++st->sleep_blocked;
                    choice = (enabled & (1u << prev)) ? prev : static_cast<uint32_t>(__builtin_ctz(enabled));
                } else {
                    // Default: keep running the previous thread (fewest switches).
                    choice = (awake & (1u << prev)) ? prev : static_cast<uint32_t>(__builtin_ctz(awake));
                    Node& m = nodes_.back();
                    m.chosen = static_cast<uint8_t>(choice);
                    m.backtrack = 1u << choice;
                    m.done = 1u << choice;
                }
            }
            if (mode == Mode::Dpor && !blocked) record_step(k, choice, pending_[choice]);
            schedule_.push_back(static_cast<uint8_t>(choice));
            prev = choice;
            current_ = choice;
            fibers_[choice]->resume();
        }
        threaded_ = false;
        if (mode != Mode::Random && nodes_.size() > k) nodes_.resize(k);
        prog->finish();
        if (outcomes_ && !blocked) outcomes_->push_back(prog->outcome());
        program_ = nullptr;
        ++st->runs;
        st->steps += k;
        if (k > st->longest) st->longest = k;
    }

    static bool same(const Access& a, const Access& b) {
        return a.addr == b.addr && a.size == b.size && a.write == b.write;
    }

    std::vector<std::unique_ptr<Fiber>> fibers_;
    Program* program_ = nullptr;
    uint32_t nthreads_ = 0;
    uint32_t starting_ = 0;
    uint32_t current_ = 0;
    bool threaded_ = false;
    std::array<Access, kMaxThreads> pending_{};
    std::array<Clock, kMaxThreads> thread_clock_{};
    std::vector<Node> nodes_;
    std::vector<Step> trace_;
    std::vector<uint8_t> schedule_;
    std::vector<std::pair<uint64_t, uint64_t>>* outcomes_ = nullptr;
};

}  // namespace capos::model

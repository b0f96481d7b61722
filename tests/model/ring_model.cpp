// Interleaving check of the ring protocol (lib/ring KernelRing and
// UserRing): every interleaving, up to independence, of one producer, one
// kernel consumer and (in hostile scenarios) one thread that overwrites
// ring indices, in small configurations. ring_world.hpp describes the
// threads and the invariants; dpor.hpp the exploration.
//
// Usage: model_ring [quick]   ("quick": only the first hostile plan, for the
//                              planted-bug gate)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "tests/model/dpor.hpp"
#include "tests/model/ring_world.hpp"

namespace {

using namespace capos::model;
using namespace capos::model::ringm;

struct Totals {
    uint64_t runs = 0;
    uint64_t steps = 0;
};

void check(const RingScenario& sc, Totals* totals) {
    Stopwatch sw;
    Engine engine;
    violation_context() = [&] {
        std::fprintf(stderr, "  scenario: %s\n  schedule (0 producer, 1 kernel, 2 hostile):", sc.name.c_str());
        for (uint8_t t : engine.schedule()) std::fprintf(stderr, " %u", t);
        std::fprintf(stderr, "\n");
    };
    coverage() = Coverage{};
    Engine::Stats st = engine.explore_all(
        [&](Engine& e) { return std::unique_ptr<Program>(new RingWorld(e, sc)); }, 5'000'000);
    violation_context() = nullptr;
    const Coverage& c = coverage();
    std::printf("  %s\n    %llu runs (%llu cut short as redundant), up to %u steps, %.1f s; runs with: SQ full %llu, "
                "CQ full %llu, post refused %llu, sq_tail claim clamped %llu\n",
                sc.name.c_str(), static_cast<unsigned long long>(st.runs),
                static_cast<unsigned long long>(st.sleep_blocked), st.longest, sw.seconds(),
                static_cast<unsigned long long>(c.sq_full), static_cast<unsigned long long>(c.cq_full),
                static_cast<unsigned long long>(c.post_refused), static_cast<unsigned long long>(c.torn_claim));
    std::fflush(stdout);
    totals->runs += st.runs;
    totals->steps += st.steps;
}

// Cross-checks the reduction on a small scenario: exploring every
// interleaving with no reduction at all, and with the reduction (and, for
// honest scenarios, with every entry word as a scheduling point), must
// observe exactly the same set of outcomes.
void validate(const RingScenario& sc, Totals* totals) {
    Stopwatch sw;
    auto outcomes = [&](const RingScenario& s, bool reduce, Engine::Stats* st) {
        Engine engine;
        std::vector<std::pair<uint64_t, uint64_t>> out;
        violation_context() = [&] {
            std::fprintf(stderr, "  scenario: %s\n  schedule:", s.name.c_str());
            for (uint8_t t : engine.schedule()) std::fprintf(stderr, " %u", t);
            std::fprintf(stderr, "\n");
        };
        *st = engine.explore_all([&](Engine& e) { return std::unique_ptr<Program>(new RingWorld(e, s)); },
                                 5'000'000, reduce, &out);
        violation_context() = nullptr;
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        totals->runs += st->runs;
        totals->steps += st->steps;
        return out;
    };
    Engine::Stats full, reduced;
    auto a = outcomes(sc, false, &full);
    auto b = outcomes(sc, true, &reduced);
    MODEL_REQUIRE(a == b, "model.reduction", "%s: %zu outcomes without reduction, %zu with", sc.name.c_str(),
                  a.size(), b.size());
    std::printf("  %-58s %zu outcomes: %llu interleavings unreduced, %llu reduced", sc.name.c_str(), a.size(),
                static_cast<unsigned long long>(full.runs), static_cast<unsigned long long>(reduced.runs));
    if (sc.honest()) {
        // Finer scheduling of entry words must not find anything new.
        for (Granularity g : {Granularity::Entry, Granularity::Word}) {
            RingScenario fine = sc;
            fine.granularity = g;
            Engine::Stats st;
            auto c = outcomes(fine, true, &st);
            const char* gname = g == Granularity::Entry ? "entry" : "word";
            MODEL_REQUIRE(a == c, "model.reduction", "%s: %zu outcomes with %s steps, %zu without",
                          sc.name.c_str(), c.size(), gname, a.size());
            std::printf(", %llu with %s steps", static_cast<unsigned long long>(st.runs), gname);
        }
    }
    std::printf(", %.1f s\n", sw.seconds());
    std::fflush(stdout);
}

RingScenario honest(const char* name, uint32_t sq, uint32_t cq, uint32_t initial, uint32_t sqes, uint32_t retries,
                    uint32_t reaps, uint32_t passes) {
    RingScenario s;
    s.name = name;
    s.sq_entries = sq;
    s.cq_entries = cq;
    s.initial_index = initial;
    s.sqes = sqes;
    s.retries = retries;
    s.reaps = reaps;
    s.passes = passes;
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = argc > 1 && std::strcmp(argv[1], "quick") == 0;
    if (argc == 8 && std::strcmp(argv[1], "one") == 0) {
        Totals t;
        check(honest("custom", std::atoi(argv[2]), std::atoi(argv[3]), 0, std::atoi(argv[4]), std::atoi(argv[5]),
                     std::atoi(argv[6]), std::atoi(argv[7])),
              &t);
        return 0;
    }
    Stopwatch sw;
    Totals totals;

    if (!quick) {
        std::printf("ring model: the reduction against unreduced exploration\n");
        validate(honest("validate: honest sq1 cq1, 2 SQEs, 2 passes", 1, 1, 0, 2, 0, 1, 2), &totals);
        validate(honest("validate: honest sq2 cq2, 2 SQEs, 1 pass", 2, 2, 0, 2, 0, 1, 1), &totals);
        for (HostileWrite w : {HostileWrite{Word::SqTail, Word::SqHead, 3}, HostileWrite{Word::CqHead, Word::CqTail, -3},
                               HostileWrite{Word::CqHead, Word::CqTail, 0}}) {
            RingScenario x = honest("validate: hostile sq1 cq1, 1 SQE, 1 pass: ", 1, 1, 0, 1, 0, 0, 1);
            x.hostile = {w};
            x.name += describe(w);
            validate(x, &totals);
        }
    }

    if (!quick) std::printf("ring model: honest producer and kernel\n");
    std::vector<RingScenario> honest_cases = {
        honest("honest sq2 cq2, 4 SQEs, 2 passes, from 0", 2, 2, 0, 4, 1, 2, 2),
        honest("honest sq2 cq2, 3 SQEs, 3 passes, across 2^32", 2, 2, 0xFFFF'FFFEu, 3, 1, 2, 3),
        honest("honest sq1 cq1, 2 SQEs, 3 passes", 1, 1, 0xFFFF'FFFFu, 2, 1, 1, 3),
        honest("honest sq2 cq4, 4 SQEs, 2 passes", 2, 4, 0, 4, 1, 2, 2),
        honest("honest sq4 cq4, 5 SQEs, 2 passes", 4, 4, 0, 5, 1, 1, 2),
    };
    if (!quick)
        for (const auto& sc : honest_cases) check(sc, &totals);

    std::printf("ring model: producer, kernel and a hostile writer (then resync)\n");
    const std::vector<std::vector<HostileWrite>> plans = {
        {{Word::SqTail, Word::SqHead, 3}},            // far ahead: more than sq_entries
        {{Word::SqTail, Word::SqHead, -1}},           // behind the kernel's head
        {{Word::SqTail, Word::SqHead, INT32_MIN}},    // half the index space away
        {{Word::SqTail, Word::SqTail, 1}},            // one SQE that was never written
        {{Word::CqHead, Word::CqTail, 0}},            // claims every CQE reaped
        {{Word::CqHead, Word::CqTail, 1}},            // ahead of cq_tail
        {{Word::CqHead, Word::CqTail, -3}},           // more than cq_entries unread
        {{Word::CqHead, Word::CqHead, -1}},           // moves back
        {{Word::SqHead, Word::SqHead, 5}},            // scribbles a kernel-owned word
        {{Word::CqTail, Word::CqTail, -1}},           // scribbles a kernel-owned word
        {{Word::SqTail, Word::SqHead, 3}, {Word::CqHead, Word::CqTail, 0}},
        {{Word::CqHead, Word::CqTail, -3}, {Word::SqTail, Word::SqHead, -1}},
    };
    for (size_t i = 0; i < plans.size(); ++i) {
        if (quick && i > 0) break;
        // Two writes multiply the schedules: the producer then makes no
        // reap attempts after submitting.
        const uint32_t reaps = plans[i].size() > 1 ? 0 : 1;
        RingScenario sc = honest("", 2, 2, 0xFFFF'FFFFu, 2, 1, reaps, 2);
        sc.hostile = plans[i];
        sc.name = reaps ? "hostile sq2 cq2, 2 SQEs, 2 passes:" : "hostile sq2 cq2, 2 SQEs (no reaps after), 2 passes:";
        for (const HostileWrite& w : plans[i]) sc.name += " " + describe(w) + ";";
        check(sc, &totals);
    }
    std::printf("ring model: %llu runs (%llu steps) in %.1f s: OK\n",
                static_cast<unsigned long long>(totals.runs), static_cast<unsigned long long>(totals.steps),
                sw.seconds());
    return 0;
}

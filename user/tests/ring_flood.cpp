// ring_flood: fills the CQ without reaping and checks the kernel's CQ-full
// rules (docs/abi.md 4.2, 5.6, 5.7).
//
// Submits NOPs (user_data 1, 2, ...) in SQ-sized batches and enters with
// kTimeoutPoll without reaping until the kernel reports SqBacklog. While
// the CQ is full nothing can be printed (a Console call cannot complete
// either), so the lines come at the end. Needs CapSet "console". Exit 0 if
// every check held, else the number of the first failed check; 100
// without a Console.
//
//   1 the flood: the CQ filled to exactly cq_entries, SqBacklog set, the
//     last batch still queued (sq_pending), cq_overflow grew
//   2 entering again while full: cap_enter returns cq_entries, cq_overflow
//     grows on every pass, nothing is consumed
//   3 no unread CQE was overwritten: the cq_entries CQEs carry user_data
//     1..cq_entries in order, each result 0
//   4 after reaping, one cap_enter consumes the queued batch and clears
//     SqBacklog
//   5 every NOP completed exactly once (no loss, no duplicate)
//   6 the Console works afterwards
#include <cstddef>
#include <cstdint>

#include "user/tests/ring_common.hpp"

namespace {

using namespace ringtest;

constexpr const char* kProg = "ring_flood";
constexpr uint32_t kMaxNops = abi::kMaxCqEntries + abi::kMaxSqEntries;

Verdict g_verdict;
uint8_t g_seen[kMaxNops + 1];

abi::Cqe peek_cqe(rt::RingClient& ring, uint32_t index) {
    const auto& g = ring.geometry();
    const uint8_t* slot = reinterpret_cast<const uint8_t*>(ring.header()) + g.cq_offset() +
                          size_t{index & g.cq_mask()} * sizeof(abi::Cqe);
    abi::Cqe c;
    __builtin_memcpy(&c, slot, sizeof(c));
    return c;
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto rr = rt::ring();
    if (!rr || !rt::print_line("ring_flood: start")) return 100;
    rt::RingClient& ring = *rr.value();
    const uint32_t sq = ring.geometry().sq_entries();
    const uint32_t cq = ring.geometry().cq_entries();
    char got[96];

    Check c1(kProg, 1, "flood: CQ full, SqBacklog set, batch left queued");
    Check c2(kProg, 2, "entering while full counts overflow, consumes nothing");
    Check c3(kProg, 3, "no unread CQE overwritten");
    Check c4(kProg, 4, "after reaping, the queued batch runs and SqBacklog clears");
    Check c5(kProg, 5, "every NOP completed exactly once");

    // Every CQE of the print above has been reaped: the CQ starts empty.
    uint32_t overflow0 = ring.overflow_count();
    uint32_t cq_head0 = ring.header()->cq_head;
    uint64_t submitted = 0;
    uint32_t last_count = 0;
    for (uint32_t round = 0; round < cq / sq + 2 && !ring.backlog(); ++round) {
        while (ring.sq_space() > 0 && submitted < kMaxNops) {
            abi::Sqe s{};
            s.user_data = ++submitted;
            if (!ring.submit(s)) break;
        }
        last_count = ring.enter(0, abi::kTimeoutPoll);
    }
    {
        c1.expect(ring.backlog(), "SqBacklog", "never set");
        c1.expect(ring.cq_ready() == cq, "CQ",
                  StringView(got, capos::format_to(got, sizeof(got), "{} ready of {}",
                                                   ring.cq_ready(), cq)));
        c1.expect(last_count == cq, "cap_enter's count",
                  StringView(got, capos::format_to(got, sizeof(got), "returned {}", last_count)));
        c1.expect(ring.sq_pending() == submitted - cq, "queued",
                  StringView(got, capos::format_to(got, sizeof(got), "{} pending of {} submitted",
                                                   ring.sq_pending(), submitted)));
        c1.expect(ring.overflow_count() != overflow0, "cq_overflow", "unchanged");
    }
    {
        uint32_t pending = ring.sq_pending();
        for (int i = 0; i < 5; ++i) {
            uint32_t before = ring.overflow_count();
            uint32_t n = ring.enter(0, abi::kTimeoutPoll);
            c2.expect(n == cq, "cap_enter's count",
                      StringView(got, capos::format_to(got, sizeof(got), "returned {}", n)));
            c2.expect(ring.overflow_count() != before, "cq_overflow", "unchanged");
            c2.expect(ring.sq_pending() == pending, "sq_pending", "changed");
            c2.expect(ring.backlog(), "SqBacklog", "cleared");
        }
    }
    {
        for (uint32_t k = 0; k < cq; ++k) {
            abi::Cqe q = peek_cqe(ring, cq_head0 + k);
            c3.expect(q.user_data == k + 1 && q.result == 0, "CQE",
                      StringView(got, capos::format_to(got, sizeof(got),
                                                       "slot {}: user_data {} result {}", k,
                                                       q.user_data, q.result)));
        }
    }
    uint64_t reaped = 0;
    auto reap_all = [&] {
        abi::Cqe q;
        while (ring.reap(&q)) {
            ++reaped;
            if (q.user_data >= 1 && q.user_data <= kMaxNops && q.result == 0) {
                if (g_seen[q.user_data] < 255) ++g_seen[q.user_data];
            } else {
                c5.fail("CQE", StringView(got, capos::format_to(got, sizeof(got),
                                                               "user_data {} result {}",
                                                               q.user_data, q.result)));
            }
        }
    };
    reap_all();
    {
        uint32_t n = ring.enter(0, abi::kTimeoutPoll);
        uint32_t queued = static_cast<uint32_t>(submitted - cq);
        c4.expect(n == queued, "cap_enter's count",
                  StringView(got, capos::format_to(got, sizeof(got), "returned {} for {}", n,
                                                   queued)));
        c4.expect(ring.sq_pending() == 0, "sq_pending", "not zero");
        c4.expect(!ring.backlog(), "SqBacklog", "still set");
    }
    reap_all();
    c5.expect(reaped == submitted, "count",
              StringView(got, capos::format_to(got, sizeof(got), "{} reaped of {}", reaped,
                                               submitted)));
    for (uint64_t u = 1; u <= submitted; ++u) {
        if (g_seen[u] != 1) {
            c5.fail("NOP", StringView(got, capos::format_to(got, sizeof(got),
                                                           "user_data {} completed {} times", u,
                                                           g_seen[u])));
            break;
        }
    }

    say("ring_flood: {} NOPs submitted, CQ of {}, SQ of {}, overflow count {}", submitted, cq, sq,
        ring.overflow_count() - overflow0);
    g_verdict.add(c1, 1);
    g_verdict.add(c2, 2);
    g_verdict.add(c3, 3);
    g_verdict.add(c4, 4);
    g_verdict.add(c5, 5);
    {
        Check c(kProg, 6, "the Console works afterwards");
        auto ok = rt::print_line("ring_flood: the Console still works");
        c.expect(ok.ok(), "writeLine", ok ? "ok" : capos::error_name(ok.error()));
        g_verdict.add(c, 6);
    }
    say("ring_flood: done, first failed check {}", g_verdict.first_failed);
    return g_verdict.first_failed;
}

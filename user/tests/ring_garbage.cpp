// ring_garbage: the process scribbles on the ring header's indices and the
// kernel must survive, bound its work and never trust them (docs/abi.md 5).
//
// Works on the raw header (the RingClient is bypassed while the indices
// are garbage); after each check the client resynchronises to the kernel's
// published indices (RingClient::resynchronise) and reports through the
// Console. Needs CapSet "console". Exit 0 if every check held, else the
// number of the first failed check; 100 without a Console.
//
//   1 baseline: a writeLine works; the geometry is sane
//   2 sq_tail = sq_head + 2^31 (every SQ slot a NOP with a known user_data):
//     one cap_enter consumes exactly sq_entries SQEs, posts their CQEs in
//     slot order (result 0) and returns sq_entries; a second pass does it
//     again (the clamp is per pass)
//   3 sq_tail behind sq_head (sq_head - 5): clamped to sq_entries likewise
//   4 sq_tail = sq_head + 1000: clamped to sq_entries
//   5 cq_head ahead of cq_tail, with one NOP queued: the CQ reads as full,
//     cap_enter returns cq_entries, the NOP is not consumed, cq_tail does
//     not move, cq_overflow grows, SqBacklog is set
//   6 cq_head more than cq_entries behind cq_tail: the same
//   7 an honest cq_head again: the queued NOP completes, SqBacklog clears
//   8 the kernel-written words (sq_head, flags, cq_tail, cq_overflow)
//     scribbled: the next cap_enter publishes the kernel's values again
//   9 line 0 (geometry, offsets) scribbled: the kernel keeps its own
//     geometry and a NOP still completes; line 0 is then restored
//  10 cap_enter with hostile arguments (min_complete 2^64-1, a huge
//     timeout) returns at most cq_entries
//  11 after resynchronising, a writeLine through the Console works
#include <cstddef>
#include <cstdint>

#include "user/rt/syscall.hpp"
#include "user/tests/ring_common.hpp"

namespace {

using namespace ringtest;

constexpr const char* kProg = "ring_garbage";
constexpr uint64_t kMarker = 0x6A72'0000'0000'0000;  // user_data of prefilled NOPs

// The ring as raw memory.
struct Raw {
    abi::RingHeader* h;
    uint8_t* base;
    uint32_t sq_entries;
    uint32_t cq_entries;

    static uint32_t load(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
    static void store(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

    uint32_t sq_head() const { return load(&h->sq_head); }
    uint32_t cq_tail() const { return load(&h->cq_tail); }
    uint32_t overflow() const { return load(&h->cq_overflow); }
    uint32_t flags() const { return load(&h->flags); }
    uint32_t cq_head() const { return load(&h->cq_head); }

    void write_sqe(uint32_t index, const abi::Sqe& s) {
        uint8_t* slot = base + abi::ring_sq_offset() + size_t{index & (sq_entries - 1)} * 64;
        __builtin_memcpy(slot, &s, sizeof(s));
        __atomic_thread_fence(__ATOMIC_RELEASE);
    }
    abi::Cqe read_cqe(uint32_t index) const {
        abi::Cqe c;
        const uint8_t* slot = base + abi::ring_cq_offset(sq_entries) +
                              size_t{index & (cq_entries - 1)} * sizeof(abi::Cqe);
        __builtin_memcpy(&c, slot, sizeof(c));
        return c;
    }
    void fill_nops() {
        for (uint32_t i = 0; i < sq_entries; ++i) {
            abi::Sqe s{};
            s.user_data = kMarker | i;
            write_sqe(i, s);
        }
    }
    uint32_t enter() {
        int64_t n = rt::sys_cap_enter(0, abi::kTimeoutPoll);
        return n < 0 ? 0xFFFF'FFFF : static_cast<uint32_t>(n);
    }
};

Verdict g_verdict;

// The pass consumed exactly sq_entries prefilled NOPs starting at `head`,
// whose CQEs sit at [cq_from, cq_from + sq_entries) in slot order.
void expect_clamped_pass(Check& c, Raw& r, uint32_t head, uint32_t cq_from, uint32_t returned) {
    char got[64];
    uint32_t consumed = r.sq_head() - head;
    c.expect(consumed == r.sq_entries, "SQEs consumed",
             StringView(got, capos::format_to(got, sizeof(got), "{} consumed", consumed)));
    uint32_t posted = r.cq_tail() - cq_from;
    c.expect(posted == r.sq_entries, "CQEs posted",
             StringView(got, capos::format_to(got, sizeof(got), "{} posted", posted)));
    c.expect(returned == r.sq_entries, "cap_enter's count",
             StringView(got, capos::format_to(got, sizeof(got), "returned {}", returned)));
    for (uint32_t k = 0; k < posted && k < r.sq_entries; ++k) {
        abi::Cqe q = r.read_cqe(cq_from + k);
        uint64_t want = kMarker | ((head + k) & (r.sq_entries - 1));
        c.expect(q.user_data == want && q.result == 0, "CQE in slot order",
                 StringView(got, capos::format_to(got, sizeof(got), "user_data {:#x} result {}",
                                                  q.user_data, q.result)));
    }
}

// Reaps everything the kernel posted (raw).
void drain(Raw& r) { Raw::store(&r.h->cq_head, r.cq_tail()); }

// Resynchronises the client, then prints the check's line.
void finish(Check& c, int number, rt::RingClient& ring) {
    auto ok = ring.resynchronise();
    if (!ok) c.fail("resynchronise", capos::error_name(ok.error()));
    g_verdict.add(c, number);
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto rr = rt::ring();
    if (!rr || !rt::print_line("ring_garbage: start")) return 100;
    rt::RingClient& ring = *rr.value();
    Raw r{ring.header(), reinterpret_cast<uint8_t*>(ring.header()),
          ring.geometry().sq_entries(), ring.geometry().cq_entries()};

    {  // 1
        Check c(kProg, 1, "baseline");
        c.expect(r.sq_entries >= 1 && r.cq_entries >= r.sq_entries, "geometry", "bad");
        c.expect(rt::print_line("ring_garbage: baseline line").ok(), "writeLine", "failed");
        finish(c, 1, ring);
    }
    {  // 2
        Check c(kProg, 2, "sq_tail 2^31 ahead -> sq_entries SQEs per pass");
        r.fill_nops();
        uint32_t head = r.sq_head();
        uint32_t cq_from = r.cq_tail();
        Raw::store(&r.h->sq_tail, head + 0x8000'0000u);
        expect_clamped_pass(c, r, head, cq_from, r.enter());
        drain(r);
        head = r.sq_head();
        cq_from = r.cq_tail();
        expect_clamped_pass(c, r, head, cq_from, r.enter());
        drain(r);
        finish(c, 2, ring);
    }
    {  // 3
        Check c(kProg, 3, "sq_tail behind sq_head -> sq_entries SQEs");
        r.fill_nops();
        uint32_t head = r.sq_head();
        uint32_t cq_from = r.cq_tail();
        Raw::store(&r.h->sq_tail, head - 5);
        expect_clamped_pass(c, r, head, cq_from, r.enter());
        drain(r);
        finish(c, 3, ring);
    }
    {  // 4
        Check c(kProg, 4, "sq_tail 1000 ahead -> sq_entries SQEs");
        r.fill_nops();
        uint32_t head = r.sq_head();
        uint32_t cq_from = r.cq_tail();
        Raw::store(&r.h->sq_tail, head + 1000);
        expect_clamped_pass(c, r, head, cq_from, r.enter());
        drain(r);
        finish(c, 4, ring);
    }
    // 5 and 6 leave one NOP queued behind a CQ that reads as full; 7 lets
    // it through.
    // Their lines are printed after 7: until then the CQ reads as full and
    // nothing, a Console call included, can complete.
    uint32_t queued_head = 0;
    uint32_t queued_cq = 0;
    Check c5(kProg, 5, "cq_head ahead of cq_tail -> CQ full, nothing consumed");
    Check c6(kProg, 6, "cq_head far behind cq_tail -> CQ full, nothing consumed");
    {  // 5
        Check& c = c5;
        r.fill_nops();
        queued_head = r.sq_head();
        queued_cq = r.cq_tail();
        uint32_t overflow = r.overflow();
        Raw::store(&r.h->cq_head, queued_cq + 1000);
        Raw::store(&r.h->sq_tail, queued_head + 1);
        uint32_t n = r.enter();
        char got[64];
        c.expect(n == r.cq_entries, "cap_enter's count",
                 StringView(got, capos::format_to(got, sizeof(got), "returned {}", n)));
        c.expect(r.sq_head() == queued_head, "sq_head", "moved");
        c.expect(r.cq_tail() == queued_cq, "cq_tail", "moved");
        c.expect(r.overflow() != overflow, "cq_overflow", "unchanged");
        c.expect((r.flags() & abi::kRingFlagSqBacklog) != 0, "SqBacklog", "clear");
    }
    {  // 6
        Check& c = c6;
        uint32_t overflow = r.overflow();
        Raw::store(&r.h->cq_head, queued_cq - r.cq_entries - 1);
        uint32_t n = r.enter();
        char got[64];
        c.expect(n == r.cq_entries, "cap_enter's count",
                 StringView(got, capos::format_to(got, sizeof(got), "returned {}", n)));
        c.expect(r.sq_head() == queued_head, "sq_head", "moved");
        c.expect(r.cq_tail() == queued_cq, "cq_tail", "moved");
        c.expect(r.overflow() != overflow, "cq_overflow", "unchanged");
        c.expect((r.flags() & abi::kRingFlagSqBacklog) != 0, "SqBacklog", "clear");
    }
    {  // 7
        Check c(kProg, 7, "honest cq_head -> the queued NOP completes, SqBacklog clears");
        Raw::store(&r.h->cq_head, queued_cq);
        uint32_t n = r.enter();
        char got[64];
        c.expect(n == 1, "cap_enter's count",
                 StringView(got, capos::format_to(got, sizeof(got), "returned {}", n)));
        c.expect(r.sq_head() == queued_head + 1, "sq_head", "did not advance by one");
        c.expect(r.cq_tail() == queued_cq + 1, "cq_tail", "did not advance by one");
        abi::Cqe q = r.read_cqe(queued_cq);
        c.expect(q.user_data == (kMarker | (queued_head & (r.sq_entries - 1))) && q.result == 0,
                 "CQE", "wrong");
        c.expect((r.flags() & abi::kRingFlagSqBacklog) == 0, "SqBacklog", "still set");
        drain(r);
        auto ok = ring.resynchronise();
        if (!ok) c.fail("resynchronise", capos::error_name(ok.error()));
        g_verdict.add(c5, 5);
        g_verdict.add(c6, 6);
        g_verdict.add(c, 7);
    }
    {  // 8
        Check c(kProg, 8, "kernel-written words scribbled -> republished");
        uint32_t head = r.sq_head(), tail = r.cq_tail(), flags = r.flags(),
                 overflow = r.overflow();
        Raw::store(&r.h->sq_head, head + 77);
        Raw::store(&r.h->cq_tail, tail - 3);
        Raw::store(&r.h->flags, 0xFFFF'FFFF);
        Raw::store(&r.h->cq_overflow, 0xDEAD'BEEF);
        (void)r.enter();
        c.expect(r.sq_head() == head, "sq_head", "not restored");
        c.expect(r.cq_tail() == tail, "cq_tail", "not restored");
        c.expect(r.flags() == flags, "flags", "not restored");
        c.expect(r.overflow() == overflow, "cq_overflow", "not restored");
        finish(c, 8, ring);
    }
    {  // 9
        Check c(kProg, 9, "line 0 scribbled -> the kernel keeps its geometry");
        uint32_t saved[16];
        __builtin_memcpy(saved, r.h, sizeof(saved));
        r.h->sq_entries = 0xFFFF'FFFF;
        r.h->cq_entries = 3;
        r.h->sq_mask = 0x7FFF'FFFF;
        r.h->cq_mask = 0xFFFF'FFFF;
        r.h->sq_offset = 0x10'0000;
        r.h->cq_offset = 0xFFFF'FFF0;
        r.h->ring_bytes = 0xFFFF'FFFF;
        r.h->magic = 0;
        uint32_t head = r.sq_head();
        uint32_t cq_from = r.cq_tail();
        abi::Sqe s{};
        s.user_data = kMarker | 0xABCD;
        r.write_sqe(head, s);
        Raw::store(&r.h->sq_tail, head + 1);
        uint32_t n = r.enter();
        c.expect(n == 1 && r.cq_tail() == cq_from + 1, "NOP", "no completion");
        abi::Cqe q = r.read_cqe(cq_from);
        c.expect(q.user_data == (kMarker | 0xABCD) && q.result == 0, "CQE", "wrong");
        drain(r);
        __builtin_memcpy(r.h, saved, sizeof(saved));
        finish(c, 9, ring);
    }
    {  // 10
        Check c(kProg, 10, "cap_enter with hostile arguments");
        int64_t n = rt::sys_cap_enter(~uint64_t{0}, abi::kTimeoutPoll);
        c.expect(n >= 0 && n <= int64_t{r.cq_entries}, "min_complete 2^64-1", "out of range");
        n = rt::sys_cap_enter(0, abi::kTimeoutForever - 1);
        c.expect(n >= 0 && n <= int64_t{r.cq_entries}, "huge timeout", "out of range");
        finish(c, 10, ring);
    }
    {  // 11
        Check c(kProg, 11, "after resynchronising, the Console works");
        auto ok = rt::print_line("ring_garbage: the ring works again");
        c.expect(ok.ok(), "writeLine", ok ? "ok" : capos::error_name(ok.error()));
        g_verdict.add(c, 11);
    }
    say("ring_garbage: done, first failed check {}", g_verdict.first_failed);
    return g_verdict.first_failed;
}

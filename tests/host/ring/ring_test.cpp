// Kernel and user sides of the ring over one shared buffer: round trips, a
// batch of 32, CQ-full behaviour, index wrap, a process that corrupts the
// header, a model-based property test and a two-thread stress run.
//
// The ring lives in a heap block of exactly ring_bytes() bytes, so any read
// or write outside it is an AddressSanitizer report.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "abi/ring.hpp"
#include "lib/ring/kernel_ring.hpp"
#include "lib/ring/sqe_decoder.hpp"
#include "lib/ring/transport_error.hpp"
#include "lib/ring/user_ring.hpp"

using namespace capos;
using namespace capos::ring;
namespace cabi = capos::abi;

namespace {

struct RingMemory {
    explicit RingMemory(const RingGeometry& g) : bytes(g.bytes()), words(new uint64_t[g.bytes() / 8]) {
        std::memset(words.get(), 0xA5, bytes);
    }
    void* data() { return words.get(); }
    cabi::RingHeader* header() { return reinterpret_cast<cabi::RingHeader*>(words.get()); }
    size_t bytes;
    std::unique_ptr<uint64_t[]> words;
};

struct Fixture {
    explicit Fixture(uint32_t sq = cabi::kDefaultSqEntries, uint32_t cq = cabi::kDefaultCqEntries,
                     uint32_t initial_index = 0)
        : geometry(RingGeometry::make(sq, cq).value()), mem(geometry) {
        kernel.emplace(KernelRing<>::create(mem.data(), mem.bytes, geometry).value());
        kernel->reset(initial_index);
        user.emplace(UserRing<>::attach(mem.data(), mem.bytes).value());
    }
    cabi::RingHeader* hdr() { return mem.header(); }

    // One cap_enter pass that completes every SQE at once: NOP -> 0,
    // anything else -> its decode error or 0. Returns SQEs consumed.
    uint32_t pass(NextResult* last = nullptr) {
        kernel->begin_pass();
        cabi::Sqe sqe;
        uint32_t n = 0;
        NextResult r;
        while ((r = kernel->next(&sqe)) == NextResult::Sqe) {
            ++n;
            cabi::Cqe cqe{};
            cqe.user_data = sqe.user_data;
            auto d = decode_sqe(sqe);
            cqe.result = d.ok() ? 0 : transport_result(d.error());
            EXPECT_TRUE(kernel->post(cqe).ok());
        }
        if (last) *last = r;
        kernel->end_pass();
        return n;
    }

    RingGeometry geometry;
    RingMemory mem;
    std::optional<KernelRing<>> kernel;
    std::optional<UserRing<>> user;
};

cabi::Sqe nop(uint64_t user_data) {
    cabi::Sqe s{};
    s.opcode = static_cast<uint8_t>(cabi::Opcode::Nop);
    s.user_data = user_data;
    return s;
}

}  // namespace

TEST(RingGeometry, AcceptsOnlyValidSizes) {
    EXPECT_TRUE(RingGeometry::make(32, 64).ok());
    EXPECT_TRUE(RingGeometry::make(1, 1).ok());
    EXPECT_TRUE(RingGeometry::make(cabi::kMaxSqEntries, cabi::kMaxCqEntries).ok());
    EXPECT_FALSE(RingGeometry::make(0, 64).ok());
    EXPECT_FALSE(RingGeometry::make(33, 64).ok());
    EXPECT_FALSE(RingGeometry::make(64, 32).ok());
    EXPECT_FALSE(RingGeometry::make(512, 512).ok());
    EXPECT_FALSE(RingGeometry::make(32, 1024).ok());
    EXPECT_EQ(RingGeometry::default_geometry().bytes(), 4352u);
}

TEST(KernelRing, CreateChecksTheMapping) {
    RingGeometry g = RingGeometry::default_geometry();
    RingMemory mem(g);
    EXPECT_EQ(KernelRing<>::create(mem.data(), g.bytes() - 1, g).error(), Error::InvalidArgument);
    EXPECT_EQ(KernelRing<>::create(nullptr, g.bytes(), g).error(), Error::InvalidArgument);
    EXPECT_EQ(KernelRing<>::create(static_cast<char*>(mem.data()) + 4, g.bytes(), g).error(),
              Error::Misaligned);
}

TEST(KernelRing, ResetWritesTheHeader) {
    Fixture f(32, 64);
    cabi::RingHeader* h = f.hdr();
    EXPECT_EQ(h->magic, cabi::kRingMagic);
    EXPECT_EQ(h->version, cabi::kRingVersion);
    EXPECT_EQ(h->sq_entries, 32u);
    EXPECT_EQ(h->cq_entries, 64u);
    EXPECT_EQ(h->sq_mask, 31u);
    EXPECT_EQ(h->cq_mask, 63u);
    EXPECT_EQ(h->sq_offset, 256u);
    EXPECT_EQ(h->cq_offset, 256u + 32 * 64);
    EXPECT_EQ(h->ring_bytes, 4352u);
    EXPECT_EQ(h->sq_head, 0u);
    EXPECT_EQ(h->sq_tail, 0u);
    EXPECT_EQ(h->cq_head, 0u);
    EXPECT_EQ(h->cq_tail, 0u);
    EXPECT_EQ(h->cq_overflow, 0u);
    EXPECT_EQ(h->flags, 0u);
    for (uint32_t w : h->reserved0) EXPECT_EQ(w, 0u);
    for (uint32_t w : h->reserved3) EXPECT_EQ(w, 0u);
    const auto* bytes = static_cast<const unsigned char*>(f.mem.data());
    for (size_t i = 256; i < f.mem.bytes; ++i) ASSERT_EQ(bytes[i], 0) << i;
}

TEST(UserRing, AttachChecksTheHeader) {
    Fixture f;
    EXPECT_EQ(UserRing<>::attach(f.mem.data(), f.mem.bytes - 8).error(), Error::Malformed);
    f.hdr()->magic ^= 1;
    EXPECT_EQ(UserRing<>::attach(f.mem.data(), f.mem.bytes).error(), Error::BadMagic);
    f.hdr()->magic ^= 1;
    f.hdr()->version = 2;
    EXPECT_EQ(UserRing<>::attach(f.mem.data(), f.mem.bytes).error(), Error::Unsupported);
    f.hdr()->version = cabi::kRingVersion;
    f.hdr()->sq_entries = 48;
    EXPECT_EQ(UserRing<>::attach(f.mem.data(), f.mem.bytes).error(), Error::Malformed);
    f.hdr()->sq_entries = 32;
    f.hdr()->cq_offset += 64;
    EXPECT_EQ(UserRing<>::attach(f.mem.data(), f.mem.bytes).error(), Error::Malformed);
    f.hdr()->cq_offset -= 64;
    EXPECT_TRUE(UserRing<>::attach(f.mem.data(), f.mem.bytes).ok());
}

TEST(Ring, RoundTripInOrder) {
    Fixture f(4, 8);
    for (uint64_t round = 0; round < 20; ++round) {
        for (uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(f.user->submit(nop(round * 10 + i)).ok());
        EXPECT_EQ(f.user->sq_pending(), 3u);
        EXPECT_EQ(f.pass(), 3u);
        EXPECT_EQ(f.user->sq_pending(), 0u);
        EXPECT_EQ(f.kernel->cq_ready(), 3u);
        for (uint64_t i = 0; i < 3; ++i) {
            cabi::Cqe c;
            ASSERT_TRUE(f.user->reap(&c));
            EXPECT_EQ(c.user_data, round * 10 + i);
            EXPECT_EQ(c.result, 0);
        }
        cabi::Cqe c;
        EXPECT_FALSE(f.user->reap(&c));
    }
    EXPECT_EQ(f.kernel->overflow_count(), 0u);
}

TEST(Ring, ErrorsComeBackAsCqes) {
    Fixture f;
    cabi::Sqe bad = nop(7);
    bad.opcode = 200;
    ASSERT_TRUE(f.user->submit(bad).ok());
    cabi::Sqe reserved = nop(8);
    reserved.reserved1 = 1;
    ASSERT_TRUE(f.user->submit(reserved).ok());
    EXPECT_EQ(f.pass(), 2u);
    cabi::Cqe c;
    ASSERT_TRUE(f.user->reap(&c));
    EXPECT_EQ(c.user_data, 7u);
    EXPECT_EQ(c.result, cabi::to_result(cabi::TransportError::BadOpcode));
    ASSERT_TRUE(f.user->reap(&c));
    EXPECT_EQ(c.user_data, 8u);
    EXPECT_EQ(c.result, cabi::to_result(cabi::TransportError::BadSqe));
}

TEST(Ring, BatchOf32InOnePass) {
    Fixture f;  // 32 SQEs, 64 CQEs
    for (uint64_t i = 0; i < 32; ++i) ASSERT_TRUE(f.user->submit(nop(i)).ok());
    EXPECT_EQ(f.user->sq_space(), 0u);
    EXPECT_EQ(f.user->submit(nop(99)).error(), Error::RingQueueFull);
    EXPECT_EQ(f.kernel->begin_pass(), 32u);
    cabi::Sqe sqe;
    for (uint64_t i = 0; i < 32; ++i) {
        ASSERT_EQ(f.kernel->next(&sqe), NextResult::Sqe);
        EXPECT_EQ(sqe.user_data, i);
        cabi::Cqe c{};
        c.user_data = sqe.user_data;
        ASSERT_TRUE(f.kernel->post(c).ok());
    }
    EXPECT_EQ(f.kernel->next(&sqe), NextResult::Empty);
    f.kernel->end_pass();
    EXPECT_EQ(f.user->cq_ready(), 32u);
    EXPECT_EQ(f.kernel->cq_ready(), 32u);
    EXPECT_EQ(f.user->sq_space(), 32u);
}

TEST(Ring, CqFullLeavesSqesQueuedAndCountsOverflow) {
    Fixture f;  // 32 / 64
    uint64_t next_submit = 0, next_reap = 0;
    auto submit_all = [&] {
        while (f.user->sq_space() > 0) ASSERT_TRUE(f.user->submit(nop(next_submit++)).ok());
    };
    auto reap = [&](uint32_t n) {
        cabi::Cqe c;
        for (uint32_t i = 0; i < n; ++i) {
            ASSERT_TRUE(f.user->reap(&c));
            ASSERT_EQ(c.user_data, next_reap++);
        }
    };
    submit_all();
    EXPECT_EQ(f.pass(), 32u);
    submit_all();
    EXPECT_EQ(f.pass(), 32u);
    EXPECT_EQ(f.user->cq_ready(), 64u);
    EXPECT_FALSE(f.user->backlog());

    submit_all();
    NextResult last;
    const uint32_t sq_head_before = f.hdr()->sq_head;
    const auto cq_before = std::vector<unsigned char>(
        static_cast<unsigned char*>(f.mem.data()) + f.geometry.cq_offset(),
        static_cast<unsigned char*>(f.mem.data()) + f.mem.bytes);
    EXPECT_EQ(f.pass(&last), 0u);
    EXPECT_EQ(last, NextResult::CqFull);
    EXPECT_EQ(f.hdr()->sq_head, sq_head_before);  // nothing consumed
    EXPECT_EQ(f.user->sq_pending(), 32u);
    EXPECT_EQ(f.user->overflow_count(), 1u);
    EXPECT_TRUE(f.user->backlog());
    // No unread CQE was touched.
    EXPECT_TRUE(std::equal(cq_before.begin(), cq_before.end(),
                           static_cast<unsigned char*>(f.mem.data()) + f.geometry.cq_offset()));

    reap(10);
    EXPECT_EQ(f.pass(&last), 10u);
    EXPECT_EQ(last, NextResult::CqFull);
    EXPECT_EQ(f.user->overflow_count(), 2u);
    EXPECT_TRUE(f.user->backlog());

    reap(64);
    EXPECT_EQ(f.pass(&last), 22u);
    EXPECT_EQ(last, NextResult::Empty);
    EXPECT_FALSE(f.user->backlog());
    EXPECT_EQ(f.user->overflow_count(), 2u);
    reap(22);
    EXPECT_EQ(next_reap, next_submit);
}

TEST(Ring, ReservationsHoldCqRoomForLaterCompletions) {
    Fixture f(2, 4);
    // Two operations still in flight (e.g. CALLs waiting for a server).
    ASSERT_TRUE(f.user->submit(nop(1)).ok());
    ASSERT_TRUE(f.user->submit(nop(2)).ok());
    f.kernel->begin_pass();
    cabi::Sqe sqe;
    ASSERT_EQ(f.kernel->next(&sqe), NextResult::Sqe);
    ASSERT_EQ(f.kernel->next(&sqe), NextResult::Sqe);
    f.kernel->end_pass();
    EXPECT_EQ(f.kernel->reserved_cqes(), 2u);
    // Two kernel-originated completions take the rest of the room.
    EXPECT_TRUE(f.kernel->reserve_cqe());
    EXPECT_TRUE(f.kernel->reserve_cqe());
    EXPECT_FALSE(f.kernel->reserve_cqe());
    EXPECT_EQ(f.kernel->overflow_count(), 1u);
    ASSERT_TRUE(f.user->submit(nop(3)).ok());
    NextResult last;
    EXPECT_EQ(f.pass(&last), 0u);
    EXPECT_EQ(last, NextResult::CqFull);
    f.kernel->cancel_reservation();
    f.kernel->cancel_reservation();
    cabi::Cqe c{};
    c.user_data = 1;
    ASSERT_TRUE(f.kernel->post(c).ok());
    c.user_data = 2;
    ASSERT_TRUE(f.kernel->post(c).ok());
    EXPECT_EQ(f.kernel->reserved_cqes(), 0u);
    EXPECT_EQ(f.kernel->post(c).error(), Error::InvalidArgument);  // no reservation
    EXPECT_EQ(f.pass(), 1u);
    EXPECT_EQ(f.user->cq_ready(), 3u);
}

TEST(Ring, PostNeverOverwritesWhenCqHeadMovesBack) {
    Fixture f(2, 4);
    for (uint64_t i = 0; i < 2; ++i) ASSERT_TRUE(f.user->submit(nop(i)).ok());
    f.kernel->begin_pass();
    cabi::Sqe sqe;
    ASSERT_EQ(f.kernel->next(&sqe), NextResult::Sqe);
    // The process rewinds cq_head as if it had not reaped 4 earlier entries
    // (there are none): the CQ now reads as full.
    f.hdr()->cq_head = f.kernel->cq_tail() - 4;
    const uint32_t tail = f.hdr()->cq_tail;
    cabi::Cqe c{};
    c.user_data = 0;
    EXPECT_EQ(f.kernel->post(c).error(), Error::RingCqFull);
    EXPECT_EQ(f.hdr()->cq_tail, tail);
    EXPECT_EQ(f.kernel->overflow_count(), 1u);
    EXPECT_EQ(f.kernel->reserved_cqes(), 1u);
    // cq_head ahead of cq_tail is corrupt too: full.
    f.hdr()->cq_head = f.kernel->cq_tail() + 1;
    EXPECT_EQ(f.kernel->post(c).error(), Error::RingCqFull);
    EXPECT_EQ(f.kernel->cq_ready(), 4u);
    // Restored: the retry succeeds.
    f.hdr()->cq_head = f.kernel->cq_tail();
    EXPECT_TRUE(f.kernel->post(c).ok());
    f.kernel->end_pass();
}

TEST(Ring, SqTailFarAheadOrBehindIsClamped) {
    Fixture f(8, 16);
    f.hdr()->sq_tail = 1'000'000;
    EXPECT_EQ(f.kernel->begin_pass(), 8u);
    f.kernel->end_pass();
    f.hdr()->sq_tail = f.kernel->sq_head() - 1;
    EXPECT_EQ(f.kernel->begin_pass(), 8u);
    cabi::Sqe sqe;
    uint32_t n = 0;
    while (f.kernel->next(&sqe) == NextResult::Sqe) {
        cabi::Cqe c{};
        ASSERT_TRUE(f.kernel->post(c).ok());
        ++n;
    }
    f.kernel->end_pass();
    EXPECT_EQ(n, 8u);  // bounded work per pass
    EXPECT_EQ(f.kernel->sq_head(), 8u);
}

TEST(Ring, HeaderScribblingDoesNotMisdirectTheKernel) {
    Fixture f(4, 8);
    for (uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(f.user->submit(nop(100 + i)).ok());
    cabi::RingHeader* h = f.hdr();
    h->sq_entries = 0xFFFF'FFFF;
    h->sq_mask = 0xFFFF'FFFF;
    h->cq_mask = 0xFFFF'FFFF;
    h->sq_offset = 0x7FFF'0000;
    h->cq_offset = 3;
    h->sq_head = 12345;
    h->cq_tail = 777;
    h->cq_overflow = 99;
    h->flags = 0xFFFF'FFFF;
    EXPECT_EQ(f.pass(), 4u);
    // Kernel-written words are re-published from the kernel's own copies.
    EXPECT_EQ(h->sq_head, 4u);
    EXPECT_EQ(h->cq_tail, 4u);
    EXPECT_EQ(h->cq_overflow, 0u);
    EXPECT_EQ(h->flags, 0u);
    // And the CQEs landed in the right slots.
    auto* cq = reinterpret_cast<cabi::Cqe*>(static_cast<unsigned char*>(f.mem.data()) +
                                            f.geometry.cq_offset());
    for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(cq[i].user_data, 100 + i);
}

TEST(Ring, IndicesWrapAt32Bits) {
    Fixture f(4, 8, 0xFFFF'FFF0u);
    uint64_t sent = 0, got = 0;
    for (int round = 0; round < 40; ++round) {
        for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.user->submit(nop(sent++)).ok());
        EXPECT_EQ(f.pass(), 3u);
        cabi::Cqe c;
        while (f.user->reap(&c)) ASSERT_EQ(c.user_data, got++);
    }
    EXPECT_EQ(got, sent);
    EXPECT_LT(f.kernel->sq_head(), 0xFFFF'FFF0u);  // wrapped
}

// ---------------------------------------------------------------------------
// Model-based: an honest process and the kernel interleave at random, with
// some completions held back (reservations posted later). Every CQE arrives
// exactly once, overflow is counted exactly when the CQ has no room, and
// the kernel never takes more than sq_entries SQEs per pass.

TEST(RingModel, HonestProcessNeverLosesACompletion) {
    EXPECT_TRUE(rc::check([] {
        const uint32_t sq = 1u << *rc::gen::inRange(0, 5);
        const uint32_t cq = sq << *rc::gen::inRange(0, 3);
        const uint32_t start = *rc::gen::element(0u, 0xFFFF'FFF0u, *rc::gen::arbitrary<uint32_t>());
        Fixture f(sq, cq, start);
        uint64_t submitted = 0;
        std::deque<uint64_t> in_flight;  // consumed, completion not yet posted
        std::vector<uint64_t> posted_order;
        std::vector<uint64_t> reaped;
        uint32_t expected_overflow = 0;

        const int steps = *rc::gen::inRange(1, 300);
        for (int step = 0; step < steps; ++step) {
            switch (*rc::gen::inRange(0, 4)) {
            case 0: {  // process submits
                uint32_t n = *rc::gen::inRange<uint32_t>(0, sq + 2);
                for (uint32_t i = 0; i < n; ++i) {
                    auto r = f.user->submit(nop(submitted));
                    if (f.user->sq_pending() == sq && !r.ok()) {
                        RC_ASSERT(r.error() == Error::RingQueueFull);
                        break;
                    }
                    RC_ASSERT(r.ok());
                    ++submitted;
                }
                break;
            }
            case 1: {  // process reaps
                uint32_t n = *rc::gen::inRange<uint32_t>(0, cq + 2);
                cabi::Cqe c;
                for (uint32_t i = 0; i < n && f.user->reap(&c); ++i) reaped.push_back(c.user_data);
                break;
            }
            case 2: {  // cap_enter pass; some completions are deferred
                const uint32_t pending = f.user->sq_pending();
                const uint32_t seen = f.kernel->begin_pass();
                RC_ASSERT(seen == pending);
                RC_ASSERT(seen <= sq);
                cabi::Sqe sqe;
                NextResult r;
                uint32_t consumed = 0;
                while (true) {
                    const uint32_t room = cq - f.kernel->cq_ready() - f.kernel->reserved_cqes();
                    r = f.kernel->next(&sqe);
                    if (r != NextResult::Sqe) {
                        if (r == NextResult::CqFull) {
                            RC_ASSERT(room == 0);
                            ++expected_overflow;
                        } else {
                            RC_ASSERT(consumed == seen);
                        }
                        break;
                    }
                    RC_ASSERT(room > 0);
                    ++consumed;
                    in_flight.push_back(sqe.user_data);
                    if (*rc::gen::inRange(0, 3) != 0) {
                        cabi::Cqe c{};
                        c.user_data = in_flight.front();
                        RC_ASSERT(f.kernel->post(c).ok());
                        posted_order.push_back(in_flight.front());
                        in_flight.pop_front();
                    }
                }
                f.kernel->end_pass();
                RC_ASSERT(f.user->backlog() == (r == NextResult::CqFull));
                break;
            }
            case 3: {  // deferred completions arrive (oldest first)
                uint32_t n = *rc::gen::inRange<uint32_t>(0, 4);
                for (uint32_t i = 0; i < n && !in_flight.empty(); ++i) {
                    cabi::Cqe c{};
                    c.user_data = in_flight.front();
                    RC_ASSERT(f.kernel->post(c).ok());  // reserved: always fits
                    posted_order.push_back(in_flight.front());
                    in_flight.pop_front();
                }
                break;
            }
            }
            RC_ASSERT(f.kernel->overflow_count() == expected_overflow);
            RC_ASSERT(f.kernel->cq_ready() + f.kernel->reserved_cqes() <= cq);
            RC_ASSERT(f.kernel->reserved_cqes() == in_flight.size());
        }
        // Drain everything.
        while (!in_flight.empty()) {
            cabi::Cqe c;
            while (f.user->reap(&c)) reaped.push_back(c.user_data);
            cabi::Cqe p{};
            p.user_data = in_flight.front();
            RC_ASSERT(f.kernel->post(p).ok());
            posted_order.push_back(in_flight.front());
            in_flight.pop_front();
        }
        for (int guard = 0; guard < 1000; ++guard) {
            cabi::Cqe c;
            while (f.user->reap(&c)) reaped.push_back(c.user_data);
            if (f.user->sq_pending() == 0) break;
            f.pass();
        }
        cabi::Cqe c;
        while (f.user->reap(&c)) reaped.push_back(c.user_data);
        RC_ASSERT(posted_order.size() <= submitted);
        RC_ASSERT(reaped.size() == submitted);
        // The process sees completions in the order they were posted.
        for (size_t i = 0; i < posted_order.size(); ++i) RC_ASSERT(reaped[i] == posted_order[i]);
        std::vector<uint64_t> sorted = reaped;
        std::sort(sorted.begin(), sorted.end());
        for (uint64_t i = 0; i < sorted.size(); ++i) RC_ASSERT(sorted[i] == i);
    }));
}

// A hostile process writes random values into any header word and random
// bytes into entries between kernel steps. The kernel must stay inside the
// ring (ASan), keep each pass bounded, and only post into a slot when the
// cq_head it loaded shows room.
TEST(RingModel, HostileProcessCannotMisdirectTheKernel) {
    EXPECT_TRUE(rc::check([] {
        const uint32_t sq = 1u << *rc::gen::inRange(0, 6);
        const uint32_t cq = sq << *rc::gen::inRange(0, 3);
        Fixture f(sq, cq, *rc::gen::arbitrary<uint32_t>());
        auto* words32 = reinterpret_cast<uint32_t*>(f.mem.data());
        const int steps = *rc::gen::inRange(1, 200);
        for (int step = 0; step < steps; ++step) {
            const int what = *rc::gen::inRange(0, 4);
            if (what == 0) {  // scribble on a header word
                const uint32_t w = *rc::gen::inRange<uint32_t>(0, cabi::kRingHeaderBytes / 4);
                words32[w] = *rc::gen::arbitrary<uint32_t>();
            } else if (what == 1) {  // scribble on an entry byte
                auto* bytes = static_cast<unsigned char*>(f.mem.data());
                bytes[*rc::gen::inRange<size_t>(cabi::kRingHeaderBytes, f.mem.bytes)] =
                    *rc::gen::arbitrary<unsigned char>();
            } else if (what == 2) {  // set the user indices near the kernel's
                f.hdr()->sq_tail = f.kernel->sq_head() + *rc::gen::inRange<uint32_t>(0, 2 * sq + 2) - sq;
                f.hdr()->cq_head = f.kernel->cq_tail() - *rc::gen::inRange<uint32_t>(0, 2 * cq + 2) + cq;
            } else {  // a pass
                const uint32_t head0 = f.kernel->sq_head();
                const uint32_t seen = f.kernel->begin_pass();
                RC_ASSERT(seen <= sq);
                cabi::Sqe sqe;
                uint32_t consumed = 0;
                while (f.kernel->next(&sqe) == NextResult::Sqe) {
                    ++consumed;
                    auto d = decode_sqe(sqe);  // garbage is fine: it is a copy
                    cabi::Cqe c{};
                    c.user_data = sqe.user_data;
                    c.result = d.ok() ? 0 : transport_result(d.error());
                    const uint32_t tail = f.kernel->cq_tail();
                    if (*rc::gen::inRange(0, 4) == 0)  // the process races the kernel
                        f.hdr()->cq_head = tail - *rc::gen::inRange<uint32_t>(0, 2 * cq + 2) + cq;
                    const uint32_t head_seen = f.hdr()->cq_head;
                    auto r = f.kernel->post(c);
                    if (r.ok()) {
                        RC_ASSERT(tail - head_seen < cq);
                    } else {
                        RC_ASSERT(r.error() == Error::RingCqFull);
                        f.kernel->cancel_reservation();
                    }
                }
                RC_ASSERT(consumed <= seen);
                RC_ASSERT(f.kernel->sq_head() - head0 == consumed);
                f.kernel->end_pass();
                RC_ASSERT(f.hdr()->sq_head == f.kernel->sq_head());
                RC_ASSERT(f.hdr()->cq_tail == f.kernel->cq_tail());
            }
            RC_ASSERT(f.kernel->cq_ready() <= cq);
        }
    }));
}

// Two threads, real concurrency: the process submits and reaps, the kernel
// passes. Exercises the acquire/release publication of every index.
TEST(RingStress, TwoThreads) {
    Fixture f(32, 64);
    constexpr uint64_t kCount = 50'000;
    std::atomic<bool> done{false};
    std::thread kernel([&] {
        while (!done.load(std::memory_order_relaxed)) {
            if (f.kernel->begin_pass() == 0) std::this_thread::yield();
            cabi::Sqe sqe;
            while (f.kernel->next(&sqe) == NextResult::Sqe) {
                cabi::Cqe c{};
                c.user_data = sqe.user_data;
                c.result = static_cast<int32_t>(sqe.user_data & 0x7FFF);
                if (!f.kernel->post(c).ok()) std::abort();
            }
            f.kernel->end_pass();
        }
    });
    uint64_t sent = 0, got = 0;
    while (got < kCount) {
        while (sent < kCount && f.user->submit(nop(sent)).ok()) ++sent;
        cabi::Cqe c;
        if (f.user->cq_ready() == 0) std::this_thread::yield();
        while (f.user->reap(&c)) {
            ASSERT_EQ(c.user_data, got);
            ASSERT_EQ(c.result, static_cast<int32_t>(got & 0x7FFF));
            ++got;
        }
    }
    done = true;
    kernel.join();
    EXPECT_EQ(got, kCount);
}

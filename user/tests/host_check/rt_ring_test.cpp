// Host tests of the runtime's ring side (user/rt/ring_client.cpp,
// capset.cpp, transport.cpp compiled for the host under ASan/UBSan):
//   - RingClient against lib/ring's KernelRing playing the kernel by hand:
//     attach checks, completions taken by user_data in any order through
//     the stash, the stash limit, reap order, resynchronise;
//   - CapSet lookups over hand-made CapSet pages;
//   - error_from_transport against lib/ring's transport_error.
// Nothing here calls enter() (it is a raw syscall); the whole path with
// cap_enter runs under user_run's ring model (host.user_run.*).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "lib/ring/kernel_ring.hpp"
#include "lib/ring/transport_error.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/ring_client.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/transport.hpp"

namespace capos::rt {
// The runtime's start.cpp is not linked: the tests' own entry values.
const StartInfo& start_info() {
    static StartInfo info{};
    return info;
}
}  // namespace capos::rt

using namespace capos;

namespace {

// A ring window (capos::abi::kRingWindowBytes, as the client assumes) with the
// kernel side over it.
struct Ring {
    std::unique_ptr<uint64_t[]> mem{new uint64_t[capos::abi::kRingWindowBytes / 8]()};
    ring::KernelRing<> kernel;

    explicit Ring(uint32_t sq = capos::abi::kDefaultSqEntries, uint32_t cq = capos::abi::kDefaultCqEntries)
        : kernel(ring::KernelRing<>::create(mem.get(), capos::abi::kRingWindowBytes,
                                            ring::RingGeometry::make(sq, cq).value())
                     .value()) {
        kernel.reset();
    }
    void* base() { return mem.get(); }
    capos::abi::RingHeader* header() { return static_cast<capos::abi::RingHeader*>(base()); }

    // One kernel pass: consumes every pending SQE and keeps them (no CQE yet).
    std::vector<capos::abi::Sqe> consume() {
        std::vector<capos::abi::Sqe> out;
        kernel.begin_pass();
        capos::abi::Sqe s;
        while (kernel.next(&s) == ring::NextResult::Sqe) out.push_back(s);
        kernel.end_pass();
        return out;
    }
    void post(uint64_t user_data, int32_t result) {
        capos::abi::Cqe c{};
        c.user_data = user_data;
        c.result = result;
        ASSERT_TRUE(kernel.post(c).ok());
    }
};

capos::abi::Sqe nop(uint64_t user_data) {
    capos::abi::Sqe s{};
    s.user_data = user_data;
    return s;
}

TEST(RingClient, AttachRefusesAnUnsetRing) {
    std::unique_ptr<uint64_t[]> zero(new uint64_t[capos::abi::kRingWindowBytes / 8]());
    auto r = rt::RingClient::attach(zero.get());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::BadMagic);
}

TEST(RingClient, AttachRefusesAWrongVersionAndGeometry) {
    Ring ring;
    ring.header()->version = 2;
    EXPECT_EQ(rt::RingClient::attach(ring.base()).error(), Error::Unsupported);
    ring.header()->version = capos::abi::kRingVersion;
    ring.header()->sq_mask = 7;
    EXPECT_EQ(rt::RingClient::attach(ring.base()).error(), Error::Malformed);
}

TEST(RingClient, TakesCompletionsByUserDataInAnyOrder) {
    Ring ring;
    auto c = rt::RingClient::attach(ring.base());
    ASSERT_TRUE(c.ok());
    rt::RingClient& client = c.value();
    for (uint64_t u = 1; u <= 5; ++u) ASSERT_TRUE(client.submit(nop(u)).ok());
    EXPECT_EQ(client.sq_pending(), 5u);
    auto sqes = ring.consume();
    ASSERT_EQ(sqes.size(), 5u);
    for (uint64_t u : {5, 3, 1, 4, 2}) ring.post(u, static_cast<int32_t>(u * 10));

    capos::abi::Cqe q;
    ASSERT_TRUE(client.take(4, &q));  // 5, 3, 1 go to the stash
    EXPECT_EQ(q.result, 40);
    EXPECT_EQ(client.stashed(), 3u);
    EXPECT_FALSE(client.take(99, &q));  // 2 goes to the stash too
    EXPECT_EQ(client.stashed(), 4u);
    ASSERT_TRUE(client.take(1, &q));
    EXPECT_EQ(q.result, 10);
    // reap: the stash, oldest first.
    std::vector<uint64_t> order;
    while (client.reap(&q)) order.push_back(q.user_data);
    EXPECT_EQ(order, (std::vector<uint64_t>{5, 3, 2}));
    EXPECT_EQ(client.stashed(), 0u);
    EXPECT_EQ(client.cq_ready(), 0u);
}

TEST(RingClient, StashLimitLeavesCompletionsInTheRing) {
    Ring ring(capos::abi::kMaxSqEntries, capos::abi::kMaxCqEntries);
    auto c = rt::RingClient::attach(ring.base());
    ASSERT_TRUE(c.ok());
    rt::RingClient& client = c.value();
    const uint32_t n = rt::RingClient::kStashEntries + 3;
    for (uint64_t u = 1; u <= n; ++u) ASSERT_TRUE(client.submit(nop(u)).ok());
    ring.consume();
    for (uint64_t u = 1; u <= n; ++u) ring.post(u, 0);
    capos::abi::Cqe q;
    EXPECT_FALSE(client.take(n, &q));  // the last one is beyond the stash's reach
    EXPECT_EQ(client.stashed(), rt::RingClient::kStashEntries);
    EXPECT_EQ(client.cq_ready(), 3u);
    // Each take from the stash makes room for one more CQE from the ring.
    for (uint64_t u : {7, 8, 9}) ASSERT_TRUE(client.take(u, &q));
    ASSERT_TRUE(client.take(n, &q));
    EXPECT_EQ(q.user_data, n);
}

TEST(RingClient, SubmitFailsWhenTheSqIsFull) {
    Ring ring;
    auto c = rt::RingClient::attach(ring.base());
    ASSERT_TRUE(c.ok());
    for (uint32_t i = 0; i < capos::abi::kDefaultSqEntries; ++i)
        ASSERT_TRUE(c.value().submit(nop(i + 1)).ok());
    auto r = c.value().submit(nop(100));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::RingQueueFull);
}

TEST(RingClient, ResynchroniseTakesTheKernelsIndicesBack) {
    Ring ring;
    auto c = rt::RingClient::attach(ring.base());
    ASSERT_TRUE(c.ok());
    rt::RingClient& client = c.value();
    ASSERT_TRUE(client.submit(nop(1)).ok());
    ring.consume();
    ring.post(1, 0);
    // The process scribbles on its own indices.
    ring.header()->sq_tail = 0xDEAD'0000;
    ring.header()->cq_head = 0x1234'5678;
    ASSERT_TRUE(client.resynchronise().ok());
    EXPECT_EQ(ring.header()->sq_tail, ring.kernel.sq_head());
    EXPECT_EQ(ring.header()->cq_head, ring.kernel.cq_tail());
    EXPECT_EQ(client.cq_ready(), 0u);  // the unreaped CQE was dropped
    EXPECT_EQ(client.sq_space(), capos::abi::kDefaultSqEntries);
    ASSERT_TRUE(client.submit(nop(2)).ok());
    auto sqes = ring.consume();
    ASSERT_EQ(sqes.size(), 1u);
    EXPECT_EQ(sqes[0].user_data, 2u);
    ring.header()->magic = 0;  // line 0 too: refused
    EXPECT_EQ(client.resynchronise().error(), Error::BadMagic);
}

// Any completion order, any take order: each CQE is taken exactly once,
// with its own result.
RC_GTEST_PROP(RingClient, EveryCompletionIsTakenExactlyOnce, ()) {
    Ring ring;
    auto c = rt::RingClient::attach(ring.base());
    RC_ASSERT(c.ok());
    rt::RingClient& client = c.value();
    const auto n = *rc::gen::inRange<uint32_t>(1, capos::abi::kDefaultSqEntries + 1);
    std::vector<uint64_t> ids;
    for (uint32_t i = 0; i < n; ++i) {
        ids.push_back(1000 + i);
        RC_ASSERT(client.submit(nop(1000 + i)).ok());
    }
    ring.consume();
    auto posted = *rc::gen::unique<std::vector<uint32_t>>(n, rc::gen::inRange<uint32_t>(0, n));
    for (uint32_t k : posted) ring.post(ids[k], static_cast<int32_t>(ids[k] % 997));
    auto taken = *rc::gen::unique<std::vector<uint32_t>>(n, rc::gen::inRange<uint32_t>(0, n));
    for (uint32_t k : taken) {
        capos::abi::Cqe q;
        RC_ASSERT(client.take(ids[k], &q));
        RC_ASSERT(q.user_data == ids[k]);
        RC_ASSERT(q.result == static_cast<int32_t>(ids[k] % 997));
    }
    capos::abi::Cqe q;
    RC_ASSERT(!client.reap(&q));
    RC_ASSERT(client.stashed() == 0u);
}

// ---- CapSet ----

struct Page {
    alignas(8) unsigned char bytes[capos::abi::kCapSetBytes] = {};
    capos::abi::CapSetHeader* header() { return reinterpret_cast<capos::abi::CapSetHeader*>(bytes); }
    capos::abi::CapSetEntry* entry(uint32_t i) {
        return reinterpret_cast<capos::abi::CapSetEntry*>(bytes + sizeof(capos::abi::CapSetHeader) +
                                                   i * sizeof(capos::abi::CapSetEntry));
    }
    Page() {
        header()->magic = capos::abi::kCapSetMagic;
        header()->version = capos::abi::kCapSetVersion;
        header()->entry_bytes = sizeof(capos::abi::CapSetEntry);
    }
    void add(const char* name, uint64_t iface, capos::abi::CapId id) {
        capos::abi::CapSetEntry* e = entry(header()->count++);
        e->interface_id = iface;
        e->cap_id = id;
        e->name_len = static_cast<uint8_t>(std::strlen(name));
        std::memcpy(e->name, name, e->name_len);
    }
};

constexpr uint64_t kConsole = 0xcab0500000010001ull;
constexpr uint64_t kTimer = 0xcab0500000010002ull;

TEST(CapSet, NoPageFindsNothing) {
    rt::CapSet none(nullptr);
    EXPECT_FALSE(none.valid());
    EXPECT_EQ(none.count(), 0u);
    EXPECT_EQ(none.lookup("console", kConsole).error(), Error::NotFound);
}

TEST(CapSet, LookupByNameAndInterface) {
    Page p;
    p.add("console", kConsole, capos::abi::make_cap_id(0, 1));
    p.add("timer", kTimer, capos::abi::make_cap_id(1, 1));
    p.add("abcdefghijklmnopqrstuvwxyz012345", kConsole, capos::abi::make_cap_id(2, 7));
    rt::CapSet caps(p.header());
    ASSERT_TRUE(caps.valid());
    EXPECT_EQ(caps.count(), 3u);
    EXPECT_EQ(caps.lookup("console", kConsole).value(), capos::abi::make_cap_id(0, 1));
    EXPECT_EQ(caps.lookup("timer", kTimer).value(), capos::abi::make_cap_id(1, 1));
    EXPECT_EQ(caps.lookup("abcdefghijklmnopqrstuvwxyz012345", kConsole).value(),
              capos::abi::make_cap_id(2, 7));
    EXPECT_EQ(caps.lookup("console", kTimer).error(), Error::CapWrongInterface);
    EXPECT_EQ(caps.lookup("timer", kConsole).error(), Error::CapWrongInterface);
    EXPECT_EQ(caps.lookup("consol", kConsole).error(), Error::NotFound);
    EXPECT_EQ(caps.lookup("console2", kConsole).error(), Error::NotFound);
    EXPECT_EQ(caps.lookup("", kConsole).error(), Error::NotFound);
    EXPECT_EQ(caps.lookup("abcdefghijklmnopqrstuvwxyz0123456", kConsole).error(),
              Error::NotFound);
}

TEST(CapSet, BadHeadersAreMalformed) {
    for (int which = 0; which < 4; ++which) {
        Page p;
        p.add("console", kConsole, 1);
        if (which == 0) p.header()->magic ^= 1;
        if (which == 1) p.header()->version = 2;
        if (which == 2) p.header()->entry_bytes = 40;
        if (which == 3) p.header()->count = capos::abi::kCapSetMaxEntries + 1;
        rt::CapSet caps(p.header());
        EXPECT_FALSE(caps.valid());
        EXPECT_EQ(caps.lookup("console", kConsole).error(), Error::Malformed) << which;
    }
}

// ---- the transport's error mapping ----

TEST(Transport, ErrorMappingInvertsLibRing) {
    for (int32_t r = -1; r >= capos::abi::kTransportErrorMin; --r) {
        Error e = rt::error_from_transport(r);
        // Both application-exception codes are Error::CapException.
        int32_t back = r == capos::abi::to_result(capos::abi::TransportError::ApplicationExceptionTruncated)
                           ? capos::abi::to_result(capos::abi::TransportError::ApplicationException)
                           : r;
        EXPECT_EQ(ring::transport_result(e), back) << r;
        EXPECT_STRNE(rt::transport_error_name(r), "unknown") << r;
    }
    EXPECT_EQ(rt::error_from_transport(capos::abi::kTransportErrorMin - 1), Error::Unsupported);
    EXPECT_EQ(rt::error_from_transport(INT32_MIN), Error::Unsupported);
    EXPECT_STREQ(rt::transport_error_name(capos::abi::kTransportErrorMin - 1), "unknown");
    EXPECT_STREQ(rt::transport_error_name(0), "ok");
    EXPECT_STREQ(rt::transport_error_name(-5), "BadBuffer");
}

}  // namespace

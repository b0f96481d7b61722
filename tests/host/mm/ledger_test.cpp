// The resource ledger: charges stop exactly at the limit, refunds balance,
// and a refused charge or refund changes nothing.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <vector>

#include "lib/mm/ledger.hpp"

using namespace capos;
using namespace capos::mm;

TEST(Ledger, ChargesUpToTheLimitThenRefuses) {
    Ledger l(Limits{.cap_slots = 4, .frames = 10, .mapped_pages = 3});
    EXPECT_TRUE(l.charge(Charge::Frames, 7).ok());
    EXPECT_TRUE(l.charge(Charge::Frames, 3).ok());
    EXPECT_EQ(l.used(Charge::Frames), 10u);
    auto r = l.charge(Charge::Frames, 1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::LimitExceeded);
    EXPECT_EQ(l.used(Charge::Frames), 10u);
    // Other kinds are independent.
    EXPECT_TRUE(l.charge(Charge::MappedPages, 3).ok());
    EXPECT_FALSE(l.charge(Charge::CapSlots, 5).ok());
    EXPECT_EQ(l.used(Charge::CapSlots), 0u);
}

TEST(Ledger, HugeChargeDoesNotWrap) {
    Ledger l(Limits{.cap_slots = 1, .frames = UINT64_MAX - 1, .mapped_pages = 1});
    ASSERT_TRUE(l.charge(Charge::Frames, 5).ok());
    EXPECT_FALSE(l.charge(Charge::Frames, UINT64_MAX).ok());
    EXPECT_FALSE(l.charge(Charge::Frames, UINT64_MAX - 5).ok());
    EXPECT_EQ(l.used(Charge::Frames), 5u);
    EXPECT_TRUE(l.charge(Charge::Frames, UINT64_MAX - 6).ok());
    EXPECT_EQ(l.available(Charge::Frames), 0u);
}

TEST(Ledger, RefundWithoutChargeIsRefused) {
    Ledger l(Limits{.cap_slots = 4, .frames = 4, .mapped_pages = 4});
    ASSERT_TRUE(l.charge(Charge::CapSlots, 2).ok());
    auto r = l.refund(Charge::CapSlots, 3);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::InvalidArgument);
    EXPECT_EQ(l.used(Charge::CapSlots), 2u);
    EXPECT_TRUE(l.refund(Charge::CapSlots, 2).ok());
    EXPECT_EQ(l.used(Charge::CapSlots), 0u);
}

TEST(Ledger, ResolveLimits) {
    Limits defaults{.cap_slots = 64, .frames = 1000, .mapped_pages = 2000};
    Limits ceiling{.cap_slots = 32, .frames = 5000, .mapped_pages = 100};
    Limits got = resolve_limits(Limits{.cap_slots = 0, .frames = 0, .mapped_pages = 50}, defaults, ceiling);
    EXPECT_EQ(got.cap_slots, 32u);      // default 64, capped by the spawner's 32
    EXPECT_EQ(got.frames, 1000u);       // default
    EXPECT_EQ(got.mapped_pages, 50u);   // requested, under the ceiling
    got = resolve_limits(Limits{.cap_slots = 8, .frames = 9000, .mapped_pages = 0}, defaults, ceiling);
    EXPECT_EQ(got.cap_slots, 8u);
    EXPECT_EQ(got.frames, 5000u);
    EXPECT_EQ(got.mapped_pages, 100u);
}

// Random charge/refund sequences against a plain counter: the ledger never
// passes its limit, and agrees with the model after every step.
RC_GTEST_PROP(Ledger, MatchesModel, ()) {
    Limits limits{*rc::gen::inRange<uint64_t>(0, 50), *rc::gen::inRange<uint64_t>(0, 50),
                  *rc::gen::inRange<uint64_t>(0, 50)};
    Ledger l(limits);
    uint64_t model[kChargeKinds] = {};
    auto ops = *rc::gen::container<std::vector<std::tuple<bool, int, uint64_t>>>(
        rc::gen::tuple(rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 3), rc::gen::inRange<uint64_t>(0, 30)));
    for (auto [is_charge, kind, n] : ops) {
        auto k = static_cast<Charge>(kind);
        uint64_t& m = model[kind];
        if (is_charge) {
            bool fits = m + n <= limits.get(k);
            RC_ASSERT(l.charge(k, n).ok() == fits);
            if (fits) m += n;
        } else {
            bool ok = n <= m;
            RC_ASSERT(l.refund(k, n).ok() == ok);
            if (ok) m -= n;
        }
        for (int i = 0; i < 3; ++i) {
            RC_ASSERT(l.used(static_cast<Charge>(i)) == model[i]);
            RC_ASSERT(l.used(static_cast<Charge>(i)) <= l.limit(static_cast<Charge>(i)));
        }
    }
}

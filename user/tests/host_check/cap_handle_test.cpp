// Host tests of user/rt/cap_handle.hpp (host.user_rt_cap_handle): the
// ownership rules of BasicCapHandle over a recording releaser (each id
// released exactly once, by its last owner; take() releases nothing;
// reset() reports the releaser's error and empties the handle), a
// property test over random move/reset/take sequences against a model,
// and the RELEASE SQE checked by lib/ring's decoder. The RingReleaser
// path (cap_enter) runs in QEMU (qemu.ipc_transfer).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <utility>
#include <vector>

#include "lib/ring/sqe_decoder.hpp"
#include "user/rt/cap_handle.hpp"
#include "user/rt/rt.hpp"

namespace capos::rt {
// The runtime's start.cpp is not linked (ring_client.cpp's rt::ring() needs
// start_info() to link; these tests never call it).
const StartInfo& start_info() {
    static StartInfo info{};
    return info;
}
}  // namespace capos::rt

using namespace capos;
namespace cabi = capos::abi;

namespace {

struct Recorder {
    static inline std::vector<cabi::CapId> released;
    static inline bool fail_next = false;
    static Result<void> release(cabi::CapId id) {
        released.push_back(id);
        if (fail_next) {
            fail_next = false;
            return Error::CapStale;
        }
        return {};
    }
};
using Handle = rt::BasicCapHandle<Recorder>;

class CapHandle : public ::testing::Test {
protected:
    void SetUp() override {
        Recorder::released.clear();
        Recorder::fail_next = false;
    }
};

TEST_F(CapHandle, EmptyReleasesNothing) {
    {
        Handle h;
        EXPECT_FALSE(h.valid());
        EXPECT_EQ(h.id(), cabi::kCapIdNone);
        EXPECT_TRUE(h.reset().ok());
    }
    EXPECT_TRUE(Recorder::released.empty());
}

TEST_F(CapHandle, DestructorReleasesOnce) {
    { Handle h(0x10005); EXPECT_TRUE(h.valid()); }
    EXPECT_EQ(Recorder::released, std::vector<cabi::CapId>{0x10005});
}

TEST_F(CapHandle, MoveTransfersOwnership) {
    {
        Handle a(0x10001);
        Handle b(std::move(a));
        EXPECT_FALSE(a.valid());
        EXPECT_EQ(b.id(), 0x10001u);
        EXPECT_TRUE(Recorder::released.empty());
        Handle c;
        c = std::move(b);
        EXPECT_FALSE(b.valid());
        EXPECT_TRUE(Recorder::released.empty());
    }
    EXPECT_EQ(Recorder::released, std::vector<cabi::CapId>{0x10001});
}

TEST_F(CapHandle, AssignOverReleasesTheOldId) {
    Handle a(0x10001);
    Handle b(0x10002);
    a = std::move(b);
    EXPECT_EQ(Recorder::released, std::vector<cabi::CapId>{0x10001});
    EXPECT_EQ(a.id(), 0x10002u);
}

TEST_F(CapHandle, SelfMoveKeepsTheId) {
    Handle a(0x10003);
    Handle& alias = a;
    a = std::move(alias);
    EXPECT_EQ(a.id(), 0x10003u);
    EXPECT_TRUE(Recorder::released.empty());
}

TEST_F(CapHandle, TakeGivesUpWithoutRelease) {
    {
        Handle a(0x20001);
        EXPECT_EQ(a.take(), 0x20001u);
        EXPECT_FALSE(a.valid());
    }
    EXPECT_TRUE(Recorder::released.empty());
}

TEST_F(CapHandle, ResetReportsTheErrorAndEmpties) {
    Handle a(0x30001);
    Recorder::fail_next = true;
    Result<void> r = a.reset();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::CapStale);
    EXPECT_FALSE(a.valid());
    EXPECT_TRUE(a.reset().ok());
    EXPECT_EQ(Recorder::released, std::vector<cabi::CapId>{0x30001});
}

// Random sequences of operations on a few handles: every id is released at
// most once, and exactly the ids still owned at the end (and not taken)
// are released when the handles go away.
RC_GTEST_FIXTURE_PROP(CapHandle, EveryIdReleasedAtMostOnceByItsLastOwner, ()) {
    Recorder::released.clear();
    Recorder::fail_next = false;
    constexpr int kHandles = 4;
    std::map<cabi::CapId, int> expected;  // id -> times it must be released
    {
        Handle h[kHandles];
        cabi::CapId model[kHandles] = {};
        cabi::CapId next = 0x10001;
        int steps = *rc::gen::inRange(0, 60);
        for (int s = 0; s < steps; ++s) {
            int op = *rc::gen::inRange(0, 5);
            int i = *rc::gen::inRange(0, kHandles);
            int j = *rc::gen::inRange(0, kHandles);
            switch (op) {
            case 0:  // assign a fresh id
                if (model[i] != 0) ++expected[model[i]];
                h[i] = Handle(next);
                model[i] = next++;
                break;
            case 1:  // move j into i
                if (i != j) {
                    if (model[i] != 0) ++expected[model[i]];
                    h[i] = std::move(h[j]);
                    model[i] = model[j];
                    model[j] = 0;
                }
                break;
            case 2:  // reset
                if (model[i] != 0) ++expected[model[i]];
                RC_ASSERT(h[i].reset().ok());
                model[i] = 0;
                break;
            case 3:  // take
                RC_ASSERT(h[i].take() == model[i]);
                model[i] = 0;
                break;
            default:  // observe
                RC_ASSERT(h[i].id() == model[i]);
                break;
            }
        }
        for (int i = 0; i < kHandles; ++i)
            if (model[i] != 0) ++expected[model[i]];
    }
    std::map<cabi::CapId, int> got;
    for (cabi::CapId id : Recorder::released) ++got[id];
    RC_ASSERT(got == expected);
    for (auto& [id, n] : got) RC_ASSERT(n == 1);
}

TEST(ReleaseSqe, DecodesAsRelease) {
    cabi::Sqe sqe = rt::release_sqe(0x00020003, 77);
    auto d = ring::decode_sqe(sqe);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.value().opcode, cabi::Opcode::Release);
    EXPECT_EQ(d.value().cap_id, 0x00020003u);
    EXPECT_EQ(d.value().user_data, 77u);
}

}  // namespace

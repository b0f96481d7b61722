// The frame bitmap against a model: a set of allocated frames.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <vector>

#include "lib/mm/frame_allocator.hpp"

using namespace capos;
using namespace capos::mm;

namespace {

struct Fixture {
    std::vector<uint64_t> words;
    FrameAllocator fa;
    explicit Fixture(uint64_t frames) : words(FrameAllocator::words_needed(frames)) {
        fa.init(words.data(), frames);
    }
};

}  // namespace

TEST(FrameAllocator, ReservesFrameZeroAndHoles) {
    Fixture f(64);
    f.fa.free_range(0, 16 * kFrameSize);            // frame 0 never enters the pool
    f.fa.free_range(32 * kFrameSize + 1, 8 * kFrameSize);  // unaligned: shrinks inward
    EXPECT_EQ(f.fa.total_frames(), 15u + 7u);
    f.fa.reserve_range(4 * kFrameSize + 10, 10);     // partial page: whole page reserved
    EXPECT_EQ(f.fa.total_frames(), 21u);
    EXPECT_EQ(f.fa.free_frames(), 21u);
    std::set<uint64_t> got;
    for (;;) {
        auto r = f.fa.alloc();
        if (!r.ok()) {
            EXPECT_EQ(r.error(), Error::OutOfMemory);
            break;
        }
        EXPECT_TRUE(got.insert(r.value()).second) << "frame handed out twice";
    }
    EXPECT_EQ(got.size(), 21u);
    EXPECT_EQ(got.count(0), 0u);
    EXPECT_EQ(got.count(4 * kFrameSize), 0u);
    EXPECT_EQ(got.count(32 * kFrameSize), 0u);
    EXPECT_EQ(f.fa.free_frames(), 0u);
    EXPECT_EQ(f.fa.used_frames(), 21u);
}

TEST(FrameAllocator, FreeErrors) {
    Fixture f(64);
    f.fa.free_range(kFrameSize, 8 * kFrameSize);
    auto a = f.fa.alloc().value();
    EXPECT_EQ(f.fa.free(a + 1).error(), Error::Misaligned);
    EXPECT_EQ(f.fa.free(40 * kFrameSize).error(), Error::OutOfRange);   // never RAM
    EXPECT_EQ(f.fa.free(1000 * kFrameSize).error(), Error::OutOfRange); // beyond limit
    EXPECT_TRUE(f.fa.free(a).ok());
    uint64_t before = f.fa.free_frames();
    EXPECT_EQ(f.fa.free(a).error(), Error::DoubleFree);
    EXPECT_EQ(f.fa.free_frames(), before);
}

TEST(FrameAllocator, ContiguousRunsAndAtomicFree) {
    Fixture f(64);
    f.fa.free_range(kFrameSize, 40 * kFrameSize);
    auto run = f.fa.alloc_contiguous(10);
    ASSERT_TRUE(run.ok());
    for (uint64_t i = 0; i < 10; ++i) EXPECT_FALSE(f.fa.is_free(run.value() + i * kFrameSize));
    // A run that includes a free frame is refused whole.
    uint64_t before = f.fa.free_frames();
    EXPECT_EQ(f.fa.free_contiguous(run.value(), 11).error(), Error::DoubleFree);
    EXPECT_EQ(f.fa.free_frames(), before);
    EXPECT_TRUE(f.fa.free_contiguous(run.value(), 10).ok());
    EXPECT_EQ(f.fa.alloc_contiguous(41).error(), Error::OutOfMemory);
    EXPECT_EQ(f.fa.alloc_contiguous(0).error(), Error::InvalidArgument);
}

RC_GTEST_PROP(FrameAllocator, MatchesModel, ()) {
    const uint64_t frames = *rc::gen::inRange<uint64_t>(2, 300);
    Fixture f(frames);
    f.fa.free_range(0, frames * kFrameSize);
    const uint64_t total = frames - 1;
    std::set<uint64_t> held;
    auto ops = *rc::gen::container<std::vector<std::pair<int, uint64_t>>>(
        rc::gen::pair(rc::gen::inRange(0, 4), rc::gen::inRange<uint64_t>(0, 400)));
    for (auto [op, arg] : ops) {
        if (op == 0) {
            auto r = f.fa.alloc();
            if (held.size() == total) {
                RC_ASSERT(!r.ok());
            } else {
                RC_ASSERT(r.ok());
                RC_ASSERT(r.value() != 0);
                RC_ASSERT(held.insert(r.value()).second);
            }
        } else if (op == 1 && !held.empty()) {
            auto it = held.begin();
            std::advance(it, arg % held.size());
            RC_ASSERT(f.fa.free(*it).ok());
            held.erase(it);
        } else if (op == 2) {
            uint64_t phys = (arg % frames) * kFrameSize;
            bool allocated = held.count(phys) > 0;
            auto r = f.fa.free(phys);
            if (phys == 0) {
                RC_ASSERT(r.error() == Error::OutOfRange);
            } else if (allocated) {
                RC_ASSERT(r.ok());
                held.erase(phys);
            } else {
                RC_ASSERT(r.error() == Error::DoubleFree);
            }
        } else if (op == 3) {
            uint64_t n = arg % 8 + 1;
            auto r = f.fa.alloc_contiguous(n);
            if (r.ok()) {
                for (uint64_t i = 0; i < n; ++i) RC_ASSERT(held.insert(r.value() + i * kFrameSize).second);
            }
        }
        RC_ASSERT(f.fa.free_frames() + f.fa.used_frames() == f.fa.total_frames());
        RC_ASSERT(f.fa.used_frames() == held.size());
    }
}

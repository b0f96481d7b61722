// Host tests of the user runtime's host-testable parts: ArenaPageSource
// (the heap's page source, user/rt/arena.hpp), the heap over it, and the
// byte-string primitives behind memcpy & co. (user/rt/mem.hpp).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "lib/mm/heap.hpp"
#include "user/rt/arena.hpp"
#include "user/rt/mem.hpp"

using namespace capos;
using rt::ArenaPageSource;

namespace {

constexpr size_t kPage = ArenaPageSource::kPageBytes;

struct AlignedFree {
    void operator()(void* p) const { std::free(p); }
};
using Region = std::unique_ptr<unsigned char, AlignedFree>;

Region region(size_t pages) {
    return Region(static_cast<unsigned char*>(std::aligned_alloc(kPage, pages * kPage)));
}

std::unique_ptr<ArenaPageSource> source() { return std::make_unique<ArenaPageSource>(); }

// A bitmap of exactly words_for(pages) words (so ASan catches any access
// past it), filled with garbage init() must clear. Lives until exit.
uint64_t* bits(size_t pages) {
    static std::vector<std::unique_ptr<std::vector<uint64_t>>> all;
    all.push_back(std::make_unique<std::vector<uint64_t>>(ArenaPageSource::words_for(pages),
                                                          0xdeadbeefdeadbeef));
    return all.back()->data();
}

}  // namespace

TEST(ArenaPageSource, InitRefusesBadRegions) {
    Region r = region(4);
    auto s = source();
    EXPECT_FALSE(s->init(nullptr, 4, bits(4)));
    EXPECT_FALSE(s->init(r.get(), 4, nullptr));
    EXPECT_FALSE(s->init(r.get() + 16, 3, bits(3)));
    EXPECT_FALSE(s->init(r.get(), 0, bits(1)));
    constexpr size_t kTooMany = ArenaPageSource::kMaxPages + 1;
    EXPECT_FALSE(s->init(r.get(), kTooMany, bits(kTooMany)));
    EXPECT_EQ(s->pages(), 0u);
    EXPECT_EQ(s->alloc_pages(1), nullptr);
    ASSERT_TRUE(s->init(r.get(), 4, bits(4)));
    EXPECT_FALSE(s->init(r.get(), 4, bits(4)));  // only once
    EXPECT_EQ(s->pages(), 4u);
    EXPECT_EQ(s->pages_free(), 4u);
}

TEST(ArenaPageSource, FirstFitContiguousAndExhaustion) {
    Region r = region(8);
    auto s = source();
    ASSERT_TRUE(s->init(r.get(), 8, bits(8)));
    unsigned char* base = r.get();
    EXPECT_EQ(s->alloc_pages(0), nullptr);
    void* a = s->alloc_pages(2);
    void* b = s->alloc_pages(3);
    void* c = s->alloc_pages(3);
    EXPECT_EQ(a, base);
    EXPECT_EQ(b, base + 2 * kPage);
    EXPECT_EQ(c, base + 5 * kPage);
    EXPECT_EQ(s->pages_free(), 0u);
    EXPECT_EQ(s->alloc_pages(1), nullptr);

    s->free_pages(b, 3);
    EXPECT_EQ(s->pages_free(), 3u);
    EXPECT_EQ(s->alloc_pages(4), nullptr);  // only 3 free
    // A hole of 3 between a and c: a 2-page run fits at its start.
    EXPECT_EQ(s->alloc_pages(2), base + 2 * kPage);
    EXPECT_EQ(s->alloc_pages(2), nullptr);  // 1 page left
    EXPECT_EQ(s->alloc_pages(1), base + 4 * kPage);
    EXPECT_EQ(s->misuse(), 0u);
}

TEST(ArenaPageSource, FragmentedArenaSkipsShortRuns) {
    Region r = region(8);
    auto s = source();
    ASSERT_TRUE(s->init(r.get(), 8, bits(8)));
    unsigned char* base = r.get();
    std::vector<void*> pages;
    for (int i = 0; i < 8; ++i) pages.push_back(s->alloc_pages(1));
    // Free pages 1, 3, 4, 6, 7: runs of 1, 2, 2.
    for (int i : {1, 3, 4, 6, 7}) s->free_pages(pages[i], 1);
    EXPECT_EQ(s->alloc_pages(3), nullptr);
    EXPECT_EQ(s->alloc_pages(2), base + 3 * kPage);
    EXPECT_EQ(s->alloc_pages(2), base + 6 * kPage);
    EXPECT_EQ(s->alloc_pages(1), base + 1 * kPage);
    EXPECT_EQ(s->pages_free(), 0u);
}

TEST(ArenaPageSource, MisuseIsRefusedAndCounted) {
    Region r = region(4);
    auto s = source();
    ASSERT_TRUE(s->init(r.get(), 4, bits(4)));
    unsigned char* base = r.get();
    void* a = s->alloc_pages(2);
    ASSERT_EQ(a, base);

    s->free_pages(base + 2 * kPage, 1);  // never allocated
    s->free_pages(base + 100, 1);        // not page aligned
    s->free_pages(base + 4 * kPage, 1);  // past the end
    s->free_pages(base - kPage, 1);      // before the start
    s->free_pages(base, 3);              // runs into a free page
    s->free_pages(base, 5);              // runs past the end
    s->free_pages(base, 0);
    EXPECT_EQ(s->misuse(), 7u);
    EXPECT_EQ(s->pages_free(), 2u);  // nothing changed

    s->free_pages(a, 2);
    EXPECT_EQ(s->pages_free(), 4u);
    s->free_pages(a, 2);  // double free
    EXPECT_EQ(s->misuse(), 8u);
    EXPECT_EQ(s->pages_free(), 4u);
}

TEST(ArenaPageSource, ContainsIsExactlyTheArena) {
    Region r = region(3);
    auto s = source();
    EXPECT_FALSE(s->contains(r.get()));
    ASSERT_TRUE(s->init(r.get(), 2, bits(2)));
    EXPECT_TRUE(s->contains(r.get()));
    EXPECT_TRUE(s->contains(r.get() + 2 * kPage - 1));
    EXPECT_FALSE(s->contains(r.get() + 2 * kPage));
    EXPECT_FALSE(s->contains(r.get() - 1));
}

// Random alloc/free sequences against a first-fit model: every run handed
// out is the lowest free run that fits, and the free count matches.
RC_GTEST_PROP(ArenaPageSource, MatchesModel, ()) {
    const size_t pages = *rc::gen::inRange<size_t>(1, 70);
    Region r = region(pages);
    auto s = source();
    RC_ASSERT(s->init(r.get(), pages, bits(pages)));
    std::map<size_t, size_t> live;  // first page -> count
    std::vector<bool> used(pages, false);
    size_t used_count = 0;
    const int steps = *rc::gen::inRange(1, 200);
    for (int step = 0; step < steps; ++step) {
        if (live.empty() || *rc::gen::inRange(0, 3) != 0) {
            size_t count = *rc::gen::inRange<size_t>(1, 9);
            // Model: the lowest run of `count` free pages (first fit).
            size_t expected = pages;
            for (size_t i = 0; i + count <= pages && expected == pages; ++i) {
                size_t j = 0;
                while (j < count && !used[i + j]) ++j;
                if (j == count) expected = i;
            }
            void* p = s->alloc_pages(count);
            RC_ASSERT((p != nullptr) == (expected != pages));
            if (!p) continue;
            RC_ASSERT(static_cast<unsigned char*>(p) == r.get() + expected * kPage);
            const size_t first = expected;
            for (size_t i = first; i < first + count; ++i) used[i] = true;
            live[first] = count;
            used_count += count;
        } else {
            auto it = live.begin();
            std::advance(it, *rc::gen::inRange<size_t>(0, live.size()));
            s->free_pages(r.get() + it->first * kPage, it->second);
            for (size_t i = it->first; i < it->first + it->second; ++i) used[i] = false;
            used_count -= it->second;
            live.erase(it);
        }
        RC_ASSERT(s->pages_free() == pages - used_count);
    }
    RC_ASSERT(s->misuse() == 0u);
}

// The runtime's heap is lib/mm's Heap over an ArenaPageSource: every block
// freed gives every page back.
TEST(RuntimeHeap, FreesEverythingBackToTheArena) {
    constexpr size_t kPages = 64;
    Region r = region(kPages);
    auto s = source();
    ASSERT_TRUE(s->init(r.get(), kPages, bits(kPages)));
    mm::Heap heap;
    heap.init(s.get());
    std::vector<void*> blocks;
    for (size_t size : {1, 16, 17, 100, 2048, 2049, 5000, 40000}) {
        void* p = heap.alloc(size);
        ASSERT_NE(p, nullptr) << size;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
        EXPECT_TRUE(s->contains(p));
        std::memset(p, 0xab, size);
        blocks.push_back(p);
    }
    // Larger than the whole arena: a clean failure.
    EXPECT_EQ(heap.alloc(kPages * kPage), nullptr);
    for (void* p : blocks) EXPECT_TRUE(heap.free(p));
    EXPECT_EQ(heap.live_allocations(), 0u);
    EXPECT_EQ(heap.pages_held(), 0u);
    EXPECT_EQ(s->pages_free(), kPages);
    EXPECT_EQ(s->misuse(), 0u);
}

TEST(RuntimeHeap, ExhaustionIsAValue) {
    constexpr size_t kPages = 4;
    Region r = region(kPages);
    auto s = source();
    ASSERT_TRUE(s->init(r.get(), kPages, bits(kPages)));
    mm::Heap heap;
    heap.init(s.get());
    std::vector<void*> blocks;
    while (void* p = heap.alloc(2048)) blocks.push_back(p);
    EXPECT_EQ(blocks.size(), kPages);  // one 2 KiB block per page
    for (void* p : blocks) heap.free(p);
    EXPECT_EQ(s->pages_free(), kPages);
}

// ---- byte-string primitives ----

RC_GTEST_PROP(RuntimeMem, CopySetCompareMatchTheHost, ()) {
    auto src = *rc::gen::container<std::vector<unsigned char>>(rc::gen::arbitrary<unsigned char>());
    std::vector<unsigned char> dst(src.size() + 8, 0x11);
    std::vector<unsigned char> want = dst;
    // (The host's functions get no empty, possibly null, ranges: UBSan.)
    if (!src.empty()) std::memcpy(want.data() + 4, src.data(), src.size());
    RC_ASSERT(static_cast<unsigned char*>(rt::mem_copy(dst.data() + 4, src.data(), src.size())) ==
              dst.data() + 4);
    RC_ASSERT(dst == want);

    const int c = *rc::gen::arbitrary<int>();
    const size_t n = *rc::gen::inRange<size_t>(0, dst.size() + 1);
    std::memset(want.data(), c, n);
    RC_ASSERT(static_cast<unsigned char*>(rt::mem_set(dst.data(), c, n)) == dst.data());
    RC_ASSERT(dst == want);

    auto other = src;
    if (!other.empty() && *rc::gen::arbitrary<bool>()) {
        size_t i = *rc::gen::inRange<size_t>(0, other.size());
        other[i] = static_cast<unsigned char>(other[i] + *rc::gen::inRange(1, 256));
    }
    int got = rt::mem_compare(src.data(), other.data(), src.size());
    int ref = src.empty() ? 0 : std::memcmp(src.data(), other.data(), src.size());
    RC_ASSERT((got < 0) == (ref < 0));
    RC_ASSERT((got > 0) == (ref > 0));
}

RC_GTEST_PROP(RuntimeMem, MoveHandlesEveryOverlap, ()) {
    const size_t size = *rc::gen::inRange<size_t>(1, 300);
    std::vector<unsigned char> buf(size);
    for (size_t i = 0; i < size; ++i) buf[i] = static_cast<unsigned char>(i * 7 + 3);
    const size_t from = *rc::gen::inRange<size_t>(0, size);
    const size_t to = *rc::gen::inRange<size_t>(0, size);
    const size_t n = *rc::gen::inRange<size_t>(0, size - std::max(from, to) + 1);
    std::vector<unsigned char> want = buf;
    std::memmove(want.data() + to, want.data() + from, n);
    RC_ASSERT(static_cast<unsigned char*>(rt::mem_move(buf.data() + to, buf.data() + from, n)) ==
              buf.data() + to);
    RC_ASSERT(buf == want);
    // DF is clear again after a backward copy.
    uint64_t flags;
    asm volatile("pushfq; popq %0" : "=r"(flags));
    RC_ASSERT((flags & (1u << 10)) == 0u);
}

TEST(RuntimeMem, StrLength) {
    EXPECT_EQ(rt::str_length(""), 0u);
    EXPECT_EQ(rt::str_length("a"), 1u);
    EXPECT_EQ(rt::str_length("capOS\0hidden"), 5u);
}

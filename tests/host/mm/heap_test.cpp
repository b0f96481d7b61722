// The kernel heap over a fake page source with a page budget.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "lib/mm/heap.hpp"

using namespace capos::mm;

namespace {

class FakePages final : public PageSource {
public:
    explicit FakePages(size_t budget) : budget_(budget) {}
    void* alloc_pages(size_t count) override {
        if (count > budget_ - live_) return nullptr;
        void* p = std::aligned_alloc(4096, count * 4096);
        live_ += count;
        blocks_[p] = count;
        return p;
    }
    void free_pages(void* p, size_t count) override {
        auto it = blocks_.find(p);
        ASSERT_NE(it, blocks_.end()) << "freeing pages never allocated";
        ASSERT_EQ(it->second, count);
        blocks_.erase(it);
        live_ -= count;
        std::free(p);
    }
    size_t live() const { return live_; }

private:
    size_t budget_;
    size_t live_ = 0;
    std::map<void*, size_t> blocks_;
};

}  // namespace

TEST(Heap, ExhaustionReturnsNullAndEverythingComesBack) {
    FakePages pages(64);
    Heap h;
    h.init(&pages);
    std::vector<void*> blocks;
    for (;;) {
        void* p = h.alloc(10000);
        if (!p) break;
        blocks.push_back(p);
    }
    EXPECT_EQ(blocks.size(), 21u);  // 3 pages each, 64-page budget
    EXPECT_EQ(h.alloc(5000), nullptr);
    for (void* p : blocks) EXPECT_TRUE(h.free(p));
    EXPECT_EQ(h.live_bytes(), 0u);
    EXPECT_EQ(h.live_allocations(), 0u);
    EXPECT_EQ(pages.live(), 0u);
}

TEST(Heap, RejectsForeignPointers) {
    FakePages pages(8);
    Heap h;
    h.init(&pages);
    void* p = h.alloc(32);
    ASSERT_NE(p, nullptr);
    EXPECT_FALSE(h.free(static_cast<char*>(p) + 1));
    EXPECT_TRUE(h.free(nullptr));
    EXPECT_TRUE(h.free(p));
}

RC_GTEST_PROP(Heap, BlocksNeverOverlapAndCountersBalance, ()) {
    FakePages pages(256);
    Heap h;
    h.init(&pages);
    struct Block {
        unsigned char* p;
        size_t size;
        unsigned char tag;
    };
    std::vector<Block> live;
    auto ops = *rc::gen::container<std::vector<std::pair<bool, size_t>>>(
        rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::inRange<size_t>(0, 9000)));
    unsigned char tag = 1;
    for (auto [do_alloc, arg] : ops) {
        if (do_alloc || live.empty()) {
            auto* p = static_cast<unsigned char*>(h.alloc(arg));
            if (!p) continue;
            RC_ASSERT(reinterpret_cast<uintptr_t>(p) % Heap::kAlign == 0);
            std::memset(p, tag, arg);
            live.push_back({p, arg, tag});
            tag = static_cast<unsigned char>(tag % 250 + 1);
        } else {
            size_t i = arg % live.size();
            for (size_t k = 0; k < live[i].size; ++k) RC_ASSERT(live[i].p[k] == live[i].tag);
            RC_ASSERT(h.free(live[i].p));
            live.erase(live.begin() + static_cast<long>(i));
        }
        RC_ASSERT(h.live_allocations() == live.size());
    }
    for (auto& b : live) {
        for (size_t k = 0; k < b.size; ++k) RC_ASSERT(b.p[k] == b.tag);
        RC_ASSERT(h.free(b.p));
    }
    RC_ASSERT(h.live_bytes() == 0u);
    RC_ASSERT(pages.live() == 0u);
}

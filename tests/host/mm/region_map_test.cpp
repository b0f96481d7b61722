// The region map against a page-by-page model: every operation either does
// exactly what the model does or fails and changes nothing.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "lib/mm/region_map.hpp"

using namespace capos;
using namespace capos::mm;

namespace {
constexpr uint64_t P = kRegionPageSize;
constexpr uint64_t kLo = 0x1000'0000;

struct Fixture {
    std::vector<Region> storage;
    RegionMap map;
    Fixture(size_t capacity, uint64_t pages) : storage(capacity) {
        EXPECT_TRUE(map.init(storage, kLo, kLo + pages * P).ok());
    }
};

Region anon(uint64_t page, uint64_t pages) { return Region{kLo + page * P, pages, RegionKind::Anonymous, 0, 0}; }
Region object(uint64_t page, uint64_t pages, uint64_t tag, uint64_t offset) {
    return Region{kLo + page * P, pages, RegionKind::Object, tag, offset};
}

// What the map says about each page: 0 free, else kind | tag << 4 | offset << 16
// (the object page, for Object regions; Anonymous regions have no offset).
std::vector<uint64_t> pages_of(const RegionMap& m, uint64_t pages) {
    std::vector<uint64_t> out(pages, 0);
    for (size_t i = 0; i < m.size(); ++i) {
        const Region& r = m[i];
        for (uint64_t p = 0; p < r.pages; ++p)
            out[(r.base - kLo) / P + p] = static_cast<uint64_t>(r.kind) | r.tag << 4 |
                                          (r.kind == RegionKind::Object ? (r.offset_pages + p) << 16 : 0);
    }
    return out;
}

bool sorted_disjoint(const RegionMap& m) {
    for (size_t i = 0; i < m.size(); ++i) {
        if (m[i].pages == 0) return false;
        if (i > 0 && m[i - 1].end() > m[i].base) return false;
    }
    return true;
}
}  // namespace

TEST(RegionMap, RangeChecks) {
    Fixture f(8, 16);
    EXPECT_FALSE(f.map.check_range(kLo, 0).ok());
    EXPECT_FALSE(f.map.check_range(kLo + 1, P).ok());
    EXPECT_FALSE(f.map.check_range(kLo, P + 1).ok());
    EXPECT_FALSE(f.map.check_range(kLo - P, P).ok());
    EXPECT_FALSE(f.map.check_range(kLo + 15 * P, 2 * P).ok());
    EXPECT_FALSE(f.map.check_range(kLo + P, UINT64_MAX - P + 1).ok());  // wraps
    EXPECT_EQ(f.map.check_range(kLo + 15 * P, P).value(), 1u);
}

TEST(RegionMap, PlaceFirstFitAndHints) {
    Fixture f(8, 16);
    ASSERT_TRUE(f.map.insert(anon(0, 2)).ok());
    ASSERT_TRUE(f.map.insert(anon(4, 2)).ok());
    EXPECT_EQ(f.map.place(0, 2).value(), kLo + 2 * P);
    EXPECT_EQ(f.map.place(0, 3).value(), kLo + 6 * P);
    EXPECT_EQ(f.map.place(kLo + 3 * P, 1).value(), kLo + 3 * P);
    EXPECT_EQ(f.map.place(kLo + 3 * P, 2).error(), Error::InvalidArgument);  // overlaps: no relocation
    EXPECT_EQ(f.map.place(0, 11).error(), Error::OutOfMemory);
    EXPECT_EQ(f.map.place(0, 17).error(), Error::InvalidArgument);  // larger than the whole range
    EXPECT_EQ(f.map.place(0, 0).error(), Error::InvalidArgument);
    EXPECT_EQ(f.map.place(0, 10).value(), kLo + 6 * P);
}

TEST(RegionMap, InsertRefusesOverlapAndFullStorage) {
    Fixture f(2, 16);
    ASSERT_TRUE(f.map.insert(anon(2, 4)).ok());
    EXPECT_EQ(f.map.insert(anon(5, 1)).error(), Error::InvalidArgument);
    EXPECT_EQ(f.map.insert(anon(0, 3)).error(), Error::InvalidArgument);
    ASSERT_TRUE(f.map.insert(anon(6, 1)).ok());
    EXPECT_EQ(f.map.insert(anon(10, 1)).error(), Error::LimitExceeded);
    EXPECT_EQ(f.map.size(), 2u);
}

TEST(RegionMap, RemoveSplitsAndKeepsObjectOffsets) {
    Fixture f(3, 32);
    ASSERT_TRUE(f.map.insert(object(4, 8, 7, 100)).ok());
    ASSERT_TRUE(f.map.remove(kLo + 6 * P, 2, RegionKind::Object, 7).ok());
    ASSERT_EQ(f.map.size(), 2u);
    EXPECT_EQ(f.map[0].pages, 2u);
    EXPECT_EQ(f.map[1].base, kLo + 8 * P);
    EXPECT_EQ(f.map[1].offset_pages, 104u);
    // Wrong tag or kind, or a gap in the range: refused.
    EXPECT_FALSE(f.map.remove(kLo + 4 * P, 1, RegionKind::Object, 8).ok());
    EXPECT_FALSE(f.map.remove(kLo + 4 * P, 1, RegionKind::Anonymous, 0).ok());
    EXPECT_FALSE(f.map.remove(kLo + 5 * P, 4, RegionKind::Object, 7).ok());
}

TEST(RegionMap, SplitWithFullStorageChangesNothing) {
    Fixture f(1, 16);
    ASSERT_TRUE(f.map.insert(anon(0, 8)).ok());
    EXPECT_EQ(f.map.remove(kLo + 2 * P, 2, RegionKind::Anonymous, 0).error(), Error::LimitExceeded);
    ASSERT_EQ(f.map.size(), 1u);
    EXPECT_EQ(f.map[0].pages, 8u);
    // Trimming an end needs no extra entry.
    EXPECT_TRUE(f.map.remove(kLo + 6 * P, 2, RegionKind::Anonymous, 0).ok());
    EXPECT_EQ(f.map[0].pages, 6u);
}

TEST(RegionMap, RemoveAcrossSeveralRegions) {
    Fixture f(8, 32);
    ASSERT_TRUE(f.map.insert(anon(0, 4)).ok());
    ASSERT_TRUE(f.map.insert(anon(4, 4)).ok());
    ASSERT_TRUE(f.map.insert(anon(8, 4)).ok());
    ASSERT_TRUE(f.map.remove(kLo + 2 * P, 8, RegionKind::Anonymous, 0).ok());
    ASSERT_EQ(f.map.size(), 2u);
    EXPECT_EQ(f.map[0].end(), kLo + 2 * P);
    EXPECT_EQ(f.map[1].base, kLo + 10 * P);
    EXPECT_EQ(f.map[1].pages, 2u);
    EXPECT_EQ(f.map.find(kLo + 5 * P), nullptr);
    EXPECT_EQ(f.map.find(kLo + 11 * P), &f.map[1]);
}

// Random insert/remove/place against the page model.
RC_GTEST_PROP(RegionMap, MatchesPageModel, ()) {
    constexpr uint64_t kPages = 24;
    const size_t capacity = *rc::gen::inRange<size_t>(1, 6);
    Fixture f(capacity, kPages);
    std::vector<uint64_t> model(kPages, 0);
    auto ops = *rc::gen::container<std::vector<std::array<uint64_t, 4>>>(rc::gen::container<std::array<uint64_t, 4>>(
        rc::gen::inRange<uint64_t>(0, 26)));
    for (auto op : ops) {
        uint64_t kind_sel = op[0] % 3, page = op[1] % kPages, pages = op[2] % 6 + 1, tag = op[3] % 2 + 1;
        RegionKind kind = kind_sel == 0 ? RegionKind::Anonymous : RegionKind::Object;
        uint64_t t = kind == RegionKind::Anonymous ? 0 : tag;
        auto before = pages_of(f.map, kPages);
        RC_ASSERT(before == model);
        bool in_range = page + pages <= kPages;
        if (op[3] % 3 == 0) {
            // insert
            bool free = in_range;
            for (uint64_t p = page; free && p < page + pages; ++p) free = model[p] == 0;
            uint64_t offset = kind == RegionKind::Object ? op[1] : 0;
            auto r = f.map.insert(Region{kLo + page * P, pages, kind, t, offset});
            if (!free) {
                RC_ASSERT(!r.ok());
            } else if (r.ok()) {
                for (uint64_t p = 0; p < pages; ++p)
                    model[page + p] = static_cast<uint64_t>(kind) | t << 4 |
                                      (kind == RegionKind::Object ? (offset + p) << 16 : 0);
            } else {
                RC_ASSERT(r.error() == Error::LimitExceeded);
                RC_ASSERT(f.map.size() == f.map.capacity());
            }
        } else if (op[3] % 3 == 1) {
            // remove
            bool cov = in_range;
            for (uint64_t p = page; cov && p < page + pages; ++p)
                cov = model[p] != 0 && (model[p] & 0xF) == static_cast<uint64_t>(kind) && ((model[p] >> 4) & 0xFFF) == t;
            RC_ASSERT(f.map.covered(kLo + page * P, pages, kind, t) == cov);
            auto r = f.map.remove(kLo + page * P, pages, kind, t);
            if (!cov) {
                RC_ASSERT(!r.ok());
            } else if (r.ok()) {
                for (uint64_t p = page; p < page + pages; ++p) model[p] = 0;
            } else {
                RC_ASSERT(r.error() == Error::LimitExceeded);
            }
        } else {
            // place: the answer must be free in the model, and the lowest such gap.
            auto r = f.map.place(0, pages);
            uint64_t expect = kPages;
            for (uint64_t s = 0; s + pages <= kPages && expect == kPages; ++s) {
                bool free = true;
                for (uint64_t p = s; free && p < s + pages; ++p) free = model[p] == 0;
                if (free) expect = s;
            }
            if (expect == kPages) {
                RC_ASSERT(!r.ok());
            } else {
                RC_ASSERT(r.ok());
                RC_ASSERT(r.value() == kLo + expect * P);
            }
        }
        RC_ASSERT(sorted_disjoint(f.map));
        if (!(pages_of(f.map, kPages) == model)) RC_FAIL("map and model differ");
    }
}

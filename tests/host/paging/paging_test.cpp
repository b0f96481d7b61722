#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "lib/paging/paging.hpp"
#include "tests/host/paging/fake_memory.hpp"

using namespace capos;
using namespace capos::paging;
using capos::paging::fake::FakeMemory;

namespace {

constexpr uint64_t k4K = page_bytes(PageSize::Size4K);
constexpr uint64_t k2M = page_bytes(PageSize::Size2M);
constexpr uint64_t k1G = page_bytes(PageSize::Size1G);

constexpr Attributes kUserRw{.writable = true, .user = true};
constexpr Attributes kUserRx{.user = true, .executable = true};
constexpr Attributes kUserRo{.user = true};
constexpr Attributes kKernelRo{};
constexpr Attributes kKernelRw{.writable = true, .global = true};

PageTable make_table(FakeMemory& mem) {
    auto r = PageTable::create(mem);
    EXPECT_TRUE(r.ok());
    return r.release_value();
}

// The raw entry for va at `level` (4 = PML4), following table pointers.
uint64_t raw_entry(FakeMemory& mem, const PageTable& pt, VirtAddr va, int level) {
    uint64_t* t = mem.table(pt.root());
    for (int l = 4; l > level; --l) {
        uint64_t e = t[(va >> (12 + 9 * (l - 1))) & 511];
        EXPECT_TRUE(e & pte::kPresent) << "no table at level " << l;
        t = mem.table(e & pte::kAddrMask);
    }
    return t[(va >> (12 + 9 * (level - 1))) & 511];
}

std::vector<Mapping> walk_all(const PageTable& pt, VirtAddr first = 0, VirtAddr last = ~0ull) {
    std::vector<Mapping> out;
    pt.walk(first, last, [&](const Mapping& m) { out.push_back(m); });
    return out;
}

size_t destroy(PageTable& pt) {
    return pt.destroy([](const Mapping&) {});
}

}  // namespace

TEST(Paging, CreateAllocatesOnlyTheRoot) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    EXPECT_EQ(mem.live(), 1u);
    EXPECT_TRUE(mem.is_live(pt.root()));
    EXPECT_EQ(destroy(pt), 1u);
    EXPECT_EQ(mem.live(), 0u);
    EXPECT_EQ(pt.root(), 0u);
}

TEST(Paging, Map4KTranslateUnmap) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    auto f = pt.map(0x400000, 0x1234000, PageSize::Size4K, kUserRw);
    ASSERT_TRUE(f.ok()) << error_name(f.error());
    EXPECT_EQ(f.value(), Flush::None);
    EXPECT_EQ(mem.live(), 4u);  // root + PDPT + PD + PT

    auto t = pt.translate(0x400123);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.value().phys, 0x1234123u);
    EXPECT_EQ(t.value().mapping.va, 0x400000u);
    EXPECT_EQ(t.value().mapping.pa, 0x1234000u);
    EXPECT_EQ(t.value().mapping.size, PageSize::Size4K);
    EXPECT_EQ(t.value().mapping.attrs, kUserRw);
    EXPECT_EQ(pt.translate(0x401000).error(), Error::NotFound);
    EXPECT_EQ(pt.translate(0x3ff000).error(), Error::NotFound);

    auto u = pt.unmap(0x400000);
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u.value().pa, 0x1234000u);
    EXPECT_EQ(u.value().size, PageSize::Size4K);
    EXPECT_EQ(u.value().attrs, kUserRw);
    EXPECT_EQ(pt.translate(0x400000).error(), Error::NotFound);
    EXPECT_EQ(pt.unmap(0x400000).error(), Error::NotFound);
    EXPECT_EQ(mem.live(), 4u);  // unmap keeps tables

    EXPECT_EQ(pt.prune(0, kLowerHalfLast), 3u);
    EXPECT_EQ(mem.live(), 1u);
    EXPECT_EQ(destroy(pt), 1u);
    EXPECT_EQ(mem.live(), 0u);
}

// translate_leaf agrees with translate() on every address, and refuses a
// leaf missing a required bit (4K and 2M leaves, read-only and writable).
TEST(Paging, TranslateLeafMatchesTranslate) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    ASSERT_TRUE(pt.map(0x400000, 0x1234000, PageSize::Size4K, kUserRw).ok());
    ASSERT_TRUE(pt.map(0x600000, 0x200000, PageSize::Size2M, kUserRo).ok());
    using namespace pte;
    for (VirtAddr va : {0x400000ull, 0x400123ull, 0x400fffull, 0x600000ull, 0x6abcdeull, 0x7fffffull}) {
        auto t = pt.translate(va);
        ASSERT_TRUE(t.ok());
        auto f = pt.translate_leaf(va, kUser);
        ASSERT_TRUE(f.ok()) << va;
        EXPECT_EQ(f.value(), t.value().phys);
        EXPECT_EQ(pt.translate_leaf(va, kUser | kWritable).ok(), t.value().mapping.attrs.writable);
        EXPECT_TRUE(pt.translate_leaf(va, 0).ok());
    }
    for (VirtAddr va : {0x3ff000ull, 0x401000ull, 0x800000ull, 0ull})
        EXPECT_EQ(pt.translate_leaf(va, kUser).error(), Error::NotFound);
    EXPECT_EQ(pt.translate_leaf(0x0000800000000000ull, 0).error(), Error::InvalidArgument);
    (void)destroy(pt);
}

TEST(Paging, LeafAndIntermediateBits) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    const VirtAddr va = 0x7f00'0000'0000;
    ASSERT_TRUE(pt.map(va, 0x5000, PageSize::Size4K, kUserRw).ok());
    uint64_t leaf = raw_entry(mem, pt, va, 1);
    EXPECT_EQ(leaf, 0x5000 | pte::kPresent | pte::kWritable | pte::kUser | pte::kNoExecute);
    for (int l = 4; l >= 2; --l) {
        uint64_t e = raw_entry(mem, pt, va, l);
        EXPECT_EQ(e & ~pte::kAddrMask, pte::kPresent | pte::kWritable | pte::kUser) << l;
    }

    const VirtAddr kva = 0xffff'ffff'8000'0000;
    Attributes all{.writable = true, .executable = true, .global = true, .write_through = true,
                   .cache_disable = true};
    ASSERT_TRUE(pt.map(kva, 0x6000, PageSize::Size4K, all).ok());
    EXPECT_EQ(raw_entry(mem, pt, kva, 1), 0x6000 | pte::kPresent | pte::kWritable | pte::kGlobal |
                                              pte::kWriteThrough | pte::kCacheDisable);
    for (int l = 4; l >= 2; --l)
        EXPECT_EQ(raw_entry(mem, pt, kva, l) & ~pte::kAddrMask, pte::kPresent | pte::kWritable);
    EXPECT_EQ(pt.translate(kva).value().mapping.attrs, all);
    destroy(pt);
    EXPECT_EQ(mem.live(), 0u);
}

TEST(Paging, IntermediatesGainWriteAndUserOnlyWhenNeeded) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    ASSERT_EQ(pt.map(0x400000, 0x1000, PageSize::Size4K, kKernelRo).value(), Flush::None);
    for (int l = 4; l >= 2; --l)
        EXPECT_EQ(raw_entry(mem, pt, 0x400000, l) & ~pte::kAddrMask, pte::kPresent);
    // A user read-only page in the same PT: U added above, W not.
    ASSERT_EQ(pt.map(0x401000, 0x2000, PageSize::Size4K, kUserRo).value(), Flush::Page);
    for (int l = 4; l >= 2; --l)
        EXPECT_EQ(raw_entry(mem, pt, 0x400000, l) & ~pte::kAddrMask, pte::kPresent | pte::kUser);
    // Nothing new needed: no flush.
    ASSERT_EQ(pt.map(0x402000, 0x3000, PageSize::Size4K, kUserRo).value(), Flush::None);
    // Writable: W added.
    ASSERT_EQ(pt.map(0x403000, 0x4000, PageSize::Size4K, kUserRw).value(), Flush::Page);
    for (int l = 4; l >= 2; --l)
        EXPECT_EQ(raw_entry(mem, pt, 0x400000, l) & ~pte::kAddrMask,
                  pte::kPresent | pte::kUser | pte::kWritable);
    // Leaves keep their own, narrower permissions.
    EXPECT_EQ(pt.translate(0x400000).value().mapping.attrs, kKernelRo);
    EXPECT_EQ(pt.translate(0x401000).value().mapping.attrs, kUserRo);
    destroy(pt);
}

TEST(Paging, NxOnlyOnLeaves) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    ASSERT_TRUE(pt.map(0x400000, 0x1000, PageSize::Size4K, kUserRw).ok());
    ASSERT_TRUE(pt.map(0x600000, 0x200000, PageSize::Size2M, kUserRo).ok());
    for (int l = 4; l >= 2; --l) EXPECT_FALSE(raw_entry(mem, pt, 0x400000, l) & pte::kNoExecute);
    EXPECT_TRUE(raw_entry(mem, pt, 0x400000, 1) & pte::kNoExecute);
    EXPECT_TRUE(raw_entry(mem, pt, 0x600000, 2) & pte::kNoExecute);
    ASSERT_TRUE(pt.protect(0x400000, kUserRx).ok());
    EXPECT_FALSE(raw_entry(mem, pt, 0x400000, 1) & pte::kNoExecute);
    destroy(pt);
}

TEST(Paging, InputChecksChangeNothing) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    ASSERT_TRUE(pt.map(0x400000, 0x1000, PageSize::Size4K, kUserRw).ok());
    auto before = mem.snapshot();
    struct Case {
        VirtAddr va;
        PhysAddr pa;
        PageSize size;
        Attributes attrs;
        Error expected;
    };
    const Case cases[] = {
        {0x0000'8000'0000'0000, 0x1000, PageSize::Size4K, kUserRw, Error::InvalidArgument},
        {0xffff'7fff'ffff'f000, 0x1000, PageSize::Size4K, kKernelRw, Error::InvalidArgument},
        {0x8000'0000'0000'0000, 0x1000, PageSize::Size4K, kKernelRw, Error::InvalidArgument},
        {0x400800, 0x1000, PageSize::Size4K, kUserRw, Error::Misaligned},
        {0x500000, 0x1001, PageSize::Size4K, kUserRw, Error::Misaligned},
        {0x201000, 0x200000, PageSize::Size2M, kUserRw, Error::Misaligned},
        {0x200000, 0x201000, PageSize::Size2M, kUserRw, Error::Misaligned},
        {0x4000'0000, 0x20'0000, PageSize::Size1G, kUserRw, Error::Misaligned},
        {0x500000, kPhysLimit, PageSize::Size4K, kUserRw, Error::InvalidArgument},
        {0x500000, ~0ull & ~0xfffull, PageSize::Size4K, kUserRw, Error::InvalidArgument},
        {0xffff'ffff'8000'0000, 0x1000, PageSize::Size4K, kUserRo, Error::InvalidArgument},
        {0x400000, 0x9000, PageSize::Size4K, kUserRw, Error::AlreadyExists},
    };
    for (const Case& c : cases) {
        auto r = pt.map(c.va, c.pa, c.size, c.attrs);
        ASSERT_FALSE(r.ok()) << std::hex << c.va;
        EXPECT_EQ(r.error(), c.expected) << std::hex << c.va << " " << error_name(r.error());
        EXPECT_EQ(mem.snapshot(), before) << std::hex << c.va;
    }
    EXPECT_EQ(pt.unmap(0x0000'8000'0000'0000).error(), Error::InvalidArgument);
    EXPECT_EQ(pt.unmap(0x400008).error(), Error::Misaligned);
    EXPECT_EQ(pt.protect(0x400008, kUserRo).error(), Error::Misaligned);
    EXPECT_EQ(pt.protect(0x1234'0000'0000'0000, kUserRo).error(), Error::InvalidArgument);
    EXPECT_EQ(pt.protect(0x401000, kUserRo).error(), Error::NotFound);
    EXPECT_EQ(pt.translate(0x0000'8000'0000'0000).error(), Error::InvalidArgument);
    EXPECT_EQ(mem.snapshot(), before);
    destroy(pt);
}

TEST(Paging, HugePages) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    ASSERT_TRUE(pt.map(0x200000, 0x4000'0000, PageSize::Size2M, kUserRw).ok());
    EXPECT_EQ(mem.live(), 3u);  // root + PDPT + PD
    uint64_t e = raw_entry(mem, pt, 0x200000, 2);
    EXPECT_TRUE(e & pte::kHuge);
    EXPECT_EQ(e & pte::kAddrMask2M, 0x4000'0000u);
    auto t = pt.translate(0x3f'ffff);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.value().phys, 0x401f'ffffu);
    EXPECT_EQ(t.value().mapping.size, PageSize::Size2M);
    EXPECT_EQ(t.value().mapping.va, 0x200000u);

    // Nothing may be mapped inside it, and it may not be split.
    EXPECT_EQ(pt.map(0x201000, 0x1000, PageSize::Size4K, kUserRw).error(), Error::AlreadyExists);
    EXPECT_EQ(pt.map(0, 0, PageSize::Size1G, kUserRw).error(), Error::AlreadyExists);
    EXPECT_EQ(pt.unmap(0x201000).error(), Error::Misaligned);
    EXPECT_EQ(pt.protect(0x3ff000, kUserRo).error(), Error::Misaligned);

    // A 2 MiB page cannot replace a page table, even an empty one.
    ASSERT_TRUE(pt.map(0x600000, 0x1000, PageSize::Size4K, kUserRw).ok());
    EXPECT_EQ(pt.map(0x600000, 0x4020'0000, PageSize::Size2M, kUserRw).error(),
              Error::AlreadyExists);
    ASSERT_TRUE(pt.unmap(0x600000).ok());
    EXPECT_EQ(pt.map(0x600000, 0x4020'0000, PageSize::Size2M, kUserRw).error(),
              Error::AlreadyExists);
    EXPECT_EQ(pt.prune(0x600000, 0x7fffff), 1u);
    EXPECT_TRUE(pt.map(0x600000, 0x4020'0000, PageSize::Size2M, kUserRw).ok());

    auto u = pt.unmap(0x200000);
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u.value().size, PageSize::Size2M);
    EXPECT_EQ(u.value().pa, 0x4000'0000u);

    // 1 GiB pages go in the PDPT.
    ASSERT_TRUE(pt.map(0x80'0000'0000, 0xc000'0000, PageSize::Size1G, kKernelRo).ok());
    auto g = pt.translate(0x80'1234'5678);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g.value().phys, 0xd234'5678u);
    EXPECT_EQ(g.value().mapping.size, PageSize::Size1G);
    EXPECT_TRUE(raw_entry(mem, pt, 0x80'0000'0000, 3) & pte::kHuge);

    std::vector<std::tuple<VirtAddr, PageSize>> leaves;
    size_t freed = pt.destroy([&](const Mapping& m) { leaves.emplace_back(m.va, m.size); });
    EXPECT_EQ(leaves, (std::vector<std::tuple<VirtAddr, PageSize>>{
                          {0x600000, PageSize::Size2M}, {0x80'0000'0000, PageSize::Size1G}}));
    EXPECT_EQ(freed, 4u);  // root, PDPT and PD of PML4[0], PDPT of PML4[1] (holds the 1 GiB leaf)
    EXPECT_EQ(mem.live(), 0u);
}

TEST(Paging, HugeLeafKeepsPatBitOutOfTheAddress) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    ASSERT_TRUE(pt.map(0x200000, 0x4000'0000, PageSize::Size2M, kUserRw).ok());
    // Set the 2 MiB PAT bit (bit 12) by hand, as firmware-built tables may.
    uint64_t* pd = mem.table(raw_entry(mem, pt, 0x200000, 3) & pte::kAddrMask);
    pd[1] |= uint64_t{1} << 12;
    EXPECT_EQ(pt.translate(0x200000).value().mapping.pa, 0x4000'0000u);
    ASSERT_TRUE(pt.protect(0x200000, kUserRo).ok());
    EXPECT_TRUE(pd[1] & (uint64_t{1} << 12)) << "protect dropped PAT";
    EXPECT_EQ(pt.unmap(0x200000).value().pa, 0x4000'0000u);
    destroy(pt);
}

TEST(Paging, ProtectKeepsFrameAndAccessedDirty) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    ASSERT_TRUE(pt.map(0x400000, 0x7000, PageSize::Size4K, kUserRo).ok());
    uint64_t* ptab = mem.table(raw_entry(mem, pt, 0x400000, 2) & pte::kAddrMask);
    ptab[0] |= pte::kAccessed | pte::kDirty;  // as the MMU would

    auto p = pt.protect(0x400000, kUserRw);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p.value().old_attrs, kUserRo);
    EXPECT_EQ(p.value().flush, Flush::Page);
    // The intermediates gained W for the now-writable leaf.
    for (int l = 4; l >= 2; --l) EXPECT_TRUE(raw_entry(mem, pt, 0x400000, l) & pte::kWritable);

    auto t = pt.translate(0x400000);
    EXPECT_EQ(t.value().mapping.attrs, kUserRw);
    EXPECT_EQ(t.value().mapping.pa, 0x7000u);
    EXPECT_TRUE(t.value().mapping.accessed);
    EXPECT_TRUE(t.value().mapping.dirty);

    auto same = pt.protect(0x400000, kUserRw);
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(same.value().flush, Flush::None);

    auto u = pt.unmap(0x400000);
    EXPECT_TRUE(u.value().accessed);
    EXPECT_TRUE(u.value().dirty);
    destroy(pt);
}

TEST(Paging, WalkVisitsLeavesInOrderWithCanonicalAddresses) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    ASSERT_TRUE(pt.map(0xffff'ffff'ffff'f000, 0x1000, PageSize::Size4K, kKernelRw).ok());
    ASSERT_TRUE(pt.map(0x7fff'ffff'f000, 0x2000, PageSize::Size4K, kUserRw).ok());
    ASSERT_TRUE(pt.map(0x200000, 0x20'0000, PageSize::Size2M, kUserRo).ok());
    ASSERT_TRUE(pt.map(0x1000, 0x3000, PageSize::Size4K, kUserRo).ok());
    ASSERT_TRUE(pt.map(0xffff'8000'0000'0000, 0x4000, PageSize::Size4K, kKernelRo).ok());

    std::vector<VirtAddr> vas;
    for (const Mapping& m : walk_all(pt)) vas.push_back(m.va);
    EXPECT_EQ(vas, (std::vector<VirtAddr>{0x1000, 0x200000, 0x7fff'ffff'f000,
                                          0xffff'8000'0000'0000, 0xffff'ffff'ffff'f000}));

    // A window that starts inside the 2 MiB page still reports it.
    vas.clear();
    for (const Mapping& m : walk_all(pt, 0x300000, 0x7fff'ffff'efff)) vas.push_back(m.va);
    EXPECT_EQ(vas, (std::vector<VirtAddr>{0x200000}));

    // A window across the non-canonical hole.
    vas.clear();
    for (const Mapping& m : walk_all(pt, 0x7fff'ffff'f000, 0xffff'8000'0000'0000)) vas.push_back(m.va);
    EXPECT_EQ(vas, (std::vector<VirtAddr>{0x7fff'ffff'f000, 0xffff'8000'0000'0000}));

    EXPECT_TRUE(walk_all(pt, 0x2000, 0x1fffff).empty());
    EXPECT_TRUE(walk_all(pt, 0x0000'8000'0000'0000, 0xffff'7fff'ffff'ffff).empty());
    EXPECT_TRUE(walk_all(pt, 5, 4).empty());
    destroy(pt);
    EXPECT_EQ(mem.live(), 0u);
}

TEST(Paging, PruneFreesOnlyEmptyTablesInRange) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    ASSERT_TRUE(pt.map(0x400000, 0x1000, PageSize::Size4K, kUserRw).ok());
    ASSERT_TRUE(pt.map(0x600000, 0x2000, PageSize::Size4K, kUserRw).ok());
    ASSERT_TRUE(pt.map(0x80'0000'0000, 0x3000, PageSize::Size4K, kUserRw).ok());
    EXPECT_EQ(mem.live(), 1u + 2 + 2 + 3);  // root; PDPTs; PDs; PTs
    EXPECT_EQ(pt.prune(0, kLowerHalfLast), 0u);

    ASSERT_TRUE(pt.unmap(0x400000).ok());
    ASSERT_TRUE(pt.unmap(0x80'0000'0000).ok());
    // Only the window's empty PT goes.
    EXPECT_EQ(pt.prune(0x400000, 0x400fff), 1u);
    EXPECT_EQ(mem.live(), 7u);
    // The whole lower half: PML4[1]'s PDPT, PD and PT; PML4[0]'s chain still holds 0x600000.
    EXPECT_EQ(pt.prune(0, kLowerHalfLast), 3u);
    EXPECT_EQ(mem.live(), 4u);
    EXPECT_EQ(pt.translate(0x600000).value().phys, 0x2000u);
    destroy(pt);
    EXPECT_EQ(mem.live(), 0u);
}

TEST(Paging, FailedMapLeavesTablesExactlyAsBefore) {
    for (size_t k = 1; k <= 3; ++k) {
        FakeMemory mem;
        PageTable pt = make_table(mem);
        ASSERT_TRUE(pt.map(0x400000, 0x1000, PageSize::Size4K, kKernelRo).ok());
        auto before = mem.snapshot();
        // 0x80'0000'0000 needs a PDPT, PD and PT: fail the k-th of them.
        mem.fail_allocation(k);
        auto r = pt.map(0x80'0000'0000, 0x2000, PageSize::Size4K, kUserRw);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error(), Error::OutOfMemory);
        EXPECT_EQ(mem.snapshot(), before) << "k=" << k;
        EXPECT_EQ(mem.allocations(), 4 + k);
        EXPECT_EQ(mem.frees(), k - 1) << "k=" << k;

        // Below an existing PD, only a PT is needed; an intermediate that would
        // gain U and W is not touched either.
        mem.fail_allocation(1);
        EXPECT_EQ(pt.map(0x600000, 0x3000, PageSize::Size4K, kUserRw).error(), Error::OutOfMemory);
        EXPECT_EQ(mem.snapshot(), before);

        mem.fail_allocation(0);
        ASSERT_TRUE(pt.map(0x80'0000'0000, 0x2000, PageSize::Size4K, kUserRw).ok());
        destroy(pt);
        EXPECT_EQ(mem.live(), 0u);
    }
}

TEST(Paging, CreateFailsCleanly) {
    FakeMemory mem;
    mem.fail_allocation(1);
    auto r = PageTable::create(mem);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::OutOfMemory);
    EXPECT_EQ(mem.live(), 0u);
}

TEST(Paging, AdoptSeesExistingMappings) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    ASSERT_TRUE(pt.map(0x400000, 0x1000, PageSize::Size4K, kUserRw).ok());
    PageTable again = PageTable::adopt(mem, pt.root());
    EXPECT_EQ(again.translate(0x400000).value().phys, 0x1000u);
    destroy(again);
    EXPECT_EQ(mem.live(), 0u);
}

TEST(Paging, SharedKernelHalf) {
    FakeMemory mem;
    PageTable kernel = make_table(mem);
    ASSERT_TRUE(kernel.map(0xffff'ffff'8000'0000, 0x100000, PageSize::Size4K, kKernelRw).ok());

    // populate is all or nothing.
    size_t live = mem.live();
    auto before = mem.snapshot();
    mem.fail_allocation(100);
    EXPECT_EQ(kernel.populate_kernel_half().error(), Error::OutOfMemory);
    EXPECT_EQ(mem.snapshot(), before);
    EXPECT_EQ(mem.live(), live);
    auto pop = kernel.populate_kernel_half();
    ASSERT_TRUE(pop.ok());
    EXPECT_EQ(pop.value(), 255u);  // PML4[511] already had its PDPT
    EXPECT_EQ(kernel.populate_kernel_half().value(), 0u);

    PageTable proc = make_table(mem);
    ASSERT_TRUE(proc.map(0x400000, 0x200000, PageSize::Size4K, kUserRx).ok());
    ASSERT_TRUE(proc.share_kernel_half(kernel).ok());
    EXPECT_TRUE(proc.shares_kernel_half());
    EXPECT_EQ(proc.share_kernel_half(kernel).error(), Error::InvalidArgument);
    EXPECT_EQ(proc.translate(0xffff'ffff'8000'0000).value().phys, 0x100000u);

    // Later kernel mappings, even under a new PDPT slot, are visible.
    ASSERT_TRUE(kernel.map(0xffff'9000'0000'0000, 0x400000, PageSize::Size2M, kKernelRw).ok());
    EXPECT_EQ(proc.translate(0xffff'9000'0000'1000).value().phys, 0x401000u);

    // The process may not change the kernel half.
    auto snap = mem.snapshot();
    EXPECT_EQ(proc.map(0xffff'a000'0000'0000, 0x1000, PageSize::Size4K, kKernelRw).error(),
              Error::InvalidArgument);
    EXPECT_EQ(proc.unmap(0xffff'ffff'8000'0000).error(), Error::InvalidArgument);
    EXPECT_EQ(proc.protect(0xffff'ffff'8000'0000, kKernelRo).error(), Error::InvalidArgument);
    EXPECT_EQ(proc.prune(0, ~0ull), 0u);
    EXPECT_EQ(mem.snapshot(), snap);

    // Sharing requires an empty upper half.
    PageTable other = make_table(mem);
    ASSERT_TRUE(other.map(0xffff'c000'0000'0000, 0x1000, PageSize::Size4K, kKernelRo).ok());
    EXPECT_EQ(other.share_kernel_half(kernel).error(), Error::InvalidArgument);
    EXPECT_FALSE(other.shares_kernel_half());
    destroy(other);

    // Tearing the process down frees its own tables only.
    size_t kernel_frames = mem.live() - 4;
    std::vector<VirtAddr> leaves;
    EXPECT_EQ(proc.destroy([&](const Mapping& m) { leaves.push_back(m.va); }), 4u);
    EXPECT_EQ(leaves, (std::vector<VirtAddr>{0x400000}));
    EXPECT_EQ(mem.live(), kernel_frames);
    EXPECT_EQ(kernel.translate(0xffff'ffff'8000'0000).value().phys, 0x100000u);
    destroy(kernel);
    EXPECT_EQ(mem.live(), 0u);
}

TEST(Paging, PopulateFailsCleanlyAtEveryStep) {
    for (size_t k : {1, 2, 128, 256}) {
        FakeMemory mem;
        PageTable kernel = make_table(mem);
        auto before = mem.snapshot();
        mem.fail_allocation(k);
        EXPECT_EQ(kernel.populate_kernel_half().error(), Error::OutOfMemory);
        EXPECT_EQ(mem.snapshot(), before) << k;
        mem.fail_allocation(0);
        destroy(kernel);
        EXPECT_EQ(mem.live(), 0u);
    }
}

TEST(Paging, DestroyUserHalfReportsEveryFrameAndKeepsRoot) {
    FakeMemory mem;
    PageTable pt = make_table(mem);
    std::set<PhysAddr> mapped;
    for (uint64_t i = 0; i < 600; ++i) {
        VirtAddr va = 0x400000 + i * k4K;
        ASSERT_TRUE(pt.map(va, 0x1000'0000 + i * k4K, PageSize::Size4K, kUserRw).ok());
        mapped.insert(0x1000'0000 + i * k4K);
    }
    ASSERT_TRUE(pt.map(0x4000'0000, 0x8000'0000, PageSize::Size1G, kUserRo).ok());
    mapped.insert(0x8000'0000);
    ASSERT_TRUE(pt.map(0xffff'ffff'8000'0000, 0x1000, PageSize::Size4K, kKernelRo).ok());

    std::set<PhysAddr> freed_frames;
    size_t tables = pt.destroy_user_half([&](const Mapping& m) {
        EXPECT_TRUE(freed_frames.insert(m.pa).second);
    });
    EXPECT_EQ(freed_frames, mapped);
    EXPECT_EQ(tables, 1u + 1 + 2);  // PDPT, PD, two PTs (600 pages span two)
    EXPECT_TRUE(walk_all(pt, 0, kLowerHalfLast).empty());
    EXPECT_EQ(pt.translate(0xffff'ffff'8000'0000).value().phys, 0x1000u);
    EXPECT_EQ(mem.live(), 4u);  // root + the kernel chain
    destroy(pt);
    EXPECT_EQ(mem.live(), 0u);
}

// ---- Model-based property test ----

namespace {

struct ModelLeaf {
    PhysAddr pa;
    PageSize size;
    Attributes attrs;
};

// The reference: leaves by address, and which tables exist (identified by the
// address prefix they translate).
struct Model {
    std::map<VirtAddr, ModelLeaf> leaves;
    std::set<VirtAddr> pdpts;  // 512 GiB-aligned
    std::set<VirtAddr> pds;    // 1 GiB-aligned
    std::set<VirtAddr> pts;    // 2 MiB-aligned

    size_t tables() const { return 1 + pdpts.size() + pds.size() + pts.size(); }

    // The leaf covering va, if any.
    const std::pair<const VirtAddr, ModelLeaf>* covering(VirtAddr va) const {
        auto it = leaves.upper_bound(va);
        if (it == leaves.begin()) return nullptr;
        --it;
        if (va - it->first < page_bytes(it->second.size)) return &*it;
        return nullptr;
    }

    bool any_leaf_in(VirtAddr start, uint64_t len) const {
        auto it = leaves.lower_bound(start);
        return it != leaves.end() && it->first - start < len;
    }

    // Tables a map of `size` at va would have to create.
    size_t missing_tables(VirtAddr va, PageSize size) const {
        size_t n = 0;
        n += !pdpts.count(va & ~(512 * k1G - 1));
        if (size == PageSize::Size1G) return n;
        n += !pds.count(va & ~(k1G - 1));
        if (size == PageSize::Size2M) return n;
        n += !pts.count(va & ~(k2M - 1));
        return n;
    }

    void add_tables(VirtAddr va, PageSize size) {
        pdpts.insert(va & ~(512 * k1G - 1));
        if (size != PageSize::Size1G) pds.insert(va & ~(k1G - 1));
        if (size == PageSize::Size4K) pts.insert(va & ~(k2M - 1));
    }

    void prune() {
        auto keep = [&](std::set<VirtAddr>& s, uint64_t span) {
            for (auto it = s.begin(); it != s.end();)
                it = any_leaf_in(*it, span) ? std::next(it) : s.erase(it);
        };
        keep(pts, k2M);
        // A PD or PDPT also survives while a lower table below it survives.
        for (auto it = pds.begin(); it != pds.end();) {
            auto pt = pts.lower_bound(*it);
            bool child = pt != pts.end() && *pt - *it < k1G;
            it = (child || any_leaf_in(*it, k1G)) ? std::next(it) : pds.erase(it);
        }
        for (auto it = pdpts.begin(); it != pdpts.end();) {
            auto pd = pds.lower_bound(*it);
            bool child = pd != pds.end() && *pd - *it < 512 * k1G;
            it = (child || any_leaf_in(*it, 512 * k1G)) ? std::next(it) : pdpts.erase(it);
        }
    }
};

uint64_t pick(std::vector<uint64_t> choices) { return *rc::gen::elementOf(choices); }

// Few distinct slots per level, so operations collide often; both halves.
VirtAddr gen_va(PageSize size) {
    uint64_t p4 = pick({0, 1, 255, 256, 511});
    uint64_t p3 = pick({0, 1, 511});
    uint64_t p2 = size == PageSize::Size1G ? 0 : pick({0, 1, 511});
    uint64_t p1 = size == PageSize::Size4K ? pick({0, 1, 511}) : 0;
    uint64_t va = (p4 << 39) | (p3 << 30) | (p2 << 21) | (p1 << 12);
    return (va & (uint64_t{1} << 47)) ? (va | 0xffff'0000'0000'0000) : va;
}

PageSize gen_size() {
    int r = *rc::gen::inRange(0, 20);
    return r < 15 ? PageSize::Size4K : r < 19 ? PageSize::Size2M : PageSize::Size1G;
}

Attributes gen_attrs(VirtAddr va) {
    Attributes a;
    a.writable = *rc::gen::arbitrary<bool>();
    a.user = !in_upper_half(va) && *rc::gen::arbitrary<bool>();
    a.executable = *rc::gen::arbitrary<bool>();
    a.global = *rc::gen::arbitrary<bool>();
    a.write_through = *rc::gen::inRange(0, 4) == 0;
    a.cache_disable = *rc::gen::inRange(0, 4) == 0;
    return a;
}

}  // namespace

RC_GTEST_PROP(PagingModel, RandomOperationsAgreeWithModel, ()) {
    FakeMemory mem;
    auto created = PageTable::create(mem);
    RC_ASSERT(created.ok());
    PageTable pt = created.release_value();
    Model model;

    const int steps = *rc::gen::inRange(1, 120);
    for (int step = 0; step < steps; ++step) {
        const int op = *rc::gen::inRange(0, 100);
        if (op < 40) {  // map, sometimes with an allocation failure
            PageSize size = gen_size();
            VirtAddr va = gen_va(size);
            PhysAddr pa = *rc::gen::inRange<uint64_t>(0, (kPhysLimit >> 30)) << 30;
            pa |= (*rc::gen::inRange<uint64_t>(0, 1 << 18) << 12) & ~(page_bytes(size) - 1) & (k1G - 1);
            Attributes attrs = gen_attrs(va);
            size_t fail_at = *rc::gen::inRange<size_t>(0, 4) == 0 ? *rc::gen::inRange<size_t>(1, 4) : 0;

            bool conflict = model.any_leaf_in(va, page_bytes(size)) || model.covering(va) != nullptr;
            if (size == PageSize::Size2M && model.pts.count(va)) conflict = true;
            if (size == PageSize::Size1G && model.pds.count(va)) conflict = true;
            size_t missing = model.missing_tables(va, size);

            auto before = mem.snapshot();
            mem.fail_allocation(fail_at);
            auto r = pt.map(va, pa, size, attrs);
            mem.fail_allocation(0);
            if (conflict) {
                RC_ASSERT(!r.ok());
                RC_ASSERT(r.error() == Error::AlreadyExists);
                RC_ASSERT(mem.snapshot() == before);
            } else if (fail_at != 0 && fail_at <= missing) {
                RC_ASSERT(!r.ok());
                RC_ASSERT(r.error() == Error::OutOfMemory);
                RC_ASSERT(mem.snapshot() == before);
            } else {
                RC_ASSERT(r.ok());
                model.leaves[va] = ModelLeaf{pa, size, attrs};
                model.add_tables(va, size);
            }
        } else if (op < 60) {  // unmap an existing leaf, or a random address
            VirtAddr va;
            if (!model.leaves.empty() && *rc::gen::arbitrary<bool>()) {
                auto it = model.leaves.begin();
                std::advance(it, *rc::gen::inRange<size_t>(0, model.leaves.size()));
                va = it->first;
            } else {
                va = gen_va(PageSize::Size4K);
            }
            auto r = pt.unmap(va);
            auto exact = model.leaves.find(va);
            if (exact != model.leaves.end()) {
                RC_ASSERT(r.ok());
                RC_ASSERT(r.value().pa == exact->second.pa);
                RC_ASSERT(r.value().size == exact->second.size);
                RC_ASSERT(r.value().attrs == exact->second.attrs);
                model.leaves.erase(exact);
            } else if (model.covering(va)) {
                RC_ASSERT(!r.ok() && r.error() == Error::Misaligned);
            } else {
                RC_ASSERT(!r.ok() && r.error() == Error::NotFound);
            }
        } else if (op < 72) {  // protect
            VirtAddr va = model.leaves.empty() || *rc::gen::inRange(0, 4) == 0
                              ? gen_va(PageSize::Size4K)
                              : std::next(model.leaves.begin(),
                                          *rc::gen::inRange<size_t>(0, model.leaves.size()))
                                    ->first;
            Attributes attrs = gen_attrs(va);
            auto r = pt.protect(va, attrs);
            auto exact = model.leaves.find(va);
            if (exact != model.leaves.end()) {
                RC_ASSERT(r.ok());
                RC_ASSERT(r.value().old_attrs == exact->second.attrs);
                RC_ASSERT((r.value().flush == Flush::None) == (attrs == exact->second.attrs));
                exact->second.attrs = attrs;
            } else if (model.covering(va)) {
                RC_ASSERT(!r.ok() && r.error() == Error::Misaligned);
            } else {
                RC_ASSERT(!r.ok() && r.error() == Error::NotFound);
            }
        } else if (op < 95) {  // translate anywhere near the generated slots
            VirtAddr va = gen_va(PageSize::Size4K) + *rc::gen::inRange<uint64_t>(0, 4096);
            if (*rc::gen::arbitrary<bool>()) va += pick({k2M / 2, k2M - 4096});  // may wrap or leave the half
            auto r = pt.translate(va);
            auto leaf = model.covering(va);
            if (!canonical(va)) {
                RC_ASSERT(!r.ok() && r.error() == Error::InvalidArgument);
            } else if (leaf) {
                RC_ASSERT(r.ok());
                RC_ASSERT(r.value().phys == leaf->second.pa + (va - leaf->first));
                RC_ASSERT(r.value().mapping.va == leaf->first);
                RC_ASSERT(r.value().mapping.size == leaf->second.size);
                RC_ASSERT(r.value().mapping.attrs == leaf->second.attrs);
            } else {
                RC_ASSERT(!r.ok() && r.error() == Error::NotFound);
            }
        } else {  // prune everything
            size_t tables_before = model.tables();
            model.prune();
            RC_ASSERT(pt.prune(0, ~0ull) == tables_before - model.tables());
        }
        RC_ASSERT(mem.live() == model.tables());
    }

    // The walk reports exactly the model's leaves, in order.
    std::vector<std::pair<VirtAddr, PhysAddr>> walked, expected;
    pt.walk(0, ~0ull, [&](const Mapping& m) { walked.emplace_back(m.va, m.pa); });
    for (const auto& [va, leaf] : model.leaves) expected.emplace_back(va, leaf.pa);
    RC_ASSERT(walked == expected);

    // Teardown reports every leaf and frees every frame.
    std::map<VirtAddr, PhysAddr> reported;
    size_t freed = pt.destroy([&](const Mapping& m) { reported[m.va] = m.pa; });
    RC_ASSERT(freed == model.tables());
    RC_ASSERT(reported.size() == model.leaves.size());
    for (const auto& [va, leaf] : model.leaves) RC_ASSERT(reported[va] == leaf.pa);
    RC_ASSERT(mem.live() == 0u);
}

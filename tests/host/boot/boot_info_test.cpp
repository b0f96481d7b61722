// Boot information parsing: crafted Multiboot2 and PVH structures, good and bad.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "lib/boot/boot_info.hpp"

using namespace capos;
using namespace capos::boot;

namespace {

// Fake physical memory: a sparse set of byte arrays at physical addresses.
class FakeMemory final : public PhysicalReader {
public:
    void put(uint64_t phys, std::vector<uint8_t> bytes) { blobs_[phys] = std::move(bytes); }
    const uint8_t* read(uint64_t phys, uint64_t len) const override {
        for (const auto& [base, b] : blobs_)
            if (phys >= base && phys - base <= b.size() && len <= b.size() - (phys - base))
                return b.data() + (phys - base);
        return nullptr;
    }

private:
    std::map<uint64_t, std::vector<uint8_t>> blobs_;
};

struct Mb2Builder {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(8, 0);
    void u32(uint32_t v) { bytes.insert(bytes.end(), (uint8_t*)&v, (uint8_t*)&v + 4); }
    void u64(uint64_t v) { bytes.insert(bytes.end(), (uint8_t*)&v, (uint8_t*)&v + 8); }
    void pad() { while (bytes.size() % 8) bytes.push_back(0); }
    void tag(uint32_t type, const std::vector<uint8_t>& payload, int size_adjust = 0) {
        u32(type);
        u32(static_cast<uint32_t>(8 + payload.size() + size_adjust));
        bytes.insert(bytes.end(), payload.begin(), payload.end());
        pad();
    }
    void cmdline(const std::string& s) {
        std::vector<uint8_t> p(s.begin(), s.end());
        p.push_back(0);
        tag(1, p);
    }
    void module(uint32_t start, uint32_t end, const std::string& name) {
        std::vector<uint8_t> p(8);
        memcpy(p.data(), &start, 4);
        memcpy(p.data() + 4, &end, 4);
        p.insert(p.end(), name.begin(), name.end());
        p.push_back(0);
        tag(3, p);
    }
    struct E {
        uint64_t base, len;
        uint32_t type;
    };
    void mmap(const std::vector<E>& entries, uint32_t entry_size = 24) {
        std::vector<uint8_t> p(8, 0);
        memcpy(p.data(), &entry_size, 4);
        for (const auto& e : entries) {
            std::vector<uint8_t> raw(entry_size, 0);
            memcpy(raw.data(), &e.base, 8);
            memcpy(raw.data() + 8, &e.len, 8);
            memcpy(raw.data() + 16, &e.type, 4);
            p.insert(p.end(), raw.begin(), raw.end());
        }
        tag(6, p);
    }
    void end() { tag(0, {}); }
    std::vector<uint8_t> finish() {
        uint32_t total = static_cast<uint32_t>(bytes.size());
        memcpy(bytes.data(), &total, 4);
        return bytes;
    }
};

constexpr uint64_t kInfo = 0x10000;

Result<void> parse_mb2(std::vector<uint8_t> bytes, BootInfo& out) {
    FakeMemory mem;
    mem.put(kInfo, std::move(bytes));
    return parse_multiboot2(mem, kInfo, out);
}

Mb2Builder standard() {
    Mb2Builder b;
    b.cmdline("shutdown log=debug");
    b.module(0x200000, 0x201000, "bootpkg");
    b.mmap({{0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0x100000, 0x7f00000, 1}});
    return b;
}

}  // namespace

TEST(Multiboot2, ParsesCmdlineModulesAndMemory) {
    auto b = standard();
    b.end();
    BootInfo info;
    ASSERT_TRUE(parse_mb2(b.finish(), info).ok()) << info.error_detail;
    EXPECT_EQ(info.protocol, Protocol::Multiboot2);
    EXPECT_STREQ(info.cmdline, "shutdown log=debug");
    ASSERT_EQ(info.module_count, 1u);
    EXPECT_EQ(info.modules[0].start, 0x200000u);
    EXPECT_EQ(info.modules[0].end, 0x201000u);
    EXPECT_STREQ(info.modules[0].name, "bootpkg");
    ASSERT_EQ(info.region_count, 3u);
    EXPECT_EQ(info.regions[0].base, 0u);
    EXPECT_EQ(info.regions[0].length, 0x9f000u);  // shrunk to a page boundary
    EXPECT_EQ(info.regions[1].type, RegionType::Reserved);
    EXPECT_EQ(info.regions[2].base, 0x100000u);
}

TEST(Multiboot2, RejectsMissingEndTag) {
    BootInfo info;
    auto r = parse_mb2(standard().finish(), info);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::Truncated);
    EXPECT_STREQ(info.error_detail, "multiboot2 info has no end tag");
}

TEST(Multiboot2, RejectsTagRunningPastTheEnd) {
    auto b = standard();
    b.tag(1, {'a', 0}, /*size_adjust=*/64);
    b.end();
    BootInfo info;
    auto r = parse_mb2(b.finish(), info);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::Truncated);
}

TEST(Multiboot2, RejectsTagSmallerThanItsHeader) {
    Mb2Builder b;
    b.u32(1);
    b.u32(4);
    b.end();
    BootInfo info;
    EXPECT_EQ(parse_mb2(b.finish(), info).error(), Error::Malformed);
}

TEST(Multiboot2, RejectsBadMemoryMapEntrySize) {
    Mb2Builder b;
    b.mmap({{0, 0x1000, 1}}, 20);
    b.end();
    BootInfo info;
    EXPECT_EQ(parse_mb2(b.finish(), info).error(), Error::Malformed);
}

TEST(Multiboot2, RejectsMemoryMapEndingInsideAnEntry) {
    Mb2Builder b;
    std::vector<uint8_t> p(8 + 24 + 8, 0);
    uint32_t es = 24;
    memcpy(p.data(), &es, 4);
    b.tag(6, p);
    b.end();
    BootInfo info;
    EXPECT_EQ(parse_mb2(b.finish(), info).error(), Error::Truncated);
}

TEST(Multiboot2, RejectsMissingMemoryMap) {
    Mb2Builder b;
    b.cmdline("x");
    b.end();
    BootInfo info;
    EXPECT_EQ(parse_mb2(b.finish(), info).error(), Error::NotFound);
}

TEST(Multiboot2, RejectsTooManyModules) {
    Mb2Builder b;
    for (size_t i = 0; i <= kMaxModules; ++i) b.module(0x1000, 0x2000, "m");
    b.mmap({{0x100000, 0x100000, 1}});
    b.end();
    BootInfo info;
    EXPECT_EQ(parse_mb2(b.finish(), info).error(), Error::LimitExceeded);
}

TEST(Multiboot2, RejectsModuleEndingBeforeItStarts) {
    Mb2Builder b;
    b.module(0x3000, 0x2000, "m");
    b.end();
    BootInfo info;
    EXPECT_EQ(parse_mb2(b.finish(), info).error(), Error::Malformed);
}

TEST(Multiboot2, RejectsImplausibleTotalSizeAndMisalignment) {
    BootInfo info;
    std::vector<uint8_t> tiny(8, 0);
    EXPECT_EQ(parse_mb2(tiny, info).error(), Error::Malformed);
    FakeMemory mem;
    EXPECT_EQ(parse_multiboot2(mem, kInfo + 4, info).error(), Error::Misaligned);
    EXPECT_EQ(parse_multiboot2(mem, kInfo, info).error(), Error::OutOfRange);
}

TEST(Multiboot2, TruncatedInfoIsRejected) {
    auto b = standard();
    b.end();
    auto bytes = b.finish();
    // Claim the full size but provide fewer bytes: the reader refuses.
    for (size_t cut = 8; cut < bytes.size(); cut += 8) {
        std::vector<uint8_t> part(bytes.begin(), bytes.begin() + cut);
        BootInfo info;
        EXPECT_FALSE(parse_mb2(part, info).ok()) << "cut at " << cut;
    }
}

TEST(MemoryMap, OverlapUnalignedZeroLengthAndHighMemory) {
    Mb2Builder b;
    b.mmap({{0x100000, 0x400000, 1},      // usable 1..5 MiB
            {0x200800, 0x100, 2},         // reserved inside: page 0x200000 lost
            {0x600123, 0x3000, 1},        // unaligned usable -> 0x601000..0x603000
            {0x700000, 0, 1},             // zero length: dropped
            {0x100000000, 0x40000000, 1}, // above 4 GiB: kept
            {0x480000, 0x100000, 1}});    // overlaps the first usable: merged
    b.end();
    BootInfo info;
    ASSERT_TRUE(parse_mb2(b.finish(), info).ok());
    std::vector<std::tuple<uint64_t, uint64_t, RegionType>> got;
    for (size_t i = 0; i < info.region_count; ++i)
        got.emplace_back(info.regions[i].base, info.regions[i].length, info.regions[i].type);
    std::vector<std::tuple<uint64_t, uint64_t, RegionType>> want = {
        {0x100000, 0x100000, RegionType::Usable},
        {0x200800, 0x100, RegionType::Reserved},
        {0x201000, 0x37f000, RegionType::Usable},
        {0x601000, 0x2000, RegionType::Usable},
        {0x100000000, 0x40000000, RegionType::Usable},
    };
    EXPECT_EQ(got, want);
}

// Normalisation, checked page by page against the plain definition: a page
// is usable iff some usable entry covers it whole and no other entry touches it.
RC_GTEST_PROP(MemoryMap, NormalisationMatchesPageModel, ()) {
    auto n = *rc::gen::inRange<size_t>(0, 12);
    BootInfo info;
    std::vector<MemoryRegion> input;
    for (size_t i = 0; i < n; ++i) {
        uint64_t base = *rc::gen::inRange<uint64_t>(0, 64 * 4096);
        uint64_t len = *rc::gen::inRange<uint64_t>(0, 16 * 4096);
        bool usable = *rc::gen::arbitrary<bool>();
        MemoryRegion r{base, len, usable ? RegionType::Usable : RegionType::Reserved};
        input.push_back(r);
        info.regions[info.region_count++] = r;
    }
    normalize_memory_map(info);
    auto model_usable = [&](uint64_t page) {
        uint64_t pb = page * 4096, pe = pb + 4096;
        bool covered = false;
        for (const auto& r : input) {
            if (r.length == 0) continue;
            uint64_t e = r.base + r.length;
            if (r.type == RegionType::Usable && r.base <= pb && e >= pe) covered = true;
            if (r.type != RegionType::Usable && r.base < pe && e > pb) return false;
        }
        return covered;
    };
    auto out_usable = [&](uint64_t page) {
        for (size_t i = 0; i < info.region_count; ++i) {
            const auto& r = info.regions[i];
            if (r.type == RegionType::Usable && r.base <= page * 4096 &&
                r.base + r.length >= page * 4096 + 4096)
                return true;
        }
        return false;
    };
    for (uint64_t p = 0; p < 82; ++p) RC_ASSERT(model_usable(p) == out_usable(p));
    for (size_t i = 1; i < info.region_count; ++i)
        RC_ASSERT(info.regions[i - 1].base <= info.regions[i].base);
    for (size_t i = 0; i < info.region_count; ++i) {
        const auto& r = info.regions[i];
        if (r.type != RegionType::Usable) continue;
        RC_ASSERT(r.base % 4096 == 0 && r.length % 4096 == 0 && r.length > 0);
    }
}

namespace {

std::vector<uint8_t> pvh_start_info(uint32_t magic, uint32_t version, uint32_t nr_modules,
                                    uint64_t modlist, uint64_t cmdline, uint64_t memmap,
                                    uint32_t entries) {
    std::vector<uint8_t> s(56, 0);
    memcpy(&s[0], &magic, 4);
    memcpy(&s[4], &version, 4);
    memcpy(&s[12], &nr_modules, 4);
    memcpy(&s[16], &modlist, 8);
    memcpy(&s[24], &cmdline, 8);
    memcpy(&s[40], &memmap, 8);
    memcpy(&s[48], &entries, 4);
    return s;
}

std::vector<uint8_t> pvh_memmap(const std::vector<std::tuple<uint64_t, uint64_t, uint32_t>>& es) {
    std::vector<uint8_t> m;
    for (auto [b, l, t] : es) {
        std::vector<uint8_t> e(24, 0);
        memcpy(&e[0], &b, 8);
        memcpy(&e[8], &l, 8);
        memcpy(&e[16], &t, 4);
        m.insert(m.end(), e.begin(), e.end());
    }
    return m;
}

}  // namespace

TEST(Pvh, ParsesStartInfo) {
    FakeMemory mem;
    mem.put(0x1000, pvh_start_info(0x336ec578, 1, 1, 0x2000, 0x3000, 0x4000, 2));
    std::vector<uint8_t> mod(32, 0);
    uint64_t paddr = 0x800000, size = 0x1234;
    memcpy(&mod[0], &paddr, 8);
    memcpy(&mod[8], &size, 8);
    mem.put(0x2000, mod);
    std::string cmd = "test=frames shutdown";
    mem.put(0x3000, std::vector<uint8_t>(cmd.begin(), cmd.end() + 1));
    mem.put(0x4000, pvh_memmap({{0, 0x9f000, 1}, {0x100000, 0xff00000, 1}}));
    BootInfo info;
    ASSERT_TRUE(parse_pvh(mem, 0x1000, info).ok()) << info.error_detail;
    EXPECT_EQ(info.protocol, Protocol::Pvh);
    EXPECT_STREQ(info.cmdline, "test=frames shutdown");
    ASSERT_EQ(info.module_count, 1u);
    EXPECT_EQ(info.modules[0].end, 0x800000u + 0x1234u);
    EXPECT_EQ(info.region_count, 2u);
}

TEST(Pvh, RejectsBadInput) {
    BootInfo info;
    FakeMemory mem;
    mem.put(0x1000, pvh_start_info(0x12345678, 1, 0, 0, 0, 0x4000, 1));
    EXPECT_EQ(parse_pvh(mem, 0x1000, info).error(), Error::BadMagic);
    mem.put(0x1000, pvh_start_info(0x336ec578, 0, 0, 0, 0, 0x4000, 1));
    EXPECT_EQ(parse_pvh(mem, 0x1000, info).error(), Error::Unsupported);
    mem.put(0x1000, pvh_start_info(0x336ec578, 1, 0, 0, 0, 0x4000, 0));
    EXPECT_EQ(parse_pvh(mem, 0x1000, info).error(), Error::NotFound);
    mem.put(0x1000, pvh_start_info(0x336ec578, 1, 0, 0, 0, 0x4000, 5));  // memmap unreadable
    EXPECT_EQ(parse_pvh(mem, 0x1000, info).error(), Error::OutOfRange);
    mem.put(0x1000, pvh_start_info(0x336ec578, 1, 100, 0x2000, 0, 0x4000, 1));
    EXPECT_EQ(parse_pvh(mem, 0x1000, info).error(), Error::LimitExceeded);
    mem.put(0x1000, pvh_start_info(0x336ec578, 1, 0, 0, 0, 0x4000, 100000));
    EXPECT_EQ(parse_pvh(mem, 0x1000, info).error(), Error::LimitExceeded);
    // Module whose size wraps the address space.
    std::vector<uint8_t> mod(32, 0);
    uint64_t paddr = 0x800000, size = UINT64_MAX;
    memcpy(&mod[0], &paddr, 8);
    memcpy(&mod[8], &size, 8);
    mem.put(0x2000, mod);
    mem.put(0x4000, pvh_memmap({{0x100000, 0x100000, 1}}));
    mem.put(0x1000, pvh_start_info(0x336ec578, 1, 1, 0x2000, 0, 0x4000, 1));
    BootInfo fresh;
    EXPECT_EQ(parse_pvh(mem, 0x1000, fresh).error(), Error::Overflow);
    EXPECT_EQ(parse_pvh(mem, 0x9000, info).error(), Error::OutOfRange);
}

// ABI helpers that have behaviour: capability id packing, ring geometry
// arithmetic and the CapSet page reader.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "abi/cap_id.hpp"
#include "abi/capset.hpp"
#include "abi/layout.hpp"
#include "abi/ring.hpp"
#include "abi/syscall.hpp"
#include "lib/base/error.hpp"

namespace cabi = capos::abi;

TEST(CapId, PacksIndexAndGeneration) {
    for (uint32_t index : {0u, 1u, 0x1234u, 0xFFFFu}) {
        for (uint32_t gen : {1u, 2u, 0x8000u, 0xFFFFu}) {
            cabi::CapId id = cabi::make_cap_id(index, gen);
            EXPECT_EQ(cabi::cap_id_index(id), index);
            EXPECT_EQ(cabi::cap_id_generation(id), gen);
            EXPECT_NE(id, cabi::kCapIdNone);
        }
    }
    EXPECT_EQ(cabi::next_cap_generation(1), 2u);
    EXPECT_EQ(cabi::next_cap_generation(0xFFFF), 1u);
}

TEST(RingAbi, GeometryArithmetic) {
    EXPECT_EQ(cabi::ring_bytes(32, 64), 256u + 32 * 64 + 64 * 32);
    EXPECT_EQ(cabi::ring_cq_offset(32), 256u + 32 * 64);
    EXPECT_LE(cabi::ring_bytes(cabi::kMaxSqEntries, cabi::kMaxCqEntries), cabi::kRingWindowBytes);
    EXPECT_FALSE(cabi::ring_geometry_valid(0, 0));
    EXPECT_FALSE(cabi::ring_geometry_valid(3, 4));
    EXPECT_TRUE(cabi::ring_geometry_valid(1, 512));
    EXPECT_EQ(cabi::recv_message_offset(2), 64u + 32);
    EXPECT_EQ(cabi::call_result_message_offset(3), 48u);
    EXPECT_EQ(cabi::kTimeoutForever, ~uint64_t{0});
}

namespace {

struct Page {
    Page() : words(new uint64_t[cabi::kCapSetBytes / 8]()) {}
    unsigned char* bytes() { return reinterpret_cast<unsigned char*>(words.get()); }
    cabi::CapSetHeader* header() { return reinterpret_cast<cabi::CapSetHeader*>(words.get()); }
    cabi::CapSetEntry* entry(uint32_t i) {
        return reinterpret_cast<cabi::CapSetEntry*>(bytes() + sizeof(cabi::CapSetHeader) +
                                                    i * sizeof(cabi::CapSetEntry));
    }
    void add(const std::string& name, uint64_t iface, cabi::CapId id) {
        cabi::CapSetEntry* e = entry(header()->count++);
        e->interface_id = iface;
        e->cap_id = id;
        e->name_len = static_cast<uint8_t>(name.size());
        std::memcpy(e->name, name.data(), name.size());
    }
    std::unique_ptr<uint64_t[]> words;
};

Page make_page() {
    Page p;
    p.header()->magic = cabi::kCapSetMagic;
    p.header()->version = cabi::kCapSetVersion;
    p.header()->entry_bytes = sizeof(cabi::CapSetEntry);
    return p;
}

}  // namespace

TEST(CapSet, FindsEntriesByExactName) {
    Page p = make_page();
    p.add("console", 0xC0, cabi::make_cap_id(0, 1));
    p.add("cons", 0xC1, cabi::make_cap_id(1, 1));
    std::string long_name(32, 'x');
    p.add(long_name, 0xAA, cabi::make_cap_id(2, 1));
    cabi::CapSetView v(p.bytes());
    ASSERT_TRUE(v.valid());
    EXPECT_EQ(v.count(), 3u);
    const cabi::CapSetEntry* e = v.find("console", 7);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->interface_id, 0xC0u);
    e = v.find("cons", 4);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->interface_id, 0xC1u);
    EXPECT_EQ(v.find("con", 3), nullptr);
    EXPECT_EQ(v.find("consoles", 8), nullptr);
    e = v.find(long_name.data(), 32);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->cap_id, cabi::make_cap_id(2, 1));
    EXPECT_EQ(v.find("", 0), nullptr);
    std::string too_long(33, 'x');
    EXPECT_EQ(v.find(too_long.data(), 33), nullptr);
}

TEST(CapSet, RejectsBadHeaders) {
    {
        Page p = make_page();
        p.header()->magic = 0;
        EXPECT_FALSE(cabi::CapSetView(p.bytes()).valid());
    }
    {
        Page p = make_page();
        p.header()->version = 2;
        EXPECT_FALSE(cabi::CapSetView(p.bytes()).valid());
    }
    {
        Page p = make_page();
        p.header()->entry_bytes = 40;
        EXPECT_FALSE(cabi::CapSetView(p.bytes()).valid());
    }
    {
        Page p = make_page();
        p.header()->count = cabi::kCapSetMaxEntries + 1;
        cabi::CapSetView v(p.bytes());
        EXPECT_FALSE(v.valid());
        EXPECT_EQ(v.find("a", 1), nullptr);
    }
    {
        // A full page: the last entry is still inside it (ASan checks).
        Page p = make_page();
        for (uint32_t i = 0; i < cabi::kCapSetMaxEntries; ++i) p.add("n" + std::to_string(i), i, i + 0x10000);
        cabi::CapSetView v(p.bytes());
        ASSERT_TRUE(v.valid());
        const cabi::CapSetEntry* e = v.find("n84", 3);
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->interface_id, 84u);
        EXPECT_EQ(v.find("n85", 3), nullptr);
    }
}

TEST(ErrorNames, CapAndRingErrorsHaveNames) {
    for (capos::Error e : {capos::Error::CapStale, capos::Error::CapWrongInterface, capos::Error::CapTableFull,
                           capos::Error::CapTransferConflict, capos::Error::RingBadSqe,
                           capos::Error::RingBadOpcode, capos::Error::RingBadBuffer,
                           capos::Error::RingBufferTooSmall, capos::Error::RingBadTransfer,
                           capos::Error::RingQueueFull, capos::Error::RingCqFull,
                           capos::Error::RingInterrupted, capos::Error::RingNoSuchCall}) {
        EXPECT_NE(std::string(capos::error_name(e)), "unknown error");
    }
}

// schema/boot_package.hpp: the boot package header the kernel checks
// before it reads the manifest.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <vector>

#include "schema/boot_package.hpp"

namespace bp = capos::boot_package;
using capos::Error;

namespace {

std::vector<uint8_t> image(uint64_t manifest_bytes, size_t actual_bytes) {
    auto h = bp::make_header(manifest_bytes);
    std::vector<uint8_t> out(sizeof(h) + actual_bytes, 0xab);
    std::memcpy(out.data(), &h, sizeof(h));
    return out;
}

template <typename F>
Error error_after(F&& edit) {
    auto img = image(16, 16);
    bp::Header h;
    std::memcpy(&h, img.data(), sizeof(h));
    edit(h);
    std::memcpy(img.data(), &h, sizeof(h));
    auto r = bp::manifest_of(img);
    EXPECT_FALSE(r.ok());
    return r.ok() ? Error::InvalidArgument : r.error();
}

}  // namespace

TEST(BootPackage, HeaderLayout) {
    auto h = bp::make_header(0x1234);
    uint8_t raw[32];
    std::memcpy(raw, &h, sizeof(raw));
    EXPECT_EQ(std::memcmp(raw, "CAPOSBPK", 8), 0);
    EXPECT_EQ(raw[8], 1);    // version, little-endian
    EXPECT_EQ(raw[12], 32);  // header_bytes
    EXPECT_EQ(raw[16], 0x34);
    EXPECT_EQ(raw[17], 0x12);
}

TEST(BootPackage, FindsTheMessageAndIgnoresPadding) {
    auto img = image(16, 16 + 4096);
    auto m = bp::manifest_of(img);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m.value().data(), img.data() + 32);
    EXPECT_EQ(m.value().size(), 16u);
}

TEST(BootPackage, RejectsBadHeaders) {
    EXPECT_EQ(bp::manifest_of(std::span<const uint8_t>()).error(), Error::Truncated);
    auto short_img = image(16, 8);
    EXPECT_EQ(bp::manifest_of(short_img).error(), Error::Truncated);
    EXPECT_EQ(error_after([](bp::Header& h) { h.magic[0] = 'X'; }), Error::BadMagic);
    EXPECT_EQ(error_after([](bp::Header& h) { h.version = 2; }), Error::Unsupported);
    EXPECT_EQ(error_after([](bp::Header& h) { h.reserved = 1; }), Error::Malformed);
    EXPECT_EQ(error_after([](bp::Header& h) { h.header_bytes = 24; }), Error::Malformed);
    EXPECT_EQ(error_after([](bp::Header& h) { h.header_bytes = 36; }), Error::Malformed);
    EXPECT_EQ(error_after([](bp::Header& h) { h.manifest_bytes = 12; }), Error::Malformed);
    EXPECT_EQ(error_after([](bp::Header& h) { h.header_bytes = 48; }), Error::Truncated);
    EXPECT_EQ(error_after([](bp::Header& h) { h.manifest_bytes = ~uint64_t{7}; }), Error::Truncated);
}

RC_GTEST_PROP(BootPackage, NeverReadsOutsideTheImage, (std::vector<uint8_t> bytes, uint64_t len, uint32_t hdr)) {
    auto img = image(len & ~uint64_t{7}, bytes.size());
    bp::Header h;
    std::memcpy(&h, img.data(), sizeof(h));
    h.header_bytes = hdr;
    std::memcpy(img.data(), &h, sizeof(h));
    if (!bytes.empty()) std::memcpy(img.data() + 32, bytes.data(), bytes.size());
    auto m = bp::manifest_of(img);
    if (m.ok()) {
        RC_ASSERT(m.value().data() >= img.data() + 32);
        RC_ASSERT(m.value().data() + m.value().size() <= img.data() + img.size());
    }
}

// capOS boot package: the single GRUB module (docs/boot-package.md).
//
//   offset  size  field
//   0       8     magic "CAPOSBPK"
//   8       4     version (kBootPackageVersion)
//   12      4     header_bytes (>= 32, multiple of 8; the message starts here)
//   16      8     manifest_bytes (multiple of 8)
//   24      8     reserved, zero
//   32 ...        SystemManifest: a standard Cap'n Proto message (segment
//                 table, then segments), manifest_bytes long
//
// All fields are little-endian. mkmanifest always writes one segment, but
// readers must accept any valid segment table. Bytes after the message
// (GRUB may pad the module) are ignored.
//
// Freestanding: usable by the kernel, init and host tools alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/base/error.hpp"

namespace capos::boot_package {

inline constexpr uint8_t kMagic[8] = {'C', 'A', 'P', 'O', 'S', 'B', 'P', 'K'};
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kHeaderBytes = 32;

struct Header {
    uint8_t magic[8];
    uint32_t version;
    uint32_t header_bytes;
    uint64_t manifest_bytes;
    uint64_t reserved;
};
static_assert(sizeof(Header) == kHeaderBytes);
static_assert(offsetof(Header, version) == 8);
static_assert(offsetof(Header, header_bytes) == 12);
static_assert(offsetof(Header, manifest_bytes) == 16);
static_assert(offsetof(Header, reserved) == 24);

// A fresh header for a message of `manifest_bytes` bytes.
constexpr Header make_header(uint64_t manifest_bytes) {
    Header h{};
    for (size_t i = 0; i < sizeof(kMagic); ++i) h.magic[i] = kMagic[i];
    h.version = kVersion;
    h.header_bytes = kHeaderBytes;
    h.manifest_bytes = manifest_bytes;
    h.reserved = 0;
    return h;
}

// The manifest message inside a boot package image, after checking the
// header against the image's size. Does not look inside the message.
// Errors: Truncated (image shorter than the header or the message),
// BadMagic, Unsupported (version), Malformed (header_bytes or
// manifest_bytes not multiples of 8, header_bytes < 32, reserved != 0).
inline Result<std::span<const uint8_t>> manifest_of(std::span<const uint8_t> image) {
    if (image.size() < kHeaderBytes) return Error::Truncated;
    Header h;
    __builtin_memcpy(&h, image.data(), sizeof(h));
    for (size_t i = 0; i < sizeof(kMagic); ++i)
        if (h.magic[i] != kMagic[i]) return Error::BadMagic;
    if (h.version != kVersion) return Error::Unsupported;
    if (h.header_bytes < kHeaderBytes || h.header_bytes % 8 != 0 || h.manifest_bytes % 8 != 0 ||
        h.reserved != 0)
        return Error::Malformed;
    uint64_t room = image.size() - kHeaderBytes;
    if (h.header_bytes - kHeaderBytes > room) return Error::Truncated;
    room -= h.header_bytes - kHeaderBytes;
    if (h.manifest_bytes > room) return Error::Truncated;
    return image.subspan(h.header_bytes, static_cast<size_t>(h.manifest_bytes));
}

}  // namespace capos::boot_package

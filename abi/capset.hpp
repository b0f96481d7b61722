// capOS ABI: the CapSet page, the capabilities a process starts with.
//
// One read-only page at kCapSetAddress (abi/layout.hpp), passed in RDX at
// entry. Entries are in manifest order (the order of the service's grants).
//
//   kCapSetAddress
//   +0     CapSetHeader   magic version entry_bytes count reserved   16 bytes
//   +16    CapSetEntry[0]                                            48 bytes
//   +64    CapSetEntry[1]
//   ...    CapSetEntry[count-1]          count <= kCapSetMaxEntries (85)
//   rest of the page: zero
//
//   CapSetEntry (48 bytes)
//   +0   interface_id  u64
//   +8   cap_id        u32    (abi/cap_id.hpp)
//   +12  name_len      u8     1..kCapSetNameMax
//   +13  reserved      u8[3]  0
//   +16  name          u8[32] name_len bytes, then zero padding (no NUL
//                             terminator when name_len == 32)
//
// Names are the names the manifest's grants give the process: 1 to 32
// bytes, no NUL byte, unique within one CapSet.
#pragma once

#include <cstddef>
#include <cstdint>

#include "abi/cap_id.hpp"
#include "abi/layout.hpp"

namespace capos::abi {

inline constexpr uint32_t kCapSetMagic = 0x5445'5343;  // "CSET" in memory order
inline constexpr uint16_t kCapSetVersion = 1;
inline constexpr uint32_t kCapSetNameMax = 32;

struct CapSetHeader {
    uint32_t magic;        // kCapSetMagic
    uint16_t version;      // kCapSetVersion
    uint16_t entry_bytes;  // sizeof(CapSetEntry); readers step by this
    uint32_t count;        // entries that follow
    uint32_t reserved;     // 0
};

struct CapSetEntry {
    uint64_t interface_id;
    CapId cap_id;
    uint8_t name_len;
    uint8_t reserved[3];
    char name[kCapSetNameMax];
};

inline constexpr uint32_t kCapSetMaxEntries =
    static_cast<uint32_t>((kCapSetBytes - sizeof(CapSetHeader)) / sizeof(CapSetEntry));

static_assert(sizeof(CapSetHeader) == 16);
static_assert(offsetof(CapSetHeader, magic) == 0);
static_assert(offsetof(CapSetHeader, version) == 4);
static_assert(offsetof(CapSetHeader, entry_bytes) == 6);
static_assert(offsetof(CapSetHeader, count) == 8);
static_assert(offsetof(CapSetHeader, reserved) == 12);
static_assert(sizeof(CapSetEntry) == 48);
static_assert(offsetof(CapSetEntry, interface_id) == 0);
static_assert(offsetof(CapSetEntry, cap_id) == 8);
static_assert(offsetof(CapSetEntry, name_len) == 12);
static_assert(offsetof(CapSetEntry, reserved) == 13);
static_assert(offsetof(CapSetEntry, name) == 16);
static_assert(kCapSetMaxEntries == 85);

// A view of a CapSet page that checks the header before use. The page is
// read-only and kernel-written, but a reader still bounds every access by
// kCapSetBytes.
class CapSetView {
public:
    // `page` points to kCapSetBytes readable bytes, 8-byte aligned.
    explicit CapSetView(const void* page) : page_(static_cast<const unsigned char*>(page)) {}

    bool valid() const {
        const CapSetHeader* h = header();
        return h->magic == kCapSetMagic && h->version == kCapSetVersion &&
               h->entry_bytes == sizeof(CapSetEntry) && h->count <= kCapSetMaxEntries;
    }
    // Precondition: valid().
    uint32_t count() const { return header()->count; }
    // Precondition: valid() and i < count().
    const CapSetEntry& entry(uint32_t i) const {
        return *reinterpret_cast<const CapSetEntry*>(page_ + sizeof(CapSetHeader) +
                                                     size_t{i} * sizeof(CapSetEntry));
    }
    // The first entry named exactly name[0..len), or nullptr.
    const CapSetEntry* find(const char* name, size_t len) const {
        if (!valid() || len == 0 || len > kCapSetNameMax) return nullptr;
        for (uint32_t i = 0; i < count(); ++i) {
            const CapSetEntry& e = entry(i);
            if (e.name_len != len) continue;
            bool same = true;
            for (size_t k = 0; k < len; ++k) {
                if (e.name[k] != name[k]) {
                    same = false;
                    break;
                }
            }
            if (same) return &e;
        }
        return nullptr;
    }

private:
    const CapSetHeader* header() const { return reinterpret_cast<const CapSetHeader*>(page_); }
    const unsigned char* page_;
};

}  // namespace capos::abi

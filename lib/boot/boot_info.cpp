#include "lib/boot/boot_info.hpp"

#include "lib/base/checked.hpp"

namespace capos::boot {

namespace {

template <typename T>
T load(const uint8_t* p) {
    T v;
    __builtin_memcpy(&v, p, sizeof(T));
    return v;
}

Result<void> fail(BootInfo& out, Error e, const char* detail) {
    out.error_detail = detail;
    return e;
}

bool add_region(BootInfo& out, uint64_t base, uint64_t length, RegionType type) {
    if (length == 0) return true;
    if (out.region_count == kMaxRegions) return false;
    uint64_t end;
    if (!checked_add(base, length, &end)) length = UINT64_MAX - base;
    out.regions[out.region_count++] = {base, length, type};
    return true;
}

// Copies a NUL-terminated string of at most `max` readable bytes.
void copy_string(const uint8_t* src, size_t max, char* dst, size_t cap, bool* truncated) {
    size_t i = 0;
    for (; i < max && src[i] != 0; ++i) {
        if (i + 1 >= cap) {
            if (truncated) *truncated = true;
            break;
        }
        dst[i] = static_cast<char>(src[i]);
    }
    dst[i < cap ? i : cap - 1] = '\0';
}

RegionType mb2_type(uint32_t t) {
    switch (t) {
    case 1: return RegionType::Usable;
    case 3: return RegionType::AcpiReclaimable;
    case 4: return RegionType::AcpiNvs;
    case 5: return RegionType::Bad;
    default: return RegionType::Reserved;
    }
}

constexpr uint32_t kMb2TagEnd = 0;
constexpr uint32_t kMb2TagCmdline = 1;
constexpr uint32_t kMb2TagModule = 3;
constexpr uint32_t kMb2TagMmap = 6;
constexpr uint64_t kMb2MaxInfo = 1 << 20;

constexpr uint32_t kPvhMagic = 0x336ec578;
constexpr uint32_t kPvhMaxEntries = 1024;

}  // namespace

const char* region_type_name(RegionType t) {
    switch (t) {
    case RegionType::Usable: return "usable";
    case RegionType::Reserved: return "reserved";
    case RegionType::AcpiReclaimable: return "acpi-reclaimable";
    case RegionType::AcpiNvs: return "acpi-nvs";
    case RegionType::Bad: return "bad";
    }
    return "?";
}

Result<void> parse_multiboot2(const PhysicalReader& mem, uint64_t info_phys, BootInfo& out) {
    out.protocol = Protocol::Multiboot2;
    if (info_phys % 8) return fail(out, Error::Misaligned, "multiboot2 info is not 8-byte aligned");
    const uint8_t* hdr = mem.read(info_phys, 8);
    if (!hdr) return fail(out, Error::OutOfRange, "multiboot2 info is not readable");
    uint32_t total = load<uint32_t>(hdr);
    if (total < 16 || total > kMb2MaxInfo)
        return fail(out, Error::Malformed, "multiboot2 info has an implausible total size");
    const uint8_t* info = mem.read(info_phys, total);
    if (!info) return fail(out, Error::OutOfRange, "multiboot2 info is not readable");

    bool saw_end = false;
    bool saw_mmap = false;
    uint64_t off = 8;
    while (off + 8 <= total) {
        uint32_t type = load<uint32_t>(info + off);
        uint32_t size = load<uint32_t>(info + off + 4);
        if (size < 8) return fail(out, Error::Malformed, "multiboot2 tag smaller than its header");
        if (!range_within<uint64_t>(off, size, total))
            return fail(out, Error::Truncated, "multiboot2 tag runs past the end of the info");
        const uint8_t* tag = info + off;
        if (type == kMb2TagEnd) {
            saw_end = true;
            break;
        }
        switch (type) {
        case kMb2TagCmdline:
            copy_string(tag + 8, size - 8, out.cmdline, kMaxCmdline, &out.cmdline_truncated);
            break;
        case kMb2TagModule: {
            if (size < 16) return fail(out, Error::Truncated, "multiboot2 module tag truncated");
            if (out.module_count == kMaxModules)
                return fail(out, Error::LimitExceeded, "too many boot modules");
            Module& m = out.modules[out.module_count];
            m.start = load<uint32_t>(tag + 8);
            m.end = load<uint32_t>(tag + 12);
            if (m.end < m.start) return fail(out, Error::Malformed, "multiboot2 module ends before it starts");
            copy_string(tag + 16, size - 16, m.name, kMaxModuleName, nullptr);
            ++out.module_count;
            break;
        }
        case kMb2TagMmap: {
            if (size < 16) return fail(out, Error::Truncated, "multiboot2 memory map tag truncated");
            uint32_t entry_size = load<uint32_t>(tag + 8);
            if (entry_size < 24 || entry_size % 8)
                return fail(out, Error::Malformed, "multiboot2 memory map entry size is invalid");
            if ((size - 16) % entry_size)
                return fail(out, Error::Truncated, "multiboot2 memory map ends inside an entry");
            for (uint64_t e = 16; e + entry_size <= size; e += entry_size) {
                uint64_t base = load<uint64_t>(tag + e);
                uint64_t len = load<uint64_t>(tag + e + 8);
                uint32_t t = load<uint32_t>(tag + e + 16);
                if (!add_region(out, base, len, mb2_type(t)))
                    return fail(out, Error::LimitExceeded, "memory map has too many entries");
            }
            saw_mmap = true;
            break;
        }
        default:
            break;
        }
        off += align_up<uint64_t>(size, 8);
    }
    if (!saw_end) return fail(out, Error::Truncated, "multiboot2 info has no end tag");
    if (!saw_mmap) return fail(out, Error::NotFound, "multiboot2 info has no memory map");
    normalize_memory_map(out);
    return {};
}

// hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h), version >= 1:
//   0 magic u32, 4 version u32, 8 flags u32, 12 nr_modules u32,
//   16 modlist_paddr u64, 24 cmdline_paddr u64, 32 rsdp_paddr u64,
//   40 memmap_paddr u64, 48 memmap_entries u32, 52 reserved u32
// module entry (32 bytes): paddr u64, size u64, cmdline_paddr u64, reserved u64
// memmap entry (24 bytes): addr u64, size u64, type u32, reserved u32
Result<void> parse_pvh(const PhysicalReader& mem, uint64_t info_phys, BootInfo& out) {
    out.protocol = Protocol::Pvh;
    const uint8_t* si = mem.read(info_phys, 56);
    if (!si) return fail(out, Error::OutOfRange, "PVH start info is not readable");
    if (load<uint32_t>(si) != kPvhMagic) return fail(out, Error::BadMagic, "PVH start info has a bad magic");
    uint32_t version = load<uint32_t>(si + 4);
    if (version < 1) return fail(out, Error::Unsupported, "PVH start info version 0 has no memory map");

    uint64_t cmdline = load<uint64_t>(si + 24);
    if (cmdline) {
        // Byte by byte: the string may end right before unreadable memory.
        size_t i = 0;
        for (; i + 1 < kMaxCmdline; ++i) {
            const uint8_t* p = mem.read(cmdline + i, 1);
            if (!p) return fail(out, Error::OutOfRange, "PVH command line is not readable");
            if (*p == 0) break;
            out.cmdline[i] = static_cast<char>(*p);
        }
        out.cmdline[i] = '\0';
        if (i + 1 == kMaxCmdline) {
            const uint8_t* p = mem.read(cmdline + i, 1);
            out.cmdline_truncated = p && *p != 0;
        }
    }

    uint32_t nr_modules = load<uint32_t>(si + 12);
    uint64_t modlist = load<uint64_t>(si + 16);
    if (nr_modules > kMaxModules) return fail(out, Error::LimitExceeded, "too many boot modules");
    if (nr_modules) {
        const uint8_t* ml = mem.read(modlist, uint64_t{nr_modules} * 32);
        if (!ml) return fail(out, Error::OutOfRange, "PVH module list is not readable");
        for (uint32_t i = 0; i < nr_modules; ++i) {
            uint64_t paddr = load<uint64_t>(ml + i * 32);
            uint64_t size = load<uint64_t>(ml + i * 32 + 8);
            Module& m = out.modules[out.module_count];
            m.start = paddr;
            if (!checked_add(paddr, size, &m.end)) return fail(out, Error::Overflow, "PVH module size overflows");
            m.name[0] = '\0';
            ++out.module_count;
        }
    }

    uint64_t memmap = load<uint64_t>(si + 40);
    uint32_t entries = load<uint32_t>(si + 48);
    if (entries == 0) return fail(out, Error::NotFound, "PVH start info has no memory map");
    if (entries > kPvhMaxEntries) return fail(out, Error::LimitExceeded, "memory map has too many entries");
    const uint8_t* mm = mem.read(memmap, uint64_t{entries} * 24);
    if (!mm) return fail(out, Error::OutOfRange, "PVH memory map is not readable");
    for (uint32_t i = 0; i < entries; ++i) {
        uint64_t base = load<uint64_t>(mm + i * 24);
        uint64_t len = load<uint64_t>(mm + i * 24 + 8);
        uint32_t t = load<uint32_t>(mm + i * 24 + 16);
        if (!add_region(out, base, len, mb2_type(t)))
            return fail(out, Error::LimitExceeded, "memory map has too many entries");
    }
    normalize_memory_map(out);
    return {};
}

void normalize_memory_map(BootInfo& out) {
    // Split into usable and non-usable lists; clip usable to page boundaries.
    MemoryRegion usable[kMaxRegions];
    MemoryRegion other[kMaxRegions];
    size_t nu = 0, no = 0;
    for (size_t i = 0; i < out.region_count; ++i) {
        MemoryRegion r = out.regions[i];
        if (r.length == 0) continue;
        uint64_t end = r.base + r.length;  // add_region keeps this from overflowing
        if (r.type == RegionType::Usable) {
            uint64_t b;
            if (!checked_align_up(r.base, kPageSize, &b)) continue;
            uint64_t e = align_down(end, kPageSize);
            if (e <= b) continue;
            usable[nu++] = {b, e - b, r.type};
        } else {
            other[no++] = r;
        }
    }
    // Subtract every non-usable range from the usable ones (page-granular:
    // a reserved byte makes its whole page unusable).
    for (size_t j = 0; j < no; ++j) {
        uint64_t rb = align_down(other[j].base, kPageSize);
        uint64_t re_raw = other[j].base + other[j].length;
        uint64_t re;
        if (!checked_align_up(re_raw, kPageSize, &re)) re = UINT64_MAX & ~(kPageSize - 1);
        for (size_t i = 0; i < nu; ++i) {
            uint64_t ub = usable[i].base, ue = usable[i].base + usable[i].length;
            if (re <= ub || rb >= ue) continue;
            // Overlap: keep the left and right remainders.
            MemoryRegion left{ub, rb > ub ? rb - ub : 0, RegionType::Usable};
            MemoryRegion right{re, ue > re ? ue - re : 0, RegionType::Usable};
            if (left.length && right.length) {
                usable[i] = left;
                if (nu < kMaxRegions) usable[nu++] = right;
            } else if (left.length) {
                usable[i] = left;
            } else if (right.length) {
                usable[i] = right;
            } else {
                usable[i] = usable[--nu];
                --i;
            }
        }
    }
    // Merge both lists and sort by base (insertion sort: n is small).
    size_t n = 0;
    for (size_t i = 0; i < nu; ++i) out.regions[n++] = usable[i];
    for (size_t i = 0; i < no && n < kMaxRegions; ++i) out.regions[n++] = other[i];
    for (size_t i = 1; i < n; ++i) {
        MemoryRegion key = out.regions[i];
        size_t j = i;
        while (j > 0 && out.regions[j - 1].base > key.base) {
            out.regions[j] = out.regions[j - 1];
            --j;
        }
        out.regions[j] = key;
    }
    // Merge adjacent or overlapping usable ranges (they cannot overlap a
    // non-usable one any more).
    size_t m = 0;
    for (size_t i = 0; i < n; ++i) {
        MemoryRegion r = out.regions[i];
        if (m > 0 && r.type == RegionType::Usable) {
            // find the last usable region kept
            MemoryRegion& prev = out.regions[m - 1];
            if (prev.type == RegionType::Usable && prev.base + prev.length >= r.base) {
                uint64_t end = r.base + r.length;
                if (end > prev.base + prev.length) prev.length = end - prev.base;
                continue;
            }
        }
        out.regions[m++] = r;
    }
    out.region_count = m;
}

}  // namespace capos::boot

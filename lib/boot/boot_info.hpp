// One description of what the boot loader handed us, from either protocol:
// Multiboot2 (GRUB) or PVH (QEMU -kernel). Parsing is pure logic over a
// PhysicalReader, so host tests feed crafted structures.
//
// Normalisation of the memory map (normalize_memory_map):
//   - zero-length entries are dropped;
//   - usable ranges are shrunk inward to page boundaries;
//   - where a usable and a non-usable range overlap, the non-usable wins;
//   - the result is sorted, non-overlapping, with adjacent usable ranges merged.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"

namespace capos::boot {

inline constexpr size_t kMaxRegions = 128;
inline constexpr size_t kMaxModules = 16;
inline constexpr size_t kMaxCmdline = 512;
inline constexpr size_t kMaxModuleName = 64;
inline constexpr uint64_t kPageSize = 4096;

enum class Protocol : uint8_t { Unknown = 0, Multiboot2 = 1, Pvh = 2 };

enum class RegionType : uint8_t { Usable, Reserved, AcpiReclaimable, AcpiNvs, Bad };

struct MemoryRegion {
    uint64_t base;
    uint64_t length;
    RegionType type;
};

struct Module {
    uint64_t start;  // physical, inclusive
    uint64_t end;    // physical, exclusive
    char name[kMaxModuleName];
};

struct BootInfo {
    Protocol protocol = Protocol::Unknown;
    MemoryRegion regions[kMaxRegions] = {};
    size_t region_count = 0;
    Module modules[kMaxModules] = {};
    size_t module_count = 0;
    char cmdline[kMaxCmdline] = {};
    bool cmdline_truncated = false;
    // Why parsing failed, for the log (a static string, never an address).
    const char* error_detail = "";
};

// Reads bytes of physical memory. Returns nullptr when [phys, phys+len) is
// not readable (outside what the kernel maps, or overflowing).
class PhysicalReader {
public:
    virtual const uint8_t* read(uint64_t phys, uint64_t len) const = 0;

protected:
    ~PhysicalReader() = default;
};

// Multiboot2 information structure at `info_phys`.
Result<void> parse_multiboot2(const PhysicalReader& mem, uint64_t info_phys, BootInfo& out);

// PVH hvm_start_info at `info_phys`.
Result<void> parse_pvh(const PhysicalReader& mem, uint64_t info_phys, BootInfo& out);

// Sort, clip and merge out.regions (see the header comment). Called by both parsers.
void normalize_memory_map(BootInfo& out);

const char* region_type_name(RegionType t);

}  // namespace capos::boot

// The regions of a process's mapping area (abi::kUserMapMin .. kUserMapLimit):
// which ranges VirtualMemory reserved or mapped and which MemoryObjects are
// mapped where. Pure bookkeeping over caller-provided storage, kept sorted
// and non-overlapping; the kernel changes page tables only after the map
// says an operation is allowed (decode before perform).
//
// A region records what a range may hold, not what is present: pages of an
// Anonymous region are committed or not (the page table says which); pages
// of an Object region map pages [offset, offset + pages) of one object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/base/error.hpp"

namespace capos::mm {

inline constexpr uint64_t kRegionPageSize = 4096;

enum class RegionKind : uint8_t {
    Anonymous = 1,  // VirtualMemory.map / reserve
    Object = 2,     // MemoryObject.map
};

struct Region {
    uint64_t base = 0;          // page-aligned user address
    uint64_t pages = 0;         // > 0
    RegionKind kind = RegionKind::Anonymous;
    uint64_t tag = 0;           // Object: the object (opaque to the map); Anonymous: 0
    uint64_t offset_pages = 0;  // Object: the object page mapped at `base`

    uint64_t end() const { return base + pages * kRegionPageSize; }
};

class RegionMap {
public:
    // The map covers [lo, hi) (page-aligned, lo < hi) and holds at most
    // storage.size() regions. InvalidArgument for a bad range.
    Result<void> init(std::span<Region> storage, uint64_t lo, uint64_t hi);

    // Checks that [addr, addr + bytes) is page-aligned, non-empty and inside
    // the map's range; returns its page count. InvalidArgument otherwise.
    Result<uint64_t> check_range(uint64_t addr, uint64_t bytes) const;

    // Where `pages` pages can go. A non-zero hint is used if it is aligned,
    // inside the range and free (InvalidArgument otherwise: no silent
    // relocation); hint 0 picks the lowest free gap (OutOfMemory if none).
    // InvalidArgument for 0 pages or more than the whole range.
    Result<uint64_t> place(uint64_t hint, uint64_t pages) const;

    // Adds a region. InvalidArgument if it is empty, misaligned, outside
    // the range or overlaps another; LimitExceeded when storage is full.
    // Nothing changes on failure.
    Result<void> insert(const Region& r);

    // True when every page of [addr, addr + pages) lies in a region of
    // `kind` with `tag`, with no gap.
    bool covered(uint64_t addr, uint64_t pages, RegionKind kind, uint64_t tag) const;

    // Removes [addr, addr + pages), which must be covered (kind, tag) as
    // above (InvalidArgument otherwise), trimming or splitting regions. A
    // split of one region needs a free entry: LimitExceeded when none is
    // left. Nothing changes on failure.
    Result<void> remove(uint64_t addr, uint64_t pages, RegionKind kind, uint64_t tag);

    // The region containing addr, or null.
    const Region* find(uint64_t addr) const;

    size_t size() const { return count_; }
    size_t capacity() const { return storage_.size(); }
    const Region& operator[](size_t i) const { return storage_[i]; }
    uint64_t lo() const { return lo_; }
    uint64_t hi() const { return hi_; }

private:
    // Index of the first region whose end is above addr (count_ if none).
    size_t first_ending_after(uint64_t addr) const;
    void erase(size_t first, size_t n);
    void open_gap(size_t at);

    std::span<Region> storage_{};
    size_t count_ = 0;
    uint64_t lo_ = 0;
    uint64_t hi_ = 0;
};

}  // namespace capos::mm

#include "lib/mm/region_map.hpp"

namespace capos::mm {

namespace {
constexpr bool aligned(uint64_t v) { return v % kRegionPageSize == 0; }
}  // namespace

Result<void> RegionMap::init(std::span<Region> storage, uint64_t lo, uint64_t hi) {
    if (!aligned(lo) || !aligned(hi) || lo >= hi) return Error::InvalidArgument;
    storage_ = storage;
    count_ = 0;
    lo_ = lo;
    hi_ = hi;
    return {};
}

Result<uint64_t> RegionMap::check_range(uint64_t addr, uint64_t bytes) const {
    if (bytes == 0 || !aligned(addr) || !aligned(bytes)) return Error::InvalidArgument;
    if (addr < lo_ || addr >= hi_ || bytes > hi_ - addr) return Error::InvalidArgument;
    return bytes / kRegionPageSize;
}

size_t RegionMap::first_ending_after(uint64_t addr) const {
    size_t i = 0;
    while (i < count_ && storage_[i].end() <= addr) ++i;
    return i;
}

Result<uint64_t> RegionMap::place(uint64_t hint, uint64_t pages) const {
    if (pages == 0 || pages > (hi_ - lo_) / kRegionPageSize) return Error::InvalidArgument;
    uint64_t bytes = pages * kRegionPageSize;
    if (hint != 0) {
        TRY(check_range(hint, bytes));
        size_t i = first_ending_after(hint);
        if (i < count_ && storage_[i].base < hint + bytes) return Error::InvalidArgument;
        return hint;
    }
    uint64_t cursor = lo_;
    for (size_t i = 0; i < count_; ++i) {
        if (storage_[i].base - cursor >= bytes) return cursor;
        cursor = storage_[i].end();
    }
    if (hi_ - cursor >= bytes) return cursor;
    return Error::OutOfMemory;
}

void RegionMap::open_gap(size_t at) {
    for (size_t j = count_; j > at; --j) storage_[j] = storage_[j - 1];
    ++count_;
}

void RegionMap::erase(size_t first, size_t n) {
    for (size_t j = first; j + n < count_; ++j) storage_[j] = storage_[j + n];
    count_ -= n;
}

Result<void> RegionMap::insert(const Region& r) {
    if (r.pages == 0 || r.pages > (hi_ - lo_) / kRegionPageSize) return Error::InvalidArgument;
    TRY(check_range(r.base, r.pages * kRegionPageSize));
    size_t i = first_ending_after(r.base);
    if (i < count_ && storage_[i].base < r.end()) return Error::InvalidArgument;
    if (count_ == storage_.size()) return Error::LimitExceeded;
    open_gap(i);
    storage_[i] = r;
    return {};
}

bool RegionMap::covered(uint64_t addr, uint64_t pages, RegionKind kind, uint64_t tag) const {
    auto range = check_range(addr, pages > (hi_ - lo_) / kRegionPageSize ? 0 : pages * kRegionPageSize);
    if (!range.ok()) return false;
    uint64_t end = addr + pages * kRegionPageSize;
    uint64_t cursor = addr;
    for (size_t i = first_ending_after(addr); i < count_ && cursor < end; ++i) {
        const Region& r = storage_[i];
        if (r.base > cursor || r.kind != kind || r.tag != tag) return false;
        cursor = r.end();
    }
    return cursor >= end;
}

Result<void> RegionMap::remove(uint64_t addr, uint64_t pages, RegionKind kind, uint64_t tag) {
    if (!covered(addr, pages, kind, tag)) return Error::InvalidArgument;
    uint64_t end = addr + pages * kRegionPageSize;
    size_t i = first_ending_after(addr);
    Region& first = storage_[i];
    if (first.base < addr && first.end() > end) {
        // Strictly inside one region: split it in two.
        if (count_ == storage_.size()) return Error::LimitExceeded;
        Region tail = first;
        tail.base = end;
        tail.pages = (first.end() - end) / kRegionPageSize;
        if (tail.kind == RegionKind::Object) tail.offset_pages += (end - first.base) / kRegionPageSize;
        first.pages = (addr - first.base) / kRegionPageSize;
        open_gap(i + 1);
        storage_[i + 1] = tail;
        return {};
    }
    if (first.base < addr) {
        first.pages = (addr - first.base) / kRegionPageSize;
        ++i;
    }
    size_t whole = 0;
    while (i + whole < count_ && storage_[i + whole].end() <= end) ++whole;
    erase(i, whole);
    if (i < count_ && storage_[i].base < end) {
        Region& last = storage_[i];
        uint64_t cut = (end - last.base) / kRegionPageSize;
        if (last.kind == RegionKind::Object) last.offset_pages += cut;
        last.pages -= cut;
        last.base = end;
    }
    return {};
}

const Region* RegionMap::find(uint64_t addr) const {
    size_t i = first_ending_after(addr);
    if (i < count_ && storage_[i].base <= addr) return &storage_[i];
    return nullptr;
}

}  // namespace capos::mm

// Kernel heap: size-class slabs for small blocks, whole pages for large
// ones. Pages come from a PageSource (the frame allocator through the
// direct map in the kernel; a fake in host tests). Empty slab pages go back
// to the source at once, so after every block is freed the heap holds no
// pages and both counters are zero.
//
// Page layout (every page the heap owns starts with a PageHeader):
//
//   +-------------+-----------+-----------+-----+
//   | PageHeader  | block 0   | block 1   | ... |    slab page, one size class
//   +-------------+-----------+-----------+-----+
//   | PageHeader  | one large block spanning `pages` pages ...      |
//
// A block's page is found by rounding its address down to 4 KiB: blocks never
// start at offset 0, and a large block's pointer lies in its first page.
#pragma once

#include <cstddef>
#include <cstdint>

namespace capos::mm {

class PageSource {
public:
    // `count` contiguous, 4 KiB-aligned pages, or nullptr.
    virtual void* alloc_pages(size_t count) = 0;
    virtual void free_pages(void* p, size_t count) = 0;

protected:
    ~PageSource() = default;
};

class Heap {
public:
    static constexpr size_t kPageSize = 4096;
    static constexpr size_t kNumClasses = 8;  // 16 .. 2048 bytes
    static constexpr size_t kMaxSmall = 2048;
    static constexpr size_t kAlign = 16;

    void init(PageSource* source) { source_ = source; }

    // A 16-byte-aligned block, or nullptr on exhaustion (never a crash).
    // size 0 returns a valid minimal block, as operator new requires.
    void* alloc(size_t size);
    // nullptr is ignored. Returns false if `p` is not a live heap block.
    bool free(void* p);

    size_t live_bytes() const { return live_bytes_; }
    size_t live_allocations() const { return live_allocs_; }
    size_t pages_held() const { return pages_held_; }

    struct PageHeader;  // defined in heap.cpp

private:
    struct FreeBlock {
        FreeBlock* next;
    };

    static size_t class_index(size_t size);
    static size_t class_size(size_t index) { return size_t{16} << index; }

    void* alloc_large(size_t size);
    void* alloc_small(size_t index);

    PageSource* source_ = nullptr;
    PageHeader* partial_[kNumClasses] = {};
    size_t live_bytes_ = 0;
    size_t live_allocs_ = 0;
    size_t pages_held_ = 0;
};

}  // namespace capos::mm

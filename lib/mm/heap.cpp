#include "lib/mm/heap.hpp"

#include "lib/base/checked.hpp"

namespace capos::mm {

namespace {
constexpr uint32_t kMagicSlab = 0x534c4142;   // "SLAB"
constexpr uint32_t kMagicLarge = 0x4c524745;  // "LRGE"
}  // namespace

struct Heap::PageHeader {
    uint32_t magic;
    uint16_t class_index;
    uint16_t in_use;
    uint32_t pages;
    uint32_t capacity;
    FreeBlock* free_list;
    PageHeader* next;  // partial list of its class
    PageHeader* prev;
};

namespace {
constexpr size_t kHeaderSize = 48;
}
static_assert(kHeaderSize % 16 == 0);
static_assert(sizeof(Heap::PageHeader) <= kHeaderSize);

size_t Heap::class_index(size_t size) {
    size_t i = 0;
    while (class_size(i) < size) ++i;
    return i;
}

void* Heap::alloc(size_t size) {
    if (!source_) return nullptr;
    if (size == 0) size = 1;
    if (size > kMaxSmall) return alloc_large(size);
    return alloc_small(class_index(size));
}

void* Heap::alloc_large(size_t size) {
    size_t total;
    if (!checked_add(size, kHeaderSize, &total)) return nullptr;
    size_t pages;
    if (!checked_align_up(total, kPageSize, &pages)) return nullptr;
    pages /= kPageSize;
    if (pages > UINT32_MAX) return nullptr;
    void* mem = source_->alloc_pages(pages);
    if (!mem) return nullptr;
    auto* h = static_cast<PageHeader*>(mem);
    *h = PageHeader{kMagicLarge, 0, 1, static_cast<uint32_t>(pages), 1, nullptr, nullptr, nullptr};
    pages_held_ += pages;
    live_bytes_ += pages * kPageSize - kHeaderSize;
    ++live_allocs_;
    return static_cast<uint8_t*>(mem) + kHeaderSize;
}

void* Heap::alloc_small(size_t index) {
    PageHeader* h = partial_[index];
    if (!h) {
        void* mem = source_->alloc_pages(1);
        if (!mem) return nullptr;
        h = static_cast<PageHeader*>(mem);
        size_t sz = class_size(index);
        size_t first = align_up(kHeaderSize, sz < kAlign ? kAlign : (sz > 64 ? 64 : sz));
        size_t cap = (kPageSize - first) / sz;
        *h = PageHeader{kMagicSlab, static_cast<uint16_t>(index), 0, 1, static_cast<uint32_t>(cap),
                        nullptr, nullptr, nullptr};
        // Thread the free list in address order.
        FreeBlock* prev = nullptr;
        for (size_t i = cap; i-- > 0;) {
            auto* b = reinterpret_cast<FreeBlock*>(static_cast<uint8_t*>(mem) + first + i * sz);
            b->next = prev;
            prev = b;
        }
        h->free_list = prev;
        partial_[index] = h;
        ++pages_held_;
    }
    FreeBlock* b = h->free_list;
    h->free_list = b->next;
    ++h->in_use;
    if (!h->free_list) {  // now full: leave the partial list
        partial_[index] = h->next;
        if (h->next) h->next->prev = nullptr;
        h->next = h->prev = nullptr;
    }
    live_bytes_ += class_size(index);
    ++live_allocs_;
    return b;
}

bool Heap::free(void* p) {
    if (!p) return true;
    auto addr = reinterpret_cast<uintptr_t>(p);
    if (addr % kAlign || addr % kPageSize == 0) return false;
    auto* h = reinterpret_cast<PageHeader*>(addr & ~(kPageSize - 1));
    if (h->magic == kMagicLarge) {
        if (addr != reinterpret_cast<uintptr_t>(h) + kHeaderSize) return false;
        size_t pages = h->pages;
        h->magic = 0;
        live_bytes_ -= pages * kPageSize - kHeaderSize;
        --live_allocs_;
        pages_held_ -= pages;
        source_->free_pages(h, pages);
        return true;
    }
    if (h->magic != kMagicSlab || h->class_index >= kNumClasses) return false;
    size_t index = h->class_index;
    bool was_full = h->free_list == nullptr;
    auto* b = static_cast<FreeBlock*>(p);
    b->next = h->free_list;
    h->free_list = b;
    --h->in_use;
    live_bytes_ -= class_size(index);
    --live_allocs_;
    if (h->in_use == 0) {
        // Unlink (it is on the partial list unless capacity was 1 and it was full).
        if (!was_full) {
            if (h->prev) h->prev->next = h->next;
            else partial_[index] = h->next;
            if (h->next) h->next->prev = h->prev;
        }
        h->magic = 0;
        --pages_held_;
        source_->free_pages(h, 1);
        return true;
    }
    if (was_full) {
        h->prev = nullptr;
        h->next = partial_[index];
        if (h->next) h->next->prev = h;
        partial_[index] = h;
    }
    return true;
}

}  // namespace capos::mm

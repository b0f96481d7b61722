#include "user/rt/arena.hpp"

namespace capos::rt {

bool ArenaPageSource::init(void* base, size_t pages, uint64_t* words) {
    if (base_ != nullptr || base == nullptr || words == nullptr || pages == 0 ||
        pages > kMaxPages)
        return false;
    if (reinterpret_cast<uintptr_t>(base) % kPageBytes != 0) return false;
    base_ = static_cast<unsigned char*>(base);
    pages_ = pages;
    free_ = pages;
    words_ = words;
    bitmap().fill(false);
    return true;
}

void* ArenaPageSource::alloc_pages(size_t count) {
    if (count == 0 || count > free_) return nullptr;
    Bitmap bits = bitmap();
    size_t start = bits.find_clear(0);
    // Invariant: every run starting below `start` is too short.
    while (start < pages_ && pages_ - start >= count) {
        size_t run = 1;
        while (run < count && !bits.test(start + run)) ++run;
        if (run == count) {
            for (size_t i = 0; i < count; ++i) bits.set(start + i);
            free_ -= count;
            return base_ + start * kPageBytes;
        }
        start = bits.find_clear(start + run);
    }
    return nullptr;
}

void ArenaPageSource::free_pages(void* p, size_t count) {
    auto a = reinterpret_cast<uintptr_t>(p);
    auto b = reinterpret_cast<uintptr_t>(base_);
    if (count == 0 || !contains(p) || (a - b) % kPageBytes != 0) {
        ++misuse_;
        return;
    }
    size_t first = (a - b) / kPageBytes;
    if (count > pages_ - first) {
        ++misuse_;
        return;
    }
    Bitmap bits = bitmap();
    for (size_t i = 0; i < count; ++i) {
        if (!bits.test(first + i)) {
            ++misuse_;
            return;
        }
    }
    for (size_t i = 0; i < count; ++i) bits.clear(first + i);
    free_ += count;
}

}  // namespace capos::rt

// ArenaPageSource: lib/mm's PageSource over one fixed, caller-provided
// region of whole pages, with a first-fit page bitmap. Used by the runtime's
// heap (heap.cpp); free of syscalls so host tests can drive it.
//
//   base                                              base + pages * 4 KiB
//   +--------+--------+--------+-----+--------+
//   | page 0 | page 1 | page 2 | ... | page n-1|   bit i of the bitmap set
//   +--------+--------+--------+-----+--------+   <=> page i is handed out
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/base/bitmap.hpp"
#include "lib/mm/heap.hpp"
#include "user/rt/heap.hpp"

namespace capos::rt {

class ArenaPageSource final : public mm::PageSource {
public:
    static constexpr size_t kPageBytes = kHeapPageBytes;
    static constexpr size_t kMaxPages = kMaxHeapBytes / kPageBytes;
    static constexpr size_t words_for(size_t pages) { return Bitmap::words_for(pages); }

    constexpr ArenaPageSource() = default;

    // Adopts [base, base + pages * kPageBytes), with `words` (at least
    // words_for(pages) of them, owned by the caller, kept for the source's
    // lifetime) as its page bitmap. Fails (returns false, changes nothing)
    // if base or words is null, base is not page aligned, pages is 0 or
    // above kMaxPages, or the source was already initialised.
    bool init(void* base, size_t pages, uint64_t* words);

    // `count` contiguous free pages (the lowest such run), or nullptr.
    void* alloc_pages(size_t count) override;
    // Frees pages from alloc_pages. A range that is not wholly allocated
    // pages of this arena is refused, counted in misuse(), and changes
    // nothing.
    void free_pages(void* p, size_t count) override;

    bool contains(const void* p) const {
        auto a = reinterpret_cast<uintptr_t>(p);
        auto b = reinterpret_cast<uintptr_t>(base_);
        return base_ != nullptr && a >= b && a - b < pages_ * kPageBytes;
    }
    size_t pages() const { return pages_; }
    size_t pages_free() const { return free_; }
    size_t misuse() const { return misuse_; }

private:
    Bitmap bitmap() { return Bitmap(words_, pages_); }

    unsigned char* base_ = nullptr;
    size_t pages_ = 0;
    size_t free_ = 0;
    size_t misuse_ = 0;
    // Invariant: bit i set <=> page i handed out; free_ == clear bits.
    uint64_t* words_ = nullptr;
};

}  // namespace capos::rt

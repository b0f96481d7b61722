#include "lib/mm/frame_allocator.hpp"

#include "lib/base/checked.hpp"

namespace capos::mm {

void FrameAllocator::init(uint64_t* words, uint64_t frame_limit) {
    size_t n = Bitmap::words_for(frame_limit);
    bits_ = Bitmap(words, frame_limit);
    managed_ = Bitmap(words + n, frame_limit);
    bits_.fill(true);
    managed_.fill(false);
    limit_ = frame_limit;
    total_ = 0;
    free_ = 0;
    hint_ = 1;
}

void FrameAllocator::free_range(uint64_t base, uint64_t len) {
    uint64_t first, end;
    if (!checked_align_up(base, kFrameSize, &first)) return;
    if (!checked_add(base, len, &end)) end = UINT64_MAX;
    end = align_down(end, kFrameSize);
    for (uint64_t f = first / kFrameSize; f < end / kFrameSize && f < limit_; ++f) {
        if (f == 0 || managed_.test(f)) continue;  // frame 0 is never handed out
        managed_.set(f);
        bits_.clear(f);
        ++total_;
        ++free_;
    }
}

void FrameAllocator::reserve_range(uint64_t base, uint64_t len) {
    uint64_t first = align_down(base, kFrameSize);
    uint64_t end;
    if (!checked_add(base, len, &end) || !checked_align_up(end, kFrameSize, &end))
        end = UINT64_MAX & ~(kFrameSize - 1);
    for (uint64_t f = first / kFrameSize; f < end / kFrameSize && f < limit_; ++f) {
        if (!managed_.test(f)) continue;
        managed_.clear(f);
        if (!bits_.test(f)) --free_;
        bits_.set(f);
        --total_;
    }
}

Result<uint64_t> FrameAllocator::alloc() {
    if (free_ == 0) return Error::OutOfMemory;
    size_t f = bits_.find_clear(hint_);
    if (f >= limit_) f = bits_.find_clear(1);
    if (f >= limit_) return Error::OutOfMemory;
    bits_.set(f);
    --free_;
    hint_ = f + 1;
    return f * kFrameSize;
}

Result<uint64_t> FrameAllocator::alloc_contiguous(uint64_t count) {
    if (count == 0) return Error::InvalidArgument;
    if (count == 1) return alloc();
    if (count > free_) return Error::OutOfMemory;
    uint64_t f = bits_.find_clear(1);
    while (f < limit_) {
        uint64_t run = 0;
        while (run < count && f + run < limit_ && !bits_.test(f + run)) ++run;
        if (run == count) {
            for (uint64_t i = 0; i < count; ++i) bits_.set(f + i);
            free_ -= count;
            return f * kFrameSize;
        }
        f = bits_.find_clear(f + run + 1);
    }
    return Error::OutOfMemory;
}

bool FrameAllocator::is_free(uint64_t phys) const {
    uint64_t f = phys / kFrameSize;
    return f < limit_ && managed_.test(f) && !bits_.test(f);
}

Result<void> FrameAllocator::free(uint64_t phys) {
    if (phys % kFrameSize) return Error::Misaligned;
    uint64_t f = phys / kFrameSize;
    if (f >= limit_ || !managed_.test(f)) return Error::OutOfRange;
#ifndef CAPOS_PLANTED_BUG_FRAME_DOUBLE_FREE  // tests/model: planted-bug build only
    if (!bits_.test(f)) return Error::DoubleFree;
#endif
    bits_.clear(f);
    ++free_;
    if (f < hint_) hint_ = f;
    return {};
}

Result<void> FrameAllocator::free_contiguous(uint64_t phys, uint64_t count) {
    // Validate the whole run first so a bad call changes nothing.
    if (phys % kFrameSize) return Error::Misaligned;
    uint64_t f = phys / kFrameSize;
    uint64_t end;
    if (!checked_add(f, count, &end) || end > limit_) return Error::OutOfRange;
    for (uint64_t i = f; i < end; ++i) {
        if (!managed_.test(i)) return Error::OutOfRange;
        if (!bits_.test(i)) return Error::DoubleFree;
    }
    for (uint64_t i = f; i < end; ++i) bits_.clear(i);
    free_ += count;
    if (f < hint_) hint_ = f;
    return {};
}

}  // namespace capos::mm

// Physical frame allocator: one bit per 4 KiB frame, set = in use.
//
// Invariant: free_frames() + used_frames() == total_frames(), where total
// counts only frames that were ever handed to free_range() (usable RAM);
// holes and reserved memory stay permanently set and are not counted.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/base/bitmap.hpp"
#include "lib/base/error.hpp"

namespace capos::mm {

inline constexpr uint64_t kFrameSize = 4096;

class FrameAllocator {
public:
    static constexpr size_t words_needed(uint64_t frame_limit) {
        return 2 * Bitmap::words_for(frame_limit);
    }
    // `words` must hold words_needed(frame_limit) words. Every frame
    // starts reserved; free_range() makes usable RAM available.
    void init(uint64_t* words, uint64_t frame_limit);

    // Make [base, base+len) available (page-aligned inward). Frames already
    // available are left alone.
    void free_range(uint64_t base, uint64_t len);
    // Take [base, base+len) out of circulation (page-aligned outward).
    void reserve_range(uint64_t base, uint64_t len);

    // Physical address of a free frame, or OutOfMemory. Never frame 0.
    Result<uint64_t> alloc();
    // `count` physically contiguous frames.
    Result<uint64_t> alloc_contiguous(uint64_t count);
    // DoubleFree if the frame is not allocated; OutOfRange if it was never RAM.
    Result<void> free(uint64_t phys);
    Result<void> free_contiguous(uint64_t phys, uint64_t count);

    uint64_t total_frames() const { return total_; }
    uint64_t free_frames() const { return free_; }
    uint64_t used_frames() const { return total_ - free_; }
    uint64_t frame_limit() const { return limit_; }
    bool is_free(uint64_t phys) const;

private:
    Bitmap bits_;
    Bitmap managed_;  // frames that are RAM we manage (ever freed into the pool)
    uint64_t limit_ = 0;
    uint64_t total_ = 0;
    uint64_t free_ = 0;
    uint64_t hint_ = 1;
};

}  // namespace capos::mm

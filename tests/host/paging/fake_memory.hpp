// A fake physical memory for page-table tests: table frames live in heap
// arrays keyed by made-up physical addresses that are never reused, so a
// stale table pointer or a double free is caught instead of aliasing.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>

#include "lib/paging/paging.hpp"

namespace capos::paging::fake {

using Frame = std::array<uint64_t, kEntriesPerTable>;
using Snapshot = std::map<PhysAddr, Frame>;

class FakeMemory final : public PhysicalMemory {
public:
    static constexpr PhysAddr kFirstFrame = 0x10'0000;

    Result<PhysAddr> allocate_table() override {
        ++allocations_;
        if (fail_countdown_ != 0 && --fail_countdown_ == 0) return Error::OutOfMemory;
        PhysAddr pa = next_;
        next_ += kPageSize;
        frames_[pa] = std::make_unique<Frame>();
        frames_[pa]->fill(0);
        return pa;
    }

    void free_table(PhysAddr frame) override {
        auto it = frames_.find(frame);
        if (it == frames_.end()) {
            ADD_FAILURE() << "free of a frame that is not live: " << std::hex << frame;
            return;
        }
        frames_.erase(it);
        ++frees_;
    }

    uint64_t* table(PhysAddr frame) override {
        auto it = frames_.find(frame);
        if (it == frames_.end()) {
            ADD_FAILURE() << "access to a frame that is not live: " << std::hex << frame;
            std::abort();
        }
        return it->second->data();
    }

    // The k-th allocation from now (1-based) fails; 0 disarms.
    void fail_allocation(size_t k) { fail_countdown_ = k; }

    size_t live() const { return frames_.size(); }
    size_t allocations() const { return allocations_; }
    size_t frees() const { return frees_; }
    bool is_live(PhysAddr frame) const { return frames_.count(frame) != 0; }

    Snapshot snapshot() const {
        Snapshot s;
        for (const auto& [pa, frame] : frames_) s[pa] = *frame;
        return s;
    }

private:
    std::map<PhysAddr, std::unique_ptr<Frame>> frames_;
    PhysAddr next_ = kFirstFrame;
    size_t fail_countdown_ = 0;
    size_t allocations_ = 0;
    size_t frees_ = 0;
};

}  // namespace capos::paging::fake

// A bounded FIFO of bytes that drops (and counts) what does not fit: the
// terminal's receive buffer, filled from the COM2 interrupt and drained by
// the line editor (kernel/arch/x86_64/serial.cpp). No allocation; one
// producer and one consumer that never run at the same time (the kernel
// drains it with interrupts off).
#pragma once

#include <cstddef>
#include <cstdint>

namespace capos::term {

template <uint32_t N>
class ByteQueue {
    static_assert(N > 0);

public:
    // False (and the byte dropped and counted) when full.
    bool push(uint8_t b) {
        if (count_ == N) {
            ++dropped_;
            return false;
        }
        buf_[(head_ + count_) % N] = b;
        ++count_;
        return true;
    }
    // False when empty.
    bool pop(uint8_t* b) {
        if (count_ == 0) return false;
        *b = buf_[head_];
        head_ = (head_ + 1) % N;
        --count_;
        return true;
    }
    void clear() { head_ = count_ = 0; }
    uint32_t size() const { return count_; }
    static constexpr uint32_t capacity() { return N; }
    uint64_t dropped() const { return dropped_; }

private:
    uint8_t buf_[N] = {};
    uint32_t head_ = 0;
    uint32_t count_ = 0;  // Invariant: count_ <= N
    uint64_t dropped_ = 0;
};

}  // namespace capos::term

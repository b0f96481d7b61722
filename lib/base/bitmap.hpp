// A bitmap over caller-provided 64-bit words. Bit i set means "in use".
#pragma once

#include <cstddef>
#include <cstdint>

namespace capos {

class Bitmap {
public:
    Bitmap() = default;
    Bitmap(uint64_t* words, size_t bits) : words_(words), bits_(bits) {}

    static constexpr size_t words_for(size_t bits) { return (bits + 63) / 64; }

    size_t size() const { return bits_; }
    bool test(size_t i) const { return (words_[i / 64] >> (i % 64)) & 1; }
    void set(size_t i) { words_[i / 64] |= uint64_t{1} << (i % 64); }
    void clear(size_t i) { words_[i / 64] &= ~(uint64_t{1} << (i % 64)); }
    void fill(bool value) {
        for (size_t w = 0; w < words_for(bits_); ++w) words_[w] = value ? ~uint64_t{0} : 0;
    }

    // Index of the first clear bit at or after `from`, or size() if none.
    size_t find_clear(size_t from) const {
        size_t i = from;
        while (i < bits_) {
            size_t wi = i / 64;
            uint64_t free = ~words_[wi] & (~uint64_t{0} << (i % 64));
            if (free != 0) {
                size_t j = wi * 64 + static_cast<size_t>(__builtin_ctzll(free));
                return j < bits_ ? j : bits_;
            }
            i = (wi + 1) * 64;
        }
        return bits_;
    }

private:
    uint64_t* words_ = nullptr;
    size_t bits_ = 0;
};

}  // namespace capos

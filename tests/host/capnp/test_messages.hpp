// Hand-assembled messages for lib/capnp tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "lib/capnp/wire.hpp"

namespace capos::capnp::testing {

// A framed message: segment table followed by the segments, in words.
struct Framed {
    std::vector<Word> words;
    size_t table_words = 0;

    std::span<const uint8_t> bytes() const {
        return {reinterpret_cast<const uint8_t*>(words.data()), words.size() * sizeof(Word)};
    }
    std::span<uint8_t> mutable_bytes() {
        return {reinterpret_cast<uint8_t*>(words.data()), words.size() * sizeof(Word)};
    }
    // Word `i` of segment `seg` (segments are laid out back to back).
    Word& at(size_t seg, size_t i, const std::vector<size_t>& sizes) {
        size_t start = table_words;
        for (size_t s = 0; s < seg; ++s) start += sizes[s];
        return words[start + i];
    }
};

inline Framed frame(const std::vector<std::vector<Word>>& segments) {
    Framed f;
    size_t n = segments.size();
    f.table_words = (4 + 4 * n + 7) / 8;
    std::vector<uint32_t> table((f.table_words * 8) / 4, 0);
    table[0] = static_cast<uint32_t>(n - 1);
    for (size_t i = 0; i < n; ++i) table[1 + i] = static_cast<uint32_t>(segments[i].size());
    f.words.resize(f.table_words);
    std::memcpy(f.words.data(), table.data(), f.table_words * 8);
    for (auto& s : segments) f.words.insert(f.words.end(), s.begin(), s.end());
    return f;
}

inline Framed frame1(const std::vector<Word>& segment) { return frame({segment}); }

// Text bytes (with NUL) packed into words.
inline std::vector<Word> text_words(const char* s) {
    size_t n = std::strlen(s) + 1;
    std::vector<Word> w((n + 7) / 8, 0);
    std::memcpy(w.data(), s, n);
    return w;
}

}  // namespace capos::capnp::testing

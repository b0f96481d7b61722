// A non-owning view of characters. Not NUL-terminated.
#pragma once

#include <cstddef>

namespace capos {

class StringView {
public:
    constexpr StringView() = default;
    constexpr StringView(const char* data, size_t size) : data_(data), size_(size) {}
    constexpr StringView(const char* cstr) : data_(cstr), size_(cstr ? length(cstr) : 0) {}

    constexpr const char* data() const { return data_; }
    constexpr size_t size() const { return size_; }
    constexpr bool empty() const { return size_ == 0; }
    constexpr char operator[](size_t i) const { return data_[i]; }
    constexpr const char* begin() const { return data_; }
    constexpr const char* end() const { return data_ + size_; }

    constexpr StringView substr(size_t pos, size_t n = static_cast<size_t>(-1)) const {
        if (pos > size_) pos = size_;
        if (n > size_ - pos) n = size_ - pos;
        return StringView(data_ + pos, n);
    }
    constexpr bool starts_with(StringView p) const {
        return p.size_ <= size_ && substr(0, p.size_) == p;
    }
    constexpr size_t find(char c, size_t from = 0) const {
        for (size_t i = from; i < size_; ++i)
            if (data_[i] == c) return i;
        return npos;
    }
    friend constexpr bool operator==(StringView a, StringView b) {
        if (a.size_ != b.size_) return false;
        for (size_t i = 0; i < a.size_; ++i)
            if (a.data_[i] != b.data_[i]) return false;
        return true;
    }

    static constexpr size_t npos = static_cast<size_t>(-1);

private:
    static constexpr size_t length(const char* s) {
        size_t n = 0;
        while (s[n]) ++n;
        return n;
    }
    const char* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace capos

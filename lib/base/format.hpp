// Type-safe formatting with "{}" placeholders, for the kernel log, user
// programs and tests alike.
//
//   format(sink, "frame {} at {:#x} ({:>8} bytes)", index, addr, size);
//
// Spec: {[:[<|>][#][0][width][x|X|b|d|c]]}. "{{" and "}}" are literal braces.
// Integers print in decimal unless a base is given; '#' adds 0x/0b; '0' pads
// with zeros. Strings take width and alignment. Pointers print as 0x-hex.
// A placeholder without an argument prints "{?}", an unused argument is
// ignored: formatting never fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"

namespace capos {

class Sink {
public:
    virtual void write(const char* data, size_t len) = 0;

protected:
    ~Sink() = default;
};

// Writes into a fixed buffer, truncating; always NUL-terminates when cap > 0.
class BufferSink final : public Sink {
public:
    BufferSink(char* buf, size_t cap) : buf_(buf), cap_(cap) {
        if (cap_) buf_[0] = '\0';
    }
    void write(const char* data, size_t len) override;
    size_t size() const { return len_; }
    bool truncated() const { return truncated_; }
    StringView view() const { return StringView(buf_, len_); }

private:
    char* buf_;
    size_t cap_;
    size_t len_ = 0;
    bool truncated_ = false;
};

struct FormatArg {
    enum class Kind : uint8_t { Signed, Unsigned, String, Char, Pointer, Bool };
    Kind kind;
    union {
        int64_t s;
        uint64_t u;
        StringView str;
        char c;
        bool b;
    };

    FormatArg(bool v) : kind(Kind::Bool), b(v) {}
    FormatArg(char v) : kind(Kind::Char), c(v) {}
    template <typename T>
        requires(std::is_integral_v<T> && std::is_signed_v<T> && !std::is_same_v<T, char> &&
                 !std::is_same_v<T, bool>)
    FormatArg(T v) : kind(Kind::Signed), s(v) {}
    template <typename T>
        requires(std::is_integral_v<T> && std::is_unsigned_v<T> && !std::is_same_v<T, bool>)
    FormatArg(T v) : kind(Kind::Unsigned), u(v) {}
    template <typename T>
        requires std::is_enum_v<T>
    FormatArg(T v) : kind(Kind::Unsigned), u(static_cast<uint64_t>(v)) {}
    FormatArg(StringView v) : kind(Kind::String), str(v) {}
    FormatArg(const char* v) : kind(Kind::String), str(v ? StringView(v) : StringView("(null)")) {}
    FormatArg(char* v) : FormatArg(static_cast<const char*>(v)) {}
    FormatArg(Error e) : kind(Kind::String), str(error_name(e)) {}
    template <typename T>
    FormatArg(T* v) : kind(Kind::Pointer), u(reinterpret_cast<uintptr_t>(v)) {}
    FormatArg(std::nullptr_t) : kind(Kind::Pointer), u(0) {}
};

void vformat(Sink& sink, StringView fmt, const FormatArg* args, size_t nargs);

template <typename... Args>
void format(Sink& sink, StringView fmt, const Args&... args) {
    if constexpr (sizeof...(Args) == 0) {
        vformat(sink, fmt, nullptr, 0);
    } else {
        const FormatArg list[] = {FormatArg(args)...};
        vformat(sink, fmt, list, sizeof...(Args));
    }
}

// Format into buf (NUL-terminated, truncated to fit); returns the length written.
template <typename... Args>
size_t format_to(char* buf, size_t cap, StringView fmt, const Args&... args) {
    BufferSink sink(buf, cap);
    format(sink, fmt, args...);
    return sink.size();
}

}  // namespace capos

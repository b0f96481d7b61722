#include "lib/base/format.hpp"

namespace capos {

void BufferSink::write(const char* data, size_t len) {
    if (cap_ == 0) {
        truncated_ = truncated_ || len > 0;
        return;
    }
    size_t room = cap_ - 1 - len_;
    if (len > room) {
        truncated_ = true;
        len = room;
    }
    for (size_t i = 0; i < len; ++i) buf_[len_ + i] = data[i];
    len_ += len;
    buf_[len_] = '\0';
}

namespace {

struct Spec {
    bool left = false;
    bool alt = false;
    bool zero = false;
    size_t width = 0;
    char type = 0;
};

void pad(Sink& sink, char c, size_t n) {
    char chunk[16];
    for (auto& ch : chunk) ch = c;
    while (n > 0) {
        size_t k = n < sizeof(chunk) ? n : sizeof(chunk);
        sink.write(chunk, k);
        n -= k;
    }
}

void emit_padded(Sink& sink, const Spec& spec, const char* prefix, size_t prefix_len,
                 const char* body, size_t body_len) {
    size_t total = prefix_len + body_len;
    size_t fill = spec.width > total ? spec.width - total : 0;
    if (spec.zero && !spec.left) {
        sink.write(prefix, prefix_len);
        pad(sink, '0', fill);
        sink.write(body, body_len);
        return;
    }
    if (!spec.left) pad(sink, ' ', fill);
    sink.write(prefix, prefix_len);
    sink.write(body, body_len);
    if (spec.left) pad(sink, ' ', fill);
}

void emit_unsigned(Sink& sink, const Spec& spec, uint64_t v, bool negative, unsigned base,
                   bool upper) {
    char digits[72];
    size_t n = 0;
    const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[sizeof(digits) - 1 - n] = set[v % base];
        v /= base;
        ++n;
    } while (v != 0);
    char prefix[3];
    size_t plen = 0;
    if (negative) prefix[plen++] = '-';
    if (spec.alt && base == 16) {
        prefix[plen++] = '0';
        prefix[plen++] = 'x';
    } else if (spec.alt && base == 2) {
        prefix[plen++] = '0';
        prefix[plen++] = 'b';
    }
    emit_padded(sink, spec, prefix, plen, digits + sizeof(digits) - n, n);
}

void emit_arg(Sink& sink, const Spec& spec, const FormatArg& arg) {
    unsigned base = 10;
    bool upper = false;
    switch (spec.type) {
    case 'x': base = 16; break;
    case 'X': base = 16; upper = true; break;
    case 'b': base = 2; break;
    default: break;
    }
    switch (arg.kind) {
    case FormatArg::Kind::Signed:
        if (spec.type == 'c') {
            char c = static_cast<char>(arg.s);
            emit_padded(sink, spec, nullptr, 0, &c, 1);
        } else if (arg.s < 0 && base == 10) {
            emit_unsigned(sink, spec, 0 - static_cast<uint64_t>(arg.s), true, base, upper);
        } else {
            emit_unsigned(sink, spec, static_cast<uint64_t>(arg.s), false, base, upper);
        }
        return;
    case FormatArg::Kind::Unsigned:
        if (spec.type == 'c') {
            char c = static_cast<char>(arg.u);
            emit_padded(sink, spec, nullptr, 0, &c, 1);
        } else {
            emit_unsigned(sink, spec, arg.u, false, base, upper);
        }
        return;
    case FormatArg::Kind::Pointer: {
        Spec p = spec;
        p.alt = true;
        emit_unsigned(sink, p, arg.u, false, 16, false);
        return;
    }
    case FormatArg::Kind::String:
        emit_padded(sink, spec, nullptr, 0, arg.str.data(), arg.str.size());
        return;
    case FormatArg::Kind::Char:
        if (spec.type == 'x' || spec.type == 'X' || spec.type == 'd') {
            emit_unsigned(sink, spec, static_cast<unsigned char>(arg.c), false, base, upper);
        } else {
            emit_padded(sink, spec, nullptr, 0, &arg.c, 1);
        }
        return;
    case FormatArg::Kind::Bool: {
        StringView s = arg.b ? "true" : "false";
        emit_padded(sink, spec, nullptr, 0, s.data(), s.size());
        return;
    }
    }
}

}  // namespace

void vformat(Sink& sink, StringView fmt, const FormatArg* args, size_t nargs) {
    size_t next = 0;
    size_t i = 0;
    size_t literal_start = 0;
    auto flush = [&](size_t end) {
        if (end > literal_start) sink.write(fmt.data() + literal_start, end - literal_start);
    };
    while (i < fmt.size()) {
        char c = fmt[i];
        if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
            flush(i + 1);
            i += 2;
            literal_start = i;
            continue;
        }
        if (c != '{') {
            ++i;
            continue;
        }
        if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
            flush(i + 1);
            i += 2;
            literal_start = i;
            continue;
        }
        size_t close = fmt.find('}', i);
        if (close == StringView::npos) break;  // unterminated: print literally
        flush(i);
        Spec spec;
        size_t j = i + 1;
        if (j < close && fmt[j] == ':') {
            ++j;
            if (j < close && (fmt[j] == '<' || fmt[j] == '>')) spec.left = fmt[j++] == '<';
            if (j < close && fmt[j] == '#') spec.alt = true, ++j;
            if (j < close && fmt[j] == '0') spec.zero = true, ++j;
            while (j < close && fmt[j] >= '0' && fmt[j] <= '9' && spec.width < 1000)
                spec.width = spec.width * 10 + static_cast<size_t>(fmt[j++] - '0');
            if (j < close) spec.type = fmt[j];
        }
        if (next < nargs) {
            emit_arg(sink, spec, args[next++]);
        } else {
            sink.write("{?}", 3);
        }
        i = close + 1;
        literal_start = i;
    }
    flush(fmt.size());
}

}  // namespace capos

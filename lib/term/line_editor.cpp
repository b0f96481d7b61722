#include "lib/term/line_editor.hpp"

namespace capos::term {

namespace {
constexpr uint8_t kBs = 0x08, kDel = 0x7F, kCtrlC = 0x03, kCtrlD = 0x04, kCtrlU = 0x15;
constexpr uint8_t kCr = '\r', kLf = '\n', kEsc = 0x1B;

void emit(EchoFn echo, void* ctx, const char* s, size_t n) {
    if (echo && n) echo(ctx, reinterpret_cast<const uint8_t*>(s), n);
}
void emit(EchoFn echo, void* ctx, const uint8_t* s, size_t n) {
    if (echo && n) echo(ctx, s, n);
}
void emit(EchoFn echo, void* ctx, const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    emit(echo, ctx, s, n);
}
}  // namespace

void LineEditor::begin(uint32_t max_bytes, bool hidden) {
    max_ = max_bytes < 1 ? 1 : (max_bytes > kMaxLineBytes ? kMaxLineBytes : max_bytes);
    len_ = 0;
    hidden_ = hidden;
    done_ = false;
    overflow_ = false;
    status_ = LineStatus::Line;
    esc_ = Esc::None;
    esc_len_ = 0;
    hist_count_ = 0;
    hist_pos_ = 0;
    hist_off_[0] = 0;
    draft_len_ = 0;
}

bool LineEditor::add_history(std::span<const uint8_t> entry) {
    if (hist_count_ == kMaxHistory) return false;
    uint32_t at = hist_off_[hist_count_];
    if (entry.size() > kMaxHistoryBytes - at) return false;
    for (size_t i = 0; i < entry.size(); ++i) hist_[at + i] = entry[i];
    hist_off_[++hist_count_] = at + static_cast<uint32_t>(entry.size());
    hist_pos_ = hist_count_;
    return true;
}

void LineEditor::finish(LineStatus s, const char* echo_text, EchoFn echo, void* ctx) {
    done_ = true;
    status_ = s;
    if (s != LineStatus::Line) len_ = 0;
    emit(echo, ctx, echo_text);
}

void LineEditor::erase_shown(EchoFn echo, void* ctx) {
    if (!hidden_)
        for (uint32_t i = 0; i < len_; ++i) emit(echo, ctx, "\b \b", 3);
    len_ = 0;
}

// Replaces the line with the printable bytes of data, cut to max_.
void LineEditor::show(const uint8_t* data, uint32_t len, EchoFn echo, void* ctx) {
    erase_shown(echo, ctx);
    for (uint32_t i = 0; i < len && len_ < max_; ++i)
        if (printable(data[i])) line_[len_++] = data[i];
    if (!hidden_) emit(echo, ctx, line_, len_);
}

void LineEditor::history_move(int dir, EchoFn echo, void* ctx) {
    if (hidden_ || hist_count_ == 0) return;
    if (dir < 0) {
        if (hist_pos_ == 0) return;
        if (hist_pos_ == hist_count_) {
            for (uint32_t i = 0; i < len_; ++i) draft_[i] = line_[i];
            draft_len_ = len_;
        }
        --hist_pos_;
    } else {
        if (hist_pos_ == hist_count_) return;
        ++hist_pos_;
    }
    if (hist_pos_ == hist_count_) {
        show(draft_, draft_len_, echo, ctx);
    } else {
        uint32_t from = hist_off_[hist_pos_];
        show(hist_ + from, hist_off_[hist_pos_ + 1] - from, echo, ctx);
    }
}

bool LineEditor::feed(uint8_t b, EchoFn echo, void* ctx) {
    if (done_) return false;
    if (after_cr_) {
        after_cr_ = false;
        if (b == kLf) return false;
    }
    if (esc_ == Esc::Esc) {
        if (b == '[' || b == 'O') {
            esc_ = Esc::Csi;
            esc_len_ = 0;
            return false;
        }
        esc_ = Esc::None;  // a lone ESC: dropped, the byte is a key
    } else if (esc_ == Esc::Csi) {
        if (b >= 0x40 && b <= 0x7E) {
            esc_ = Esc::None;
            if (esc_len_ == 0 && !overflow_) {
                if (b == 'A') history_move(-1, echo, ctx);
                if (b == 'B') history_move(+1, echo, ctx);
            }
        } else if (++esc_len_ >= kMaxEscapeBytes) {
            esc_ = Esc::None;
        }
        return false;
    }
    key(b, echo, ctx);
    return done_;
}

void LineEditor::key(uint8_t b, EchoFn echo, void* ctx) {
    if (b == kCr || b == kLf) {
        after_cr_ = b == kCr;
        finish(overflow_ ? LineStatus::TooLong : LineStatus::Line, "\r\n", echo, ctx);
        return;
    }
    if (b == kCtrlC) {
        finish(LineStatus::Cancelled, "^C\r\n", echo, ctx);
        return;
    }
    if (b == kEsc) {
        esc_ = Esc::Esc;
        return;
    }
    if (overflow_) return;
    if (b == kCtrlD) {
        if (len_ == 0) finish(LineStatus::EndOfInput, "\r\n", echo, ctx);
        return;
    }
    if (b == kBs || b == kDel) {
        if (len_ == 0) return;
        --len_;
        if (!hidden_) emit(echo, ctx, "\b \b", 3);
        return;
    }
    if (b == kCtrlU) {
        erase_shown(echo, ctx);
        return;
    }
    if (!printable(b)) return;
    if (len_ == max_) {
        // The line is lost: erase what was shown, swallow the rest.
        erase_shown(echo, ctx);
        overflow_ = true;
        return;
    }
    line_[len_++] = b;
    if (!hidden_) emit(echo, ctx, &line_[len_ - 1], 1);
}

}  // namespace capos::term

// The line editor behind TerminalSession.readLine (schema/capos.capnp;
// docs/terminal.md): a state machine fed one input byte at a time. Each
// byte may produce echo bytes (through the EchoFn) and may end the line;
// the result is then status() and line().
//
// Keys (a line is begun with begin() and ends with one of the statuses):
//   0x20..0x7E       appended and echoed (not echoed when hidden)
//   BS 0x08, DEL 0x7F  erase the last byte (echo "\b \b")
//   Ctrl-U 0x15      erase the whole line
//   Ctrl-C 0x03      ends: Cancelled (echo "^C\r\n"), line() empty
//   Ctrl-D 0x04      at an empty line ends: EndOfInput (echo "\r\n");
//                    ignored on a non-empty line
//   CR or LF         ends: Line (echo "\r\n"). CR LF counts once: a LF
//                    right after the CR that ended a line is dropped, even
//                    when it arrives at the start of the next line.
//   ESC [ A, ESC [ B  (also ESC O A / ESC O B) walk the history: Up shows
//                    the previous (older) entry, Down the next; Down past
//                    the newest shows the line as it was before the first
//                    Up. The shown line is replaced (erased, then echoed).
//                    Ignored when hidden. Other ESC [ sequences are
//                    swallowed up to their final byte (at most
//                    kMaxEscapeBytes bytes).
//   anything else    ignored (other control bytes, and bytes >= 0x80)
//
// Too long: a printable byte that would make the line longer than
// max_bytes puts the editor in overflow: the line so far is discarded and
// every further byte is swallowed without echo (Backspace, Ctrl-U, Ctrl-D
// and arrows too) until Enter, which ends the line as TooLong (echo
// "\r\n"), or Ctrl-C, which ends it as Cancelled.
//
// Invariant: line() never holds more than max_bytes bytes and holds only
// printable bytes (0x20..0x7E): history entries are filtered to their
// printable bytes and cut to max_bytes when shown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace capos::term {

inline constexpr uint32_t kMaxLineBytes = 4096;     // readLine's maxBytes bound
inline constexpr uint32_t kMaxHistory = 64;         // entries per readLine
inline constexpr uint32_t kMaxHistoryBytes = 16384; // all entries together
inline constexpr uint32_t kMaxEscapeBytes = 16;

// The schema's LineStatus, in its ordinal order.
enum class LineStatus : uint8_t { Line = 0, Cancelled = 1, EndOfInput = 2, TooLong = 3 };

using EchoFn = void (*)(void* ctx, const uint8_t* data, size_t len);

inline constexpr bool printable(uint8_t b) { return b >= 0x20 && b <= 0x7E; }

class LineEditor {
public:
    // Starts a new line of at most max_bytes (clamped to 1..kMaxLineBytes)
    // with an empty history. Keeps only the CR-LF memory of the last line.
    void begin(uint32_t max_bytes, bool hidden);

    // Adds a history entry (oldest first), before the first feed(). False,
    // and nothing added, past kMaxHistory entries or kMaxHistoryBytes.
    bool add_history(std::span<const uint8_t> entry);

    // Feeds one byte; echo goes to `echo(ctx, ...)` (may be called several
    // times). Returns true when the line has ended (then done()). Bytes fed
    // after the end are ignored (false).
    bool feed(uint8_t byte, EchoFn echo, void* ctx);

    bool done() const { return done_; }
    LineStatus status() const { return status_; }
    // The edited line (valid until the next begin()); empty unless Line.
    std::span<const uint8_t> line() const { return {line_, done_ && status_ != LineStatus::Line ? 0 : len_}; }
    uint32_t max_bytes() const { return max_; }
    uint32_t history_size() const { return hist_count_; }

private:
    enum class Esc : uint8_t { None, Esc, Csi };

    void finish(LineStatus s, const char* echo_text, EchoFn echo, void* ctx);
    void erase_shown(EchoFn echo, void* ctx);
    void show(const uint8_t* data, uint32_t len, EchoFn echo, void* ctx);
    void history_move(int dir, EchoFn echo, void* ctx);
    void key(uint8_t b, EchoFn echo, void* ctx);

    uint32_t max_ = 1;
    uint32_t len_ = 0;
    bool hidden_ = false;
    bool done_ = false;
    bool overflow_ = false;
    bool after_cr_ = false;  // the last line ended with CR: drop one LF
    LineStatus status_ = LineStatus::Line;
    Esc esc_ = Esc::None;
    uint32_t esc_len_ = 0;
    // History: entry i is hist_[hist_off_[i] .. hist_off_[i+1]).
    // hist_pos_ == hist_count_ means the line being typed (the draft).
    uint32_t hist_count_ = 0;
    uint32_t hist_pos_ = 0;
    uint32_t hist_off_[kMaxHistory + 1] = {};
    uint32_t draft_len_ = 0;
    uint8_t line_[kMaxLineBytes] = {};
    uint8_t draft_[kMaxLineBytes] = {};
    uint8_t hist_[kMaxHistoryBytes] = {};
};

}  // namespace capos::term

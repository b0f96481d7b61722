// The terminal's line editor (lib/term/line_editor.hpp).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "lib/term/byte_queue.hpp"
#include "lib/term/line_editor.hpp"

using capos::term::LineEditor;
using capos::term::LineStatus;

namespace {

void collect(void* ctx, const uint8_t* data, size_t len) {
    static_cast<std::string*>(ctx)->append(reinterpret_cast<const char*>(data), len);
}

struct Typist {
    std::unique_ptr<LineEditor> ed = std::make_unique<LineEditor>();
    std::string echo;

    void begin(uint32_t max, bool hidden = false, std::vector<std::string> history = {}) {
        ed->begin(max, hidden);
        for (auto& h : history)
            EXPECT_TRUE(ed->add_history({reinterpret_cast<const uint8_t*>(h.data()), h.size()}));
        echo.clear();
    }
    // Feeds bytes until the line ends; returns how many were consumed.
    size_t feed(const std::string& in) {
        for (size_t i = 0; i < in.size(); ++i)
            if (ed->feed(static_cast<uint8_t>(in[i]), collect, &echo)) return i + 1;
        return in.size();
    }
    std::string line() const {
        auto l = ed->line();
        return {reinterpret_cast<const char*>(l.data()), l.size()};
    }
};

}  // namespace

TEST(LineEditor, PlainLineIsEchoedAndEndsOnCr) {
    Typist r;
    r.begin(80);
    EXPECT_EQ(r.feed("hello\rX"), 6u);
    ASSERT_TRUE(r.ed->done());
    EXPECT_EQ(r.ed->status(), LineStatus::Line);
    EXPECT_EQ(r.line(), "hello");
    EXPECT_EQ(r.echo, "hello\r\n");
}

TEST(LineEditor, LfEndsTooAndCrLfCountsOnce) {
    Typist r;
    r.begin(80);
    r.feed("one\n");
    EXPECT_EQ(r.line(), "one");
    r.begin(80);
    r.feed("two\r");
    EXPECT_EQ(r.line(), "two");
    // The LF of that CR LF arrives at the next line: dropped once.
    r.begin(80);
    EXPECT_FALSE(r.ed->feed('\n', collect, &r.echo));
    EXPECT_FALSE(r.ed->done());
    r.feed("three\r");
    EXPECT_EQ(r.line(), "three");
    // Only one LF is dropped: an empty line after it.
    r.begin(80);
    r.feed("\n");
    r.begin(80);
    EXPECT_EQ(r.feed("\n"), 1u);
    EXPECT_TRUE(r.ed->done());
    EXPECT_EQ(r.line(), "");
}

TEST(LineEditor, BackspaceAndDelEraseOne) {
    Typist r;
    r.begin(80);
    r.feed("helx\bo\x7f\x7fp!\r");
    EXPECT_EQ(r.line(), "hep!");
    EXPECT_EQ(r.echo, "helx\b \bo\b \b\b \bp!\r\n");
    // Backspace at an empty line echoes nothing.
    r.begin(80);
    r.feed("\b\x7f" "a\r");
    EXPECT_EQ(r.line(), "a");
    EXPECT_EQ(r.echo, "a\r\n");
}

TEST(LineEditor, CtrlUErasesTheLine) {
    Typist r;
    r.begin(80);
    r.feed("abc\x15xy\r");
    EXPECT_EQ(r.line(), "xy");
    EXPECT_EQ(r.echo, "abc\b \b\b \b\b \bxy\r\n");
}

TEST(LineEditor, CtrlCCancels) {
    Typist r;
    r.begin(80);
    EXPECT_EQ(r.feed("abc\x03zzz"), 4u);
    EXPECT_EQ(r.ed->status(), LineStatus::Cancelled);
    EXPECT_EQ(r.line(), "");
    EXPECT_EQ(r.echo, "abc^C\r\n");
}

TEST(LineEditor, CtrlDEndsInputOnlyAtAnEmptyLine) {
    Typist r;
    r.begin(80);
    r.feed("ab\x04" "c\r");
    EXPECT_EQ(r.ed->status(), LineStatus::Line);
    EXPECT_EQ(r.line(), "abc");
    r.begin(80);
    EXPECT_EQ(r.feed("\x04" "abc"), 1u);
    EXPECT_EQ(r.ed->status(), LineStatus::EndOfInput);
    EXPECT_EQ(r.line(), "");
    // Emptied by backspace counts as empty.
    r.begin(80);
    EXPECT_EQ(r.feed("a\b\x04"), 3u);
    EXPECT_EQ(r.ed->status(), LineStatus::EndOfInput);
}

TEST(LineEditor, HiddenEchoesOnlyTheNewline) {
    Typist r;
    r.begin(80, true, {"older"});
    r.feed("s3cret\bT\x15hunter2\x1b[A\r");
    EXPECT_EQ(r.line(), "hunter2");  // the arrow did not recall history
    EXPECT_EQ(r.echo, "\r\n");
}

TEST(LineEditor, OtherControlBytesAreIgnored) {
    Typist r;
    r.begin(80);
    r.feed(std::string("a\tb\x01\x02\x07\x0b\x0c\x1a\x80\xff" "c\r", 13));
    EXPECT_EQ(r.line(), "abc");
    EXPECT_EQ(r.echo, "abc\r\n");
}

TEST(LineEditor, TooLongSwallowsTheRestUntilEnter) {
    Typist r;
    r.begin(4);
    EXPECT_EQ(r.feed("abcd"), 4u);
    EXPECT_FALSE(r.ed->done());
    // The fifth byte overflows: what was shown is erased.
    EXPECT_EQ(r.feed("efgh\b\x15\x04\x1b[Ai\r"), 12u);
    EXPECT_EQ(r.ed->status(), LineStatus::TooLong);
    EXPECT_EQ(r.line(), "");
    EXPECT_EQ(r.echo, "abcd\b \b\b \b\b \b\b \b\r\n");
    // Exactly max_bytes is fine.
    r.begin(4);
    r.feed("abcd\r");
    EXPECT_EQ(r.ed->status(), LineStatus::Line);
    EXPECT_EQ(r.line(), "abcd");
    // Ctrl-C still cancels an overflowing line.
    r.begin(2);
    r.feed("abc\x03");
    EXPECT_EQ(r.ed->status(), LineStatus::Cancelled);
}

TEST(LineEditor, UpAndDownWalkTheHistory) {
    Typist r;
    r.begin(80, false, {"first", "second"});
    r.feed("dr");
    r.feed("\x1b[A");
    EXPECT_EQ(r.echo, "dr\b \b\b \bsecond");
    r.feed("\x1b[A\x1b[A");  // stays at the oldest
    r.feed("\x1b[B");
    r.feed("\x1b[B");  // back to the draft
    r.feed("\x1b[B");  // nothing newer
    r.feed("!\r");
    EXPECT_EQ(r.line(), "dr!");
    r.begin(80, false, {"first", "second"});
    r.echo.clear();
    r.feed("\x1b[A\x1b[A" "X\r");
    EXPECT_EQ(r.line(), "firstX");
    EXPECT_EQ(r.echo, "second\b \b\b \b\b \b\b \b\b \b\b \bfirstX\r\n");
    // ESC O A (application cursor keys) works too.
    r.begin(80, false, {"app"});
    r.feed("\x1bOA\r");
    EXPECT_EQ(r.line(), "app");
}

TEST(LineEditor, HistoryEntriesAreFilteredAndCut) {
    Typist r;
    r.begin(3, false, {std::string("a\x01\x1b" "bcdef", 8)});
    r.feed("\x1b[A\r");
    EXPECT_EQ(r.line(), "abc");
}

TEST(LineEditor, OtherEscapeSequencesAreSwallowed) {
    Typist r;
    r.begin(80, false, {"h"});
    r.feed("a\x1b[1;5C\x1b[3~b\x1bxc\r");
    EXPECT_EQ(r.line(), "abxc");  // a lone ESC drops only itself
}

TEST(LineEditor, HistoryIsBounded) {
    auto ed = std::make_unique<LineEditor>();
    ed->begin(10, false);
    uint8_t one = 'x';
    for (uint32_t i = 0; i < capos::term::kMaxHistory; ++i) EXPECT_TRUE(ed->add_history({&one, 1}));
    EXPECT_FALSE(ed->add_history({&one, 1}));
    EXPECT_EQ(ed->history_size(), capos::term::kMaxHistory);
    ed->begin(10, false);
    std::vector<uint8_t> big(capos::term::kMaxHistoryBytes);
    EXPECT_TRUE(ed->add_history(big));
    EXPECT_FALSE(ed->add_history({&one, 1}));
    EXPECT_TRUE(ed->add_history({}));
}

TEST(LineEditor, MaxBytesIsClamped) {
    auto ed = std::make_unique<LineEditor>();
    ed->begin(0, false);
    EXPECT_EQ(ed->max_bytes(), 1u);
    ed->begin(1u << 30, false);
    EXPECT_EQ(ed->max_bytes(), capos::term::kMaxLineBytes);
}

// Any byte sequence, any max and history: the line never exceeds max and
// holds only printable bytes; a hidden line echoes nothing but line ends.
RC_GTEST_PROP(LineEditorProperty, AnyBytesStayWithinMaxAndPrintable,
              (const std::vector<uint8_t>& input, const std::vector<std::string>& history, bool hidden)) {
    uint32_t max = *rc::gen::inRange<uint32_t>(1, 40);
    auto ed = std::make_unique<LineEditor>();
    std::string echo;
    ed->begin(max, hidden);
    for (auto& h : history)
        (void)ed->add_history({reinterpret_cast<const uint8_t*>(h.data()), h.size()});
    std::vector<uint8_t> bytes = input;
    // Bias toward the interesting keys.
    auto extra = *rc::gen::container<std::vector<uint8_t>>(
        rc::gen::element<uint8_t>(0x08, 0x7f, 0x15, 0x03, 0x04, '\r', '\n', 0x1b, '[', 'A', 'B', 'O', 'q'));
    bytes.insert(bytes.end(), extra.begin(), extra.end());
    uint32_t lines = 0;
    for (uint8_t b : bytes) {
        if (ed->feed(b, collect, &echo)) {
            auto l = ed->line();
            RC_ASSERT(l.size() <= max);
            for (uint8_t c : l) RC_ASSERT(capos::term::printable(c));
            if (ed->status() != LineStatus::Line) RC_ASSERT(l.empty());
            ++lines;
            ed->begin(max, hidden);
        }
        RC_ASSERT(ed->line().size() <= max);
        for (uint8_t c : ed->line()) RC_ASSERT(capos::term::printable(c));
    }
    if (hidden) {
        for (char c : echo) RC_ASSERT(c == '\r' || c == '\n' || c == '^' || c == 'C');
    }
}

// The receive buffer: FIFO order, bytes past capacity dropped and counted.
TEST(ByteQueue, DropsAndCountsWhatDoesNotFit) {
    capos::term::ByteQueue<4> q;
    for (uint8_t b = 1; b <= 6; ++b) q.push(b);
    EXPECT_EQ(q.size(), 4u);
    EXPECT_EQ(q.dropped(), 2u);
    uint8_t b = 0;
    ASSERT_TRUE(q.pop(&b));
    EXPECT_EQ(b, 1);
    EXPECT_TRUE(q.push(7));
    std::vector<uint8_t> out;
    while (q.pop(&b)) out.push_back(b);
    EXPECT_EQ(out, (std::vector<uint8_t>{2, 3, 4, 7}));
    EXPECT_FALSE(q.pop(&b));
}

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdio>
#include <string>
#include <vector>

#include "lib/base/bitmap.hpp"
#include "lib/base/checked.hpp"
#include "lib/base/error.hpp"
#include "lib/base/format.hpp"

using namespace capos;

namespace {

std::string fmt(StringView f, auto... args) {
    char buf[256];
    size_t n = format_to(buf, sizeof(buf), f, args...);
    return std::string(buf, n);
}

Result<int> half(int x) {
    if (x % 2) return Error::InvalidArgument;
    return x / 2;
}

Result<int> quarter(int x) {
    int h = TRY(half(x));
    return TRY(half(h));
}

}  // namespace

TEST(Result, TryPropagatesErrors) {
    EXPECT_EQ(quarter(8).value(), 2);
    auto r = quarter(6);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::InvalidArgument);
}

TEST(Format, Placeholders) {
    EXPECT_EQ(fmt("a{}b", 42), "a42b");
    EXPECT_EQ(fmt("{} {}", -7, 7u), "-7 7");
    EXPECT_EQ(fmt("{:x}", 255u), "ff");
    EXPECT_EQ(fmt("{:#x}", 255u), "0xff");
    EXPECT_EQ(fmt("{:#018x}", 0x1234ull), "0x0000000000001234");
    EXPECT_EQ(fmt("{:>5}|{:<5}|", "ab", "cd"), "   ab|cd   |");
    EXPECT_EQ(fmt("{:08}", 42), "00000042");
    EXPECT_EQ(fmt("{{}} {}", true), "{} true");
    EXPECT_EQ(fmt("{} {}", 1), "1 {?}");
    EXPECT_EQ(fmt("{}", Error::OutOfMemory), "out of memory");
    EXPECT_EQ(fmt("{}", INT64_MIN), "-9223372036854775808");
    EXPECT_EQ(fmt("{:b}", 5u), "101");
    EXPECT_EQ(fmt("unterminated {", 1), "unterminated {");
}

TEST(Format, TruncatesAndTerminates) {
    char buf[8];
    BufferSink sink(buf, sizeof(buf));
    format(sink, "{}", "0123456789");
    EXPECT_TRUE(sink.truncated());
    EXPECT_EQ(std::string(buf), "0123456");
}

TEST(Format, MatchesPrintfForIntegers) {
    EXPECT_TRUE(rc::check([](int64_t v, uint64_t u) {
        char ref[64];
        std::snprintf(ref, sizeof(ref), "%lld %llx %llu", static_cast<long long>(v),
                      static_cast<unsigned long long>(u), static_cast<unsigned long long>(u));
        RC_ASSERT(fmt("{} {:x} {}", v, u, u) == std::string(ref));
    }));
}

TEST(Checked, RangeWithin) {
    EXPECT_TRUE(range_within<uint64_t>(0, 10, 10));
    EXPECT_FALSE(range_within<uint64_t>(1, 10, 10));
    EXPECT_FALSE(range_within<uint64_t>(UINT64_MAX, 2, UINT64_MAX));
    uint64_t out;
    EXPECT_FALSE(checked_align_up<uint64_t>(UINT64_MAX - 1, 4096, &out));
    EXPECT_TRUE(checked_align_up<uint64_t>(4097, 4096, &out));
    EXPECT_EQ(out, 8192u);
}

TEST(Bitmap, FindClearMatchesLinearScan) {
    EXPECT_TRUE(rc::check([](std::vector<bool> bits, size_t from) {
        std::vector<uint64_t> words(Bitmap::words_for(bits.size()) + 1, 0);
        Bitmap bm(words.data(), bits.size());
        for (size_t i = 0; i < bits.size(); ++i)
            if (bits[i]) bm.set(i);
        size_t start = bits.empty() ? 0 : from % (bits.size() + 1);
        size_t expect = bits.size();
        for (size_t i = start; i < bits.size(); ++i)
            if (!bits[i]) {
                expect = i;
                break;
            }
        RC_ASSERT(bm.find_clear(start) == expect);
    }));
}

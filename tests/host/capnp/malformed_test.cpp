// Malformed and hostile messages: Cap'n Proto's published advisories as named
// regressions, limits at N-1 / N / N+1, cycles and overlaps, and exhaustive
// 1- and 2-bit flips over the pointer words of valid messages. Every case
// must end in a value or a typed Capnp* error, quickly, with no sanitizer
// report. This file is also built without sanitizers at -O2
// (host.capnp_opt) so that no bounds check depends on the optimiser.

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "lib/capnp/capnp.hpp"
#include "tests/fuzz/capnp/walk.hpp"
#include "tests/host/capnp/test_messages.hpp"

using namespace capos;
using namespace capos::capnp;
using capos::capnp::testing::Framed;
using capos::capnp::testing::frame;
using capos::capnp::testing::frame1;
using capos::capnp::testing::is_capnp_error;
using capos::capnp::testing::walk_message;
namespace w = capos::capnp::wire;

namespace {

// Asserts that `expr` (a Result) failed with `err`.
#define EXPECT_CAPNP_ERROR(expr, err)                                         \
    do {                                                                      \
        auto _r = (expr);                                                     \
        ASSERT_FALSE(_r.ok()) << "expected " << error_name(err);              \
        EXPECT_EQ(_r.error(), err) << error_name(_r.error()) << " instead of " \
                                   << error_name(err);                        \
    } while (0)

// Runs `f` and fails if it took longer than `ms`.
template <typename F>
void within_ms(int ms, F f) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    auto dt = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    EXPECT_LT(dt.count(), ms);
}

StructReader root_of(MessageReader& m) {
    auto r = m.root();
    EXPECT_TRUE(r.ok()) << error_name(r.error());
    return r.ok() ? r.value() : StructReader();
}

}  // namespace

// ---- segment table ----------------------------------------------------------

TEST(CapnpSegmentTable, SegmentCountAllOnes) {
    // 0xFFFFFFFF means 2^32 segments: rejected before the table is read.
    std::vector<Word> words = {0x00000000ffffffffull};
    MessageReader m({reinterpret_cast<const uint8_t*>(words.data()), 8});
    EXPECT_CAPNP_ERROR(m.status(), Error::CapnpTooManySegments);
    EXPECT_CAPNP_ERROR(m.root(), Error::CapnpTooManySegments);
    ReaderOptions all;
    all.max_segments = UINT32_MAX;
    MessageReader m2({reinterpret_cast<const uint8_t*>(words.data()), 8}, all);
    EXPECT_CAPNP_ERROR(m2.status(), Error::CapnpTooManySegments);
}

TEST(CapnpSegmentTable, Truncated) {
    uint8_t empty[1] = {};
    EXPECT_CAPNP_ERROR(MessageReader(std::span<const uint8_t>(empty, 0)).status(), Error::CapnpBadSegmentTable);
    EXPECT_CAPNP_ERROR(MessageReader(std::span<const uint8_t>(empty, 1)).status(), Error::CapnpBadSegmentTable);
    // Two segments claimed, table needs 16 bytes, only 8 present.
    std::vector<Word> words = {0x0000000100000001ull};
    EXPECT_CAPNP_ERROR(MessageReader({reinterpret_cast<const uint8_t*>(words.data()), 8}).status(),
                       Error::CapnpBadSegmentTable);
    // Segment claims 2 words, 1 present.
    Framed f = frame1({w::make_struct(0, 1, 0), 7});
    EXPECT_CAPNP_ERROR(MessageReader(f.bytes().first(f.bytes().size() - 8)).status(),
                       Error::CapnpBadSegmentTable);
    EXPECT_TRUE(MessageReader(f.bytes()).status().ok());
}

TEST(CapnpSegmentTable, EmptyFirstSegmentHasNoRoot) {
    Framed f = frame1({});
    MessageReader m(f.bytes());
    EXPECT_TRUE(m.status().ok());
    EXPECT_CAPNP_ERROR(m.root(), Error::CapnpOutOfBounds);
}

TEST(CapnpSegmentTable, TrailingBytesIgnored) {
    Framed f = frame1({w::make_struct(0, 1, 0), 99});
    f.words.push_back(0xdeadbeef);
    MessageReader m(f.bytes());
    EXPECT_EQ(m.message_bytes(), f.bytes().size() - 8);
    EXPECT_EQ(root_of(m).get_data<uint64_t>(0), 99u);
}

// ---- advisories ---------------------------------------------------------------

// CVE-2015-2310: integer overflow in the list bounds check let a list claim
// more than 2^32 bytes.
TEST(CapnpAdvisory, CVE_2015_2310_ListSizeOverflow) {
    {
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::EightBytes, kMaxListElements), 0});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_list(0, ElementSize::EightBytes), Error::CapnpOutOfBounds);
    }
    {
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::Bit, kMaxListElements), 0});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_list(0, ElementSize::Bit), Error::CapnpOutOfBounds);
    }
    {
        // 2^29 elements x 8 words = 2^32 words: wraps to 0 in 32-bit math.
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::InlineComposite, 0),
                           w::make_tag(1u << 29, 8, 0)});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_list(0, ElementSize::InlineComposite), Error::CapnpOutOfBounds);
    }
    {
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::InlineComposite, 2),
                           w::make_tag(kMaxCompositeElements, 0xffff, 0xffff), 0, 0});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_list(0, ElementSize::InlineComposite), Error::CapnpOutOfBounds);
    }
    {
        // Word count beyond the segment.
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::InlineComposite, kMaxListElements),
                           w::make_tag(1, 1, 0), 0});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_list(0, ElementSize::InlineComposite), Error::CapnpOutOfBounds);
    }
}

// CVE-2015-2311: a zero-sized Text (no room for its NUL) underflowed to a
// 2^32-1 byte string; text without a NUL escaped the terminator check. The
// same family: zero-sized struct elements claimed by the billion.
TEST(CapnpAdvisory, CVE_2015_2311_ZeroSizedTextAndStructs) {
    {
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::Byte, 0)});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_text(0), Error::CapnpBadPointer);
        auto blob = root_of(m).get_data_blob(0);
        ASSERT_TRUE(blob.ok());
        EXPECT_EQ(blob.value().size(), 0u);
    }
    {
        std::vector<Word> seg = {w::make_struct(0, 0, 1), w::make_list(0, ElementSize::Byte, 3), 0};
        std::memcpy(&seg[2], "abc", 3);
        Framed f = frame1(seg);
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_text(0), Error::CapnpBadPointer);
    }
    {
        // Text must be a Byte list, not anything that could be read as one.
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::TwoBytes, 2), 0});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_text(0), Error::CapnpWrongType);
    }
    within_ms(1000, [] {
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::InlineComposite, 0),
                           w::make_tag(kMaxCompositeElements, 0, 0)});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_list(0, ElementSize::InlineComposite), Error::CapnpTraversalLimit);
    });
}

// CVE-2015-2312: lists of zero-sized elements cost nothing on the wire;
// each element is charged one word against the traversal limit.
TEST(CapnpAdvisory, CVE_2015_2312_ZeroSizedElementAmplification) {
    within_ms(1000, [] {
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::Void, kMaxListElements)});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_list(0, ElementSize::Void), Error::CapnpTraversalLimit);
    });
    within_ms(2000, [] {
        // 64 pointers to one list of 2^20 voids: the 8th read exceeds 8 Mi words.
        std::vector<Word> seg = {w::make_struct(0, 0, 64)};
        for (int i = 0; i < 64; ++i)
            seg.push_back(w::make_list(63 - i, ElementSize::Void, 1u << 20));
        Framed f = frame1(seg);
        MessageReader m(f.bytes());
        StructReader root = root_of(m);
        int ok = 0;
        Error last = Error::InvalidArgument;
        for (uint16_t i = 0; i < 64; ++i) {
            auto l = root.get_list(i, ElementSize::Void);
            if (l.ok()) {
                ++ok;
                EXPECT_EQ(l.value().size(), 1u << 20);
            } else {
                last = l.error();
            }
        }
        EXPECT_EQ(ok, 7);  // 1 + 7 * 2^20 <= 8 Mi < 1 + 8 * 2^20
        EXPECT_EQ(last, Error::CapnpTraversalLimit);
    });
}

// CVE-2015-2313 (the "additional CPU amplification" in totalSize-style walks)
// and the far-pointer / list-tag validation it sits next to: malformed far
// pointers, landing pads and inline-composite tags are typed errors, and a
// generic walk of a message full of empty structs is bounded.
TEST(CapnpAdvisory, CVE_2015_2313_FarPointersAndListTags) {
    // Far pointer into a segment that does not exist.
    {
        Framed f = frame({{w::make_far(false, 0, 5)}, {w::make_struct(0, 0, 0)}});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(m.root(), Error::CapnpOutOfBounds);
    }
    // Landing pad beyond the target segment; double-far pad needs 2 words.
    {
        Framed f = frame({{w::make_far(false, 1, 1)}, {w::make_struct(0, 0, 0)}});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(m.root(), Error::CapnpOutOfBounds);
        Framed g = frame({{w::make_far(true, 0, 1)}, {w::make_far(false, 0, 0)}});
        MessageReader m2(g.bytes());
        EXPECT_CAPNP_ERROR(m2.root(), Error::CapnpOutOfBounds);
    }
    // A single-far landing pad that is itself far.
    {
        Framed f = frame({{w::make_far(false, 0, 1)}, {w::make_far(false, 0, 1)}});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(m.root(), Error::CapnpBadPointer);
    }
    // Double-far: first pad word not a far pointer / itself double / tag not struct or list.
    {
        Framed f = frame({{w::make_far(true, 0, 1)}, {w::make_struct(0, 0, 0), w::make_struct(0, 0, 0)}, {}});
        EXPECT_CAPNP_ERROR(MessageReader(f.bytes()).root(), Error::CapnpBadPointer);
        Framed g = frame({{w::make_far(true, 0, 1)}, {w::make_far(true, 0, 2), w::make_struct(0, 0, 0)}, {0}});
        EXPECT_CAPNP_ERROR(MessageReader(g.bytes()).root(), Error::CapnpBadPointer);
        Framed h = frame({{w::make_far(true, 0, 1)}, {w::make_far(false, 0, 2), w::make_capability(0)}, {0}});
        EXPECT_CAPNP_ERROR(MessageReader(h.bytes()).root(), Error::CapnpBadPointer);
        Framed i = frame({{w::make_far(true, 0, 1)}, {w::make_far(false, 0, 2), w::make_far(false, 0, 2)}, {0}});
        EXPECT_CAPNP_ERROR(MessageReader(i.bytes()).root(), Error::CapnpBadPointer);
    }
    // Double-far whose object lies beyond its segment.
    {
        Framed f = frame({{w::make_far(true, 0, 1)}, {w::make_far(false, 1, 2), w::make_struct(0, 1, 0)}, {7}});
        EXPECT_CAPNP_ERROR(MessageReader(f.bytes()).root(), Error::CapnpOutOfBounds);
        Framed g = frame({{w::make_far(true, 0, 1)}, {w::make_far(false, 0, 2), w::make_struct(0, 1, 0)}, {7}});
        MessageReader m(g.bytes());
        EXPECT_EQ(root_of(m).get_data<uint64_t>(0), 7u);
    }
    // Inline-composite tag that is not struct-shaped.
    {
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::InlineComposite, 1),
                           w::make_list(0, ElementSize::Byte, 1), 0});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_list(0, ElementSize::InlineComposite), Error::CapnpBadPointer);
    }
    // Far pointers are rejected in trusted flat data (defaults), not followed.
    {
        std::vector<Word> flat = {w::make_far(false, 0, 0)};
        EXPECT_CAPNP_ERROR(read_flat_struct(flat), Error::CapnpBadPointer);
    }
    // A generic walk of a million empty structs is charged per element.
    within_ms(2000, [] {
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::InlineComposite, 0),
                           w::make_tag(1u << 20, 0, 0)});
        ReaderOptions small;
        small.traversal_limit_words = 1u << 19;
        MessageReader m(f.bytes(), small);
        EXPECT_CAPNP_ERROR(walk_message(m), Error::CapnpTraversalLimit);
    });
}

// CVE-2017-7892: a far pointer offset that wraps the address space escaped
// a bounds check the compiler folded away. Offsets here are checked as
// integers before any address is formed; host.capnp_opt runs this at -O2.
TEST(CapnpAdvisory, CVE_2017_7892_WrappingOffsets) {
    {
        Framed f = frame({{w::make_far(false, kMaxFarOffset, 0), 0}});
        EXPECT_CAPNP_ERROR(MessageReader(f.bytes()).root(), Error::CapnpOutOfBounds);
        Framed g = frame({{w::make_far(true, kMaxFarOffset, 0), 0}});
        EXPECT_CAPNP_ERROR(MessageReader(g.bytes()).root(), Error::CapnpOutOfBounds);
        Framed h = frame({{w::make_far(false, 0, 0xffffffffu), 0}});
        EXPECT_CAPNP_ERROR(MessageReader(h.bytes()).root(), Error::CapnpOutOfBounds);
    }
    {
        // Double-far content pointer with the largest offset.
        Framed f = frame({{w::make_far(true, 0, 1)}, {w::make_far(false, kMaxFarOffset, 0), w::make_struct(0, 1, 0)}});
        EXPECT_CAPNP_ERROR(MessageReader(f.bytes()).root(), Error::CapnpOutOfBounds);
    }
    for (int32_t off : {kMinPointerOffset, kMinPointerOffset + 1, -3, kMaxPointerOffset, kMaxPointerOffset - 1}) {
        Framed f = frame1({w::make_struct(off, 1, 0), 0});
        SCOPED_TRACE(off);
        EXPECT_CAPNP_ERROR(MessageReader(f.bytes()).root(), Error::CapnpOutOfBounds);
        Framed g = frame1({w::make_struct(0, 0, 1), w::make_list(off, ElementSize::Byte, 1), 0});
        MessageReader m(g.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_list(0, ElementSize::Byte), Error::CapnpOutOfBounds);
    }
    // -1 from word 0 is the struct pointer itself: legal, and a zero-sized
    // struct there reads as empty.
    Framed ok = frame1({w::make_struct(-1, 0, 0)});
    MessageReader m(ok.bytes());
    EXPECT_TRUE(m.root().ok());
}

// CVE-2022-46149: a list of structs read as a list of pointers was handled
// inconsistently (the pointer was taken from the wrong place and escaped the
// bounds check when copied). Here the element's first pointer is used, the
// list's real geometry is kept, and copying preserves it.
TEST(CapnpAdvisory, CVE_2022_46149_StructListAsPointerList) {
    // Two elements of (1 data word, 1 pointer): [data, ptr] [data, ptr], then texts.
    std::vector<Word> seg = {
        w::make_struct(0, 0, 1),
        w::make_list(0, ElementSize::InlineComposite, 4),
        w::make_tag(2, 1, 1),
        0x1111, w::make_list(3, ElementSize::Byte, 3),  // word 4 -> word 8
        0x2222, w::make_list(2, ElementSize::Byte, 3),  // word 6 -> word 9
        0, 0, 0,
    };
    std::memcpy(&seg[8], "ab\0", 3);
    std::memcpy(&seg[9], "cd\0", 3);
    Framed f = frame1(seg);
    {
        MessageReader m(f.bytes());
        auto l = root_of(m).get_list(0, ElementSize::Pointer);
        ASSERT_TRUE(l.ok()) << error_name(l.error());
        ASSERT_EQ(l.value().size(), 2u);
        auto t0 = l.value().get_text(0);
        auto t1 = l.value().get_text(1);
        ASSERT_TRUE(t0.ok() && t1.ok());
        EXPECT_TRUE(t0.value() == StringView("ab"));
        EXPECT_TRUE(t1.value() == StringView("cd"));
        // Read as a primitive list: the first data field of each element.
        auto p = root_of(m).get_list(0, ElementSize::EightBytes);
        ASSERT_TRUE(p.ok());
        EXPECT_EQ(p.value().get<uint64_t>(1), 0x2222u);
    }
    {
        // Deep copy of the list keeps every element's full geometry.
        MessageReader m(f.bytes());
        std::vector<Word> buf(64);
        MessageBuilder b(buf);
        auto root = b.init_root(0, 1);
        ASSERT_TRUE(root.ok());
        ASSERT_TRUE(root.value().pointer(0).set_copy(root_of(m).pointer(0)).ok());
        MessageReader copy(b.bytes());
        auto l = root_of(copy).get_list(0, ElementSize::InlineComposite);
        ASSERT_TRUE(l.ok());
        EXPECT_EQ(l.value().element_size(), ElementSize::InlineComposite);
        EXPECT_EQ(l.value().data_bits(), 64u);
        EXPECT_EQ(l.value().pointer_count(), 1u);
        EXPECT_EQ(l.value().get_struct_element(1).get_data<uint64_t>(0), 0x2222u);
        EXPECT_TRUE(l.value().get_struct_element(1).get_text(0).value() == StringView("cd"));
    }
    {
        // Data-only struct list read as pointers, pointer-only as data: wrong type.
        Framed g = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::InlineComposite, 2),
                           w::make_tag(2, 1, 0), 5, 6});
        MessageReader m(g.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_list(0, ElementSize::Pointer), Error::CapnpWrongType);
        Framed h = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::InlineComposite, 2),
                           w::make_tag(2, 0, 1), 0, 0});
        MessageReader m2(h.bytes());
        EXPECT_CAPNP_ERROR(root_of(m2).get_list(0, ElementSize::FourBytes), Error::CapnpWrongType);
        EXPECT_CAPNP_ERROR(root_of(m2).get_list(0, ElementSize::Bit), Error::CapnpWrongType);
    }
    {
        // A primitive list is never a pointer list, and vice versa.
        Framed g = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::EightBytes, 1), 5});
        MessageReader m(g.bytes());
        EXPECT_CAPNP_ERROR(root_of(m).get_list(0, ElementSize::Pointer), Error::CapnpWrongType);
        Framed h = frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::Pointer, 1), 0});
        MessageReader m2(h.bytes());
        EXPECT_CAPNP_ERROR(root_of(m2).get_list(0, ElementSize::EightBytes), Error::CapnpWrongType);
    }
}

// ---- cycles and overlaps ----------------------------------------------------

TEST(CapnpHostile, CyclicStructPointer) {
    within_ms(1000, [] {
        // The root struct's only pointer points at the root struct.
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_struct(-1, 0, 1)});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(walk_message(m), Error::CapnpNestingLimit);
        StructReader s = root_of(m);
        int depth = 1;
        while (true) {
            auto next = s.get_struct(0);
            if (!next.ok()) {
                EXPECT_EQ(next.error(), Error::CapnpNestingLimit);
                break;
            }
            s = next.value();
            ++depth;
        }
        EXPECT_EQ(depth, kDefaultNestingLimit);
    });
}

TEST(CapnpHostile, CyclicListPointer) {
    within_ms(1000, [] {
        // A pointer list whose only element is the pointer to itself.
        Framed f = frame1({w::make_struct(0, 0, 1), w::make_list(-1, ElementSize::Pointer, 1)});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(walk_message(m), Error::CapnpNestingLimit);
    });
    within_ms(1000, [] {
        // A far pointer whose landing pad points back at the far pointer.
        Framed f = frame({{w::make_far(false, 0, 1)}, {w::make_far(false, 0, 0)}});
        MessageReader m(f.bytes());
        EXPECT_CAPNP_ERROR(walk_message(m), Error::CapnpBadPointer);
    });
}

TEST(CapnpHostile, OverlappingPointersAreChargedEachTime) {
    within_ms(3000, [] {
        // A DAG that doubles at every level: 2^40 paths in 42 words.
        std::vector<Word> seg = {w::make_struct(0, 0, 2)};
        for (int level = 0; level < 40; ++level) {
            // Struct at word k = 1 + 2*level with pointers at k and k+1, both to k+2.
            seg.push_back(w::make_struct(1, 0, 2));
            seg.push_back(w::make_struct(0, 0, 2));
        }
        seg.push_back(0);
        seg.push_back(0);
        Framed f = frame1(seg);
        ReaderOptions opts;
        opts.traversal_limit_words = 1u << 16;
        MessageReader m(f.bytes(), opts);
        EXPECT_CAPNP_ERROR(walk_message(m), Error::CapnpTraversalLimit);
        EXPECT_EQ(m.traversal_words_left(), 0u);
    });
    // Two pointers to one text: legal to read, each read charged.
    std::vector<Word> seg = {w::make_struct(0, 1, 2), 0, w::make_list(1, ElementSize::Byte, 3),
                             w::make_list(0, ElementSize::Byte, 3), 0};
    std::memcpy(&seg[4], "xy\0", 3);
    Framed f = frame1(seg);
    MessageReader m(f.bytes());
    StructReader r = root_of(m);
    EXPECT_TRUE(r.get_text(0).value() == StringView("xy"));
    EXPECT_TRUE(r.get_text(1).value() == StringView("xy"));
    EXPECT_EQ(m.traversal_words_left(), kDefaultTraversalLimitWords - 3 - 1 - 1);
}

// ---- limits at N-1, N, N+1 --------------------------------------------------

namespace {

// Root struct (0 data, 1 pointer) plus a void list of `count`: costs 1 + count.
Framed void_list_message(uint32_t count) {
    return frame1({w::make_struct(0, 0, 1), w::make_list(0, ElementSize::Void, count)});
}

Result<void> read_void_list(const Framed& f, const ReaderOptions& opts) {
    MessageReader m(f.bytes(), opts);
    StructReader r = TRY(m.root());
    TRY(r.get_list(0, ElementSize::Void));
    return {};
}

// A chain of `depth` structs (0 data, 1 pointer), the root being depth 1.
Framed chain_message(int depth) {
    std::vector<Word> seg(static_cast<size_t>(depth) + 1, w::make_struct(0, 0, 1));
    seg.back() = 0;
    return frame1(seg);
}

Result<int> read_chain(const Framed& f, const ReaderOptions& opts) {
    MessageReader m(f.bytes(), opts);
    StructReader s = TRY(m.root());
    int depth = 1;
    while (s.has_pointer(0)) {
        s = TRY(s.get_struct(0));
        ++depth;
    }
    return depth;
}

// `count` segments; segment 0 holds a far pointer to a struct in the last one.
Framed segments_message(uint32_t count) {
    std::vector<std::vector<Word>> segs(count);
    segs[0] = {w::make_far(false, 0, count - 1)};
    segs[count - 1] = {w::make_struct(0, 1, 0), 0xabcdef};
    return frame(segs);
}

}  // namespace

TEST(CapnpLimits, TraversalDefault) {
    constexpr uint64_t n = kDefaultTraversalLimitWords;
    ReaderOptions opts;
    EXPECT_TRUE(read_void_list(void_list_message(n - 2), opts).ok());  // N-1
    EXPECT_TRUE(read_void_list(void_list_message(n - 1), opts).ok());  // N
    EXPECT_CAPNP_ERROR(read_void_list(void_list_message(n), opts), Error::CapnpTraversalLimit);  // N+1
}

TEST(CapnpLimits, TraversalCustom) {
    ReaderOptions opts;
    opts.traversal_limit_words = 100;
    EXPECT_TRUE(read_void_list(void_list_message(98), opts).ok());
    EXPECT_TRUE(read_void_list(void_list_message(99), opts).ok());
    EXPECT_CAPNP_ERROR(read_void_list(void_list_message(100), opts), Error::CapnpTraversalLimit);
    // The struct itself is charged its size: 3 data words + 0 pointers.
    Framed f = frame1({w::make_struct(0, 3, 0), 1, 2, 3});
    for (uint64_t limit : {2u, 3u, 4u}) {
        opts.traversal_limit_words = limit;
        MessageReader m(f.bytes(), opts);
        EXPECT_EQ(m.root().ok(), limit >= 3) << limit;
    }
}

TEST(CapnpLimits, NestingDefault) {
    constexpr int n = kDefaultNestingLimit;
    ReaderOptions opts;
    auto a = read_chain(chain_message(n - 1), opts);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a.value(), n - 1);
    auto b = read_chain(chain_message(n), opts);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b.value(), n);
    EXPECT_CAPNP_ERROR(read_chain(chain_message(n + 1), opts), Error::CapnpNestingLimit);
}

TEST(CapnpLimits, NestingCustom) {
    ReaderOptions opts;
    opts.nesting_limit = 3;
    EXPECT_TRUE(read_chain(chain_message(2), opts).ok());
    EXPECT_TRUE(read_chain(chain_message(3), opts).ok());
    EXPECT_CAPNP_ERROR(read_chain(chain_message(4), opts), Error::CapnpNestingLimit);
    opts.nesting_limit = 0;
    EXPECT_CAPNP_ERROR(read_chain(chain_message(1), opts), Error::CapnpNestingLimit);
}

TEST(CapnpLimits, SegmentsDefault) {
    constexpr uint32_t n = kDefaultMaxSegments;
    for (uint32_t count : {n - 1, n}) {
        Framed f = segments_message(count);
        MessageReader m(f.bytes());
        ASSERT_TRUE(m.status().ok()) << count;
        EXPECT_EQ(m.segment_count(), count);
        // The far pointer reaches the last segment (beyond the start cache).
        EXPECT_EQ(root_of(m).get_data<uint64_t>(0), 0xabcdefu);
    }
    Framed f = segments_message(n + 1);
    EXPECT_CAPNP_ERROR(MessageReader(f.bytes()).status(), Error::CapnpTooManySegments);
}

TEST(CapnpLimits, SegmentsCustom) {
    ReaderOptions opts;
    opts.max_segments = 3;
    EXPECT_TRUE(MessageReader(segments_message(2).bytes(), opts).status().ok());
    EXPECT_TRUE(MessageReader(segments_message(3).bytes(), opts).status().ok());
    EXPECT_CAPNP_ERROR(MessageReader(segments_message(4).bytes(), opts).status(), Error::CapnpTooManySegments);
}

TEST(CapnpLimits, MessageSizeDefault) {
    constexpr uint64_t n = kDefaultMaxMessageWords;
    // One buffer of table + N+1 words; the table says how much is the segment.
    std::vector<Word> buf(n + 2, 0);
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(buf.data());
    for (uint64_t words : {n - 1, n, n + 1}) {
        buf[0] = words << 32;  // one segment of `words` words
        MessageReader m({bytes, (1 + words) * 8});
        if (words <= n) {
            EXPECT_TRUE(m.status().ok()) << words;
            EXPECT_TRUE(m.root().ok());
        } else {
            EXPECT_CAPNP_ERROR(m.status(), Error::CapnpMessageTooLarge);
        }
    }
}

TEST(CapnpLimits, MessageSizeCustomAcrossSegments) {
    ReaderOptions opts;
    opts.max_message_words = 10;
    for (uint64_t total : {9u, 10u, 11u}) {
        Framed f = frame({std::vector<Word>(5, 0), std::vector<Word>(total - 5, 0)});
        MessageReader m(f.bytes(), opts);
        EXPECT_EQ(m.status().ok(), total <= 10) << total;
        if (total > 10) EXPECT_CAPNP_ERROR(m.status(), Error::CapnpMessageTooLarge);
    }
}

// ---- bit flips ----------------------------------------------------------------

namespace {

struct Sample {
    const char* name;
    Framed msg;
    std::vector<size_t> pointer_words;  // word indexes into msg.words to flip
};

// Valid messages of each pointer kind. The pointer words are the segment
// table and every word that holds a pointer, landing pad or list tag.
std::vector<Sample> samples() {
    std::vector<Sample> out;
    {
        // Struct: root (1 data, 2 ptrs) -> child struct (1 data, 0 ptrs); second ptr null.
        Framed f = frame1({w::make_struct(0, 1, 2), 42, w::make_struct(1, 1, 0), 0, 7});
        out.push_back({"struct", f, {0, 1, 3, 4}});
    }
    {
        // Lists: bit, byte (text), 2/4/8-byte, pointer, inline composite.
        std::vector<Word> seg = {w::make_struct(0, 0, 7)};
        size_t base = 1;  // pointer section at words 1..7; payloads from 8
        seg.resize(8, 0);
        auto add = [&](int slot, ElementSize es, uint32_t count, std::vector<Word> payload) {
            int32_t off = static_cast<int32_t>(seg.size() - (base + slot) - 1);
            seg[base + slot] = w::make_list(off, es, count);
            seg.insert(seg.end(), payload.begin(), payload.end());
        };
        add(0, ElementSize::Bit, 10, {0x2a5});
        add(1, ElementSize::Byte, 4, {0x00636261});
        add(2, ElementSize::TwoBytes, 3, {0x0003000200010000ull});
        add(3, ElementSize::FourBytes, 2, {0x0000000200000001ull});
        add(4, ElementSize::EightBytes, 1, {9});
        size_t ptr_list_at = seg.size();
        add(5, ElementSize::Pointer, 1, {w::make_struct(-1, 0, 0)});
        size_t composite_at = seg.size();
        add(6, ElementSize::InlineComposite, 4,
            {w::make_tag(2, 1, 1), 5, w::make_struct(-1, 0, 0), 6, 0});
        Framed f = frame1(seg);
        std::vector<size_t> ptrs = {0};
        for (size_t i = 0; i <= 7; ++i) ptrs.push_back(f.table_words + i);
        ptrs.push_back(f.table_words + ptr_list_at);
        ptrs.push_back(f.table_words + composite_at);
        ptrs.push_back(f.table_words + composite_at + 2);
        out.push_back({"lists", f, ptrs});
    }
    {
        // Far: root is a far pointer to a landing pad in segment 1 -> struct there.
        Framed f = frame({{w::make_far(false, 0, 1)}, {w::make_struct(0, 1, 1), 11, w::make_far(false, 0, 2)},
                          {w::make_list(0, ElementSize::Byte, 2), 0x6968}});
        out.push_back({"far", f, {0, 1, 2, 3, 5, 6}});
    }
    {
        // Double-far: pad in segment 1, object in segment 2.
        Framed f = frame({{w::make_far(true, 0, 1)}, {w::make_far(false, 0, 2), w::make_struct(0, 1, 1)},
                          {12, w::make_capability(3)}});
        out.push_back({"double-far", f, {0, 1, 2, 3, 4, 6}});
    }
    {
        // Capabilities: a struct with two, and a list of one.
        Framed f = frame1({w::make_struct(0, 0, 3), w::make_capability(0), w::make_capability(7),
                           w::make_list(0, ElementSize::Pointer, 1), w::make_capability(2)});
        out.push_back({"capability", f, {0, 1, 2, 3, 4, 5}});
    }
    return out;
}

void check_walk(const Framed& f) {
    ReaderOptions opts;
    opts.traversal_limit_words = 1u << 16;
    MessageReader m(f.bytes(), opts);
    auto r = walk_message(m);
    if (!r.ok()) {
        ASSERT_TRUE(is_capnp_error(r.error())) << error_name(r.error());
    }
}

}  // namespace

TEST(CapnpBitFlips, SamplesAreValid) {
    for (auto& s : samples()) {
        MessageReader m(s.msg.bytes());
        auto r = walk_message(m);
        ASSERT_TRUE(r.ok()) << s.name << ": " << error_name(r.error());
    }
}

TEST(CapnpBitFlips, EveryOneAndTwoBitFlip) {
    within_ms(60000, [] {
        size_t variants = 0;
        for (auto& s : samples()) {
            std::vector<size_t> bits;
            for (size_t wi : s.pointer_words)
                for (size_t b = 0; b < 64; ++b) bits.push_back(wi * 64 + b);
            Framed f = s.msg;
            auto flip = [&](size_t bit) { f.words[bit / 64] ^= Word{1} << (bit % 64); };
            for (size_t i = 0; i < bits.size(); ++i) {
                flip(bits[i]);
                check_walk(f);
                ++variants;
                for (size_t j = i + 1; j < bits.size(); ++j) {
                    flip(bits[j]);
                    check_walk(f);
                    ++variants;
                    flip(bits[j]);
                }
                flip(bits[i]);
                if (::testing::Test::HasFatalFailure()) return;
            }
        }
        EXPECT_GT(variants, 100000u);
    });
}

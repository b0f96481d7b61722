// Unit tests of lib/capnp's reader and builder API: encodings checked word by
// word, defaults, schema evolution, element-size compatibility, buffer
// exhaustion at N-1 / N / N+1, capabilities, multi-segment reading.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "lib/capnp/capnp.hpp"
#include "tests/host/capnp/test_messages.hpp"

using namespace capos;
using namespace capos::capnp;
using capos::capnp::testing::Framed;
using capos::capnp::testing::frame;
using capos::capnp::testing::frame1;
namespace w = capos::capnp::wire;

namespace {

std::vector<Word> words_of(std::span<const uint8_t> bytes) {
    std::vector<Word> out(bytes.size() / 8);
    std::memcpy(out.data(), bytes.data(), out.size() * 8);
    return out;
}

std::string str(StringView v) { return std::string(v.data(), v.size()); }

}  // namespace

TEST(CapnpWire, PointerEncodings) {
    EXPECT_EQ(w::make_struct(0, 0, 0), 0u);
    EXPECT_EQ(w::make_struct(-1, 0, 0), 0xfffffffcu);
    EXPECT_EQ(w::make_struct(2, 3, 4), 0x0004000300000008ull);
    EXPECT_EQ(w::make_list(1, ElementSize::Byte, 6), (Word{6} << 35) | (Word{2} << 32) | 5);
    EXPECT_EQ(w::make_far(true, 3, 9), (Word{9} << 32) | (3u << 3) | 4 | 2);
    EXPECT_EQ(w::make_capability(5), (Word{5} << 32) | 3);
    EXPECT_EQ(w::offset(w::make_struct(kMinPointerOffset, 0, 0)), kMinPointerOffset);
    EXPECT_EQ(w::offset(w::make_list(kMaxPointerOffset, ElementSize::Bit, 0)), kMaxPointerOffset);
    EXPECT_EQ(w::list_count(w::make_list(0, ElementSize::Void, kMaxListElements)), kMaxListElements);
    EXPECT_EQ(w::tag_element_count(w::make_tag(kMaxCompositeElements, 1, 1)), kMaxCompositeElements);
    EXPECT_EQ(w::far_pad_offset(w::make_far(false, kMaxFarOffset, 0)), kMaxFarOffset);
}

TEST(CapnpBuilder, LayoutWordByWord) {
    std::vector<Word> buf(16, 0xdddddddddddddddd);  // dirty: allocations must zero
    MessageBuilder b(buf);
    auto root = b.init_root(1, 2);
    ASSERT_TRUE(root.ok());
    root.value().set_data<uint32_t>(1, 0x11223344);
    root.value().set_data<bool>(0, true);
    ASSERT_TRUE(root.value().set_text(1, "hi").ok());
    ASSERT_TRUE(root.value().init_struct(0, 0, 0).ok());
    std::vector<Word> got = words_of(b.bytes());
    std::vector<Word> want = {
        Word{5} << 32,                 // one segment of 5 words
        w::make_struct(0, 1, 2),       // root pointer
        0x1122334400000001ull,         // data word
        w::make_struct(-1, 0, 0),      // empty struct: offset -1, never null
        w::make_list(0, ElementSize::Byte, 3),
        0x006968,                      // "hi\0"
    };
    EXPECT_EQ(got, want);
}

TEST(CapnpBuilder, BufferExhaustionAtNMinus1NAndNPlus1) {
    // Root (1 data word) needs 1 (table) + 1 (root pointer) + 1 word.
    for (size_t n : {2u, 3u, 4u}) {
        std::vector<Word> buf(n);
        MessageBuilder b(buf);
        auto r = b.init_root(1, 0);
        if (n < 3) {
            ASSERT_FALSE(r.ok());
            EXPECT_EQ(r.error(), Error::CapnpBufferTooSmall);
        } else {
            EXPECT_TRUE(r.ok()) << n;
        }
    }
    std::vector<Word> one(1);
    MessageBuilder tiny(one);
    EXPECT_EQ(tiny.init_root(0, 0).error(), Error::CapnpBufferTooSmall);
    EXPECT_TRUE(tiny.bytes().empty());
    // Table, root pointer, root's pointer, and 8 bytes + NUL (2 words): 5.
    for (size_t n : {4u, 5u, 6u}) {
        std::vector<Word> buf(n);
        MessageBuilder b(buf);
        auto r = b.init_root(0, 1);
        ASSERT_TRUE(r.ok());
        auto t = r.value().set_text(0, "12345678");
        EXPECT_EQ(t.ok(), n >= 5) << n;
        if (!t.ok()) {
            EXPECT_EQ(t.error(), Error::CapnpBufferTooSmall);
        }
    }
}

TEST(CapnpBuilder, DefaultsAreXored) {
    std::vector<Word> buf(16);
    MessageBuilder b(buf);
    StructBuilder root = b.init_root(2, 0).value();
    root.set_data<int32_t>(0, 123, 123);  // equal to default: stores 0
    root.set_data<uint16_t>(2, 0xbeef, 0xbeef);
    root.set_data<bool>(48, false, true);  // bit 48 of word 0
    root.set_data<double>(1, 1.5, 1.5);
    EXPECT_EQ(buf[2], 1ull << 48);  // data word 0 (buf[0] table, buf[1] root pointer)
    EXPECT_EQ(buf[3], 0u);
    StructReader r = root.as_reader();
    EXPECT_EQ(r.get_data<int32_t>(0, 123), 123);
    EXPECT_EQ(r.get_data<uint16_t>(2, 0xbeef), 0xbeef);
    EXPECT_FALSE(r.get_data<bool>(48, true));
    EXPECT_EQ(r.get_data<double>(1, 1.5), 1.5);
    EXPECT_EQ(r.get_data<float>(2, -2.25f), -2.25f);
}

TEST(CapnpReader, SchemaEvolutionReadsDefaults) {
    // An old sender's struct: 1 data word, no pointers.
    Framed f = frame1({w::make_struct(0, 1, 0), 0x0102030405060708ull});
    MessageReader m(f.bytes());
    StructReader r = m.root().value();
    EXPECT_EQ(r.get_data<uint64_t>(0), 0x0102030405060708ull);
    EXPECT_EQ(r.get_data<uint32_t>(2, 77u), 77u);  // beyond the data section
    EXPECT_EQ(r.get_data<uint64_t>(1, 5u), 5u);
    EXPECT_TRUE(r.get_data<bool>(64, true));
    EXPECT_EQ(r.get_data<uint32_t>(UINT32_MAX, 9u), 9u);  // no overflow in the check
    EXPECT_FALSE(r.has_pointer(0));
    EXPECT_TRUE(str(r.get_text(3, "dflt").value()) == "dflt");
    EXPECT_EQ(r.get_struct(0).value().data_size_bits(), 0u);
    EXPECT_EQ(r.get_list(0, ElementSize::FourBytes).value().size(), 0u);
    EXPECT_EQ(r.get_capability(0).error(), Error::CapnpNullCapability);
}

TEST(CapnpReader, PointerDefaultsFromFlatWords) {
    // Default struct value: (1 data word = 7, pointer to "d").
    std::vector<Word> def = {w::make_struct(0, 1, 1), 7, w::make_list(0, ElementSize::Byte, 2), 0x64};
    Framed f = frame1({w::make_struct(0, 0, 2), 0, 0});
    MessageReader m(f.bytes());
    StructReader r = m.root().value();
    auto s = r.get_struct(0, def);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s.value().get_data<uint64_t>(0), 7u);
    EXPECT_EQ(str(s.value().get_text(0).value()), "d");
    std::vector<Word> list_def = {w::make_list(0, ElementSize::TwoBytes, 3), 0x0003fffe0001ull};
    auto l = r.get_list(1, ElementSize::TwoBytes, list_def);
    ASSERT_TRUE(l.ok());
    ASSERT_EQ(l.value().size(), 3u);
    EXPECT_EQ(l.value().get<int16_t>(1), -2);
    // A non-null pointer ignores the default.
    std::vector<Word> buf(32);
    MessageBuilder b(buf);
    StructBuilder root = b.init_root(0, 1).value();
    root.init_struct(0, 1, 0).value().set_data<uint64_t>(0, 99);
    EXPECT_EQ(root.as_reader().get_struct(0, def).value().get_data<uint64_t>(0), 99u);
}

TEST(CapnpBuilder, EveryListKindRoundTrips) {
    std::vector<Word> buf(256);
    MessageBuilder b(buf);
    StructBuilder root = b.init_root(0, 8).value();
    auto bits = root.init_list(0, ElementSize::Bit, 70).value();
    for (uint32_t i = 0; i < 70; ++i) bits.set<bool>(i, i % 3 == 0);
    auto bytes = root.init_list(1, ElementSize::Byte, 3).value();
    bytes.set<int8_t>(2, -3);
    auto halves = root.init_list(2, ElementSize::TwoBytes, 2).value();
    halves.set<uint16_t>(1, 0xabcd);
    auto fours = root.init_list(3, ElementSize::FourBytes, 2).value();
    fours.set<float>(0, 0.5f);
    auto eights = root.init_list(4, ElementSize::EightBytes, 1).value();
    eights.set<int64_t>(0, -1);
    auto ptrs = root.init_list(5, ElementSize::Pointer, 3).value();
    ASSERT_TRUE(ptrs.set_text(0, "zero").ok());
    ASSERT_TRUE(ptrs.pointer(2).set_capability(4).ok());
    auto structs = root.init_struct_list(6, 2, 1, 1).value();
    structs.struct_element(1).set_data<uint32_t>(1, 5);
    ASSERT_TRUE(structs.struct_element(1).set_text(0, "s").ok());
    ASSERT_TRUE(root.init_list(7, ElementSize::Void, 1000).ok());
    EXPECT_EQ(root.init_list(7, ElementSize::InlineComposite, 1).error(), Error::InvalidArgument);

    MessageReader m(b.bytes());
    StructReader r = m.root().value();
    auto rb = r.get_list(0, ElementSize::Bit).value();
    ASSERT_EQ(rb.size(), 70u);
    for (uint32_t i = 0; i < 70; ++i) EXPECT_EQ(rb.get<bool>(i), i % 3 == 0) << i;
    EXPECT_EQ(r.get_list(1, ElementSize::Byte).value().get<int8_t>(2), -3);
    EXPECT_EQ(r.get_list(2, ElementSize::TwoBytes).value().get<uint16_t>(1), 0xabcd);
    EXPECT_EQ(r.get_list(3, ElementSize::FourBytes).value().get<float>(0), 0.5f);
    EXPECT_EQ(r.get_list(4, ElementSize::EightBytes).value().get<int64_t>(0), -1);
    auto rp = r.get_list(5, ElementSize::Pointer).value();
    EXPECT_EQ(str(rp.get_text(0).value()), "zero");
    EXPECT_TRUE(rp.pointer(1).is_null());
    EXPECT_EQ(rp.get_capability(2).value(), 4u);
    auto rs = r.get_list(6, ElementSize::InlineComposite).value();
    EXPECT_EQ(rs.get_struct_element(1).get_data<uint32_t>(1), 5u);
    EXPECT_EQ(str(rs.get_struct_element(1).get_text(0).value()), "s");
    EXPECT_EQ(r.get_list(7, ElementSize::Void).value().size(), 1000u);
    // Out-of-range indexes read as zero / empty / null.
    EXPECT_EQ(rb.get<bool>(70), false);
    EXPECT_EQ(rs.get_struct_element(2).data_size_bits(), 0u);
    EXPECT_TRUE(rp.pointer(3).is_null());
    // A wider type than the element reads as zero rather than past it.
    EXPECT_EQ(r.get_list(1, ElementSize::Byte).value().get<uint64_t>(0), 0u);
}

TEST(CapnpReader, ElementSizeCompatibility) {
    std::vector<Word> buf(64);
    MessageBuilder b(buf);
    StructBuilder root = b.init_root(0, 3).value();
    auto prim = root.init_list(0, ElementSize::FourBytes, 2).value();
    prim.set<uint32_t>(0, 10);
    prim.set<uint32_t>(1, 20);
    auto structs = root.init_struct_list(1, 2, 1, 0).value();
    structs.struct_element(1).set_data<uint16_t>(0, 30);
    ASSERT_TRUE(root.init_list(2, ElementSize::Bit, 3).ok());
    MessageReader m(b.bytes());
    StructReader r = m.root().value();
    // Primitive list read as a struct list: each element a 32-bit struct.
    auto as_structs = r.get_list(0, ElementSize::InlineComposite).value();
    EXPECT_EQ(as_structs.get_struct_element(1).get_data<uint32_t>(0), 20u);
    EXPECT_EQ(as_structs.get_struct_element(1).get_data<uint64_t>(0, 3u), 3u);  // beyond: default
    // A narrower primitive view of a wider list, and the reverse.
    EXPECT_EQ(r.get_list(0, ElementSize::TwoBytes).value().get<uint16_t>(1), 20u);
    EXPECT_EQ(r.get_list(0, ElementSize::EightBytes).error(), Error::CapnpWrongType);
    // Struct list read as a primitive list: the first field.
    EXPECT_EQ(r.get_list(1, ElementSize::TwoBytes).value().get<uint16_t>(1), 30u);
    // Bit lists are only Bit (or Void).
    EXPECT_EQ(r.get_list(2, ElementSize::Byte).error(), Error::CapnpWrongType);
    EXPECT_EQ(r.get_list(2, ElementSize::InlineComposite).error(), Error::CapnpWrongType);
    EXPECT_TRUE(r.get_list(2, ElementSize::Void).ok());
    EXPECT_EQ(r.get_list(0, ElementSize::Bit).error(), Error::CapnpWrongType);
    // Struct where a list is expected and the reverse.
    EXPECT_EQ(r.get_struct(0).error(), Error::CapnpWrongType);
}

TEST(CapnpReader, Capabilities) {
    Framed f = frame1({w::make_struct(0, 0, 4), w::make_capability(0), w::make_capability(0xffffffff),
                       0x0000000500000007ull /* other, reserved bits set */, w::make_struct(-1, 0, 0)});
    MessageReader m(f.bytes());
    StructReader r = m.root().value();
    EXPECT_EQ(r.get_capability(0).value(), 0u);
    EXPECT_EQ(r.get_capability(1).value(), 0xffffffffu);
    EXPECT_EQ(r.get_capability(2).error(), Error::CapnpBadPointer);
    EXPECT_EQ(r.get_capability(3).error(), Error::CapnpWrongType);
    EXPECT_EQ(r.get_struct(0).error(), Error::CapnpWrongType);
    EXPECT_EQ(r.get_text(1).error(), Error::CapnpWrongType);
    EXPECT_EQ(r.pointer(0).type().value(), PointerType::Capability);
    EXPECT_EQ(r.pointer(2).type().error(), Error::CapnpBadPointer);
}

TEST(CapnpReader, MultiSegmentFarAndDoubleFar) {
    // Root: far -> pad in segment 1 -> struct (1 data, 2 ptrs) in segment 1.
    // Its pointer 0: double-far -> pad in segment 2 -> text in segment 0.
    // Its pointer 1: near list in segment 1.
    std::vector<Word> seg0 = {w::make_far(false, 0, 1), 0x0000006f6c6c6568ull};  // "hello"
    std::vector<Word> seg1 = {w::make_struct(0, 1, 2), 42, w::make_far(true, 0, 2),
                              w::make_list(0, ElementSize::FourBytes, 2), 0x0000000200000001ull};
    std::vector<Word> seg2 = {w::make_far(false, 1, 0), w::make_list(0, ElementSize::Byte, 6)};
    Framed f = frame({seg0, seg1, seg2});
    MessageReader m(f.bytes());
    ASSERT_EQ(m.segment_count(), 3u);
    auto root = m.root();
    ASSERT_TRUE(root.ok()) << error_name(root.error());
    EXPECT_EQ(root.value().get_data<uint64_t>(0), 42u);
    auto t = root.value().get_text(0);
    ASSERT_TRUE(t.ok()) << error_name(t.error());
    EXPECT_EQ(str(t.value()), "hello");
    EXPECT_EQ(root.value().get_list(1, ElementSize::FourBytes).value().get<uint32_t>(1), 2u);
    EXPECT_EQ(root.value().pointer(0).type().value(), PointerType::List);
    // A far pointer in a builder's view (single segment, trusted) is refused.
    std::vector<Word> flat = {w::make_far(false, 0, 1)};
    EXPECT_EQ(read_flat_struct(flat).error(), Error::CapnpBadPointer);
}

TEST(CapnpReader, UnalignedInput) {
    Framed f = frame1({w::make_struct(0, 1, 1), 0x1234, w::make_list(0, ElementSize::Byte, 3), 0x6261});
    std::vector<uint8_t> shifted(f.bytes().size() + 1);
    std::memcpy(shifted.data() + 1, f.bytes().data(), f.bytes().size());
    MessageReader m({shifted.data() + 1, f.bytes().size()});
    StructReader r = m.root().value();
    EXPECT_EQ(r.get_data<uint64_t>(0), 0x1234u);
    EXPECT_EQ(str(r.get_text(0).value()), "ab");
}

TEST(CapnpBuilder, GetStructReopensAndChecksSizes) {
    std::vector<Word> buf(32);
    MessageBuilder b(buf);
    StructBuilder root = b.init_root(0, 1).value();
    auto first = root.pointer(0).get_struct(2, 1);  // null: initialises
    ASSERT_TRUE(first.ok());
    first.value().set_data<uint64_t>(1, 8);
    auto again = root.pointer(0).get_struct(1, 0);  // smaller view of the same
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value().get_data<uint64_t>(1), 8u);
    EXPECT_EQ(root.pointer(0).get_struct(3, 0).error(), Error::CapnpWrongType);
    EXPECT_FALSE(root.pointer(1).valid());
    EXPECT_EQ(root.pointer(1).init_struct(0, 0).error(), Error::OutOfRange);
    root.pointer(0).clear();
    EXPECT_FALSE(root.has_pointer(0));
}

TEST(CapnpBuilder, CopyPreservesEverything) {
    std::vector<Word> src_buf(128), dst_buf(128);
    MessageBuilder src(src_buf);
    StructBuilder s = src.init_root(1, 4).value();
    s.set_data<uint64_t>(0, 77);
    ASSERT_TRUE(s.set_text(0, "copy me").ok());
    auto bits = s.init_list(1, ElementSize::Bit, 9).value();
    bits.set<bool>(8, true);
    auto sl = s.init_struct_list(2, 2, 1, 1).value();
    sl.struct_element(0).set_data<uint64_t>(0, 5);
    ASSERT_TRUE(sl.struct_element(1).set_capability(0, 3).ok());
    ASSERT_TRUE(s.set_data_blob(3, std::vector<uint8_t>{1, 2, 3}).ok());

    MessageReader in(src.bytes());
    MessageBuilder dst(dst_buf);
    ASSERT_TRUE(dst.root_pointer().set_copy(in.root_pointer()).ok());
    EXPECT_EQ(words_of(dst.bytes()), words_of(src.bytes()));  // same allocation order
}

RC_GTEST_PROP(CapnpProperty, DataFieldsRoundTrip, (uint64_t a, uint32_t b, int16_t c, bool d, uint8_t e)) {
    std::vector<Word> buf(8);
    MessageBuilder mb(buf);
    StructBuilder s = mb.init_root(2, 0).value();
    s.set_data<uint64_t>(0, a, 0x5555);
    s.set_data<uint32_t>(2, b);
    s.set_data<int16_t>(6, c, -1);  // bytes 12-13
    s.set_data<uint8_t>(14, e);
    s.set_data<bool>(120, d, true);  // byte 15
    MessageReader m(mb.bytes());
    StructReader r = m.root().value();
    RC_ASSERT(r.get_data<uint64_t>(0, 0x5555) == a);
    RC_ASSERT(r.get_data<uint32_t>(2) == b);
    RC_ASSERT(r.get_data<int16_t>(6, -1) == c);
    RC_ASSERT(r.get_data<bool>(120, true) == d);
    RC_ASSERT(r.get_data<uint8_t>(14) == e);
}

RC_GTEST_PROP(CapnpProperty, TextAndDataRoundTrip, (std::string text, std::vector<uint8_t> data)) {
    for (char& ch : text)
        if (ch == 0) ch = '0';
    std::vector<Word> buf(8 + text.size() / 8 + data.size() / 8);
    MessageBuilder mb(buf);
    StructBuilder s = mb.init_root(0, 2).value();
    RC_ASSERT(s.set_text(0, StringView(text.data(), text.size())).ok());
    RC_ASSERT(s.set_data_blob(1, data).ok());
    MessageReader m(mb.bytes());
    StructReader r = m.root().value();
    RC_ASSERT(str(r.get_text(0).value()) == text);
    auto blob = r.get_data_blob(1).value();
    RC_ASSERT(std::vector<uint8_t>(blob.begin(), blob.end()) == data);
}

// root_struct_ok (the kernel's framing check) gives MessageReader's verdict
// on the shapes its fast path judges and on the ones it hands over.
namespace {
bool reader_verdict(const std::vector<uint8_t>& b) {
    MessageReader r(std::span<const uint8_t>(b.data(), b.size()));
    return r.root().ok();
}
std::vector<uint8_t> one_segment(uint32_t words, uint64_t root, size_t extra_bytes = 0) {
    std::vector<uint8_t> b(8 + size_t{words} * 8 + extra_bytes, 0);
    uint32_t zero = 0;
    std::memcpy(b.data(), &zero, 4);
    std::memcpy(b.data() + 4, &words, 4);
    if (words > 0) std::memcpy(b.data() + 8, &root, 8);
    return b;
}
uint64_t struct_ptr(int32_t offset, uint16_t data, uint16_t ptrs) {
    return (uint64_t{static_cast<uint32_t>(offset) << 2}) | (uint64_t{data} << 32) | (uint64_t{ptrs} << 48);
}
}  // namespace

TEST(RootStructOk, KnownShapes) {
    const std::vector<std::vector<uint8_t>> cases = {
        one_segment(1, struct_ptr(-1, 0, 0)),  // the empty struct (docs/abi.md 6.3)
        one_segment(1, 0),                     // null root
        one_segment(2, struct_ptr(0, 1, 0)),   // one data word
        one_segment(2, struct_ptr(0, 2, 0)),   // runs past the segment
        one_segment(3, struct_ptr(1, 1, 0)),
        one_segment(3, struct_ptr(-2, 0, 0)),  // before the segment
        one_segment(1, 1),                     // list pointer as root
        one_segment(1, 2),                     // far pointer
        one_segment(0, 0),                     // no words
        one_segment(4, struct_ptr(0, 1, 2)),
        one_segment(2, struct_ptr(0, 1, 0), 3),  // trailing bytes
    };
    for (const auto& c : cases) EXPECT_EQ(root_struct_ok(c), reader_verdict(c)) << c.size();
    EXPECT_TRUE(root_struct_ok(cases[0]));
    EXPECT_FALSE(root_struct_ok(cases[3]));
    std::vector<uint8_t> truncated = one_segment(2, struct_ptr(0, 1, 0));
    truncated.resize(12);
    EXPECT_EQ(root_struct_ok(truncated), reader_verdict(truncated));
    EXPECT_FALSE(root_struct_ok({}));
}

RC_GTEST_PROP(RootStructOk, AgreesWithMessageReader, ()) {
    // Mostly one-segment tables with a plausible word count, so both the
    // fast path and the fallback are exercised; any bytes after.
    auto words = *rc::gen::inRange<uint32_t>(0, 6);
    auto root = *rc::gen::arbitrary<uint64_t>();
    auto small = *rc::gen::arbitrary<bool>();
    if (small)
        root = struct_ptr(*rc::gen::inRange<int32_t>(-3, 6), *rc::gen::inRange<uint16_t>(0, 6),
                          *rc::gen::inRange<uint16_t>(0, 4)) |
               *rc::gen::inRange<uint64_t>(0, 4);
    std::vector<uint8_t> b = one_segment(words, root, *rc::gen::inRange<size_t>(0, 9));
    if (*rc::gen::arbitrary<bool>()) b.resize(*rc::gen::inRange<size_t>(0, b.size() + 1));
    if (*rc::gen::arbitrary<bool>() && b.size() >= 4) b[*rc::gen::inRange<size_t>(0, 4)] ^= 1;
    RC_ASSERT(root_struct_ok(b) == reader_verdict(b));
}

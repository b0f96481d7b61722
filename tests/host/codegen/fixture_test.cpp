// Round trips of the fixture schema between capnpc-capos's generated code
// (over lib/capnp) and Debian's capnpc-c++ code (over libcapnp), in both
// directions, plus defaults, unions, groups and constants.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "tests/host/codegen/fixture.capnp.h"
#include "tests/host/codegen/fixture.capnp.hpp"
#include "tests/host/codegen/test_util.hpp"

namespace ours = capos::fixture;
namespace theirs = capos::fixture_host;
using codegen_test::sv;
using codegen_test::words_of;

namespace {

std::string str(::capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

// Fills every field of an Everything builder through the generated API.
void fill_ours(ours::Everything::Builder e) {
    e.set_bool_field(true);
    e.set_bool_true(false);
    e.set_i8(-128);
    e.set_i16(12345);
    e.set_i32(0);  // the stored value is the default's XOR mask
    e.set_i64(-1);
    e.set_u8(0);
    e.set_u16(65535);
    e.set_u32(7);
    e.set_u64(0x0123456789abcdefull);
    e.set_f32(-0.0f);
    e.set_f64(3.0);
    e.set_color(ours::Color::Red);
    MUST(e.set_text("set by ours"));
    const uint8_t data[] = {9, 8, 7};
    MUST(e.set_data(data));
    auto inner = MUST(e.init_inner());
    inner.set_a(77);
    MUST(inner.set_label("inner"));
    auto u16 = MUST(e.init_u16_list(2));
    u16.set(0, 10);
    u16.set(1, 65000);
    auto bools = MUST(e.init_bool_list(9));
    for (uint32_t i = 0; i < 9; ++i) bools.set(i, i % 3 == 0);
    auto texts = MUST(e.init_text_list(2));
    MUST(texts.set(0, "a"));
    MUST(texts.set(1, ""));
    auto datas = MUST(e.init_data_list(1));
    MUST(datas.set(0, data));
    auto structs = MUST(e.init_struct_list(2));
    structs[0].set_a(1);
    structs[1].set_a(2);
    MUST(structs[1].set_label("two"));
    auto colors = MUST(e.init_color_list(3));
    colors.set(0, ours::Color::Blue);
    colors.set(1, ours::Color::Red);
    colors.set(2, ours::Color::Green);
    auto nested = MUST(e.init_nested(2));
    auto n0 = MUST(nested.init(0, 3));
    n0.set(0, -1);
    n0.set(1, 0);
    n0.set(2, 1);
    MUST(nested.init(1, 0));
    auto caps = MUST(e.init_caps(2));
    MUST(caps.set(0, 5));
    MUST(caps.set(1, 6));
    MUST(e.set_cap(3));
    MUST(e.init_voids(4));
    MUST(e.set_any_cap(11));
    auto pair = e.init_pair();
    pair.set_left(-3);
    MUST(pair.set_right("right"));
    auto choice = e.choice();
    auto big = MUST(choice.init_big());
    big.set_a(99);
    e.set_class_(17);
    e.set_which_(false);
    auto ns = MUST(e.init_nested_struct());
    ns.set_x(2.5f);
    ns.set_mode(ours::Everything::Nested::Mode::Off);
}

void check_theirs(theirs::Everything::Reader h) {
    EXPECT_TRUE(h.getBoolField());
    EXPECT_FALSE(h.getBoolTrue());
    EXPECT_EQ(h.getI8(), -128);
    EXPECT_EQ(h.getI16(), 12345);
    EXPECT_EQ(h.getI32(), 0);
    EXPECT_EQ(h.getI64(), -1);
    EXPECT_EQ(h.getU8(), 0);
    EXPECT_EQ(h.getU16(), 65535);
    EXPECT_EQ(h.getU32(), 7u);
    EXPECT_EQ(h.getU64(), 0x0123456789abcdefull);
    EXPECT_TRUE(std::signbit(h.getF32()));
    EXPECT_EQ(h.getF32(), 0.0f);
    EXPECT_EQ(h.getF64(), 3.0);
    EXPECT_EQ(h.getColor(), theirs::Color::RED);
    EXPECT_EQ(str(h.getText()), "set by ours");
    ASSERT_EQ(h.getData().size(), 3u);
    EXPECT_EQ(h.getData()[2], 7);
    EXPECT_EQ(h.getInner().getA(), 77);
    EXPECT_EQ(str(h.getInner().getLabel()), "inner");
    ASSERT_EQ(h.getU16List().size(), 2u);
    EXPECT_EQ(h.getU16List()[1], 65000);
    ASSERT_EQ(h.getBoolList().size(), 9u);
    for (uint32_t i = 0; i < 9; ++i) EXPECT_EQ(h.getBoolList()[i], i % 3 == 0) << i;
    ASSERT_EQ(h.getTextList().size(), 2u);
    EXPECT_EQ(str(h.getTextList()[0]), "a");
    EXPECT_EQ(str(h.getTextList()[1]), "");
    ASSERT_EQ(h.getDataList().size(), 1u);
    EXPECT_EQ(h.getDataList()[0].size(), 3u);
    ASSERT_EQ(h.getStructList().size(), 2u);
    EXPECT_EQ(h.getStructList()[1].getA(), 2);
    EXPECT_EQ(str(h.getStructList()[1].getLabel()), "two");
    ASSERT_EQ(h.getColorList().size(), 3u);
    EXPECT_EQ(h.getColorList()[0], theirs::Color::BLUE);
    EXPECT_EQ(h.getColorList()[2], theirs::Color::GREEN);
    ASSERT_EQ(h.getNested().size(), 2u);
    ASSERT_EQ(h.getNested()[0].size(), 3u);
    EXPECT_EQ(h.getNested()[0][0], -1);
    EXPECT_EQ(h.getNested()[1].size(), 0u);
    EXPECT_EQ(h.getVoids().size(), 4u);
    EXPECT_EQ(h.which(), theirs::Everything::PAIR);
    EXPECT_EQ(h.getPair().getLeft(), -3);
    EXPECT_EQ(str(h.getPair().getRight()), "right");
    EXPECT_EQ(h.getChoice().which(), theirs::Everything::Choice::BIG);
    EXPECT_EQ(h.getChoice().getBig().getA(), 99);
    EXPECT_EQ(h.getClass(), 17);
    EXPECT_FALSE(h.getWhich());
    EXPECT_EQ(h.getNestedStruct().getX(), 2.5f);
    EXPECT_EQ(h.getNestedStruct().getMode(), theirs::Everything::Nested::Mode::OFF);
}

}  // namespace

TEST(Fixture, OursToLibcapnp) {
    capos::capnp::Word buf[512];
    capos::capnp::MessageBuilder mb(buf);
    fill_ours(MUST(ours::Everything::init_root(mb)));
    auto words = words_of(mb.bytes());
    ::capnp::FlatArrayMessageReader reader(words);
    check_theirs(reader.getRoot<theirs::Everything>());

    // Capability pointers: libcapnp cannot resolve them without a cap table,
    // so check the indices through our reader.
    capos::capnp::MessageReader ours_reader(mb.bytes());
    auto e = MUST(ours::Everything::read_root(ours_reader));
    EXPECT_EQ(MUST(e.cap()), 3u);
    EXPECT_EQ(MUST(e.any_cap()), 11u);
    auto caps = MUST(e.caps());
    ASSERT_EQ(caps.size(), 2u);
    EXPECT_EQ(MUST(caps[1]), 6u);
}

TEST(Fixture, LibcapnpToOurs) {
    // One-word segments force far pointers and many segments.
    ::capnp::MallocMessageBuilder mb(1, ::capnp::AllocationStrategy::FIXED_SIZE);
    auto h = mb.initRoot<theirs::Everything>();
    h.setBoolField(true);
    h.setI8(3);
    h.setI64(INT64_MIN + 1);
    h.setU32(123);
    h.setU64(0);
    h.setF32(1.5f);  // equal to the default: stored as zero bits
    h.setF64(-1e300);
    h.setColor(theirs::Color::BLUE);
    h.setText("from libcapnp");
    auto inner = h.initInner();
    inner.setA(-9);
    inner.setLabel("far");
    auto sl = h.initStructList(3);
    sl[2].setA(33);
    sl[2].setLabel("third");
    auto tl = h.initTextList(1);
    tl.set(0, "x");
    auto nested = h.initNested(1);
    auto n0 = nested.init(0, 2);
    n0.set(0, 4);
    n0.set(1, 5);
    h.setName("union text");
    h.getChoice().initList(2).set(1, "b");
    h.setClass(200);
    h.initNestedStruct().setX(-4.0f);
    auto flat = codegen_test::flatten(mb);

    capos::capnp::MessageReader reader(flat);
    ASSERT_GT(reader.segment_count(), 5u);
    auto e = MUST(ours::Everything::read_root(reader));
    EXPECT_TRUE(e.bool_field());
    EXPECT_TRUE(e.bool_true());
    EXPECT_EQ(e.i8(), 3);
    EXPECT_EQ(e.i64(), INT64_MIN + 1);
    EXPECT_EQ(e.u32(), 123u);
    EXPECT_EQ(e.u64(), 0u);
    EXPECT_EQ(e.f32(), 1.5f);
    EXPECT_EQ(e.f64(), -1e300);
    EXPECT_EQ(e.color(), ours::Color::Blue);
    EXPECT_EQ(sv(MUST(e.text())), "from libcapnp");
    auto in = MUST(e.inner());
    EXPECT_EQ(in.a(), -9);
    EXPECT_EQ(sv(MUST(in.label())), "far");
    auto structs = MUST(e.struct_list());
    ASSERT_EQ(structs.size(), 3u);
    EXPECT_EQ(structs[2].a(), 33);
    EXPECT_EQ(sv(MUST(structs[2].label())), "third");
    EXPECT_EQ(structs[0].a(), 0);
    auto texts = MUST(e.text_list());
    ASSERT_EQ(texts.size(), 1u);
    EXPECT_EQ(sv(MUST(texts[0])), "x");
    auto nl = MUST(e.nested());
    ASSERT_EQ(nl.size(), 1u);
    auto inner_list = MUST(nl[0]);
    ASSERT_EQ(inner_list.size(), 2u);
    EXPECT_EQ(inner_list[1], 5);
    EXPECT_EQ(e.which(), ours::Everything::Which::Name);
    EXPECT_TRUE(e.is_name());
    EXPECT_FALSE(e.is_pair());
    EXPECT_EQ(sv(MUST(e.name())), "union text");
    auto choice = e.choice();
    EXPECT_EQ(choice.which(), ours::Everything::Choice::Which::List);
    auto cl = MUST(choice.list());
    ASSERT_EQ(cl.size(), 2u);
    EXPECT_EQ(sv(MUST(cl[1])), "b");
    EXPECT_EQ(e.class_(), 200);
    EXPECT_EQ(MUST(e.nested_struct()).x(), -4.0f);
    // Unset pointers read as their schema defaults.
    auto u16 = MUST(e.u16_list());
    ASSERT_EQ(u16.size(), 3u);
    EXPECT_EQ(u16[2], 3);
}

TEST(Fixture, DefaultsMatchLibcapnp) {
    // An empty struct, and a zero-sized one from an "older sender".
    for (uint16_t data_words : {uint16_t{0}, ours::Everything::kDataWords}) {
        capos::capnp::Word buf[64];
        capos::capnp::MessageBuilder mb(buf);
        uint16_t ptrs = data_words == 0 ? 0 : ours::Everything::kPointerCount;
        MUST(mb.init_root(data_words, ptrs));
        capos::capnp::MessageReader reader(mb.bytes());
        auto e = MUST(ours::Everything::read_root(reader));
        auto words = words_of(mb.bytes());
        ::capnp::FlatArrayMessageReader their_reader(words);
        auto h = their_reader.getRoot<theirs::Everything>();

        EXPECT_EQ(e.bool_true(), h.getBoolTrue());
        EXPECT_TRUE(e.bool_true());
        EXPECT_EQ(e.i8(), h.getI8());
        EXPECT_EQ(e.i8(), -5);
        EXPECT_EQ(e.i32(), h.getI32());
        EXPECT_EQ(e.i64(), h.getI64());
        EXPECT_EQ(e.i64(), INT64_MIN);
        EXPECT_EQ(e.u8(), h.getU8());
        EXPECT_EQ(e.u32(), h.getU32());
        EXPECT_EQ(e.u64(), h.getU64());
        EXPECT_EQ(e.f32(), h.getF32());
        EXPECT_EQ(e.f32(), 1.5f);
        EXPECT_EQ(e.f64(), h.getF64());
        EXPECT_EQ(static_cast<uint16_t>(e.color()), static_cast<uint16_t>(h.getColor()));
        EXPECT_EQ(e.color(), ours::Color::Green);
        EXPECT_EQ(sv(MUST(e.text())), str(h.getText()));
        EXPECT_EQ(sv(MUST(e.text())), "hi \"there\"");
        auto data = MUST(e.data());
        ASSERT_EQ(data.size(), h.getData().size());
        EXPECT_EQ(data[2], 0xff);
        auto inner = MUST(e.inner());
        EXPECT_EQ(inner.a(), h.getInner().getA());
        EXPECT_EQ(inner.a(), 3);
        EXPECT_EQ(sv(MUST(inner.label())), "dflt");
        auto u16 = MUST(e.u16_list());
        ASSERT_EQ(u16.size(), 3u);
        EXPECT_EQ(u16[0], h.getU16List()[0]);
        EXPECT_EQ(MUST(e.struct_list()).size(), 0u);
        EXPECT_FALSE(e.has_text());
        EXPECT_EQ(e.which(), ours::Everything::Which::None);
        EXPECT_EQ(e.which_(), h.getWhich());
        EXPECT_TRUE(e.which_());
        EXPECT_EQ(e.choice().which(), ours::Everything::Choice::Which::Small);
        auto ns = MUST(e.nested_struct());
        EXPECT_EQ(ns.mode(), ours::Everything::Nested::Mode::On);
        // A null capability is an error, not index 0.
        EXPECT_FALSE(e.cap().ok());
    }
}

TEST(Fixture, UnionSettersSwitchMembers) {
    capos::capnp::Word buf[128];
    capos::capnp::MessageBuilder mb(buf);
    auto e = MUST(ours::Everything::init_root(mb));
    e.set_number(5);
    EXPECT_EQ(e.which(), ours::Everything::Which::Number);
    auto p = e.init_pair();
    p.set_left(1);
    EXPECT_EQ(e.which(), ours::Everything::Which::Pair);
    // Re-initialising the group clears what it held.
    e.set_number(0);
    auto p2 = e.init_pair();
    EXPECT_EQ(p2.left(), 0);
    e.set_none();
    EXPECT_TRUE(e.is_none());
    e.choice().set_small(4);
    EXPECT_EQ(e.choice().which(), ours::Everything::Choice::Which::Small);
    EXPECT_EQ(e.as_reader().choice().small(), 4);

    auto words = words_of(mb.bytes());
    ::capnp::FlatArrayMessageReader reader(words);
    auto h = reader.getRoot<theirs::Everything>();
    EXPECT_EQ(h.which(), theirs::Everything::NONE);
    EXPECT_EQ(h.getChoice().getSmall(), 4);
}

TEST(Fixture, Constants) {
    static_assert(ours::kAnswer == 42u);
    static_assert(ours::kBigId == 0xcab05000fff00001ull);
    static_assert(ours::kFavourite == ours::Color::Blue);
    static_assert(ours::Everything::Nested::kLimit == 9);
    EXPECT_EQ(sv(ours::kGreeting), "hello\n");
    ASSERT_EQ(ours::kBlob.size(), 4u);
    EXPECT_EQ(ours::kBlob[0], 0xde);
    EXPECT_EQ(ours::kBlob[3], 0xef);
    auto origin = MUST(ours::origin());
    EXPECT_EQ(origin.a(), -1);
    EXPECT_EQ(sv(MUST(origin.label())), "origin");
    auto primes = MUST(ours::primes());
    ASSERT_EQ(primes.size(), 4u);
    EXPECT_EQ(primes[3], 7);
    EXPECT_EQ(theirs::ANSWER, ours::kAnswer);
    static_assert(ours::Calculator::kInterfaceId == 0xcab05000fff00010ull);
    EXPECT_EQ(::capnp::typeId<theirs::Calculator>(), ours::Calculator::kInterfaceId);
    EXPECT_EQ(::capnp::typeId<theirs::Everything>(), ours::Everything::kTypeId);
    static_assert(ours::Calculator::kMethodSquare == 3);
    static_assert(ours::Everything::kDataWords > 0);
}

TEST(Fixture, BuilderRunsOutOfSpaceCleanly) {
    // Segment table + root pointer + the struct itself, exactly.
    constexpr size_t kExact = 2 + ours::Everything::kDataWords + ours::Everything::kPointerCount;
    capos::capnp::Word buf[kExact];
    capos::capnp::MessageBuilder mb(buf);
    auto e = MUST(ours::Everything::init_root(mb));
    e.set_u64(1);
    auto text = e.set_text("x");
    ASSERT_FALSE(text.ok());
    EXPECT_EQ(text.error(), capos::Error::CapnpBufferTooSmall);
    EXPECT_FALSE(e.init_inner().ok());

    capos::capnp::Word tiny[kExact - 1];
    capos::capnp::MessageBuilder small(tiny);
    auto r = ours::Everything::init_root(small);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), capos::Error::CapnpBufferTooSmall);
}

RC_GTEST_PROP(Fixture, RandomValuesRoundTripBothWays,
              (int32_t a, uint64_t u64, int16_t i16, bool flag, std::string text,
               std::vector<uint16_t> list)) {
    RC_PRE(text.find('\0') == std::string::npos);
    RC_PRE(list.size() < 1000);
    // Ours -> libcapnp.
    std::vector<capos::capnp::Word> buf(64 + text.size() / 8 + list.size() / 4);
    capos::capnp::MessageBuilder mb(buf);
    auto e = ours::Everything::init_root(mb).value();
    e.set_i32(a);
    e.set_u64(u64);
    e.set_i16(i16);
    e.set_bool_true(flag);
    RC_ASSERT(e.set_text(capos::StringView(text.data(), text.size())).ok());
    auto l = e.init_u16_list(static_cast<uint32_t>(list.size())).value();
    for (size_t i = 0; i < list.size(); ++i) l.set(static_cast<uint32_t>(i), list[i]);
    e.set_number(static_cast<uint32_t>(a));
    auto words = words_of(mb.bytes());
    ::capnp::FlatArrayMessageReader reader(words);
    auto h = reader.getRoot<theirs::Everything>();
    RC_ASSERT(h.getI32() == a);
    RC_ASSERT(h.getU64() == u64);
    RC_ASSERT(h.getI16() == i16);
    RC_ASSERT(h.getBoolTrue() == flag);
    RC_ASSERT(str(h.getText()) == text);
    RC_ASSERT(h.getU16List().size() == list.size());
    for (size_t i = 0; i < list.size(); ++i) RC_ASSERT(h.getU16List()[static_cast<uint32_t>(i)] == list[i]);
    RC_ASSERT(h.getNumber() == static_cast<uint32_t>(a));

    // libcapnp -> ours.
    ::capnp::MallocMessageBuilder tb;
    auto t = tb.initRoot<theirs::Everything>();
    t.setI32(a);
    t.setU64(u64);
    t.setBoolTrue(flag);
    t.setText(text);
    auto tl = t.initU16List(static_cast<uint32_t>(list.size()));
    for (size_t i = 0; i < list.size(); ++i) tl.set(static_cast<uint32_t>(i), list[i]);
    auto flat = codegen_test::flatten(tb);
    capos::capnp::MessageReader our_reader(flat);
    auto o = ours::Everything::read_root(our_reader).value();
    RC_ASSERT(o.i32() == a);
    RC_ASSERT(o.u64() == u64);
    RC_ASSERT(o.bool_true() == flag);
    RC_ASSERT(sv(o.text().value()) == text);
    auto ol = o.u16_list().value();
    RC_ASSERT(ol.size() == list.size());
    for (size_t i = 0; i < list.size(); ++i) RC_ASSERT(ol[static_cast<uint32_t>(i)] == list[i]);
}

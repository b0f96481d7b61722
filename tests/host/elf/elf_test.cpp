#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "lib/elf/elf.hpp"
#include "tests/host/elf/elf_builder.hpp"

using namespace capos;
using namespace capos::elf;
using capos::elf::craft::build;
using capos::elf::craft::ElfSpec;
using capos::elf::craft::SegmentSpec;
using capos::elf::craft::valid_spec;

namespace {

constexpr UserRange kUser{0x200000, kLowerHalfEnd};
constexpr uint32_t kR = gabi::kPfR, kW = gabi::kPfW, kX = gabi::kPfX;

struct Outcome {
    bool ok;
    Error error;
    std::string reason;
};

Outcome check(const std::vector<uint8_t>& bytes, UserRange range = kUser) {
    Rejection why;
    auto r = ElfImage::parse(std::span<const uint8_t>(bytes.data(), bytes.size()), range, &why);
    if (r.ok()) {
        EXPECT_TRUE(why.empty()) << why.c_str();
        return {true, Error::InvalidArgument, ""};
    }
    EXPECT_FALSE(why.empty()) << "failure without a reason: " << error_name(r.error());
    return {false, r.error(), why.c_str()};
}

Outcome check(const ElfSpec& spec, UserRange range = kUser) { return check(build(spec), range); }

// Expects rejection with `error` and a reason containing `fragment`.
void expect_refused(const ElfSpec& spec, Error error, const std::string& fragment,
                    UserRange range = kUser) {
    Outcome o = check(spec, range);
    ASSERT_FALSE(o.ok) << "accepted, expected " << error_name(error);
    EXPECT_EQ(o.error, error) << "got " << error_name(o.error) << ": " << o.reason;
    EXPECT_NE(o.reason.find(fragment), std::string::npos)
        << "reason '" << o.reason << "' lacks '" << fragment << "'";
}

std::vector<uint8_t> read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(ElfValid, BaselineAcceptedWithItsSegments) {
    std::vector<uint8_t> bytes = build(valid_spec());
    auto r = ElfImage::parse(std::span<const uint8_t>(bytes), kUser);
    ASSERT_TRUE(r.ok()) << error_name(r.error());
    const ElfImage& img = r.value();
    EXPECT_EQ(img.entry(), 0x400100u);
    EXPECT_EQ(img.load_segment_count(), 3u);

    std::vector<LoadSegment> segs;
    for (LoadSegment s : img.load_segments()) segs.push_back(s);
    ASSERT_EQ(segs.size(), 3u);

    EXPECT_EQ(segs[0].vaddr, 0x400000u);
    EXPECT_EQ(segs[0].memsz, 0x1000u);
    EXPECT_EQ(segs[0].offset, 0u);
    EXPECT_EQ(segs[0].filesz, 0x1000u);
    EXPECT_EQ(segs[0].perms, (Permissions{true, false, true}));
    EXPECT_EQ(segs[0].index, 0);

    EXPECT_EQ(segs[1].vaddr, 0x401000u);
    EXPECT_EQ(segs[1].perms, (Permissions{true, false, false}));
    EXPECT_EQ(segs[1].index, 1);

    EXPECT_EQ(segs[2].vaddr, 0x402100u);
    EXPECT_EQ(segs[2].memsz, 0x2000u);
    EXPECT_EQ(segs[2].offset, 0x1100u);
    EXPECT_EQ(segs[2].filesz, 0x80u);
    EXPECT_EQ(segs[2].align, 0x1000u);
    EXPECT_EQ(segs[2].perms, (Permissions{true, true, false}));
    EXPECT_EQ(segs[2].index, 2);

    std::span<const uint8_t> data = img.file_bytes(segs[2]);
    ASSERT_EQ(data.size(), 0x80u);
    for (size_t i = 0; i < data.size(); ++i)
        ASSERT_EQ(data[i], craft::pattern_byte(0x1100 + i));

    ASSERT_TRUE(img.has_tls());
    EXPECT_EQ(img.tls().vaddr, 0x402100u);
    EXPECT_EQ(img.tls().offset, 0x1100u);
    EXPECT_EQ(img.tls().filesz, 0x10u);
    EXPECT_EQ(img.tls().memsz, 0x40u);
    EXPECT_EQ(img.tls().align, 8u);
    EXPECT_EQ(img.file_bytes(img.tls()).size(), 0x10u);
}

TEST(ElfValid, GnuOsAbiAndNoTlsAccepted) {
    ElfSpec s = valid_spec();
    s.ident_osabi = gabi::kOsAbiGnu;
    s.segments.erase(s.segments.begin() + 3);
    std::vector<uint8_t> bytes = build(s);
    auto r = ElfImage::parse(std::span<const uint8_t>(bytes), kUser);
    ASSERT_TRUE(r.ok()) << error_name(r.error());
    EXPECT_FALSE(r.value().has_tls());
}

TEST(ElfValid, ThirtyTwoHeadersAcceptedAndIgnoredTypesSkipped) {
    ElfSpec s = valid_spec();
    s.phoff = 0x1180;
    s.file_size = 0x1180 + 32 * 56;
    for (uint32_t t : {gabi::kPtNull, gabi::kPtNote, gabi::kPtPhdr, gabi::kPtGnuEhFrame,
                       gabi::kPtGnuRelro, gabi::kPtGnuProperty})
        s.segments.insert(s.segments.begin() + 1, SegmentSpec{t, kR, 0, 0x400000, 0, 0, 8});
    while (s.segments.size() < 32) s.segments.push_back(SegmentSpec{gabi::kPtNull, 0, 0, 0, 0, 0, 0});
    std::vector<uint8_t> bytes = build(s);
    auto r = ElfImage::parse(std::span<const uint8_t>(bytes), kUser);
    ASSERT_TRUE(r.ok()) << error_name(r.error());
    std::vector<uint16_t> idx;
    for (LoadSegment seg : r.value().load_segments()) idx.push_back(seg.index);
    EXPECT_EQ(idx, (std::vector<uint16_t>{0, 7, 8}));
}

TEST(ElfValid, AlignZeroReportedAsOne) {
    ElfSpec s = valid_spec();
    s.segments[1].align = 0;
    std::vector<uint8_t> bytes = build(s);
    auto r = ElfImage::parse(std::span<const uint8_t>(bytes), kUser);
    ASSERT_TRUE(r.ok());
    auto it = r.value().load_segments().begin();
    ++it;
    EXPECT_EQ((*it).align, 1u);
}

// ---- Header ----

TEST(ElfHeader, Truncated) {
    std::vector<uint8_t> full = build(valid_spec());
    for (size_t n : {0, 1, 4, 16, 63}) {
        Outcome o = check(std::vector<uint8_t>(full.begin(), full.begin() + n));
        ASSERT_FALSE(o.ok);
        EXPECT_EQ(o.error, Error::ElfTruncated) << n;
    }
}

TEST(ElfHeader, EveryStrictPrefixRefused) {
    std::vector<uint8_t> full = build(valid_spec());
    for (size_t n = 0; n < full.size(); ++n) {
        Outcome o = check(std::vector<uint8_t>(full.begin(), full.begin() + n));
        ASSERT_FALSE(o.ok) << "prefix of " << n << " bytes accepted";
    }
}

TEST(ElfHeader, BadMagic) {
    std::vector<uint8_t> b = build(valid_spec());
    b[1] = 'X';
    Outcome o = check(b);
    ASSERT_FALSE(o.ok);
    EXPECT_EQ(o.error, Error::ElfBadMagic);
}

TEST(ElfHeader, WrongClassEncodingVersionAbi) {
    ElfSpec s = valid_spec();
    s.ident_class = 1;
    expect_refused(s, Error::ElfBadIdent, "64-bit");
    s = valid_spec();
    s.ident_data = 2;
    expect_refused(s, Error::ElfBadIdent, "little-endian");
    s = valid_spec();
    s.ident_version = 0;
    expect_refused(s, Error::ElfBadIdent, "ident version");
    s = valid_spec();
    s.ident_osabi = 9;  // FreeBSD
    expect_refused(s, Error::ElfBadIdent, "OS ABI 9");
}

TEST(ElfHeader, WrongMachine) {
    ElfSpec s = valid_spec();
    s.machine = 183;  // AArch64
    expect_refused(s, Error::ElfWrongMachine, "machine 183");
}

TEST(ElfHeader, WrongType) {
    ElfSpec s = valid_spec();
    s.type = gabi::kTypeDyn;
    expect_refused(s, Error::ElfWrongType, "ET_DYN");
    s.type = 1;  // ET_REL
    expect_refused(s, Error::ElfWrongType, "type 1");
    s.type = 4;  // ET_CORE
    expect_refused(s, Error::ElfWrongType, "type 4");
}

TEST(ElfHeader, VersionAndHeaderSize) {
    ElfSpec s = valid_spec();
    s.version = 2;
    expect_refused(s, Error::ElfBadHeader, "ELF version 2");
    s = valid_spec();
    s.ehsize = 52;
    expect_refused(s, Error::ElfBadHeader, "header size 52");
}

// ---- Program header table ----

TEST(ElfPhdrs, EntrySizeAndCount) {
    ElfSpec s = valid_spec();
    s.phentsize = 32;
    expect_refused(s, Error::ElfBadProgramHeaders, "program header size 32");
    s = valid_spec();
    s.phnum = 0;
    expect_refused(s, Error::ElfBadProgramHeaders, "no program headers");
}

TEST(ElfPhdrs, TooMany) {
    ElfSpec s = valid_spec();
    s.phoff = 0x1180;
    s.file_size = 0x1180 + 33 * 56;
    while (s.segments.size() < 33) s.segments.push_back(SegmentSpec{gabi::kPtNull, 0, 0, 0, 0, 0, 0});
    expect_refused(s, Error::ElfTooManySegments, "33 program headers");
    s.phnum = 0xffff;  // PN_XNUM: extended numbering is not supported
    expect_refused(s, Error::ElfTooManySegments, "65535");
}

TEST(ElfPhdrs, TableOutOfBounds) {
    ElfSpec s = valid_spec();
    s.phoff = 0x1180 - 56 * 5;  // the table ends exactly at the end of the file
    ASSERT_TRUE(check(s).ok);
    s.phnum = 6;  // one entry more than the file holds
    expect_refused(s, Error::ElfBadProgramHeaders, "outside the file");
    s = valid_spec();
    s.phoff = 0x1180 - 56 * 4;  // last entry runs past the end
    expect_refused(s, Error::ElfBadProgramHeaders, "outside the file");
    s.phoff = 0x100000;
    expect_refused(s, Error::ElfBadProgramHeaders, "outside the file");
    s.phoff = UINT64_MAX - 8;  // offset + size wraps
    expect_refused(s, Error::ElfBadProgramHeaders, "outside the file");
}

TEST(ElfPhdrs, NoLoadSegment) {
    ElfSpec s = valid_spec();
    s.segments = {{gabi::kPtNote, kR, 0x100, 0, 0x10, 0x10, 4}};
    expect_refused(s, Error::ElfBadProgramHeaders, "no PT_LOAD");
}

TEST(ElfPhdrs, ShlibRefused) {
    ElfSpec s = valid_spec();
    s.segments.push_back({gabi::kPtShlib, 0, 0, 0, 0, 0, 0});
    expect_refused(s, Error::ElfBadProgramHeaders, "PT_SHLIB");
}

// ---- Load segments ----

TEST(ElfLoad, FileRangeOutsideFile) {
    ElfSpec s = valid_spec();
    s.segments[2].filesz = 0x81;  // one byte past the end
    expect_refused(s, Error::ElfBadSegment, "segment 2 file range");
    s = valid_spec();
    s.segments[1].offset = 0xfffffffffffff000;  // congruent, wraps with filesz
    s.segments[1].vaddr = 0x401000;
    expect_refused(s, Error::ElfBadSegment, "segment 1 file range");
}

TEST(ElfLoad, FileszAboveMemsz) {
    ElfSpec s = valid_spec();
    s.segments[1].memsz = 0xff;
    expect_refused(s, Error::ElfBadSegment, "segment 1 filesz 0x100 exceeds memsz 0xff");
}

TEST(ElfLoad, EmptySegment) {
    ElfSpec s = valid_spec();
    s.segments[1].filesz = 0;
    s.segments[1].memsz = 0;
    expect_refused(s, Error::ElfBadSegment, "segment 1 is empty");
}

TEST(ElfLoad, HugeMemsz) {
    ElfSpec s = valid_spec();
    s.segments[2].memsz = kMaxSegmentMemSize + 1;
    expect_refused(s, Error::ElfSegmentTooLarge, "segment 2 memsz");
    s.segments[2].memsz = UINT64_MAX;
    expect_refused(s, Error::ElfSegmentTooLarge, "segment 2 memsz");
}

TEST(ElfLoad, KernelHalfAddress) {
    ElfSpec s = valid_spec();
    s.segments[1].vaddr = 0xffffffff80001000;
    expect_refused(s, Error::ElfSegmentOutOfRange, "kernel half");
}

TEST(ElfLoad, NonCanonicalAddress) {
    ElfSpec s = valid_spec();
    s.segments[1].vaddr = 0x0000900000001000;
    expect_refused(s, Error::ElfSegmentOutOfRange, "not canonical");
}

TEST(ElfLoad, OutsideUserRange) {
    ElfSpec s = valid_spec();
    s.segments[1].vaddr = 0x1000;  // below min (null page region)
    expect_refused(s, Error::ElfSegmentOutOfRange, "outside the user range");
    s = valid_spec();
    s.segments[1].vaddr = kLowerHalfEnd - 0x1000;
    s.segments[1].memsz = 0x1001;  // crosses into the non-canonical hole
    expect_refused(s, Error::ElfSegmentOutOfRange, "outside the user range");
    // The same binary against a narrower caller range.
    expect_refused(valid_spec(), Error::ElfSegmentOutOfRange, "segment 2",
                   UserRange{0x200000, 0x402000});
    EXPECT_TRUE(check(valid_spec(), UserRange{0x400000, 0x405000}).ok);
    expect_refused(valid_spec(), Error::ElfSegmentOutOfRange, "segment 0",
                   UserRange{0x401000, 0x800000});
}

TEST(ElfLoad, BadUserRangeParameter) {
    for (UserRange r : {UserRange{0x1000, 0x1000}, UserRange{0x2000, 0x1000},
                        UserRange{0x1001, 0x800000}, UserRange{0x1000, 0x800001},
                        UserRange{0x1000, kLowerHalfEnd + 0x1000}}) {
        Outcome o = check(valid_spec(), r);
        ASSERT_FALSE(o.ok);
        EXPECT_EQ(o.error, Error::InvalidArgument);
    }
}

TEST(ElfLoad, Alignment) {
    ElfSpec s = valid_spec();
    s.segments[1].align = 0x1800;
    expect_refused(s, Error::ElfBadSegment, "segment 1 alignment 0x1800");
    s = valid_spec();
    s.segments[1].vaddr = 0x401010;  // offset 0x1000: incongruent
    expect_refused(s, Error::ElfBadSegment, "modulo the page size");
}

TEST(ElfLoad, OverlappingSegments) {
    ElfSpec s = valid_spec();
    s.segments[1].vaddr = 0x400000;  // same page as segment 0
    s.segments[1].offset = 0x0;
    expect_refused(s, Error::ElfSegmentOverlap, "segments 0 and 1");
    // Sharing only a page, not bytes, is also refused: pages are mapped whole.
    s = valid_spec();
    s.segments[2].vaddr = 0x401100;
    s.segments[2].offset = 0x1100;
    expect_refused(s, Error::ElfSegmentOverlap, "segments 1 and 2");
    // A later segment starting below an earlier one.
    s = valid_spec();
    s.segments[2].vaddr = 0x3ff100;
    s.segments[2].memsz = 0x1000;
    expect_refused(s, Error::ElfSegmentOverlap, "segments 0 and 2");
}

TEST(ElfLoad, WritableAndExecutable) {
    ElfSpec s = valid_spec();
    s.segments[2].flags = kR | kW | kX;
    expect_refused(s, Error::ElfWritableExecutable, "segment 2 is writable and executable");
}

TEST(ElfLoad, EntryOutsideExecutableSegment) {
    ElfSpec s = valid_spec();
    s.entry = 0x401000;  // read-only data
    expect_refused(s, Error::ElfBadEntry, "entry point 0x401000");
    s.entry = 0x401000 - 1;  // last byte of text: fine
    EXPECT_TRUE(check(s).ok);
    s.entry = 0;
    expect_refused(s, Error::ElfBadEntry, "entry point");
    s.entry = 0xffffffff80000000;
    expect_refused(s, Error::ElfBadEntry, "entry point");
}

// ---- Other segment types ----

TEST(ElfOther, ExecutableStack) {
    ElfSpec s = valid_spec();
    s.segments[4].flags = kR | kW | kX;
    expect_refused(s, Error::ElfExecutableStack, "segment 4");
}

TEST(ElfOther, InterpAndDynamicRefused) {
    ElfSpec s = valid_spec();
    s.segments.push_back({gabi::kPtInterp, kR, 0x1000, 0x401000, 0x1c, 0x1c, 1});
    expect_refused(s, Error::ElfNotStatic, "interpreter");
    s = valid_spec();
    s.segments.push_back({gabi::kPtDynamic, kR | kW, 0x1100, 0x402100, 0x10, 0x10, 8});
    expect_refused(s, Error::ElfNotStatic, "PT_DYNAMIC");
}

TEST(ElfOther, TlsChecks) {
    ElfSpec s = valid_spec();
    s.segments.push_back(s.segments[3]);
    expect_refused(s, Error::ElfBadTls, "second PT_TLS");
    s = valid_spec();
    s.segments[3].filesz = 0x41;
    expect_refused(s, Error::ElfBadTls, "filesz exceeds memsz");
    s = valid_spec();
    s.segments[3].offset = 0x1170;
    s.segments[3].filesz = 0x20;
    expect_refused(s, Error::ElfBadTls, "outside the file");
    s = valid_spec();
    s.segments[3].align = 12;
    expect_refused(s, Error::ElfBadTls, "power of two");
    s = valid_spec();
    s.segments[3].align = 2 * kMaxTlsAlign;
    expect_refused(s, Error::ElfBadTls, "exceeds");
    s = valid_spec();
    s.segments[3].memsz = kMaxSegmentMemSize + 1;
    expect_refused(s, Error::ElfBadTls, "too large");
}

// ---- Properties ----

// Any single corrupted byte either is refused with a reason, or yields an
// image whose every promise holds.
RC_GTEST_PROP(ElfProperty, MutatedBinariesKeepInvariants, ()) {
    std::vector<uint8_t> bytes = build(valid_spec());
    const size_t n = *rc::gen::inRange<size_t>(1, 6);
    for (size_t k = 0; k < n; ++k) {
        size_t pos = *rc::gen::inRange<size_t>(0, 64 + 5 * 56);
        bytes[pos] = *rc::gen::arbitrary<uint8_t>();
    }
    Rejection why;
    auto r = ElfImage::parse(std::span<const uint8_t>(bytes), kUser, &why);
    if (!r.ok()) {
        RC_ASSERT(!why.empty());
        return;
    }
    const ElfImage& img = r.value();
    bool entry_ok = false;
    std::vector<LoadSegment> segs;
    for (LoadSegment s : img.load_segments()) {
        RC_ASSERT(s.filesz <= s.memsz);
        RC_ASSERT(s.offset + s.filesz <= bytes.size());
        RC_ASSERT(s.vaddr >= kUser.min);
        RC_ASSERT(s.vaddr + s.memsz <= kUser.max);
        RC_ASSERT(!(s.perms.write && s.perms.execute));
        if (s.perms.execute && img.entry() >= s.vaddr && img.entry() < s.vaddr + s.memsz)
            entry_ok = true;
        for (const LoadSegment& o : segs) {
            uint64_t a0 = s.vaddr & ~0xfffull, a1 = (s.vaddr + s.memsz + 0xfff) & ~0xfffull;
            uint64_t b0 = o.vaddr & ~0xfffull, b1 = (o.vaddr + o.memsz + 0xfff) & ~0xfffull;
            RC_ASSERT(a1 <= b0 || b1 <= a0);
        }
        segs.push_back(s);
    }
    RC_ASSERT(entry_ok);
    RC_ASSERT(segs.size() == img.load_segment_count());
    if (img.has_tls()) RC_ASSERT(img.tls().offset + img.tls().filesz <= bytes.size());
}

RC_GTEST_PROP(ElfProperty, RandomBytesNeverCrash, (const std::vector<uint8_t>& tail)) {
    std::vector<uint8_t> bytes = build(valid_spec());
    bytes.resize(64);
    bytes.insert(bytes.end(), tail.begin(), tail.end());
    Rejection why;
    auto r = ElfImage::parse(std::span<const uint8_t>(bytes), kUser, &why);
    RC_ASSERT(r.ok() || !why.empty());
}

// ---- Real binaries from the host toolchain ----

TEST(ElfReal, FreestandingStaticAccepted) {
    std::vector<uint8_t> b = read_file(CAPOS_SAMPLE_FREESTANDING);
    ASSERT_GT(b.size(), 64u);
    Outcome o = check(b);
    EXPECT_TRUE(o.ok) << error_name(o.error) << ": " << o.reason;
}

TEST(ElfReal, StaticGlibcAcceptedWithTls) {
    std::vector<uint8_t> b = read_file(CAPOS_SAMPLE_STATIC_GLIBC);
    ASSERT_GT(b.size(), 64u);
    Rejection why;
    auto r = ElfImage::parse(std::span<const uint8_t>(b), kUser, &why);
    ASSERT_TRUE(r.ok()) << error_name(r.error()) << ": " << why.c_str();
    EXPECT_TRUE(r.value().has_tls());
    EXPECT_GE(r.value().tls().filesz, 4u);  // holds `counter = 42`
    size_t exec = 0;
    for (LoadSegment s : r.value().load_segments()) exec += s.perms.execute;
    EXPECT_EQ(exec, 1u);
}

TEST(ElfReal, DynamicRefused) {
    Outcome o = check(read_file(CAPOS_SAMPLE_DYNAMIC));
    ASSERT_FALSE(o.ok);
    EXPECT_EQ(o.error, Error::ElfNotStatic) << o.reason;
}

TEST(ElfReal, PieRefused) {
    Outcome o = check(read_file(CAPOS_SAMPLE_PIE));
    ASSERT_FALSE(o.ok);
    EXPECT_EQ(o.error, Error::ElfWrongType) << o.reason;
}

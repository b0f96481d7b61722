#include "lib/elf/elf.hpp"

#include "lib/base/checked.hpp"
#include "lib/base/format.hpp"

namespace capos::elf {

namespace {

// Byte-wise little-endian loads: no alignment assumption on the file.
// Precondition: [off, off + n) lies inside `bytes`.
uint64_t load_le(std::span<const uint8_t> bytes, size_t off, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{bytes[off + i]} << (8 * i);
    return v;
}
uint16_t load16(std::span<const uint8_t> b, size_t off) {
    return static_cast<uint16_t>(load_le(b, off, 2));
}
uint32_t load32(std::span<const uint8_t> b, size_t off) {
    return static_cast<uint32_t>(load_le(b, off, 4));
}
uint64_t load64(std::span<const uint8_t> b, size_t off) { return load_le(b, off, 8); }

struct Phdr {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};

// Precondition: the whole table was bounds-checked against the file.
Phdr read_phdr(std::span<const uint8_t> file, uint64_t ph_offset, size_t index) {
    size_t base = static_cast<size_t>(ph_offset) + index * gabi::kPhdrSize;
    return Phdr{
        load32(file, base + gabi::kPhType),   load32(file, base + gabi::kPhFlags),
        load64(file, base + gabi::kPhOffset), load64(file, base + gabi::kPhVaddr),
        load64(file, base + gabi::kPhFilesz), load64(file, base + gabi::kPhMemsz),
        load64(file, base + gabi::kPhAlign),
    };
}

Permissions permissions_of(uint32_t flags) {
    return Permissions{(flags & gabi::kPfR) != 0, (flags & gabi::kPfW) != 0,
                       (flags & gabi::kPfX) != 0};
}

// Not std::has_single_bit: that needs libgcc's __popcountdi2 in the kernel.
bool power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// p_align 0 and 1 both mean "no constraint".
uint64_t effective_align(uint64_t align) { return align <= 1 ? 1 : align; }

bool canonical(uint64_t va) {
    uint64_t top = va >> 47;
    return top == 0 || top == (uint64_t{1} << 17) - 1;
}

template <typename... Args>
Error reject(Rejection* why, Error e, StringView fmt, const Args&... args) {
    if (why) format_to(why->buffer(), Rejection::kCapacity, fmt, args...);
    return e;
}

// A page-granular virtual range [start, end) of one load segment.
struct PageSpan {
    uint64_t start;
    uint64_t end;
    uint16_t index;
};

}  // namespace

Result<ElfImage> ElfImage::parse(std::span<const uint8_t> file, UserRange range,
                                 Rejection* why) {
    if (why) why->buffer()[0] = '\0';

    if (range.min >= range.max || range.max > kLowerHalfEnd ||
        !is_aligned(range.min, kPageSize) || !is_aligned(range.max, kPageSize))
        return reject(why, Error::InvalidArgument, "bad user range [{:#x}, {:#x})", range.min,
                      range.max);

    // ---- ELF header ----
    if (file.size() < gabi::kEhdrSize)
        return reject(why, Error::ElfTruncated, "file is {} bytes, shorter than an ELF header",
                      file.size());
    if (file[0] != 0x7f || file[1] != 'E' || file[2] != 'L' || file[3] != 'F')
        return reject(why, Error::ElfBadMagic, "not an ELF file (bad magic)");
    if (file[4] != gabi::kClass64)
        return reject(why, Error::ElfBadIdent, "not a 64-bit ELF file (class {})", file[4]);
    if (file[5] != gabi::kData2Lsb)
        return reject(why, Error::ElfBadIdent, "not little-endian (data encoding {})", file[5]);
    if (file[6] != gabi::kVersionCurrent)
        return reject(why, Error::ElfBadIdent, "unknown ident version {}", file[6]);
    if (file[7] != gabi::kOsAbiSysv && file[7] != gabi::kOsAbiGnu)
        return reject(why, Error::ElfBadIdent, "unsupported OS ABI {}", file[7]);

    uint16_t machine = load16(file, gabi::kEhMachine);
    if (machine != gabi::kMachineX86_64)
        return reject(why, Error::ElfWrongMachine, "machine {} is not x86_64", machine);
    uint16_t type = load16(file, gabi::kEhType);
    if (type == gabi::kTypeDyn)
        return reject(why, Error::ElfWrongType,
                      "position-independent (ET_DYN) binaries are not supported");
    if (type != gabi::kTypeExec)
        return reject(why, Error::ElfWrongType, "type {} is not an executable", type);
    uint32_t version = load32(file, gabi::kEhVersion);
    if (version != gabi::kVersionCurrent)
        return reject(why, Error::ElfBadHeader, "unknown ELF version {}", version);
    uint16_t ehsize = load16(file, gabi::kEhEhsize);
    if (ehsize != gabi::kEhdrSize)
        return reject(why, Error::ElfBadHeader, "header size {} is not {}", ehsize,
                      gabi::kEhdrSize);

    // ---- Program header table ----
    uint16_t phnum = load16(file, gabi::kEhPhnum);
    uint16_t phentsize = load16(file, gabi::kEhPhentsize);
    uint64_t phoff = load64(file, gabi::kEhPhoff);
    if (phnum == 0) return reject(why, Error::ElfBadProgramHeaders, "no program headers");
    if (phnum > kMaxProgramHeaders)
        return reject(why, Error::ElfTooManySegments, "{} program headers, at most {} allowed",
                      phnum, kMaxProgramHeaders);
    if (phentsize != gabi::kPhdrSize)
        return reject(why, Error::ElfBadProgramHeaders, "program header size {} is not {}",
                      phentsize, gabi::kPhdrSize);
    if (!range_within<uint64_t>(phoff, uint64_t{phnum} * gabi::kPhdrSize, file.size()))
        return reject(why, Error::ElfBadProgramHeaders,
                      "program header table ({} entries at offset {:#x}) outside the file",
                      phnum, phoff);

    // ---- Segments ----
    ElfImage image;
    image.file_ = file;
    image.ph_offset_ = phoff;
    image.ph_count_ = phnum;
    image.entry_ = load64(file, gabi::kEhEntry);

    PageSpan spans[kMaxProgramHeaders];
    size_t nspans = 0;
    bool entry_ok = false;

    for (size_t i = 0; i < phnum; ++i) {
        Phdr ph = read_phdr(file, phoff, i);
        switch (ph.type) {
        case gabi::kPtLoad: {
            if (ph.memsz == 0)
                return reject(why, Error::ElfBadSegment, "segment {} is empty", i);
            if (!range_within<uint64_t>(ph.offset, ph.filesz, file.size()))
                return reject(why, Error::ElfBadSegment,
                              "segment {} file range [{:#x} +{:#x}) is outside the file", i,
                              ph.offset, ph.filesz);
            if (ph.filesz > ph.memsz)
                return reject(why, Error::ElfBadSegment,
                              "segment {} filesz {:#x} exceeds memsz {:#x}", i, ph.filesz,
                              ph.memsz);
            if (ph.memsz > kMaxSegmentMemSize)
                return reject(why, Error::ElfSegmentTooLarge,
                              "segment {} memsz {:#x} exceeds the limit {:#x}", i, ph.memsz,
                              kMaxSegmentMemSize);
            if (!canonical(ph.vaddr))
                return reject(why, Error::ElfSegmentOutOfRange,
                              "segment {} address {:#x} is not canonical", i, ph.vaddr);
            if (ph.vaddr >= kLowerHalfEnd)
                return reject(why, Error::ElfSegmentOutOfRange,
                              "segment {} address {:#x} is in the kernel half", i, ph.vaddr);
            // vaddr < 2^47 and memsz <= 2^30: no overflow.
            uint64_t end = ph.vaddr + ph.memsz;
            if (ph.vaddr < range.min || end > range.max)
                return reject(why, Error::ElfSegmentOutOfRange,
                              "segment {} [{:#x}, {:#x}) is outside the user range", i,
                              ph.vaddr, end);
            if (ph.align > 1 && !power_of_two(ph.align))
                return reject(why, Error::ElfBadSegment,
                              "segment {} alignment {:#x} is not a power of two", i, ph.align);
            if (ph.vaddr % kPageSize != ph.offset % kPageSize)
                return reject(why, Error::ElfBadSegment,
                              "segment {} address and file offset disagree modulo the page size",
                              i);
            Permissions p = permissions_of(ph.flags);
            if (p.write && p.execute)
                return reject(why, Error::ElfWritableExecutable,
                              "segment {} is writable and executable", i);

            // range.max is page aligned and end <= range.max: no overflow.
            PageSpan span{align_down(ph.vaddr, kPageSize), align_up(end, kPageSize),
                          static_cast<uint16_t>(i)};
            for (size_t j = 0; j < nspans; ++j) {
                if (span.start < spans[j].end && spans[j].start < span.end)
                    return reject(why, Error::ElfSegmentOverlap,
                                  "segments {} and {} share a page", spans[j].index, i);
            }
            spans[nspans++] = span;
            if (p.execute && image.entry_ >= ph.vaddr && image.entry_ < end) entry_ok = true;
            break;
        }
        case gabi::kPtTls: {
            if (image.has_tls_)
                return reject(why, Error::ElfBadTls, "segment {} is a second PT_TLS", i);
            if (!range_within<uint64_t>(ph.offset, ph.filesz, file.size()))
                return reject(why, Error::ElfBadTls,
                              "TLS segment {} file range is outside the file", i);
            if (ph.filesz > ph.memsz)
                return reject(why, Error::ElfBadTls, "TLS segment {} filesz exceeds memsz", i);
            if (ph.memsz > kMaxSegmentMemSize)
                return reject(why, Error::ElfBadTls, "TLS segment {} memsz {:#x} is too large",
                              i, ph.memsz);
            if (ph.align > 1 && !power_of_two(ph.align))
                return reject(why, Error::ElfBadTls,
                              "TLS segment {} alignment {:#x} is not a power of two", i,
                              ph.align);
            if (ph.align > kMaxTlsAlign)
                return reject(why, Error::ElfBadTls,
                              "TLS segment {} alignment {:#x} exceeds {:#x}", i, ph.align,
                              kMaxTlsAlign);
            image.has_tls_ = true;
            image.tls_ = TlsTemplate{ph.vaddr, ph.memsz, ph.offset, ph.filesz,
                                     effective_align(ph.align)};
            break;
        }
        case gabi::kPtGnuStack:
            if (ph.flags & gabi::kPfX)
                return reject(why, Error::ElfExecutableStack,
                              "segment {} requests an executable stack", i);
            break;
        case gabi::kPtInterp:
            return reject(why, Error::ElfNotStatic,
                          "segment {} names an interpreter (dynamically linked)", i);
        case gabi::kPtDynamic:
            return reject(why, Error::ElfNotStatic,
                          "segment {} is PT_DYNAMIC (dynamically linked)", i);
        case gabi::kPtShlib:
            return reject(why, Error::ElfBadProgramHeaders, "segment {} has reserved type PT_SHLIB",
                          i);
        default:
            // PT_NULL, PT_NOTE, PT_PHDR, PT_GNU_EH_FRAME, PT_GNU_RELRO,
            // PT_GNU_PROPERTY and OS/processor-specific types are not loaded.
            break;
        }
    }

    if (nspans == 0) return reject(why, Error::ElfBadProgramHeaders, "no PT_LOAD segment");
    if (!entry_ok)
        return reject(why, Error::ElfBadEntry,
                      "entry point {:#x} is not inside an executable segment", image.entry_);

    image.load_count_ = static_cast<uint16_t>(nspans);
    return image;
}

LoadSegments ElfImage::load_segments() const {
    return LoadSegments{LoadSegmentIterator(this, 0), LoadSegmentIterator(this, ph_count_)};
}

LoadSegmentIterator::LoadSegmentIterator(const ElfImage* image, size_t index)
    : image_(image), index_(index) {
    skip_non_load();
}

void LoadSegmentIterator::skip_non_load() {
    while (index_ < image_->ph_count_ &&
           read_phdr(image_->file_, image_->ph_offset_, index_).type != gabi::kPtLoad)
        ++index_;
}

LoadSegment LoadSegmentIterator::operator*() const {
    Phdr ph = read_phdr(image_->file_, image_->ph_offset_, index_);
    return LoadSegment{ph.vaddr,
                       ph.memsz,
                       ph.offset,
                       ph.filesz,
                       effective_align(ph.align),
                       permissions_of(ph.flags),
                       static_cast<uint16_t>(index_)};
}

LoadSegmentIterator& LoadSegmentIterator::operator++() {
    ++index_;
    skip_non_load();
    return *this;
}

}  // namespace capos::elf

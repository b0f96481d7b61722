// ELF64 validation for loading static x86_64 user programs.
//
// ElfImage::parse() is pure: it reads the caller's bytes, allocates nothing
// and changes nothing. It accepts only what the loader can load safely and
// rejects everything else with a typed Error plus a short reason
// ("segment 2 is writable and executable") for the kernel log. The checks
// and their reasons are listed in docs/elf-and-paging.md.
//
// After a successful parse the loader iterates the PT_LOAD segments, reads
// the optional TLS template and the entry point. Every value handed out has
// been validated: file ranges lie inside the file, memory ranges inside the
// caller's user range, filesz <= memsz, and no two load segments share a page.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"

namespace capos::elf {

inline constexpr uint64_t kPageSize = 4096;
// At most this many program headers (all types counted).
inline constexpr size_t kMaxProgramHeaders = 32;
// Largest memsz of one PT_LOAD or PT_TLS segment: 1 GiB.
inline constexpr uint64_t kMaxSegmentMemSize = uint64_t{1} << 30;
// Largest PT_TLS alignment the runtime's TLS area supports.
inline constexpr uint64_t kMaxTlsAlign = kPageSize;
// First non-canonical address above the lower (user) half.
inline constexpr uint64_t kLowerHalfEnd = uint64_t{1} << 47;

// The virtual range [min, max) load segments must lie in. Both bounds page
// aligned, min < max <= kLowerHalfEnd; parse() fails with InvalidArgument
// otherwise. Example: {0x200000, kLowerHalfEnd}.
struct UserRange {
    uint64_t min;
    uint64_t max;
};

struct Permissions {
    bool read = false;
    bool write = false;
    bool execute = false;
    friend bool operator==(const Permissions&, const Permissions&) = default;
};

// One validated PT_LOAD segment. Bytes [offset, offset + filesz) of the file
// are copied to [vaddr, vaddr + filesz); the rest up to memsz is zero.
// Invariant: the pages [align_down(vaddr), align_up(vaddr + memsz)) lie in
// the UserRange and belong to no other load segment; never W and X.
struct LoadSegment {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t offset;
    uint64_t filesz;
    uint64_t align;  // 1 when the header says 0 or 1; otherwise a power of two
    Permissions perms;
    uint16_t index;  // position in the program header table
};

// The PT_TLS initialisation image: filesz bytes at file offset `offset`,
// then zeroes up to memsz, in a block aligned to `align` (a power of two,
// at most kMaxTlsAlign).
struct TlsTemplate {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t offset;
    uint64_t filesz;
    uint64_t align;
};

// Why a binary was refused, for the log: "segment 2 is writable and
// executable". Always NUL-terminated; never contains file contents beyond
// numbers.
class Rejection {
public:
    static constexpr size_t kCapacity = 96;
    const char* c_str() const { return text_; }
    StringView view() const { return StringView(text_); }
    bool empty() const { return text_[0] == '\0'; }

    // Used by the validator.
    char* buffer() { return text_; }

private:
    char text_[kCapacity] = {};
};

class ElfImage;

// Forward iteration over the PT_LOAD segments of a validated image, in
// program header order.
class LoadSegmentIterator {
public:
    LoadSegment operator*() const;
    LoadSegmentIterator& operator++();
    bool operator==(const LoadSegmentIterator& o) const { return index_ == o.index_; }

private:
    friend class ElfImage;
    LoadSegmentIterator(const ElfImage* image, size_t index);
    void skip_non_load();
    const ElfImage* image_;
    size_t index_;
};

struct LoadSegments {
    LoadSegmentIterator first;
    LoadSegmentIterator last;
    LoadSegmentIterator begin() const { return first; }
    LoadSegmentIterator end() const { return last; }
};

// A validated ELF image. Holds a view of the caller's bytes, which must
// outlive it and must not change after parse() (the loader reads the file
// contents through it; validation is not repeated).
class ElfImage {
public:
    // Validate `file` as a static x86_64 executable whose load segments lie
    // in `range`. On failure returns the specific Elf* error (or
    // InvalidArgument for a bad `range`) and, if `why` is non-null, writes a
    // reason there. Checks run in a fixed order; the first failure wins.
    static Result<ElfImage> parse(std::span<const uint8_t> file, UserRange range,
                                  Rejection* why = nullptr);

    uint64_t entry() const { return entry_; }
    size_t load_segment_count() const { return load_count_; }
    LoadSegments load_segments() const;
    bool has_tls() const { return has_tls_; }
    // Valid only when has_tls().
    const TlsTemplate& tls() const { return tls_; }

    // The file bytes of a segment or of the TLS template, inside the file.
    std::span<const uint8_t> file_bytes(const LoadSegment& s) const {
        return file_.subspan(s.offset, s.filesz);
    }
    std::span<const uint8_t> file_bytes(const TlsTemplate& t) const {
        return file_.subspan(t.offset, t.filesz);
    }

private:
    friend class LoadSegmentIterator;
    ElfImage() = default;

    std::span<const uint8_t> file_;
    uint64_t ph_offset_ = 0;
    uint16_t ph_count_ = 0;
    uint16_t load_count_ = 0;
    uint64_t entry_ = 0;
    bool has_tls_ = false;
    TlsTemplate tls_{};
};

// ELF constants (the generic ABI) the validator and tests share.
namespace gabi {
inline constexpr size_t kEhdrSize = 64;
inline constexpr size_t kPhdrSize = 56;
inline constexpr uint8_t kClass64 = 2;
inline constexpr uint8_t kData2Lsb = 1;
inline constexpr uint8_t kVersionCurrent = 1;
inline constexpr uint8_t kOsAbiSysv = 0;
inline constexpr uint8_t kOsAbiGnu = 3;
inline constexpr uint16_t kTypeExec = 2;
inline constexpr uint16_t kTypeDyn = 3;
inline constexpr uint16_t kMachineX86_64 = 62;

inline constexpr uint32_t kPtNull = 0;
inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPtDynamic = 2;
inline constexpr uint32_t kPtInterp = 3;
inline constexpr uint32_t kPtNote = 4;
inline constexpr uint32_t kPtShlib = 5;
inline constexpr uint32_t kPtPhdr = 6;
inline constexpr uint32_t kPtTls = 7;
inline constexpr uint32_t kPtGnuEhFrame = 0x6474e550;
inline constexpr uint32_t kPtGnuStack = 0x6474e551;
inline constexpr uint32_t kPtGnuRelro = 0x6474e552;
inline constexpr uint32_t kPtGnuProperty = 0x6474e553;

inline constexpr uint32_t kPfX = 1;
inline constexpr uint32_t kPfW = 2;
inline constexpr uint32_t kPfR = 4;

// Field offsets in Elf64_Ehdr.
inline constexpr size_t kEhType = 16;
inline constexpr size_t kEhMachine = 18;
inline constexpr size_t kEhVersion = 20;
inline constexpr size_t kEhEntry = 24;
inline constexpr size_t kEhPhoff = 32;
inline constexpr size_t kEhEhsize = 52;
inline constexpr size_t kEhPhentsize = 54;
inline constexpr size_t kEhPhnum = 56;

// Field offsets in Elf64_Phdr.
inline constexpr size_t kPhType = 0;
inline constexpr size_t kPhFlags = 4;
inline constexpr size_t kPhOffset = 8;
inline constexpr size_t kPhVaddr = 16;
inline constexpr size_t kPhFilesz = 32;
inline constexpr size_t kPhMemsz = 40;
inline constexpr size_t kPhAlign = 48;
}  // namespace gabi

}  // namespace capos::elf

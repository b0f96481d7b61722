// libFuzzer target for lib/elf: any input is either refused with a reason or
// yields an image that keeps every promise elf.hpp makes to the loader.
#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/elf/elf.hpp"

using namespace capos;
using namespace capos::elf;

namespace {

#define FUZZ_ASSERT(cond)              \
    do {                               \
        if (!(cond)) __builtin_trap(); \
    } while (0)

void check(std::span<const uint8_t> file, UserRange range) {
    Rejection why;
    auto r = ElfImage::parse(file, range, &why);
    if (!r.ok()) {
        FUZZ_ASSERT(!why.empty());
        return;
    }
    FUZZ_ASSERT(why.empty());
    const ElfImage& img = r.value();

    // Page-granular spans of the segments seen so far.
    uint64_t starts[kMaxProgramHeaders], ends[kMaxProgramHeaders];
    size_t n = 0;
    bool entry_ok = false;
    for (LoadSegment s : img.load_segments()) {
        FUZZ_ASSERT(n < kMaxProgramHeaders);
        FUZZ_ASSERT(s.memsz > 0 && s.filesz <= s.memsz && s.memsz <= kMaxSegmentMemSize);
        FUZZ_ASSERT(s.offset <= file.size() && s.filesz <= file.size() - s.offset);
        FUZZ_ASSERT(img.file_bytes(s).size() == s.filesz);
        FUZZ_ASSERT(s.vaddr >= range.min && s.vaddr + s.memsz <= range.max);
        FUZZ_ASSERT(!(s.perms.write && s.perms.execute));
        FUZZ_ASSERT((s.align & (s.align - 1)) == 0 && s.align != 0);
        FUZZ_ASSERT(s.vaddr % kPageSize == s.offset % kPageSize);
        uint64_t a = s.vaddr & ~(kPageSize - 1);
        uint64_t b = (s.vaddr + s.memsz + kPageSize - 1) & ~(kPageSize - 1);
        for (size_t j = 0; j < n; ++j) FUZZ_ASSERT(b <= starts[j] || ends[j] <= a);
        starts[n] = a;
        ends[n] = b;
        ++n;
        if (s.perms.execute && img.entry() >= s.vaddr && img.entry() < s.vaddr + s.memsz)
            entry_ok = true;
    }
    FUZZ_ASSERT(n == img.load_segment_count() && n > 0);
    FUZZ_ASSERT(entry_ok);
    if (img.has_tls()) {
        const TlsTemplate& t = img.tls();
        FUZZ_ASSERT(t.offset <= file.size() && t.filesz <= file.size() - t.offset);
        FUZZ_ASSERT(t.filesz <= t.memsz && t.memsz <= kMaxSegmentMemSize);
        FUZZ_ASSERT(t.align != 0 && (t.align & (t.align - 1)) == 0 && t.align <= kMaxTlsAlign);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> file(data, size);
    check(file, UserRange{0x200000, kLowerHalfEnd});
    check(file, UserRange{0x400000, 0x404000});
    return 0;
}

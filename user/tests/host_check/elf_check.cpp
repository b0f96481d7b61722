// user_elf_check: runs the kernel's ELF validator (lib/elf) over built user
// programs and checks the layout user/rt/user.ld promises. Used by the CTest
// test host.user_elf_valid (cmake/user.cmake adds every program).
//
// Usage: user_elf_check [tls:]FILE...
//   "tls:" marks a program that must have PT_TLS; every other one must not.
//
// Per file, all of:
//   - ElfImage::parse accepts it for [kUserImageMin, kUserImageLimit);
//   - PT_LOAD segments start page aligned; exactly one is R X (the entry
//     point is its first byte), at most one R W, the rest R only;
//   - PT_GNU_STACK is present and RW (not executable);
//   - PT_TLS present exactly when expected, and fits the TLS region;
//   - the same bytes with the code segment made writable are refused with
//     ElfWritableExecutable (the check is live, not vacuous).
// Exit status 0 when every file passed, 1 otherwise.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "abi/layout.hpp"
#include "lib/base/checked.hpp"
#include "lib/elf/elf.hpp"

namespace {

using namespace capos;
namespace gabi = elf::gabi;

uint64_t load(const std::vector<uint8_t>& b, size_t off, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{b[off + i]} << (8 * i);
    return v;
}

bool fail(const std::string& file, const std::string& why) {
    std::fprintf(stderr, "FAIL %s: %s\n", file.c_str(), why.c_str());
    return false;
}

bool check(const std::string& file, bool expect_tls) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(file, "cannot open");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    const elf::UserRange range{abi::kUserImageMin, abi::kUserImageLimit};

    elf::Rejection why;
    auto parsed = elf::ElfImage::parse(bytes, range, &why);
    if (!parsed) return fail(file, std::string("validator refused it: ") + why.c_str());
    const elf::ElfImage& image = parsed.value();

    int rx = 0, rw = 0, r = 0;
    uint64_t rx_vaddr = 0;
    for (elf::LoadSegment s : image.load_segments()) {
        if (s.vaddr % elf::kPageSize != 0 || s.offset % elf::kPageSize != 0)
            return fail(file, "segment " + std::to_string(s.index) + " is not page aligned");
        if (!s.perms.read) return fail(file, "segment " + std::to_string(s.index) + " unreadable");
        if (s.perms.execute) {
            ++rx;
            rx_vaddr = s.vaddr;
        } else if (s.perms.write) {
            ++rw;
        } else {
            ++r;
        }
    }
    if (rx != 1 || rw > 1 || r < 1)
        return fail(file, "expected one R X, at most one R W and some R segments; got " +
                              std::to_string(rx) + "/" + std::to_string(rw) + "/" +
                              std::to_string(r));
    if (image.entry() != rx_vaddr) return fail(file, "entry point is not the start of .text");

    // Program headers the validator does not insist on.
    size_t phoff = load(bytes, gabi::kEhPhoff, 8);
    size_t phnum = load(bytes, gabi::kEhPhnum, 2);
    bool stack_seen = false;
    size_t text_phdr = 0;
    for (size_t i = 0; i < phnum; ++i) {
        size_t base = phoff + i * gabi::kPhdrSize;
        auto type = static_cast<uint32_t>(load(bytes, base + gabi::kPhType, 4));
        auto flags = static_cast<uint32_t>(load(bytes, base + gabi::kPhFlags, 4));
        if (type == gabi::kPtGnuStack) {
            stack_seen = true;
            if (flags != (gabi::kPfR | gabi::kPfW)) return fail(file, "PT_GNU_STACK is not RW");
        }
        if (type == gabi::kPtLoad && (flags & gabi::kPfX)) text_phdr = base;
    }
    if (!stack_seen) return fail(file, "no PT_GNU_STACK (stack would default to executable)");

    if (image.has_tls() != expect_tls)
        return fail(file, expect_tls ? "expected PT_TLS, found none" : "unexpected PT_TLS");
    if (image.has_tls()) {
        const elf::TlsTemplate& t = image.tls();
        uint64_t block = 0;
        if (!checked_align_up(t.memsz, t.align, &block) || block > abi::kTlsMaxBytes)
            return fail(file, "TLS block does not fit the TLS region");
    }

    // Liveness: make the code segment writable; the validator must refuse.
    std::vector<uint8_t> mutated = bytes;
    mutated[text_phdr + gabi::kPhFlags] |= gabi::kPfW;
    auto bad = elf::ElfImage::parse(mutated, range, nullptr);
    if (bad || bad.error() != Error::ElfWritableExecutable)
        return fail(file, "a writable code segment was not refused");

    std::printf("ok %s: entry %#llx, %zu load segments%s\n", file.c_str(),
                static_cast<unsigned long long>(image.entry()), image.load_segment_count(),
                image.has_tls() ? ", TLS" : "");
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s [tls:]FILE...\n", argv[0]);
        return 2;
    }
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        bool tls = arg.rfind("tls:", 0) == 0;
        if (!check(tls ? arg.substr(4) : arg, tls)) ok = false;
    }
    return ok ? 0 : 1;
}

// Builds ELF64 files byte by byte for the validator tests. Every field is
// settable, including wrong ones; the defaults describe a small valid static
// x86_64 executable (see valid_spec()).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace capos::elf::craft {

struct SegmentSpec {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};

struct ElfSpec {
    uint8_t ident_class = 2;
    uint8_t ident_data = 1;
    uint8_t ident_version = 1;
    uint8_t ident_osabi = 0;
    uint16_t type = 2;
    uint16_t machine = 62;
    uint32_t version = 1;
    uint64_t entry = 0;
    uint64_t phoff = 64;
    uint16_t ehsize = 64;
    uint16_t phentsize = 56;
    std::optional<uint16_t> phnum;  // default: segments.size()
    std::vector<SegmentSpec> segments;
    // Total file size (at least 64). Header and table bytes past it are dropped.
    uint64_t file_size = 0;
};

// The valid baseline:
//   0: PT_LOAD R+X  vaddr 0x400000 off 0x0    filesz 0x1000 memsz 0x1000 (headers + text)
//   1: PT_LOAD R    vaddr 0x401000 off 0x1000 filesz 0x100  memsz 0x100
//   2: PT_LOAD R+W  vaddr 0x402100 off 0x1100 filesz 0x80   memsz 0x2000 (data + bss)
//   3: PT_TLS  R    vaddr 0x402100 off 0x1100 filesz 0x10   memsz 0x40   align 8
//   4: PT_GNU_STACK R+W
// entry 0x400100, file size 0x1180.
ElfSpec valid_spec();

// Serialises `spec`. Bytes not covered by the header or the program header
// table hold a position-dependent pattern so tests can check file_bytes().
std::vector<uint8_t> build(const ElfSpec& spec);

inline uint8_t pattern_byte(uint64_t offset) {
    return static_cast<uint8_t>((offset * 7 + 3) & 0xff);
}

}  // namespace capos::elf::craft

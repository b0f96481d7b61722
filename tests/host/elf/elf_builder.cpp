#include "tests/host/elf/elf_builder.hpp"

#include <algorithm>

namespace capos::elf::craft {

namespace {

void put(std::vector<uint8_t>& out, uint64_t off, uint64_t value, int n) {
    for (int i = 0; i < n; ++i)
        if (off + i < out.size()) out[off + i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace

ElfSpec valid_spec() {
    ElfSpec s;
    s.entry = 0x400100;
    s.segments = {
        {1, 5, 0x0, 0x400000, 0x1000, 0x1000, 0x1000},
        {1, 4, 0x1000, 0x401000, 0x100, 0x100, 0x1000},
        {1, 6, 0x1100, 0x402100, 0x80, 0x2000, 0x1000},
        {7, 4, 0x1100, 0x402100, 0x10, 0x40, 8},
        {0x6474e551, 6, 0, 0, 0, 0, 16},
    };
    s.file_size = 0x1180;
    return s;
}

std::vector<uint8_t> build(const ElfSpec& spec) {
    uint16_t phnum = spec.phnum.value_or(static_cast<uint16_t>(spec.segments.size()));
    uint64_t size = std::max<uint64_t>(spec.file_size, 64);
    std::vector<uint8_t> out(size);
    for (uint64_t i = 0; i < size; ++i) out[i] = pattern_byte(i);

    std::fill(out.begin(), out.begin() + 64, 0);
    out[0] = 0x7f;
    out[1] = 'E';
    out[2] = 'L';
    out[3] = 'F';
    out[4] = spec.ident_class;
    out[5] = spec.ident_data;
    out[6] = spec.ident_version;
    out[7] = spec.ident_osabi;
    put(out, 16, spec.type, 2);
    put(out, 18, spec.machine, 2);
    put(out, 20, spec.version, 4);
    put(out, 24, spec.entry, 8);
    put(out, 32, spec.phoff, 8);
    put(out, 52, spec.ehsize, 2);
    put(out, 54, spec.phentsize, 2);
    put(out, 56, phnum, 2);

    for (size_t i = 0; i < spec.segments.size(); ++i) {
        const SegmentSpec& g = spec.segments[i];
        uint64_t b = spec.phoff + i * spec.phentsize;
        if (b >= size) break;
        std::fill(out.begin() + b, out.begin() + std::min<uint64_t>(b + spec.phentsize, size), 0);
        put(out, b + 0, g.type, 4);
        put(out, b + 4, g.flags, 4);
        put(out, b + 8, g.offset, 8);
        put(out, b + 16, g.vaddr, 8);
        put(out, b + 24, g.vaddr, 8);  // p_paddr
        put(out, b + 32, g.filesz, 8);
        put(out, b + 40, g.memsz, 8);
        put(out, b + 48, g.align, 8);
    }
    return out;
}

}  // namespace capos::elf::craft

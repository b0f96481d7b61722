// vm_check: the VirtualMemory capability (qemu.memory_vm). Each check
// prints nothing on success; the program exits with the number of the
// first failed check, or, when all pass, writes to a page it made
// read-only, which must end this process (and only it) with a page fault:
//   1 setup (no "vm" VirtualMemory, no console)
//   2 map RW, write, read back              3 usage counts the mapped pages
//   4 RWX, write-only, unknown prot bits    5 misaligned/zero/outside ranges
//   6 ring, CapSet, stack, image, TLS refused (unmap, protect, hint)
//   7 protect RO, still readable            8 hint: used when free, refused when taken
//   9 unmap, then unmap again refused       10 reserve/commit/decommit
//   11 usage back to its baseline           12 printing failed
#include <cstdint>

#include "abi/layout.hpp"
#include "lib/base/format.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/console.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/transport.hpp"

namespace {
namespace rt = capos::rt;
namespace schema = capos::schema;
using capos::rpc::CallBuffers;
using capos::rpc::ExceptionKind;

capos::capnp::Word g_params[16];
alignas(8) uint8_t g_results[256];

constexpr uint64_t kPage = 4096;
constexpr uint32_t R = schema::kProtRead, W = schema::kProtWrite, X = schema::kProtExec;

using capos::rpc::raised;

struct Usage {
    uint64_t frames, mapped, slots;
};

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto transport = rt::transport();
    if (!transport) return 1;
    auto vmc = rt::capset().client<schema::VirtualMemory>("vm", *transport.value());
    if (!vmc) return 1;
    const schema::VirtualMemory::Client& vm = vmc.value();
    CallBuffers b(g_params, g_results);
    auto invalid = [&](const auto& r) { return raised(r, b, ExceptionKind::InvalidArgument); };
    auto usage = [&]() -> Usage {
        auto u = vm.usage(b);
        if (!u) return {0, 0, 0};
        return {u.value().frames(), u.value().mapped_pages(), u.value().cap_slots()};
    };

    Usage base = usage();
    if (base.frames == 0 || base.mapped == 0 || base.slots == 0) return 3;

    // 2: map two pages RW, write, read back.
    auto m = vm.map(b, 0, 2 * kPage, R | W);
    if (!m) return 2;
    uint64_t addr = m.value().addr();
    if (addr < capos::abi::kUserMapMin || addr >= capos::abi::kUserMapLimit || addr % kPage) return 2;
    auto* words = reinterpret_cast<volatile uint64_t*>(addr);
    for (uint64_t i = 0; i < 2 * kPage / 8; ++i)
        if (words[i] != 0) return 2;  // zero-filled
    for (uint64_t i = 0; i < 2 * kPage / 8; ++i) words[i] = i * 0x9E3779B97F4A7C15ull;
    for (uint64_t i = 0; i < 2 * kPage / 8; ++i)
        if (words[i] != i * 0x9E3779B97F4A7C15ull) return 2;

    // 3: the ledger counts them.
    Usage after_map = usage();
    if (after_map.frames != base.frames + 2 || after_map.mapped != base.mapped + 2) return 3;

    // 4: protections.
    if (!invalid(vm.map(b, 0, kPage, R | W | X))) return 4;
    if (!invalid(vm.map(b, 0, kPage, W))) return 4;
    if (!invalid(vm.map(b, 0, kPage, X))) return 4;
    if (!invalid(vm.map(b, 0, kPage, 0))) return 4;
    if (!invalid(vm.map(b, 0, kPage, R | 8))) return 4;
    if (!invalid(vm.protect(b, addr, kPage, R | W | X))) return 4;

    // 5: ranges.
    if (!invalid(vm.map(b, 0, 0, R))) return 5;
    if (!invalid(vm.map(b, 0, 100, R))) return 5;
    if (!invalid(vm.map(b, addr + 1, kPage, R))) return 5;
    if (!invalid(vm.unmap(b, addr + 8, kPage))) return 5;
    if (!invalid(vm.map(b, capos::abi::kUserMapLimit - kPage, 2 * kPage, R))) return 5;
    if (!invalid(vm.reserve(b, 0, UINT64_MAX - kPage + 1))) return 5;

    // 6: the fixed regions are outside the mapping area.
    struct Fixed {
        uint64_t addr, size;
    };
    const Fixed fixed[] = {
        {capos::abi::kRingAddress, kPage},     {capos::abi::kCapSetAddress, kPage},
        {capos::abi::kStackBottom, kPage},     {capos::abi::kStackTop - kPage, kPage},
        {capos::abi::kTlsRegionBase, kPage},   {capos::abi::kUserImageMin, kPage},
        {capos::abi::kStackGuard, kPage},      {capos::abi::kUserSysretGuard, kPage},
    };
    for (const Fixed& f : fixed) {
        if (!invalid(vm.unmap(b, f.addr, f.size))) return 6;
        if (!invalid(vm.protect(b, f.addr, f.size, R))) return 6;
        if (!invalid(vm.decommit(b, f.addr, f.size))) return 6;
        if (!invalid(vm.commit(b, f.addr, f.size, R | W))) return 6;
        if (!invalid(vm.map(b, f.addr, f.size, R | W))) return 6;
        if (!invalid(vm.reserve(b, f.addr, f.size))) return 6;
    }
    // A range straddling the top of the mapping area into the stack region.
    if (!invalid(vm.map(b, capos::abi::kUserMapLimit - kPage, 2 * kPage, R | W))) return 6;

    // 7: protect the first page read-only: still readable.
    if (!vm.protect(b, addr, kPage, R)) return 7;
    if (words[1] != 0x9E3779B97F4A7C15ull) return 7;
    if (!vm.protect(b, addr, kPage, R | W)) return 7;
    words[0] = 7;
    if (words[0] != 7) return 7;

    // 8: hints.
    uint64_t hint = capos::abi::kUserMapMin + 0x1000'0000;
    auto h = vm.map(b, hint, kPage, R | W);
    if (!h || h.value().addr() != hint) return 8;
    if (!invalid(vm.map(b, hint, kPage, R))) return 8;  // taken: no silent relocation
    if (!invalid(vm.reserve(b, hint - kPage, 2 * kPage))) return 8;
    if (!vm.unmap(b, hint, kPage)) return 8;

    // 9: unmap, and again.
    if (!vm.unmap(b, addr, 2 * kPage)) return 9;
    if (!invalid(vm.unmap(b, addr, 2 * kPage))) return 9;
    if (!invalid(vm.protect(b, addr, kPage, R))) return 9;

    // 10: reserve / commit / decommit.
    auto rs = vm.reserve(b, 0, 8 * kPage);
    if (!rs) return 10;
    uint64_t arena = rs.value().addr();
    if (usage().frames != base.frames) return 10;          // reserving costs no frames
    if (!invalid(vm.protect(b, arena, kPage, R))) return 10;  // not committed
    if (!vm.commit(b, arena + 2 * kPage, 2 * kPage, R | W)) return 10;
    if (usage().frames != base.frames + 2) return 10;
    auto* arena_words = reinterpret_cast<volatile uint64_t*>(arena + 2 * kPage);
    arena_words[0] = 42;
    arena_words[kPage / 8] = 43;
    if (!invalid(vm.commit(b, arena + 3 * kPage, 2 * kPage, R | W))) return 10;  // page 3 is committed
    if (usage().frames != base.frames + 2) return 10;
    if (!vm.decommit(b, arena + 2 * kPage, kPage)) return 10;
    if (usage().frames != base.frames + 1) return 10;
    if (!vm.commit(b, arena + 2 * kPage, kPage, R | W)) return 10;
    if (arena_words[0] != 0 || arena_words[kPage / 8] != 43) return 10;  // fresh page is zero; the other kept
    if (!vm.decommit(b, arena, 8 * kPage)) return 10;  // uncommitted pages included: allowed
    if (!vm.decommit(b, arena, 8 * kPage)) return 10;
    if (!vm.unmap(b, arena + 6 * kPage, 2 * kPage)) return 10;  // trim the end of the reservation
    if (!invalid(vm.commit(b, arena + 6 * kPage, kPage, R))) return 10;
    if (!vm.commit(b, arena + 5 * kPage, kPage, R)) return 10;  // read-only commit
    if (reinterpret_cast<volatile uint64_t*>(arena + 5 * kPage)[3] != 0) return 10;
    if (!vm.unmap(b, arena, 6 * kPage)) return 10;

    // 11: everything is back.
    Usage end = usage();
    if (end.frames != base.frames || end.mapped != base.mapped || end.slots != base.slots) return 11;

    // The last check: a write to a read-only page ends this process.
    auto last = vm.map(b, 0, kPage, R | W);
    if (!last) return 2;
    const uint64_t ro = last.value().addr();  // readers last until the next call
    auto* p = reinterpret_cast<volatile uint64_t*>(ro);
    *p = 1;
    if (!vm.protect(b, ro, kPage, R)) return 7;
    char line[96];
    capos::format_to(line, sizeof(line), "vm: all checks passed; writing to read-only page {:#x}", ro);
    if (!rt::print_line(line)) return 12;
    *p = 2;
    (void)rt::print_line("vm: the write to a read-only page did not fault");
    return 13;
}

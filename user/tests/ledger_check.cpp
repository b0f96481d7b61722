// ledger_check: FrameAllocator, MemoryObject and the resource ledger
// (qemu.memory_ledger). Run with a small profile (frames and capSlots set
// in system/scenarios/memory_ledger.capnp). Exits 0 after printing
// "ledger: all checks passed ...", else the number of the failed check:
//   1 setup                                   2 allocate returns a MemoryObject (transfer record)
//   3 info                                    4 frame limit: exact fill, then overloaded, process goes on
//   5 slot limit: overloaded, nothing leaked  6 1,000 allocate/map/unmap/release cycles
//                                             (ids of released objects stay dead)
//   7 a mapping outlives the capability       8 MemoryObject.map/unmap argument checks
//   9 usage not back to baseline              10 printing failed
#include <cstdint>

#include "abi/layout.hpp"
#include "abi/ring.hpp"
#include "lib/base/format.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/console.hpp"
#include "user/rt/ring_client.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/transport.hpp"

namespace {
namespace rt = capos::rt;
namespace schema = capos::schema;
using capos::rpc::CallBuffers;
using capos::rpc::ExceptionKind;

capos::capnp::Word g_params[16];
alignas(8) uint8_t g_results[512];

constexpr uint64_t kPage = 4096;
constexpr uint32_t R = schema::kProtRead, W = schema::kProtWrite, X = schema::kProtExec;

using capos::rpc::raised;

struct Usage {
    uint64_t frames, frames_limit, mapped, slots, slots_limit;
    bool operator==(const Usage&) const = default;
};

bool release(capos::abi::CapId id) {
    auto ring = rt::ring();
    if (!ring) return false;
    capos::abi::Sqe sqe{};
    sqe.opcode = static_cast<uint8_t>(capos::abi::Opcode::Release);
    sqe.cap_id = id;
    sqe.user_data = ring.value()->next_user_data();
    auto cqe = ring.value()->submit_and_wait(sqe);
    return cqe.ok() && cqe.value().result == 0;
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto transport_or = rt::transport();
    if (!transport_or) return 1;
    rt::RingTransport& transport = *transport_or.value();
    auto vmc = rt::capset().client<schema::VirtualMemory>("vm", transport);
    auto fac = rt::capset().client<schema::FrameAllocator>("frames", transport);
    if (!vmc || !fac) return 1;
    const schema::VirtualMemory::Client& vm = vmc.value();
    const schema::FrameAllocator::Client& fa = fac.value();
    CallBuffers b(g_params, g_results);
    auto invalid = [&](const auto& r) { return raised(r, b, ExceptionKind::InvalidArgument); };
    auto overloaded = [&](const auto& r) { return raised(r, b, ExceptionKind::Overloaded); };
    auto usage = [&]() -> Usage {
        auto u = vm.usage(b);
        if (!u) return {};
        const auto& v = u.value();
        return {v.frames(), v.frames_limit(), v.mapped_pages(), v.cap_slots(), v.cap_slots_limit()};
    };
    // allocate(n): the new MemoryObject's id, or 0 (the call's result in *raised_kind).
    auto allocate = [&](uint64_t pages, bool* was_overloaded = nullptr) -> capos::abi::CapId {
        auto r = fa.allocate(b, static_cast<uint32_t>(pages));
        if (was_overloaded) *was_overloaded = overloaded(r);
        if (!r) return 0;
        auto t = transport.transfers();
        auto index = r.value().memory();
        if (t.size() != 1 || !index || index.value() != 0) return 0;
        if (t[0].interface_id != schema::MemoryObject::kInterfaceId) return 0;
        return t[0].cap_id;
    };

    const Usage base = usage();
    if (base.frames == 0 || base.frames >= base.frames_limit || base.slots == 0) return 1;

    // 2, 3: one object, its info, released.
    capos::abi::CapId id = allocate(3);
    if (id == 0) return 2;
    if (usage().frames != base.frames + 3 || usage().slots != base.slots + 1) return 2;
    {
        schema::MemoryObject::Client mo(transport, id);
        auto info = mo.info(b);
        if (!info || info.value().page_count() != 3 || info.value().size() != 3 * kPage) return 3;
    }
    if (!release(id)) return 2;
    if (!(usage() == base)) return 2;
    if (!invalid(fa.allocate(b, 0))) return 2;

    // 4: the frame limit. One page more than is left: refused, nothing
    // charged; exactly what is left: granted; then one more page: refused.
    uint64_t left = base.frames_limit - base.frames;
    bool over = false;
    if (allocate(left + 1, &over) != 0 || !over) return 4;
    if (!(usage() == base)) return 4;
    capos::abi::CapId all = allocate(left);
    if (all == 0) return 4;
    if (usage().frames != base.frames_limit) return 4;
    if (allocate(1, &over) != 0 || !over) return 4;
    // Own memory is charged to the same limit: mapping anonymous memory fails too.
    if (!overloaded(vm.map(b, 0, kPage, R | W))) return 4;
    if (!release(all)) return 4;
    if (!(usage() == base)) return 4;

    // 5: the slot limit. The call that finds the table full raises
    // overloaded and its object is freed (frames come back).
    capos::abi::CapId ids[1024];
    uint64_t n = 0;
    for (;;) {
        if (n == 1024) return 5;
        capos::abi::CapId got = allocate(1, &over);
        if (got == 0) break;
        ids[n++] = got;
    }
    if (!over || n != base.slots_limit - base.slots) return 5;
    Usage full = usage();
    if (full.slots != base.slots_limit || full.frames != base.frames + n) return 5;
    for (uint64_t i = 0; i < n; ++i)
        if (!release(ids[i])) return 5;
    if (!(usage() == base)) return 5;

    // 6: 1,000 cycles. Every cycle reuses the same table slot; the ids of
    // earlier cycles must stay dead (generation tags).
    capos::abi::CapId first_id = 0;
    for (uint32_t cycle = 0; cycle < 1000; ++cycle) {
        capos::abi::CapId c = allocate(4);
        if (c == 0) return 6;
        if (cycle == 0) first_id = c;
        if (cycle > 0 && c == first_id) return 6;  // a reused slot got a new id
        schema::MemoryObject::Client mo(transport, c);
        auto m = mo.map(b, 0, 0, 4 * kPage, R | W);
        if (!m) return 6;
        const uint64_t addr = m.value().addr();
        auto* w = reinterpret_cast<volatile uint64_t*>(addr);
        for (uint64_t i = 0; i < 4 * kPage / 8; i += 509) {
            if (w[i] != 0) return 6;  // every object starts zeroed
            w[i] = cycle + i;
        }
        for (uint64_t i = 0; i < 4 * kPage / 8; i += 509)
            if (w[i] != cycle + i) return 6;
        if (!mo.unmap(b, addr, 4 * kPage)) return 6;
        if (!release(c)) return 6;
    }
    if (!(usage() == base)) return 6;
    {
        schema::MemoryObject::Client stale(transport, first_id);
        auto r = stale.info(b);
        if (r.ok() || r.error() != capos::Error::CapStale) return 6;
    }

    // 7: a mapping keeps the frames after the last capability is released.
    capos::abi::CapId keep = allocate(2);
    if (keep == 0) return 7;
    schema::MemoryObject::Client kept(transport, keep);
    auto km = kept.map(b, 0, kPage, kPage, R | W);  // the object's second page
    if (!km) return 7;
    const uint64_t kaddr = km.value().addr();  // readers last until the next call
    auto* kw = reinterpret_cast<volatile uint64_t*>(kaddr);
    kw[0] = 0xC0FFEE;
    if (!release(keep)) return 7;
    if (kw[0] != 0xC0FFEE) return 7;
    kw[1] = 5;
    Usage held = usage();
    if (held.frames != base.frames + 2 || held.mapped != base.mapped + 1 || held.slots != base.slots) return 7;
    // The capability is gone, so the mapping can no longer be removed through it...
    if (kept.unmap(b, kaddr, kPage).ok()) return 7;
    // ...nor through VirtualMemory (it is not anonymous memory): it stays until exit.
    if (!invalid(vm.unmap(b, kaddr, kPage))) return 7;

    // 8: MemoryObject.map/unmap arguments.
    capos::abi::CapId a = allocate(2), other = allocate(1);
    if (a == 0 || other == 0) return 8;
    schema::MemoryObject::Client ma(transport, a), mother(transport, other);
    if (!invalid(ma.map(b, 0, 0, 3 * kPage, R))) return 8;           // beyond the object
    if (!invalid(ma.map(b, 0, 2 * kPage, kPage, R))) return 8;       // offset at the end
    if (!invalid(ma.map(b, 0, 100, kPage, R))) return 8;             // misaligned offset
    if (!invalid(ma.map(b, 0, UINT64_MAX - kPage + 1, 2 * kPage, R))) return 8;  // wraps
    if (!invalid(ma.map(b, 0, 0, kPage, R | W | X))) return 8;       // W^X
    if (!invalid(ma.map(b, capos::abi::kRingAddress, 0, kPage, R))) return 8;
    auto am = ma.map(b, 0, 0, 2 * kPage, R);
    if (!am) return 8;
    const uint64_t aaddr = am.value().addr();  // readers last until the next call
    if (reinterpret_cast<volatile uint64_t*>(aaddr)[0] != 0) return 8;
    if (!invalid(mother.unmap(b, aaddr, kPage))) return 8;  // another object's mapping
    if (!invalid(vm.unmap(b, aaddr, kPage))) return 8;
    if (!invalid(vm.protect(b, aaddr, kPage, R | W))) return 8;
    if (!ma.unmap(b, aaddr + kPage, kPage)) return 8;     // partial unmap
    if (!invalid(ma.unmap(b, aaddr + kPage, kPage))) return 8;
    if (!ma.unmap(b, aaddr, kPage)) return 8;
    if (!release(a) || !release(other)) return 8;
    if (!(usage() == held)) return 9;

    char line[128];
    capos::format_to(line, sizeof(line), "ledger: all checks passed (frames {}/{}, {} objects at the slot limit)",
                     base.frames, base.frames_limit, n);
    if (!rt::print_line(line)) return 10;
    return 0;
}

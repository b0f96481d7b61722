// memshare: one MemoryObject mapped by two processes (qemu.memshare,
// make run-memoryobject-shared). One binary, two roles chosen by the CapSet
// (system/scenarios/memshare.capnp):
//
// Owner ("frames": FrameAllocator, "peer": a client facet of the reader's
// endpoint): allocates a 4-page MemoryObject, maps it, fills it with a
// pattern, and CALLs the reader with the object passed by Copy. When the
// answer arrives it checks the word the reader wrote into page 3, unmaps and
// releases. Exit 0, or: 1 setup, 2 allocate/map, 3 the CALL, 4 the reader's
// word is missing, 5 unmap/release.
//
// Reader ("svc": the raw endpoint): RECVs one call, finds the MemoryObject
// in TransferResult[0], maps it, checks every word of the pattern, writes
// its word into page 3, unmaps, releases and RETURNs. Exit 0, or: 1 setup,
// 2 RECV / no capability, 3 map, 4 a word of the pattern differs, 5 unmap,
// release or RETURN.
#include <cstdint>

#include "user/tests/ipc_common.hpp"

namespace {
using namespace ipctest;
namespace S = capos::schema;

constexpr uint64_t kPages = 4;
constexpr uint64_t kBytes = kPages * 4096;
constexpr uint64_t kWords = kBytes / 8;
constexpr uint64_t kReaderWord = 0xB0B0'0000'0000'0B0Bull;
uint64_t pattern(uint64_t i) { return i * 0x9E3779B97F4A7C15ull ^ 0x5A5A; }

alignas(8) uint8_t g_recv[512];
alignas(8) uint8_t g_res[256];
capnp::Word g_params[16];

int owner() {
    auto transport = rt::transport();
    if (!transport) return 1;
    auto fa = rt::capset().client<S::FrameAllocator>("frames", *transport.value());
    abi::CapId peer = cap("peer", S::Console::kInterfaceId);
    if (!fa || peer == 0) return 1;
    capos::rpc::CallBuffers b(g_params, g_res);
    if (!fa.value().allocate(b, kPages)) return 2;
    auto t = transport.value()->transfers();
    if (t.size() != 1) return 2;
    abi::CapId mo = t[0].cap_id;
    S::MemoryObject::Client obj(*transport.value(), mo);
    auto m = obj.map(b, 0, 0, kBytes, S::kProtRead | S::kProtWrite);
    if (!m) return 2;
    const uint64_t addr = m.value().addr();
    auto* w = reinterpret_cast<volatile uint64_t*>(addr);
    for (uint64_t i = 0; i < kWords; ++i) w[i] = pattern(i);
    capnp::Word words[32];
    alignas(8) uint8_t res[128];
    const abi::TransferDescriptor d[] = {xfer(mo, abi::TransferMode::Copy)};
    abi::Cqe c = write_line_raw(peer, "here is the shared object", words, res, d);
    if (c.result < 0) return 3;
    if (w[3 * 4096 / 8] != kReaderWord) return 4;
    if (w[3 * 4096 / 8 + 1] != pattern(3 * 4096 / 8 + 1)) return 4;
    (void)rt::print_line("memshare: owner sees the reader's word in the shared pages");
    if (!obj.unmap(b, addr, kBytes) || release(mo) != 0) return 5;
    return 0;
}

int reader() {
    abi::CapId svc = cap("svc", S::Endpoint::kInterfaceId);
    if (svc == 0) return 1;
    abi::Cqe r = run(recv_sqe(svc, g_recv));
    if (r.result < 0 || r.xfer_count != 1) return 2;
    abi::RecvHeader h;
    __builtin_memcpy(&h, g_recv, sizeof h);
    abi::TransferResult t;
    __builtin_memcpy(&t, g_recv + sizeof h, sizeof t);
    if (t.interface_id != S::MemoryObject::kInterfaceId) return 2;
    auto transport = rt::transport();
    if (!transport) return 1;
    capos::rpc::CallBuffers b(g_params, g_res);
    S::MemoryObject::Client obj(*transport.value(), t.cap_id);
    auto info = obj.info(b);
    if (!info || info.value().page_count() != kPages) return 3;
    auto m = obj.map(b, 0, 0, kBytes, S::kProtRead | S::kProtWrite);
    if (!m) return 3;
    const uint64_t addr = m.value().addr();
    auto* w = reinterpret_cast<volatile uint64_t*>(addr);
    for (uint64_t i = 0; i < kWords; ++i)
        if (w[i] != pattern(i)) return 4;
    w[3 * 4096 / 8] = kReaderWord;
    char line[96];
    capos::format_to(line, sizeof(line), "memshare: reader verified {} bytes written by the owner", kBytes);
    (void)rt::print_line(line);
    if (!obj.unmap(b, addr, kBytes) || release(t.cap_id) != 0) return 5;
    abi::Cqe ret = run(return_sqe(svc, h.call_id, empty_struct_message()));
    return ret.result == 0 ? 0 : 5;
}

}  // namespace

int capos_main(const rt::StartInfo&) { return has_cap("svc") ? reader() : owner(); }

// ProcessSpawner helpers shared by the spawn test programs (spawn_check,
// session_check): spawn a boot-package binary with grants described as
// plain structs, optionally with transfer descriptors, a profile and a
// session (a descriptor index), and wait for a child's exit code.
#pragma once

#include <cstdint>
#include <span>

#include "user/tests/ipc_common.hpp"

namespace spawntest {

using namespace ipctest;
namespace S = capos::schema;

struct Grant {
    const char* name;
    uint64_t iid;
    enum Kind { Kernel, Capability, Endpoint, Service } kind;
    S::KernelCap kernel = S::KernelCap::Console;
    uint32_t cap_index = 0;
};

inline constexpr uint32_t kNoSession = UINT32_MAX;

struct Spawned {
    abi::Cqe cqe{};
    abi::CapId handle = abi::kCapIdNone;
    abi::CapId facet = abi::kCapIdNone;  // exports[0], if any
};

// spawn(name, binary, grants, profile frames, session = descriptor
// `session_index`) on the CapSet's "spawner", with transfer descriptors;
// the results (or the CapException) land in `results`.
inline Spawned spawn(StringView name, StringView binary, std::span<const Grant> grants, std::span<uint8_t> results,
                     std::span<const abi::TransferDescriptor> xfers = {}, uint64_t frames = 0,
                     uint32_t session_index = kNoSession) {
    Spawned out;
    static capnp::Word words[1536];  // room for more grants than a CapSet holds
    capnp::MessageBuilder msg(words);
    auto root = msg.init_root(S::ProcessSpawner::SpawnParams::kDataWords,
                              S::ProcessSpawner::SpawnParams::kPointerCount);
    if (!root) return out;
    S::ProcessSpawner::SpawnParams::Builder sp(root.value());
    if (!sp.set_name(name) || !sp.set_binary_name(binary)) return out;
    auto list = sp.init_grants(static_cast<uint32_t>(grants.size()));
    if (!list) return out;
    for (uint32_t i = 0; i < grants.size(); ++i) {
        auto g = list.value()[i];
        if (!g.set_name(grants[i].name)) return out;
        g.set_interface_id(grants[i].iid);
        switch (grants[i].kind) {
        case Grant::Kernel: g.source().set_kernel(grants[i].kernel); break;
        case Grant::Capability:
            if (!g.source().set_capability(grants[i].cap_index)) return out;
            break;
        case Grant::Endpoint: g.source().set_endpoint(); break;
        case Grant::Service: {
            auto ref = g.source().init_service();
            if (!ref || !ref.value().set_service("x") || !ref.value().set_export_name("y")) return out;
            break;
        }
        }
    }
    auto profile = sp.init_profile();
    if (!profile) return out;
    profile.value().set_frames(frames);
    if (session_index != kNoSession && !sp.set_session(session_index)) return out;
    out.cqe = run(with_transfers(call_sqe(cap("spawner", S::ProcessSpawner::kInterfaceId),
                                          S::ProcessSpawner::kMethodSpawn, msg.bytes(), results),
                                 xfers));
    if (out.cqe.result < 0 || out.cqe.xfer_count < 1) return out;
    abi::TransferResult t[2];
    __builtin_memcpy(t, results.data(), sizeof(abi::TransferResult) * (out.cqe.xfer_count > 1 ? 2 : 1));
    if (t[0].interface_id != S::ProcessHandle::kInterfaceId) return out;
    out.handle = t[0].cap_id;
    if (out.cqe.xfer_count > 1) out.facet = t[1].cap_id;
    return out;
}

// wait() on a handle: the exit code, or INT64_MIN on failure.
inline int64_t wait_exit(abi::CapId handle) {
    alignas(8) uint8_t res[64];
    abi::Cqe c = run(call_sqe(handle, S::ProcessHandle::kMethodWait, empty_struct_message(), res));
    if (c.result < 0) return INT64_MIN;
    capnp::MessageReader in(std::span<const uint8_t>(res, static_cast<size_t>(c.result)));
    auto r = in.root();
    if (!r) return INT64_MIN;
    return S::ProcessHandle::WaitResults::Reader(r.value()).exit_code();
}

}  // namespace spawntest

// Fills a ManifestInfo (service_graph.hpp) from a SystemManifest through
// the generated readers (schema/capos.capnp.hpp over lib/capnp): the part
// of the service graph that knows the schema. Header-only, so lib/boot
// itself does not depend on the generated code; init, mkmanifest and the
// tests include it.
//
//   auto m = TRY(schema::SystemManifest::read_root(reader));
//   ManifestCounts n = TRY(count_manifest(m));
//   // storage: n.binaries BinaryInfo, n.services ServiceInfo, n.grants GrantInfo
//   ManifestInfo info = TRY(decode_manifest(m, storage));
//
// Every field is read once (the reader charges each dereference to its
// traversal budget). Names point into the message, which must outlive the
// ManifestInfo. A field that does not decode is an Error; a manifest whose
// schemaVersion is not manifestSchemaVersion is Unsupported.
#pragma once

#include <cstdint>
#include <span>

#include "lib/base/error.hpp"
#include "lib/boot/service_graph.hpp"
#include "schema/capos.capnp.hpp"

namespace capos::boot {

struct ManifestCounts {
    uint32_t binaries = 0;
    uint32_t services = 0;
    uint32_t grants = 0;  // initConfig's plus every service's
};

struct ManifestStorage {
    std::span<BinaryInfo> binaries;
    std::span<ServiceInfo> services;
    std::span<GrantInfo> grants;
};

struct KernelKind {
    StringView name;  // as in the schema's KernelCap; empty: unknown
    uint64_t interface_id = 0;
};

// The interface each kernel capability kind implements (KernelCap's comment).
inline KernelKind kernel_kind(schema::KernelCap k) {
    using K = schema::KernelCap;
    switch (k) {
    case K::Console: return {"console", schema::Console::kInterfaceId};
    case K::Timer: return {"timer", schema::Timer::kInterfaceId};
    case K::VirtualMemory: return {"virtualMemory", schema::VirtualMemory::kInterfaceId};
    case K::FrameAllocator: return {"frameAllocator", schema::FrameAllocator::kInterfaceId};
    case K::ProcessSpawner: return {"processSpawner", schema::ProcessSpawner::kInterfaceId};
    case K::BootPackage: return {"bootPackage", schema::BootPackage::kInterfaceId};
    case K::Session: return {"session", schema::SessionContext::kInterfaceId};
    case K::SessionBroker: return {"sessionBroker", schema::SessionBroker::kInterfaceId};
    case K::Terminal: return {"terminal", schema::TerminalSession::kInterfaceId};
    case K::SystemInfo: return {"systemInfo", schema::SystemInfo::kInterfaceId};
    case K::Entropy: return {"entropy", schema::EntropySource::kInterfaceId};
    }
    return {};
}

inline Result<ManifestCounts> count_manifest(schema::SystemManifest::Reader m) {
    ManifestCounts n;
    n.binaries = TRY(m.binaries()).size();
    auto services = TRY(m.services());
    n.services = services.size();
    uint64_t grants = TRY(TRY(m.init_config()).grants()).size();
    for (uint32_t i = 0; i < services.size(); ++i) grants += TRY(services[i].grants()).size();
    if (grants > UINT32_MAX) return Error::Overflow;
    n.grants = static_cast<uint32_t>(grants);
    return n;
}

namespace detail {

inline Result<void> decode_grant(schema::CapGrant::Reader g, GrantInfo* out) {
    *out = GrantInfo{};
    out->name = TRY(g.name());
    out->interface_id = g.interface_id();
    auto src = g.source();
    out->source = static_cast<uint16_t>(src.which());
    if (src.is_kernel()) {
        out->kernel = static_cast<uint16_t>(src.kernel());
        KernelKind k = kernel_kind(src.kernel());
        out->kernel_name = k.name;
        out->kernel_interface_id = k.interface_id;
    } else if (src.is_service()) {
        auto ref = TRY(src.service());
        out->service = TRY(ref.service());
        out->export_name = TRY(ref.export_name());
    }
    return {};
}

// Appends list `grants` to storage at *next.
inline Result<void> decode_grants(gen::StructList<schema::CapGrant>::Reader grants, std::span<GrantInfo> storage,
                                  uint32_t* next) {
    if (grants.size() > storage.size() - *next) return Error::LimitExceeded;
    for (uint32_t i = 0; i < grants.size(); ++i) TRY(decode_grant(grants[i], &storage[(*next)++]));
    return {};
}

}  // namespace detail

// Storage spans must hold at least count_manifest()'s counts
// (LimitExceeded otherwise); the result's spans are their prefixes.
inline Result<ManifestInfo> decode_manifest(schema::SystemManifest::Reader m, ManifestStorage storage) {
    ManifestInfo info;
    info.schema_version = m.schema_version();
    if (info.schema_version != schema::kManifestSchemaVersion) return Error::Unsupported;
    auto binaries = TRY(m.binaries());
    if (binaries.size() > storage.binaries.size()) return Error::LimitExceeded;
    for (uint32_t i = 0; i < binaries.size(); ++i) {
        storage.binaries[i].name = TRY(binaries[i].name());
        storage.binaries[i].image_bytes = TRY(binaries[i].elf()).size();
    }
    info.binaries = storage.binaries.subspan(0, binaries.size());

    uint32_t next = 0;
    auto init = TRY(m.init_config());
    info.init_binary = TRY(init.binary());
    info.init_first_grant = next;
    TRY(detail::decode_grants(TRY(init.grants()), storage.grants, &next));
    info.init_grant_count = next - info.init_first_grant;

    auto services = TRY(m.services());
    if (services.size() > storage.services.size()) return Error::LimitExceeded;
    for (uint32_t i = 0; i < services.size(); ++i) {
        ServiceInfo& s = storage.services[i];
        s.name = TRY(services[i].name());
        s.binary = TRY(services[i].binary());
        s.first_grant = next;
        TRY(detail::decode_grants(TRY(services[i].grants()), storage.grants, &next));
        s.grant_count = next - s.first_grant;
    }
    info.services = storage.services.subspan(0, services.size());
    info.grants = storage.grants.subspan(0, next);
    return info;
}

}  // namespace capos::boot

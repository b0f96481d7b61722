#include "kernel/boot_package.hpp"

#include <new>

#include "kernel/cap/boot_package_cap.hpp"
#include "kernel/cap/console.hpp"
#include "kernel/cap/entropy.hpp"
#include "kernel/cap/memory.hpp"
#include "kernel/cap/session.hpp"
#include "kernel/cap/spawner.hpp"
#include "kernel/cap/system_info.hpp"
#include "kernel/cap/terminal.hpp"
#include "kernel/ipc/endpoint.hpp"
#include "kernel/cap/timer.hpp"
#include "kernel/log.hpp"
#include "kernel/proc/process.hpp"
#include "lib/capnp/reader.hpp"
#include "schema/boot_package.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

namespace {

alignas(capnp::MessageReader) unsigned char g_reader_storage[sizeof(capnp::MessageReader)];
capnp::MessageReader* g_reader = nullptr;
schema::SystemManifest::Reader g_manifest;
gen::StructList<schema::Binary>::Reader g_binaries;
gen::StructList<schema::ServiceEntry>::Reader g_services;
std::span<const uint8_t> g_manifest_bytes;

}  // namespace

Result<void> boot_package_open(std::span<const uint8_t> image, const char** why) {
    *why = "the boot package header is invalid";
    auto manifest = TRY(boot_package::manifest_of(image));
    *why = "the manifest is not a valid Cap'n Proto message";
    g_reader = new (g_reader_storage) capnp::MessageReader(manifest);
    g_manifest_bytes = manifest;
    auto root = TRY(g_reader->root());
    g_manifest = schema::SystemManifest::Reader(root);
    *why = "the manifest has an unsupported schema version";
    if (g_manifest.schema_version() != schema::kManifestSchemaVersion) return Error::Unsupported;
    *why = "the manifest's binary list is malformed";
    g_binaries = TRY(g_manifest.binaries());
    *why = "the manifest's service list is malformed";
    g_services = TRY(g_manifest.services());
    log::info("manifest: schema version {}, {} binaries, {} services", g_manifest.schema_version(),
              g_binaries.size(), g_services.size());
    for (uint32_t i = 0; i < g_binaries.size(); ++i) {
        auto b = g_binaries[i];
        auto name = b.name();
        auto elf = b.elf();
        log::info("manifest: binary '{}' ({} bytes)", name.ok() ? name.value() : StringView("?"),
                  elf.ok() ? elf.value().size() : 0);
    }
    for (uint32_t i = 0; i < g_services.size(); ++i) {
        auto s = g_services[i];
        auto name = s.name();
        auto bin = s.binary();
        auto grants = s.grants();
        log::info("manifest: service '{}' runs '{}' with {} grants", name.ok() ? name.value() : StringView("?"),
                  bin.ok() ? bin.value() : StringView("?"), grants.ok() ? grants.value().size() : 0);
    }
    *why = "";
    return {};
}

std::span<const uint8_t> boot_package_manifest_bytes() { return g_manifest_bytes; }

size_t boot_package_service_count() { return g_reader ? g_services.size() : 0; }

Result<void> boot_package_service(size_t i, StringView* name, std::span<const uint8_t>* elf) {
    if (i >= boot_package_service_count()) return Error::OutOfRange;
    auto s = g_services[static_cast<uint32_t>(i)];
    *name = TRY(s.name());
    StringView bin = TRY(s.binary());
    for (uint32_t b = 0; b < g_binaries.size(); ++b) {
        auto entry = g_binaries[b];
        auto n = entry.name();
        if (n.ok() && n.value() == bin) {
            *elf = TRY(entry.elf());
            return {};
        }
    }
    return Error::NotFound;
}

KernelCapSource kernel_cap_source(schema::KernelCap kind) {
    KernelCapSource k;
    switch (kind) {
    case schema::KernelCap::Console: k.object = &ConsoleCap::instance(); break;
    case schema::KernelCap::Timer: k.object = &TimerCap::instance(); break;
    case schema::KernelCap::BootPackage: k.object = &BootPackageCap::instance(); break;
    case schema::KernelCap::FrameAllocator: k.object = &frame_allocator(); break;
    case schema::KernelCap::ProcessSpawner: k.object = &process_spawner(); break;
    case schema::KernelCap::VirtualMemory:
        k.own_virtual_memory = true;  // minted by process_create for the new process
        k.interface_id = schema::VirtualMemory::kInterfaceId;
        return k;
    case schema::KernelCap::Session:
        k.own_session = true;  // minted by process_create for the new process
        k.interface_id = schema::SessionContext::kInterfaceId;
        return k;
    case schema::KernelCap::SessionBroker: k.object = &session_broker(); break;
    case schema::KernelCap::Entropy: k.object = &EntropyCap::instance(); break;
    case schema::KernelCap::Terminal: k.object = &terminal_session(); break;
    case schema::KernelCap::SystemInfo: k.object = &system_info(); break;
    default: return k;
    }
    k.interface_id = k.object->interface_id();
    return k;
}

Result<void> boot_package_binary(StringView name, std::span<const uint8_t>* elf) {
    if (!g_reader) return Error::NotFound;
    for (uint32_t b = 0; b < g_binaries.size(); ++b) {
        auto n = g_binaries[b].name();
        if (n.ok() && n.value() == name) {
            *elf = TRY(g_binaries[b].elf());
            return {};
        }
    }
    return Error::NotFound;
}

Result<mm::Limits> boot_package_service_limits(size_t i) {
    if (i >= boot_package_service_count()) return Error::OutOfRange;
    auto profile = TRY(g_services[static_cast<uint32_t>(i)].profile());
    return mm::Limits{profile.cap_slots(), profile.frames(), profile.mapped_pages()};
}

namespace {

// Endpoints exported by services started so far (CapGrant.source.endpoint),
// which later services import (source.service). Each entry holds a
// reference to the raw endpoint until boot_package_release_exports().
struct Export {
    StringView service;
    StringView name;
    uint64_t interface_id;  // the protocol
    CapObject* server;
};
constexpr size_t kMaxExports = 32;
Export g_exports[kMaxExports];
size_t g_export_count = 0;

// References made for the grants of the service being created, dropped
// once process_create has taken its own.
CapObject* g_temps[abi::kCapSetMaxEntries];
size_t g_temp_count = 0;

const Export* find_export(StringView service, StringView name) {
    for (size_t i = 0; i < g_export_count; ++i)
        if (g_exports[i].service == service && g_exports[i].name == name) return &g_exports[i];
    return nullptr;
}

// The CapSet entries for `grants` of process `service` (a service, or init)
// that the kernel can satisfy itself: see boot_package_kernel_grants.
Result<size_t> kernel_grants(StringView service, gen::StructList<schema::CapGrant>::Reader grants,
                             InitialCap* out, size_t max) {
    size_t n = 0;
    for (uint32_t g = 0; g < grants.size(); ++g) {
        auto grant = grants[g];
        StringView name = TRY(grant.name());
        auto source = grant.source();
        if (source.is_endpoint() || source.is_service()) {
            CapObject* obj = nullptr;
            if (source.is_endpoint()) {
                if (g_export_count == kMaxExports) return Error::LimitExceeded;
                obj = TRY(endpoint_create());
                g_exports[g_export_count++] = Export{service, name, grant.interface_id(), obj};
                obj->retain();  // one for the export table, one for g_temps
            } else {
                auto ref = TRY(source.service());
                StringView from = TRY(ref.service());
                StringView export_name = TRY(ref.export_name());
                const Export* e = find_export(from, export_name);
                if (!e) {
                    log::error("service '{}': grant '{}': service '{}' has not exported '{}' (exporters come first)",
                               service, name, from, export_name);
                    return Error::NotFound;
                }
                if (e->interface_id != grant.interface_id()) {
                    log::error("service '{}': grant '{}': interface {:#x} does not match the export's {:#x}", service,
                               name, grant.interface_id(), e->interface_id);
                    return Error::InvalidArgument;
                }
                obj = TRY(endpoint_client(*e->server, grant.interface_id()));
            }
            g_temps[g_temp_count++] = obj;
            if (n == max) return Error::LimitExceeded;
            out[n++] = InitialCap{name, obj, false};
            continue;
        }
        if (!source.is_kernel()) {
            log::error("service '{}': grant '{}': this source is not supported before init", service, name);
            continue;
        }
        KernelCapSource k = kernel_cap_source(source.kernel());
        CapObject* obj = k.object;
        uint64_t interface_id = k.interface_id;
        bool own_vm = k.own_virtual_memory;
        bool own_session = k.own_session;
        if (interface_id == 0) {
            log::error("service '{}': grant '{}': kernel capability {} is not available yet", service, name,
                       static_cast<uint16_t>(source.kernel()));
            continue;
        }
        if (interface_id != grant.interface_id()) {
            log::error("service '{}': grant '{}': interface {:#x} does not match its source", service, name,
                       grant.interface_id());
            return Error::InvalidArgument;
        }
        if (n == max) return Error::LimitExceeded;
        out[n++] = InitialCap{name, obj, own_vm, own_session};
    }
    return n;
}

}  // namespace

void boot_package_release_temps() {
    for (size_t i = 0; i < g_temp_count; ++i) g_temps[i]->release();
    g_temp_count = 0;
}

void boot_package_release_exports() {
    for (size_t i = 0; i < g_export_count; ++i) g_exports[i].server->release();
    g_export_count = 0;
}

Result<size_t> boot_package_kernel_grants(size_t i, InitialCap* out, size_t max) {
    if (i >= boot_package_service_count()) return Error::OutOfRange;
    auto s = g_services[static_cast<uint32_t>(i)];
    return kernel_grants(TRY(s.name()), TRY(s.grants()), out, max);
}

Result<void> boot_package_init(StringView* binary, std::span<const uint8_t>* elf, InitialCap* caps, size_t max,
                               size_t* ncaps, mm::Limits* limits) {
    if (!g_reader) return Error::NotFound;
    auto init = TRY(g_manifest.init_config());
    *binary = TRY(init.binary());
    bool found = false;
    for (uint32_t b = 0; b < g_binaries.size() && !found; ++b) {
        auto n = g_binaries[b].name();
        if (n.ok() && n.value() == *binary) {
            *elf = TRY(g_binaries[b].elf());
            found = true;
        }
    }
    if (!found) return Error::NotFound;
    *ncaps = TRY(kernel_grants("init", TRY(init.grants()), caps, max));
    auto profile = TRY(init.profile());
    *limits = mm::Limits{profile.cap_slots(), profile.frames(), profile.mapped_pages()};
    return {};
}

}  // namespace capos

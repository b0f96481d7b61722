// The manifest's service graph (docs/boot.md): the checks init and
// mkmanifest apply to a SystemManifest before anything starts, and the
// order services start in.
//
// Pure code over a plain description of the manifest (ManifestInfo), which
// service_graph_decode.hpp fills from the generated readers. Nothing here
// allocates: the caller supplies every array.
//
//   ManifestInfo m = ...;                         // service_graph_decode.hpp
//   uint32_t order[n], scratch[scratch_words(m)];
//   GraphError e;
//   if (!validate_service_graph(m, {}, order, scratch, &e))
//       format_graph_error(sink, m, e);           // one line, no newline
//
// The checks run in a fixed order and the first problem is reported:
// binaries (names, duplicates, images), initConfig's binary, service names
// and binaries, each process's grants (initConfig first, then services in
// manifest order), then dependency cycles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/base/format.hpp"
#include "lib/base/string_view.hpp"

namespace capos::boot {

// CapGrant.source's union members (schema order).
enum class GrantSource : uint16_t { None = 0, Kernel, Service, Endpoint, Capability };

struct GrantInfo {
    StringView name;
    uint64_t interface_id = 0;
    uint16_t source = 0;  // GrantSource, or an unknown value from a newer sender
    // source == Kernel: the KernelCap value, its name and the interface it
    // implements (kernel_name empty: a kind this code does not know).
    uint16_t kernel = 0;
    StringView kernel_name;
    uint64_t kernel_interface_id = 0;
    // source == Service: the export imported.
    StringView service;
    StringView export_name;
};

struct ServiceInfo {
    StringView name;
    StringView binary;
    // Its grants: ManifestInfo::grants[first_grant, first_grant + grant_count).
    uint32_t first_grant = 0;
    uint32_t grant_count = 0;
};

struct BinaryInfo {
    StringView name;
    uint64_t image_bytes = 0;
};

struct ManifestInfo {
    uint32_t schema_version = 0;
    std::span<const BinaryInfo> binaries;
    StringView init_binary;
    uint32_t init_first_grant = 0;
    uint32_t init_grant_count = 0;
    std::span<const ServiceInfo> services;
    std::span<const GrantInfo> grants;  // initConfig's and every service's
};

struct GraphOptions {
    // Every binary must carry a non-empty image (a finished boot package;
    // false for a manifest still waiting for mkmanifest).
    bool require_images = true;
};

enum class GraphErrorReason : uint8_t {
    BinaryName,            // binary: name problem in `name_problem`
    DuplicateBinary,       // binary
    BinaryWithoutImage,    // binary
    InitNoBinary,
    InitUnknownBinary,
    ServiceName,           // service: name problem
    ServiceNameReserved,   // service (named "init")
    DuplicateService,      // service
    ServiceNoBinary,       // service
    ServiceUnknownBinary,  // service
    GrantName,             // service (or init), grant: name problem
    DuplicateGrant,        // service (or init), grant
    NoSource,
    UnknownKernelCap,
    KernelInterfaceMismatch,  // expected = the kind's interface
    InitNonKernelSource,
    UnknownService,
    UnknownExport,
    ExportInterfaceMismatch,  // expected = the export's interface
    EndpointWithoutInterface,
    CapabilitySource,
    UnknownSource,
    Cycle,                 // cycle[0..cycle_len): services, each importing from the next
    ScratchTooSmall,       // order or scratch smaller than the contract says
};

enum class NameProblem : uint8_t { None, Empty, TooLong, BadByte };

inline constexpr uint32_t kNoIndex = UINT32_MAX;
inline constexpr uint32_t kMaxCyclePath = 16;
// Longest binary, service or grant name (capNameMaxBytes: the CapSet page
// stores names inline).
inline constexpr size_t kNameMaxBytes = 32;

struct GraphError {
    GraphErrorReason reason = GraphErrorReason::ScratchTooSmall;
    NameProblem name_problem = NameProblem::None;
    uint32_t binary = kNoIndex;   // index into binaries
    uint32_t service = kNoIndex;  // index into services; kNoIndex with a grant: initConfig
    uint32_t grant = kNoIndex;    // index within that process's grants
    uint64_t value = 0;
    uint64_t expected = 0;
    // Cycle: the services of the cycle in dependency order (each imports
    // from the next, the last from the first), truncated to kMaxCyclePath.
    uint32_t cycle[kMaxCyclePath] = {};
    uint32_t cycle_len = 0;
    bool cycle_truncated = false;
};

// Why `name` is not a valid binary, service or grant name: 1 to
// kNameMaxBytes bytes, printable ASCII, no spaces.
NameProblem check_name(StringView name);

// uint32_t words of scratch validate_service_graph needs.
size_t scratch_words(const ManifestInfo& m);

// Validates `m`; on success writes the start order (indices into
// m.services) to order[0, m.services.size()) and returns true. The order is
// topological (a service comes after every service it imports from) and
// stable: among services whose dependencies have all started, the first in
// manifest order starts next. On failure fills *error and returns false.
// order.size() >= m.services.size(); scratch.size() >= scratch_words(m).
bool validate_service_graph(const ManifestInfo& m, const GraphOptions& options, std::span<uint32_t> order,
                            std::span<uint32_t> scratch, GraphError* error);

// Spawning helpers, for a manifest validate_service_graph accepted.

// The export a `service` grant imports: the exporting service and the
// export's position among that service's `endpoint` grants, which is its
// position in ProcessSpawner.spawn's `exports` for the exporter.
struct ImportRef {
    uint32_t exporter = kNoIndex;
    uint32_t export_index = kNoIndex;
};

// Grant `grant` (index within the service's grants) of service `service`.
// kNoIndex fields when it is not a `service` grant or names nothing.
ImportRef resolve_import(const ManifestInfo& m, uint32_t service, uint32_t grant);

// A service whose dependencies are not all running must not start (issue
// #8: the others still start). Given running[s] for every service started
// so far, the first service `service` imports from that is not running,
// or kNoIndex. Walking the start order and marking each service running
// only when it started makes this transitive.
uint32_t first_missing_dependency(const ManifestInfo& m, uint32_t service, std::span<const bool> running);

// One line (no newline) naming the culprit, e.g.
//   service 'app': grant 'out': service 'log' has no export 'nope'
//   dependency cycle: a -> b -> c -> a
// Names are quoted with non-printable bytes, quotes and backslashes as \xNN.
void format_graph_error(Sink& sink, const ManifestInfo& m, const GraphError& error);

// Writes 'name' (quoted and escaped as above).
void format_quoted(Sink& sink, StringView name);

}  // namespace capos::boot

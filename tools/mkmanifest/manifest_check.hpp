// Host-side validation and packing of capOS boot manifests (hosted C++,
// Debian's libcapnp and its generated code for schema/capos.capnp).
//
// Every check returns the first problem found, in a fixed order, as one
// line of text naming the culprit (no "error:" prefix, no newline). The
// order is: schema version, then the service graph checks init applies too
// (lib/boot/service_graph.hpp: binaries, initConfig, service names and
// binaries, each process's grants, dependency cycles), run over the
// target's own decoding of the manifest.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "schema/capos.capnp.h"

namespace capos::mkmanifest {

struct CheckOptions {
    // Every Binary must carry a non-empty ELF image (true for a finished
    // boot package; false for a manifest still waiting for mkmanifest).
    bool require_images = false;
    // Apply the service graph checks (lib/boot/service_graph.hpp). Off only
    // for test packages that must reach init with a graph init refuses
    // (mkmanifest --no-graph-check).
    bool check_graph = true;
};

// Validates a decoded manifest. libcapnp may throw kj::Exception while the
// reader walks a malformed message; validate_message() catches that.
std::optional<std::string> validate(capos::host::SystemManifest::Reader manifest,
                                    const CheckOptions& options);

// Decodes a Cap'n Proto message (any alignment, bounded traversal) whose
// root is a SystemManifest and validates it, then decodes it again the way
// the target does (target_decode.hpp). Decoding failures are reported like
// validation failures. Never throws.
std::optional<std::string> validate_message(std::span<const uint8_t> bytes,
                                            const CheckOptions& options);

// Checks a whole boot package image: header (schema/boot_package.hpp),
// then the message with require_images = true. Never throws.
std::optional<std::string> validate_boot_package(std::span<const uint8_t> image, bool check_graph = true);

// The boot package for a manifest whose images are filled in: the header
// followed by the manifest in canonical form (one segment, deterministic).
std::vector<uint8_t> pack(capos::host::SystemManifest::Reader manifest);

// A quoted, escaped, single-line rendering of a name for messages: 'name'.
std::string quote(std::string_view s);

}  // namespace capos::mkmanifest

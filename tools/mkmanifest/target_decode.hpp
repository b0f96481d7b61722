// The manifest as the target reads it: capnpc-capos's generated readers
// over the freestanding lib/capnp (what the kernel and init use), as
// opposed to libcapnp on the host. lib/capnp is stricter than libcapnp in
// places (e.g. it bounds-checks zero-length lists), so a package is only
// good if both accept it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace capos::mkmanifest {

// Decodes every field the kernel and init read from a SystemManifest
// message; returns "<field>: <error>" for the first that fails.
std::optional<std::string> target_decode_problem(std::span<const uint8_t> message);

}  // namespace capos::mkmanifest

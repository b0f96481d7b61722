// The boot package (docs/boot-package.md): the one boot module, holding the
// SystemManifest with every binary embedded. Decoded with lib/capnp through
// the generated schema readers, under the reader's limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"
#include "lib/mm/ledger.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

struct InitialCap;
class CapObject;

// Validates the package header and the manifest's root, and logs its
// services. `why` names the problem on failure.
Result<void> boot_package_open(std::span<const uint8_t> image, const char** why);

// The SystemManifest message (segment table included) of the opened
// package; empty before boot_package_open succeeds. Served to init by the
// BootPackage capability.
std::span<const uint8_t> boot_package_manifest_bytes();

size_t boot_package_service_count();
// Service i: its name and its binary's ELF bytes. NotFound when the binary
// named by the service is not in the package.
Result<void> boot_package_service(size_t i, StringView* name, std::span<const uint8_t>* elf);

// The kernel capability a grant of `kind` names: a shared object, or (for
// VirtualMemory) a flag asking process_create to mint one for the new
// process. interface_id 0 for a kind the kernel does not offer.
struct KernelCapSource {
    CapObject* object = nullptr;
    uint64_t interface_id = 0;
    bool own_virtual_memory = false;
    bool own_session = false;  // a SessionContext view of the new process's session
};
KernelCapSource kernel_cap_source(schema::KernelCap kind);

// The ELF bytes of the binary called `name`. NotFound when there is none.
Result<void> boot_package_binary(StringView name, std::span<const uint8_t>* elf);

// The resource profile of service i as requested limits (0: the default).
Result<mm::Limits> boot_package_service_limits(size_t i);

// Grants of service i that the kernel can satisfy itself (kernel sources),
// as CapSet entries in manifest order. A grant the kernel cannot satisfy
// yet is logged and skipped; a grant whose interface does not match its
// source is refused (InvalidArgument). Returns the number written.
Result<size_t> boot_package_kernel_grants(size_t i, struct InitialCap* out, size_t max);
// Grant sources `endpoint` (a fresh endpoint: the service gets the raw
// capability, the export table keeps a reference) and `service` (a client
// facet of an endpoint an earlier service exported) are resolved here too.
// Drops the references kept for the last service's grants (after
// process_create took its own).
void boot_package_release_temps();
// Drops the export table's references (once every service is created).
void boot_package_release_exports();

// The manifest's initConfig: its binary's name and ELF bytes, its kernel
// grants as CapSet entries (as boot_package_kernel_grants; *ncaps of them)
// and its resource profile. NotFound when the binary is not in the package.
Result<void> boot_package_init(StringView* binary, std::span<const uint8_t>* elf, struct InitialCap* caps,
                               size_t max, size_t* ncaps, mm::Limits* limits);

}  // namespace capos

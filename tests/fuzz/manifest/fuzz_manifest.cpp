// libFuzzer target: boot package images and bare manifest messages.
//
// 1. mkmanifest's validator (libcapnp) must never crash, whatever the bytes.
// 2. The freestanding path (boot_package::manifest_of, then the generated
//    SystemManifest readers over lib/capnp) must never crash either.
// 3. Differential: every field the validator reads in a package it accepts
//    must also decode through the generated readers.

#include <cstddef>
#include <cstdint>
#include <span>

#include "schema/boot_package.hpp"
#include "schema/capos.capnp.hpp"
#include "tools/mkmanifest/manifest_check.hpp"

namespace {

namespace gs = capos::schema;

capos::Result<void> walk_grants(gs::CapGrant::Reader g) {
    TRY(g.name());
    (void)g.interface_id();
    auto src = g.source();
    switch (src.which()) {
    case gs::CapGrant::Source::Which::Kernel: (void)src.kernel(); break;
    case gs::CapGrant::Source::Which::Service: {
        auto ref = TRY(src.service());
        TRY(ref.service());
        TRY(ref.export_name());
        break;
    }
    case gs::CapGrant::Source::Which::Capability: (void)src.capability(); break;
    default: break;
    }
    return {};
}

// Reads what manifest_check.cpp reads, through the generated code.
capos::Result<void> walk(std::span<const uint8_t> message) {
    capos::capnp::MessageReader msg(message);
    auto m = TRY(gs::SystemManifest::read_root(msg));
    (void)m.schema_version();
    auto bins = TRY(m.binaries());
    for (uint32_t i = 0; i < bins.size(); ++i) {
        TRY(bins[i].name());
        TRY(bins[i].elf());
    }
    auto init = TRY(m.init_config());
    TRY(init.binary());
    auto ig = TRY(init.grants());
    for (uint32_t i = 0; i < ig.size(); ++i) TRY(walk_grants(ig[i]));
    auto services = TRY(m.services());
    for (uint32_t i = 0; i < services.size(); ++i) {
        TRY(services[i].name());
        TRY(services[i].binary());
        auto grants = TRY(services[i].grants());
        for (uint32_t j = 0; j < grants.size(); ++j) TRY(walk_grants(grants[j]));
    }
    // Not read by the validator: may fail, must not crash.
    if (auto kp = m.kernel_params(); kp.ok()) (void)kp.value().motd();
    return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> in(data, size);
    bool accepted = !capos::mkmanifest::validate_boot_package(in).has_value();
    auto message = capos::boot_package::manifest_of(in);
    if (message.ok()) {
        auto walked = walk(message.value());
        if (accepted && !walked.ok()) __builtin_trap();
    } else if (accepted) {
        __builtin_trap();
    }
    // The bare message, as mkmanifest reads `capnp eval --binary` output.
    (void)capos::mkmanifest::validate_message(in, {});
    (void)walk(in);
    return 0;
}

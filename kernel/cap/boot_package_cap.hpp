// BootPackage (schema/capos.capnp): read-only access to the boot manifest,
// the SystemManifest message of the boot package (docs/boot-package.md),
// for init. One object over the bytes the kernel already holds
// (boot_package_manifest_bytes()); holding it grants nothing else.
//
// Not a ServedCap<BootPackage>: readManifest also bounds a chunk by the
// size of the CALL's result scratch, which call() sees and ServedCap does
// not pass on.
#pragma once

#include "kernel/cap/cap_object.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

class BootPackageCap final : public CapObject, private schema::BootPackage::Server {
public:
    static BootPackageCap& instance();

    uint64_t interface_id() const override { return schema::BootPackage::kInterfaceId; }
    Result<rpc::Reply> call(uint16_t method, std::span<const uint8_t> params,
                            std::span<capnp::Word> scratch, CallContext& ctx) override;

private:
    BootPackageCap() = default;
    void destroy() override {}
    Result<void> manifest_size(schema::BootPackage::ManifestSizeParams::Reader,
                               schema::BootPackage::ManifestSizeResults::Builder results) override;
    Result<void> read_manifest(schema::BootPackage::ReadManifestParams::Reader params,
                               schema::BootPackage::ReadManifestResults::Builder results) override;
    // Bytes of the call's result scratch (one CPU, one call at a time): a
    // chunk is also bounded by what fits in it.
    size_t scratch_bytes_ = 0;
};

}  // namespace capos

#include "kernel/cap/boot_package_cap.hpp"

#include <new>

#include "kernel/boot_package.hpp"

namespace capos {

namespace {
alignas(BootPackageCap) unsigned char g_boot_package_storage[sizeof(BootPackageCap)];
BootPackageCap* g_boot_package = nullptr;

// Bytes of a ReadManifestResults message around its data: segment table,
// root pointer, the struct's one pointer, and padding to a word.
constexpr size_t kResultsOverhead = 32;
}  // namespace

BootPackageCap& BootPackageCap::instance() {
    if (!g_boot_package) g_boot_package = new (g_boot_package_storage) BootPackageCap();
    return *g_boot_package;
}

Result<rpc::Reply> BootPackageCap::call(uint16_t method, std::span<const uint8_t> params,
                                        std::span<capnp::Word> scratch, CallContext&) {
    scratch_bytes_ = scratch.size_bytes();
    return dispatch(method, params, scratch);
}

Result<void> BootPackageCap::manifest_size(schema::BootPackage::ManifestSizeParams::Reader,
                                           schema::BootPackage::ManifestSizeResults::Builder results) {
    results.set_size(boot_package_manifest_bytes().size());
    return {};
}

// n = min(maxBytes, bootPackageMaxChunk, size - offset), and never more than
// the kernel's result scratch holds (the caller loops until it has `size`).
Result<void> BootPackageCap::read_manifest(schema::BootPackage::ReadManifestParams::Reader params,
                                           schema::BootPackage::ReadManifestResults::Builder results) {
    std::span<const uint8_t> manifest = boot_package_manifest_bytes();
    uint64_t offset = params.offset();
    if (offset > manifest.size()) return Error::InvalidArgument;
    uint64_t n = manifest.size() - offset;
    if (n > params.max_bytes()) n = params.max_bytes();
    if (n > schema::kBootPackageMaxChunk) n = schema::kBootPackageMaxChunk;
    size_t room = scratch_bytes_ > kResultsOverhead ? scratch_bytes_ - kResultsOverhead : 0;
    if (n > room) n = room & ~size_t{7};
    TRY(results.set_data(manifest.subspan(static_cast<size_t>(offset), static_cast<size_t>(n))));
    return {};
}

}  // namespace capos

#include "kernel/cap/system_info.hpp"

#include <new>

#include "kernel/boot_package.hpp"
#include "lib/capnp/reader.hpp"
#include "schema/capos.capnp.hpp"
#include "version.hpp"

namespace capos {

namespace {

class SystemInfoCap final : public ServedCap<schema::SystemInfo> {
public:
    SystemInfoCap() = default;

private:
    void destroy() override {}

    Result<void> motd(schema::SystemInfo::MotdParams::Reader,
                      schema::SystemInfo::MotdResults::Builder results) override {
        // The manifest was validated at boot; a missing or unreadable
        // motd is "" (KernelParams' default: nothing to say).
        StringView text;
        auto bytes = boot_package_manifest_bytes();
        if (!bytes.empty()) {
            capnp::MessageReader reader(bytes);
            auto root = reader.root();
            if (root.ok()) {
                schema::SystemManifest::Reader manifest(root.value());
                if (manifest.has_kernel_params()) {
                    auto params = manifest.kernel_params();
                    if (params.ok()) {
                        auto m = params.value().motd();
                        if (m.ok()) text = m.value();
                    }
                }
            }
        }
        return results.set_text(text);
    }

    Result<void> version(schema::SystemInfo::VersionParams::Reader,
                         schema::SystemInfo::VersionResults::Builder results) override {
        TRY(results.set_version(StringView(CAPOS_VERSION)));
        return results.set_commit(StringView(CAPOS_COMMIT));
    }
};

alignas(SystemInfoCap) unsigned char g_storage[sizeof(SystemInfoCap)];
SystemInfoCap* g_info = nullptr;

}  // namespace

CapObject& system_info() {
    if (!g_info) g_info = new (g_storage) SystemInfoCap();
    return *g_info;
}

}  // namespace capos

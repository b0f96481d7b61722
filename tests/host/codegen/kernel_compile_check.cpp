// Compiled with the kernel flags (freestanding, no SSE, -mcmodel=kernel):
// proves the generated capos.capnp header, schema/rpc.hpp and
// schema/boot_package.hpp build there. Linked into nothing; the build is
// the check.

#include "schema/boot_package.hpp"
#include "schema/capos.capnp.hpp"
#include "schema/rpc.hpp"

namespace {

class KernelConsole final : public capos::schema::Console::Server {
protected:
    capos::Result<void> write_line(capos::schema::Console::WriteLineParams::Reader params,
                                   capos::schema::Console::WriteLineResults::Builder) override {
        auto text = TRY(params.text());
        return text.empty() ? capos::Error::InvalidArgument : capos::Result<void>();
    }
};

}  // namespace

capos::Result<capos::rpc::Reply> capos_codegen_kernel_check(uint16_t method, std::span<const uint8_t> params,
                                                            std::span<capos::capnp::Word> scratch) {
    KernelConsole console;
    return console.dispatch(method, params, scratch);
}

capos::Result<uint32_t> capos_codegen_kernel_manifest(std::span<const uint8_t> image) {
    auto bytes = TRY(capos::boot_package::manifest_of(image));
    capos::capnp::MessageReader msg(bytes);
    auto m = TRY(capos::schema::SystemManifest::read_root(msg));
    auto init = TRY(m.init_config());
    auto grants = TRY(init.grants());
    uint32_t kernel = 0;
    for (uint32_t i = 0; i < grants.size(); ++i)
        if (grants[i].source().is_kernel()) ++kernel;
    return kernel;
}

capos::Result<uint64_t> capos_codegen_kernel_client(capos::rpc::Transport& t, capos::rpc::CallBuffers& b) {
    capos::schema::Timer::Client timer(t, 1);
    auto now = TRY(timer.now(b));
    return now.ns();
}

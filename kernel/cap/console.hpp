// Console (schema/capos.capnp): write and writeLine on COM1, the debug log.
// Each call writes at most kConsoleMaxBytes; longer data is an
// invalidArgument exception and nothing is written.
#pragma once

#include "kernel/cap/cap_object.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

inline constexpr size_t kConsoleMaxBytes = 4096;

class ConsoleCap final : public CapObject, private schema::Console::Server {
public:
    static ConsoleCap& instance();

    uint64_t interface_id() const override { return schema::Console::kInterfaceId; }
    Result<rpc::Reply> call(uint16_t method, std::span<const uint8_t> params,
                            std::span<capnp::Word> scratch, CallContext&) override {
        return dispatch(method, params, scratch);
    }

private:
    ConsoleCap() = default;
    void destroy() override {}
    Result<void> write(schema::Console::WriteParams::Reader params,
                       schema::Console::WriteResults::Builder results) override;
    Result<void> write_line(schema::Console::WriteLineParams::Reader params,
                            schema::Console::WriteLineResults::Builder results) override;
};

}  // namespace capos

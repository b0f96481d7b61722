// Console (schema/capos.capnp): write and writeLine on COM1, the debug log.
// Each call writes at most kConsoleMaxBytes; longer data is an
// invalidArgument exception and nothing is written.
#pragma once

#include "kernel/cap/cap_object.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

inline constexpr size_t kConsoleMaxBytes = 4096;

class ConsoleCap final : public ServedCap<schema::Console> {
public:
    static ConsoleCap& instance();

private:
    ConsoleCap() = default;
    void destroy() override {}
    Result<void> write(schema::Console::WriteParams::Reader params,
                       schema::Console::WriteResults::Builder results) override;
    Result<void> write_line(schema::Console::WriteLineParams::Reader params,
                            schema::Console::WriteLineResults::Builder results) override;
};

}  // namespace capos

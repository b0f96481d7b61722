#include "kernel/cap/console.hpp"

#include <new>

#include "kernel/log.hpp"

namespace capos {

namespace {
alignas(ConsoleCap) unsigned char g_console_storage[sizeof(ConsoleCap)];
ConsoleCap* g_console = nullptr;
}  // namespace

ConsoleCap& ConsoleCap::instance() {
    if (!g_console) g_console = new (g_console_storage) ConsoleCap();
    return *g_console;
}

Result<void> ConsoleCap::write(schema::Console::WriteParams::Reader params,
                               schema::Console::WriteResults::Builder) {
    auto data = TRY(params.data());
    if (data.size() > kConsoleMaxBytes) return Error::InvalidArgument;
    log::write_raw(reinterpret_cast<const char*>(data.data()), data.size());
    return {};
}

Result<void> ConsoleCap::write_line(schema::Console::WriteLineParams::Reader params,
                                    schema::Console::WriteLineResults::Builder) {
    StringView text = TRY(params.text());
    if (text.size() > kConsoleMaxBytes) return Error::InvalidArgument;
    log::write_raw(text.data(), text.size());
    log::write_raw("\n", 1);
    return {};
}

}  // namespace capos

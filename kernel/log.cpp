#include "kernel/log.hpp"

#include "kernel/arch/x86_64/serial.hpp"

namespace capos::log {

namespace {

constinit Level g_level = Level::Info;

class LogSink final : public Sink {
public:
    void write(const char* data, size_t len) override { arch::com1().write(data, len); }
};

const char* prefix(Level lv) {
    switch (lv) {
    case Level::Debug: return "[debug] ";
    case Level::Info: return "[info] ";
    case Level::Warn: return "[warn] ";
    case Level::Error: return "[error] ";
    }
    return "";
}

}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }

bool parse_level(StringView name, Level* out) {
    if (name == "debug") *out = Level::Debug;
    else if (name == "info") *out = Level::Info;
    else if (name == "warn") *out = Level::Warn;
    else if (name == "error") *out = Level::Error;
    else return false;
    return true;
}

void write_raw(const char* data, size_t len) { arch::com1().write(data, len); }

void vlog(Level lv, StringView fmt, const FormatArg* args, size_t nargs) {
    if (lv < g_level) return;
    LogSink sink;
    StringView p = prefix(lv);
    sink.write(p.data(), p.size());
    vformat(sink, fmt, args, nargs);
    sink.write("\n", 1);
}

}  // namespace capos::log

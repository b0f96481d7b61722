// The kernel log on COM1: one line per call, prefixed by its level.
//
//   log::info("frames: {} free of {}", free, total);
//
// Lines below the current level (set by the `log=` command-line option) are
// dropped. Messages never contain secrets; kernel addresses only at debug.
#pragma once

#include "lib/base/format.hpp"

namespace capos::log {

enum class Level : uint8_t { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void set_level(Level level);
Level level();
bool parse_level(StringView name, Level* out);

void vlog(Level level, StringView fmt, const FormatArg* args, size_t nargs);
// Raw bytes to the log device, no prefix, no newline.
void write_raw(const char* data, size_t len);

template <typename... Args>
void log(Level lv, StringView fmt, const Args&... args) {
    if constexpr (sizeof...(Args) == 0) {
        vlog(lv, fmt, nullptr, 0);
    } else {
        const FormatArg list[] = {FormatArg(args)...};
        vlog(lv, fmt, list, sizeof...(Args));
    }
}
template <typename... Args>
void debug(StringView fmt, const Args&... args) { log(Level::Debug, fmt, args...); }
template <typename... Args>
void info(StringView fmt, const Args&... args) { log(Level::Info, fmt, args...); }
template <typename... Args>
void warn(StringView fmt, const Args&... args) { log(Level::Warn, fmt, args...); }
template <typename... Args>
void error(StringView fmt, const Args&... args) { log(Level::Error, fmt, args...); }

}  // namespace capos::log

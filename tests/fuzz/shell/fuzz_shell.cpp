// libFuzzer target for lib/shell: any line parses or yields one syntax
// error inside the line; an accepted command's views lie inside the line;
// grant resolution and every message stay within their bounds and are one
// printable line.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "lib/shell/command.hpp"

using namespace capos;
using namespace capos::shell;

namespace {

#define FUZZ_ASSERT(cond)              \
    do {                               \
        if (!(cond)) __builtin_trap(); \
    } while (0)

constexpr uint64_t kEndpoint = 6;
const InterfaceName kNames[] = {{1, "Console"}, {6, "Endpoint"}, {15, "StdIO"}};
const HeldCap kHeld[] = {{"console", 1, 0}, {"stdio", kEndpoint, 15}, {"raw", kEndpoint, 0}};

void one_line(const char* buf, size_t n) {
    FUZZ_ASSERT(n <= kMessageMax);
    for (size_t i = 0; i < n; ++i) FUZZ_ASSERT(buf[i] >= 0x20 && buf[i] <= 0x7e);
}

bool inside(StringView v, StringView line) {
    return v.empty() || (v.data() >= line.data() && v.data() + v.size() <= line.data() + line.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // An exact-size copy, so ASan sees any read past the line.
    std::unique_ptr<char[]> copy(new char[size ? size : 1]);
    if (size) std::memcpy(copy.get(), data, size);
    StringView line(copy.get(), size);
    Command cmd;
    SyntaxError err;
    char msg[kMessageMax + 1];
    if (!parse(line, cmd, err)) {
        FUZZ_ASSERT(err.column >= 1 && err.column <= size + 1);
        size_t n = syntax_error_message(err, line, msg, sizeof msg);
        FUZZ_ASSERT(n > 0);
        one_line(msg, n);
        return 0;
    }
    FUZZ_ASSERT(inside(cmd.binary, line) && cmd.binary.size() <= kBinaryMax);
    FUZZ_ASSERT(cmd.grant_count <= kMaxGrants);
    for (uint32_t i = 0; i < cmd.grant_count; ++i) {
        FUZZ_ASSERT(inside(cmd.grants[i].name, line) && inside(cmd.grants[i].source, line));
        FUZZ_ASSERT(!cmd.grants[i].name.empty() && cmd.grants[i].name.size() <= kNameMax);
        FUZZ_ASSERT(!cmd.grants[i].source.empty() && cmd.grants[i].source.size() <= kNameMax);
    }
    ResolvedGrant out[kMaxGrants];
    ResolveResult r = resolve(cmd, kHeld, 3, kEndpoint, out);
    size_t n = resolve_error_message(r, cmd, kHeld, 3, kNames, 3, msg, sizeof msg);
    if (r.error == ResolveError::None) {
        FUZZ_ASSERT(n == 0);
        for (uint32_t i = 0; i < cmd.grant_count; ++i) FUZZ_ASSERT(out[i].held < 3);
    } else {
        FUZZ_ASSERT(n > 0);
        one_line(msg, n);
    }
    n = unknown_binary_message(cmd.binary, msg, sizeof msg);
    one_line(msg, n);
    n = failed_program_message(cmd.binary, -1, msg, sizeof msg);
    one_line(msg, n);
    return 0;
}

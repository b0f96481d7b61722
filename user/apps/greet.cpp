// greet: talks to a person through the StdIO capability named "stdio" (a
// client facet of the endpoint the shell serves, docs/shell.md):
//
//   run "greet" with { stdio: client @stdio }
//
// writes "what is your name? ", reads one line and answers
// "hello, NAME, from a program holding only StdIO". Exit code 0; 1 without
// "stdio"; 2 when a call fails; 3 when the line was not ended with Enter
// (Ctrl-C, Ctrl-D, too long).
#include <cstdint>

#include "lib/base/format.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/transport.hpp"

namespace {
namespace rt = capos::rt;
namespace S = capos::schema;

capos::capnp::Word g_params[64];
alignas(8) uint8_t g_results[512];

std::span<const uint8_t> bytes(const char* s, size_t n) { return {reinterpret_cast<const uint8_t*>(s), n}; }
}  // namespace

int capos_main(const rt::StartInfo&) {
    auto transport = rt::transport();
    if (!transport) return 1;
    auto io = rt::capset().client<S::StdIO>("stdio", *transport.value());
    if (!io) return 1;
    capos::rpc::CallBuffers b(g_params, g_results);
    static const char kAsk[] = "what is your name? ";
    if (!io.value().write(b, bytes(kAsk, sizeof kAsk - 1))) return 2;
    auto r = io.value().read_line(b, [](S::StdIO::ReadLineParams::Builder p) { p.set_max_bytes(40); });
    if (!r) return 2;
    if (r.value().status() != S::LineStatus::Line) return 3;
    auto line = r.value().line();
    if (!line) return 2;
    char name[41];
    size_t n = line.value().size() < 40 ? line.value().size() : 40;
    for (size_t i = 0; i < n; ++i) {
        char c = static_cast<char>(line.value()[i]);
        name[i] = (c >= 0x20 && c <= 0x7e) ? c : '?';
    }
    char out[128];
    size_t len = capos::format_to(out, sizeof out, "hello, {}, from a program holding only StdIO\r\n",
                                  capos::StringView(name, n));
    if (!io.value().write(b, bytes(out, len))) return 2;
    return 0;
}

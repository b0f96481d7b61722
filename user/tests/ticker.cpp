// ticker: a well-behaved process that keeps printing while others attack
// the kernel (qemu.ring_concurrent): "ticker: N" for N = 1..kTicks, with a
// Timer.sleep between lines, then "ticker: done". Exit 0, else 1 (no
// console or timer), 2 (a call failed).
#include <cstdint>

#include "lib/base/format.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/console.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/transport.hpp"

namespace {
namespace rt = capos::rt;
namespace schema = capos::schema;
constexpr int kTicks = 20;
capos::capnp::Word g_params[16];
alignas(8) uint8_t g_results[256];
}  // namespace

int capos_main(const rt::StartInfo&) {
    auto transport = rt::transport();
    if (!transport) return 1;
    auto timer = rt::capset().client<schema::Timer>("timer", *transport.value());
    if (!timer) return 1;
    capos::rpc::CallBuffers buffers(g_params, g_results);
    char line[32];
    for (int i = 1; i <= kTicks; ++i) {
        capos::format_to(line, sizeof(line), "ticker: {}", i);
        if (!rt::print_line(line)) return 2;
        if (!timer.value().sleep(buffers, 5'000'000)) return 2;
    }
    if (!rt::print_line("ticker: done")) return 2;
    return 0;
}

// hello: prints "hello, world" through the Console capability named
// "console" in its CapSet, with the generated client
// (schema::Console::Client) over the runtime's ring transport.
//
// Exit code 0 when the line was written; otherwise
//   1 no "console" of the Console interface in the CapSet
//   2 the writeLine call failed (transport error or a Console exception)
#include <cstdint>

#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/transport.hpp"

namespace {
namespace rt = capos::rt;
namespace schema = capos::schema;

capos::capnp::Word g_params[16];
alignas(8) uint8_t g_results[256];
}  // namespace

int capos_main(const rt::StartInfo&) {
    auto transport = rt::transport();
    if (!transport) return 1;
    auto console = rt::capset().client<schema::Console>("console", *transport.value());
    if (!console) return 1;
    capos::rpc::CallBuffers buffers(g_params, g_results);
    if (!console.value().write_line(buffers, "hello, world")) return 2;
    return 0;
}

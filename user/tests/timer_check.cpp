// timer_check: the Timer capability (qemu.timer). now() never decreases;
// sleep(30 ms) completes no earlier than 30 ms later (the call blocks in
// cap_enter until the kernel posts the deferred completion); sleep(0)
// completes at once. Prints "timer: slept N ms" and exits 0, else the
// number of the failed check:
//   1 no "timer" of the Timer interface   2 a now() call failed
//   3 now() decreased                     4 a sleep call failed
//   5 sleep returned before its time      6 printing failed
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
capos::capnp::Word g_params[16];
alignas(8) uint8_t g_results[256];
}  // namespace

int capos_main(const rt::StartInfo&) {
    auto transport = rt::transport();
    if (!transport) return 1;
    auto timer = rt::capset().client<schema::Timer>("timer", *transport.value());
    if (!timer) return 1;
    capos::rpc::CallBuffers buffers(g_params, g_results);
    auto now = [&]() -> capos::Result<uint64_t> {
        auto r = timer.value().now(buffers);
        if (!r) return r.error();
        return r.value().ns();
    };
    auto t0 = now();
    auto t1 = now();
    if (!t0 || !t1) return 2;
    if (t1.value() < t0.value()) return 3;
    constexpr uint64_t kSleep = 30'000'000;
    if (!timer.value().sleep(buffers, kSleep)) return 4;
    auto t2 = now();
    if (!t2) return 2;
    if (t2.value() < t1.value() + kSleep) return 5;
    if (!timer.value().sleep(buffers, 0)) return 4;
    char line[64];
    capos::format_to(line, sizeof(line), "timer: slept {} ms", (t2.value() - t1.value()) / 1'000'000);
    if (!rt::print_line(line)) return 6;
    return 0;
}

// entropy_check: the EntropySource capability (qemu.entropy,
// qemu.entropy_weak). count 0 and 257 raise invalidArgument; 1, 32 and
// 256 bytes come back in exactly that number; two 32-byte draws differ;
// a 256-byte draw is not constant. Prints "entropy_check: strong=S" (S 1
// for RDSEED/RDRAND, 0 for the weak fallback) and exits 0, else the number
// of the failed check:
//   1 no "entropy" EntropySource    2 count 0 or 257 not invalidArgument
//   3 a valid call failed           4 wrong length
//   5 two draws were equal          6 a 256-byte draw was constant
//   7 strong changed between calls  8 printing failed
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
alignas(8) uint8_t g_results[1024];
}  // namespace

int capos_main(const rt::StartInfo&) {
    auto transport = rt::transport();
    if (!transport) return 1;
    auto entropy = rt::capset().client<schema::EntropySource>("entropy", *transport.value());
    if (!entropy) return 1;
    capos::rpc::CallBuffers buffers(g_params, g_results);
    for (uint32_t bad : {0u, 257u, 0xffffffffu}) {
        auto r = entropy.value().get_bytes(buffers, bad);
        if (!capos::rpc::raised(r, buffers, capos::rpc::ExceptionKind::InvalidArgument)) return 2;
    }
    uint8_t first[32];
    bool strong = false;
    for (uint32_t count : {1u, 32u, 32u, 256u}) {
        auto r = entropy.value().get_bytes(buffers, count);
        if (!r) return 3;
        auto data = r.value().data();
        if (!data || data.value().size() != count) return 4;
        if (count == 1) {
            strong = r.value().strong();
        } else if (r.value().strong() != strong) {
            return 7;
        }
        auto d = data.value();
        static int draws32 = 0;
        if (count == 32 && draws32++ == 0) {
            for (int i = 0; i < 32; ++i) first[i] = d[i];
        } else if (count == 32) {
            bool same = true;
            for (int i = 0; i < 32; ++i) same = same && first[i] == d[i];
            if (same) return 5;
        } else if (count == 256) {
            bool constant = true;
            for (uint32_t i = 1; i < 256; ++i) constant = constant && d[i] == d[0];
            if (constant) return 6;
        }
    }
    char line[64];
    capos::format_to(line, sizeof(line), "entropy_check: strong={}", strong ? 1 : 0);
    if (!rt::print_line(line)) return 8;
    return 0;
}

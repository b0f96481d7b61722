// Endpoint IPC benchmark row (issue #9, docs/performance.md): one binary,
// two roles chosen by the CapSet (system/measure_ipc.capnp, booted with
// services=concurrent):
//
// Server ("svc": the raw Endpoint, protocol Console): a null server. It
// answers exactly kCalls calls, each with an empty results message, without
// decoding the params: RECV, then for every call one RETURN and the next
// RECV submitted together and one cap_enter waiting for both CQEs. Exit 0, or
//   1 setup   2 a RECV failed or did not parse   3 a RETURN failed
//
// Client ("ep": a client facet of the server's endpoint), row `ipc_rt`:
// one operation is a round trip, user to user: a CALL SQE (built once,
// empty params), cap_enter(1), the CQE reaped. Check: the CQE carries the
// empty results message's length and the call's user_data. Exit 0, or
//   1 setup   2 the row failed its check
#include <cstdint>

#include "abi/ring.hpp"
#include "bench/measure/harness.hpp"
#include "lib/capnp/capnp.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/console.hpp"
#include "user/rt/ring_client.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/server.hpp"

#ifndef CAPOS_BENCH_WARMUP
#define CAPOS_BENCH_WARMUP 1000
#endif
#ifndef CAPOS_BENCH_ITERS
#define CAPOS_BENCH_ITERS 10000
#endif

namespace {
namespace abi = capos::abi;
namespace capnp = capos::capnp;
namespace rt = capos::rt;
namespace schema = capos::schema;

constexpr uint64_t kWarmup = CAPOS_BENCH_WARMUP;
constexpr uint64_t kIters = CAPOS_BENCH_ITERS;
// The client's harness makes exactly this many calls.
constexpr uint64_t kCalls = kWarmup + kIters;

alignas(8) uint8_t g_recv[256];
capnp::Word g_empty[4];
alignas(8) uint8_t g_results[64];

// An empty struct message (results and params alike).
std::span<const uint8_t> empty_message() {
    capnp::MessageBuilder msg(g_empty);
    if (!msg.init_root(0, 0)) return {};
    return msg.bytes();
}

int serve(rt::RingClient& ring, abi::CapId ep) {
    auto results = empty_message();
    if (results.empty()) return 1;
    uint64_t recv_ud = ring.next_user_data();
    if (!ring.submit(rt::recv_sqe(ep, g_recv, recv_ud))) return 1;
    uint32_t outstanding = 1;  // SQEs submitted whose CQE is not reaped yet
    for (uint64_t served = 0; served < kCalls;) {
        // One enter waits for everything submitted: the last RETURN's CQE
        // and the next call.
        (void)ring.enter(outstanding, abi::kTimeoutForever);
        abi::Cqe c;
        while (ring.reap(&c)) {
            --outstanding;
            if (c.user_data != recv_ud) {  // a RETURN's CQE
                if (c.result != 0) return 3;
                continue;
            }
            auto call = rt::parse_recv(g_recv, c.result);
            if (!call) return 2;
            ++served;
            rt::Answer a{call.value().header.call_id, results, false};
            if (!ring.submit(rt::return_sqe(ep, a, ring.next_user_data()))) return 3;
            ++outstanding;
            if (served < kCalls) {
                recv_ud = ring.next_user_data();
                if (!ring.submit(rt::recv_sqe(ep, g_recv, recv_ud))) return 2;
                ++outstanding;
            }
        }
    }
    // Collect the last RETURN's CQE.
    for (uint32_t i = 0; i < 4 && ring.sq_pending() + ring.cq_ready() > 0; ++i) {
        (void)ring.enter(1, abi::kTimeoutPoll);
        abi::Cqe c;
        while (ring.reap(&c))
            if (c.user_data != recv_ud && c.result != 0) return 3;
    }
    return 0;
}

int client(rt::RingClient& ring, abi::CapId facet) {
    auto params = empty_message();
    if (params.empty()) return 1;
    abi::Sqe sqe{};
    sqe.opcode = static_cast<uint8_t>(abi::Opcode::Call);
    sqe.cap_id = facet;
    sqe.method = schema::Console::kMethodWrite;
    sqe.params_addr = reinterpret_cast<uintptr_t>(params.data());
    sqe.params_len = static_cast<uint32_t>(params.size());
    sqe.result_addr = reinterpret_cast<uintptr_t>(g_results);
    sqe.result_len = sizeof(g_results);
    const int32_t want = static_cast<int32_t>(params.size());  // the server's empty results
    auto s = measure::run("ipc_rt", kWarmup, kIters, 1, [&](uint64_t i) {
        sqe.user_data = i + 1;
        if (!ring.submit(sqe)) return false;
        if (ring.enter(1, abi::kTimeoutForever) < 1) return false;
        abi::Cqe c;
        return ring.reap(&c) && c.result == want && c.user_data == i + 1;
    });
    (void)rt::print_line(measure::format(s).c_str());
    return s.ok() ? 0 : 2;
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto r = rt::ring();
    if (!r) return 1;
    rt::RingClient& ring = *r.value();
    if (rt::capset().find("svc")) {
        auto ep = rt::capset().lookup("svc", schema::Endpoint::kInterfaceId);
        return ep ? serve(ring, ep.value()) : 1;
    }
    auto facet = rt::capset().lookup("ep", schema::Console::kInterfaceId);
    return facet ? client(ring, facet.value()) : 1;
}

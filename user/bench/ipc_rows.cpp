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
// Calls carrying one capability: method 0 with one transferred capability
// is a copy, which the server RELEASEs (in the same cap_enter as its
// RETURN); method 1 with one is a move, which the server moves back with
// its RETURN.
//
// Client ("ep": a client facet of the server's endpoint); the row is fixed
// at compile time (CAPOS_BENCH_IPC_MODE, one binary per row,
// user/bench/CMakeLists.txt). One operation is a round trip, user to user:
// a CALL SQE (built once, empty params), cap_enter(1), the CQE reaped.
//   ipc_rt    no capability
//   ipc_copy  a copy of the client's "console" capability travels with the call
//   ipc_move  the client's "console" capability is moved to the server and
//             comes back moved in the answer (its new id is used next time)
// Check: the CQE carries the empty results message's length, the call's
// user_data and (ipc_move) one transfer record of the Console interface.
// Exit 0, or
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
#include "user/rt/transport.hpp"

#ifndef CAPOS_BENCH_WARMUP
#define CAPOS_BENCH_WARMUP 1000
#endif
#ifndef CAPOS_BENCH_ITERS
#define CAPOS_BENCH_ITERS 10000
#endif
#ifndef CAPOS_BENCH_IPC_MODE
#define CAPOS_BENCH_IPC_MODE 0  // 0 ipc_rt, 1 ipc_copy, 2 ipc_move
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

constexpr int kMode = CAPOS_BENCH_IPC_MODE;
constexpr uint16_t kMethodCopy = 0;
constexpr uint16_t kMethodMove = 1;

alignas(8) uint8_t g_recv[256];
capnp::Word g_empty[4];
alignas(8) uint8_t g_results[128];
abi::TransferDescriptor g_xfer[1];

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
            const auto& h = call.value().header;
            rt::Answer a{h.call_id, results, false};
            abi::Sqe ret = rt::return_sqe(ep, a, ring.next_user_data());
            if (h.xfer_count == 1 && h.method == kMethodCopy) {
                // The copy is released with the same enter as the RETURN.
                abi::Sqe rel{};
                rel.opcode = static_cast<uint8_t>(abi::Opcode::Release);
                rel.cap_id = call.value().transfers[0].cap_id;
                rel.user_data = ring.next_user_data();
                if (!ring.submit(rel)) return 3;
                ++outstanding;
            } else if (h.xfer_count == 1 && h.method == kMethodMove) {
                g_xfer[0] = abi::TransferDescriptor{};
                g_xfer[0].cap_id = call.value().transfers[0].cap_id;
                g_xfer[0].mode = static_cast<uint8_t>(abi::TransferMode::Move);
                ret.xfer_count = 1;
                ret.xfer_addr = reinterpret_cast<uintptr_t>(g_xfer);
            } else if (h.xfer_count != 0) {
                return 2;
            }
            if (!ring.submit(ret)) return 3;
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
    const char* row = kMode == 0 ? "ipc_rt" : kMode == 1 ? "ipc_copy" : "ipc_move";
    if (kMode != 0) {
        auto console = rt::capset().lookup("console", schema::Console::kInterfaceId);
        if (!console) return 1;
        g_xfer[0].cap_id = console.value();
        g_xfer[0].mode = static_cast<uint8_t>(kMode == 1 ? abi::TransferMode::Copy : abi::TransferMode::Move);
        sqe.method = kMode == 1 ? kMethodCopy : kMethodMove;
        sqe.xfer_count = 1;
        sqe.xfer_addr = reinterpret_cast<uintptr_t>(g_xfer);
    }
    auto s = measure::run(row, kWarmup, kIters, 1, [&](uint64_t i) {
        sqe.user_data = i + 1;
        if (!ring.submit(sqe)) return false;
        if (ring.enter(1, abi::kTimeoutForever) < 1) return false;
        abi::Cqe c;
        if (!ring.reap(&c) || c.user_data != i + 1) return false;
        if (kMode != 2) return c.result == want && c.xfer_count == 0;
        // The moved capability came back: its record precedes the message.
        if (c.xfer_count != 1 || c.result != want) return false;
        abi::TransferResult back;
        __builtin_memcpy(&back, g_results, sizeof(back));
        if (back.interface_id != schema::Console::kInterfaceId) return false;
        g_xfer[0].cap_id = back.cap_id;
        return true;
    });
    if (kMode == 2) {
        // The console came back under a new id: print through that one.
        static capnp::Word params_buf[600];
        alignas(8) static uint8_t result_buf[256];
        auto t = rt::transport();
        if (!t) return 1;
        schema::Console::Client con(*t.value(), g_xfer[0].cap_id);
        capos::rpc::CallBuffers b(params_buf, result_buf);
        if (!con.write_line(b, measure::format(s).c_str())) return 2;
    } else {
        (void)rt::print_line(measure::format(s).c_str());
    }
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

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
//
// Two more rows, with their own server loops:
//   ipc_batch32  (mode 3) 32 CALL SQEs submitted, one cap_enter(32), 32
//                CQEs reaped; per call. The server keeps 32 RECVs waiting
//                (one buffer each) and answers a batch with 32 RETURNs,
//                reposting each RECV beside its RETURN: 16 RETURN + 16 RECV
//                SQEs per cap_enter (the SQ holds 32), two enters per batch,
//                the second waiting for all its RETURNs and one more call.
//                Check: every call's CQE once, with the empty results.
//   ipc_oneway   (mode 4) the sel4bench bracket (docs/performance.md): the
//                client stores rdtsc into its one-word params just before
//                its cap_enter; the server reads rdtsc just after its
//                cap_enter returns with the call: one-way CALL. The server
//                stores rdtsc into its one-word results just before the
//                cap_enter that RETURNs and posts the next RECV (seL4's
//                ReplyRecv); the client reads rdtsc just after its
//                cap_enter returns: one-way RETURN. Each side subtracts the
//                same bracket around a store and no system call. The server
//                prints `ipc_call_oneway`, the client `ipc_return_oneway`.
//                Check: stamps never run backwards, lengths as sent. One
//                extra untimed call at the end keeps the server's exit out
//                of the last timed RETURN.
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
#include "user/rt/syscall.hpp"
#include "user/rt/transport.hpp"

#ifndef CAPOS_BENCH_WARMUP
#define CAPOS_BENCH_WARMUP 1000
#endif
#ifndef CAPOS_BENCH_ITERS
#define CAPOS_BENCH_ITERS 10000
#endif
#ifndef CAPOS_BENCH_IPC_MODE
#define CAPOS_BENCH_IPC_MODE 0  // 0 ipc_rt, 1 ipc_copy, 2 ipc_move, 3 ipc_batch32, 4 ipc_oneway
#endif

namespace {
namespace abi = capos::abi;
namespace capnp = capos::capnp;
namespace rt = capos::rt;
namespace schema = capos::schema;

constexpr uint64_t kWarmup = CAPOS_BENCH_WARMUP;
constexpr uint64_t kIters = CAPOS_BENCH_ITERS;
// The client's harness makes exactly this many calls.
constexpr int kMode = CAPOS_BENCH_IPC_MODE;
constexpr uint32_t kBatch = 32;
constexpr uint64_t kCalls = kMode == 3 ? (kWarmup + kIters) * kBatch : kMode == 4 ? kWarmup + kIters + 1 : kWarmup + kIters;
constexpr uint16_t kMethodCopy = 0;
constexpr uint16_t kMethodMove = 1;

alignas(8) uint8_t g_recv[256];
capnp::Word g_empty[4];
alignas(8) uint8_t g_results[128];
abi::TransferDescriptor g_xfer[1];
alignas(8) uint8_t g_recv_batch[kBatch][128];
alignas(8) uint8_t g_results_batch[kBatch][64];
capnp::Word g_stamp_msg[4];

// An empty struct message (results and params alike).
std::span<const uint8_t> empty_message() {
    capnp::MessageBuilder msg(g_empty);
    if (!msg.init_root(0, 0)) return {};
    return msg.bytes();
}

// A message whose root struct holds one UInt64 (a TSC stamp), and where
// that word lies in its bytes: segment table (8), root pointer (8), data.
constexpr size_t kStampOffset = 16;
std::span<const uint8_t> stamp_message() {
    capnp::MessageBuilder msg(g_stamp_msg);
    if (!msg.init_root(1, 0)) return {};
    if (msg.bytes().size() != kStampOffset + 8) return {};
    return msg.bytes();
}
volatile uint64_t* stamp_word(std::span<const uint8_t> msg) {
    return reinterpret_cast<volatile uint64_t*>(const_cast<uint8_t*>(msg.data()) + kStampOffset);
}
uint64_t read_stamp(std::span<const uint8_t> msg) {
    uint64_t v;
    __builtin_memcpy(&v, msg.data() + kStampOffset, sizeof v);
    return v;
}

// The sel4bench no-op bracket: the same stamp store between two timer
// reads, no system call; summed over kIters.
uint64_t null_brackets(volatile uint64_t* word) {
    uint64_t sum = 0;
    for (uint64_t i = 0; i < kIters; ++i) {
        uint64_t a = measure::rdtsc();
        *word = a;
        uint64_t b = measure::rdtsc();
        sum += b - a;
    }
    return sum;
}

// A sample from summed brackets (timed) and summed null brackets.
measure::Sample bracket_sample(const char* row, uint64_t total, uint64_t baseline, uint64_t failures) {
    measure::Sample s;
    s.row = row;
    s.warmup = kWarmup;
    s.iters = kIters;
    s.total = total;
    s.baseline = baseline;
    s.failures = failures;
    return s;
}

// ipc_batch32's server: 32 RECVs waiting, each batch answered with
// RETURN + RECV per call, flushed 16 pairs at a time.
int serve_batch(rt::RingClient& ring, abi::CapId ep) {
    auto results = empty_message();
    if (results.empty()) return 1;
    uint64_t posted = 0;  // RECVs submitted in all
    for (uint32_t k = 0; k < kBatch; ++k, ++posted)
        if (!ring.submit(rt::recv_sqe(ep, g_recv_batch[k], k + 1))) return 1;
    uint64_t served = 0;
    uint32_t want = 1;
    uint32_t slots[kBatch];
    int32_t lens[kBatch];
    for (;;) {
        (void)ring.enter(want, abi::kTimeoutForever);
        uint32_t got = 0;
        abi::Cqe c;
        while (ring.reap(&c)) {
            if (c.user_data > kBatch) {  // a RETURN's CQE
                if (c.result != 0) return 3;
                continue;
            }
            if (got == kBatch) return 2;
            slots[got] = static_cast<uint32_t>(c.user_data - 1);
            lens[got++] = c.result;
        }
        if (served == kCalls) break;
        uint32_t rets = 0;
        for (uint32_t k = 0; k < got; ++k) {
            uint32_t slot = slots[k];
            auto call = rt::parse_recv(g_recv_batch[slot], lens[k]);
            if (!call || call.value().header.xfer_count != 0) return 2;
            ++served;
            rt::Answer a{call.value().header.call_id, results, false};
            if (ring.sq_space() < 2) (void)ring.enter(0, abi::kTimeoutPoll);
            if (!ring.submit(rt::return_sqe(ep, a, kBatch + 1 + slot))) return 3;
            ++rets;
            if (posted < kCalls) {
                if (!ring.submit(rt::recv_sqe(ep, g_recv_batch[slot], slot + 1))) return 2;
                ++posted;
            }
        }
        // Every RETURN's CQE (none reaped since the flushes) and, while
        // calls remain, the next call.
        want = rets + (served < kCalls ? 1 : 0);
    }
    return 0;
}

// ipc_oneway's server: RECV, then RETURN + RECV per cap_enter, stamped.
int serve_oneway(rt::RingClient& ring, abi::CapId ep) {
    auto results = stamp_message();
    if (results.empty()) return 1;
    volatile uint64_t* stamp = stamp_word(results);
    const uint64_t baseline = null_brackets(stamp);
    uint64_t recv_ud = ring.next_user_data();
    if (!ring.submit(rt::recv_sqe(ep, g_recv, recv_ud))) return 1;
    uint64_t served = 0, total = 0, failures = 0;
    uint64_t want = 1;
    for (;;) {
        uint64_t before = measure::rdtsc();
        *stamp = before;  // read by the client: the one-way RETURN starts here
        int64_t n = rt::sys_cap_enter(want, abi::kTimeoutForever);
        uint64_t after = measure::rdtsc();  // the one-way CALL ends here
        if (n < 0) return 2;
        bool answered = false;
        abi::Cqe c;
        while (ring.reap(&c)) {
            if (c.user_data != recv_ud) {
                if (c.result != 0) return 3;
                continue;
            }
            auto call = rt::parse_recv(g_recv, c.result);
            if (!call || call.value().params.size() != kStampOffset + 8) return 2;
            uint64_t sent = read_stamp(call.value().params);
            if (sent > after) ++failures;
            else if (served >= kWarmup && served < kWarmup + kIters) total += after - sent;
            ++served;
            rt::Answer a{call.value().header.call_id, results, false};
            if (!ring.submit(rt::return_sqe(ep, a, ring.next_user_data()))) return 3;
            if (served < kCalls) {
                recv_ud = ring.next_user_data();
                if (!ring.submit(rt::recv_sqe(ep, g_recv, recv_ud))) return 2;
            }
            answered = true;
        }
        if (!answered) continue;
        if (served == kCalls) break;
        want = 2;  // this RETURN's CQE and the next call
    }
    (void)ring.enter(1, abi::kTimeoutForever);  // the last RETURN
    abi::Cqe c;
    while (ring.reap(&c))
        if (c.user_data != recv_ud && c.result != 0) return 3;
    auto s = bracket_sample("ipc_call_oneway", total, baseline, failures);
    (void)rt::print_line(measure::format(s).c_str());
    return s.ok() ? 0 : 2;
}

int serve(rt::RingClient& ring, abi::CapId ep) {
    if (kMode == 3) return serve_batch(ring, ep);
    if (kMode == 4) return serve_oneway(ring, ep);
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

// The client's CALL: the (empty) params on the server's facet, built once
// before any timing.
abi::Sqe write_call(abi::CapId facet, std::span<const uint8_t> params, uintptr_t result_addr, uint32_t result_len) {
    abi::Sqe sqe{};
    sqe.opcode = static_cast<uint8_t>(abi::Opcode::Call);
    sqe.cap_id = facet;
    sqe.method = schema::Console::kMethodWrite;
    sqe.params_addr = reinterpret_cast<uintptr_t>(params.data());
    sqe.params_len = static_cast<uint32_t>(params.size());
    sqe.result_addr = result_addr;
    sqe.result_len = result_len;
    return sqe;
}

int client_batch(rt::RingClient& ring, abi::CapId facet) {
    auto params = empty_message();
    if (params.empty()) return 1;
    abi::Sqe sqe = write_call(facet, params, 0, sizeof(g_results_batch[0]));  // result_addr per call
    const int32_t want = static_cast<int32_t>(params.size());
    auto s = measure::run("ipc_batch32", kWarmup, kIters, kBatch, [&](uint64_t i) {
        const uint64_t first = i * kBatch + 1;
        for (uint32_t k = 0; k < kBatch; ++k) {
            sqe.user_data = first + k;
            sqe.result_addr = reinterpret_cast<uintptr_t>(g_results_batch[k]);
            if (!ring.submit(sqe)) return false;
        }
        if (ring.enter(kBatch, abi::kTimeoutForever) < kBatch) return false;
        uint64_t seen = 0;
        bool ok = true;
        for (uint32_t k = 0; k < kBatch; ++k) {
            abi::Cqe c;
            if (!ring.reap(&c) || c.user_data < first || c.user_data >= first + kBatch) return false;
            uint64_t bit = uint64_t{1} << (c.user_data - first);
            if ((seen & bit) != 0 || c.result != want || c.xfer_count != 0) ok = false;
            seen |= bit;
        }
        return ok && seen == 0xFFFFFFFFull;
    });
    (void)rt::print_line(measure::format(s).c_str());
    return s.ok() ? 0 : 2;
}

int client_oneway(rt::RingClient& ring, abi::CapId facet) {
    auto params = stamp_message();
    if (params.empty()) return 1;
    volatile uint64_t* stamp = stamp_word(params);
    const uint64_t baseline = null_brackets(stamp);
    abi::Sqe sqe = write_call(facet, params, reinterpret_cast<uintptr_t>(g_results), sizeof(g_results));
    uint64_t total = 0, failures = 0;
    for (uint64_t i = 0; i < kCalls; ++i) {
        sqe.user_data = i + 1;
        if (!ring.submit(sqe)) return 2;
        uint64_t before = measure::rdtsc();
        *stamp = before;  // read by the server: the one-way CALL starts here
        int64_t n = rt::sys_cap_enter(1, abi::kTimeoutForever);
        uint64_t after = measure::rdtsc();  // the one-way RETURN ends here
        abi::Cqe c;
        if (n < 1 || !ring.reap(&c) || c.user_data != i + 1 || c.result != static_cast<int32_t>(kStampOffset + 8)) {
            ++failures;
            continue;
        }
        uint64_t sent;
        __builtin_memcpy(&sent, g_results + kStampOffset, sizeof sent);
        if (sent > after) ++failures;
        else if (i >= kWarmup && i < kWarmup + kIters) total += after - sent;
    }
    auto s = bracket_sample("ipc_return_oneway", total, baseline, failures);
    (void)rt::print_line(measure::format(s).c_str());
    return s.ok() ? 0 : 2;
}

int client(rt::RingClient& ring, abi::CapId facet) {
    if (kMode == 3) return client_batch(ring, facet);
    if (kMode == 4) return client_oneway(ring, facet);
    auto params = empty_message();
    if (params.empty()) return 1;
    abi::Sqe sqe = write_call(facet, params, reinterpret_cast<uintptr_t>(g_results), sizeof(g_results));
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

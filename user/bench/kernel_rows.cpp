// Benchmark rows for the kernel primitives that exist today (issue #9,
// docs/performance.md), timed with the shared harness
// (bench/measure/harness.hpp). Each row prints one `measure:` line through
// the Console; the program exits 0 only when every row's own checks passed.
//
// Which rows run and how many iterations they take are fixed at compile
// time (user/bench/CMakeLists.txt builds one binary per row for
// `make run-measure`, so the kernel's per-process counter snapshots bracket
// exactly one row, and one smoke binary running every row briefly for
// qemu.measure_smoke):
//   CAPOS_BENCH_ROWS    bit mask of the rows below (default: all)
//   CAPOS_BENCH_WARMUP  warm-up iterations (default 1000)
//   CAPOS_BENCH_ITERS   timed iterations (default 10000)
//
// Rows (what one operation is; its check):
//   null_enter        cap_enter(0, poll) with an empty SQ; returns 0 CQEs
//   nop1/nop8/nop32   1, 8 or 32 NOP SQEs submitted, one cap_enter(k)
//                     waiting for k, k CQEs reaped; per NOP; every CQE
//                     has result 0 and its SQE's user_data, in order
//   timer_now         Timer.now() through the generated client: build the
//                     (empty) params, CALL, enter, reap, decode the results.
//                     The cheapest kernel-capability method with empty
//                     params; the kernel's only capability without a side
//                     effect. Check: ns never decreases
//   timer_now_raw     the same CALL with the SQE and params built once
//                     beforehand: submit, enter, reap; the transport's share
//                     left out. Check: result bytes and user_data
//   timer_sleep0      Timer.sleep(ns = 0) through the generated client: the
//                     kernel decodes a one-word params struct (UInt64) and
//                     completes at once with empty results. Chosen as the
//                     "kernel CALL that decodes small params" because
//                     Console.write would flood the serial port and time
//                     the UART; the method body is nearly empty. Check: ok
//   mo_map            MemoryObject.map then MemoryObject.unmap of a one-page
//                     object (FrameAllocator "frames"), both through the
//                     generated client; one operation is the pair. Check:
//                     the page holds the word written through the previous
//                     mapping (the same frame comes back), then a new one
//                     is written; the object is released at the end
//
// Exit codes: 0 all rows checked out; 1 a row failed its check (or the
// MemoryObject could not be set up or released); 2 no Timer "timer" or no
// transport; 3 the ring could not be attached.
#include <cstdint>

#include "abi/ring.hpp"
#include "abi/syscall.hpp"
#include "bench/measure/harness.hpp"
#include "lib/capnp/capnp.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/cap_handle.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/console.hpp"
#include "user/rt/ring_client.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/syscall.hpp"
#include "user/rt/transport.hpp"

#ifndef CAPOS_BENCH_ROWS
#define CAPOS_BENCH_ROWS 0xFFFFFFFFu
#endif
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

enum Row : uint32_t {
    kNullEnter = 1u << 0,
    kNop1 = 1u << 1,
    kNop8 = 1u << 2,
    kNop32 = 1u << 3,
    kTimerNow = 1u << 4,
    kTimerNowRaw = 1u << 5,
    kTimerSleep0 = 1u << 6,
    kMoMap = 1u << 7,
};

constexpr uint32_t kRows = CAPOS_BENCH_ROWS;
constexpr uint64_t kWarmup = CAPOS_BENCH_WARMUP;
constexpr uint64_t kIters = CAPOS_BENCH_ITERS;

capnp::Word g_params[16];
alignas(8) uint8_t g_results[256];
capnp::Word g_raw_params[4];
alignas(8) uint8_t g_raw_results[64];

bool g_all_ok = true;

void emit(const measure::Sample& s) {
    (void)rt::print_line(measure::format(s).c_str());
    if (!s.ok()) g_all_ok = false;
}
void emit_failed(const char* row, const char* reason) {
    (void)rt::print_line(measure::format_failed(row, reason).c_str());
    g_all_ok = false;
}

measure::Sample null_enter() {
    return measure::run("null_enter", kWarmup, kIters, 1, [](uint64_t) {
        return rt::sys_cap_enter(0, abi::kTimeoutPoll) == 0;
    });
}

// k NOPs per cap_enter, per NOP.
measure::Sample nops(rt::RingClient& ring, const char* name, uint32_t k) {
    return measure::run(name, kWarmup, kIters, k, [&ring, k](uint64_t i) {
        uint64_t first = i * k + 1;
        for (uint32_t j = 0; j < k; ++j) {
            abi::Sqe sqe{};
            sqe.user_data = first + j;
            if (!ring.submit(sqe)) return false;
        }
        if (ring.enter(k, abi::kTimeoutForever) < k) return false;
        bool ok = true;
        for (uint32_t j = 0; j < k; ++j) {
            abi::Cqe c;
            if (!ring.reap(&c) || c.result != 0 || c.user_data != first + j) ok = false;
        }
        return ok;
    });
}

// MemoryObject.map + unmap of one page, through the generated client.
void mo_map(rt::RingTransport& transport, capos::rpc::CallBuffers& buffers) {
    auto fa = rt::capset().client<schema::FrameAllocator>("frames", transport);
    if (!fa || !fa.value().allocate(buffers, 1)) return emit_failed("mo_map", "allocate");
    auto t = transport.transfers();
    if (t.size() != 1 || t[0].interface_id != schema::MemoryObject::kInterfaceId)
        return emit_failed("mo_map", "allocate");
    const abi::CapId mo = t[0].cap_id;
    schema::MemoryObject::Client obj(transport, mo);
    uint64_t expect = 0;  // a new object is zero-filled
    emit(measure::run("mo_map", kWarmup, kIters, 1, [&](uint64_t i) {
        auto m = obj.map(buffers, 0, 0, 4096, schema::kProtRead | schema::kProtWrite);
        if (!m) return false;
        auto* w = reinterpret_cast<volatile uint64_t*>(m.value().addr());
        bool ok = w[0] == expect;
        expect = i + 1;
        w[0] = expect;
        return obj.unmap(buffers, m.value().addr(), 4096).ok() && ok;
    }));
    if (!rt::RingReleaser::release(mo)) {
        (void)rt::print_line("bench: the MemoryObject could not be released");
        g_all_ok = false;
    }
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto ring_r = rt::ring();
    if (!ring_r) return 3;
    rt::RingClient& ring = *ring_r.value();
    auto transport = rt::transport();
    if (!transport) return 2;
    auto timer_r = rt::capset().client<schema::Timer>("timer", *transport.value());
    if (!timer_r) return 2;
    schema::Timer::Client timer = timer_r.value();
    capos::rpc::CallBuffers buffers(g_params, g_results);

    if (kRows & kNullEnter) emit(null_enter());
    if (kRows & kNop1) emit(nops(ring, "nop1", 1));
    if (kRows & kNop8) emit(nops(ring, "nop8", 8));
    if (kRows & kNop32) emit(nops(ring, "nop32", 32));

    if (kRows & kTimerNow) {
        uint64_t last = 0;
        emit(measure::run("timer_now", kWarmup, kIters, 1, [&](uint64_t) {
            auto r = timer.now(buffers);
            if (!r) return false;
            uint64_t ns = r.value().ns();
            bool ok = ns >= last;
            last = ns;
            return ok;
        }));
    }

    if (kRows & kTimerNowRaw) {
        auto id = rt::capset().lookup("timer", schema::Timer::kInterfaceId);
        capnp::MessageBuilder msg(g_raw_params);
        if (!id || !msg.init_root(0, 0)) {
            emit_failed("timer_now_raw", "setup");
        } else {
            // The size of a NowResults message: learnt from one call first.
            abi::Sqe sqe{};
            sqe.opcode = static_cast<uint8_t>(abi::Opcode::Call);
            sqe.cap_id = id.value();
            sqe.method = schema::Timer::kMethodNow;
            sqe.params_addr = reinterpret_cast<uintptr_t>(msg.bytes().data());
            sqe.params_len = static_cast<uint32_t>(msg.bytes().size());
            sqe.result_addr = reinterpret_cast<uintptr_t>(g_raw_results);
            sqe.result_len = sizeof(g_raw_results);
            sqe.user_data = 1;
            auto first = ring.submit_and_wait(sqe);
            int32_t want = first ? first.value().result : -1;
            if (want <= 0) {
                emit_failed("timer_now_raw", "first-call");
            } else {
                emit(measure::run("timer_now_raw", kWarmup, kIters, 1, [&](uint64_t i) {
                    sqe.user_data = i + 2;
                    if (!ring.submit(sqe)) return false;
                    if (ring.enter(1, abi::kTimeoutForever) < 1) return false;
                    abi::Cqe c;
                    return ring.reap(&c) && c.result == want && c.user_data == i + 2;
                }));
            }
        }
    }

    if (kRows & kTimerSleep0) {
        emit(measure::run("timer_sleep0", kWarmup, kIters, 1,
                          [&](uint64_t) { return timer.sleep(buffers, 0).ok(); }));
    }

    if (kRows & kMoMap) mo_map(*transport.value(), buffers);
    return g_all_ok ? 0 : 1;
}

// ipc_echo: typed IPC over an endpoint (qemu.ipc_echo). One binary, two
// roles chosen by the CapSet (system/scenarios/ipc_echo.capnp):
//
// Server ("svc": the raw Endpoint, protocol Console): keeps kRecvs RECVs
// posted, dispatches every received call through the generated
// Console::Server skeleton (rt::parse_recv, rt::dispatch_call), which
// prints "echo-server: <line>" through its own kernel Console, and answers
// everything that arrived in one cap_enter with one batch of RETURNs. It
// stops after the line "bye" and prints how many calls it served and its
// largest batch. With "svc-many" instead of "svc" (qemu.ipc_many) it
// serves kManyClients clients at once and stops after a "bye" from each.
// Exit 0, or:
//   1 setup                      2 a RECV failed or did not parse
//   3 a call could not be dispatched
//   4 a RETURN failed            5 the SQ or the CQ overflowed
//
// Client ("echo": a client facet of the server's endpoint, protocol
// Console). Exit 0, or the number of the failed check:
//   1 setup
//   2 100 writeLine calls one at a time through the generated
//     Console::Client over the facet id, exactly as over a kernel Console:
//     each returns writeLine's (empty) results
//   3 32 raw CALL SQEs submitted and entered with ONE cap_enter: each CQE
//     arrives, with a results message that decodes as WriteLineResults and
//     no transfer records, or refused with `overloaded` (more calls than
//     the endpoint's waiting receivers plus its queue bound); the refused
//     ones are sent again, together in one cap_enter, until all 32 are
//     answered
//   4 "bye" through the typed client
// Typed calls refused with `overloaded` (only when other clients fill the
// endpoint's queue, qemu.ipc_many) are sent again and counted.
#include <cstdint>

#include "user/tests/ipc_common.hpp"

namespace {
using namespace ipctest;
using capos::rpc::CallBuffers;

constexpr const char* kProg = "ipc_echo";
constexpr uint32_t kManyClients = 3;

// ---------------------------------------------------------------- server
constexpr int kRecvs = 8;  // RECVs kept posted (the kernel allows up to 32 waiting: docs/ipc.md)
alignas(8) uint8_t g_recv[kRecvs][256];
capnp::Word g_scratch[kRecvs][32];

int serve(abi::CapId ep, uint32_t clients) {
    LineServer console("echo-server");
    uint64_t recv_ud[kRecvs] = {};
    auto post = [&](int i) -> bool {
        recv_ud[i] = submit(recv_sqe(ep, g_recv[i]));
        return recv_ud[i] != 0;
    };
    for (int i = 0; i < kRecvs; ++i)
        if (!post(i)) return 5;
    uint32_t served = 0, batches = 0, largest = 0, returns_out = 0;
    bool bye = false;
    uint32_t byes = 0;
    while (!bye || returns_out > 0) {
        ring().enter(1, abi::kTimeoutForever);
        abi::Sqe answers[kRecvs];
        int ready[kRecvs];
        int n = 0;
        abi::Cqe c;
        while (ring().reap(&c)) {
            int slot = -1;
            for (int i = 0; i < kRecvs; ++i)
                if (recv_ud[i] == c.user_data) slot = i;
            if (slot < 0) {  // a RETURN's CQE
                if (c.result != 0) return 4;
                --returns_out;
                continue;
            }
            recv_ud[slot] = 0;
            if (c.result < 0) return 2;
            Served s = dispatch(console, c, g_recv[slot], g_scratch[slot]);
            if (!s.ok) return 3;
            if (s.answer.exception) return 3;
            answers[n] = return_sqe(ep, s.answer.call_id, s.answer.message);
            ready[n++] = slot;
            if (console.last_is("bye") && ++byes == clients) bye = true;
        }
        if (n == 0) continue;
        // One batch: every RETURN, then the RECVs posted again, in one enter.
        for (int i = 0; i < n; ++i) {
            if (submit(answers[i]) == 0) return 5;
            ++returns_out;
        }
        if (!bye)
            for (int i = 0; i < n; ++i)
                if (!post(ready[i])) return 5;
        push();
        served += static_cast<uint32_t>(n);
        ++batches;
        if (static_cast<uint32_t>(n) > largest) largest = static_cast<uint32_t>(n);
    }
    say("echo-server: served {} calls in {} batches, largest batch {}", served, batches, largest);
    return 0;
}

// ---------------------------------------------------------------- client
capnp::Word g_params[64];
alignas(8) uint8_t g_results[256];
constexpr int kBatch = 32;
capnp::Word g_batch_params[kBatch][16];
alignas(8) uint8_t g_batch_results[kBatch][64];

int client(abi::CapId facet) {
    Verdict v;
    auto t = rt::transport();
    if (!t) return 1;
    schema::Console::Client echo(*t.value(), facet);
    CallBuffers b(g_params, g_results);
    // Gives the CPU away for up to 1 ms before a refused call is sent
    // again (cap_enter waiting for a completion that is not coming), so the
    // server can drain its queue.
    auto back_off = [] { (void)ring().enter(1, 1'000'000); };
    // A typed writeLine, sent again while the endpoint refuses it with
    // `overloaded` (other clients filled its bounded queue: qemu.ipc_many).
    uint32_t typed_refused = 0;
    auto write_line = [&](StringView text) -> Result<void> {
        for (uint32_t tries = 0; tries < 100000; ++tries) {
            auto r = echo.write_line(b, text);
            if (r) return {};
            if (r.error() != Error::CapException) return r.error();
            auto e = b.exception();
            if (!e || e.value().kind != capos::rpc::ExceptionKind::Overloaded) return r.error();
            ++typed_refused;
            back_off();
        }
        return Error::LimitExceeded;
    };

    {
        Check c(kProg, 2, "100 typed writeLine calls through the facet");
        char text[32];
        for (int i = 1; i <= 100 && c.ok(); ++i) {
            size_t n = capos::format_to(text, sizeof text, "echo {}", i);
            auto r = write_line(StringView(text, n));
            if (!r) c.fail("writeLine", capos::error_name(r.error()));
        }
        v.add(c, 2);
    }
    {
        // The endpoint holds at most its waiting receivers plus its bounded
        // queue; calls beyond that are refused with `overloaded` at once
        // (docs/ipc.md, "Bounds"). Refused calls are sent again, all of
        // them in one cap_enter, until every call has been answered.
        Check c(kProg, 3, "32 calls in one cap_enter, every answer checked");
        uint64_t ud[kBatch];
        bool done[kBatch] = {};
        uint32_t answered_first = 0, refused_total = 0, rounds = 0;
        char text[32];
        for (; rounds < 1000 && c.ok(); ++rounds) {
            if (rounds > 0) back_off();
            uint32_t sent = 0;
            for (int i = 0; i < kBatch && c.ok(); ++i) {
                if (done[i]) continue;
                size_t n = capos::format_to(text, sizeof text, "batch {}", i + 1);
                auto params = text_params(g_batch_params[i], StringView(text, n));
                ud[i] = submit(call_sqe(facet, schema::Console::kMethodWriteLine, params, g_batch_results[i]));
                if (ud[i] == 0) c.fail("submit", "SQ full");
                ++sent;
            }
            if (sent == 0) break;
            (void)ring().enter(sent, abi::kTimeoutForever);
            for (int i = 0; i < kBatch && c.ok(); ++i) {
                if (done[i]) continue;
                abi::Cqe q = wait_for(ud[i]);
                if (raised(q, g_batch_results[i], capos::rpc::ExceptionKind::Overloaded)) {
                    ++refused_total;
                    continue;
                }
                if (q.result < 0) {
                    c.fail("answer", result_name(q.result));
                    break;
                }
                if (q.xfer_count != 0) c.fail("answer", "unexpected transfer records");
                capnp::MessageReader msg(
                    std::span<const uint8_t>(g_batch_results[i], static_cast<size_t>(q.result)));
                if (!schema::Console::WriteLineResults::read_root(msg)) c.fail("answer", "results do not decode");
                done[i] = true;
                if (rounds == 0) ++answered_first;
            }
        }
        for (int i = 0; i < kBatch && c.ok(); ++i)
            if (!done[i]) c.fail("answers", "a call was never answered");
        say("echo-client: first cap_enter: {} of {} answered, {} refused overloaded in all, {} rounds",
            answered_first, kBatch, refused_total, rounds);
        v.add(c, 3);
    }
    {
        Check c(kProg, 4, "bye");
        auto r = write_line("bye");
        if (!r) c.fail("writeLine", capos::error_name(r.error()));
        v.add(c, 4);
    }
    if (v.first_failed == 0)
        say("echo-client: {} answers checked ({} typed calls refused overloaded and sent again)", 100 + kBatch + 1,
            typed_refused);
    return v.first_failed;
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    if (!rt::ring()) return 1;
    if (has_cap("svc")) {
        abi::CapId ep = cap("svc", schema::Endpoint::kInterfaceId);
        if (ep == abi::kCapIdNone) return 1;
        return serve(ep, 1);
    }
    if (has_cap("svc-many")) {  // system/scenarios/ipc_many.capnp: three clients
        abi::CapId ep = cap("svc-many", schema::Endpoint::kInterfaceId);
        if (ep == abi::kCapIdNone) return 1;
        return serve(ep, kManyClients);
    }
    abi::CapId facet = cap("echo", schema::Console::kInterfaceId);
    if (facet == abi::kCapIdNone) return 1;
    return client(facet);
}

// ipc_transfer: capabilities copied and moved over CALL and RETURN, and
// refused transfers that change nothing (qemu.ipc_transfer). One binary,
// three roles chosen by the CapSet (system/scenarios/ipc_transfer.capnp):
//
// xfer-server ("svc", protocol Console): serves writeLine commands, with
// what the command says it carries checked on the received TransferResult
// records, and answers a failed server-side check with a `failed`
// CapException (so the client's check fails too):
//   "copy-timer"   one Timer arrives; now() on it works; released (CapHandle)
//   "move-console" one Console arrives; a line is written through it
//   "take-endpoint" a raw Endpoint (copied) and a facet of it (moved)
//                  arrive; the server calls through the facet and serves
//                  the call on the raw endpoint, then releases both
//   "give-console" RETURN copies the server's own kernel Console
//   "give-facet"   mintClient on its endpoint, RETURN moves the new facet;
//                  afterwards the server's id for it is stale
//   "cycle"        one Timer arrives and is released (1,000 times)
//   "bye"          answer and exit (0, or 1 if any server-side check failed)
// Any other line is printed as "xfer-server: <line>" and must carry
// nothing.
//
// tiny-server ("tiny", profile capSlots = 2: its table is full from the
// start): prints "tiny-server: <line>", must never receive a capability;
// "bye" ends it (exit 0, or 1 if something arrived).
//
// Client: exit 0, or the number of the failed check:
//   1 setup
//   2 Copy on CALL: the server uses the Timer; the client's still works
//   3 Move on CALL: the server writes through the Console; the client's id
//     is stale afterwards (BadCapability)
//   4 Copy on RETURN: a Console arrives as TransferResult 0 and works;
//     RELEASE, then a second RELEASE is BadCapability
//   5 Move on RETURN of a freshly minted facet: it works for calls to the
//     server (typed client), and a CapHandle releases it
//   6 rollback, receiver full: Move and Copy into tiny-server fail with
//     TransferFailed, the call never reaches it, the Timer still works
//     (in 6-9 the client's slot count, VirtualMemory.usage, is unchanged;
//     tiny-server's stays 2/2, its exit ledger line)
//   7 rollback, stale source id and a malformed descriptor: TransferFailed,
//     the server never sees the call
//   8 rollback, the same id moved twice in one SQE: TransferFailed, the
//     Timer still works
//   9 1,000 Copy/release cycles (the kernel's counters are checked by the
//     scenario at the end)
//  10 Copy of a raw Endpoint and Move of a client facet of it on CALL: the
//     server serves a self-call over them ("take-endpoint"); the moved
//     facet is stale for the client, its raw endpoint still mints
//  11 bye to both servers
#include <cstdint>

#include "user/rt/cap_handle.hpp"
#include "user/tests/ipc_common.hpp"

namespace {
using namespace ipctest;
using capos::rpc::CallBuffers;
using capos::rpc::ExceptionKind;

constexpr const char* kProg = "ipc_transfer";

alignas(8) uint8_t g_recv[512];
capnp::Word g_scratch[64];
capnp::Word g_params[64];
alignas(8) uint8_t g_results[512];

// ---------------------------------------------------------------- servers

// One RECV on `ep`, waiting. False when it failed.
bool receive(abi::CapId ep, LineServer& console, Served* out) {
    abi::Cqe c = run(recv_sqe(ep, g_recv));
    *out = dispatch(console, c, g_recv, g_scratch);
    return out->ok;
}

// A self-call over capabilities the client sent: CALL through `facet`,
// RECV on `raw`, RETURN, reap. Buffers of its own: the call being served
// still holds g_recv and g_scratch.
bool self_call(abi::CapId raw, abi::CapId facet, StringView text) {
    capnp::Word w[32], sc[32];
    alignas(8) uint8_t r[128], rb[256];
    uint64_t ud = submit(call_sqe(facet, schema::Console::kMethodWriteLine, text_params(w, text), r));
    push();
    LineServer l("xfer-server");
    Served s = dispatch(l, run(recv_sqe(raw, rb)), rb, sc);
    if (!s.ok || !l.last_is(text)) return false;
    if (run(rt::return_sqe(raw, s.answer, 0)).result != 0) return false;
    return wait_for(ud).result == 16;
}

int xfer_server(abi::CapId ep) {
    auto t = rt::transport();
    abi::CapId own_console = cap("console", schema::Console::kInterfaceId);
    if (!t || own_console == abi::kCapIdNone) return 2;
    rt::RingTransport& transport = *t.value();
    LineServer console;  // prints selectively below
    CallBuffers b(g_params, g_results);
    bool any_failed = false;
    for (;;) {
        Served s;
        if (!receive(ep, console, &s)) return 3;
        auto xf = s.call.transfer_results();
        StringView cmd = console.last_line();
        bool ok = true;
        abi::TransferDescriptor out[1];
        size_t out_n = 0;
        abi::CapId minted = abi::kCapIdNone;
        if (cmd == "copy-timer" || cmd == "cycle") {
            ok = xf.size() == 1 && xf[0].interface_id == schema::Timer::kInterfaceId;
            if (ok) {
                rt::CapHandle timer(xf[0].cap_id);
                if (cmd == "copy-timer") ok = timer.client<schema::Timer>(transport).now(b).ok();
                ok = timer.reset().ok() && ok;
                if (cmd == "copy-timer") say("xfer-server: the copied Timer works: {}", ok ? "yes" : "no");
            }
        } else if (cmd == "move-console") {
            ok = xf.size() == 1 && xf[0].interface_id == schema::Console::kInterfaceId;
            if (ok) {
                rt::CapHandle moved(xf[0].cap_id);
                ok = moved.client<schema::Console>(transport)
                         .write_line(b, "xfer-server: written through the moved Console")
                         .ok();
            }
        } else if (cmd == "take-endpoint") {
            ok = xf.size() == 2 && xf[0].interface_id == schema::Endpoint::kInterfaceId &&
                 xf[1].interface_id == schema::Console::kInterfaceId;
            if (ok) {
                rt::CapHandle raw(xf[0].cap_id), facet(xf[1].cap_id);
                ok = self_call(raw.id(), facet.id(), "served on the client's endpoint");
            }
        } else if (cmd == "give-console") {
            ok = xf.empty();
            out[out_n++] = xfer(own_console, abi::TransferMode::Copy);
        } else if (cmd == "give-facet") {
            ok = xf.empty();
            minted = mint(ep, schema::Console::kInterfaceId);
            if (minted == abi::kCapIdNone) ok = false;
            else out[out_n++] = xfer(minted, abi::TransferMode::Move);
        } else {
            ok = xf.empty();
            say("xfer-server: {}", cmd);
        }
        rt::Answer answer = s.answer;
        std::span<const abi::TransferDescriptor> descs(out, out_n);
        if (!ok) {
            any_failed = true;
            say("xfer-server: {}: FAILED ({} transfer records)", cmd, xf.size());
            answer.message = exception_message(g_scratch, ExceptionKind::Failed, "server-side check");
            answer.exception = true;
            descs = {};
        }
        abi::Cqe r = run(with_transfers(rt::return_sqe(ep, answer, 0), descs));
        if (r.result != 0) {
            say("xfer-server: RETURN for {}: FAILED ({})", cmd, result_name(r.result));
            return 4;
        }
        // The moved facet left this table when the RETURN committed.
        if (minted != abi::kCapIdNone && ok && release(minted) != abi::to_result(abi::TransportError::BadCapability)) {
            say("xfer-server: the moved facet is still here: FAILED");
            any_failed = true;
        }
        if (cmd == "bye") break;
    }
    return any_failed ? 1 : 0;
}

int tiny_server(abi::CapId ep) {
    LineServer console("tiny-server");
    bool got_caps = false;
    for (;;) {
        Served s;
        if (!receive(ep, console, &s)) return 3;
        if (!s.call.transfer_results().empty()) {
            got_caps = true;
            say("tiny-server: received {} capabilities: FAILED", s.call.header.xfer_count);
        }
        abi::Cqe r = run(rt::return_sqe(ep, s.answer, 0));
        if (r.result != 0) return 4;
        if (console.last_is("bye")) break;
    }
    return got_caps ? 1 : 0;
}

// ---------------------------------------------------------------- client

int client() {
    Verdict v;
    auto t = rt::transport();
    if (!t) return 1;
    rt::RingTransport& transport = *t.value();
    CallBuffers b(g_params, g_results);
    abi::CapId timer = cap("timer", schema::Timer::kInterfaceId);
    abi::CapId spare = cap("spare", schema::Console::kInterfaceId);
    abi::CapId server = cap("server", schema::Console::kInterfaceId);
    abi::CapId tiny = cap("tiny", schema::Console::kInterfaceId);
    if (timer == 0 || spare == 0 || server == 0 || tiny == 0) return 1;
    schema::Timer::Client timer_c(transport, timer);
    auto timer_works = [&] { return timer_c.now(b).ok(); };
    // The client's capability table size (its ledger's cap slots), or 0.
    abi::CapId vm = cap("vm", schema::VirtualMemory::kInterfaceId);
    if (vm == 0) return 1;
    auto slots = [&]() -> uint64_t {
        auto u = schema::VirtualMemory::Client(transport, vm).usage(b);
        return u ? u.value().cap_slots() : 0;
    };
    capnp::Word words[32];
    alignas(8) uint8_t res[256];
    auto command = [&](abi::CapId target, StringView text, std::initializer_list<abi::TransferDescriptor> d) {
        return write_line_raw(target, text, words, res, std::span<const abi::TransferDescriptor>(d.begin(), d.size()));
    };
    const int32_t kTransferFailed = abi::to_result(abi::TransportError::TransferFailed);
    const int32_t kBadCap = abi::to_result(abi::TransportError::BadCapability);

    {
        Check c(kProg, 2, "Copy on CALL: the server used the Timer, ours still works");
        c.expect_result(command(server, "copy-timer", {xfer(timer, abi::TransferMode::Copy)}), 16, "copy-timer");
        c.expect(timer_works(), "our Timer", "now() failed");
        v.add(c, 2);
    }
    {
        Check c(kProg, 3, "Move on CALL: the server wrote through the Console, our id is stale");
        abi::Cqe q = command(server, "move-console", {xfer(spare, abi::TransferMode::Move)});
        c.expect_result(q, 16, "move-console");
        auto r = schema::Console::Client(transport, spare).write_line(b, "xfer-client: not printed");
        c.expect(!r && r.error() == Error::CapStale, "moved id", r ? "still works" : capos::error_name(r.error()));
        c.expect(release(spare) == kBadCap, "RELEASE of the moved id", "not BadCapability");
        v.add(c, 3);
    }
    {
        Check c(kProg, 4, "Copy on RETURN: the server's Console arrives and works");
        abi::Cqe q = command(server, "give-console", {});
        c.expect_result(q, 16, "give-console");
        abi::TransferResult got{};
        if (q.xfer_count == 1) __builtin_memcpy(&got, res, sizeof got);
        c.expect(q.xfer_count == 1 && got.interface_id == schema::Console::kInterfaceId, "transfer record",
                 "missing or wrong interface");
        if (c.ok()) {
            auto r = schema::Console::Client(transport, got.cap_id)
                         .write_line(b, "xfer-client: written through the server's Console");
            c.expect(r.ok(), "write through it", "failed");
            c.expect(release(got.cap_id) == 0, "RELEASE", "failed");
            c.expect(release(got.cap_id) == kBadCap, "second RELEASE", "not BadCapability");
        }
        v.add(c, 4);
    }
    {
        Check c(kProg, 5, "Move on RETURN: a freshly minted facet works");
        abi::Cqe q = command(server, "give-facet", {});
        c.expect_result(q, 16, "give-facet");
        abi::TransferResult got{};
        if (q.xfer_count == 1) __builtin_memcpy(&got, res, sizeof got);
        c.expect(q.xfer_count == 1 && got.interface_id == schema::Console::kInterfaceId, "transfer record",
                 "missing or wrong interface");
        if (c.ok()) {
            rt::CapHandle facet(got.cap_id);
            auto r = facet.client<schema::Console>(transport).write_line(b, "via the minted facet");
            c.expect(r.ok(), "call through it", r ? "" : capos::error_name(r.error()));
            c.expect(facet.reset().ok(), "CapHandle reset", "RELEASE failed");
            c.expect(release(got.cap_id) == kBadCap, "released id", "not stale");
        }
        v.add(c, 5);
    }
    {
        Check c(kProg, 6, "rollback: receiver full, TransferFailed, nothing moved");
        const uint64_t before = slots();
        c.expect(before != 0, "usage", "failed");
        c.expect_result(command(tiny, "full move", {xfer(timer, abi::TransferMode::Move)}), kTransferFailed,
                        "Move into a full table");
        c.expect(timer_works(), "our Timer after the Move", "now() failed");
        c.expect_result(command(tiny, "full copy", {xfer(timer, abi::TransferMode::Copy)}), kTransferFailed,
                        "Copy into a full table");
        c.expect(timer_works(), "our Timer after the Copy", "now() failed");
        c.expect_result(command(tiny, "after the refusals", {}), 16, "plain call");
        c.expect(slots() == before, "our table", "its slot count changed");
        v.add(c, 6);
    }
    {
        Check c(kProg, 7, "rollback: stale source and malformed descriptor, TransferFailed");
        const uint64_t before = slots();
        c.expect_result(command(server, "stale source", {xfer(spare, abi::TransferMode::Copy)}), kTransferFailed,
                        "stale source");
        abi::TransferDescriptor bad = xfer(timer, abi::TransferMode::Copy);
        bad.mode = 0;
        c.expect_result(command(server, "bad mode", {bad}), kTransferFailed, "mode 0");
        bad = xfer(timer, abi::TransferMode::Copy);
        bad.reserved1 = 1;
        c.expect_result(command(server, "bad reserved", {bad}), kTransferFailed, "reserved field");
        c.expect_result(command(server, "after the stale source", {}), 16, "plain call");
        c.expect(timer_works(), "our Timer", "now() failed");
        c.expect(slots() == before, "our table", "its slot count changed");
        v.add(c, 7);
    }
    {
        Check c(kProg, 8, "rollback: the same id moved twice in one SQE, TransferFailed");
        const uint64_t before = slots();
        c.expect_result(command(server, "moved twice",
                                {xfer(timer, abi::TransferMode::Move), xfer(timer, abi::TransferMode::Move)}),
                        kTransferFailed, "Move, Move");
        c.expect(timer_works(), "our Timer", "now() failed");
        c.expect(slots() == before, "our table", "its slot count changed");
        v.add(c, 8);
    }
    {
        Check c(kProg, 9, "1,000 Copy/release cycles");
        const uint64_t before = slots();
        for (int i = 0; i < 1000 && c.ok(); ++i)
            c.expect_result(command(server, "cycle", {xfer(timer, abi::TransferMode::Copy)}), 16, "cycle");
        c.expect(timer_works(), "our Timer", "now() failed");
        c.expect(slots() == before, "our table", "its slot count changed");
        v.add(c, 9);
    }
    {
        Check c(kProg, 10, "Copy of a raw endpoint and Move of a facet on CALL: the server serves it");
        abi::CapId sep = cap("spare-ep", schema::Endpoint::kInterfaceId);
        abi::CapId f = sep != 0 ? mint(sep, schema::Console::kInterfaceId) : 0;
        c.expect(f != 0, "setup", "no spare endpoint or mintClient failed");
        if (c.ok()) {
            c.expect_result(command(server, "take-endpoint",
                                    {xfer(sep, abi::TransferMode::Copy), xfer(f, abi::TransferMode::Move)}),
                            16, "take-endpoint");
            c.expect(release(f) == kBadCap, "the moved facet", "still here");
            abi::CapId again = mint(sep, schema::Console::kInterfaceId);
            c.expect(again != 0 && release(again) == 0, "our raw endpoint", "no longer mints");
        }
        v.add(c, 10);
    }
    {
        Check c(kProg, 11, "bye");
        c.expect_result(command(server, "bye", {}), 16, "server");
        c.expect_result(command(tiny, "bye", {}), 16, "tiny");
        v.add(c, 11);
    }
    return v.first_failed;
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    if (!rt::ring()) return 1;
    if (has_cap("svc")) return xfer_server(cap("svc", schema::Endpoint::kInterfaceId));
    if (has_cap("tiny-ep")) return tiny_server(cap("tiny-ep", schema::Endpoint::kInterfaceId));
    return client();
}

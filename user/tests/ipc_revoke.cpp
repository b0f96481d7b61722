// ipc_revoke: epoch revocation of client facets (qemu.ipc_revoke). One
// binary, two roles chosen by the CapSet (system/scenarios/ipc_revoke.capnp).
// The owner both serves and calls: a self-call submits the CALL on a
// facet, RECVs and RETURNs it on the raw endpoint, then reaps the CALL.
//
// Owner ("own": a raw endpoint nobody else has; "svc": a raw endpoint
// exported to the reader). Exit 0, or the number of the failed check:
//   1 setup
//   2 facets A and B minted with mintClient; a self-call through A works
//   3 revoke() with a call in flight (through B, received, unanswered) and
//     one queued (through A): both callers complete with a `disconnected`
//     CapException; the RETURN of the orphaned call completes with 0
//   4 after the revoke, CALLs through A and B raise `disconnected` at once
//   5 facet C minted after the revoke works (self-call)
//   6 the reader's first call is served (it carries a facet of the
//     reader's "notes" endpoint); then "svc" is revoked, the owner tells
//     the reader through that facet and waits for its answer, and a facet
//     minted afterwards works for the owner (self-call)
//
// Reader ("svc-facet": a client facet of the owner's "svc"; "notes": a raw
// endpoint of its own):
//   1 setup
//   2 "read 1", carrying a facet of "notes" (Move), is answered; then the
//     owner's "revoked" arrives on "notes"
//   3 "read 2" and "read 3" raise `disconnected` while the owner is still
//     alive, waiting for the reader's answer (so the revoke, not the
//     owner's exit, cut the reader off); then the reader answers
#include <cstdint>

#include "user/tests/ipc_common.hpp"

namespace {
using namespace ipctest;
using capos::rpc::CallBuffers;
using capos::rpc::ExceptionKind;

alignas(8) uint8_t g_recv[512];
capnp::Word g_scratch[64];
capnp::Word g_params[64];
alignas(8) uint8_t g_results[256];

// Submits writeLine(text) on `facet` without waiting; the user_data.
uint64_t start_call(abi::CapId facet, StringView text, std::span<capnp::Word> words, std::span<uint8_t> results) {
    uint64_t ud = submit(call_sqe(facet, schema::Console::kMethodWriteLine, text_params(words, text), results));
    push();
    return ud;
}

// RECV on `ep`, dispatched through `srv`.
bool receive(abi::CapId ep, LineServer& srv, Served* out) {
    abi::Cqe c = run(recv_sqe(ep, g_recv));
    *out = dispatch(srv, c, g_recv, g_scratch);
    return out->ok;
}

// A self-call: CALL through `facet`, RECV on `ep` (must be that call),
// RETURN, and the CALL's CQE in *call_cqe.
bool self_call(Check& c, abi::CapId ep, abi::CapId facet, StringView text, LineServer& srv) {
    capnp::Word words[32];
    alignas(8) uint8_t res[128];
    uint64_t ud = start_call(facet, text, words, res);
    Served s;
    if (!receive(ep, srv, &s)) {
        c.fail("RECV", "failed");
        return false;
    }
    c.expect(srv.last_is(text), "RECV", "another call arrived");
    abi::Cqe r = run(rt::return_sqe(ep, s.answer, 0));
    c.expect_result(r, 0, "RETURN");
    abi::Cqe q = wait_for(ud);
    c.expect_result(q, 16, "the CALL");
    return c.ok();
}

int owner() {
    Verdict v;
    constexpr const char* P = "ipc_revoke";
    abi::CapId own = cap("own", schema::Endpoint::kInterfaceId);
    abi::CapId svc = cap("svc", schema::Endpoint::kInterfaceId);
    if (own == 0 || svc == 0) return 1;
    LineServer srv("owner");
    alignas(8) uint8_t res[256];
    constexpr uint64_t kConsole = schema::Console::kInterfaceId;

    abi::CapId a = 0, b = 0;
    {
        Check c(P, 2, "facets minted, a self-call through one works");
        abi::Cqe m{};
        a = mint(own, kConsole, &m);
        c.expect(a != 0, "mintClient A", result_name(m.result));
        b = mint(own, kConsole, &m);
        c.expect(b != 0 && b != a, "mintClient B", result_name(m.result));
        if (c.ok()) self_call(c, own, a, "self-call through A", srv);
        v.add(c, 2);
    }
    {
        Check c(P, 3, "revoke completes in-flight and queued calls disconnected");
        capnp::Word w1[32], w2[32];
        alignas(8) uint8_t r1[128], r2[128];
        uint64_t in_flight = start_call(b, "in flight through B", w1, r1);
        Served s;
        if (!receive(own, srv, &s)) c.fail("RECV", "failed");
        c.expect(srv.last_is("in flight through B"), "RECV", "another call arrived");
        uint64_t queued = start_call(a, "queued through A", w2, r2);
        abi::Cqe rv = revoke(own, res);
        c.expect(rv.result >= 0, "revoke", result_name(rv.result));
        abi::Cqe q1 = wait_for(in_flight);
        c.expect(raised(q1, r1, ExceptionKind::Disconnected), "the in-flight call", result_name(q1.result));
        abi::Cqe q2 = wait_for(queued);
        c.expect(raised(q2, r2, ExceptionKind::Disconnected), "the queued call", result_name(q2.result));
        c.expect_result(run(rt::return_sqe(own, s.answer, 0)), 0, "RETURN of the orphaned call");
        v.add(c, 3);
    }
    {
        Check c(P, 4, "old facets fail disconnected after the revoke");
        capnp::Word w[32];
        c.expect(raised(write_line_raw(a, "through A after revoke", w, res), res, ExceptionKind::Disconnected),
                 "A", "not disconnected");
        c.expect(raised(write_line_raw(b, "through B after revoke", w, res), res, ExceptionKind::Disconnected),
                 "B", "not disconnected");
        v.add(c, 4);
    }
    {
        Check c(P, 5, "a facet minted after the revoke works");
        abi::Cqe m{};
        abi::CapId fresh = mint(own, kConsole, &m);
        c.expect(fresh != 0, "mintClient", result_name(m.result));
        if (c.ok()) self_call(c, own, fresh, "self-call through a fresh facet", srv);
        v.add(c, 5);
    }
    {
        Check c(P, 6, "reader served, then revoked; the owner still works");
        Served s;
        if (!receive(svc, srv, &s)) c.fail("RECV", "failed");
        c.expect(srv.last_is("read 1"), "the reader's call", srv.last_line());
        auto xf = s.call.transfer_results();
        c.expect(xf.size() == 1 && xf[0].interface_id == kConsole, "the reader's notes facet",
                 "missing or wrong interface");
        abi::CapId notes = c.ok() ? xf[0].cap_id : 0;
        c.expect_result(run(rt::return_sqe(svc, s.answer, 0)), 0, "RETURN");
        abi::Cqe rv = revoke(svc, res);
        c.expect(rv.result >= 0, "revoke", result_name(rv.result));
        // Tell the reader; it answers only after its next calls failed, so
        // the owner (and its endpoint) are alive while they fail.
        if (notes != 0) {
            capnp::Word w[32];
            c.expect_result(write_line_raw(notes, "revoked", w, res), 16, "the call to the reader");
        }
        abi::Cqe m{};
        abi::CapId mine = mint(svc, kConsole, &m);
        c.expect(mine != 0, "mintClient", result_name(m.result));
        if (c.ok()) self_call(c, svc, mine, "the owner still reads", srv);
        v.add(c, 6);
    }
    return v.first_failed;
}

int reader() {
    Verdict v;
    constexpr const char* P = "ipc_revoke reader";
    auto t = rt::transport();
    abi::CapId facet = cap("svc-facet", schema::Console::kInterfaceId);
    abi::CapId notes_ep = cap("notes", schema::Endpoint::kInterfaceId);
    if (!t || facet == 0 || notes_ep == 0) return 1;
    schema::Console::Client svc(*t.value(), facet);
    CallBuffers b(g_params, g_results);
    LineServer notes("reader");
    Served note;
    {
        Check c(P, 2, "read 1 answered");
        abi::CapId back = mint(notes_ep, schema::Console::kInterfaceId);
        c.expect(back != 0, "mintClient", "failed");
        capnp::Word w[32];
        alignas(8) uint8_t r[128];
        abi::TransferDescriptor d[1] = {xfer(back, abi::TransferMode::Move)};
        c.expect_result(write_line_raw(facet, "read 1", w, r, d), 16, "read 1");
        // Wait until the owner says it has revoked (it waits for our answer).
        if (c.ok() && !receive(notes_ep, notes, &note)) c.fail("RECV", "failed");
        c.expect(notes.last_is("revoked"), "the owner's note", notes.last_line());
        v.add(c, 2);
    }
    {
        Check c(P, 3, "after the revoke: disconnected");
        for (const char* text : {"read 2", "read 3"}) {
            auto r = svc.write_line(b, text);
            bool disconnected = false;
            if (!r && r.error() == Error::CapException) {
                auto e = b.exception();
                disconnected = e.ok() && e.value().kind == ExceptionKind::Disconnected;
            }
            c.expect(disconnected, text, r ? "answered" : capos::error_name(r.error()));
        }
        v.add(c, 3);
    }
    if (note.ok) (void)run(rt::return_sqe(notes_ep, note.answer, 0));
    return v.first_failed;
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    if (!rt::ring()) return 1;
    if (has_cap("own")) return owner();
    return reader();
}

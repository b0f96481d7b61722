// ipc_exit: peers that go away with calls outstanding (qemu.ipc_exit). One
// binary, four roles chosen by the CapSet (system/scenarios/ipc_exit.capnp).
//
// doomed ("doomed-ep"): RECVs one call and exits without answering it,
// leaving it in flight and the patient's other calls queued. Exit 0, or 2
// when the RECV failed.
//
// patient ("doomed-facet"): three CALLs submitted and entered at once. Exit
// 0, or the number of the failed check:
//   2 all three complete with a `disconnected` CapException once the
//     server has gone (one was in flight, two were queued)
//   3 a later CALL on the facet raises `disconnected` at once, and the
//     patient goes on (its own Console still works)
//
// quitter ("back-ep", "keeper-facet"): mints a facet of its own endpoint,
// moves it to the keeper with a call X, RECVs the keeper's call on its
// endpoint and exits at once: X is in flight at the keeper, and the
// keeper's call is in flight at the quitter. Exit 0, or 2/3 when the
// mint or the RECV failed.
//
// keeper ("keeper-ep"). Exit 0, or the number of the failed check:
//   2 X arrives with one Console facet (the quitter's)
//   3 a call through that facet raises `disconnected` once the quitter
//     has exited (its endpoint went with it)
//   4 the RETURN of X, whose caller has gone, completes with 0
#include <cstdint>

#include "user/tests/ipc_common.hpp"

namespace {
using namespace ipctest;
using capos::rpc::ExceptionKind;

alignas(8) uint8_t g_recv[512];
capnp::Word g_scratch[64];

int doomed(abi::CapId ep) {
    LineServer srv("doomed");
    abi::Cqe c = run(recv_sqe(ep, g_recv));
    Served s = dispatch(srv, c, g_recv, g_scratch);
    if (!s.ok) return 2;
    say("doomed: exiting with call {} unanswered", s.call.header.call_id);
    return 0;
}

int patient(abi::CapId facet) {
    Verdict v;
    constexpr const char* P = "ipc_exit patient";
    constexpr int kCalls = 3;
    capnp::Word words[kCalls][16];
    alignas(8) uint8_t res[kCalls][128];
    {
        Check c(P, 2, "in-flight and queued calls complete disconnected when the server exits");
        uint64_t ud[kCalls];
        for (int i = 0; i < kCalls; ++i) {
            char text[16];
            size_t n = capos::format_to(text, sizeof text, "patient {}", i + 1);
            ud[i] = submit(call_sqe(facet, schema::Console::kMethodWriteLine,
                                    text_params(words[i], StringView(text, n)), res[i]));
        }
        (void)ring().enter(kCalls, abi::kTimeoutForever);
        for (int i = 0; i < kCalls; ++i) {
            abi::Cqe q = wait_for(ud[i]);
            c.expect(raised(q, res[i], ExceptionKind::Disconnected), "a call", result_name(q.result));
        }
        v.add(c, 2);
    }
    {
        Check c(P, 3, "a later call is disconnected and the patient goes on");
        abi::Cqe q = write_line_raw(facet, "patient 4", words[0], res[0]);
        c.expect(raised(q, res[0], ExceptionKind::Disconnected), "call after exit", result_name(q.result));
        c.expect(rt::print_line("patient: went on").ok(), "own Console", "failed");
        v.add(c, 3);
    }
    return v.first_failed;
}

int quitter(abi::CapId back, abi::CapId keeper) {
    abi::CapId mine = mint(back, schema::Console::kInterfaceId);
    if (mine == 0) return 2;
    capnp::Word words[16];
    alignas(8) uint8_t res[128];
    abi::TransferDescriptor d[1] = {xfer(mine, abi::TransferMode::Move)};
    (void)submit(with_transfers(
        call_sqe(keeper, schema::Console::kMethodWriteLine, text_params(words, "quitter calls"), res), d));
    push();
    LineServer srv("quitter");
    abi::Cqe c = run(recv_sqe(back, g_recv));
    Served s = dispatch(srv, c, g_recv, g_scratch);
    if (!s.ok) return 3;
    say("quitter: exiting with a call in flight");
    return 0;
}

int keeper(abi::CapId ep) {
    Verdict v;
    constexpr const char* P = "ipc_exit keeper";
    LineServer srv("keeper");
    Served x;
    abi::CapId facet = 0;
    {
        Check c(P, 2, "the quitter's call arrives with its facet");
        abi::Cqe q = run(recv_sqe(ep, g_recv));
        x = dispatch(srv, q, g_recv, g_scratch);
        c.expect(x.ok, "RECV", result_name(q.result));
        auto xf = x.call.transfer_results();
        c.expect(xf.size() == 1 && xf[0].interface_id == schema::Console::kInterfaceId, "facet",
                 "missing or wrong interface");
        if (c.ok()) facet = xf[0].cap_id;
        v.add(c, 2);
    }
    if (facet == 0) return v.first_failed;
    {
        Check c(P, 3, "a call to the departed quitter is disconnected");
        capnp::Word words[16];
        alignas(8) uint8_t res[128];
        abi::Cqe q = write_line_raw(facet, "exit now", words, res);
        c.expect(raised(q, res, ExceptionKind::Disconnected), "call", result_name(q.result));
        v.add(c, 3);
    }
    {
        Check c(P, 4, "the RETURN to a caller that has gone completes with 0");
        c.expect_result(run(rt::return_sqe(ep, x.answer, 0)), 0, "RETURN");
        v.add(c, 4);
    }
    return v.first_failed;
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    if (!rt::ring()) return 1;
    if (has_cap("doomed-ep")) return doomed(cap("doomed-ep", schema::Endpoint::kInterfaceId));
    if (has_cap("doomed-facet")) return patient(cap("doomed-facet", schema::Console::kInterfaceId));
    if (has_cap("back-ep"))
        return quitter(cap("back-ep", schema::Endpoint::kInterfaceId),
                       cap("keeper-facet", schema::Console::kInterfaceId));
    if (has_cap("keeper-ep")) return keeper(cap("keeper-ep", schema::Endpoint::kInterfaceId));
    return 1;
}

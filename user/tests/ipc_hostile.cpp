// ipc_hostile: endpoint operations a hostile or careless process can try
// (qemu.ipc_hostile). It holds a raw endpoint "own" (protocol Console), a
// kernel Console and a Timer, mints its own facets and calls itself (a
// self-call: submit the CALL, RECV, RETURN, reap the CALL). The manifest
// (system/scenarios/ipc_hostile.capnp) runs an ipc_echo server and client
// beside it: their 133 checked calls show that nothing here disturbs
// other processes. Exit 0, or the number of the failed check:
//   1 setup (mintClient)
//   2 RECV and RETURN on a client facet: WrongInterface
//   3 RECV and RETURN on kernel capabilities (Console, Timer): WrongInterface
//   4 RETURN with call ids never issued (0, 0x7777): NoSuchCall
//   5 a RETURN repeated after the call was answered: NoSuchCall, and the
//     CALL completed exactly once
//   6 RECV with a buffer too small for the queued call: BufferTooSmall with
//     aux = the bytes needed, twice; the call stays queued and a large
//     enough RECV then gets it
//   7 RETURN with malformed results: MalformedParams, the call stays in
//     flight and a proper RETURN completes it
//   8 CALL on the raw endpoint with an unknown Endpoint method ordinal:
//     an `unimplemented` CapException
//   9 RETURN with kSqeFlagException: the caller gets ApplicationException
//     with the server's `failed` CapException
//  10 a released facet: CALL and RECV on it are BadCapability
//  11 33 calls queued on one endpoint: the 33rd is refused with an
//     `overloaded` CapException, the other 32 are served (the kernel
//     queues 32 calls per endpoint, kernel/ipc/endpoint.cpp)
//  12 afterwards a self-call and the kernel Console still work
#include <cstdint>

#include "user/tests/ipc_common.hpp"

namespace {
using namespace ipctest;
using capos::rpc::ExceptionKind;

constexpr const char* P = "ipc_hostile";
alignas(8) uint8_t g_recv[512];
capnp::Word g_scratch[64];
alignas(8) uint8_t g_res[256];

uint64_t start_call(abi::CapId facet, StringView text, std::span<capnp::Word> words, std::span<uint8_t> results) {
    uint64_t ud = submit(call_sqe(facet, schema::Console::kMethodWriteLine, text_params(words, text), results));
    push();
    return ud;
}

// RECV (waiting) on `ep` into g_recv, dispatched through `srv`.
Served receive(abi::CapId ep, LineServer& srv) {
    abi::Cqe c = run(recv_sqe(ep, g_recv));
    return dispatch(srv, c, g_recv, g_scratch);
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    if (!rt::ring()) return 1;
    Verdict v;
    abi::CapId own = cap("own", schema::Endpoint::kInterfaceId);
    abi::CapId console = cap("console", schema::Console::kInterfaceId);
    abi::CapId timer = cap("timer", schema::Timer::kInterfaceId);
    if (own == 0 || console == 0 || timer == 0) return 1;
    abi::CapId f = mint(own, schema::Console::kInterfaceId);
    if (f == 0) return 1;
    LineServer srv;
    using TE = abi::TransportError;
    alignas(8) uint8_t buf[512];

    {
        Check c(P, 2, "RECV and RETURN on a client facet: WrongInterface");
        c.expect_error(run(recv_sqe(f, buf)), TE::WrongInterface, "RECV");
        c.expect_error(run(return_sqe(f, 1, empty_struct_message())), TE::WrongInterface, "RETURN");
        v.add(c, 2);
    }
    {
        Check c(P, 3, "RECV and RETURN on kernel capabilities: WrongInterface");
        c.expect_error(run(recv_sqe(console, buf)), TE::WrongInterface, "RECV on the Console");
        c.expect_error(run(return_sqe(console, 1, empty_struct_message())), TE::WrongInterface,
                       "RETURN on the Console");
        c.expect_error(run(recv_sqe(timer, buf)), TE::WrongInterface, "RECV on the Timer");
        c.expect_error(run(return_sqe(timer, 1, empty_struct_message())), TE::WrongInterface,
                       "RETURN on the Timer");
        v.add(c, 3);
    }
    {
        Check c(P, 4, "RETURN with call ids never issued: NoSuchCall");
        c.expect_error(run(return_sqe(own, 0x7777, empty_struct_message())), TE::NoSuchCall, "0x7777");
        c.expect_error(run(return_sqe(own, 0, empty_struct_message())), TE::NoSuchCall, "0");
        v.add(c, 4);
    }
    {
        Check c(P, 5, "a repeated RETURN: NoSuchCall, one completion");
        capnp::Word w[32];
        alignas(8) uint8_t r[128];
        uint64_t ud = start_call(f, "answered twice", w, r);
        Served s = receive(own, srv);
        c.expect(s.ok && srv.last_is("answered twice"), "RECV", "failed");
        c.expect_result(run(rt::return_sqe(own, s.answer, 0)), 0, "first RETURN");
        c.expect_error(run(rt::return_sqe(own, s.answer, 0)), TE::NoSuchCall, "second RETURN");
        c.expect_result(wait_for(ud), 16, "the CALL");
        abi::Cqe extra;
        c.expect(!arrived(ud, &extra), "the CALL", "completed twice");
        v.add(c, 5);
    }
    {
        Check c(P, 6, "RECV buffer too small: BufferTooSmall with aux, the call stays queued");
        capnp::Word w[32];
        alignas(8) uint8_t r[128];
        StringView text = "a call that does not fit in a small receive buffer: 0123456789abcdef";
        uint32_t params = static_cast<uint32_t>(text_params(w, text).size());
        uint64_t ud = start_call(f, text, w, r);
        int64_t need = sizeof(abi::RecvHeader) + params;
        c.expect_error(run(recv_sqe(own, std::span<uint8_t>(buf, 64))), TE::BufferTooSmall, "64 bytes", need);
        c.expect_error(run(recv_sqe(own, std::span<uint8_t>(buf, 100))), TE::BufferTooSmall, "100 bytes", need);
        Served s = receive(own, srv);
        c.expect(s.ok && srv.last_is(text), "large enough RECV", "did not get the call");
        c.expect(s.call.header.params_len == params, "params length", "differs");
        c.expect_result(run(rt::return_sqe(own, s.answer, 0)), 0, "RETURN");
        c.expect_result(wait_for(ud), 16, "the CALL");
        v.add(c, 6);
    }
    {
        Check c(P, 7, "malformed RETURN params: MalformedParams, the call stays in flight");
        capnp::Word w[32];
        alignas(8) uint8_t r[128];
        uint64_t ud = start_call(f, "malformed answer", w, r);
        Served s = receive(own, srv);
        c.expect(s.ok, "RECV", "failed");
        // A segment table promising 100 words, followed by one.
        static constexpr capnp::Word kBad[2] = {segment_table_1(100), struct_ptr(0, 0, 0)};
        c.expect_error(run(return_sqe(own, s.answer.call_id, bytes_of(kBad))), TE::MalformedParams,
                       "short segment");
        // An odd length: not whole words.
        c.expect_error(run(return_sqe(own, s.answer.call_id, empty_struct_message().first(12))),
                       TE::MalformedParams, "12 bytes");
        c.expect_result(run(rt::return_sqe(own, s.answer, 0)), 0, "proper RETURN");
        c.expect_result(wait_for(ud), 16, "the CALL");
        v.add(c, 7);
    }
    {
        Check c(P, 8, "unknown Endpoint method on the raw endpoint: unimplemented");
        c.expect_raised(run(call_sqe(own, 9, empty_struct_message(), g_res)), g_res, ExceptionKind::Unimplemented,
                        "method 9");
        c.expect_raised(run(call_sqe(own, 0xFFFF, empty_struct_message(), g_res)), g_res,
                        ExceptionKind::Unimplemented, "method 65535");
        v.add(c, 8);
    }
    {
        Check c(P, 9, "RETURN flagged as failed: the caller sees `failed`");
        capnp::Word w[32];
        alignas(8) uint8_t r[128];
        uint64_t ud = start_call(f, "refuse me", w, r);
        Served s = receive(own, srv);
        c.expect(s.ok, "RECV", "failed");
        capnp::Word ew[16];
        auto msg = exception_message(ew, ExceptionKind::Failed, "refused");
        c.expect_result(run(return_sqe(own, s.answer.call_id, msg, true)), 0, "RETURN");
        c.expect_raised(wait_for(ud), r, ExceptionKind::Failed, "the CALL");
        v.add(c, 9);
    }
    {
        Check c(P, 10, "a released facet: BadCapability");
        abi::CapId g = mint(own, schema::Console::kInterfaceId);
        c.expect(g != 0, "mintClient", "failed");
        c.expect(release(g) == 0, "RELEASE", "failed");
        capnp::Word w[32];
        c.expect_error(write_line_raw(g, "through a released facet", w, g_res), TE::BadCapability, "CALL");
        c.expect_error(run(recv_sqe(g, buf)), TE::BadCapability, "RECV");
        v.add(c, 10);
    }
    {
        Check c(P, 11, "33 queued calls: the 33rd refused, 32 served");
        constexpr int kN = 33;
        static capnp::Word w[kN][16];
        alignas(8) static uint8_t r[kN][64];
        uint64_t ud[kN];
        char text[16];
        for (int i = 0; i < kN; ++i) {
            size_t n = capos::format_to(text, sizeof text, "queued {}", i + 1);
            ud[i] = submit(call_sqe(f, schema::Console::kMethodWriteLine, text_params(w[i], StringView(text, n)), r[i]));
            if (i % 16 == 15) push();  // the SQ holds 32 entries
        }
        push();
        abi::Cqe last = wait_for(ud[kN - 1]);
        bool refused = raised(last, r[kN - 1], ExceptionKind::Overloaded);
        c.expect(refused, "the 33rd", result_name(last.result));
        if (refused) say("ipc_hostile: the 33rd call was refused: overloaded");
        for (int i = 0; i < kN - 1 && c.ok(); ++i) {
            Served s = receive(own, srv);
            c.expect(s.ok, "RECV", "failed");
            c.expect_result(run(rt::return_sqe(own, s.answer, 0)), 0, "RETURN");
        }
        for (int i = 0; i < kN - 1 && c.ok(); ++i) c.expect_result(wait_for(ud[i]), 16, "a queued call");
        v.add(c, 11);
    }
    {
        Check c(P, 12, "afterwards a self-call and the kernel Console still work");
        capnp::Word w[32];
        alignas(8) uint8_t r[128];
        uint64_t ud = start_call(f, "still fine", w, r);
        Served s = receive(own, srv);
        c.expect(s.ok && srv.last_is("still fine"), "RECV", "failed");
        c.expect_result(run(rt::return_sqe(own, s.answer, 0)), 0, "RETURN");
        c.expect_result(wait_for(ud), 16, "the CALL");
        c.expect(rt::print_line("ipc_hostile: done").ok(), "Console", "failed");
        v.add(c, 12);
    }
    return v.first_failed;
}

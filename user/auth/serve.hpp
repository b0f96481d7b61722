// The serve loop of the auth and audit services: one call at a time, RECV,
// dispatch through the generated skeleton, RETURN, with what
// user/rt/server.hpp's serve_one does not do:
//   - the RETURN carries the capabilities the handler put in
//     AnswerState::out (a bundle);
//   - a handler can raise `failed` with a message of its own
//     (AnswerState::fail_message: "login failed", not an error name);
//   - capabilities a caller sent with its call are released (neither
//     service takes any);
//   - a RETURN whose transfers fail (the caller's table is full) is
//     answered again with `overloaded`; the session made for an answer is
//     released whenever it did not reach the caller, so nothing leaks and
//     the caller does not wait forever.
// The receive buffer holds the largest params message the kernel delivers
// (docs/abi.md 6.3) with its header and records, so no RECV can fail with
// BufferTooSmall and wedge the loop.
#pragma once

#include <cstdint>
#include <span>

#include "abi/ring.hpp"
#include "lib/base/error.hpp"
#include "schema/rpc.hpp"
#include "user/rt/cap_handle.hpp"
#include "user/rt/ring_client.hpp"
#include "user/rt/server.hpp"
#include "user/rt/transport.hpp"

namespace capos::auth {

struct AnswerState {
    abi::TransferDescriptor out[abi::kMaxTransfers]{};
    uint32_t out_count = 0;
    abi::CapId made_session = abi::kCapIdNone;
    const char* fail_message = nullptr;
    void reset_answer() {
        out_count = 0;
        made_session = abi::kCapIdNone;
        fail_message = nullptr;
    }
};

inline constexpr size_t kRecvBytes = abi::kMaxParamsBytes + sizeof(abi::RecvHeader) + 16 * abi::kMaxTransfers;
alignas(8) inline uint8_t g_recv[kRecvBytes];
inline capnp::Word g_scratch[512];

// Serves `server` (an rt::Skeleton deriving AnswerState) on `endpoint`
// until a RECV or RETURN fails at the transport level.
template <typename S>
Result<void> serve_forever(abi::CapId endpoint, S& server) {
    rt::RingClient& ring = *TRY(rt::ring());
    for (;;) {
        server.reset_answer();
        abi::Cqe got = TRY(ring.submit_and_wait(rt::recv_sqe(endpoint, g_recv, ring.next_user_data())));
        if (got.result < 0) return rt::error_from_transport(got.result);
        auto call = rt::parse_recv(g_recv, got.result);
        if (!call) return call.error();  // the kernel's header did not parse: nothing to answer
        for (const abi::TransferResult& t : call.value().transfer_results()) (void)rt::RingReleaser::release(t.cap_id);
        rt::Answer answer = TRY(rt::dispatch_call(server, call.value(), g_scratch));
        if (server.fail_message != nullptr) {
            answer = TRY(rt::detail::exception_answer(answer.call_id, g_scratch, rpc::ExceptionKind::Failed,
                                                      server.fail_message));
        }
        abi::Sqe ret = rt::return_sqe(endpoint, answer, ring.next_user_data());
        if (!answer.exception && server.out_count > 0) {
            ret.xfer_addr = reinterpret_cast<uint64_t>(server.out);
            ret.xfer_count = static_cast<uint16_t>(server.out_count);
        }
        abi::Cqe done = TRY(ring.submit_and_wait(ret));
        // The session made for this answer was moved to the caller only if
        // the transfer committed: not when the RETURN failed, and not when
        // the kernel found the caller's result buffer too small (the RETURN
        // still succeeds then, docs/ipc.md RETURN step 3, but the
        // transaction is aborted). Releasing its id settles both: after a
        // committed move the id is stale (generation-tagged, and nothing
        // else entered this table since) and the RELEASE fails harmlessly;
        // otherwise it drops the session nobody received.
        if (server.made_session != abi::kCapIdNone) (void)rt::RingReleaser::release(server.made_session);
        if (done.result < 0) {
            // The call is still in flight (docs/ipc.md, RETURN step 2).
            answer = TRY(rt::detail::exception_answer(answer.call_id, g_scratch, rpc::ExceptionKind::Overloaded,
                                                      "bundle could not be delivered"));
            abi::Cqe again = TRY(ring.submit_and_wait(rt::return_sqe(endpoint, answer, ring.next_user_data())));
            if (again.result < 0) return rt::error_from_transport(again.result);
        }
    }
}

}  // namespace capos::auth

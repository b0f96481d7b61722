// The server side of endpoint IPC (docs/ipc.md, "Serving"): parse a
// completed RECV, dispatch it through a generated skeleton, answer with
// RETURN.
//
//   rt::RingClient& ring = *TRY(rt::ring());
//   MyConsole server;                          // derives schema::Console::Server
//   alignas(8) uint8_t recv_buf[4096];
//   capnp::Word scratch[512];
//   for (;;) TRY(rt::serve_one(ring, endpoint_id, server, recv_buf, scratch));
//
// The receive buffer, as the kernel fills it (docs/abi.md, section 11):
//
//   +0                  RecvHeader                    64 bytes
//   +64                 TransferResult[xfer_count]    16 bytes each
//   +64+16*xfer_count   params message                params_len bytes
//
// parse_recv() trusts none of it: every length is checked against the
// buffer and against the CQE before anything is read. The params stay in
// the receive buffer; the header and records are copied out (the buffer
// needs no alignment). A call the server cannot serve still gets an answer
// (a CapException), so no caller waits for ever on a server that is alive:
//
//   interface id is not the skeleton's      -> unimplemented "wrong interface"
//   unknown method ordinal                  -> unimplemented (the skeleton)
//   params do not decode                    -> invalidArgument (the skeleton)
//   handler error                           -> exception_kind_for(error)
//   results do not fit the scratch buffer   -> failed "results too large"
//
// Library-only until the kernel implements RECV and RETURN (docs/ipc.md).
#pragma once

#include <concepts>
#include <cstdint>
#include <span>

#include "abi/cap_id.hpp"
#include "abi/ring.hpp"
#include "lib/base/error.hpp"
#include "lib/capnp/capnp.hpp"
#include "schema/rpc.hpp"
#include "user/rt/transport.hpp"

namespace capos::rt {

// A parsed RECV. `params` points into the receive buffer.
struct ReceivedCall {
    abi::RecvHeader header{};
    abi::TransferResult transfers[abi::kMaxTransfers]{};  // header.xfer_count of them
    std::span<const uint8_t> params;

    std::span<const abi::TransferResult> transfer_results() const { return {transfers, header.xfer_count}; }
};

// Parses a receive buffer after its RECV completed with `cqe_result` (the
// params length). Errors: Malformed when cqe_result is negative (a failed
// RECV has nothing to parse) or the header disagrees with it or with the
// buffer: more than kMaxTransfers records, or records and params that do
// not fit. Truncated when the buffer is shorter than a RecvHeader.
Result<ReceivedCall> parse_recv(std::span<const uint8_t> buffer, int32_t cqe_result);

// What to RETURN: the results or a CapException, at the front of the
// scratch buffer handed to dispatch_call.
struct Answer {
    uint32_t call_id = 0;
    std::span<const uint8_t> message;
    bool exception = false;
};

// The SQEs of the server loop.
abi::Sqe recv_sqe(abi::CapId endpoint, std::span<uint8_t> buffer, uint64_t user_data);
abi::Sqe return_sqe(abi::CapId endpoint, const Answer& answer, uint64_t user_data);

namespace detail {
Result<Answer> exception_answer(uint32_t call_id, std::span<capnp::Word> scratch, rpc::ExceptionKind kind,
                                StringView message);
}  // namespace detail

// A generated skeleton: Foo::Server (schema/capos.capnp.hpp) or a class
// derived from it.
template <typename S>
concept Skeleton = requires(S& s, uint16_t m, std::span<const uint8_t> p, std::span<capnp::Word> w) {
    { S::kInterfaceId } -> std::convertible_to<uint64_t>;
    { s.dispatch(m, p, w) } -> std::same_as<Result<rpc::Reply>>;
};

// Runs `call` through `server` and returns the answer, written at the front
// of `scratch`. Errors: CapnpBufferTooSmall only when `scratch` cannot hold
// even a short CapException (fewer than 4 words).
template <Skeleton S>
Result<Answer> dispatch_call(S& server, const ReceivedCall& call, std::span<capnp::Word> scratch) {
    uint32_t id = call.header.call_id;
    if (call.header.interface_id != S::kInterfaceId)
        return detail::exception_answer(id, scratch, rpc::ExceptionKind::Unimplemented, "wrong interface");
    Result<rpc::Reply> r = server.dispatch(call.header.method, call.params, scratch);
    if (!r) {
        if (r.error() == Error::CapnpBufferTooSmall)
            return detail::exception_answer(id, scratch, rpc::ExceptionKind::Failed, "results too large");
        return detail::exception_answer(id, scratch, rpc::exception_kind_for(r.error()), error_name(r.error()));
    }
    if (r.value().bytes > scratch.size_bytes()) return Error::Malformed;
    const auto* bytes = reinterpret_cast<const uint8_t*>(scratch.data());
    return Answer{id, {bytes, r.value().bytes}, r.value().exception};
}

// A ring the server loop can drive: rt::RingClient, or a test loopback.
template <typename R>
concept ServerRing = requires(R& r, const abi::Sqe& sqe) {
    { r.next_user_data() } -> std::convertible_to<uint64_t>;
    { r.submit_and_wait(sqe) } -> std::same_as<Result<abi::Cqe>>;
};

// One round of the server loop: RECV on `endpoint` (waiting for a call),
// dispatch, RETURN. Errors: the RECV's or the RETURN's transport error
// (error_from_transport), parse_recv's, dispatch_call's.
template <ServerRing R, Skeleton S>
Result<void> serve_one(R& ring, abi::CapId endpoint, S& server, std::span<uint8_t> recv_buffer,
                       std::span<capnp::Word> scratch) {
    abi::Cqe got = TRY(ring.submit_and_wait(recv_sqe(endpoint, recv_buffer, ring.next_user_data())));
    if (got.result < 0) return error_from_transport(got.result);
    ReceivedCall call = TRY(parse_recv(recv_buffer, got.result));
    Answer answer = TRY(dispatch_call(server, call, scratch));
    abi::Cqe done = TRY(ring.submit_and_wait(return_sqe(endpoint, answer, ring.next_user_data())));
    if (done.result < 0) return error_from_transport(done.result);
    return {};
}

}  // namespace capos::rt

// Helpers shared by the endpoint IPC test programs (ipc_echo, ipc_transfer,
// ipc_revoke, ipc_exit, ipc_hostile): raw CALL/RECV/RETURN SQEs with
// transfer descriptors, submitting without waiting (so one process can
// both call and serve: submit the CALL, RECV it, RETURN, then reap the
// CALL's CQE), the raw endpoint's schema methods (mintClient, revoke), and
// a Console-protocol server that records what it was sent.
//
// Built on ring_common.hpp (numbered checks, Verdict, say, text_params).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "abi/ring.hpp"
#include "lib/base/error.hpp"
#include "lib/base/format.hpp"
#include "lib/capnp/capnp.hpp"
#include "schema/capos.capnp.hpp"
#include "schema/rpc.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/ring_client.hpp"
#include "user/rt/server.hpp"
#include "user/rt/transport.hpp"
#include "user/tests/ring_common.hpp"

namespace ipctest {

using namespace ringtest;
namespace schema = capos::schema;
using capos::Error;
using capos::Result;

inline rt::RingClient& ring() { return *rt::ring().value(); }

// The id named `name` in the CapSet with interface `iid`, or kCapIdNone.
inline abi::CapId cap(StringView name, uint64_t iid) {
    auto r = rt::capset().lookup(name, iid);
    return r ? r.value() : abi::kCapIdNone;
}
inline bool has_cap(StringView name) { return rt::capset().find(name).ok(); }

inline abi::TransferDescriptor xfer(abi::CapId id, abi::TransferMode mode) {
    abi::TransferDescriptor d{};
    d.cap_id = id;
    d.mode = static_cast<uint8_t>(mode);
    return d;
}
inline abi::Sqe with_transfers(abi::Sqe s, std::span<const abi::TransferDescriptor> d) {
    s.xfer_addr = d.empty() ? 0 : addr_of(d.data());
    s.xfer_count = static_cast<uint16_t>(d.size());
    return s;
}

// Writes `sqe` with a fresh user_data into the SQ without entering; the
// next cap_enter hands it to the kernel. Returns the user_data (0 when the
// SQ is full).
inline uint64_t submit(abi::Sqe sqe) {
    sqe.user_data = ring().next_user_data();
    if (!ring().submit(sqe)) return 0;
    return sqe.user_data;
}
// Makes the kernel consume what was submitted, without waiting.
inline void push() { (void)ring().enter(0, abi::kTimeoutPoll); }
// The CQE for `user_data` (waiting for it), or kNoCompletion.
inline abi::Cqe wait_for(uint64_t user_data) {
    abi::Cqe none{};
    none.result = kNoCompletion;
    if (user_data == 0) return none;
    auto c = ring().take_wait(user_data);
    return c ? c.value() : none;
}
// True when the CQE for `user_data` has arrived (it is then in *out).
inline bool arrived(uint64_t user_data, abi::Cqe* out) { return ring().take(user_data, out); }

// RECV / RETURN SQEs (user/rt/server.hpp builds them; user_data is set by
// submit()/run()).
inline abi::Sqe recv_sqe(abi::CapId ep, std::span<uint8_t> buf) { return rt::recv_sqe(ep, buf, 0); }
inline abi::Sqe return_sqe(abi::CapId ep, uint32_t call_id, std::span<const uint8_t> msg,
                           bool exception = false) {
    rt::Answer a{call_id, msg, exception};
    return rt::return_sqe(ep, a, 0);
}

// An empty struct message: the results of writeLine, and of any method
// whose results hold nothing but capabilities (one word of segment table,
// one root pointer to a zero-size struct).
inline std::span<const uint8_t> empty_struct_message() {
    static constexpr capnp::Word kWords[2] = {segment_table_1(1), struct_ptr(-1, 0, 0)};
    return bytes_of(kWords);
}

// Builds a CapException message into `words`.
inline std::span<const uint8_t> exception_message(std::span<capnp::Word> words, rpc::ExceptionKind kind,
                                                  StringView text) {
    auto r = rpc::write_exception(words, kind, text);
    if (!r) return {};
    return {reinterpret_cast<const uint8_t*>(words.data()), r.value().bytes};
}

// The CapException kind in a CALL's result buffer after ApplicationException,
// or -1 when the CQE is something else or does not decode.
inline int raised_kind(const abi::Cqe& c, std::span<const uint8_t> results) {
    if (c.result != abi::to_result(abi::TransportError::ApplicationException)) return -1;
    if (c.aux > results.size()) return -1;
    capnp::MessageReader msg(results.first(c.aux));
    auto e = rpc::read_exception(msg);
    return e ? static_cast<int>(e.value().kind) : -1;
}
inline bool raised(const abi::Cqe& c, std::span<const uint8_t> results, rpc::ExceptionKind k) {
    return raised_kind(c, results) == static_cast<int>(k);
}
inline bool is_error(const abi::Cqe& c, abi::TransportError e) { return c.result == abi::to_result(e); }

// A CALL of Console.writeLine(text) on `target` (a facet of a Console
// server, or a kernel Console), params built into `words`, with optional
// transfers. Submits it and waits.
inline abi::Cqe write_line_raw(abi::CapId target, StringView text, std::span<capnp::Word> words,
                               std::span<uint8_t> results,
                               std::span<const abi::TransferDescriptor> xfers = {}) {
    auto params = text_params(words, text);
    return run(with_transfers(call_sqe(target, schema::Console::kMethodWriteLine, params, results), xfers));
}

// ---------------------------------------------------------------------------
// The raw endpoint's own methods (schema Endpoint): CALL on the raw
// endpoint id.


// mintClient(interfaceId): a new client facet, or kCapIdNone. *cqe_out
// gets the CQE when given.
inline abi::CapId mint(abi::CapId raw, uint64_t iid, abi::Cqe* cqe_out = nullptr) {
    capnp::Word words[8];
    capnp::MessageBuilder msg(words);
    auto root = msg.init_root(1, 0);
    if (!root) return abi::kCapIdNone;
    root.value().set_data<uint64_t>(0, iid);
    alignas(8) uint8_t results[128];
    abi::Cqe c = run(call_sqe(raw, schema::Endpoint::kMethodMintClient, msg.bytes(), results));
    if (cqe_out) *cqe_out = c;
    if (c.result < 0 || c.xfer_count != 1) return abi::kCapIdNone;
    abi::TransferResult t;
    __builtin_memcpy(&t, results, sizeof t);
    if (t.interface_id != iid) return abi::kCapIdNone;
    return t.cap_id;
}

// revoke(): the CQE. (Params: an empty struct message; the kernel refuses
// a CALL without a params message.)
inline abi::Cqe revoke(abi::CapId raw, std::span<uint8_t> results) {
    return run(call_sqe(raw, schema::Endpoint::kMethodRevoke, empty_struct_message(), results));
}

// RELEASE: the CQE result.
inline int32_t release(abi::CapId id) { return run(sqe_of(abi::Opcode::Release, id)).result; }

// ---------------------------------------------------------------------------
// A Console served in userspace: remembers the last line (copied out of
// the receive buffer) and optionally prints it with a prefix through the
// process's own kernel Console.
class LineServer final : public schema::Console::Server {
public:
    explicit LineServer(const char* prefix = nullptr) : prefix_(prefix) {}

    uint32_t lines = 0;
    char last[128] = {};
    size_t last_len = 0;

    StringView last_line() const { return StringView(last, last_len); }
    bool last_is(StringView s) const { return last_line() == s; }

protected:
    Result<void> write_line(schema::Console::WriteLineParams::Reader p,
                            schema::Console::WriteLineResults::Builder) override {
        StringView t = TRY(p.text());
        ++lines;
        last_len = t.size() < sizeof(last) ? t.size() : sizeof(last);
        for (size_t i = 0; i < last_len; ++i) last[i] = t[i];
        if (prefix_ != nullptr) say("{}: {}", prefix_, t);
        return {};
    }

private:
    const char* prefix_;
};

// One served call: RECV (already completed as `recv`), parsed, dispatched
// through `server` into `scratch`. ok == false when the RECV failed or
// did not parse.
struct Served {
    bool ok = false;
    rt::ReceivedCall call;
    rt::Answer answer;
};
template <typename S>
Served dispatch(S& server, const abi::Cqe& recv, std::span<const uint8_t> buf, std::span<capnp::Word> scratch) {
    Served s;
    if (recv.result < 0) return s;
    auto call = rt::parse_recv(buf, recv.result);
    if (!call) return s;
    s.call = call.value();
    auto a = rt::dispatch_call(server, s.call, scratch);
    if (!a) return s;
    s.answer = a.value();
    s.ok = true;
    return s;
}

}  // namespace ipctest

// user/rt/server.hpp: parse_recv against hostile buffers, dispatch through
// generated skeletons, and a loopback: a generated client stub calls over
// an rpc::Transport whose "kernel" is the real lib/ipc Endpoint, the server
// runs rt::serve_one over a fake ring served by the same Endpoint, and the
// RECV buffer is built with ipc::RecvPrefix. No kernel, no QEMU.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "abi/ring.hpp"
#include "lib/ipc/endpoint.hpp"
#include "lib/ipc/recv_message.hpp"
#include "schema/capos.capnp.hpp"
#include "schema/rpc.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/server.hpp"

namespace capos::rt {
// The runtime's start.cpp is not linked (transport.cpp's rt::transport()
// needs start_info() to link; these tests never call it).
const StartInfo& start_info() {
    static StartInfo info{};
    return info;
}
}  // namespace capos::rt

using namespace capos;
namespace cabi = capos::abi;
namespace sch = capos::schema;

namespace {

// A Timer served in userspace: now() answers a fixed clock, sleep(0) fails.
class TestTimer final : public sch::Timer::Server {
public:
    uint64_t clock = 12345;
    int calls = 0;

protected:
    Result<void> now(sch::Timer::NowParams::Reader, sch::Timer::NowResults::Builder r) override {
        ++calls;
        r.set_ns(clock);
        return {};
    }
    Result<void> sleep(sch::Timer::SleepParams::Reader p, sch::Timer::SleepResults::Builder) override {
        ++calls;
        if (p.ns() == 0) return Error::InvalidArgument;
        return {};
    }
};

class TestConsole final : public sch::Console::Server {
public:
    std::vector<std::string> lines;

protected:
    Result<void> write_line(sch::Console::WriteLineParams::Reader p, sch::Console::WriteLineResults::Builder) override {
        StringView t = TRY(p.text());
        lines.emplace_back(t.data(), t.size());
        return {};
    }
};

std::vector<uint8_t> recv_buffer_for(uint32_t call_id, uint64_t iface, uint16_t method,
                                     std::span<const uint8_t> params,
                                     std::span<const cabi::TransferResult> xfers = {}) {
    auto prefix = ipc::RecvPrefix::make(call_id, iface, method, static_cast<uint32_t>(params.size()), xfers).value();
    std::vector<uint8_t> buf(prefix.bytes().begin(), prefix.bytes().end());
    buf.insert(buf.end(), params.begin(), params.end());
    return buf;
}

// An empty struct message (root pointer to a zero-size struct).
std::vector<uint8_t> empty_params() {
    alignas(8) capnp::Word w[4]{};
    capnp::MessageBuilder b(w);
    EXPECT_TRUE(b.init_root(0, 0).ok());
    return {b.bytes().begin(), b.bytes().end()};
}

TEST(ParseRecv, AcceptsTheKernelLayout) {
    auto params = empty_params();
    std::array<cabi::TransferResult, 2> x{};
    x[0] = {cabi::make_cap_id(2, 1), 0, 0x77};
    x[1] = {cabi::make_cap_id(3, 1), 0, 0x88};
    auto buf = recv_buffer_for(9, sch::Timer::kInterfaceId, 0, params, x);
    buf.resize(buf.size() + 100);  // the buffer may be larger than the message
    auto r = rt::parse_recv(buf, static_cast<int32_t>(params.size()));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().header.call_id, 9u);
    ASSERT_EQ(r.value().transfer_results().size(), 2u);
    EXPECT_EQ(r.value().transfer_results()[1].interface_id, 0x88u);
    EXPECT_EQ(r.value().params.size(), params.size());
    EXPECT_EQ(r.value().params.data(), buf.data() + 64 + 32);
}

TEST(ParseRecv, RejectsEveryInconsistentLength) {
    auto params = empty_params();
    int32_t n = static_cast<int32_t>(params.size());
    auto buf = recv_buffer_for(1, 1, 0, params);
    EXPECT_EQ(rt::parse_recv(std::span(buf).first(63), n).error(), Error::Truncated);
    EXPECT_EQ(rt::parse_recv(buf, -3).error(), Error::Malformed) << "a failed RECV";
    EXPECT_EQ(rt::parse_recv(buf, n + 1).error(), Error::Malformed) << "CQE disagrees with header";
    EXPECT_EQ(rt::parse_recv(std::span(buf).first(buf.size() - 1), n).error(), Error::Malformed)
        << "params run past the buffer";
    auto bad = buf;
    cabi::RecvHeader h;
    std::memcpy(&h, bad.data(), sizeof h);
    h.xfer_count = cabi::kMaxTransfers + 1;
    std::memcpy(bad.data(), &h, sizeof h);
    EXPECT_EQ(rt::parse_recv(bad, n).error(), Error::Malformed) << "too many records";
    h.xfer_count = 1;  // records would push the params past the end
    std::memcpy(bad.data(), &h, sizeof h);
    EXPECT_EQ(rt::parse_recv(bad, n).error(), Error::Malformed);
    h.xfer_count = 0;
    h.params_len = 0xFFFF'FFFFu;
    std::memcpy(bad.data(), &h, sizeof h);
    EXPECT_EQ(rt::parse_recv(bad, INT32_MAX).error(), Error::Malformed);
    // Unaligned buffer start is fine.
    std::vector<uint8_t> shifted(1);
    shifted.insert(shifted.end(), buf.begin(), buf.end());
    EXPECT_TRUE(rt::parse_recv(std::span(shifted).subspan(1), n).ok());
}

// Random buffers: parse_recv never reads outside the buffer (ASan), and
// whatever it accepts is consistent with the buffer and the CQE. Buffers
// built by the kernel's RecvPrefix are always accepted.
TEST(ParseRecv, PropertyNeverTrustsTheBuffer) {
    rc::check("random receive buffers", [] {
        auto bytes = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
        bool shape = *rc::gen::arbitrary<bool>();
        if (shape && bytes.size() >= sizeof(cabi::RecvHeader)) {
            // Plausible headers reach the deeper checks more often.
            cabi::RecvHeader h;
            std::memcpy(&h, bytes.data(), sizeof h);
            h.xfer_count = *rc::gen::inRange<uint16_t>(0, 20);
            h.params_len = *rc::gen::inRange<uint32_t>(0, static_cast<uint32_t>(bytes.size()) + 8);
            std::memcpy(bytes.data(), &h, sizeof h);
        }
        // Exactly sized on the heap so ASan sees any overread.
        std::unique_ptr<uint8_t[]> buf(new uint8_t[bytes.size() ? bytes.size() : 1]);
        if (!bytes.empty()) std::memcpy(buf.get(), bytes.data(), bytes.size());
        std::span<const uint8_t> view(buf.get(), bytes.size());
        int32_t result = *rc::gen::inRange<int32_t>(-20, 600);
        if (*rc::gen::arbitrary<bool>() && bytes.size() >= sizeof(cabi::RecvHeader)) {
            cabi::RecvHeader h;
            std::memcpy(&h, bytes.data(), sizeof h);
            result = static_cast<int32_t>(h.params_len);
        }
        auto r = rt::parse_recv(view, result);
        if (!r.ok()) return;
        const auto& c = r.value();
        RC_ASSERT(result >= 0);
        RC_ASSERT(c.header.xfer_count <= cabi::kMaxTransfers);
        RC_ASSERT(c.params.size() == static_cast<size_t>(result));
        RC_ASSERT(c.params.data() == buf.get() + 64 + 16 * c.header.xfer_count);
        RC_ASSERT(64 + 16 * c.header.xfer_count + c.params.size() <= view.size());
    });
    rc::check("buffers the kernel builds are accepted", [] {
        auto params = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
        uint32_t n = *rc::gen::inRange<uint32_t>(0, cabi::kMaxTransfers + 1);
        std::vector<cabi::TransferResult> x(n);
        for (uint32_t i = 0; i < n; ++i) x[i] = {cabi::make_cap_id(i, 1), 0, 0x1000u + i};
        auto buf = recv_buffer_for(*rc::gen::arbitrary<uint32_t>(), 0x42, 3, params, x);
        auto r = rt::parse_recv(buf, static_cast<int32_t>(params.size()));
        RC_ASSERT(r.ok());
        RC_ASSERT(r.value().transfer_results().size() == n);
        for (uint32_t i = 0; i < n; ++i) RC_ASSERT(r.value().transfer_results()[i].interface_id == 0x1000u + i);
        RC_ASSERT(std::equal(params.begin(), params.end(), r.value().params.begin(), r.value().params.end()));
    });
}

rpc::Exception decode_exception(const rt::Answer& a) {
    capnp::MessageReader m(a.message);
    return rpc::read_exception(m).value();
}

TEST(DispatchCall, AnswersResultsOrACapException) {
    TestTimer timer;
    alignas(8) capnp::Word scratch[64];
    auto params = empty_params();
    auto buf = recv_buffer_for(5, sch::Timer::kInterfaceId, sch::Timer::kMethodNow, params);
    auto call = rt::parse_recv(buf, static_cast<int32_t>(params.size())).value();
    auto a = rt::dispatch_call(timer, call, scratch).value();
    EXPECT_EQ(a.call_id, 5u);
    EXPECT_FALSE(a.exception);
    capnp::MessageReader m(a.message);
    EXPECT_EQ(sch::Timer::NowResults::Reader(m.root().value()).ns(), 12345u);

    auto wrong = recv_buffer_for(6, sch::Console::kInterfaceId, 0, params);
    auto w = rt::dispatch_call(timer, rt::parse_recv(wrong, static_cast<int32_t>(params.size())).value(), scratch)
                 .value();
    EXPECT_TRUE(w.exception);
    EXPECT_EQ(decode_exception(w).kind, rpc::ExceptionKind::Unimplemented);
    EXPECT_EQ(timer.calls, 1) << "a call on the wrong interface reaches no handler";

    auto unknown = recv_buffer_for(7, sch::Timer::kInterfaceId, 99, params);
    auto u = rt::dispatch_call(timer, rt::parse_recv(unknown, static_cast<int32_t>(params.size())).value(), scratch)
                 .value();
    EXPECT_TRUE(u.exception);
    EXPECT_EQ(decode_exception(u).kind, rpc::ExceptionKind::Unimplemented);

    std::vector<uint8_t> garbage(16, 0xFF);
    auto g = recv_buffer_for(8, sch::Timer::kInterfaceId, sch::Timer::kMethodNow, garbage);
    auto ga = rt::dispatch_call(timer, rt::parse_recv(g, 16).value(), scratch).value();
    EXPECT_TRUE(ga.exception);
    EXPECT_EQ(decode_exception(ga).kind, rpc::ExceptionKind::InvalidArgument);

    // Scratch too small for even a short exception: the one error.
    EXPECT_EQ(rt::dispatch_call(timer, call, std::span(scratch).first(2)).error(), Error::CapnpBufferTooSmall);
}

// Serves readManifest with `max_bytes` bytes of data.
class BigAnswers final : public sch::BootPackage::Server {
protected:
    Result<void> read_manifest(sch::BootPackage::ReadManifestParams::Reader p,
                               sch::BootPackage::ReadManifestResults::Builder r) override {
        std::span<uint8_t> d = TRY(r.init_data(p.max_bytes()));
        for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(i);
        return {};
    }
};

TEST(DispatchCall, ResultsTooLargeForTheScratchAreAFailedException) {
    BigAnswers server;
    alignas(8) capnp::Word pw[8];
    capnp::MessageBuilder pb(pw);
    auto root = sch::BootPackage::ReadManifestParams::init_root(pb).value();
    root.set_max_bytes(200);
    std::vector<uint8_t> params(pb.bytes().begin(), pb.bytes().end());
    auto buf = recv_buffer_for(3, sch::BootPackage::kInterfaceId, sch::BootPackage::kMethodReadManifest, params);
    auto call = rt::parse_recv(buf, static_cast<int32_t>(params.size())).value();
    alignas(8) capnp::Word scratch[64];
    auto ok = rt::dispatch_call(server, call, scratch).value();
    EXPECT_FALSE(ok.exception);
    capnp::MessageReader m(ok.message);
    auto data = sch::BootPackage::ReadManifestResults::Reader(m.root().value()).data().value();
    ASSERT_EQ(data.size(), 200u);
    EXPECT_EQ(data[199], 199u);
    // 16 words hold a short exception but not 200 bytes of data.
    auto small = rt::dispatch_call(server, call, std::span(scratch).first(16)).value();
    EXPECT_TRUE(small.exception);
    EXPECT_EQ(small.call_id, 3u);
    EXPECT_EQ(decode_exception(small).kind, rpc::ExceptionKind::Failed);
}

TEST(ServerSqes, FollowTheAbi) {
    std::array<uint8_t, 128> buf{};
    auto r = rt::recv_sqe(cabi::make_cap_id(1, 1), buf, 42);
    EXPECT_EQ(r.opcode, static_cast<uint8_t>(cabi::Opcode::Recv));
    EXPECT_EQ(r.result_addr, reinterpret_cast<uintptr_t>(buf.data()));
    EXPECT_EQ(r.result_len, 128u);
    EXPECT_EQ(r.params_addr | r.params_len | r.call_id | r.xfer_addr | r.xfer_count | r.flags | r.method, 0u);
    rt::Answer a{77, std::span<const uint8_t>(buf).first(16), true};
    auto t = rt::return_sqe(cabi::make_cap_id(1, 1), a, 43);
    EXPECT_EQ(t.opcode, static_cast<uint8_t>(cabi::Opcode::Return));
    EXPECT_EQ(t.call_id, 77u);
    EXPECT_EQ(t.flags, cabi::kSqeFlagException);
    EXPECT_EQ(t.params_len, 16u);
    EXPECT_EQ(t.result_addr | t.result_len | t.xfer_count | t.method, 0u);
}

// ---------------------------------------------------------------------------
// Loopback: client stub -> Endpoint -> serve_one -> skeleton -> back.

struct LoopTraits {
    using Caller = int;
    using Receiver = int;
    using Message = int;  // index into Loopback::messages_
    struct Reply {
        uint8_t* data = nullptr;
        size_t len = 0;
    };
    using Buffer = Reply;
    static constexpr uint32_t kMaxPending = 4;
    static constexpr uint32_t kMaxReceivers = 2;
    static constexpr uint32_t kMaxInFlight = 4;
};
using LoopEp = ipc::Endpoint<LoopTraits>;

constexpr cabi::CapId kEndpointCap = cabi::make_cap_id(0, 1);  // the server's raw endpoint
constexpr cabi::CapId kFacetCap = cabi::make_cap_id(1, 1);     // the client's facet
constexpr int kClient = 1;
constexpr int kServer = 2;

template <typename S>
class Loopback final : public rpc::Transport {
public:
    explicit Loopback(S& server) : server_(server) {}

    LoopEp ep;
    uint64_t facet_epoch = 0;  // the epoch the client's facet was minted at

    // Client side: one CALL, then the server runs one round.
    Result<rpc::Reply> call(uint32_t cap_id, uint64_t interface_id, uint16_t method,
                            std::span<const uint8_t> params, std::span<uint8_t> results) override {
        if (cap_id != kFacetCap) return Error::CapStale;
        messages_.emplace_back(params.begin(), params.end());
        LoopEp::PendingCall c;
        c.caller = kClient;
        c.user_data = ++user_data_;
        c.reply = {results.data(), results.size()};
        c.interface_id = interface_id;
        c.method = method;
        c.message = static_cast<int>(messages_.size() - 1);
        c.message_len = static_cast<uint32_t>(params.size());
        auto o = ep.call(c, facet_epoch);
        switch (o.status) {
        case LoopEp::CallStatus::Queued: break;
        case LoopEp::CallStatus::Overloaded: return Error::RingQueueFull;
        case LoopEp::CallStatus::Closed:
        case LoopEp::CallStatus::Revoked: return disconnected(results);
        case LoopEp::CallStatus::HandOff: return Error::Unsupported;  // no server waits in RECV here
        }
        alignas(8) static uint8_t recv_buf[1024];
        alignas(8) static capnp::Word scratch[128];
        completion_.reset();
        TRY(rt::serve_one(ring_, kEndpointCap, server_, recv_buf, scratch));
        if (!completion_) return Error::RingInterrupted;
        return *completion_;
    }

private:
    // The kernel's answer to a call through a revoked facet or to a closed
    // endpoint: a disconnected CapException.
    static Result<rpc::Reply> disconnected(std::span<uint8_t> results) {
        alignas(8) capnp::Word w[16];
        rpc::Reply r = TRY(rpc::write_exception(w, rpc::ExceptionKind::Disconnected, "disconnected"));
        if (r.bytes > results.size()) return Error::RingBufferTooSmall;
        std::memcpy(results.data(), w, r.bytes);
        return r;
    }

    // The server's ring: RECV and RETURN go to the endpoint.
    struct Ring {
        Loopback* self;
        uint64_t ud = 0;
        uint64_t next_user_data() { return ++ud; }
        Result<cabi::Cqe> submit_and_wait(const cabi::Sqe& sqe) {
            cabi::Cqe cqe{};
            cqe.user_data = sqe.user_data;
            LoopEp& ep = self->ep;
            if (sqe.opcode == static_cast<uint8_t>(cabi::Opcode::Recv)) {
                auto* buf = reinterpret_cast<uint8_t*>(sqe.result_addr);
                const LoopEp::PendingCall* next = ep.next_call();
                if (next == nullptr) return Error::RingInterrupted;  // would block: not in this test
                if (ipc::recv_bytes_needed(0, next->message_len) > sqe.result_len) {
                    cqe.result = cabi::to_result(cabi::TransportError::BufferTooSmall);
                    return cqe;
                }
                auto o = ep.recv({kServer, sqe.user_data, {buf, sqe.result_len}});
                if (o.status != LoopEp::RecvStatus::Delivered) return Error::RingInterrupted;
                const auto& msg = self->messages_[static_cast<size_t>(o.call.message)];
                auto prefix = ipc::RecvPrefix::make(o.call_id, o.call.interface_id, o.call.method,
                                                    o.call.message_len, {})
                                  .value();
                std::memcpy(buf, prefix.bytes().data(), prefix.bytes().size());
                std::memcpy(buf + prefix.bytes().size(), msg.data(), msg.size());
                cqe.result = static_cast<int32_t>(o.call.message_len);
                return cqe;
            }
            if (sqe.opcode == static_cast<uint8_t>(cabi::Opcode::Return)) {
                const LoopEp::InFlightCall* f = ep.find(sqe.call_id);
                if (f == nullptr) {
                    cqe.result = cabi::to_result(cabi::TransportError::NoSuchCall);
                    return cqe;
                }
                if (sqe.params_len > f->reply.len) return Error::RingBufferTooSmall;
                auto o = ep.ret(sqe.call_id);
                if (o.status == LoopEp::ReturnStatus::Completed) {
                    std::memcpy(o.call.reply.data, reinterpret_cast<const void*>(sqe.params_addr), sqe.params_len);
                    self->completion_ = rpc::Reply{sqe.params_len, (sqe.flags & cabi::kSqeFlagException) != 0};
                }
                return cqe;
            }
            return Error::RingBadOpcode;
        }
    };

    S& server_;
    Ring ring_{this};
    std::vector<std::vector<uint8_t>> messages_;
    std::optional<rpc::Reply> completion_;
    uint64_t user_data_ = 0;
};

TEST(Loopback, GeneratedStubsWorkOverAnEndpoint) {
    TestTimer timer;
    Loopback<TestTimer> loop(timer);
    sch::Timer::Client client(loop, kFacetCap);
    alignas(8) capnp::Word params[32];
    alignas(8) uint8_t results[256];
    rpc::CallBuffers bufs(params, results);

    auto now = client.now(bufs);
    ASSERT_TRUE(now.ok()) << error_name(now.error());
    EXPECT_EQ(now.value().ns(), 12345u);
    timer.clock = 999;
    EXPECT_EQ(client.now(bufs).value().ns(), 999u);

    // A handler error crosses as a CapException.
    auto s = client.sleep(bufs, [](sch::Timer::SleepParams::Builder p) { p.set_ns(0); });
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error(), Error::CapException);
    EXPECT_EQ(bufs.exception().value().kind, rpc::ExceptionKind::InvalidArgument);
    EXPECT_TRUE(client.sleep(bufs, [](sch::Timer::SleepParams::Builder p) { p.set_ns(5); }).ok());
    EXPECT_EQ(timer.calls, 4);
    EXPECT_EQ(loop.ep.in_flight(), 0u);
    EXPECT_EQ(loop.ep.pending(), 0u);
}

TEST(Loopback, TextParamsReachTheServer) {
    TestConsole console;
    Loopback<TestConsole> loop(console);
    sch::Console::Client client(loop, kFacetCap);
    alignas(8) capnp::Word params[64];
    alignas(8) uint8_t results[256];
    rpc::CallBuffers bufs(params, results);
    ASSERT_TRUE(client.write_line(bufs, [](sch::Console::WriteLineParams::Builder p) { return p.set_text("hi"); })
                    .ok());
    ASSERT_TRUE(
        client.write_line(bufs, [](sch::Console::WriteLineParams::Builder p) { return p.set_text("there"); }).ok());
    EXPECT_EQ(console.lines, (std::vector<std::string>{"hi", "there"}));
    // write is not implemented by this server: unimplemented comes back.
    auto w = client.write(bufs, [](sch::Console::WriteParams::Builder) {});
    EXPECT_EQ(w.error(), Error::CapException);
    EXPECT_EQ(bufs.exception().value().kind, rpc::ExceptionKind::Unimplemented);
}

// Revocable Read in miniature: the facet works, the owner revokes, the next
// call through it is disconnected, a facet minted afterwards works.
TEST(Loopback, RevokedFacetIsDisconnected) {
    TestTimer timer;
    Loopback<TestTimer> loop(timer);
    sch::Timer::Client client(loop, kFacetCap);
    alignas(8) capnp::Word params[32];
    alignas(8) uint8_t results[256];
    rpc::CallBuffers bufs(params, results);
    loop.facet_epoch = loop.ep.epoch();
    ASSERT_TRUE(client.now(bufs).ok());
    ASSERT_TRUE(loop.ep.revoke([](const auto&) {}, [](const auto&) {}).ok());
    auto r = client.now(bufs);
    ASSERT_EQ(r.error(), Error::CapException);
    EXPECT_EQ(bufs.exception().value().kind, rpc::ExceptionKind::Disconnected);
    EXPECT_EQ(timer.calls, 1) << "the revoked call never reached the server";
    loop.facet_epoch = loop.ep.epoch();  // a facet minted after the revocation
    EXPECT_TRUE(client.now(bufs).ok());
    EXPECT_EQ(timer.calls, 2);
}

}  // namespace

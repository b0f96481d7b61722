// Generated client stubs and server dispatch skeletons, joined by a
// loopback rpc::Transport: calls, results, exceptions, unknown ordinals,
// malformed params and buffers that are too small.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "schema/capos.capnp.h"
#include "schema/capos.capnp.hpp"
#include "schema/rpc.hpp"
#include "tests/host/codegen/fixture.capnp.hpp"
#include "tests/host/codegen/test_util.hpp"

using capos::Error;
using capos::Result;
using capos::rpc::ExceptionKind;
using codegen_test::sv;
namespace schema = capos::schema;
namespace fixture = capos::fixture;

namespace {

// Dispatches every call to one server object; records what the transport
// saw. Like the kernel, it dispatches into its own word-aligned scratch
// and copies the reply out.
template <typename Server>
class Loopback final : public capos::rpc::Transport {
public:
    explicit Loopback(Server& server, size_t scratch_words = 256)
        : server_(server), scratch_(scratch_words) {}

    Result<capos::rpc::Reply> call(uint32_t cap_id, uint64_t interface_id, uint16_t method,
                                   std::span<const uint8_t> params, std::span<uint8_t> results) override {
        last_cap = cap_id;
        last_interface = interface_id;
        last_method = method;
        if (interface_id != Server::kInterfaceId) return Error::CapWrongInterface;
        std::vector<uint8_t> copy(params.begin(), params.end());
        if (corrupt_params) copy.assign(copy.size(), 0xff);
        auto reply = TRY(server_.dispatch(method, copy, scratch_));
        if (reply.bytes > results.size()) return Error::RingBufferTooSmall;
        std::memcpy(results.data(), scratch_.data(), reply.bytes);
        return reply;
    }

    uint32_t last_cap = 0;
    uint64_t last_interface = 0;
    uint16_t last_method = 0xffff;
    bool corrupt_params = false;

private:
    Server& server_;
    std::vector<capos::capnp::Word> scratch_;
};

class TestConsole final : public schema::Console::Server {
public:
    std::string out;

protected:
    Result<void> write(schema::Console::WriteParams::Reader params,
                       schema::Console::WriteResults::Builder) override {
        auto data = TRY(params.data());
        if (data.size() > 16) return Error::LimitExceeded;
        out.append(reinterpret_cast<const char*>(data.data()), data.size());
        return {};
    }
    Result<void> write_line(schema::Console::WriteLineParams::Reader params,
                            schema::Console::WriteLineResults::Builder) override {
        auto text = TRY(params.text());
        out += sv(text) + "\n";
        return {};
    }
};

// Implements add, echo, square and nothing; describe stays unimplemented.
class TestCalculator final : public fixture::Calculator::Server {
protected:
    Result<void> add(fixture::Calculator::AddParams::Reader p,
                     fixture::Calculator::AddResults::Builder r) override {
        int64_t sum = int64_t{p.a()} + p.b();
        if (sum > INT32_MAX || sum < INT32_MIN) return Error::Overflow;
        r.set_sum(static_cast<int32_t>(sum));
        return {};
    }
    Result<void> echo(fixture::Calculator::EchoParams::Reader p,
                      fixture::Calculator::EchoResults::Builder r) override {
        TRY(r.set_blob(TRY(p.blob())));
        TRY(r.set_cap(TRY(p.cap()) + 100));
        r.set_color(p.color());
        return {};
    }
    Result<void> square(fixture::Inner::Reader p, fixture::Inner::Builder r) override {
        r.set_a(p.a() * p.a());
        TRY(r.set_label(TRY(p.label())));
        return {};
    }
    Result<void> nothing(fixture::Calculator::NothingParams::Reader,
                         fixture::Calculator::NothingResults::Builder) override {
        ++nothing_calls;
        return {};
    }

public:
    int nothing_calls = 0;
};

struct Buffers {
    capos::capnp::Word params[64];
    uint8_t results[512];
    capos::rpc::CallBuffers call{params, results};
};

}  // namespace

TEST(Rpc, ConsoleClientReachesServer) {
    TestConsole server;
    Loopback transport(server);
    schema::Console::Client console(transport, 7);
    Buffers b;
    MUST(console.write_line(b.call, "hello"));
    EXPECT_EQ(transport.last_cap, 7u);
    EXPECT_EQ(transport.last_interface, schema::Console::kInterfaceId);
    EXPECT_EQ(transport.last_method, schema::Console::kMethodWriteLine);
    const uint8_t bytes[] = {'a', 'b'};
    MUST(console.write(b.call, bytes));
    EXPECT_EQ(transport.last_method, schema::Console::kMethodWrite);
    EXPECT_EQ(server.out, "hello\nab");
}

TEST(Rpc, HandlerErrorBecomesCapException) {
    TestConsole server;
    Loopback transport(server);
    schema::Console::Client console(transport, 1);
    Buffers b;
    std::vector<uint8_t> big(17, 'x');
    auto r = console.write(b.call, big);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::CapException);
    auto e = MUST(b.call.exception());
    EXPECT_EQ(e.kind, ExceptionKind::Overloaded);
    EXPECT_EQ(sv(e.message), capos::error_name(Error::LimitExceeded));
    EXPECT_EQ(server.out, "");
    // A later successful call clears the exception.
    MUST(console.write_line(b.call, "ok"));
    EXPECT_FALSE(b.call.exception().ok());
}

TEST(Rpc, ResultsAreDecodedAndStayValidUntilTheNextCall) {
    TestCalculator server;
    Loopback transport(server);
    fixture::Calculator::Client calc(transport, 3);
    Buffers b;
    auto sum = MUST(calc.add(b.call, 40, 2));
    EXPECT_EQ(sum.sum(), 42);
    const uint8_t blob[] = {1, 2, 3};
    auto echoed = MUST(calc.echo(b.call, blob, 5, fixture::Color::Blue));
    EXPECT_EQ(MUST(echoed.blob()).size(), 3u);
    EXPECT_EQ(MUST(echoed.cap()), 105u);
    EXPECT_EQ(echoed.color(), fixture::Color::Blue);
    MUST(calc.nothing(b.call));
    EXPECT_EQ(server.nothing_calls, 1);
}

TEST(Rpc, StructParamsUseTheFillForm) {
    TestCalculator server;
    Loopback transport(server);
    fixture::Calculator::Client calc(transport, 3);
    Buffers b;
    auto sq = MUST(calc.square(b.call, [](fixture::Inner::Builder p) -> Result<void> {
        p.set_a(-12);
        return p.set_label("sq");
    }));
    EXPECT_EQ(sq.a(), 144);
    EXPECT_EQ(sv(MUST(sq.label())), "sq");
    // The void-returning fill form works too.
    auto sum = MUST(calc.add(b.call, [](fixture::Calculator::AddParams::Builder p) {
        p.set_a(1);
        p.set_b(2);
    }));
    EXPECT_EQ(sum.sum(), 3);
}

TEST(Rpc, UnoverriddenHandlerAndUnknownOrdinalAreUnimplemented) {
    TestCalculator server;
    Loopback transport(server);
    fixture::Calculator::Client calc(transport, 3);
    Buffers b;
    auto r = calc.describe(b.call, [](fixture::Calculator::DescribeParams::Builder) {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::CapException);
    EXPECT_EQ(MUST(b.call.exception()).kind, ExceptionKind::Unimplemented);

    // Ordinal 9 does not exist: dispatch answers unimplemented.
    capos::capnp::Word params[8];
    capos::capnp::MessageBuilder mb(params);
    MUST(mb.init_root(0, 0));
    capos::capnp::Word scratch[32];
    auto reply = MUST(server.dispatch(9, mb.bytes(), scratch));
    ASSERT_TRUE(reply.exception);
    capos::capnp::MessageReader in(std::span<const uint8_t>(reinterpret_cast<uint8_t*>(scratch), reply.bytes));
    auto e = MUST(capos::rpc::read_exception(in));
    EXPECT_EQ(e.kind, ExceptionKind::Unimplemented);

    // A handler left at its default (Endpoint.mintClient here) raises
    // unimplemented.
    struct NoMethods final : schema::Endpoint::Server {};
    NoMethods ep;
    auto er = MUST(ep.dispatch(0, mb.bytes(), scratch));
    EXPECT_TRUE(er.exception);
}

TEST(Rpc, OverflowIsInvalidArgument) {
    TestCalculator server;
    Loopback transport(server);
    fixture::Calculator::Client calc(transport, 3);
    Buffers b;
    auto r = calc.add(b.call, INT32_MAX, 1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(MUST(b.call.exception()).kind, ExceptionKind::InvalidArgument);
}

TEST(Rpc, MalformedParamsAreInvalidArgument) {
    TestConsole server;
    Loopback transport(server);
    transport.corrupt_params = true;
    schema::Console::Client console(transport, 1);
    Buffers b;
    auto r = console.write_line(b.call, "x");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::CapException);
    EXPECT_EQ(MUST(b.call.exception()).kind, ExceptionKind::InvalidArgument);
    EXPECT_EQ(server.out, "");
}

TEST(Rpc, TransportErrorsPassThrough) {
    TestConsole server;
    Loopback transport(server);
    fixture::Calculator::Client wrong(transport, 1);  // not a Console
    Buffers b;
    auto r = wrong.add(b.call, 1, 2);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::CapWrongInterface);
    EXPECT_FALSE(b.call.exception().ok());
}

TEST(Rpc, BuffersTooSmall) {
    TestCalculator server;
    // Params that do not fit the caller's arena fail before any call.
    Loopback transport(server);
    fixture::Calculator::Client c(transport, 1);
    capos::capnp::Word tiny_params[2];
    uint8_t results[64];
    capos::rpc::CallBuffers small(tiny_params, results);
    auto r = c.square(small, [](fixture::Inner::Builder p) { return p.set_label("a label too long"); });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::CapnpBufferTooSmall);
    EXPECT_EQ(transport.last_method, 0xffff);

    // Results that do not fit the server's scratch are a transport error,
    // not an exception.
    Loopback cramped(server, 4);
    fixture::Calculator::Client c2(cramped, 1);
    Buffers b;
    auto r2 = c2.square(b.call, [](fixture::Inner::Builder p) { return p.set_label("long enough to overflow"); });
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error(), Error::CapnpBufferTooSmall);
}

TEST(Rpc, ExceptionMessageIsTruncatedToFit) {
    capos::capnp::Word scratch[5];  // table, root, struct (2), one text word
    auto reply = MUST(capos::rpc::write_exception(scratch, ExceptionKind::Failed, "a long message here"));
    capos::capnp::MessageReader in(std::span<const uint8_t>(reinterpret_cast<uint8_t*>(scratch), reply.bytes));
    auto e = MUST(capos::rpc::read_exception(in));
    EXPECT_EQ(sv(e.message), "a long ");
    capos::capnp::Word none[3];
    EXPECT_FALSE(capos::rpc::write_exception(none, ExceptionKind::Failed, "x").ok());
}

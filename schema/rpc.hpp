// The call machinery behind generated client stubs and server dispatch
// skeletons (tools/capnpc-capos). Freestanding; see docs/schema.md.
//
// Client side:
//
//   rpc::Transport        one abstract call: params message in, reply out
//   rpc::CallBuffers      caller-owned params arena, result buffer, and the
//                         reader over the last reply
//   Foo::Client           generated: builds params, calls, decodes results
//
// A stub returns Result<Results::Reader>. A transport error comes back as
// the transport's Error; a capability's exception as Error::CapException,
// with the CapException left in the result buffer (CallBuffers::exception()).
// Readers returned by a stub stay valid until the next call that uses the
// same CallBuffers.
//
// Server side: generated Foo::Server::dispatch(method, params, scratch)
// decodes the params message, calls the virtual handler for the ordinal,
// and leaves either the results message or a CapException at the front of
// `scratch`. A handler that returns an Error raises the exception
// exception_kind_for(error) with error_name(error) as its message. Unknown
// ordinals and handlers left at their default raise `unimplemented`.
//
// The CapException layout used here is fixed by schema/capos.capnp
// (struct CapException: type :ExceptionType at data bits 0..15, message
// :Text at pointer 0); tests/host/codegen checks it against libcapnp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <type_traits>

#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"
#include "lib/capnp/capnp.hpp"

namespace capos::rpc {

// ExceptionType of schema/capos.capnp, by ordinal.
enum class ExceptionKind : uint16_t {
    Failed = 0,
    Overloaded = 1,
    Disconnected = 2,
    Unimplemented = 3,
    InvalidArgument = 4,
};

// What a call left in the result buffer.
struct Reply {
    uint32_t bytes = 0;      // length of the message at the front of the buffer
    bool exception = false;  // true: it is a CapException, not the results
};

// A decoded CapException. `message` points into the result buffer.
struct Exception {
    ExceptionKind kind = ExceptionKind::Failed;
    StringView message;
};

// One CALL. Implementations: the user runtime's ring client, the kernel's
// in-process dispatch, and test loopbacks.
class Transport {
public:
    // Sends `params` (a complete Cap'n Proto message) to method `method` of
    // the capability `cap_id`, which the caller expects to implement
    // `interface_id`, and writes the reply message into `results`.
    // Errors are transport errors (bad capability, wrong interface, buffer
    // too small, ...); a capability's exception is a successful Reply with
    // exception = true.
    virtual Result<Reply> call(uint32_t cap_id, uint64_t interface_id, uint16_t method,
                               std::span<const uint8_t> params, std::span<uint8_t> results) = 0;

protected:
    ~Transport() = default;
};

// The mapping from internal errors to the exception a handler raises.
constexpr ExceptionKind exception_kind_for(Error e) {
    switch (e) {
    case Error::Unsupported: return ExceptionKind::Unimplemented;
    case Error::Disconnected: return ExceptionKind::Disconnected;
    case Error::OutOfMemory:
    case Error::LimitExceeded:
    case Error::Busy: return ExceptionKind::Overloaded;
    case Error::InvalidArgument:
    case Error::OutOfRange:
    case Error::Overflow:
    case Error::NotFound:
    case Error::AlreadyExists:
    case Error::Misaligned:
    case Error::Malformed:
    case Error::Truncated:
    case Error::BadMagic:
    case Error::CapnpBadPointer:
    case Error::CapnpOutOfBounds:
    case Error::CapnpTraversalLimit:
    case Error::CapnpNestingLimit:
    case Error::CapnpBadSegmentTable:
    case Error::CapnpWrongType: return ExceptionKind::InvalidArgument;
    default: return ExceptionKind::Failed;
    }
}

// Writes a CapException message at the front of `out`. Fails only with
// CapnpBufferTooSmall; a message that does not fit is truncated first.
inline Result<Reply> write_exception(std::span<capnp::Word> out, ExceptionKind kind,
                                     StringView message) {
    // CapException: 1 data word, 1 pointer.
    constexpr size_t kFixedWords = 1 /*table*/ + 1 /*root*/ + 2 /*struct*/;
    if (out.size() < kFixedWords) return Error::CapnpBufferTooSmall;
    size_t room_bytes = (out.size() - kFixedWords) * capnp::kBytesPerWord;
    size_t len = message.size();
    if (len + 1 > room_bytes) len = room_bytes == 0 ? 0 : room_bytes - 1;
    capnp::MessageBuilder msg(out);
    capnp::StructBuilder root = TRY(msg.init_root(1, 1));
    root.set_data<uint16_t>(0, static_cast<uint16_t>(kind));
    if (room_bytes > 0) TRY(root.set_text(0, message.substr(0, len)));
    return Reply{static_cast<uint32_t>(msg.bytes().size()), true};
}

// Decodes a CapException message.
inline Result<Exception> read_exception(capnp::MessageReader& msg) {
    capnp::StructReader root = TRY(msg.root());
    Exception e;
    e.kind = static_cast<ExceptionKind>(root.get_data<uint16_t>(0));
    e.message = TRY(root.get_text(0));
    return e;
}

// Caller-owned buffers for calls through generated stubs. Not copyable: it
// owns the reader over the last reply, which points into `results`.
class CallBuffers {
public:
    CallBuffers(std::span<capnp::Word> params, std::span<uint8_t> results)
        : params_(params), results_(results) {}
    CallBuffers(const CallBuffers&) = delete;
    CallBuffers& operator=(const CallBuffers&) = delete;

    std::span<capnp::Word> params() const { return params_; }
    std::span<uint8_t> results() const { return results_; }

    // A reader over the first `bytes` bytes of the result buffer, replacing
    // the previous one (and invalidating readers taken from it).
    capnp::MessageReader& open_reply(uint32_t bytes, bool exception) {
        static_assert(std::is_trivially_destructible_v<capnp::MessageReader>);
        if (bytes > results_.size()) bytes = static_cast<uint32_t>(results_.size());
        exception_ = exception;
        reader_ = new (storage_) capnp::MessageReader(results_.first(bytes));
        return *reader_;
    }

    // The exception of the last call, if it raised one.
    Result<Exception> exception() const {
        if (!reader_ || !exception_) return Error::NotFound;
        return read_exception(*reader_);
    }

private:
    std::span<capnp::Word> params_;
    std::span<uint8_t> results_;
    alignas(capnp::MessageReader) unsigned char storage_[sizeof(capnp::MessageReader)];
    capnp::MessageReader* reader_ = nullptr;
    bool exception_ = false;
};

// True when `r`, the result of a stub call through `buffers`, is a
// CapException of `kind` (and not a transport error).
template <typename T>
bool raised(const Result<T>& r, const CallBuffers& buffers, ExceptionKind kind) {
    if (r.ok() || r.error() != Error::CapException) return false;
    auto e = buffers.exception();
    return e.ok() && e.value().kind == kind;
}

// The body of every generated client stub. `fill` takes a Params::Builder
// and returns Result<void> (or void).
template <typename Params, typename Results, typename Fill>
Result<typename Results::Reader> call(Transport& transport, uint32_t cap_id, uint64_t interface_id,
                                      uint16_t method, CallBuffers& buffers, Fill&& fill) {
    capnp::MessageBuilder out(buffers.params());
    capnp::StructBuilder root = TRY(out.init_root(Params::kDataWords, Params::kPointerCount));
    if constexpr (std::is_void_v<decltype(fill(typename Params::Builder(root)))>) {
        fill(typename Params::Builder(root));
    } else {
        TRY(fill(typename Params::Builder(root)));
    }
    Reply reply = TRY(transport.call(cap_id, interface_id, method, out.bytes(), buffers.results()));
    if (reply.bytes > buffers.results().size()) return Error::Malformed;
    capnp::MessageReader& in = buffers.open_reply(reply.bytes, reply.exception);
    if (reply.exception) return Error::CapException;
    return typename Results::Reader(TRY(in.root()));
}

// The body of every generated server method case. `handler` takes
// (Params::Reader, Results::Builder) and returns Result<void>.
template <typename Params, typename Results, typename Handler>
Result<Reply> serve(std::span<const uint8_t> params, std::span<capnp::Word> scratch,
                    Handler&& handler) {
    capnp::MessageReader in(params);
    Result<capnp::StructReader> root = in.root();
    if (!root)
        return write_exception(scratch, ExceptionKind::InvalidArgument, error_name(root.error()));
    capnp::MessageBuilder out(scratch);
    Result<capnp::StructBuilder> results = out.init_root(Results::kDataWords, Results::kPointerCount);
    if (!results) return results.error();
    Result<void> done =
        handler(typename Params::Reader(root.value()), typename Results::Builder(results.value()));
    if (done) return Reply{static_cast<uint32_t>(out.bytes().size()), false};
    // Results that do not fit are the caller's problem (a transport error),
    // not the capability's.
    if (done.error() == Error::CapnpBufferTooSmall) return Error::CapnpBufferTooSmall;
    return write_exception(scratch, exception_kind_for(done.error()), error_name(done.error()));
}

// What dispatch answers for an ordinal the interface does not have.
inline Result<Reply> unimplemented(std::span<capnp::Word> scratch) {
    return write_exception(scratch, ExceptionKind::Unimplemented, "unknown method");
}

}  // namespace capos::rpc

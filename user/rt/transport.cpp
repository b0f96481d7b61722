#include "user/rt/transport.hpp"

#include <new>

namespace capos::rt {

Error error_from_transport(int32_t result) {
    using T = abi::TransportError;
    switch (static_cast<T>(result)) {
    case T::BadSqe: return Error::RingBadSqe;
    case T::BadOpcode: return Error::RingBadOpcode;
    case T::BadCapability: return Error::CapStale;
    case T::WrongInterface: return Error::CapWrongInterface;
    case T::BadBuffer: return Error::RingBadBuffer;
    case T::BufferTooSmall: return Error::RingBufferTooSmall;
    case T::MalformedParams: return Error::Malformed;
    case T::TransferFailed: return Error::RingBadTransfer;
    case T::QueueFull: return Error::RingQueueFull;
    case T::Interrupted: return Error::RingInterrupted;
    case T::ApplicationException:
    case T::ApplicationExceptionTruncated: return Error::CapException;
    case T::NoSuchCall: return Error::RingNoSuchCall;
    }
    return Error::Unsupported;
}

Result<rpc::Reply> RingTransport::call(uint32_t cap_id, uint64_t, uint16_t method,
                                       std::span<const uint8_t> params,
                                       std::span<uint8_t> results) {
    last_cqe_ = abi::Cqe{};
    transfer_count_ = 0;
    // The ABI's limits are checked here too, so a too-large span is an error
    // rather than a truncated length.
    if (params.size() > abi::kMaxParamsBytes) return Error::RingBadBuffer;
    if (results.size() > abi::kMaxResultBytes) results = results.first(abi::kMaxResultBytes);

    abi::Sqe sqe{};
    sqe.opcode = static_cast<uint8_t>(abi::Opcode::Call);
    sqe.cap_id = cap_id;
    sqe.user_data = ring_->next_user_data();
    sqe.method = method;
    if (!params.empty()) {
        sqe.params_addr = reinterpret_cast<uintptr_t>(params.data());
        sqe.params_len = static_cast<uint32_t>(params.size());
    }
    if (!results.empty()) {
        sqe.result_addr = reinterpret_cast<uintptr_t>(results.data());
        sqe.result_len = static_cast<uint32_t>(results.size());
    }
    last_cqe_ = TRY(ring_->submit_and_wait(sqe));
    const abi::Cqe& cqe = last_cqe_;

    if (cqe.result >= 0) {
        uint32_t bytes = static_cast<uint32_t>(cqe.result);
        uint64_t front = abi::call_result_message_offset(cqe.xfer_count);
        if (cqe.xfer_count > abi::kMaxTransfers || front + bytes > results.size())
            return Error::Malformed;
        if (cqe.xfer_count > 0) {
            __builtin_memcpy(transfers_, results.data(), front);
            transfer_count_ = cqe.xfer_count;
            __builtin_memmove(results.data(), results.data() + front, bytes);
        }
        return rpc::Reply{bytes, false};
    }
    if (cqe.result == abi::to_result(abi::TransportError::ApplicationException) ||
        cqe.result == abi::to_result(abi::TransportError::ApplicationExceptionTruncated)) {
        if (cqe.aux > results.size()) return Error::Malformed;
        return rpc::Reply{cqe.aux, true};
    }
    return error_from_transport(cqe.result);
}

namespace {
alignas(RingTransport) unsigned char g_transport_storage[sizeof(RingTransport)];
// Invariant: null until the first successful rt::transport(), then points
// into g_transport_storage.
constinit RingTransport* g_transport = nullptr;
}  // namespace

Result<RingTransport*> transport() {
    if (g_transport != nullptr) return g_transport;
    RingClient* r = TRY(ring());
    g_transport = new (g_transport_storage) RingTransport(*r);
    return g_transport;
}

}  // namespace capos::rt

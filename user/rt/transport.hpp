// rpc::Transport over the process's ring: what generated client stubs
// (schema/capos.capnp.hpp, e.g. schema::Console::Client) call through.
//
// One call() is one CALL SQE, synchronously:
//
//   submit CALL (cap_id, method, params, result buffer, fresh user_data)
//   cap_enter(1, forever) until the CQE with that user_data arrives
//   CQE.result >= 0                      -> Reply{result bytes, exception = false}
//   ApplicationException                 -> Reply{aux bytes, exception = true}
//   ApplicationExceptionTruncated        -> Reply{aux bytes, exception = true}
//                                           (aux == 0: nothing to decode)
//   any other negative result            -> its Error (error_from_transport)
//
// When the CQE reports transfer results (CQE.xfer_count > 0), the kernel
// wrote TransferResult records in front of the message (docs/abi.md 7);
// call() copies them to transfers() and moves the message to the front of
// the buffer, where rpc::call expects it.
//
// The ring CALL names no interface: the kernel interprets `method` in the
// interface its slot records. `interface_id` is therefore not checked here;
// the check belongs to the lookup that produced `cap_id` (CapSet::lookup).
#pragma once

#include <cstdint>
#include <span>

#include "abi/ring.hpp"
#include "lib/base/error.hpp"
#include "schema/rpc.hpp"
#include "user/rt/ring_client.hpp"

namespace capos::rt {

// The internal Error for a negative CQE result (the inverse of
// lib/ring's transport_error, choosing one Error per code):
//   BadSqe RingBadSqe            BadOpcode RingBadOpcode
//   BadCapability CapStale       WrongInterface CapWrongInterface
//   BadBuffer RingBadBuffer      BufferTooSmall RingBufferTooSmall
//   MalformedParams Malformed    TransferFailed RingBadTransfer
//   QueueFull RingQueueFull      Interrupted RingInterrupted
//   ApplicationException(Truncated) CapException
//   NoSuchCall RingNoSuchCall    anything else Unsupported
// Precondition: result < 0.
Error error_from_transport(int32_t result);

class RingTransport final : public rpc::Transport {
public:
    explicit RingTransport(RingClient& ring) : ring_(&ring) {}

    Result<rpc::Reply> call(uint32_t cap_id, uint64_t interface_id, uint16_t method,
                            std::span<const uint8_t> params, std::span<uint8_t> results) override;

    // The CQE of the last call that got one (aux holds the bytes needed after
    // BufferTooSmall). Zeroed before each call.
    const abi::Cqe& last_cqe() const { return last_cqe_; }
    // The transfer results of the last call (empty unless it returned
    // capabilities).
    std::span<const abi::TransferResult> transfers() const {
        return {transfers_, last_cqe_.result >= 0 ? transfer_count_ : 0};
    }

private:
    RingClient* ring_;
    abi::Cqe last_cqe_{};
    abi::TransferResult transfers_[abi::kMaxTransfers]{};
    uint32_t transfer_count_ = 0;
};

// The process's transport over rt::ring(). Errors: rt::ring()'s.
Result<RingTransport*> transport();

}  // namespace capos::rt

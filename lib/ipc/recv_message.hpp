// The front of a completed RECV buffer (docs/abi.md, section 11), built in
// kernel memory so the kernel copies it out in one piece, followed by the
// params message:
//
//   result_addr
//   +0                  RecvHeader                    64 bytes
//   +64                 TransferResult[xfer_count]    16 bytes each
//   +64+16*xfer_count   params message                params_len bytes
//
// user/rt/server.hpp parses the same layout on the other side.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "abi/ring.hpp"
#include "lib/base/error.hpp"

namespace capos::ipc {

// Bytes a receive buffer needs for a call with `xfer_count` transfers and
// `params_len` bytes of params.
constexpr uint64_t recv_bytes_needed(uint32_t xfer_count, uint32_t params_len) {
    return abi::recv_message_offset(xfer_count) + params_len;
}

class RecvPrefix {
public:
    static constexpr uint32_t kMaxBytes =
        sizeof(abi::RecvHeader) + abi::kMaxTransfers * sizeof(abi::TransferResult);

    // The header and records for call `call_id`. Reserved and caller-session
    // fields are zero (version 1). Errors: LimitExceeded when more than
    // abi::kMaxTransfers records are given.
    static Result<RecvPrefix> make(uint32_t call_id, uint64_t interface_id, uint16_t method,
                                   uint32_t params_len, std::span<const abi::TransferResult> xfers) {
        if (xfers.size() > abi::kMaxTransfers) return Error::LimitExceeded;
        RecvPrefix p;
        abi::RecvHeader h{};
        h.call_id = call_id;
        h.method = method;
        h.xfer_count = static_cast<uint16_t>(xfers.size());
        h.interface_id = interface_id;
        h.params_len = params_len;
        __builtin_memcpy(p.bytes_.data(), &h, sizeof h);
        if (!xfers.empty())
            __builtin_memcpy(p.bytes_.data() + sizeof h, xfers.data(), xfers.size_bytes());
        p.size_ = static_cast<uint32_t>(sizeof h + xfers.size_bytes());
        return p;
    }

    std::span<const uint8_t> bytes() const { return {bytes_.data(), size_}; }

private:
    RecvPrefix() = default;
    // Only [0, size_) is ever read: left uninitialised, so making a prefix
    // costs the header and records written, not a 320-byte clear.
    std::array<uint8_t, kMaxBytes> bytes_;
    uint32_t size_ = 0;
};

}  // namespace capos::ipc

#include "user/rt/server.hpp"

namespace capos::rt {

Result<ReceivedCall> parse_recv(std::span<const uint8_t> buffer, int32_t cqe_result) {
    if (cqe_result < 0) return Error::Malformed;
    if (buffer.size() < sizeof(abi::RecvHeader)) return Error::Truncated;
    ReceivedCall call;
    __builtin_memcpy(&call.header, buffer.data(), sizeof call.header);
    const abi::RecvHeader& h = call.header;
    if (h.xfer_count > abi::kMaxTransfers) return Error::Malformed;
    if (h.params_len != static_cast<uint32_t>(cqe_result)) return Error::Malformed;
    uint64_t front = abi::recv_message_offset(h.xfer_count);
    // 64-bit sums of 32-bit values: no overflow.
    if (front + h.params_len > buffer.size()) return Error::Malformed;
    if (h.xfer_count > 0)
        __builtin_memcpy(call.transfers, buffer.data() + sizeof(abi::RecvHeader),
                         h.xfer_count * sizeof(abi::TransferResult));
    call.params = buffer.subspan(static_cast<size_t>(front), h.params_len);
    return call;
}

abi::Sqe recv_sqe(abi::CapId endpoint, std::span<uint8_t> buffer, uint64_t user_data) {
    abi::Sqe sqe{};
    sqe.opcode = static_cast<uint8_t>(abi::Opcode::Recv);
    sqe.cap_id = endpoint;
    sqe.user_data = user_data;
    if (!buffer.empty()) {
        sqe.result_addr = reinterpret_cast<uintptr_t>(buffer.data());
        sqe.result_len = static_cast<uint32_t>(buffer.size() > abi::kMaxResultBytes ? abi::kMaxResultBytes
                                                                                     : buffer.size());
    }
    return sqe;
}

abi::Sqe return_sqe(abi::CapId endpoint, const Answer& answer, uint64_t user_data) {
    abi::Sqe sqe{};
    sqe.opcode = static_cast<uint8_t>(abi::Opcode::Return);
    sqe.cap_id = endpoint;
    sqe.user_data = user_data;
    sqe.call_id = answer.call_id;
    if (answer.exception) sqe.flags = abi::kSqeFlagException;
    if (!answer.message.empty()) {
        sqe.params_addr = reinterpret_cast<uintptr_t>(answer.message.data());
        sqe.params_len = static_cast<uint32_t>(answer.message.size());
    }
    return sqe;
}

namespace detail {

Result<Answer> exception_answer(uint32_t call_id, std::span<capnp::Word> scratch, rpc::ExceptionKind kind,
                                StringView message) {
    rpc::Reply r = TRY(rpc::write_exception(scratch, kind, message));
    const auto* bytes = reinterpret_cast<const uint8_t*>(scratch.data());
    return Answer{call_id, {bytes, r.bytes}, true};
}

}  // namespace detail

}  // namespace capos::rt

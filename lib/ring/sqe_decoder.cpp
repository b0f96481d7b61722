#include "lib/ring/sqe_decoder.hpp"

#include "abi/layout.hpp"
#include "lib/base/checked.hpp"

namespace capos::ring {

namespace {

using abi::Opcode;

// Which optional SQE fields an opcode uses. A field not used must be zero.
struct FieldUse {
    bool cap_id;
    bool method;
    bool params;
    bool result;
    bool call_id;
    bool transfers;
};

constexpr FieldUse field_use(Opcode op) {
    switch (op) {
    case Opcode::Nop: return {false, false, false, false, false, false};
    case Opcode::Call: return {true, true, true, true, false, true};
    case Opcode::Recv: return {true, false, false, true, false, false};
    case Opcode::Return: return {true, false, true, false, true, true};
    case Opcode::Release: return {true, false, false, false, false, false};
    case Opcode::Finish:
    case Opcode::Park:
    case Opcode::Unpark:
    case Opcode::NotifySignal:
    case Opcode::NotifyWait: break;
    }
    return {false, false, false, false, false, false};
}

bool implemented(uint8_t opcode) {
    return opcode < abi::kOpcodeFirstReserved;
}

}  // namespace

bool user_range_valid(uint64_t addr, uint64_t len, uint64_t max_len) {
    if (len > max_len) return false;
    if (len == 0) return addr == 0;
    uint64_t end;
    if (!checked_add(addr, len, &end)) return false;
    return addr >= abi::kUserMin && end <= abi::kUserTop;
}

Result<DecodedSqe> decode_sqe(const abi::Sqe& sqe) {
    // 1. Opcode.
    if (!implemented(sqe.opcode)) return Error::RingBadOpcode;
    const Opcode op = static_cast<Opcode>(sqe.opcode);

    // 2. Reserved fields and flags.
    if (sqe.reserved0 != 0 || sqe.reserved1 != 0 || sqe.answer_id != 0 || sqe.pipeline_index != 0)
        return Error::RingBadSqe;
    if ((sqe.flags & ~abi::kSqeFlagsKnown) != 0 || (sqe.flags & abi::kSqeFlagsReserved) != 0)
        return Error::RingBadSqe;
    const bool exception = (sqe.flags & abi::kSqeFlagException) != 0;
    if (exception && op != Opcode::Return) return Error::RingBadSqe;

    // 3. Fields the opcode does not use.
    const FieldUse use = field_use(op);
    if (!use.cap_id && sqe.cap_id != 0) return Error::RingBadSqe;
    if (!use.method && sqe.method != 0) return Error::RingBadSqe;
    if (!use.params && (sqe.params_addr != 0 || sqe.params_len != 0)) return Error::RingBadSqe;
    if (!use.result && (sqe.result_addr != 0 || sqe.result_len != 0)) return Error::RingBadSqe;
    if (!use.call_id && sqe.call_id != 0) return Error::RingBadSqe;
    if (!use.transfers && (sqe.xfer_addr != 0 || sqe.xfer_count != 0)) return Error::RingBadSqe;

    // 4. An exception carries no capabilities.
    if (exception && sqe.xfer_count != 0) return Error::RingBadSqe;

    // 5. Transfer count.
    if (sqe.xfer_count > abi::kMaxTransfers) return Error::RingBadTransfer;

    // 6. Buffer ranges.
    if (use.params && !user_range_valid(sqe.params_addr, sqe.params_len, abi::kMaxParamsBytes))
        return Error::RingBadBuffer;
    if (use.result && !user_range_valid(sqe.result_addr, sqe.result_len, abi::kMaxResultBytes))
        return Error::RingBadBuffer;
    const uint64_t xfer_bytes = uint64_t{sqe.xfer_count} * sizeof(abi::TransferDescriptor);
    if (use.transfers &&
        !user_range_valid(sqe.xfer_addr, xfer_bytes,
                          uint64_t{abi::kMaxTransfers} * sizeof(abi::TransferDescriptor)))
        return Error::RingBadBuffer;

    // 7. RECV needs room for at least its header.
    if (op == Opcode::Recv && sqe.result_len < sizeof(abi::RecvHeader))
        return Error::RingBufferTooSmall;

    DecodedSqe d;
    d.opcode = op;
    d.user_data = sqe.user_data;
    d.cap_id = sqe.cap_id;
    d.method = sqe.method;
    d.params = UserBuffer{sqe.params_addr, sqe.params_len};
    d.result = UserBuffer{sqe.result_addr, sqe.result_len};
    d.call_id = sqe.call_id;
    d.transfers = UserBuffer{sqe.xfer_addr, static_cast<uint32_t>(xfer_bytes)};
    d.xfer_count = sqe.xfer_count;
    d.exception = exception;
    return d;
}

Result<DecodedTransfer> decode_transfer(const abi::TransferDescriptor& d) {
    if (d.reserved0 != 0 || d.flags != 0 || d.reserved1 != 0) return Error::RingBadTransfer;
    if (d.mode != static_cast<uint8_t>(abi::TransferMode::Copy) &&
        d.mode != static_cast<uint8_t>(abi::TransferMode::Move))
        return Error::RingBadTransfer;
    return DecodedTransfer{d.cap_id, static_cast<abi::TransferMode>(d.mode)};
}

}  // namespace capos::ring

#include "user/rt/cap_handle.hpp"

#include "user/rt/ring_client.hpp"
#include "user/rt/transport.hpp"

namespace capos::rt {

abi::Sqe release_sqe(abi::CapId id, uint64_t user_data) {
    abi::Sqe sqe{};
    sqe.opcode = static_cast<uint8_t>(abi::Opcode::Release);
    sqe.cap_id = id;
    sqe.user_data = user_data;
    return sqe;
}

Result<void> RingReleaser::release(abi::CapId id) {
    RingClient* ring = TRY(rt::ring());
    abi::Cqe cqe = TRY(ring->submit_and_wait(release_sqe(id, ring->next_user_data())));
    if (cqe.result < 0) return error_from_transport(cqe.result);
    return {};
}

}  // namespace capos::rt

#include "user/rt/ring_client.hpp"

#include <new>

#include "abi/layout.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/syscall.hpp"

namespace capos::rt {

Result<RingClient> RingClient::attach(void* ring) {
    ring::UserRing<> r = TRY(ring::UserRing<>::attach(ring, abi::kRingWindowBytes));
    return RingClient(r, static_cast<abi::RingHeader*>(ring));
}

uint32_t RingClient::enter(uint64_t min_complete, uint64_t timeout_ns) {
    int64_t n = sys_cap_enter(min_complete, timeout_ns);
    if (n < 0) return 0;
    if (n > int64_t{geometry().cq_entries()}) return geometry().cq_entries();
    return static_cast<uint32_t>(n);
}

bool RingClient::stash_push(const abi::Cqe& cqe) {
    if (stash_count_ == kStashEntries) return false;
    stash_[stash_count_++] = cqe;
    return true;
}

bool RingClient::reap(abi::Cqe* out) {
    if (stash_count_ > 0) {
        *out = stash_[0];
        for (uint32_t i = 1; i < stash_count_; ++i) stash_[i - 1] = stash_[i];
        --stash_count_;
        return true;
    }
    return ring_.reap(out);
}

bool RingClient::take(uint64_t user_data, abi::Cqe* out) {
    for (uint32_t i = 0; i < stash_count_; ++i) {
        if (stash_[i].user_data != user_data) continue;
        *out = stash_[i];
        for (uint32_t k = i + 1; k < stash_count_; ++k) stash_[k - 1] = stash_[k];
        --stash_count_;
        return true;
    }
    // Reap only while there is room to keep what is not ours.
    while (stash_count_ < kStashEntries) {
        abi::Cqe cqe;
        if (!ring_.reap(&cqe)) return false;
        if (cqe.user_data == user_data) {
            *out = cqe;
            return true;
        }
        stash_push(cqe);
    }
    return false;
}

Result<abi::Cqe> RingClient::take_wait(uint64_t user_data) {
    abi::Cqe cqe;
    if (take(user_data, &cqe)) return cqe;
    for (uint32_t i = 0; i < kMaxFruitlessEnters; ++i) {
        enter(1, abi::kTimeoutForever);
        if (take(user_data, &cqe)) return cqe;
        if (stash_count_ == kStashEntries) return Error::LimitExceeded;
    }
    return Error::RingInterrupted;
}

Result<abi::Cqe> RingClient::submit_and_wait(const abi::Sqe& sqe) {
    if (ring_.sq_space() == 0) enter(0, abi::kTimeoutPoll);
    TRY(ring_.submit(sqe));
    return take_wait(sqe.user_data);
}

Result<void> RingClient::resynchronise() {
    abi::RingHeader* h = header_;
    uint32_t sq_head = __atomic_load_n(&h->sq_head, __ATOMIC_ACQUIRE);
    uint32_t cq_tail = __atomic_load_n(&h->cq_tail, __ATOMIC_ACQUIRE);
    __atomic_store_n(&h->sq_tail, sq_head, __ATOMIC_RELEASE);
    __atomic_store_n(&h->cq_head, cq_tail, __ATOMIC_RELEASE);
    ring_ = TRY(ring::UserRing<>::attach(h, abi::kRingWindowBytes));
    stash_count_ = 0;
    return {};
}

namespace {
alignas(RingClient) unsigned char g_ring_storage[sizeof(RingClient)];
// Invariant: null until the first successful attach; then points into
// g_ring_storage for the rest of the process.
constinit RingClient* g_ring = nullptr;
}  // namespace

Result<RingClient*> ring() {
    if (g_ring != nullptr) return g_ring;
    RingClient r = TRY(RingClient::attach(start_info().ring()));
    g_ring = new (g_ring_storage) RingClient(r);
    return g_ring;
}

const char* transport_error_name(int32_t result) {
    if (result >= 0) return "ok";
    switch (static_cast<abi::TransportError>(result)) {
    case abi::TransportError::BadSqe: return "BadSqe";
    case abi::TransportError::BadOpcode: return "BadOpcode";
    case abi::TransportError::BadCapability: return "BadCapability";
    case abi::TransportError::WrongInterface: return "WrongInterface";
    case abi::TransportError::BadBuffer: return "BadBuffer";
    case abi::TransportError::BufferTooSmall: return "BufferTooSmall";
    case abi::TransportError::MalformedParams: return "MalformedParams";
    case abi::TransportError::TransferFailed: return "TransferFailed";
    case abi::TransportError::QueueFull: return "QueueFull";
    case abi::TransportError::Interrupted: return "Interrupted";
    case abi::TransportError::ApplicationException: return "ApplicationException";
    case abi::TransportError::ApplicationExceptionTruncated:
        return "ApplicationExceptionTruncated";
    case abi::TransportError::NoSuchCall: return "NoSuchCall";
    }
    return "unknown";
}

}  // namespace capos::rt

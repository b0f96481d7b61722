// Instantiates the endpoint with opaque handle types, so every flavour
// (kernel flags included) compiles the templates.
#include "lib/ipc/endpoint.hpp"

#include "lib/ipc/epoch.hpp"
#include "lib/ipc/recv_message.hpp"

namespace capos::ipc {

namespace {
struct OpaqueTraits {
    using Caller = void*;
    using Receiver = void*;
    using Message = void*;
    using Reply = uint64_t;
    using Buffer = uint64_t;
    static constexpr uint32_t kMaxPending = 8;
    static constexpr uint32_t kMaxReceivers = 4;
    static constexpr uint32_t kMaxInFlight = 8;
};
}  // namespace

template class Endpoint<OpaqueTraits>;
template struct EpochRef<void*>;

}  // namespace capos::ipc

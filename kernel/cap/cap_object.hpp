// The base of every kernel object a capability can name (Zircon's
// Dispatcher): an intrusive reference count and the interface it serves.
// Capability tables hold references; the object goes away with the last one.
#pragma once

#include <cstdint>
#include <span>

#include "abi/ring.hpp"
#include "lib/base/error.hpp"
#include "lib/capnp/capnp.hpp"
#include "schema/rpc.hpp"

namespace capos {

struct Process;

class CapObject;

// What the ring does with a capability: kernel objects serve CALLs in the
// kernel; endpoints route them to a server (kernel/ipc/endpoint.hpp).
enum class CapKind : uint8_t {
    Kernel,          // CALL -> call()
    EndpointServer,  // RECV, RETURN; CALL -> call() for the Endpoint methods
    EndpointClient,  // CALL -> the server, via the endpoint
};

// The most capabilities one kernel method returns.
inline constexpr uint32_t kMaxReturnedCaps = abi::kMaxTransfers;

// What a capability may learn about, and do to, the CALL it serves.
struct CallContext {
    Process* caller = nullptr;
    // Set by a method that completes later (Timer.sleep): the kernel keeps
    // the CQE slot reserved and posts the empty results at `complete_at_ns`.
    bool defer = false;
    uint64_t complete_at_ns = 0;
    // Capabilities the method returns (FrameAllocator.allocate), each with
    // one reference the kernel moves into the caller's table; a capability
    // pointer with index i in the results names out_caps[i] (docs/abi.md,
    // CALL: TransferResult records). The kernel drops them if the call
    // raises or the caller cannot take them.
    CapObject* out_caps[kMaxReturnedCaps] = {};
    uint32_t out_count = 0;
    // Capabilities the caller passed with the CALL's transfer descriptors
    // (Copy only), for objects that accept them (accepts_transfers()): the
    // caller's table keeps its references for the duration of the call.
    CapObject* in_caps[abi::kMaxTransfers] = {};
    uint32_t in_count = 0;
    // The CALL itself, for a method that completes it later from elsewhere
    // (ProcessHandle.wait): with defer_external set, the kernel keeps the
    // CQE slot reserved and the object posts the completion.
    uint64_t user_data = 0;
    uint64_t result_addr = 0;
    uint32_t result_len = 0;
    bool defer_external = false;
    // A process the method created, started only once the caller has
    // received the results (else destroyed unstarted): ProcessSpawner.
    Process* start_after_commit = nullptr;

    // Hands `object` (and one reference to it) to the caller; returns its
    // capability index for the results message. LimitExceeded when full
    // (the reference stays the method's).
    Result<uint32_t> return_cap(CapObject* object) {
        if (out_count == kMaxReturnedCaps) return Error::LimitExceeded;
        out_caps[out_count] = object;
        return out_count++;
    }
};

class CapObject {
public:
    CapObject(const CapObject&) = delete;
    CapObject& operator=(const CapObject&) = delete;

    // The Cap'n Proto interface id this object serves (the permission).
    virtual uint64_t interface_id() const = 0;
    virtual CapKind kind() const { return CapKind::Kernel; }
    // True for kernel objects whose methods take capabilities through the
    // CALL's transfer descriptors (ProcessSpawner).
    virtual bool accepts_transfers() const { return false; }

    // One CALL: decode `params` (a complete message, already copied into
    // kernel memory), perform, and leave the results or a CapException at
    // the front of `scratch`. Transport-level failures are Errors.
    virtual Result<rpc::Reply> call(uint16_t method, std::span<const uint8_t> params,
                                    std::span<capnp::Word> scratch, CallContext& ctx) = 0;

    void retain() { ++refs_; }
    // Drops a reference; destroys the object with the last one.
    void release() {
        if (--refs_ == 0) destroy();
    }
    uint32_t refs() const { return refs_; }

protected:
    CapObject() = default;
    virtual ~CapObject() = default;
    // Static singletons override this to do nothing.
    virtual void destroy() { delete this; }

private:
    uint32_t refs_ = 1;
};

// A kernel object serving schema interface I through its generated
// skeleton: call() decodes the params and runs the I::Server handler for
// the method, which reaches the CALL being served through ctx() (one CPU,
// one call at a time).
template <typename I>
class ServedCap : public CapObject, protected I::Server {
public:
    uint64_t interface_id() const override { return I::kInterfaceId; }
    Result<rpc::Reply> call(uint16_t method, std::span<const uint8_t> params, std::span<capnp::Word> scratch,
                            CallContext& ctx) override {
        ctx_ = &ctx;
        auto r = this->dispatch(method, params, scratch);
        ctx_ = nullptr;
        return r;
    }

protected:
    CallContext& ctx() const { return *ctx_; }

private:
    CallContext* ctx_ = nullptr;
};

}  // namespace capos

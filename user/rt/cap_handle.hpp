// Owning handles for capabilities (issue #7, "RELEASE"). A CapHandle owns
// one capability id of this process and RELEASEs it when the handle lets
// go of it: destroyed, reset(), or assigned over.
//
//   rt::CapHandle timer(TRY(caps.lookup("timer", schema::Timer::kInterfaceId)));
//   schema::Timer::Client t = timer.client<schema::Timer>(transport);
//   ...                                   // RELEASE when `timer` goes away
//
// Move-only: there is exactly one owner at any time, so the id is released
// exactly once, by its last owner. Moving a handle leaves the source empty
// (id() == kCapIdNone). Copying an id out with id() does not share
// ownership: the id goes stale when the handle releases it.
//
// When the kernel removes the capability itself (it was moved to another
// process by a Move transfer that committed), call take() to give up
// ownership without a RELEASE: releasing a moved id would fail as stale.
//
// The release policy is a template parameter so the handle's ownership
// rules are testable on the host (user/tests/host_check/cap_handle_test.cpp);
// programs use CapHandle, whose RingReleaser sends one RELEASE SQE through
// rt::ring() and waits for its CQE. A RELEASE that fails in a destructor is
// ignored (there is nobody to tell); reset() reports it.
#pragma once

#include <concepts>
#include <cstdint>

#include "abi/cap_id.hpp"
#include "abi/ring.hpp"
#include "lib/base/error.hpp"
#include "schema/rpc.hpp"

namespace capos::rt {

template <typename R>
concept CapReleaser = requires(abi::CapId id) {
    { R::release(id) } -> std::same_as<Result<void>>;
};

// RELEASE through the process's ring (rt::ring()), synchronously. Errors:
// rt::ring()'s, submit_and_wait()'s, and the RELEASE's transport error
// (error_from_transport: CapStale for a stale or unknown id).
struct RingReleaser {
    static Result<void> release(abi::CapId id);
};

// The RELEASE SQE for `id` (docs/abi.md 6.2: only cap_id and user_data set).
abi::Sqe release_sqe(abi::CapId id, uint64_t user_data);

template <CapReleaser R>
class BasicCapHandle {
public:
    BasicCapHandle() = default;
    // Takes ownership of `id` (kCapIdNone: an empty handle).
    explicit BasicCapHandle(abi::CapId id) : id_(id) {}

    BasicCapHandle(const BasicCapHandle&) = delete;
    BasicCapHandle& operator=(const BasicCapHandle&) = delete;

    BasicCapHandle(BasicCapHandle&& other) noexcept : id_(other.take()) {}
    BasicCapHandle& operator=(BasicCapHandle&& other) noexcept {
        if (this != &other) {
            (void)reset();
            id_ = other.take();
        }
        return *this;
    }

    ~BasicCapHandle() { (void)reset(); }

    abi::CapId id() const { return id_; }
    bool valid() const { return id_ != abi::kCapIdNone; }
    explicit operator bool() const { return valid(); }

    // Gives up ownership without releasing; returns the id (kCapIdNone if
    // empty). The caller now owns it.
    [[nodiscard]] abi::CapId take() {
        abi::CapId id = id_;
        id_ = abi::kCapIdNone;
        return id;
    }

    // Releases the capability now (nothing if empty). The handle is empty
    // afterwards even when the RELEASE failed. Errors: R::release's.
    Result<void> reset() {
        if (!valid()) return {};
        return R::release(take());
    }

    // A generated client (I::Client) for the capability, calling through
    // `transport`. The client borrows the id: it must not outlive the handle.
    template <typename I>
    typename I::Client client(rpc::Transport& transport) const {
        return typename I::Client(transport, id_);
    }

private:
    // Invariant: kCapIdNone, or an id this handle alone is responsible for
    // releasing.
    abi::CapId id_ = abi::kCapIdNone;
};

using CapHandle = BasicCapHandle<RingReleaser>;

}  // namespace capos::rt

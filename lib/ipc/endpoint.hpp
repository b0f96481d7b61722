// The endpoint state machine (docs/ipc.md): bounded queues of pending
// calls, waiting receivers and in-flight calls, call ids from a counter that
// skips ids in flight, and epoch revocation of client facets.
//
//              call()                          recv()
//   caller ----------------+          +------------------ receiver (server)
//                          v          v
//            +-------------------+  +-------------------+
//            | pending calls     |  | waiting receivers |   Invariant: at most
//            | FIFO, kMaxPending |  | FIFO, kMaxRecv... |   one of the two is
//            +-------------------+  +-------------------+   non-empty
//                          |          |
//                          +----+-----+  a call meets a receiver:
//                               v        HandOff (call found a receiver) or
//            +-------------------------+ Delivered (receiver found a call)
//            | in-flight calls         |
//            | by call id, kMaxInFlight|  ret(call_id): Completed / Dropped
//            +-------------------------+  / NoSuchCall
//
// Pure: every operation changes only this object and returns what the
// kernel must do next (switch to a receiver, complete a CQE, free a message
// buffer). Nothing here blocks, allocates, locks or touches user memory.
// The caller holds the endpoint's lock (the big kernel lock for now).
//
// The kernel plugs its own types in through Traits:
//
//   struct Traits {
//       using Caller = ...;    // who made a CALL (Process*); ==-comparable
//       using Receiver = ...;  // who is in RECV (Process*); ==-comparable
//       using Message = ...;   // a kernel copy of the params (opaque handle)
//       using Reply = ...;     // where the caller wants its results
//       using Buffer = ...;    // a receiver's RECV buffer (addr, len)
//       static constexpr uint32_t kMaxPending = ...;   // queued calls
//       static constexpr uint32_t kMaxReceivers = ...; // waiting RECVs
//       static constexpr uint32_t kMaxInFlight = ...;  // received, unanswered
//   };
//
// All five types are values the endpoint copies and never interprets
// (default-constructible, copyable). Ownership of a Message passes to the
// endpoint when call() answers Queued and back to the kernel when an
// operation hands the PendingCall out again (Delivered, take_call(),
// caller_gone(), revoke(), close()); the kernel frees it then.
//
// Handoff points and transfers (docs/ipc.md, "Transfers"): decode, then
// perform. Before call() the kernel looks at next_receiver(); before recv()
// at next_call(); before ret() at find(). It prepares the capability
// Transaction against exactly that peer, and commits it only after the
// endpoint operation that is then guaranteed to pick the same peer. When
// preparation fails it refuses the peer instead: take_receiver() (a RECV
// that cannot take this call, e.g. its buffer is too small) or take_call()
// (a queued call whose transfer failed, e.g. a source released meanwhile).
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <utility>

#include "abi/cap_id.hpp"
#include "abi/ring.hpp"
#include "lib/base/error.hpp"
#include "lib/ipc/epoch.hpp"

namespace capos::ipc {

// One transfer descriptor of a CALL, decoded and checked for form (mode,
// reserved fields) but not yet resolved: the sender's table is consulted
// when the call meets its receiver (docs/ipc.md, "Transfers").
struct TransferRecord {
    abi::CapId source = abi::kCapIdNone;
    abi::TransferMode mode = abi::TransferMode::Copy;
};

template <typename T>
concept EndpointTraits =
    std::equality_comparable<typename T::Caller> && std::equality_comparable<typename T::Receiver> &&
    std::default_initializable<typename T::Message> && std::default_initializable<typename T::Reply> &&
    std::default_initializable<typename T::Buffer> && std::copyable<typename T::Message> &&
    std::copyable<typename T::Reply> && std::copyable<typename T::Buffer> &&
    (T::kMaxPending >= 1) && (T::kMaxReceivers >= 1) && (T::kMaxInFlight >= 1) &&
    (T::kMaxInFlight <= 256);  // find() scans the in-flight slots

namespace detail {

// A bounded FIFO over a fixed array. Order-preserving removal.
template <typename V, uint32_t N>
class Fifo {
public:
    uint32_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    bool full() const { return count_ == N; }
    // Precondition: i < size(). 0 is the front.
    const V& at(uint32_t i) const { return items_[(head_ + i) % N]; }
    V& at(uint32_t i) { return items_[(head_ + i) % N]; }
    // Precondition: !full().
    void push_back(const V& v) {
        items_[(head_ + count_) % N] = v;
        ++count_;
    }
    // Precondition: !empty().
    V pop_front() {
        V v = std::move(items_[head_]);
        items_[head_] = V{};
        head_ = (head_ + 1) % N;
        --count_;
        return v;
    }
    // Removes every item `pred` accepts, in order, passing each to `out`.
    template <typename P, typename F>
    void remove_if(P&& pred, F&& out) {
        uint32_t kept = 0;
        for (uint32_t i = 0; i < count_; ++i) {
            V& v = items_[(head_ + i) % N];
            if (pred(v)) {
                out(v);
            } else {
                if (kept != i) items_[(head_ + kept) % N] = std::move(v);
                ++kept;
            }
        }
        for (uint32_t i = kept; i < count_; ++i) items_[(head_ + i) % N] = V{};
        count_ = kept;
    }

private:
    std::array<V, N> items_{};
    uint32_t head_ = 0;   // Invariant: < N
    uint32_t count_ = 0;  // Invariant: <= N
};

}  // namespace detail

template <EndpointTraits T>
class Endpoint {
public:
    using Caller = typename T::Caller;
    using Receiver = typename T::Receiver;
    using Message = typename T::Message;
    using Reply = typename T::Reply;
    using Buffer = typename T::Buffer;
    static constexpr uint32_t kMaxPending = T::kMaxPending;
    static constexpr uint32_t kMaxReceivers = T::kMaxReceivers;
    static constexpr uint32_t kMaxInFlight = T::kMaxInFlight;

    // A CALL that has not met a receiver yet (or the one handed over).
    struct PendingCall {
        Caller caller{};
        uint64_t user_data = 0;  // the CALL SQE's, for the caller's CQE
        Reply reply{};
        uint64_t interface_id = 0;  // the interface the caller's facet carries
        uint16_t method = 0;
        Message message{};
        uint32_t message_len = 0;
        uint16_t xfer_count = 0;  // Invariant: <= abi::kMaxTransfers
        std::array<TransferRecord, abi::kMaxTransfers> xfers{};
    };

    // A RECV waiting for a call.
    struct WaitingReceiver {
        Receiver receiver{};
        uint64_t user_data = 0;  // the RECV SQE's, for the receiver's CQE
        Buffer buffer{};
    };

    // A call a receiver has and has not answered yet.
    struct InFlightCall {
        uint32_t call_id = 0;  // Invariant: != 0 while in flight
        Caller caller{};
        uint64_t user_data = 0;
        Reply reply{};
        uint64_t interface_id = 0;
        uint16_t method = 0;
        Receiver receiver{};
        bool caller_gone = false;  // the answer is to be dropped
    };

    enum class CallStatus : uint8_t {
        HandOff,     // `receiver` was waiting and now holds the call as `call_id`
        Queued,      // the call waits; the endpoint owns its message
        Overloaded,  // the pending queue is full: nothing changed
        Closed,      // the endpoint is closed: nothing changed
        Revoked,     // the caller's capability has an old epoch: nothing changed
    };
    struct CallOutcome {
        CallStatus status;
        WaitingReceiver receiver{};  // HandOff
        uint32_t call_id = 0;        // HandOff
    };

    enum class RecvStatus : uint8_t {
        Delivered,   // `call` is now in flight as `call_id`
        MustWait,    // no call: the receiver waits (handed back by a later call())
        Overloaded,  // too many waiting receivers or unanswered calls: nothing changed
        Closed,      // nothing changed
    };
    struct RecvOutcome {
        RecvStatus status;
        PendingCall call{};    // Delivered
        uint32_t call_id = 0;  // Delivered
    };

    enum class ReturnStatus : uint8_t {
        Completed,   // complete `call.caller`'s CALL with the answer
        Dropped,     // the caller has gone (or was disconnected): discard the answer
        NoSuchCall,  // no call in flight has this id: nothing changed
    };
    struct ReturnOutcome {
        ReturnStatus status;
        InFlightCall call{};  // Completed, Dropped
    };

    // `first_call_id` (nonzero) is the first id issued; tests start near
    // 2^32 to cover the wrap.
    explicit Endpoint(uint32_t first_call_id = 1) : next_call_id_(first_call_id ? first_call_id : 1) {}
    Endpoint(const Endpoint&) = delete;
    Endpoint& operator=(const Endpoint&) = delete;

    // For tests: moves the call id counter to `next` (0 counts as 1), as if
    // the ids between had been issued, so the wrap and the skipping of ids
    // still in flight can be reached without 2^32 calls.
    void set_next_call_id(uint32_t next) {
        next_call_id_ = next ? next : 1;
        wrapped_ = true;  // ids at or above `next` may be in flight: scan from now on
    }

    // -----------------------------------------------------------------
    // Queries

    bool closed() const { return closed_; }
    // The epoch a client facet minted now must carry.
    uint64_t epoch() const { return epoch_.current(); }
    uint32_t pending() const { return pending_.size(); }
    uint32_t receivers() const { return receivers_.size(); }
    uint32_t in_flight() const { return in_flight_count_; }

    // The receiver the next call() will hand off to, or null (it will queue
    // or refuse).
    const WaitingReceiver* next_receiver() const {
        return receivers_.empty() ? nullptr : &receivers_.at(0);
    }
    // The call the next recv() will deliver, or null. Valid until the next
    // mutating operation.
    const PendingCall* next_call() const { return pending_.empty() ? nullptr : &pending_.at(0); }
    // Queued calls in FIFO order, i < pending().
    const PendingCall& pending_at(uint32_t i) const { return pending_.at(i); }
    const WaitingReceiver& receiver_at(uint32_t i) const { return receivers_.at(i); }
    // The call in flight as `call_id`, or null.
    const InFlightCall* find(uint32_t call_id) const {
        int s = slot_of(call_id);
        return s < 0 ? nullptr : &in_flight_[static_cast<uint32_t>(s)];
    }
    // In-flight slots, for iteration: a slot is in use iff call_id != 0.
    const std::array<InFlightCall, kMaxInFlight>& in_flight_slots() const { return in_flight_; }

    // -----------------------------------------------------------------
    // CALL: `c` arrives through a client facet minted at `cap_epoch`.
    // Precondition: c.xfer_count <= abi::kMaxTransfers.
    CallOutcome call(const PendingCall& c, uint64_t cap_epoch) {
        if (closed_) return {CallStatus::Closed};
        if (!epoch_.valid(cap_epoch)) return {CallStatus::Revoked};
        if (!receivers_.empty()) {
            // Invariant (see recv): a waiting receiver holds an in-flight slot.
            WaitingReceiver r = receivers_.pop_front();
            uint32_t id = start_in_flight(c, r.receiver);
            return {CallStatus::HandOff, r, id};
        }
        if (pending_.full()) return {CallStatus::Overloaded};
        pending_.push_back(c);
        return {CallStatus::Queued};
    }

    // RECV by `r`.
    RecvOutcome recv(const WaitingReceiver& r) {
        if (closed_) return {RecvStatus::Closed};
        if (!pending_.empty()) {
            if (in_flight_count_ >= kMaxInFlight) return {RecvStatus::Overloaded};
            PendingCall c = pending_.pop_front();
            uint32_t id = start_in_flight(c, r.receiver);
            return {RecvStatus::Delivered, c, id};
        }
        // A waiting receiver reserves an in-flight slot, so the call that
        // later meets it can always be handed off.
        if (receivers_.full() || in_flight_count_ + receivers_.size() >= kMaxInFlight)
            return {RecvStatus::Overloaded};
        receivers_.push_back(r);
        return {RecvStatus::MustWait};
    }

    // RETURN naming `call_id`.
    ReturnOutcome ret(uint32_t call_id) {
        int s = slot_of(call_id);
        if (s < 0) return {ReturnStatus::NoSuchCall};
        InFlightCall c = free_slot(static_cast<uint32_t>(s));
        return {c.caller_gone ? ReturnStatus::Dropped : ReturnStatus::Completed, c};
    }

    // Refuses the front waiting receiver (the kernel completes its RECV with
    // an error, e.g. BufferTooSmall). Precondition: next_receiver() != null.
    WaitingReceiver take_receiver() { return receivers_.pop_front(); }

    // Refuses the front queued call (the kernel completes its CALL with an
    // error, e.g. TransferFailed, and frees its message). Precondition:
    // next_call() != null.
    PendingCall take_call() { return pending_.pop_front(); }

    // -----------------------------------------------------------------
    // Peers going away.

    // `caller` exited: its queued calls are removed, each passed to
    // `removed(const PendingCall&)` (free the message); its in-flight calls
    // stay until the receiver answers, and that answer is Dropped.
    template <typename F>
    void caller_gone(const Caller& caller, F&& removed) {
        pending_.remove_if([&](const PendingCall& c) { return c.caller == caller; }, removed);
        for (InFlightCall& c : in_flight_)
            if (c.call_id != 0 && c.caller == caller) c.caller_gone = true;
    }

    // `receiver` exited: its waiting RECVs are removed, and each call it
    // had in flight is ended and passed to `ended(const InFlightCall&)`
    // (the kernel completes a live caller with Disconnected; a call whose
    // caller_gone is set needs no completion).
    template <typename F>
    void receiver_gone(const Receiver& receiver, F&& ended) {
        receivers_.remove_if([&](const WaitingReceiver& r) { return r.receiver == receiver; },
                             [](const WaitingReceiver&) {});
        for (uint32_t s = 0; s < kMaxInFlight; ++s) {
            if (in_flight_[s].call_id != 0 && in_flight_[s].receiver == receiver) ended(free_slot(s));
        }
    }

    // -----------------------------------------------------------------
    // Revocation and close.

    // Revokes every client facet minted so far (docs/ipc.md, "Revocation").
    // Every queued call is removed and passed to `queued(const PendingCall&)`
    // and every in-flight call with a live caller to
    // `in_flight(const InFlightCall&)`: the kernel completes each with
    // Disconnected. Those in-flight calls stay until the receiver answers,
    // and that answer is Dropped. Waiting receivers are untouched: the
    // endpoint stays open, and facets minted afterwards work.
    // Errors: LimitExceeded when the epoch cannot advance (nothing changed).
    template <typename FQ, typename FI>
    Result<void> revoke(FQ&& queued, FI&& in_flight) {
        TRY(epoch_.revoke());
        // Every queued or in-flight call came through a facet of an earlier
        // epoch (call() refuses any other), so all of them are cut off.
        pending_.remove_if([](const PendingCall&) { return true; }, queued);
        for (InFlightCall& c : in_flight_) {
            if (c.call_id == 0 || c.caller_gone) continue;
            in_flight(static_cast<const InFlightCall&>(c));
            c.caller_gone = true;
        }
        return {};
    }

    // Closes the endpoint for good (its server is gone): every queued call,
    // every in-flight call (live caller or not) and every waiting receiver
    // is removed and passed to the matching callback, queued calls in FIFO
    // order. Later call() and recv() answer Closed, ret() NoSuchCall.
    template <typename FQ, typename FI, typename FR>
    void close(FQ&& queued, FI&& in_flight, FR&& receiver) {
        closed_ = true;
        pending_.remove_if([](const PendingCall&) { return true; }, queued);
        for (uint32_t s = 0; s < kMaxInFlight; ++s)
            if (in_flight_[s].call_id != 0) in_flight(free_slot(s));
        receivers_.remove_if([](const WaitingReceiver&) { return true; }, receiver);
    }

    // -----------------------------------------------------------------
    // The state invariants, for tests and model checks: true when they hold.
    bool invariants_hold() const {
        if (!pending_.empty() && !receivers_.empty()) return false;
        if (in_flight_count_ + receivers_.size() > kMaxInFlight) return false;
        uint32_t used = 0;
        for (uint32_t s = 0; s < kMaxInFlight; ++s) {
            if (in_flight_[s].call_id == 0) continue;
            ++used;
            for (uint32_t t = s + 1; t < kMaxInFlight; ++t)
                if (in_flight_[t].call_id == in_flight_[s].call_id) return false;
        }
        if (used != in_flight_count_) return false;
        if (closed_ && (!pending_.empty() || !receivers_.empty() || used != 0)) return false;
        return next_call_id_ != 0;
    }

private:
    int slot_of(uint32_t call_id) const {
        if (call_id == 0) return -1;
        for (uint32_t s = 0; s < kMaxInFlight; ++s)
            if (in_flight_[s].call_id == call_id) return static_cast<int>(s);
        return -1;
    }

    // Call ids come from a 32-bit counter that skips 0 and every id still
    // in flight: an id names at most one call among 2^32 - 1 consecutive
    // calls on this endpoint, so a stale or repeated id is NoSuchCall and
    // never names a newer call within that window.
    uint32_t issue_call_id() {
        for (;;) {
            uint32_t id = next_call_id_;
#ifdef CAPOS_PLANTED_BUG_IPC_CALL_ID  // tests/model: planted-bug build only
            if (slot_of(id) < 0) return id;  // reissues the last id once it is answered
#endif
            next_call_id_ = id == 0xFFFF'FFFFu ? 1 : id + 1;
            if (id == 0xFFFF'FFFFu) wrapped_ = true;
            // Before the counter first wraps every id it issues is new, so
            // none can be in flight: the scan is needed only afterwards.
            if (!wrapped_ || slot_of(id) < 0) return id;
        }
    }

    // Precondition: a free in-flight slot exists.
    uint32_t start_in_flight(const PendingCall& c, const Receiver& receiver) {
        uint32_t id = issue_call_id();
        for (InFlightCall& s : in_flight_) {
            if (s.call_id != 0) continue;
            s = InFlightCall{id, c.caller, c.user_data, c.reply, c.interface_id, c.method, receiver, false};
            ++in_flight_count_;
            return id;
        }
        return 0;  // unreachable by the precondition
    }

    InFlightCall free_slot(uint32_t s) {
        InFlightCall c = in_flight_[s];
        in_flight_[s] = InFlightCall{};
        --in_flight_count_;
        return c;
    }

    detail::Fifo<PendingCall, kMaxPending> pending_;
    detail::Fifo<WaitingReceiver, kMaxReceivers> receivers_;
    // Invariant: call ids of used slots are distinct and nonzero;
    // in_flight_count_ + receivers_.size() <= kMaxInFlight.
    std::array<InFlightCall, kMaxInFlight> in_flight_{};
    uint32_t in_flight_count_ = 0;
    uint32_t next_call_id_;  // Invariant: != 0
    // Invariant: false only while every id ever issued is below
    // next_call_id_ (no wrap, no set_next_call_id), so next_call_id_ is
    // not in flight.
    bool wrapped_ = false;
    Epoch epoch_;
    bool closed_ = false;  // Invariant: closed_ => nothing queued, waiting or in flight
};

}  // namespace capos::ipc

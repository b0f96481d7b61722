#include "kernel/ipc/endpoint.hpp"

#include <new>

#include "kernel/log.hpp"
#include "kernel/mm/account.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/user_memory.hpp"
#include "kernel/proc/process.hpp"
#include "kernel/proc/sched.hpp"
#include "kernel/segments.hpp"
#include "lib/cap/transfer.hpp"
#include "lib/ipc/endpoint.hpp"
#include "lib/ipc/recv_message.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

namespace {

struct UserSpan {
    uint64_t addr = 0;
    uint32_t len = 0;
};

struct Traits {
    using Caller = Process*;
    using Receiver = Process*;
    using Message = uint8_t*;  // kernel copy of a queued call's params (heap)
    using Reply = UserSpan;    // the caller's result buffer
    using Buffer = UserSpan;   // a waiting receiver's buffer
    // A full SQ (abi::kDefaultSqEntries = 32) of CALLs fits the queue, and
    // a server can keep 32 RECVs waiting with 32 answers outstanding: a
    // batch of 32 calls per cap_enter is never refused in part
    // (docs/ipc.md, "Bounds"; the batched row of docs/performance.md).
    static constexpr uint32_t kMaxPending = 32;
    static constexpr uint32_t kMaxReceivers = 32;
    static constexpr uint32_t kMaxInFlight = 64;
};
using Ep = ipc::Endpoint<Traits>;

abi::Cqe completion(uint64_t user_data, int32_t result, uint32_t aux = 0, uint32_t xfers = 0) {
    abi::Cqe c{};
    c.user_data = user_data;
    c.result = result;
    c.aux = aux;
    c.xfer_count = xfers;
    return c;
}

int32_t err(abi::TransportError e) { return abi::to_result(e); }

constinit Process* g_handoff = nullptr;

// The transfer descriptors of the CALL or RETURN being performed. One CPU,
// one operation at a time (like ring_dispatch.cpp's call buffers): a
// scratch instead of a 260-byte local copied out of a Result.
constinit Transfers g_xfers;

// Posts a completion into another process's ring (its slot was reserved
// when the operation was submitted) and makes it runnable.
void post_to(Process& target, const abi::Cqe& cqe) {
    seg::to(seg::Seg::Post);
    if (!target.ring || !target.ring->post(cqe).ok()) {
        // The target corrupted its own CQ indices: the completion is lost to
        // it alone (cq_overflow counts it).
        log::debug("ipc: process '{}' could not take a completion", target.name);
        seg::to(seg::Seg::Body);
        return;
    }
    if (&target != current_process()) {
        seg::to(seg::Seg::Wake);
        sched_wake(&target);
        g_handoff = &target;
    }
    seg::to(seg::Seg::Body);
}

// An exception answer for a CALL: the CapException written into the
// caller's result buffer, and the CQE that reports it.
abi::Cqe exception_cqe(Process& caller, uint64_t user_data, UserSpan reply, rpc::ExceptionKind kind,
                       StringView message) {
    alignas(8) capnp::Word buf[16];
    auto ex = rpc::write_exception(buf, kind, message);
    if (!ex.ok() || ex.value().bytes > reply.len)
        return completion(user_data, err(abi::TransportError::ApplicationExceptionTruncated));
    if (!caller.aspace->write_user(reply.addr, buf, ex.value().bytes).ok())
        return completion(user_data, err(abi::TransportError::BadBuffer));
    return completion(user_data, err(abi::TransportError::ApplicationException), ex.value().bytes);
}

void disconnect(Process& caller, uint64_t user_data, UserSpan reply, StringView why) {
    post_to(caller, exception_cqe(caller, user_data, reply, rpc::ExceptionKind::Disconnected, why));
}

// ---------------------------------------------------------------------------
// The endpoint object and its two capability kinds.

class EndpointObject {
public:
    EndpointObject() {
        next_ = g_list;
        if (g_list) g_list->prev_ = this;
        g_list = this;
        ++g_live;
    }

    void retain() { ++refs_; }
    void release() {
        if (--refs_ == 0) delete this;
    }

    // The raw capability went away: no one can serve any more.
    void close() {
        ep.close(
            [](const Ep::PendingCall& c) {
                delete[] c.message;
                disconnect(*c.caller, c.user_data, c.reply, "endpoint closed");
            },
            [](const Ep::InFlightCall& c) {
                if (!c.caller_gone) disconnect(*c.caller, c.user_data, c.reply, "endpoint closed");
            },
            [](const Ep::WaitingReceiver& r) {
                post_to(*r.receiver, completion(r.user_data, err(abi::TransportError::BadCapability)));
            });
    }

    Ep ep;
    static EndpointObject* list() { return g_list; }
    EndpointObject* next() const { return next_; }
    static uint64_t live() { return g_live; }

private:
    ~EndpointObject() {
        if (prev_) prev_->next_ = next_;
        else g_list = next_;
        if (next_) next_->prev_ = prev_;
        --g_live;
    }

    uint32_t refs_ = 1;
    EndpointObject* next_ = nullptr;
    EndpointObject* prev_ = nullptr;
    static inline constinit EndpointObject* g_list = nullptr;
    static inline constinit uint64_t g_live = 0;
};

class ClientFacet final : public CapObject {
public:
    ClientFacet(EndpointObject& e, uint64_t interface_id)
        : endpoint_(&e), interface_id_(interface_id), epoch_(e.ep.epoch()) {
        e.retain();
    }
    uint64_t interface_id() const override { return interface_id_; }
    CapKind kind() const override { return CapKind::EndpointClient; }
    // A facet carries calls to the server, never to the kernel.
    Result<rpc::Reply> call(uint16_t, std::span<const uint8_t>, std::span<capnp::Word>, CallContext&) override {
        return Error::Unsupported;
    }
    EndpointObject& endpoint() const { return *endpoint_; }
    uint64_t epoch() const { return epoch_; }

private:
    ~ClientFacet() override = default;
    void destroy() override {
        endpoint_->release();
        delete this;
    }
    EndpointObject* endpoint_;
    uint64_t interface_id_;
    uint64_t epoch_;
};

class ServerCap final : public ServedCap<schema::Endpoint> {
public:
    explicit ServerCap(EndpointObject& e) : endpoint_(&e) {}
    CapKind kind() const override { return CapKind::EndpointServer; }
    EndpointObject& endpoint() const { return *endpoint_; }

private:
    ~ServerCap() override = default;
    void destroy() override {
        endpoint_->close();
        endpoint_->release();
        delete this;
    }

    Result<void> mint_client(schema::Endpoint::MintClientParams::Reader params,
                             schema::Endpoint::MintClientResults::Builder results) override {
        uint64_t iid = params.interface_id();
        if (iid == 0 || iid == schema::Endpoint::kInterfaceId) return Error::InvalidArgument;
        auto* facet = new (std::nothrow) ClientFacet(*endpoint_, iid);
        if (!facet) return Error::OutOfMemory;
        auto index = ctx().return_cap(facet);
        if (!index.ok()) {
            facet->release();
            return index.error();
        }
        return results.set_client(index.value());
    }

    Result<void> revoke(schema::Endpoint::RevokeParams::Reader, schema::Endpoint::RevokeResults::Builder) override {
        return endpoint_->ep.revoke(
            [](const Ep::PendingCall& c) {
                delete[] c.message;
                disconnect(*c.caller, c.user_data, c.reply, "capability revoked");
            },
            [](const Ep::InFlightCall& c) { disconnect(*c.caller, c.user_data, c.reply, "capability revoked"); });
    }

    EndpointObject* endpoint_;
};

// ---------------------------------------------------------------------------
// Transfers: decode, prepare against the peer, run the endpoint operation
// that commits to that peer, then commit.

// Moves or copies `n` capabilities from `from` to `to`, all or nothing. The
// receiver's ledger is charged first; `between()` (the endpoint operation,
// which must not fail) runs after every transfer is prepared and before the
// commit. On failure nothing changed and between() did not run.
template <typename F>
Result<void> transfer(Process& from, Process& to, const ipc::TransferRecord* records, uint16_t n,
                      abi::TransferResult* out, F&& between) {
    if (n == 0) {
        between();
        return {};
    }
    TRY(to.account->ledger().charge(mm::Charge::CapSlots, n));
    cap::TransferredCap got[abi::kMaxTransfers];
    {
        cap::Transaction<CapObject*> t(from.caps, to.caps);
        for (uint16_t i = 0; i < n; ++i) {
            if (!t.add(records[i].source, records[i].mode).ok()) {
                t.abort();
                to.account->refund(mm::Charge::CapSlots, n);
                return Error::RingBadTransfer;
            }
        }
        between();
        t.commit(std::span<cap::TransferredCap>(got, n));
    }
    for (uint16_t i = 0; i < n; ++i) {
        out[i] = abi::TransferResult{got[i].id, 0, got[i].interface_id};
        if (records[i].mode == abi::TransferMode::Copy) {
            auto entry = to.caps.resolve(got[i].id);
            if (entry.ok()) (*entry.value().object)->retain();  // the new slot's reference
        } else {
            from.account->refund(mm::Charge::CapSlots, 1);
        }
    }
    return {};
}

// Writes a RECV buffer: header, transfer results, params. `window` is the
// buffer's direct-map pointer when AddressSpace::user_window found it in
// one page (checked for the whole message), else null: write_user walks.
Result<void> deliver(Process& receiver, UserSpan buffer, uint8_t* window, uint32_t call_id, uint64_t interface_id,
                     uint16_t method, std::span<const uint8_t> params, const abi::TransferResult* recs, uint16_t n) {
    auto prefix = TRY(ipc::RecvPrefix::make(call_id, interface_id, method, static_cast<uint32_t>(params.size()),
                                            std::span<const abi::TransferResult>(recs, n)));
    if (window) {
        __builtin_memcpy(window, prefix.bytes().data(), prefix.bytes().size());
        __builtin_memcpy(window + prefix.bytes().size(), params.data(), params.size());
        return {};
    }
    TRY(receiver.aspace->write_user(buffer.addr, prefix.bytes().data(), prefix.bytes().size()));
    return receiver.aspace->write_user(buffer.addr + prefix.bytes().size(), params.data(), params.size());
}

}  // namespace

// ---------------------------------------------------------------------------

Result<void> read_transfers_into(const ring::DecodedSqe& s, Transfers& out) {
    out.count = 0;
    if (s.xfer_count == 0) return {};
    abi::TransferDescriptor d[abi::kMaxTransfers];
    if (!copy_from_user(d, {s.transfers.addr}, s.xfer_count * sizeof(abi::TransferDescriptor)).ok())
        return Error::RingBadBuffer;
    for (uint16_t i = 0; i < s.xfer_count; ++i) {
        auto dec = TRY(ring::decode_transfer(d[i]));
        out.records[i] = ipc::TransferRecord{dec.cap_id, dec.mode};
    }
    out.count = s.xfer_count;
    return {};
}

Result<Transfers> read_transfers(const ring::DecodedSqe& s) {
    Transfers t;
    TRY(read_transfers_into(s, t));
    return t;
}

Result<CapObject*> endpoint_create() {
    auto* e = new (std::nothrow) EndpointObject();
    if (!e) return Error::OutOfMemory;
    auto* server = new (std::nothrow) ServerCap(*e);
    if (!server) {
        e->release();
        return Error::OutOfMemory;
    }
    return static_cast<CapObject*>(server);
}

Result<CapObject*> endpoint_client(CapObject& server, uint64_t interface_id) {
    if (server.kind() != CapKind::EndpointServer) return Error::CapWrongInterface;
    if (interface_id == 0 || interface_id == schema::Endpoint::kInterfaceId) return Error::InvalidArgument;
    auto* facet = new (std::nothrow) ClientFacet(static_cast<ServerCap&>(server).endpoint(), interface_id);
    if (!facet) return Error::OutOfMemory;
    return static_cast<CapObject*>(facet);
}

std::optional<abi::Cqe> endpoint_call(Process& p, CapObject& obj, const ring::DecodedSqe& s,
                                      std::span<const uint8_t> params) {
    auto& facet = static_cast<ClientFacet&>(obj);
    EndpointObject& e = facet.endpoint();
    UserSpan reply{s.result.addr, s.result.len};
    if (!read_transfers_into(s, g_xfers).ok()) return completion(s.user_data, err(abi::TransportError::TransferFailed));
    if (e.ep.closed()) return exception_cqe(p, s.user_data, reply, rpc::ExceptionKind::Disconnected, "endpoint closed");
    if (facet.epoch() != e.ep.epoch())
        return exception_cqe(p, s.user_data, reply, rpc::ExceptionKind::Disconnected, "capability revoked");

    const Transfers& t = g_xfers;
    auto len = static_cast<uint32_t>(params.size());
    Ep::PendingCall c;
    c.caller = &p;
    c.user_data = s.user_data;
    c.reply = reply;
    c.interface_id = facet.interface_id();
    c.method = s.method;
    c.message_len = len;
    c.xfer_count = t.count;
    for (uint16_t i = 0; i < t.count; ++i) c.xfers[i] = t.records[i];

    // A waiting receiver whose buffer cannot hold this call gets its RECV
    // back (BufferTooSmall, BadBuffer) and the next one is tried.
    uint64_t need = ipc::recv_bytes_needed(t.count, len);
    uint8_t* window = nullptr;  // the chosen receiver's buffer, when in one page
    while (const auto* r = e.ep.next_receiver()) {
        if (need > r->buffer.len) {
            auto w = e.ep.take_receiver();
            post_to(*w.receiver, completion(w.user_data, err(abi::TransportError::BufferTooSmall),
                                            static_cast<uint32_t>(need)));
        } else if (auto win = r->receiver->aspace->user_window(r->buffer.addr, need, true); win.ok()) {
            window = win.value();
            break;
        } else if (!r->receiver->aspace->user_range_mapped(r->buffer.addr, need, true)) {
            auto w = e.ep.take_receiver();
            post_to(*w.receiver, completion(w.user_data, err(abi::TransportError::BadBuffer)));
        } else {
            break;
        }
    }
    if (const auto* r = e.ep.next_receiver()) {
        Ep::WaitingReceiver w = *r;
        abi::TransferResult recs[abi::kMaxTransfers];
        uint32_t call_id = 0;
        auto moved = transfer(p, *w.receiver, t.records, t.count, recs,
                              [&] { call_id = e.ep.call(c, facet.epoch()).call_id; });
        if (!moved.ok()) return completion(s.user_data, err(abi::TransportError::TransferFailed));
        abi::Cqe done = completion(w.user_data, static_cast<int32_t>(len), 0, t.count);
        if (!deliver(*w.receiver, w.buffer, window, call_id, c.interface_id, c.method, params, recs, t.count).ok())
            done = completion(w.user_data, err(abi::TransportError::BadBuffer));  // checked mapped above
        post_to(*w.receiver, done);
        return std::nullopt;  // the caller completes when the server returns
    }

    // Nobody waits: queue a kernel copy of the params.
    if (e.ep.pending() == Traits::kMaxPending)
        return exception_cqe(p, s.user_data, reply, rpc::ExceptionKind::Overloaded, "endpoint queue full");
    auto* msg = new (std::nothrow) uint8_t[len ? len : 1];
    if (!msg) return exception_cqe(p, s.user_data, reply, rpc::ExceptionKind::Overloaded, "out of memory");
    __builtin_memcpy(msg, params.data(), len);
    c.message = msg;
    auto out = e.ep.call(c, facet.epoch());
    if (out.status != Ep::CallStatus::Queued) {
        delete[] msg;
        return exception_cqe(p, s.user_data, reply, rpc::ExceptionKind::Overloaded, "endpoint queue full");
    }
    return std::nullopt;
}

std::optional<abi::Cqe> endpoint_recv(Process& p, CapObject& obj, const ring::DecodedSqe& s) {
    EndpointObject& e = static_cast<ServerCap&>(obj).endpoint();
    UserSpan buf{s.result.addr, s.result.len};
    if (!p.aspace->user_range_mapped(buf.addr, buf.len, true))
        return completion(s.user_data, err(abi::TransportError::BadBuffer));
    while (const auto* c = e.ep.next_call()) {
        uint64_t need = ipc::recv_bytes_needed(c->xfer_count, c->message_len);
        if (need > buf.len)  // the call stays queued for a larger buffer
            return completion(s.user_data, err(abi::TransportError::BufferTooSmall), static_cast<uint32_t>(need));
        if (e.ep.in_flight() + e.ep.receivers() >= Traits::kMaxInFlight)
            return completion(s.user_data, err(abi::TransportError::QueueFull));
        Ep::PendingCall call = *c;
        abi::TransferResult recs[abi::kMaxTransfers];
        Ep::RecvOutcome out{Ep::RecvStatus::Closed};
        auto moved = transfer(*call.caller, p, call.xfers.data(), call.xfer_count, recs,
                              [&] { out = e.ep.recv(Ep::WaitingReceiver{&p, s.user_data, buf}); });
        if (!moved.ok()) {
            // The caller's capabilities changed since it called: its CALL fails.
            auto bad = e.ep.take_call();
            delete[] bad.message;
            post_to(*bad.caller, completion(bad.user_data, err(abi::TransportError::TransferFailed)));
            continue;
        }
        std::span<const uint8_t> params(call.message, call.message_len);
        abi::Cqe done = completion(s.user_data, static_cast<int32_t>(call.message_len), 0, call.xfer_count);
        if (!deliver(p, buf, nullptr, out.call_id, call.interface_id, call.method, params, recs, call.xfer_count).ok())
            done = completion(s.user_data, err(abi::TransportError::BadBuffer));
        delete[] call.message;
        return done;
    }
    auto out = e.ep.recv(Ep::WaitingReceiver{&p, s.user_data, buf});
    if (out.status == Ep::RecvStatus::MustWait) return std::nullopt;
    return completion(s.user_data, err(abi::TransportError::QueueFull));
}

abi::Cqe endpoint_return(Process& p, CapObject& obj, const ring::DecodedSqe& s, std::span<const uint8_t> results) {
    EndpointObject& e = static_cast<ServerCap&>(obj).endpoint();
    const auto* f = e.ep.find(s.call_id);
    if (!f || f->receiver != &p) return completion(s.user_data, err(abi::TransportError::NoSuchCall));
    if (!read_transfers_into(s, g_xfers).ok()) return completion(s.user_data, err(abi::TransportError::TransferFailed));
    const Transfers& t = g_xfers;
    if (f->caller_gone) {  // the caller left: the answer goes nowhere
        (void)e.ep.ret(s.call_id);
        return completion(s.user_data, 0);
    }
    Process& caller = *f->caller;
    UserSpan reply = f->reply;
    uint64_t user_data = f->user_data;
    auto len = static_cast<uint32_t>(results.size());
    uint64_t front = abi::call_result_message_offset(t.count);
    // One walk when the answer lands in one page of the caller's buffer.
    uint8_t* window = nullptr;
    if (front + len <= reply.len) {
        auto win = caller.aspace->user_window(reply.addr, front + len, true);
        if (win.ok()) window = win.value();
    }
    if (front + len > reply.len || (!window && !caller.aspace->user_range_mapped(reply.addr, front + len, true))) {
        (void)e.ep.ret(s.call_id);
        abi::Cqe c = front + len > reply.len
                         ? (s.exception ? completion(user_data, err(abi::TransportError::ApplicationExceptionTruncated))
                                        : completion(user_data, err(abi::TransportError::BufferTooSmall),
                                                     static_cast<uint32_t>(front + len)))
                         : completion(user_data, err(abi::TransportError::BadBuffer));
        post_to(caller, c);
        return completion(s.user_data, 0);
    }
    abi::TransferResult recs[abi::kMaxTransfers];
    auto moved = transfer(p, caller, t.records, t.count, recs, [&] { (void)e.ep.ret(s.call_id); });
    if (!moved.ok()) return completion(s.user_data, err(abi::TransportError::TransferFailed));  // still in flight
    abi::Cqe c = s.exception ? completion(user_data, err(abi::TransportError::ApplicationException), len)
                             : completion(user_data, static_cast<int32_t>(len), 0, t.count);
    if (window) {
        __builtin_memcpy(window, recs, front);
        __builtin_memcpy(window + front, results.data(), len);
    } else if (!caller.aspace->write_user(reply.addr, recs, front).ok() ||
               !caller.aspace->write_user(reply.addr + front, results.data(), len).ok()) {
        c = completion(user_data, err(abi::TransportError::BadBuffer));  // checked mapped above
    }
    post_to(caller, c);
    return completion(s.user_data, 0);
}

Process* endpoint_take_handoff() {
    Process* h = g_handoff;
    g_handoff = nullptr;
    return h;
}

void endpoints_process_gone(Process& p) {
    if (g_handoff == &p) g_handoff = nullptr;
    for (EndpointObject* e = EndpointObject::list(); e; e = e->next()) {
        e->ep.caller_gone(&p, [](const Ep::PendingCall& c) { delete[] c.message; });
        e->ep.receiver_gone(&p, [](const Ep::InFlightCall& c) {
            if (!c.caller_gone) disconnect(*c.caller, c.user_data, c.reply, "server exited");
        });
    }
}

uint64_t endpoints_live() { return EndpointObject::live(); }

}  // namespace capos

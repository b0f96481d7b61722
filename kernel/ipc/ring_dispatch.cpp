#include "kernel/ipc/ring_dispatch.hpp"

#include <optional>

#include "abi/syscall.hpp"
#include "kernel/arch/x86_64/pit.hpp"
#include "kernel/ipc/endpoint.hpp"
#include "kernel/clock.hpp"
#include "kernel/log.hpp"
#include "kernel/proc/sched.hpp"
#include "kernel/mm/account.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/user_memory.hpp"
#include "kernel/proc/process.hpp"
#include "kernel/segments.hpp"
#include "lib/capnp/builder.hpp"
#include "lib/capnp/reader.hpp"
#include "lib/ring/sqe_decoder.hpp"
#include "lib/ring/transport_error.hpp"
#include "lib/sched/clock_math.hpp"

namespace capos {

namespace {

// One CPU, one cap_enter at a time: the call buffers are static, so the
// ring path never allocates. Params are bounded by abi::kMaxParamsBytes.
alignas(8) constinit uint8_t g_params[abi::kMaxParamsBytes];
alignas(8) constinit capnp::Word g_results[abi::kMaxParamsBytes / sizeof(capnp::Word)];

abi::Cqe completion(uint64_t user_data, int32_t result, uint32_t aux = 0) {
    abi::Cqe c{};
    c.user_data = user_data;
    c.result = result;
    c.aux = aux;
    return c;
}

int32_t error_result(abi::TransportError e) { return abi::to_result(e); }

// A CALL or RETURN without a params buffer carries the empty struct
// (docs/abi.md 6.3): this message, a one-word segment holding a root
// pointer to a zero-size struct.
alignas(8) constexpr uint8_t kEmptyMessage[16] = {0, 0, 0, 0, 1, 0, 0, 0, 0xFC, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};

// The SQE's params (CALL) or answer (RETURN) in kernel memory: copied in,
// or the empty struct when there is none. BadBuffer if the copy faults.
Result<std::span<const uint8_t>> copy_in_params(const ring::DecodedSqe& s) {
    if (s.params.len == 0) return std::span<const uint8_t>(kEmptyMessage, sizeof(kEmptyMessage));
    if (!copy_from_user(g_params, {s.params.addr}, s.params.len).ok()) return Error::RingBadBuffer;
    return std::span<const uint8_t>(g_params, s.params.len);
}

void drop_returned_caps(CallContext& ctx) {
    for (uint32_t i = 0; i < ctx.out_count; ++i) ctx.out_caps[i]->release();
    ctx.out_count = 0;
}

// A successful call that returns capabilities: the result buffer gets one
// TransferResult per capability, then the results message (docs/abi.md,
// CALL). All or nothing: if the buffer is too small or the caller's table
// or ledger cannot take every capability, none is inserted, the objects
// are dropped (freeing what the call made), and the caller learns why.
abi::Cqe complete_with_caps(Process& p, const ring::DecodedSqe& s, rpc::Reply reply, CallContext& ctx) {
    uint32_t n = ctx.out_count;
    uint64_t front = abi::call_result_message_offset(n);
    uint64_t need = front + reply.bytes;
    if (need > s.result.len) {
        drop_returned_caps(ctx);
        return completion(s.user_data, error_result(abi::TransportError::BufferTooSmall), static_cast<uint32_t>(need));
    }
    abi::TransferResult records[kMaxReturnedCaps] = {};
    uint32_t inserted = 0;
    for (; inserted < n; ++inserted) {
        auto id = process_insert_cap(p, ctx.out_caps[inserted]);
        if (!id.ok()) break;
        records[inserted].cap_id = id.value();
        records[inserted].interface_id = ctx.out_caps[inserted]->interface_id();
    }
    auto undo = [&](uint32_t count) {
        // The table's references go back to ctx, which drops them all.
        for (uint32_t i = 0; i < count; ++i) {
            auto obj = p.caps.release(records[i].cap_id);
            if (obj.ok()) p.account->refund(mm::Charge::CapSlots, 1);
        }
        drop_returned_caps(ctx);
    };
    if (inserted < n) {
        undo(inserted);
        auto ex = rpc::write_exception(std::span<capnp::Word>(g_results, sizeof(g_results) / 8),
                                       rpc::ExceptionKind::Overloaded, "capability table or ledger full");
        if (!ex.ok() || ex.value().bytes > s.result.len)
            return completion(s.user_data, error_result(abi::TransportError::ApplicationExceptionTruncated), 0);
        if (!copy_to_user({s.result.addr}, g_results, ex.value().bytes).ok())
            return completion(s.user_data, error_result(abi::TransportError::BadBuffer));
        return completion(s.user_data, error_result(abi::TransportError::ApplicationException), ex.value().bytes);
    }
    if (!copy_to_user({s.result.addr}, records, front).ok() ||
        !copy_to_user({s.result.addr + front}, g_results, reply.bytes).ok()) {
        undo(n);
        return completion(s.user_data, error_result(abi::TransportError::BadBuffer));
    }
    ctx.out_count = 0;  // the table holds the references now
    abi::Cqe c = completion(s.user_data, static_cast<int32_t>(reply.bytes));
    c.xfer_count = n;
    return c;
}

// The capabilities a CALL passes to a kernel object that accepts them:
// resolved in the caller's table, Copy only (the table keeps its references
// while the call runs; the object retains what it keeps).
Result<void> read_in_caps(Process& p, const ring::DecodedSqe& s, CallContext& ctx) {
    Transfers t = TRY(read_transfers(s));
    for (uint16_t i = 0; i < t.count; ++i) {
        if (t.records[i].mode != abi::TransferMode::Copy) return Error::RingBadTransfer;
        auto e = TRY(p.caps.resolve(t.records[i].source));
        ctx.in_caps[ctx.in_count++] = *e.object;
    }
    return {};
}

std::optional<abi::Cqe> call_kernel(Process& p, CapObject* obj, const ring::DecodedSqe& s,
                                    std::span<const uint8_t> params, CallContext& ctx);

// Returns no CQE when the capability deferred the call (its slot stays reserved).
std::optional<abi::Cqe> op_call(Process& p, const ring::DecodedSqe& s) {
    seg::to(seg::Seg::Lookup);
    auto entry = p.caps.resolve(s.cap_id);
    if (!entry.ok()) return completion(s.user_data, ring::transport_result(entry.error()));
    CapObject* obj = *entry.value().object;
    bool to_server = obj->kind() == CapKind::EndpointClient;
    if (s.xfer_count != 0 && !to_server && !obj->accepts_transfers())
        return completion(s.user_data, error_result(abi::TransportError::TransferFailed));
    // Decode before perform: the result buffer must be writable before the
    // capability acts, so a bad buffer never costs a side effect.
    seg::to(seg::Seg::Decode);
    if (!p.aspace->user_range_mapped(s.result.addr, s.result.len, true))
        return completion(s.user_data, error_result(abi::TransportError::BadBuffer));
    auto copied = copy_in_params(s);
    if (!copied.ok()) return completion(s.user_data, error_result(abi::TransportError::BadBuffer));
    std::span<const uint8_t> params = copied.value();
    // Framing first: a buffer that is not a Cap'n Proto message never
    // reaches the capability.
    if (!capnp::root_struct_ok(params)) return completion(s.user_data, error_result(abi::TransportError::MalformedParams));
    seg::to(seg::Seg::Body);
    if (to_server) return endpoint_call(p, *obj, s, params);
    CallContext ctx{&p};
    ctx.user_data = s.user_data;
    ctx.result_addr = s.result.addr;
    ctx.result_len = s.result.len;
    if (s.xfer_count != 0 && !read_in_caps(p, s, ctx).ok())
        return completion(s.user_data, error_result(abi::TransportError::TransferFailed));
    auto cqe = call_kernel(p, obj, s, params, ctx);
    if (Process* child = ctx.start_after_commit) {
        // Started only if the caller got the results (and so its handle).
        if (cqe && cqe->result >= 0) sched_add(child);
        else process_destroy(child);
    }
    return cqe;
}

std::optional<abi::Cqe> call_kernel(Process& p, CapObject* obj, const ring::DecodedSqe& s,
                                    std::span<const uint8_t> params, CallContext& ctx) {
    auto reply = obj->call(s.method, params, std::span<capnp::Word>(g_results, sizeof(g_results) / 8), ctx);
    seg::to(seg::Seg::Post);
    if (!reply.ok() || reply.value().exception) drop_returned_caps(ctx);
    if (!reply.ok()) return completion(s.user_data, ring::transport_result(reply.error()));
    if (ctx.out_count > 0) return complete_with_caps(p, s, reply.value(), ctx);
    if (ctx.defer_external && !reply.value().exception) return std::nullopt;  // the object posts it
    if (ctx.defer && !reply.value().exception) {
        p.pending[p.pending_count++] = PendingCall{s.user_data, s.result.addr, s.result.len, ctx.complete_at_ns};
        return std::nullopt;
    }

    uint32_t bytes = reply.value().bytes;
    if (reply.value().exception) {
        if (bytes > s.result.len)
            return completion(s.user_data, error_result(abi::TransportError::ApplicationExceptionTruncated), 0);
        if (!copy_to_user({s.result.addr}, g_results, bytes).ok())
            return completion(s.user_data, error_result(abi::TransportError::BadBuffer));
        return completion(s.user_data, error_result(abi::TransportError::ApplicationException), bytes);
    }
    if (bytes > s.result.len)
        return completion(s.user_data, error_result(abi::TransportError::BufferTooSmall), bytes);
    if (!copy_to_user({s.result.addr}, g_results, bytes).ok())
        return completion(s.user_data, error_result(abi::TransportError::BadBuffer));
    return completion(s.user_data, static_cast<int32_t>(bytes));
}

abi::Cqe op_release(Process& p, const ring::DecodedSqe& s) {
    auto r = process_release_cap(p, s.cap_id);
    if (!r.ok()) return completion(s.user_data, ring::transport_result(r.error()));
    return completion(s.user_data, 0);
}

// RECV and RETURN: only on a raw endpoint (a client facet or a kernel
// capability is WrongInterface).
std::optional<abi::Cqe> op_endpoint(Process& p, const ring::DecodedSqe& s) {
    seg::to(seg::Seg::Lookup);
    auto entry = p.caps.resolve(s.cap_id);
    if (!entry.ok()) return completion(s.user_data, ring::transport_result(entry.error()));
    CapObject* obj = *entry.value().object;
    if (obj->kind() != CapKind::EndpointServer)
        return completion(s.user_data, error_result(abi::TransportError::WrongInterface));
    if (s.opcode == abi::Opcode::Recv) {
        seg::to(seg::Seg::Body);
        return endpoint_recv(p, *obj, s);
    }
    // RETURN: the results (or CapException) must be a message, like CALL params.
    seg::to(seg::Seg::Decode);
    auto copied = copy_in_params(s);
    if (!copied.ok()) return completion(s.user_data, error_result(abi::TransportError::BadBuffer));
    std::span<const uint8_t> results = copied.value();
    if (!capnp::root_struct_ok(results))
        return completion(s.user_data, error_result(abi::TransportError::MalformedParams));
    seg::to(seg::Seg::Body);
    return endpoint_return(p, *obj, s, results);
}

std::optional<abi::Cqe> perform(Process& p, const abi::Sqe& raw) {
    auto decoded = ring::decode_sqe(raw);
    if (!decoded.ok()) return completion(raw.user_data, ring::transport_result(decoded.error()));
    const ring::DecodedSqe& s = decoded.value();
    switch (s.opcode) {
    case abi::Opcode::Nop: return completion(s.user_data, 0);
    case abi::Opcode::Call: return op_call(p, s);
    case abi::Opcode::Release: return op_release(p, s);
    case abi::Opcode::Recv:
    case abi::Opcode::Return: return op_endpoint(p, s);
    default: return completion(s.user_data, error_result(abi::TransportError::BadOpcode));
    }
}

}  // namespace

namespace {

void drain(Process& p) {
    auto& ring = *p.ring;
    ring.begin_pass();
    abi::Sqe sqe;
    for (;;) {
        seg::to(seg::Seg::Sqe);
        if (ring.next(&sqe) != ring::NextResult::Sqe) break;
        // A plain NOP (all zero but user_data) needs no decode.
        auto cqe = ring::is_plain_nop(sqe) ? std::optional<abi::Cqe>(completion(sqe.user_data, 0)) : perform(p, sqe);
        if (!cqe) continue;  // deferred: its CQE slot stays reserved
        seg::to(seg::Seg::Post);
        if (!ring.post(*cqe).ok()) {
            // next() reserved this slot; post cannot fail. Keep going safely.
            log::error("ring: process '{}': a reserved CQE slot was refused", p.name);
        }
    }
    seg::to(seg::Seg::Pass);
    ring.end_pass();
}

// Posts the deferred calls whose time has come: an empty results message
// into their result buffer (checked writable when the call was made).
void post_due(Process& p) {
    if (p.pending_count == 0) return;  // the common case: no clock read
    uint64_t now = clock_now_ns();
    for (uint32_t i = 0; i < p.pending_count;) {
        PendingCall c = p.pending[i];
        if (c.complete_at_ns > now) {
            ++i;
            continue;
        }
        p.pending[i] = p.pending[--p.pending_count];
        capnp::MessageBuilder msg(std::span<capnp::Word>(g_results, 4));
        abi::Cqe cqe;
        if (!msg.init_root(0, 0).ok()) {
            cqe = completion(c.user_data, error_result(abi::TransportError::QueueFull));
        } else if (msg.bytes().size() > c.result_len) {
            cqe = completion(c.user_data, error_result(abi::TransportError::BufferTooSmall),
                             static_cast<uint32_t>(msg.bytes().size()));
        } else if (!copy_to_user({c.result_addr}, msg.bytes().data(), msg.bytes().size()).ok()) {
            cqe = completion(c.user_data, error_result(abi::TransportError::BadBuffer));
        } else {
            cqe = completion(c.user_data, static_cast<int32_t>(msg.bytes().size()));
        }
        (void)p.ring->post(cqe);
    }
}

uint64_t next_due_tick(const Process& p) {
    uint64_t earliest = UINT64_MAX;
    for (uint32_t i = 0; i < p.pending_count; ++i)
        if (p.pending[i].complete_at_ns < earliest) earliest = p.pending[i].complete_at_ns;
    return earliest == UINT64_MAX ? UINT64_MAX : clock_tick_for_ns(earliest);
}

}  // namespace

uint64_t cap_enter(Process& p, uint64_t min_complete, uint64_t timeout_ns) {
    if (!p.ring) return 0;
    auto& ring = *p.ring;
    uint64_t want = min_complete < ring.geometry().cq_entries() ? min_complete : ring.geometry().cq_entries();
    uint64_t deadline = UINT64_MAX;
    if (timeout_ns != abi::kTimeoutForever)
        deadline = sched::timeout_deadline_tick(timeout_ns, sched_ticks(), arch::kNsPerTick);
    (void)endpoint_take_handoff();  // only this pass's wake-ups count
    for (;;) {
        drain(p);
        post_due(p);
        uint64_t avail = ring.cq_ready();
        if (avail >= want || timeout_ns == abi::kTimeoutPoll || sched_ticks() >= deadline) return avail;
        // Sleep until the deadline, the next deferred completion or a
        // completion from another process; go straight to the process this
        // pass made runnable, if any (direct-switch handoff).
        uint64_t wake = next_due_tick(p);
        seg::to(seg::Seg::Switch);
        sched_block_until(wake < deadline ? wake : deadline, endpoint_take_handoff());
    }
}

}  // namespace capos

// Endpoint IPC (docs/ipc.md): the kernel side of lib/ipc/endpoint.hpp.
//
// An endpoint is one kernel object reached through two kinds of
// capability, typed by interface (never by rights bits):
//
//   raw endpoint   interface Endpoint; held by the server. RECV and RETURN
//                  on the ring; CALL only for the Endpoint methods
//                  (mintClient, revoke): the owner-side operations.
//   client facet   interface = the protocol served (e.g. Console); CALL
//                  only. Minted at the endpoint's epoch; revoke() makes
//                  every facet minted before it fail with `disconnected`.
//
// A CALL that finds a server waiting in RECV is copied straight into the
// server's receive buffer and, when the caller then waits, the CPU goes
// straight to the server (direct-switch handoff, sched_handoffs()); a
// RETURN does the same towards a caller waiting in cap_enter.
#pragma once

#include <cstdint>
#include <optional>

#include "abi/ring.hpp"
#include "kernel/cap/cap_object.hpp"
#include "lib/base/error.hpp"
#include "lib/ipc/endpoint.hpp"
#include "lib/ring/sqe_decoder.hpp"

namespace capos {

struct Process;

// The SQE's transfer descriptors, copied in and decoded for form only
// (mode, reserved fields); sources are resolved when they are used.
// RingBadBuffer when the array cannot be read, RingBadTransfer when a
// descriptor is malformed.
struct Transfers {
    uint16_t count = 0;
    ipc::TransferRecord records[abi::kMaxTransfers];
};
Result<Transfers> read_transfers(const ring::DecodedSqe& s);
// The same into `out`, touching only out.count when the SQE has none (the
// IPC path's common case: no 260-byte copy).
Result<void> read_transfers_into(const ring::DecodedSqe& s, Transfers& out);

// A new endpoint: its raw capability object (one reference, the caller's).
Result<CapObject*> endpoint_create();

// A client facet for protocol `interface_id` of the endpoint behind the raw
// capability `server`, minted at the current epoch (one reference).
// WrongInterface when `server` is not a raw endpoint.
Result<CapObject*> endpoint_client(CapObject& server, uint64_t interface_id);

// The ring operations (kernel/ipc/ring_dispatch.cpp calls them after it
// resolved the SQE's capability). nullopt: the completion comes later.
std::optional<abi::Cqe> endpoint_call(Process& p, CapObject& facet, const ring::DecodedSqe& s,
                                      std::span<const uint8_t> params);
std::optional<abi::Cqe> endpoint_recv(Process& p, CapObject& server, const ring::DecodedSqe& s);
abi::Cqe endpoint_return(Process& p, CapObject& server, const ring::DecodedSqe& s,
                         std::span<const uint8_t> results);

// The process the last IPC operation made runnable (a receiver given a
// call, a caller given its answer), for a direct switch; cleared on read.
Process* endpoint_take_handoff();

// p is being destroyed: its queued calls are dropped, its in-flight calls'
// answers will be dropped, calls it had received complete with
// `disconnected`, and it stops waiting in RECV.
void endpoints_process_gone(Process& p);

// Endpoints alive (tests compare before and after).
uint64_t endpoints_live();

}  // namespace capos

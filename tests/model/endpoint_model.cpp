// Bounded exhaustive check of lib/ipc: the real Endpoint template against a
// reference model, every operation sequence up to a depth bound.
//
// Configuration: two callers (0, 1), two receivers (0, 1), capacities of 2
// pending calls, 2 waiting receivers and 2 in-flight calls (so the
// reservation of in-flight slots by waiting receivers is reachable). From
// the empty endpoint every sequence of operations is enumerated breadth
// first; a state whose fingerprint (the endpoint's queues and in-flight
// slots with call serials replaced by their order, the next call id, the
// epoch, closed) was seen before is not expanded again.
//
// Operations (all of them, at every state):
//   call(c)            from each caller through a facet of the current epoch
//   call(c, stale)     through a facet of an earlier epoch (after a revoke)
//   recv(r)            by each receiver
//   ret(id)            every id issued so far (in flight or answered) and
//                      the next id the endpoint will issue
//   caller_gone(c)     each caller
//   receiver_gone(r)   each receiver
//   take_receiver      when a receiver waits (the kernel refuses it)
//   take_call          when a call is queued (its transfer failed)
//   revoke, close
//
// Checked for every transition: the outcome is the one the model predicts
// (HandOff to the front receiver, Queued, Overloaded exactly when a bound is
// reached, Delivered with the front call, the exact call id, NoSuchCall for
// any id not in flight, Dropped exactly for callers gone or revoked, the
// calls each report hands back); call ids are nonzero and never issued
// twice. Checked after every step: Endpoint::invariants_hold(); the queues
// equal the model's in FIFO order and stay within their bounds; every id
// issued and no longer in flight is dead (find() is null); every accepted
// call is in exactly one place (queued, or in flight with a live caller)
// until it ends, and ends exactly once (answered, dropped, disconnected,
// removed or refused): no call lost or duplicated.
//
// Two passes: "basic" with the call id counter at 1, and "wrap" with it at
// 0xFFFFFFFE, so the wrap (skipping 0 and ids still in flight) is reached.
//
// Usage: model_endpoint [basic_depth [wrap_depth]]
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "lib/ipc/endpoint.hpp"
#include "tests/model/model.hpp"

namespace {

using namespace capos;

struct Traits {
    using Caller = uint8_t;
    using Receiver = uint8_t;
    using Message = uint32_t;  // the call's serial
    using Reply = uint32_t;    // the call's serial again
    using Buffer = uint8_t;
    static constexpr uint32_t kMaxPending = 2;
    static constexpr uint32_t kMaxReceivers = 2;
    static constexpr uint32_t kMaxInFlight = 2;
};
using Ep = ipc::Endpoint<Traits>;
using CS = Ep::CallStatus;
using RS = Ep::RecvStatus;
using XS = Ep::ReturnStatus;

constexpr uint8_t kCallers = 2;
constexpr uint8_t kReceivers = 2;

// ---------------------------------------------------------------------------
// Reference model

struct MCall {
    uint8_t caller;
    uint32_t serial;
};
struct MFlight {
    uint8_t caller;
    uint8_t receiver;
    bool gone;
    uint32_t serial;
};
enum class End : uint8_t { Open, Answered, Dropped, Disconnected, Removed, Refused };

struct Model {
    std::vector<MCall> pending;
    std::vector<uint8_t> receivers;
    std::map<uint32_t, MFlight> flight;
    uint32_t counter = 1;           // where the endpoint's id counter stands
    std::vector<uint32_t> issued;   // every id issued, in order
    uint64_t epoch = 0;
    bool closed = false;
    uint32_t next_serial = 1;
    std::vector<End> ends{End::Open};  // by serial; [0] unused
};

enum class Kind : uint8_t {
    Call, CallStale, Recv, Ret, CallerGone, ReceiverGone, TakeReceiver, TakeCall, Revoke, Close
};

struct Op {
    Kind kind;
    uint32_t arg = 0;  // caller, receiver or call id
};

std::string describe(const Op& op) {
    char buf[64];
    switch (op.kind) {
    case Kind::Call: std::snprintf(buf, sizeof buf, "call(caller %u)", op.arg); break;
    case Kind::CallStale: std::snprintf(buf, sizeof buf, "call(caller %u, revoked facet)", op.arg); break;
    case Kind::Recv: std::snprintf(buf, sizeof buf, "recv(receiver %u)", op.arg); break;
    case Kind::Ret: std::snprintf(buf, sizeof buf, "ret(call id %u)", op.arg); break;
    case Kind::CallerGone: std::snprintf(buf, sizeof buf, "caller_gone(%u)", op.arg); break;
    case Kind::ReceiverGone: std::snprintf(buf, sizeof buf, "receiver_gone(%u)", op.arg); break;
    case Kind::TakeReceiver: std::snprintf(buf, sizeof buf, "take_receiver"); break;
    case Kind::TakeCall: std::snprintf(buf, sizeof buf, "take_call"); break;
    case Kind::Revoke: std::snprintf(buf, sizeof buf, "revoke"); break;
    case Kind::Close: std::snprintf(buf, sizeof buf, "close"); break;
    }
    return buf;
}

struct World {
    Ep ep;
    Model m;
    explicit World(uint32_t first_id) {
        ep.set_next_call_id(first_id);
        m.counter = first_id;
    }
};

// ---------------------------------------------------------------------------
// Transitions. `check` is false while replaying a path already checked.

void end_call(Model& m, uint32_t serial, End how, bool check) {
    if (check)
        MODEL_REQUIRE(serial < m.ends.size() && m.ends[serial] == End::Open, "ipc.conservation",
                      "call %u ends twice (or was never accepted)", serial);
    m.ends[serial] = how;
}

// The id the endpoint must issue next: the counter's value, skipping 0 and
// ids still in flight (the counter wraps at 2^32).
uint32_t predict_id(const Model& m) {
    uint32_t id = m.counter;
    while (id == 0 || m.flight.count(id)) ++id;
    return id;
}

void issued(Model& m, uint32_t id, bool check) {
    if (check) {
        uint32_t expect = predict_id(m);
        MODEL_REQUIRE(id == expect, "ipc.call_id", "call id %u issued, model expects %u", id, expect);
        MODEL_REQUIRE(std::find(m.issued.begin(), m.issued.end(), id) == m.issued.end(), "ipc.call_id",
                      "call id %u issued twice", id);
    }
    m.issued.push_back(id);
    m.counter = id + 1;
}

Ep::PendingCall make_call(uint8_t caller, uint32_t serial) {
    Ep::PendingCall c;
    c.caller = caller;
    c.user_data = serial;
    c.reply = serial;
    c.message = serial;
    c.message_len = 8;
    return c;
}

void apply(World& w, const Op& op, bool check) {
    Ep& ep = w.ep;
    Model& m = w.m;
    switch (op.kind) {
    case Kind::Call:
    case Kind::CallStale: {
        uint8_t c = static_cast<uint8_t>(op.arg);
        uint32_t serial = m.next_serial++;
        m.ends.push_back(End::Refused);  // unless accepted below
        bool stale = op.kind == Kind::CallStale;
        auto o = ep.call(make_call(c, serial), stale ? m.epoch - 1 : m.epoch);
        CS expect = m.closed                                 ? CS::Closed
                    : stale                                  ? CS::Revoked
                    : !m.receivers.empty()                   ? CS::HandOff
                    : m.pending.size() == Traits::kMaxPending ? CS::Overloaded
                                                             : CS::Queued;
        if (check)
            MODEL_REQUIRE(o.status == expect, "ipc.call", "call outcome %u, model %u", unsigned(o.status),
                          unsigned(expect));
        if (expect == CS::HandOff) {
            if (check)
                MODEL_REQUIRE(o.receiver.receiver == m.receivers.front(), "ipc.fifo",
                              "handed off to receiver %u, front is %u", o.receiver.receiver, m.receivers.front());
            issued(m, o.call_id, check);
            m.flight[o.call_id] = {c, m.receivers.front(), false, serial};
            m.receivers.erase(m.receivers.begin());
            m.ends[serial] = End::Open;
        } else if (expect == CS::Queued) {
            m.pending.push_back({c, serial});
            m.ends[serial] = End::Open;
        }
        return;
    }
    case Kind::Recv: {
        uint8_t r = static_cast<uint8_t>(op.arg);
        auto o = ep.recv(Ep::WaitingReceiver{r, r, r});
        RS expect = m.closed ? RS::Closed
                    : !m.pending.empty()
                        ? (m.flight.size() == Traits::kMaxInFlight ? RS::Overloaded : RS::Delivered)
                    : (m.receivers.size() == Traits::kMaxReceivers ||
                       m.flight.size() + m.receivers.size() >= Traits::kMaxInFlight)
                        ? RS::Overloaded
                        : RS::MustWait;
        if (check)
            MODEL_REQUIRE(o.status == expect, "ipc.recv", "recv outcome %u, model %u", unsigned(o.status),
                          unsigned(expect));
        if (expect == RS::Delivered) {
            const MCall& front = m.pending.front();
            if (check)
                MODEL_REQUIRE(o.call.message == front.serial && o.call.caller == front.caller, "ipc.fifo",
                              "delivered call %u, front of the queue is %u", o.call.message, front.serial);
            issued(m, o.call_id, check);
            m.flight[o.call_id] = {front.caller, r, false, front.serial};
            m.pending.erase(m.pending.begin());
        } else if (expect == RS::MustWait) {
            m.receivers.push_back(r);
        }
        return;
    }
    case Kind::Ret: {
        auto o = ep.ret(op.arg);
        auto it = m.flight.find(op.arg);
        if (it == m.flight.end()) {
            if (check)
                MODEL_REQUIRE(o.status == XS::NoSuchCall, "ipc.stale",
                              "ret(%u) of an id not in flight gave %u, not NoSuchCall", op.arg, unsigned(o.status));
            return;
        }
        if (check) {
            MODEL_REQUIRE(o.status == (it->second.gone ? XS::Dropped : XS::Completed), "ipc.ret",
                          "ret(%u) gave %u, model says %s", op.arg, unsigned(o.status),
                          it->second.gone ? "Dropped" : "Completed");
            MODEL_REQUIRE(o.call.reply == it->second.serial && o.call.caller == it->second.caller, "ipc.ret",
                          "ret(%u) resolved to call %u, model %u", op.arg, o.call.reply, it->second.serial);
        }
        if (!it->second.gone) end_call(m, it->second.serial, End::Answered, check);
        m.flight.erase(it);
        return;
    }
    case Kind::CallerGone: {
        uint8_t c = static_cast<uint8_t>(op.arg);
        std::vector<uint32_t> got;
        ep.caller_gone(c, [&](const Ep::PendingCall& p) { got.push_back(p.message); });
        std::vector<uint32_t> expect;
        std::vector<MCall> keep;
        for (const MCall& p : m.pending) {
            if (p.caller == c) expect.push_back(p.serial);
            else keep.push_back(p);
        }
        if (check) MODEL_REQUIRE(got == expect, "ipc.gone", "caller_gone handed back the wrong calls");
        m.pending = keep;
        for (uint32_t s : expect) end_call(m, s, End::Removed, check);
        for (auto& [id, f] : m.flight)
            if (f.caller == c && !f.gone) {
                f.gone = true;
                end_call(m, f.serial, End::Dropped, check);
            }
        return;
    }
    case Kind::ReceiverGone: {
        uint8_t r = static_cast<uint8_t>(op.arg);
        std::vector<uint32_t> got;
        ep.receiver_gone(r, [&](const Ep::InFlightCall& f) { got.push_back(f.reply); });
        std::vector<uint32_t> expect;
        std::erase(m.receivers, r);
        for (auto it = m.flight.begin(); it != m.flight.end();) {
            if (it->second.receiver != r) {
                ++it;
                continue;
            }
            expect.push_back(it->second.serial);
            if (!it->second.gone) end_call(m, it->second.serial, End::Disconnected, check);
            it = m.flight.erase(it);
        }
        std::sort(got.begin(), got.end());
        std::sort(expect.begin(), expect.end());
        if (check) MODEL_REQUIRE(got == expect, "ipc.gone", "receiver_gone ended the wrong calls");
        return;
    }
    case Kind::TakeReceiver: {
        auto r = ep.take_receiver();
        if (check)
            MODEL_REQUIRE(r.receiver == m.receivers.front(), "ipc.fifo", "take_receiver gave %u, front %u",
                          r.receiver, m.receivers.front());
        m.receivers.erase(m.receivers.begin());
        return;
    }
    case Kind::TakeCall: {
        auto c = ep.take_call();
        if (check)
            MODEL_REQUIRE(c.message == m.pending.front().serial, "ipc.fifo", "take_call gave %u, front %u",
                          c.message, m.pending.front().serial);
        end_call(m, m.pending.front().serial, End::Refused, check);
        m.pending.erase(m.pending.begin());
        return;
    }
    case Kind::Revoke: {
        std::vector<uint32_t> q, f;
        auto r = ep.revoke([&](const Ep::PendingCall& p) { q.push_back(p.message); },
                           [&](const Ep::InFlightCall& c) { f.push_back(c.reply); });
        if (check) MODEL_REQUIRE(r.ok(), "ipc.revoke", "revoke failed");
        ++m.epoch;
        std::vector<uint32_t> eq, ef;
        for (const MCall& p : m.pending) eq.push_back(p.serial);
        for (auto& [id, fl] : m.flight)
            if (!fl.gone) {
                ef.push_back(fl.serial);
                fl.gone = true;
            }
        std::sort(f.begin(), f.end());
        std::sort(ef.begin(), ef.end());
        if (check) MODEL_REQUIRE(q == eq && f == ef, "ipc.revoke", "revoke reported the wrong calls");
        m.pending.clear();
        for (uint32_t s : eq) end_call(m, s, End::Disconnected, check);
        for (uint32_t s : ef) end_call(m, s, End::Disconnected, check);
        return;
    }
    case Kind::Close: {
        std::vector<uint32_t> q, f;
        std::vector<uint8_t> rs;
        ep.close([&](const Ep::PendingCall& p) { q.push_back(p.message); },
                 [&](const Ep::InFlightCall& c) { f.push_back(c.reply); },
                 [&](const Ep::WaitingReceiver& r) { rs.push_back(r.receiver); });
        std::vector<uint32_t> eq, ef;
        for (const MCall& p : m.pending) eq.push_back(p.serial);
        for (auto& [id, fl] : m.flight) {
            ef.push_back(fl.serial);
            if (!fl.gone) end_call(m, fl.serial, End::Disconnected, check);
        }
        std::sort(f.begin(), f.end());
        std::sort(ef.begin(), ef.end());
        if (check)
            MODEL_REQUIRE(q == eq && f == ef && rs == m.receivers, "ipc.close", "close reported the wrong peers");
        for (uint32_t s : eq) end_call(m, s, End::Disconnected, check);
        m.pending.clear();
        m.flight.clear();
        m.receivers.clear();
        m.closed = true;
        return;
    }
    }
}

// ---------------------------------------------------------------------------
// State invariants

void check_state(const World& w) {
    const Ep& ep = w.ep;
    const Model& m = w.m;
    MODEL_REQUIRE(ep.invariants_hold(), "ipc.invariant", "Endpoint::invariants_hold() is false");
    MODEL_REQUIRE(ep.pending() <= Traits::kMaxPending && ep.receivers() <= Traits::kMaxReceivers &&
                      ep.in_flight() <= Traits::kMaxInFlight,
                  "ipc.bounds", "a queue is over its bound");
    MODEL_REQUIRE(ep.pending() == m.pending.size(), "ipc.queue", "%u pending, model %zu", ep.pending(),
                  m.pending.size());
    for (uint32_t i = 0; i < ep.pending(); ++i)
        MODEL_REQUIRE(ep.pending_at(i).message == m.pending[i].serial, "ipc.fifo",
                      "pending[%u] is call %u, model %u", i, ep.pending_at(i).message, m.pending[i].serial);
    MODEL_REQUIRE(ep.receivers() == m.receivers.size(), "ipc.queue", "%u receivers, model %zu", ep.receivers(),
                  m.receivers.size());
    for (uint32_t i = 0; i < ep.receivers(); ++i)
        MODEL_REQUIRE(ep.receiver_at(i).receiver == m.receivers[i], "ipc.fifo", "receiver order differs");
    MODEL_REQUIRE(ep.in_flight() == m.flight.size(), "ipc.queue", "%u in flight, model %zu", ep.in_flight(),
                  m.flight.size());
    std::vector<uint32_t> probe = m.issued;
    probe.push_back(predict_id(m));
    for (uint32_t id : probe) {
        auto it = m.flight.find(id);
        const Ep::InFlightCall* c = ep.find(id);
        if (it == m.flight.end()) {
            MODEL_REQUIRE(c == nullptr, "ipc.stale", "call id %u resolves but is not in flight (call %u)", id,
                          c ? c->reply : 0);
            continue;
        }
        MODEL_REQUIRE(c != nullptr && c->reply == it->second.serial && c->caller_gone == it->second.gone &&
                          c->receiver == it->second.receiver,
                      "ipc.flight", "call id %u does not match the model", id);
    }
    MODEL_REQUIRE(ep.find(0) == nullptr, "ipc.stale", "call id 0 resolves");
    MODEL_REQUIRE(ep.closed() == m.closed && ep.epoch() == m.epoch, "ipc.state", "closed or epoch differs");
    // Conservation: an open call is in exactly one place.
    std::vector<int> where(m.ends.size(), 0);
    for (const MCall& p : m.pending) ++where[p.serial];
    for (const auto& [id, f] : m.flight)
        if (!f.gone) ++where[f.serial];
    for (uint32_t s = 1; s < m.ends.size(); ++s)
        MODEL_REQUIRE(where[s] == (m.ends[s] == End::Open ? 1 : 0), "ipc.conservation",
                      "call %u is in %d places, %s", s, where[s], m.ends[s] == End::Open ? "open" : "ended");
}

model::Fingerprint fingerprint(const World& w) {
    const Ep& ep = w.ep;
    // Serials by order among the calls still present.
    std::vector<uint32_t> live;
    for (uint32_t i = 0; i < ep.pending(); ++i) live.push_back(ep.pending_at(i).message);
    for (const auto& s : ep.in_flight_slots())
        if (s.call_id) live.push_back(s.reply);
    std::sort(live.begin(), live.end());
    auto rank = [&](uint32_t serial) {
        return static_cast<uint8_t>(std::lower_bound(live.begin(), live.end(), serial) - live.begin());
    };
    model::Fingerprint f;
    f.add_value(static_cast<uint8_t>(ep.pending()));
    for (uint32_t i = 0; i < ep.pending(); ++i) {
        f.add_value(ep.pending_at(i).caller);
        f.add_value(rank(ep.pending_at(i).message));
    }
    f.add_value(static_cast<uint8_t>(ep.receivers()));
    for (uint32_t i = 0; i < ep.receivers(); ++i) f.add_value(ep.receiver_at(i).receiver);
    for (const auto& s : ep.in_flight_slots()) {
        f.add_value(s.call_id);
        if (!s.call_id) continue;
        f.add_value(s.caller);
        f.add_value(s.receiver);
        f.add_value(s.caller_gone);
        f.add_value(rank(s.reply));
    }
    f.add_value(w.m.counter);
    f.add_value(static_cast<uint8_t>(w.m.epoch > 0));
    f.add_value(w.m.closed);
    return f;
}

void enumerate(const Model& m, std::vector<Op>* ops) {
    ops->clear();
    for (uint8_t c = 0; c < kCallers; ++c) {
        ops->push_back({Kind::Call, c});
        if (m.epoch > 0) ops->push_back({Kind::CallStale, c});
    }
    for (uint8_t r = 0; r < kReceivers; ++r) ops->push_back({Kind::Recv, r});
    for (uint32_t id : m.issued) ops->push_back({Kind::Ret, id});
    ops->push_back({Kind::Ret, predict_id(m)});
    for (uint8_t c = 0; c < kCallers; ++c) ops->push_back({Kind::CallerGone, c});
    for (uint8_t r = 0; r < kReceivers; ++r) ops->push_back({Kind::ReceiverGone, r});
    if (!m.receivers.empty()) ops->push_back({Kind::TakeReceiver});
    if (!m.pending.empty()) ops->push_back({Kind::TakeCall});
    ops->push_back({Kind::Revoke});
    ops->push_back({Kind::Close});
}

struct Node {
    std::vector<Op> path;
    Model m;
};

void explore(const char* name, uint32_t depth_bound, uint32_t first_id) {
    model::Stopwatch sw;
    uint64_t states = 1, transitions = 0;
    uint32_t depth_done = 0;
    std::unordered_set<std::pair<uint64_t, uint64_t>, model::FingerprintHash> seen;
    const std::vector<Op>* current_path = nullptr;
    const Op* current_op = nullptr;
    model::violation_context() = [&] {
        std::fprintf(stderr, "  pass %s, path from the empty endpoint (first call id %#x):\n", name, first_id);
        if (current_path)
            for (const Op& op : *current_path) std::fprintf(stderr, "    %s\n", describe(op).c_str());
        if (current_op) std::fprintf(stderr, "    %s   <- violating step\n", describe(*current_op).c_str());
    };
    std::vector<Node> frontier(1);
    {
        World w(first_id);
        check_state(w);
        seen.insert(fingerprint(w).value());
    }
    std::vector<Op> ops;
    for (uint32_t depth = 1; depth <= depth_bound && !frontier.empty(); ++depth) {
        std::vector<Node> next;
        for (const Node& node : frontier) {
            enumerate(node.m, &ops);
            current_path = &node.path;
            for (const Op& op : ops) {
                current_op = &op;
                World w(first_id);
                for (const Op& p : node.path) apply(w, p, false);
                apply(w, op, true);
                ++transitions;
                check_state(w);
                if (!seen.insert(fingerprint(w).value()).second) continue;
                ++states;
                Node child{node.path, w.m};
                child.path.push_back(op);
                next.push_back(std::move(child));
            }
        }
        current_path = nullptr;
        current_op = nullptr;
        frontier = std::move(next);
        depth_done = depth;
        std::printf("  %s: depth %2u: %9llu states, %10llu transitions, %6.1f s\n", name, depth,
                    static_cast<unsigned long long>(states), static_cast<unsigned long long>(transitions),
                    sw.seconds());
        std::fflush(stdout);
    }
    model::violation_context() = nullptr;
    std::printf("endpoint model %s: %u callers, %u receivers, %u pending / %u waiting / %u in flight: "
                "first call id %#x, depth %u, %llu distinct states, %llu transitions, %.1f s: OK\n",
                name, kCallers, kReceivers, Traits::kMaxPending, Traits::kMaxReceivers, Traits::kMaxInFlight,
                first_id, depth_done, static_cast<unsigned long long>(states), static_cast<unsigned long long>(transitions),
                sw.seconds());
}

}  // namespace

int main(int argc, char** argv) {
    uint32_t basic_depth = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 16;
    uint32_t wrap_depth = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 12;
    explore("basic", basic_depth, 1);
    // The id counter wraps within a few calls: 0 and ids in flight are skipped.
    explore("wrap", wrap_depth, 0xFFFF'FFFEu);
    return 0;
}

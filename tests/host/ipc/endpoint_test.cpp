// lib/ipc: the endpoint state machine, epoch revocation and the RECV prefix.
// Unit tests for each operation, and a property test of random operation
// sequences against a reference model (std::deque / std::map): outcomes
// match, FIFO order, bounded queues, no call lost or duplicated, stale call
// ids never resolve.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <vector>

#include "abi/ring.hpp"
#include "lib/cap/cap_table.hpp"
#include "lib/cap/transfer.hpp"
#include "lib/ipc/endpoint.hpp"
#include "lib/ipc/epoch.hpp"
#include "lib/ipc/recv_message.hpp"

using namespace capos;
using namespace capos::ipc;
namespace cabi = capos::abi;

namespace {

struct Traits {
    using Caller = int;
    using Receiver = int;
    using Message = int;  // the call's serial, standing in for a kernel buffer
    using Reply = int;
    using Buffer = int;
    static constexpr uint32_t kMaxPending = 4;
    static constexpr uint32_t kMaxReceivers = 2;
    static constexpr uint32_t kMaxInFlight = 3;
};
using Ep = Endpoint<Traits>;
using Call = Ep::PendingCall;
using Recv = Ep::WaitingReceiver;
using CS = Ep::CallStatus;
using RS = Ep::RecvStatus;
using XS = Ep::ReturnStatus;

Call make_call(int caller, int serial, uint16_t method = 7) {
    Call c;
    c.caller = caller;
    c.user_data = static_cast<uint64_t>(serial) * 10;
    c.reply = serial;
    c.interface_id = 0xABCD;
    c.method = method;
    c.message = serial;
    c.message_len = 8;
    c.xfer_count = 1;
    c.xfers[0] = TransferRecord{cabi::make_cap_id(1, 1), cabi::TransferMode::Move};
    return c;
}

Recv make_recv(int receiver, int buffer = 0) { return Recv{receiver, static_cast<uint64_t>(receiver) * 100, buffer}; }

auto ignore = [](const auto&) {};

TEST(Endpoint, RecvThenCallHandsOff) {
    Ep ep;
    EXPECT_EQ(ep.recv(make_recv(1, 55)).status, RS::MustWait);
    ASSERT_NE(ep.next_receiver(), nullptr);
    EXPECT_EQ(ep.next_receiver()->receiver, 1);
    auto o = ep.call(make_call(10, 1), ep.epoch());
    ASSERT_EQ(o.status, CS::HandOff);
    EXPECT_EQ(o.receiver.receiver, 1);
    EXPECT_EQ(o.receiver.buffer, 55);
    EXPECT_EQ(o.receiver.user_data, 100u);
    EXPECT_NE(o.call_id, 0u);
    EXPECT_EQ(ep.receivers(), 0u);
    EXPECT_EQ(ep.in_flight(), 1u);
    const auto* f = ep.find(o.call_id);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->caller, 10);
    EXPECT_EQ(f->receiver, 1);
    auto r = ep.ret(o.call_id);
    ASSERT_EQ(r.status, XS::Completed);
    EXPECT_EQ(r.call.caller, 10);
    EXPECT_EQ(r.call.user_data, 10u);
    EXPECT_EQ(r.call.reply, 1);
    EXPECT_EQ(ep.in_flight(), 0u);
    EXPECT_TRUE(ep.invariants_hold());
}

TEST(Endpoint, CallsQueueAndAreDeliveredInOrder) {
    Ep ep;
    for (int i = 1; i <= 3; ++i) EXPECT_EQ(ep.call(make_call(10 + i, i), ep.epoch()).status, CS::Queued);
    EXPECT_EQ(ep.pending(), 3u);
    ASSERT_NE(ep.next_call(), nullptr);
    EXPECT_EQ(ep.next_call()->message, 1);
    std::set<uint32_t> ids;
    for (int i = 1; i <= 3; ++i) {
        auto d = ep.recv(make_recv(1));
        ASSERT_EQ(d.status, RS::Delivered);
        EXPECT_EQ(d.call.message, i);
        EXPECT_EQ(d.call.caller, 10 + i);
        EXPECT_EQ(d.call.xfer_count, 1u);
        EXPECT_EQ(d.call.xfers[0].mode, cabi::TransferMode::Move);
        EXPECT_TRUE(ids.insert(d.call_id).second) << "call ids are distinct";
    }
    EXPECT_EQ(ep.pending(), 0u);
    EXPECT_EQ(ep.in_flight(), 3u);
}

TEST(Endpoint, FullPendingQueueIsOverloadedAndChangesNothing) {
    Ep ep;
    for (uint32_t i = 0; i < Traits::kMaxPending; ++i)
        ASSERT_EQ(ep.call(make_call(1, static_cast<int>(i)), ep.epoch()).status, CS::Queued);
    EXPECT_EQ(ep.call(make_call(2, 99), ep.epoch()).status, CS::Overloaded);
    EXPECT_EQ(ep.pending(), Traits::kMaxPending);
    for (uint32_t i = 0; i < Traits::kMaxPending; ++i) EXPECT_EQ(ep.pending_at(i).message, static_cast<int>(i));
}

TEST(Endpoint, WaitingReceiversReserveInFlightSlots) {
    Ep ep;  // 2 receivers, 3 in flight
    ASSERT_EQ(ep.recv(make_recv(1)).status, RS::MustWait);
    ASSERT_EQ(ep.recv(make_recv(2)).status, RS::MustWait);
    EXPECT_EQ(ep.recv(make_recv(3)).status, RS::Overloaded) << "receiver queue full";
    ASSERT_EQ(ep.call(make_call(10, 1), ep.epoch()).status, CS::HandOff);
    ASSERT_EQ(ep.call(make_call(10, 2), ep.epoch()).status, CS::HandOff);
    ASSERT_EQ(ep.in_flight(), 2u);
    ASSERT_EQ(ep.recv(make_recv(1)).status, RS::MustWait);
    // 2 in flight + 1 waiting = 3: no further receiver may wait.
    EXPECT_EQ(ep.recv(make_recv(2)).status, RS::Overloaded);
    EXPECT_EQ(ep.call(make_call(10, 3), ep.epoch()).status, CS::HandOff);
    EXPECT_EQ(ep.in_flight(), 3u);
    // A queued call cannot be delivered while every slot is in flight.
    ASSERT_EQ(ep.call(make_call(10, 4), ep.epoch()).status, CS::Queued);
    EXPECT_EQ(ep.recv(make_recv(1)).status, RS::Overloaded);
    EXPECT_EQ(ep.pending(), 1u);
    EXPECT_TRUE(ep.invariants_hold());
}

TEST(Endpoint, StaleAndRepeatedCallIdsAreNoSuchCall) {
    Ep ep;
    ASSERT_EQ(ep.call(make_call(1, 1), ep.epoch()).status, CS::Queued);
    auto d = ep.recv(make_recv(5));
    ASSERT_EQ(d.status, RS::Delivered);
    EXPECT_EQ(ep.ret(0).status, XS::NoSuchCall);
    EXPECT_EQ(ep.ret(d.call_id + 1).status, XS::NoSuchCall);
    EXPECT_EQ(ep.ret(d.call_id).status, XS::Completed);
    EXPECT_EQ(ep.ret(d.call_id).status, XS::NoSuchCall) << "answered twice";
    // A newer call in the same slot has a different id; the old one stays dead.
    ASSERT_EQ(ep.call(make_call(1, 2), ep.epoch()).status, CS::Queued);
    auto d2 = ep.recv(make_recv(5));
    ASSERT_EQ(d2.status, RS::Delivered);
    EXPECT_NE(d2.call_id, d.call_id);
    EXPECT_EQ(ep.ret(d.call_id).status, XS::NoSuchCall);
    EXPECT_NE(ep.find(d2.call_id), nullptr);
}

TEST(Endpoint, CallIdsWrapSkippingZeroAndIdsInFlight) {
    Ep ep(0xFFFF'FFFEu);
    std::vector<uint32_t> ids;
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(ep.call(make_call(1, i), ep.epoch()).status, CS::Queued);
        auto d = ep.recv(make_recv(5));
        ASSERT_EQ(d.status, RS::Delivered);
        ids.push_back(d.call_id);
    }
    EXPECT_EQ(ids, (std::vector<uint32_t>{0xFFFF'FFFEu, 0xFFFF'FFFFu, 1u}));
    // Ids still in flight are skipped when the counter comes round to them.
    ASSERT_EQ(ep.ret(0xFFFF'FFFEu).status, XS::Completed);
    Ep e4(0xFFFF'FFFFu);
    ASSERT_EQ(e4.call(make_call(1, 1), e4.epoch()).status, CS::Queued);
    auto b = e4.recv(make_recv(5));
    EXPECT_EQ(b.call_id, 0xFFFF'FFFFu);
    ASSERT_EQ(e4.call(make_call(1, 2), e4.epoch()).status, CS::Queued);
    auto c = e4.recv(make_recv(5));
    EXPECT_EQ(c.call_id, 1u) << "0 is skipped";
    // 0xFFFFFFFF and 1 are in flight: coming round again skips both.
    e4.set_next_call_id(0xFFFF'FFFFu);
    ASSERT_EQ(e4.call(make_call(1, 3), e4.epoch()).status, CS::Queued);
    auto d = e4.recv(make_recv(5));
    EXPECT_EQ(d.call_id, 2u);
    EXPECT_EQ(e4.ret(b.call_id).call.reply, 1) << "the old call keeps its id";
    EXPECT_EQ(e4.ret(c.call_id).call.reply, 2);
    EXPECT_EQ(e4.ret(d.call_id).call.reply, 3);
}

TEST(Endpoint, CallerGoneRemovesQueuedAndDropsInFlightAnswers) {
    Ep ep;
    ASSERT_EQ(ep.call(make_call(1, 1), ep.epoch()).status, CS::Queued);
    ASSERT_EQ(ep.call(make_call(2, 2), ep.epoch()).status, CS::Queued);
    auto d = ep.recv(make_recv(5));  // caller 1's call in flight
    ASSERT_EQ(d.status, RS::Delivered);
    ASSERT_EQ(ep.call(make_call(1, 3), ep.epoch()).status, CS::Queued);
    ASSERT_EQ(ep.call(make_call(2, 4), ep.epoch()).status, CS::Queued);
    std::vector<int> removed;
    ep.caller_gone(1, [&](const Call& c) { removed.push_back(c.message); });
    EXPECT_EQ(removed, std::vector<int>{3});
    ASSERT_EQ(ep.pending(), 2u);
    EXPECT_EQ(ep.pending_at(0).message, 2) << "FIFO order kept";
    EXPECT_EQ(ep.pending_at(1).message, 4);
    EXPECT_TRUE(ep.find(d.call_id)->caller_gone);
    auto r = ep.ret(d.call_id);
    EXPECT_EQ(r.status, XS::Dropped);
    EXPECT_EQ(ep.ret(d.call_id).status, XS::NoSuchCall);
}

TEST(Endpoint, ReceiverGoneEndsItsCallsAndRemovesItsWaits) {
    Ep ep;
    ASSERT_EQ(ep.call(make_call(1, 1), ep.epoch()).status, CS::Queued);
    auto d = ep.recv(make_recv(5));
    ASSERT_EQ(d.status, RS::Delivered);
    ASSERT_EQ(ep.recv(make_recv(5)).status, RS::MustWait);
    ASSERT_EQ(ep.recv(make_recv(6)).status, RS::MustWait);
    std::vector<int> ended;
    ep.receiver_gone(5, [&](const Ep::InFlightCall& c) { ended.push_back(c.caller); });
    EXPECT_EQ(ended, std::vector<int>{1});
    EXPECT_EQ(ep.in_flight(), 0u);
    ASSERT_EQ(ep.receivers(), 1u);
    EXPECT_EQ(ep.receiver_at(0).receiver, 6);
    EXPECT_EQ(ep.ret(d.call_id).status, XS::NoSuchCall);
}

TEST(Endpoint, TakeReceiverAndTakeCallRefuseThePeerThatWasShown) {
    Ep ep;
    ASSERT_EQ(ep.recv(make_recv(1)).status, RS::MustWait);
    ASSERT_EQ(ep.recv(make_recv(2)).status, RS::MustWait);
    EXPECT_EQ(ep.take_receiver().receiver, 1);
    EXPECT_EQ(ep.next_receiver()->receiver, 2);
    EXPECT_EQ(ep.call(make_call(10, 1), ep.epoch()).receiver.receiver, 2);
    ASSERT_EQ(ep.call(make_call(10, 2), ep.epoch()).status, CS::Queued);
    ASSERT_EQ(ep.call(make_call(10, 3), ep.epoch()).status, CS::Queued);
    EXPECT_EQ(ep.take_call().message, 2);
    EXPECT_EQ(ep.recv(make_recv(1)).call.message, 3);
}

TEST(Endpoint, CloseReportsEveryoneAndRefusesNewWork) {
    Ep ep;
    ASSERT_EQ(ep.call(make_call(1, 1), ep.epoch()).status, CS::Queued);
    auto d = ep.recv(make_recv(5));
    ASSERT_EQ(ep.call(make_call(2, 2), ep.epoch()).status, CS::Queued);
    ASSERT_EQ(ep.call(make_call(3, 3), ep.epoch()).status, CS::Queued);
    std::vector<int> q, f, r;
    ep.close([&](const Call& c) { q.push_back(c.message); },
             [&](const Ep::InFlightCall& c) { f.push_back(c.caller); },
             [&](const Recv& w) { r.push_back(w.receiver); });
    EXPECT_EQ(q, (std::vector<int>{2, 3}));
    EXPECT_EQ(f, std::vector<int>{1});
    EXPECT_TRUE(r.empty());
    EXPECT_TRUE(ep.closed());
    EXPECT_EQ(ep.call(make_call(1, 9), ep.epoch()).status, CS::Closed);
    EXPECT_EQ(ep.recv(make_recv(5)).status, RS::Closed);
    EXPECT_EQ(ep.ret(d.call_id).status, XS::NoSuchCall);
    EXPECT_TRUE(ep.invariants_hold());

    Ep ep2;
    ASSERT_EQ(ep2.recv(make_recv(7)).status, RS::MustWait);
    ep2.close(ignore, ignore, [&](const Recv& w) { r.push_back(w.receiver); });
    EXPECT_EQ(r, std::vector<int>{7});
}

TEST(Endpoint, RevokeCutsOffOldFacetsAndKeepsTheServer) {
    Ep ep;
    uint64_t old_epoch = ep.epoch();
    ASSERT_EQ(ep.call(make_call(1, 1), old_epoch).status, CS::Queued);
    auto d = ep.recv(make_recv(5));
    ASSERT_EQ(ep.call(make_call(2, 2), old_epoch).status, CS::Queued);
    std::vector<int> q, f;
    ASSERT_TRUE(ep.revoke([&](const Call& c) { q.push_back(c.message); },
                          [&](const Ep::InFlightCall& c) { f.push_back(c.caller); })
                    .ok());
    EXPECT_EQ(q, std::vector<int>{2});
    EXPECT_EQ(f, std::vector<int>{1});
    EXPECT_NE(ep.epoch(), old_epoch);
    EXPECT_FALSE(ep.closed());
    EXPECT_EQ(ep.call(make_call(1, 3), old_epoch).status, CS::Revoked);
    EXPECT_EQ(ep.pending(), 0u);
    // The server's answer to the revoked call is dropped, not an error.
    EXPECT_EQ(ep.ret(d.call_id).status, XS::Dropped);
    // A facet minted now works, and waiting receivers were kept.
    ASSERT_EQ(ep.recv(make_recv(5)).status, RS::MustWait);
    ASSERT_TRUE(ep.revoke(ignore, ignore).ok());
    EXPECT_EQ(ep.receivers(), 1u);
    EXPECT_EQ(ep.call(make_call(1, 4), ep.epoch()).status, CS::HandOff);
}

TEST(Epoch, ValidOnlyAtTheCurrentEpochAndNeverWraps) {
    Epoch e;
    uint64_t a = e.mint();
    EXPECT_TRUE(e.valid(a));
    ASSERT_TRUE(e.revoke().ok());
    EXPECT_FALSE(e.valid(a));
    EXPECT_TRUE(e.valid(e.mint()));
    Epoch top(Epoch::kMax);
    EXPECT_EQ(top.revoke().error(), Error::LimitExceeded);
    EXPECT_EQ(top.current(), Epoch::kMax);
}

// The epoch lives beside the object reference in each slot and travels with
// Copy and Move transfers through the real Transaction.
struct Service {
    static constexpr uint64_t kInterfaceId = 0x5E;
};

TEST(Epoch, EpochRefTravelsWithTransfers) {
    using R = EpochRef<Service*>;
    Service svc;
    Epoch e;
    std::array<cap::Slot<R>, 4> sa{}, sb{};
    cap::CapTable<R> a, b;
    ASSERT_TRUE(a.init(sa).ok());
    ASSERT_TRUE(b.init(sb).ok());
    cabi::CapId id = a.insert(R{&svc, e.mint()}, Service::kInterfaceId).value();
    std::array<cap::TransferredCap, 2> out{};
    {
        cap::Transaction<R> t(a, b);
        ASSERT_TRUE(t.add(id, cabi::TransferMode::Copy).ok());
        ASSERT_TRUE(t.add(id, cabi::TransferMode::Move).ok());
        t.commit(out);
    }
    EXPECT_FALSE(a.resolve(id).ok());
    for (const auto& x : out) {
        auto entry = b.resolve(x.id);
        ASSERT_TRUE(entry.ok());
        EXPECT_EQ(entry.value().object->object, &svc);
        EXPECT_TRUE(e.valid(entry.value().object->epoch));
        EXPECT_EQ(b.lookup<Service>(x.id).value(), &svc);
    }
    ASSERT_TRUE(e.revoke().ok());
    for (const auto& x : out) EXPECT_FALSE(e.valid(b.resolve(x.id).value().object->epoch));
    cabi::CapId fresh = b.insert(R{&svc, e.mint()}, Service::kInterfaceId).value();
    EXPECT_TRUE(e.valid(b.resolve(fresh).value().object->epoch));
}

TEST(RecvPrefix, LayoutMatchesTheAbi) {
    std::array<cabi::TransferResult, 2> x{};
    x[0] = {cabi::make_cap_id(3, 2), 0, 0x1111};
    x[1] = {cabi::make_cap_id(4, 9), 0, 0x2222};
    auto p = RecvPrefix::make(0x1234, 0xCAB0, 5, 40, x).value();
    ASSERT_EQ(p.bytes().size(), 64u + 32u);
    EXPECT_EQ(recv_bytes_needed(2, 40), 64u + 32u + 40u);
    cabi::RecvHeader h;
    std::memcpy(&h, p.bytes().data(), sizeof h);
    EXPECT_EQ(h.call_id, 0x1234u);
    EXPECT_EQ(h.interface_id, 0xCAB0u);
    EXPECT_EQ(h.method, 5u);
    EXPECT_EQ(h.xfer_count, 2u);
    EXPECT_EQ(h.params_len, 40u);
    EXPECT_EQ(h.flags | h.caller_ref_lo | h.caller_ref_hi | h.caller_epoch | h.caller_liveness |
                  h.reserved0 | h.reserved1,
              0u);
    cabi::TransferResult r1;
    std::memcpy(&r1, p.bytes().data() + 64 + 16, sizeof r1);
    EXPECT_EQ(r1.cap_id, x[1].cap_id);
    EXPECT_EQ(r1.interface_id, 0x2222u);
    std::array<cabi::TransferResult, cabi::kMaxTransfers + 1> many{};
    EXPECT_EQ(RecvPrefix::make(1, 1, 1, 0, many).error(), Error::LimitExceeded);
    EXPECT_EQ(RecvPrefix::make(1, 1, 1, 0, std::span(many).first(cabi::kMaxTransfers)).value().bytes().size(),
              RecvPrefix::kMaxBytes);
}

// ---------------------------------------------------------------------------
// Property test against a reference model.

struct MCall {
    int caller;
    int serial;
};
struct MFlight {
    int caller;
    int serial;
    int receiver;
    bool gone;
};

struct Model {
    std::deque<MCall> pending;
    std::deque<int> receivers;
    std::map<uint32_t, MFlight> flight;
    std::set<uint32_t> issued;
    std::set<int> gone_callers;
    uint64_t epoch = 0;
    bool closed = false;
};

// How each accepted call ended; every serial ends exactly once.
enum class End { None, Completed, Dropped, Disconnected, Removed, Refused };

struct Harness {
    Ep ep;
    Model m;
    std::map<int, End> ends;  // every accepted serial
    int next_serial = 1;

    void end(int serial, End how) {
        RC_ASSERT(ends.count(serial) == 1u);
        RC_ASSERT(ends[serial] == End::None);  // never ended twice
        ends[serial] = how;
    }

    void check_state() {
        RC_ASSERT(ep.invariants_hold());
        RC_ASSERT(ep.pending() == m.pending.size());
        RC_ASSERT(ep.pending() <= Traits::kMaxPending);
        for (uint32_t i = 0; i < ep.pending(); ++i) {
            RC_ASSERT(ep.pending_at(i).message == m.pending[i].serial);
            RC_ASSERT(ep.pending_at(i).caller == m.pending[i].caller);
        }
        RC_ASSERT(ep.receivers() == m.receivers.size());
        for (uint32_t i = 0; i < ep.receivers(); ++i) RC_ASSERT(ep.receiver_at(i).receiver == m.receivers[i]);
        RC_ASSERT(ep.in_flight() == m.flight.size());
        for (auto& [id, f] : m.flight) {
            const auto* c = ep.find(id);
            RC_ASSERT(c != nullptr);
            RC_ASSERT(c->reply == f.serial);
            RC_ASSERT(c->caller_gone == f.gone);
        }
        // Every issued id not in flight is dead.
        for (uint32_t id : m.issued)
            if (!m.flight.count(id)) RC_ASSERT(ep.find(id) == nullptr);
        RC_ASSERT(ep.closed() == m.closed);
        RC_ASSERT(ep.epoch() == m.epoch);
        // Every serial not ended is in exactly one place.
        std::map<int, int> where;
        for (auto& c : m.pending) ++where[c.serial];
        for (auto& [id, f] : m.flight)
            if (!f.gone) ++where[f.serial];
        for (auto& [s, e] : ends) {
            if (e == End::None) RC_ASSERT(where[s] == 1);
            else RC_ASSERT(where[s] == 0);
        }
    }

    void issue(uint32_t id) {
        RC_ASSERT(id != 0u);
        RC_ASSERT(m.issued.insert(id).second);  // an id is never issued twice
    }

    void op(uint32_t x) {
        uint32_t kind = x % 11;
        int a = static_cast<int>((x / 11) % 3);
        uint32_t b = x / 33;
        switch (kind) {
        case 0:
        case 1:
        case 2: {  // call from caller a, sometimes through a revoked facet
            int serial = next_serial++;
            bool stale = m.epoch > 0 && b % 5 == 0;
            uint64_t e = stale ? m.epoch - 1 : m.epoch;
            auto o = ep.call(make_call(a, serial), e);
            if (m.closed) {
                RC_ASSERT(o.status == CS::Closed);
            } else if (stale) {
                RC_ASSERT(o.status == CS::Revoked);
            } else if (!m.receivers.empty()) {
                RC_ASSERT(o.status == CS::HandOff);
                RC_ASSERT(o.receiver.receiver == m.receivers.front());
                issue(o.call_id);
                m.flight[o.call_id] = {a, serial, m.receivers.front(), false};
                m.receivers.pop_front();
                ends[serial] = End::None;
            } else if (m.pending.size() == Traits::kMaxPending) {
                RC_ASSERT(o.status == CS::Overloaded);
            } else {
                RC_ASSERT(o.status == CS::Queued);
                m.pending.push_back({a, serial});
                ends[serial] = End::None;
            }
            break;
        }
        case 3:
        case 4: {  // recv by receiver 100 + a
            int r = 100 + a;
            auto o = ep.recv(make_recv(r));
            if (m.closed) {
                RC_ASSERT(o.status == RS::Closed);
            } else if (!m.pending.empty()) {
                if (m.flight.size() == Traits::kMaxInFlight) {
                    RC_ASSERT(o.status == RS::Overloaded);
                } else {
                    RC_ASSERT(o.status == RS::Delivered);
                    RC_ASSERT(o.call.message == m.pending.front().serial);  // FIFO
                    issue(o.call_id);
                    m.flight[o.call_id] = {m.pending.front().caller, m.pending.front().serial, r, false};
                    m.pending.pop_front();
                }
            } else if (m.receivers.size() == Traits::kMaxReceivers ||
                       m.flight.size() + m.receivers.size() >= Traits::kMaxInFlight) {
                RC_ASSERT(o.status == RS::Overloaded);
            } else {
                RC_ASSERT(o.status == RS::MustWait);
                m.receivers.push_back(r);
            }
            break;
        }
        case 5:
        case 6: {  // ret: a live id, an issued dead id or an arbitrary one
            uint32_t id = b;
            if (a == 0 && !m.flight.empty()) {
                auto it = m.flight.begin();
                std::advance(it, b % m.flight.size());
                id = it->first;
            } else if (a == 1 && !m.issued.empty()) {
                auto it = m.issued.begin();
                std::advance(it, b % m.issued.size());
                id = *it;
            }
            auto o = ep.ret(id);
            auto it = m.flight.find(id);
            if (it == m.flight.end()) {
                RC_ASSERT(o.status == XS::NoSuchCall);
            } else {
                RC_ASSERT(o.call.reply == it->second.serial);
                if (it->second.gone) {
                    RC_ASSERT(o.status == XS::Dropped);
                } else {
                    RC_ASSERT(o.status == XS::Completed);
                    RC_ASSERT(o.call.caller == it->second.caller);
                    end(it->second.serial, End::Completed);
                }
                m.flight.erase(it);
            }
            break;
        }
        case 7: {  // caller a exits
            std::vector<int> removed;
            ep.caller_gone(a, [&](const Call& c) { removed.push_back(c.message); });
            std::vector<int> expect;
            std::deque<MCall> keep;
            for (auto& c : m.pending) (c.caller == a ? expect.push_back(c.serial) : keep.push_back(c));
            m.pending = keep;
            RC_ASSERT(removed == expect);
            for (int s : removed) end(s, End::Removed);
            for (auto& [id, f] : m.flight)
                if (f.caller == a && !f.gone) {
                    f.gone = true;
                    end(f.serial, End::Dropped);
                }
            break;
        }
        case 8: {  // receiver 100 + a exits, or refuses the peer it was shown
            int r = 100 + a;
            if (b % 3 == 0 && !m.receivers.empty()) {
                RC_ASSERT(ep.take_receiver().receiver == m.receivers.front());
                m.receivers.pop_front();
            } else if (b % 3 == 1 && !m.pending.empty()) {
                RC_ASSERT(ep.take_call().message == m.pending.front().serial);
                end(m.pending.front().serial, End::Refused);
                m.pending.pop_front();
            } else {
                std::vector<int> ended;
                ep.receiver_gone(r, [&](const Ep::InFlightCall& c) { ended.push_back(c.reply); });
                std::erase(m.receivers, r);
                std::vector<int> expect;
                for (auto it = m.flight.begin(); it != m.flight.end();) {
                    if (it->second.receiver == r) {
                        expect.push_back(it->second.serial);
                        if (!it->second.gone) end(it->second.serial, End::Disconnected);
                        it = m.flight.erase(it);
                    } else {
                        ++it;
                    }
                }
                std::sort(ended.begin(), ended.end());
                std::sort(expect.begin(), expect.end());
                RC_ASSERT(ended == expect);
            }
            break;
        }
        case 9: {  // revoke
            std::vector<int> q, f;
            RC_ASSERT(ep.revoke([&](const Call& c) { q.push_back(c.message); },
                                [&](const Ep::InFlightCall& c) { f.push_back(c.reply); })
                          .ok());
            ++m.epoch;
            std::vector<int> eq, ef;
            for (auto& c : m.pending) eq.push_back(c.serial);
            m.pending.clear();
            for (auto& [id, fl] : m.flight)
                if (!fl.gone) {
                    ef.push_back(fl.serial);
                    fl.gone = true;
                }
            std::sort(f.begin(), f.end());
            std::sort(ef.begin(), ef.end());
            RC_ASSERT(q == eq);
            RC_ASSERT(f == ef);
            for (int s : q) end(s, End::Disconnected);
            for (int s : f) end(s, End::Disconnected);
            break;
        }
        case 10: {  // close (rarely)
            if (b % 4 != 0) break;
            std::vector<int> q, f, r;
            ep.close([&](const Call& c) { q.push_back(c.message); },
                     [&](const Ep::InFlightCall& c) { f.push_back(c.reply); },
                     [&](const Recv& w) { r.push_back(w.receiver); });
            std::vector<int> eq, ef, er(m.receivers.begin(), m.receivers.end());
            for (auto& c : m.pending) eq.push_back(c.serial);
            for (auto& [id, fl] : m.flight) {
                ef.push_back(fl.serial);
                if (!fl.gone) end(fl.serial, End::Disconnected);
            }
            for (int s : eq) end(s, End::Disconnected);
            std::sort(f.begin(), f.end());
            std::sort(ef.begin(), ef.end());
            RC_ASSERT(q == eq);
            RC_ASSERT(f == ef);
            RC_ASSERT(r == er);
            m.pending.clear();
            m.flight.clear();
            m.receivers.clear();
            m.closed = true;
            break;
        }
        }
        check_state();
    }
};

TEST(EndpointProperty, MatchesTheReferenceModel) {
    rc::check("random call/recv/ret/caller_gone/receiver_gone/revoke/close sequences", [] {
        auto ops = *rc::gen::container<std::vector<uint32_t>>(rc::gen::inRange<uint32_t>(0, 11 * 3 * 40));
        Harness h;
        for (uint32_t x : ops) h.op(x);
        // Closing at the end accounts for everything still open: no call lost.
        h.op(10);
        RC_ASSERT(h.m.closed);
        for (auto& [s, e] : h.ends) RC_ASSERT(e != End::None);
    });
}

}  // namespace

// Bounded exhaustive check of lib/cap: CapTable and Transaction, the real
// templates instantiated with a counted reference.
//
// Configuration: two tables (A, B) of four slots each, two objects with
// different interfaces. From the empty state, every sequence of operations
// up to the depth bound is enumerated breadth first; a state whose
// fingerprint (every slot field, the free list, the counters and the
// reference model) was seen before is not expanded again.
//
// Operations (all of them, at every state):
//   insert(t, o)            both tables, both objects (a full table must refuse)
//   release(t, id)          every live capability
//   release(t, stale id)    for every slot that has one (the last id it
//                           issued, or one it has not issued yet)
//   transfer s -> d         A->B, B->A, A->A, B->B; 1 entry (the "basic"
//                           pass) or 2 entries (the "multi" pass): each
//                           entry a live or stale source, Copy or Move;
//                           then commit (or abort when an add failed), or
//                           drop the transaction (its destructor aborts)
//
// Checked after every step (state invariants):
//   - an id resolves iff the reference model says it is live: every
//     generation of every slot up to one past the current is probed, so a
//     stale generation never resolves; ids at or past the capacity and id 0
//     never resolve; lookup with the wrong interface fails; typed lookup
//     yields the object
//   - live slot counts, free slot counts and the FIFO free list equal the
//     reference model's
//   - every object's reference count equals the number of slots holding it
// and for every transition:
//   - insert yields the id the model predicts (FIFO slot reuse, the slot's
//     current generation), or CapTableFull with both tables unchanged
//   - a refused operation (stale release, a failed or dropped transfer)
//     leaves both tables byte for byte as before (slot arrays and counters)
//   - while a transaction is open: insert and release on either table are
//     Busy, a second transaction adds nothing, reserved slots do not
//     resolve, moved sources still resolve, and none of this changes a byte
//   - commit yields the predicted ids; a moved capability has exactly one
//     holder afterwards (its old id is stale, its new id resolves to the
//     same object)
//
// Usage: model_cap [basic_depth [multi_depth]]
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

#include "abi/cap_id.hpp"
#include "abi/ring.hpp"
#include "lib/cap/cap_table.hpp"
#include "lib/cap/transfer.hpp"
#include "tests/model/model.hpp"

namespace {

using namespace capos;
using namespace capos::cap;
using model::Counted;
using model::CountedRef;
namespace cabi = capos::abi;
using cabi::CapId;
using cabi::TransferMode;

constexpr uint32_t kTables = 2;
constexpr uint32_t kSlots = 4;
constexpr uint32_t kObjects = 2;
constexpr uint32_t kMaxEntries = 2;

struct ObjA : Counted {
    static constexpr uint64_t kInterfaceId = 0xA0A0'0000'0000'0001ull;
};
struct ObjB : Counted {
    static constexpr uint64_t kInterfaceId = 0xB1B1'0000'0000'0002ull;
};
constexpr uint64_t kIface[kObjects] = {ObjA::kInterfaceId, ObjB::kInterfaceId};
constexpr uint64_t kUnusedIface = 0xC2C2'0000'0000'0003ull;

using Table = CapTable<CountedRef>;
using SlotT = Slot<CountedRef>;
static_assert(sizeof(SlotT) == 24, "no padding: byte comparison of slots is exact");

// ---------------------------------------------------------------------------
// Reference model

struct MSlot {
    bool live = false;
    uint8_t obj = 0;
    uint16_t gen = 1;  // live: the generation of its id; free: the next id's
};

struct MTable {
    std::array<MSlot, kSlots> s{};
    std::array<uint8_t, kSlots> free_q{0, 1, 2, 3};  // FIFO: front is reused first
    uint8_t free_n = kSlots;

    uint8_t pop_front() {
        uint8_t v = free_q[0];
        for (uint32_t i = 1; i < free_n; ++i) free_q[i - 1] = free_q[i];
        --free_n;
        return v;
    }
    void push_back(uint8_t v) { free_q[free_n++] = v; }
    uint32_t live() const { return kSlots - free_n; }
    CapId live_id(uint32_t i) const { return cabi::make_cap_id(i, s[i].gen); }
    // The stale id probed for slot i: the last id it issued (gen - 1), or,
    // for a slot never released, the id it has not issued yet. None for a
    // live slot in its first generation.
    bool stale_id(uint32_t i, CapId* out) const {
        if (s[i].gen > 1) {
            *out = cabi::make_cap_id(i, s[i].gen - 1);
            return true;
        }
        if (!s[i].live) {
            *out = cabi::make_cap_id(i, s[i].gen);
            return true;
        }
        return false;
    }
};

struct Model {
    std::array<MTable, kTables> t{};
};

// ---------------------------------------------------------------------------
// Operations

enum class OpKind : uint8_t { Insert, Release, ReleaseStale, Transfer };
enum class TxEnd : uint8_t { Commit, Drop };

struct Entry {
    uint8_t slot = 0;
    bool stale = false;
    TransferMode mode = TransferMode::Copy;
};

struct Op {
    OpKind kind = OpKind::Insert;
    uint8_t t = 0;  // table (Insert/Release*), source table (Transfer)
    uint8_t u = 0;  // object (Insert), slot (Release*), dest table (Transfer)
    uint8_t n = 0;  // Transfer: entries
    TxEnd end = TxEnd::Commit;
    std::array<Entry, kMaxEntries> e{};
};

std::string describe(const Op& op) {
    char buf[160];
    const char* tn = "AB";
    switch (op.kind) {
    case OpKind::Insert:
        std::snprintf(buf, sizeof buf, "insert(%c, obj%u)", tn[op.t], op.u);
        return buf;
    case OpKind::Release:
        std::snprintf(buf, sizeof buf, "release(%c, slot %u)", tn[op.t], op.u);
        return buf;
    case OpKind::ReleaseStale:
        std::snprintf(buf, sizeof buf, "release(%c, stale id of slot %u)", tn[op.t], op.u);
        return buf;
    case OpKind::Transfer: {
        std::string s = std::string("transfer ") + tn[op.t] + "->" + tn[op.u] + " [";
        for (uint32_t k = 0; k < op.n; ++k) {
            std::snprintf(buf, sizeof buf, "%s%s slot %u %s", k ? ", " : "",
                          op.e[k].stale ? "stale" : "live", op.e[k].slot,
                          op.e[k].mode == TransferMode::Move ? "move" : "copy");
            s += buf;
        }
        s += op.end == TxEnd::Commit ? "] commit" : "] drop";
        return s;
    }
    }
    return "?";
}

// ---------------------------------------------------------------------------
// The world: the real tables, the objects and the model.

struct World {
    ObjA a;
    ObjB b;
    std::array<Counted*, kObjects> objs{&a, &b};
    std::array<std::array<SlotT, kSlots>, kTables> storage{};
    std::array<Table, kTables> tables{};
    Model m;

    World() {
        for (uint32_t t = 0; t < kTables; ++t)
            MODEL_REQUIRE(tables[t].init(storage[t]).ok(), "cap.init", "init failed");
    }
    ~World() {
        for (auto& t : tables) t.release_all([](CountedRef&&) {});
    }
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    int obj_index(const Counted* p) const {
        for (uint32_t o = 0; o < kObjects; ++o)
            if (objs[o] == p) return static_cast<int>(o);
        return p == nullptr ? -1 : -2;
    }
};

// Byte image of both tables: slot arrays plus every public counter.
struct Raw {
    std::array<unsigned char, kTables * kSlots * sizeof(SlotT)> bytes{};
    std::array<uint32_t, kTables * 5> meta{};
    bool operator==(const Raw&) const = default;
};

Raw raw(const World& w) {
    Raw r;
    for (uint32_t t = 0; t < kTables; ++t) {
        const Table& tb = w.tables[t];
        std::memcpy(r.bytes.data() + t * kSlots * sizeof(SlotT), tb.slots().data(), tb.slots().size_bytes());
        r.meta[t * 5 + 0] = tb.free_head();
        r.meta[t * 5 + 1] = tb.free_tail();
        r.meta[t * 5 + 2] = tb.size();
        r.meta[t * 5 + 3] = tb.free_slots();
        r.meta[t * 5 + 4] = tb.transaction_open();
    }
    return r;
}

model::Fingerprint fingerprint(const World& w) {
    model::Fingerprint f;
    for (uint32_t t = 0; t < kTables; ++t) {
        const Table& tb = w.tables[t];
        for (const SlotT& s : tb.slots()) {
            f.add_value(static_cast<int8_t>(w.obj_index(s.object.get())));
            f.add_value(s.interface_id);
            f.add_value(s.next_free);
            f.add_value(s.generation);
            f.add_value(s.state);
            f.add_value(s.pending_move);
        }
        f.add_value(tb.free_head());
        f.add_value(tb.free_tail());
        f.add_value(tb.size());
        f.add_value(tb.free_slots());
        const MTable& mt = w.m.t[t];
        for (const MSlot& s : mt.s) {
            f.add_value(s.live);
            f.add_value(s.obj);
            f.add_value(s.gen);
        }
        f.add(mt.free_q.data(), mt.free_n);
        f.add_value(mt.free_n);
    }
    return f;
}

// ---------------------------------------------------------------------------
// State invariants

void check_state(World& w) {
    std::array<int, kObjects> holders{};
    for (uint32_t t = 0; t < kTables; ++t) {
        Table& tb = w.tables[t];
        const MTable& mt = w.m.t[t];
        MODEL_REQUIRE(!tb.transaction_open(), "cap.txn", "table %u: transaction left open", t);
        MODEL_REQUIRE(tb.size() == mt.live(), "cap.count", "table %u: size %u, model %u", t, tb.size(),
                      mt.live());
        MODEL_REQUIRE(tb.free_slots() == kSlots - mt.live(), "cap.count", "table %u: free_slots %u, model %u",
                      t, tb.free_slots(), kSlots - mt.live());
        for (uint32_t i = 0; i < kSlots; ++i) {
            const SlotT& sl = tb.slots()[i];
            const MSlot& ms = mt.s[i];
            // Probe every generation this slot has had, and the next one.
            for (uint32_t g = 0; g <= uint32_t{ms.gen} + 1u && g <= cabi::kCapIdGenerationMax; ++g) {
                CapId id = cabi::make_cap_id(i, g);
                bool expect = ms.live && g == ms.gen;
                auto r = tb.resolve(id);
                MODEL_REQUIRE(r.ok() == expect, "cap.stale",
                              "table %u: id %#x (slot %u gen %u) %s, model says %s", t, id, i, g,
                              r.ok() ? "resolves" : "does not resolve", expect ? "live" : "dead");
                if (!r.ok()) {
                    MODEL_REQUIRE(r.error() == Error::CapStale, "cap.stale", "resolve error %s", model::err(r.error()));
                    auto l = tb.lookup(id, kIface[0]);
                    MODEL_REQUIRE(!l.ok() && l.error() == Error::CapStale, "cap.lookup",
                                  "lookup of a dead id did not fail as stale");
                    continue;
                }
                MODEL_REQUIRE(r.value().object->get() == w.objs[ms.obj] && r.value().interface_id == kIface[ms.obj] &&
                                  r.value().id == id,
                              "cap.lookup", "table %u: id %#x resolves to the wrong object", t, id);
                MODEL_REQUIRE(tb.lookup(id, kIface[ms.obj]).ok(), "cap.lookup", "lookup with the right interface failed");
                auto wrong = tb.lookup(id, kUnusedIface);
                MODEL_REQUIRE(!wrong.ok() && wrong.error() == Error::CapWrongInterface, "cap.lookup",
                              "lookup with the wrong interface did not fail");
                if (ms.obj == 0) {
                    auto ta = tb.lookup<ObjA>(id);
                    MODEL_REQUIRE(ta.ok() && ta.value() == &w.a, "cap.lookup", "typed lookup<ObjA> failed");
                    MODEL_REQUIRE(tb.lookup<ObjB>(id).error() == Error::CapWrongInterface, "cap.lookup",
                                  "typed lookup<ObjB> of an ObjA did not fail");
                } else {
                    auto tb2 = tb.lookup<ObjB>(id);
                    MODEL_REQUIRE(tb2.ok() && tb2.value() == &w.b, "cap.lookup", "typed lookup<ObjB> failed");
                    MODEL_REQUIRE(tb.lookup<ObjA>(id).error() == Error::CapWrongInterface, "cap.lookup",
                                  "typed lookup<ObjA> of an ObjB did not fail");
                }
            }
            // Raw slot agrees with the model.
            MODEL_REQUIRE((sl.state == SlotState::Live) == ms.live, "cap.slot", "table %u slot %u: state %u, model %s",
                          t, i, static_cast<unsigned>(sl.state), ms.live ? "live" : "free");
            MODEL_REQUIRE(sl.generation == ms.gen, "cap.generation", "table %u slot %u: generation %u, model %u", t, i,
                          sl.generation, ms.gen);
            MODEL_REQUIRE(sl.pending_move == 0, "cap.slot", "table %u slot %u: pending_move outside a transaction", t, i);
            if (ms.live) {
                MODEL_REQUIRE(sl.object.get() == w.objs[ms.obj] && sl.interface_id == kIface[ms.obj], "cap.slot",
                              "table %u slot %u: wrong object", t, i);
                ++holders[ms.obj];
            } else {
                MODEL_REQUIRE(sl.object.get() == nullptr && sl.interface_id == 0, "cap.slot",
                              "table %u slot %u: free slot keeps an object", t, i);
            }
        }
        // Ids past the capacity and id 0 never resolve.
        for (uint32_t i = kSlots; i < kSlots + 2; ++i)
            MODEL_REQUIRE(!tb.resolve(cabi::make_cap_id(i, 1)).ok(), "cap.stale", "index %u past capacity resolves", i);
        MODEL_REQUIRE(!tb.resolve(cabi::kCapIdNone).ok(), "cap.stale", "id 0 resolves");
        // The free list is the model's FIFO, in order.
        uint32_t idx = tb.free_head();
        uint32_t last = kNoSlot;
        for (uint32_t k = 0; k < mt.free_n; ++k) {
            MODEL_REQUIRE(idx == mt.free_q[k], "cap.freelist", "table %u: free list position %u is %u, model %u", t,
                          k, idx, mt.free_q[k]);
            MODEL_REQUIRE(tb.slots()[idx].state == SlotState::Free, "cap.freelist", "free list holds a used slot");
            last = idx;
            idx = tb.slots()[idx].next_free;
        }
        MODEL_REQUIRE(idx == kNoSlot && tb.free_tail() == last, "cap.freelist", "table %u: free list tail wrong", t);
    }
    for (uint32_t o = 0; o < kObjects; ++o)
        MODEL_REQUIRE(w.objs[o]->refs == holders[o], "cap.refcount", "object %u: %d references, %d holders", o,
                      w.objs[o]->refs, holders[o]);
}

// ---------------------------------------------------------------------------
// Transitions. `check` is false while replaying a path already checked.

void apply_insert(World& w, const Op& op, bool check) {
    Table& tb = w.tables[op.t];
    MTable& mt = w.m.t[op.t];
    Raw before;
    if (check) before = raw(w);
    auto r = tb.insert(CountedRef(w.objs[op.u]), kIface[op.u]);
    if (mt.free_n == 0) {
        if (!check) return;
        MODEL_REQUIRE(!r.ok() && r.error() == Error::CapTableFull, "cap.insert", "insert into a full table: %s",
                      r.ok() ? "succeeded" : model::err(r.error()));
        MODEL_REQUIRE(raw(w) == before, "cap.rollback", "a refused insert changed the tables");
        return;
    }
    uint8_t i = mt.pop_front();
    if (check)
        MODEL_REQUIRE(r.ok() && r.value() == mt.live_id(i), "cap.insert", "insert gave %s %#x, model predicts %#x",
                      r.ok() ? "id" : model::err(r.error()), r.ok() ? r.value() : 0, mt.live_id(i));
    mt.s[i].live = true;
    mt.s[i].obj = op.u;
}

void apply_release(World& w, const Op& op, bool check) {
    Table& tb = w.tables[op.t];
    MTable& mt = w.m.t[op.t];
    MSlot& ms = mt.s[op.u];
    {
        auto r = tb.release(mt.live_id(op.u));
        if (check) {
            MODEL_REQUIRE(r.ok(), "cap.release", "release of a live id failed: %s", model::err(r.error()));
            MODEL_REQUIRE(r.value().get() == w.objs[ms.obj], "cap.release", "release handed back the wrong object");
        }
    }  // the handed-back reference drops here
    ms.live = false;
    ms.gen = static_cast<uint16_t>(cabi::next_cap_generation(ms.gen));
    mt.push_back(op.u);
}

void apply_release_stale(World& w, const Op& op, bool check) {
    if (!check) return;  // changes nothing (checked when first explored)
    CapId id;
    if (!w.m.t[op.t].stale_id(op.u, &id)) return;
    Raw before = raw(w);
    auto r = w.tables[op.t].release(id);
    MODEL_REQUIRE(!r.ok() && r.error() == Error::CapStale, "cap.stale", "release of stale id %#x: %s", id,
                  r.ok() ? "succeeded" : model::err(r.error()));
    MODEL_REQUIRE(raw(w) == before, "cap.rollback", "a refused release changed the tables");
}

// Probes a table pair while `tx` is open: every mutation is refused and
// nothing changes.
void probe_open(World& w, uint32_t s, uint32_t d, CapId source_id, CapId reserved_id, bool source_live) {
    Raw mid = raw(w);
    for (uint32_t t : {s, d}) {
        Table& tb = w.tables[t];
        MODEL_REQUIRE(tb.transaction_open(), "cap.txn", "table %u not marked open", t);
        auto ins = tb.insert(CountedRef(w.objs[0]), kIface[0]);
        MODEL_REQUIRE(!ins.ok() && ins.error() == Error::Busy, "cap.busy", "insert during a transaction: %s",
                      ins.ok() ? "succeeded" : model::err(ins.error()));
        for (uint32_t i = 0; i < kSlots; ++i) {
            if (!w.m.t[t].s[i].live) continue;
            auto rel = tb.release(w.m.t[t].live_id(i));
            MODEL_REQUIRE(!rel.ok() && rel.error() == Error::Busy, "cap.busy", "release during a transaction: %s",
                          rel.ok() ? "succeeded" : model::err(rel.error()));
        }
    }
    {
        Transaction<CountedRef> second(w.tables[s], w.tables[d]);
        auto r = second.add(source_id, TransferMode::Copy);
        MODEL_REQUIRE(!r.ok() && r.error() == Error::Busy, "cap.busy", "a second transaction added an entry");
    }
    MODEL_REQUIRE(!w.tables[d].resolve(reserved_id).ok(), "cap.txn", "a reserved slot resolves before commit");
    if (source_live)
        MODEL_REQUIRE(w.tables[s].resolve(source_id).ok(), "cap.txn", "a source stopped resolving before commit");
    MODEL_REQUIRE(raw(w) == mid, "cap.rollback", "refused operations during a transaction changed the tables");
}

void apply_transfer(World& w, const Op& op, bool check) {
    const uint32_t s = op.t, d = op.u;
    Raw before;
    if (check) before = raw(w);
    MTable dq = w.m.t[d];  // reservations come off a copy until commit
    std::array<uint8_t, kSlots> pending_move{};
    std::array<uint8_t, kMaxEntries> dst{};
    std::array<CapId, kMaxEntries> src_id{};
    bool failed = false;
    uint32_t added = 0;
    {
        Transaction<CountedRef> tx(w.tables[s], w.tables[d]);
        for (uint32_t k = 0; k < op.n; ++k) {
            const Entry& e = op.e[k];
            const MTable& sm = w.m.t[s];
            CapId id = 0;
            Error expect_err = Error::InvalidArgument;
            bool expect_ok = false;
            if (e.stale) {
                if (!sm.stale_id(e.slot, &id)) id = cabi::kCapIdNone;
                expect_err = Error::CapStale;
            } else {
                id = sm.live_id(e.slot);
                if (pending_move[e.slot])
                    expect_err = Error::CapTransferConflict;
                else if (dq.free_n == 0)
                    expect_err = Error::CapTableFull;
                else
                    expect_ok = true;
            }
            auto r = tx.add(id, e.mode);
            if (check)
                MODEL_REQUIRE(r.ok() == expect_ok && (r.ok() || r.error() == expect_err), "cap.transfer",
                              "add #%u: %s, model expects %s", k, r.ok() ? "ok" : model::err(r.error()),
                              expect_ok ? "ok" : model::err(expect_err));
            if (!expect_ok) {
                failed = true;
                break;
            }
            dst[k] = dq.pop_front();
            src_id[k] = id;
            if (e.mode == TransferMode::Move) pending_move[e.slot] = 1;
            ++added;
            if (check) probe_open(w, s, d, id, cabi::make_cap_id(dst[k], dq.s[dst[k]].gen), true);
        }
        if (failed || op.end == TxEnd::Drop) {
            if (failed) tx.abort();
            // else: the destructor aborts
        } else {
            std::array<TransferredCap, kMaxEntries> out{};
            tx.commit(out);
            // Model: reservations in add order, then per entry (in order)
            // a Move frees its source (to the back of the free list).
            MTable& dm = w.m.t[d];
            for (uint32_t k = 0; k < added; ++k) {
                uint8_t slot = dm.pop_front();
                if (check)
                    MODEL_REQUIRE(slot == dst[k], "cap.transfer", "reservation order diverged");
            }
            for (uint32_t k = 0; k < added; ++k) {
                const Entry& e = op.e[k];
                MTable& sm = w.m.t[s];
                uint8_t obj = sm.s[e.slot].obj;
                if (e.mode == TransferMode::Move) {
                    sm.s[e.slot].live = false;
                    sm.s[e.slot].gen = static_cast<uint16_t>(cabi::next_cap_generation(sm.s[e.slot].gen));
                    sm.push_back(e.slot);
                }
                MSlot& ds = w.m.t[d].s[dst[k]];
                ds.live = true;
                ds.obj = obj;
                if (check) {
                    CapId want = cabi::make_cap_id(dst[k], ds.gen);
                    MODEL_REQUIRE(out[k].id == want && out[k].interface_id == kIface[obj], "cap.transfer",
                                  "commit entry %u gave id %#x, model predicts %#x", k, out[k].id, want);
                }
            }
            if (check) {
                // A moved capability has exactly one holder: the new id.
                for (uint32_t k = 0; k < added; ++k) {
                    if (op.e[k].mode != TransferMode::Move) continue;
                    MODEL_REQUIRE(!w.tables[s].resolve(src_id[k]).ok(), "cap.move",
                                  "moved-from id %#x still resolves", src_id[k]);
                    auto nr = w.tables[d].resolve(out[k].id);
                    MODEL_REQUIRE(nr.ok() && nr.value().object->get() == w.objs[w.m.t[d].s[dst[k]].obj], "cap.move",
                                  "moved-to id %#x does not resolve to the object", out[k].id);
                }
            }
            return;
        }
    }
    if (check)
        MODEL_REQUIRE(raw(w) == before, "cap.rollback",
                      "a %s transfer did not leave both tables byte for byte as before",
                      failed ? "failed" : "dropped");
}

void apply(World& w, const Op& op, bool check) {
    switch (op.kind) {
    case OpKind::Insert: return apply_insert(w, op, check);
    case OpKind::Release: return apply_release(w, op, check);
    case OpKind::ReleaseStale: return apply_release_stale(w, op, check);
    case OpKind::Transfer: return apply_transfer(w, op, check);
    }
}

// Every operation enabled in model state `m` (see the header comment).
void enumerate(const Model& m, uint32_t max_entries, std::vector<Op>* ops) {
    ops->clear();
    for (uint8_t t = 0; t < kTables; ++t) {
        for (uint8_t o = 0; o < kObjects; ++o) ops->push_back(Op{OpKind::Insert, t, o, 0, TxEnd::Commit, {}});
        for (uint8_t i = 0; i < kSlots; ++i) {
            if (m.t[t].s[i].live) ops->push_back(Op{OpKind::Release, t, i, 0, TxEnd::Commit, {}});
            CapId id;
            if (m.t[t].stale_id(i, &id)) ops->push_back(Op{OpKind::ReleaseStale, t, i, 0, TxEnd::Commit, {}});
        }
    }
    static constexpr std::array<std::pair<uint8_t, uint8_t>, 4> kPairs{{{0, 1}, {1, 0}, {0, 0}, {1, 1}}};
    for (auto [s, d] : kPairs) {
        // Sources: each live slot, plus the first slot that has a stale id.
        std::vector<Entry> sources;
        for (uint8_t i = 0; i < kSlots; ++i)
            if (m.t[s].s[i].live) {
                sources.push_back(Entry{i, false, TransferMode::Copy});
                sources.push_back(Entry{i, false, TransferMode::Move});
            }
        for (uint8_t i = 0; i < kSlots; ++i) {
            CapId id;
            if (m.t[s].stale_id(i, &id)) {
                sources.push_back(Entry{i, true, TransferMode::Copy});
                break;
            }
        }
        for (const Entry& e1 : sources) {
            for (TxEnd end : {TxEnd::Commit, TxEnd::Drop}) {
                if (e1.stale && end == TxEnd::Drop) continue;  // same as Commit: the add fails
                Op op{OpKind::Transfer, s, d, 1, end, {}};
                op.e[0] = e1;
                ops->push_back(op);
            }
            if (max_entries < 2 || e1.stale) continue;  // a failing first add ends the transaction
            for (const Entry& e2 : sources) {
                Op op{OpKind::Transfer, s, d, 2, TxEnd::Commit, {}};
                op.e[0] = e1;
                op.e[1] = e2;
                ops->push_back(op);
            }
        }
    }
}

struct Node {
    std::vector<Op> path;
    Model m;
};

struct Stats {
    uint64_t states = 0;
    uint64_t transitions = 0;
    uint32_t depth = 0;
};

Stats explore(const char* name, uint32_t depth_bound, uint32_t max_entries) {
    model::Stopwatch sw;
    Stats st;
    std::unordered_set<std::pair<uint64_t, uint64_t>, model::FingerprintHash> seen;
    std::vector<Node> frontier(1);
    const std::vector<Op>* current_path = nullptr;
    const Op* current_op = nullptr;
    model::violation_context() = [&] {
        std::fprintf(stderr, "  check: %s, path from the empty tables:\n", name);
        if (current_path)
            for (const Op& op : *current_path) std::fprintf(stderr, "    %s\n", describe(op).c_str());
        if (current_op) std::fprintf(stderr, "    %s   <- violating step\n", describe(*current_op).c_str());
    };
    {
        World w;
        check_state(w);
        seen.insert(fingerprint(w).value());
        st.states = 1;
    }
    std::vector<Op> ops;
    for (uint32_t depth = 1; depth <= depth_bound && !frontier.empty(); ++depth) {
        std::vector<Node> next;
        for (const Node& node : frontier) {
            enumerate(node.m, max_entries, &ops);
            current_path = &node.path;
            for (const Op& op : ops) {
                current_op = &op;
                World w;
                for (const Op& p : node.path) apply(w, p, false);
                apply(w, op, true);
                ++st.transitions;
                if (!seen.insert(fingerprint(w).value()).second) continue;
                check_state(w);
                ++st.states;
                Node child{node.path, w.m};
                child.path.push_back(op);
                next.push_back(std::move(child));
            }
        }
        current_path = nullptr;
        current_op = nullptr;
        frontier = std::move(next);
        st.depth = depth;
        std::printf("  %s: depth %2u: %9llu states, %10llu transitions, %6.1f s\n", name, depth,
                    static_cast<unsigned long long>(st.states), static_cast<unsigned long long>(st.transitions),
                    sw.seconds());
        std::fflush(stdout);
    }
    model::violation_context() = nullptr;
    std::printf("cap model %s: 2 tables x %u slots, %u objects, transfers of up to %u entries: "
                "depth %u, %llu distinct states, %llu transitions, %.1f s: OK\n",
                name, kSlots, kObjects, max_entries, st.depth, static_cast<unsigned long long>(st.states),
                static_cast<unsigned long long>(st.transitions), sw.seconds());
    return st;
}

}  // namespace

int main(int argc, char** argv) {
    uint32_t basic_depth = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 7;
    uint32_t multi_depth = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 5;
    explore("basic", basic_depth, 1);
    explore("multi", multi_depth, 2);
    return 0;
}

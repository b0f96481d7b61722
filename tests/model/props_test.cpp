// Property tests beyond the exhaustive bounds (rapidcheck): long random
// operation sequences against reference models, on configurations larger
// than the exhaustive checks can enumerate.
//
//   CapProps     three tables of 1..12 slots, 200..800 operations: insert,
//                release (live, stale and garbage ids), transfers of 1..18
//                entries (live, stale, garbage sources; Copy, Move and
//                invalid modes) ended by commit, abort or the destructor,
//                release_all (process exit), probes while a transaction is
//                open. The model predicts every id exactly (FIFO slot reuse,
//                generations) and every error; rollbacks are byte-exact;
//                reference counts equal holders; no issued id ever resolves
//                after it died.
//   CapWrap      one slot cycled 2 x 65,535 + 3 times: generations follow
//                next_cap_generation and an old id resolves again only
//                after the 65,535 reuses the ABI documents.
//   FrameProps   maps of 64..320 frames with random RAM and reserved ranges
//                (unaligned), 1,000 random operations against a model.
//   RingProps    the ring model's threads (ring_world.hpp) on larger rings
//                (4..8 SQEs, up to 16 CQEs, up to 24 SQEs, up to 6 passes),
//                honest or with 1..3 random hostile writes, under random
//                schedules: 200 schedules per generated configuration.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdio>
#include <array>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "abi/cap_id.hpp"
#include "abi/ring.hpp"
#include "lib/cap/cap_table.hpp"
#include "lib/cap/transfer.hpp"
#include "lib/mm/frame_allocator.hpp"
#include "tests/model/dpor.hpp"
#include "tests/model/model.hpp"
#include "tests/model/ring_world.hpp"

using namespace capos;
using namespace capos::cap;
using capos::model::Counted;
using capos::model::CountedRef;
namespace cabi = capos::abi;
using cabi::CapId;
using cabi::TransferMode;

namespace {

// ---------------------------------------------------------------------------
// Capability tables

constexpr uint32_t kObjects = 3;
constexpr uint64_t kIfaces[kObjects] = {0x11, 0x22, 0x33};

struct PSlot {
    bool live = false;
    uint32_t obj = 0;
    uint32_t gen = 1;
};

struct PTable {
    explicit PTable(uint32_t cap) : storage(cap), s(cap) {
        RC_ASSERT(table.init(storage).ok());
        for (uint32_t i = 0; i < cap; ++i) free_q.push_back(i);
    }
    ~PTable() {
        table.release_all([](CountedRef&&) {});
    }
    uint32_t cap() const { return static_cast<uint32_t>(s.size()); }
    CapId live_id(uint32_t i) const { return cabi::make_cap_id(i, s[i].gen); }
    bool is_live(CapId id) const {
        uint32_t i = cabi::cap_id_index(id);
        return i < cap() && s[i].live && cabi::cap_id_generation(id) == s[i].gen;
    }
    std::vector<unsigned char> bytes() const {
        auto sp = table.slots();
        const auto* p = reinterpret_cast<const unsigned char*>(sp.data());
        std::vector<unsigned char> v(p, p + sp.size_bytes());
        for (uint32_t x : {table.free_head(), table.free_tail(), table.size(), table.free_slots()})
            v.insert(v.end(), reinterpret_cast<unsigned char*>(&x), reinterpret_cast<unsigned char*>(&x) + 4);
        v.push_back(table.transaction_open());
        return v;
    }

    std::vector<Slot<CountedRef>> storage;
    CapTable<CountedRef> table;
    std::vector<PSlot> s;
    std::deque<uint32_t> free_q;
    std::vector<CapId> issued;
};

// A live id with probability live_in_10 / 10 (when one exists), else an
// issued, near-miss or arbitrary id.
CapId pick_id(const PTable& t, int live_in_10 = 5) {
    int roll = *rc::gen::inRange(0, 10);
    switch (roll < live_in_10 ? 0 : roll % 3 + 1) {
    case 0: {  // a live id, if any
        std::vector<CapId> live;
        for (uint32_t i = 0; i < t.cap(); ++i)
            if (t.s[i].live) live.push_back(t.live_id(i));
        if (!live.empty()) return live[*rc::gen::inRange<size_t>(0, live.size())];
        [[fallthrough]];
    }
    case 1:  // an id issued earlier (live or dead)
        if (!t.issued.empty()) return t.issued[*rc::gen::inRange<size_t>(0, t.issued.size())];
        [[fallthrough]];
    case 2:  // a near miss: right slot, wrong generation, or past the capacity
        return cabi::make_cap_id(*rc::gen::inRange<uint32_t>(0, t.cap() + 2),
                                 *rc::gen::inRange<uint32_t>(0, 8));
    default:
        return *rc::gen::arbitrary<uint32_t>();
    }
}

// How often each outcome occurred over all cases, printed at exit so the
// properties are seen not to be vacuous.
struct CapCoverage {
    uint64_t committed = 0, committed_multi = 0, rolled_back = 0, dropped = 0, probes = 0;
    ~CapCoverage() {
        std::printf("cap properties: %llu transfers committed (%llu with several entries), %llu rolled back after "
                    "a failed add, %llu dropped or aborted whole, %llu open-transaction probes\n",
                    static_cast<unsigned long long>(committed), static_cast<unsigned long long>(committed_multi),
                    static_cast<unsigned long long>(rolled_back), static_cast<unsigned long long>(dropped),
                    static_cast<unsigned long long>(probes));
    }
};
CapCoverage g_cap_coverage;

struct CapWorld {
    std::array<Counted, kObjects> objs{};
    std::vector<std::unique_ptr<PTable>> tables;

    void check() {
        std::array<int, kObjects> holders{};
        for (auto& tp : tables) {
            PTable& t = *tp;
            uint32_t live = 0;
            for (uint32_t i = 0; i < t.cap(); ++i) {
                const PSlot& ms = t.s[i];
                const Slot<CountedRef>& sl = t.table.slots()[i];
                RC_ASSERT((sl.state == SlotState::Live) == ms.live);
                RC_ASSERT(sl.generation == ms.gen);
                for (uint32_t d = 0; d < 4; ++d) {
                    uint32_t g = ms.gen > d ? ms.gen - d : cabi::kCapIdGenerationMax - (d - ms.gen);
                    CapId id = cabi::make_cap_id(i, g);
                    auto r = t.table.resolve(id);
                    RC_ASSERT(r.ok() == (ms.live && d == 0));
                }
                RC_ASSERT(!t.table.resolve(cabi::make_cap_id(i, cabi::next_cap_generation(ms.gen))).ok());
                if (ms.live) {
                    ++live;
                    ++holders[ms.obj];
                    auto r = t.table.lookup(t.live_id(i), kIfaces[ms.obj]);
                    RC_ASSERT(r.ok() && r.value().object->get() == &objs[ms.obj]);
                    auto w = t.table.lookup(t.live_id(i), kIfaces[(ms.obj + 1) % kObjects]);
                    RC_ASSERT(w.error() == Error::CapWrongInterface);
                }
            }
            RC_ASSERT(t.table.size() == live);
            RC_ASSERT(t.table.free_slots() == t.cap() - live);
            RC_ASSERT(!t.table.transaction_open());
            // The free list is the model's FIFO.
            uint32_t idx = t.table.free_head();
            for (uint32_t f : t.free_q) {
                RC_ASSERT(idx == f);
                idx = t.table.slots()[idx].next_free;
            }
            RC_ASSERT(idx == kNoSlot);
            // A sample of issued ids: each resolves iff the model says live.
            for (int k = 0; k < 6 && !t.issued.empty(); ++k) {
                CapId id = t.issued[*rc::gen::inRange<size_t>(0, t.issued.size())];
                RC_ASSERT(t.table.resolve(id).ok() == t.is_live(id));
            }
        }
        for (uint32_t o = 0; o < kObjects; ++o) RC_ASSERT(objs[o].refs == holders[o]);
    }

    void insert(PTable& t) {
        uint32_t o = *rc::gen::inRange<uint32_t>(0, kObjects);
        auto before = t.bytes();
        auto r = t.table.insert(CountedRef(&objs[o]), kIfaces[o]);
        if (t.free_q.empty()) {
            RC_ASSERT(r.error() == Error::CapTableFull);
            RC_ASSERT(t.bytes() == before);
            return;
        }
        uint32_t i = t.free_q.front();
        t.free_q.pop_front();
        RC_ASSERT(r.ok() && r.value() == t.live_id(i));
        t.s[i].live = true;
        t.s[i].obj = o;
        t.issued.push_back(r.value());
    }

    void release(PTable& t) {
        CapId id = pick_id(t, 7);
        auto before = t.bytes();
        bool live = t.is_live(id);
        {
            auto r = t.table.release(id);
            if (!live) {
                RC_ASSERT(r.error() == Error::CapStale);
                RC_ASSERT(t.bytes() == before);
                return;
            }
            RC_ASSERT(r.ok() && r.value().get() == &objs[t.s[cabi::cap_id_index(id)].obj]);
        }
        free_slot(t, cabi::cap_id_index(id));
    }

    static void free_slot(PTable& t, uint32_t i) {
        t.s[i].live = false;
        t.s[i].gen = cabi::next_cap_generation(t.s[i].gen);
        t.free_q.push_back(i);
    }

    void release_all(PTable& t) {
        t.table.release_all([](CountedRef&&) {});
        for (uint32_t i = 0; i < t.cap(); ++i)
            if (t.s[i].live) free_slot(t, i);
    }

    void transfer(PTable& src, PTable& dst) {
        const bool same = &src == &dst;
        auto s0 = src.bytes(), d0 = dst.bytes();
        struct Planned {
            CapId id;
            TransferMode mode;
            uint32_t dst_slot;
        };
        std::vector<Planned> plan;
        std::set<uint32_t> moving;
        std::deque<uint32_t> dq = dst.free_q;
        bool failed = false;
        const int size_class = *rc::gen::inRange(0, 20);
        const int n = size_class < 12  ? *rc::gen::inRange(1, 3)
                      : size_class < 17 ? *rc::gen::inRange(3, 7)
                                        : *rc::gen::inRange<int>(7, static_cast<int>(cabi::kMaxTransfers) + 3);
        const int end = *rc::gen::inRange(0, 3);  // 0 commit, 1 abort(), 2 destructor
        {
            Transaction<CountedRef> tx(src.table, dst.table);
            for (int k = 0; k < n && !failed; ++k) {
                CapId id = pick_id(src, 9);
                int m = *rc::gen::inRange(0, 10);
                TransferMode mode = m < 5 ? TransferMode::Copy : m < 9 ? TransferMode::Move
                                                                          : static_cast<TransferMode>(*rc::gen::element(0, 3, 255));
                auto r = tx.add(id, mode);
                // The order add() checks in (transfer.hpp).
                Error want{};
                bool ok = false;
                if (plan.size() >= cabi::kMaxTransfers)
                    want = Error::LimitExceeded;
                else if (mode != TransferMode::Copy && mode != TransferMode::Move)
                    want = Error::InvalidArgument;
                else if (!src.is_live(id))
                    want = Error::CapStale;
                else if (moving.count(cabi::cap_id_index(id)))
                    want = Error::CapTransferConflict;
                else if (dq.empty())
                    want = Error::CapTableFull;
                else
                    ok = true;
                if (!ok) {
                    RC_ASSERT(!r.ok() && r.error() == want);
                    failed = true;
                    break;
                }
                RC_ASSERT(r.ok());
                plan.push_back(Planned{id, mode, dq.front()});
                dq.pop_front();
                if (mode == TransferMode::Move) moving.insert(cabi::cap_id_index(id));
                if (*rc::gen::inRange(0, 4) == 0) {
                    // Probes while open: refused, and nothing changes.
                    ++g_cap_coverage.probes;
                    auto mid_s = src.bytes(), mid_d = dst.bytes();
                    RC_ASSERT(src.table.insert(CountedRef(&objs[0]), kIfaces[0]).error() == Error::Busy);
                    RC_ASSERT(dst.table.release(id).error() == Error::Busy);
                    RC_ASSERT(src.table.release(id).error() == Error::Busy);
                    Transaction<CountedRef> again(dst.table, src.table);
                    RC_ASSERT(again.add(id, TransferMode::Copy).error() == Error::Busy);
                    RC_ASSERT(src.table.resolve(id).ok());
                    RC_ASSERT(!dst.table.resolve(cabi::make_cap_id(plan.back().dst_slot,
                                                                   dst.s[plan.back().dst_slot].gen))
                                   .ok());
                    RC_ASSERT(src.bytes() == mid_s && dst.bytes() == mid_d);
                }
            }
            if (failed || end != 0) {
                ++(failed ? g_cap_coverage.rolled_back : g_cap_coverage.dropped);
                if (failed || end == 1) tx.abort();
            } else {
                std::vector<TransferredCap> out(plan.size());
                tx.commit(out);
                ++g_cap_coverage.committed;
                if (plan.size() > 1) ++g_cap_coverage.committed_multi;
                for (size_t k = 0; k < plan.size(); ++k) {
                    uint32_t want_slot = dst.free_q.front();
                    dst.free_q.pop_front();
                    RC_ASSERT(want_slot == plan[k].dst_slot);
                }
                for (size_t k = 0; k < plan.size(); ++k) {
                    uint32_t si = cabi::cap_id_index(plan[k].id);
                    uint32_t obj = src.s[si].obj;
                    if (plan[k].mode == TransferMode::Move) free_slot(src, si);
                    PSlot& ds = dst.s[plan[k].dst_slot];
                    ds.live = true;
                    ds.obj = obj;
                    CapId want = dst.live_id(plan[k].dst_slot);
                    RC_ASSERT(out[k].id == want && out[k].interface_id == kIfaces[obj]);
                    dst.issued.push_back(want);
                    if (plan[k].mode == TransferMode::Move) RC_ASSERT(!src.table.resolve(plan[k].id).ok());
                }
                return;
            }
        }
        RC_ASSERT(src.bytes() == s0);
        if (!same) RC_ASSERT(dst.bytes() == d0);
    }
};

RC_GTEST_PROP(CapProps, LongSequencesMatchExactModel, ()) {
    CapWorld w;
    const int ntables = 3;
    for (int i = 0; i < ntables; ++i)
        w.tables.push_back(std::make_unique<PTable>(*rc::gen::inRange<uint32_t>(1, 13)));
    const int steps = *rc::gen::inRange(200, 800);
    for (int step = 0; step < steps; ++step) {
        PTable& t = *w.tables[*rc::gen::inRange(0, ntables)];
        int op = *rc::gen::inRange(0, 100);
        if (op < 20)
            w.insert(t);
        else if (op < 50)
            w.release(t);
        else if (op < 98)
            w.transfer(t, *w.tables[*rc::gen::inRange(0, ntables)]);
        else
            w.release_all(t);
        w.check();
    }
    // Every id ever issued resolves iff the model says it is live.
    for (auto& t : w.tables)
        for (CapId id : t->issued) RC_ASSERT(t->table.resolve(id).ok() == t->is_live(id));
    for (auto& t : w.tables) t->table.release_all([](CountedRef&&) {});
    for (const Counted& o : w.objs) RC_ASSERT(o.refs == 0);
}

TEST(CapWrap, GenerationsWrapOnlyAfter65535Reuses) {
    Counted obj;
    std::vector<Slot<CountedRef>> storage(1);
    CapTable<CountedRef> t;
    ASSERT_TRUE(t.init(storage).ok());
    CapId first = t.insert(CountedRef(&obj), 1).value();
    uint32_t gen = cabi::cap_id_generation(first);
    ASSERT_TRUE(t.release(first).ok());
    for (uint32_t c = 1; c <= 2 * cabi::kCapIdGenerationMax + 3; ++c) {
        gen = cabi::next_cap_generation(gen);
        CapId id = t.insert(CountedRef(&obj), 1).value();
        ASSERT_EQ(cabi::cap_id_generation(id), gen);
        ASSERT_NE(gen, 0u);
        // The first id is stale except when the generation has come round.
        ASSERT_EQ(t.resolve(first).ok(), c % cabi::kCapIdGenerationMax == 0) << "cycle " << c;
        ASSERT_TRUE(t.release(id).ok());
    }
    EXPECT_EQ(obj.refs, 0);
}

// ---------------------------------------------------------------------------
// Frame allocator

RC_GTEST_PROP(FrameProps, LargeMapsMatchModel, ()) {
    using mm::FrameAllocator;
    using mm::kFrameSize;
    const uint64_t limit = *rc::gen::inRange<uint64_t>(64, 321);
    std::vector<uint64_t> words(FrameAllocator::words_needed(limit));
    FrameAllocator a;
    a.init(words.data(), limit);
    std::vector<bool> managed(limit, false), used(limit, false);
    const int ranges = *rc::gen::inRange(1, 8);
    for (int r = 0; r < ranges; ++r) {
        uint64_t base = *rc::gen::inRange<uint64_t>(0, limit * kFrameSize);
        uint64_t len = *rc::gen::inRange<uint64_t>(0, limit * kFrameSize / 2);
        bool is_free = *rc::gen::inRange(0, 3) != 0;
        if (is_free) {
            a.free_range(base, len);
            uint64_t first = (base + kFrameSize - 1) / kFrameSize, end = (base + len) / kFrameSize;
            for (uint64_t f = first; f < end && f < limit; ++f)
                if (f != 0) managed[f] = true;
        } else {
            a.reserve_range(base, len);
            uint64_t first = base / kFrameSize, end = (base + len + kFrameSize - 1) / kFrameSize;
            for (uint64_t f = first; f < end && f < limit; ++f) managed[f] = false;
        }
    }
    auto free_managed = [&](uint64_t f) { return f < limit && managed[f] && !used[f]; };
    auto image = [&] {
        std::vector<uint64_t> v = words;
        v.push_back(a.free_frames());
        v.push_back(a.total_frames());
        return v;
    };
    const int steps = 1000;
    for (int step = 0; step < steps; ++step) {
        int op = *rc::gen::inRange(0, 10);
        auto before = image();
        if (op < 4) {
            uint64_t n = *rc::gen::inRange<uint64_t>(1, 9);
            auto r = n == 1 ? a.alloc() : a.alloc_contiguous(n);
            bool exists = false;
            for (uint64_t f = 0; f + n <= limit && !exists; ++f) {
                bool all = true;
                for (uint64_t i = 0; i < n; ++i) all = all && free_managed(f + i);
                exists = all;
            }
            RC_ASSERT(r.ok() == exists);
            if (!r.ok()) {
                RC_ASSERT(image() == before);
                continue;
            }
            uint64_t f0 = r.value() / kFrameSize;
            RC_ASSERT(r.value() % kFrameSize == 0 && f0 != 0);
            for (uint64_t i = 0; i < n; ++i) {
                RC_ASSERT(free_managed(f0 + i));
                used[f0 + i] = true;
            }
        } else if (op < 9) {
            std::vector<uint64_t> allocated;
            for (uint64_t f = 0; f < limit; ++f)
                if (used[f]) allocated.push_back(f);
            uint64_t f = (!allocated.empty() && *rc::gen::inRange(0, 3) != 0)
                             ? allocated[*rc::gen::inRange<size_t>(0, allocated.size())]
                             : *rc::gen::inRange<uint64_t>(0, limit + 4);
            uint64_t n = *rc::gen::inRange<uint64_t>(1, 4);
            auto r = n == 1 ? a.free(f * kFrameSize) : a.free_contiguous(f * kFrameSize, n);
            bool bad_range = false, dbl = false;
            for (uint64_t i = f; i < f + n; ++i) {
                if (i >= limit || !managed[i])
                    bad_range = true;
                else if (!used[i])
                    dbl = true;
            }
            RC_ASSERT(r.ok() == (!bad_range && !dbl));
            if (!r.ok()) {
                RC_ASSERT((r.error() == Error::OutOfRange && bad_range) || (r.error() == Error::DoubleFree && dbl));
                RC_ASSERT(image() == before);
                continue;
            }
            for (uint64_t i = f; i < f + n; ++i) used[i] = false;
        } else {
            RC_ASSERT(a.free(kFrameSize + 1).error() == Error::Misaligned);
            RC_ASSERT(image() == before);
        }
        uint64_t total = 0, nused = 0;
        for (uint64_t f = 0; f < limit; ++f) {
            total += managed[f];
            nused += used[f];
            RC_ASSERT(a.is_free(f * kFrameSize) == free_managed(f));
        }
        RC_ASSERT(a.total_frames() == total && a.used_frames() == nused &&
                  a.free_frames() + a.used_frames() == a.total_frames());
    }
}

// ---------------------------------------------------------------------------
// Ring: random schedules of the model's threads on larger rings

RC_GTEST_PROP(RingProps, RandomSchedulesOnLargerRings, ()) {
    using namespace capos::model;
    using namespace capos::model::ringm;
    RingScenario sc;
    sc.sq_entries = *rc::gen::element(4u, 8u);
    sc.cq_entries = sc.sq_entries * *rc::gen::element(1u, 2u);
    sc.initial_index = *rc::gen::element(0u, 0xFFFF'FFF0u, *rc::gen::arbitrary<uint32_t>());
    sc.sqes = *rc::gen::inRange<uint32_t>(1, 25);
    sc.retries = *rc::gen::inRange<uint32_t>(0, 4);
    sc.reaps = *rc::gen::inRange<uint32_t>(0, 12);
    sc.passes = *rc::gen::inRange<uint32_t>(1, 7);
    if (*rc::gen::inRange(0, 2) == 0) {
        const int writes = *rc::gen::inRange(1, 4);
        for (int i = 0; i < writes; ++i) {
            Word target = *rc::gen::element(Word::SqTail, Word::CqHead, Word::SqHead, Word::CqTail);
            Word base = *rc::gen::element(Word::SqHead, Word::CqTail, Word::SqTail, Word::CqHead);
            int32_t delta = *rc::gen::element<int32_t>(0, 1, -1, 3, -3, 9, -9, 1 << 30, INT32_MIN);
            sc.hostile.push_back(HostileWrite{target, base, delta});
        }
    }
    sc.name = "random";
    const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
    std::mt19937_64 rng(seed);
    Engine engine;
    Engine::Stats st;
    for (int run = 0; run < 200; ++run)
        engine.run_random([&](Engine& e) { return std::unique_ptr<Program>(new RingWorld(e, sc)); },
                          [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); }, &st);
    RC_ASSERT(st.runs == 200u);
}

}  // namespace

// Capability table and transfer transaction: unit tests and a model-based
// property test (random insert / lookup / release / transfer sequences over
// two tables, checked against std::map models).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "abi/cap_id.hpp"
#include "abi/ring.hpp"
#include "lib/cap/cap_table.hpp"
#include "lib/cap/transfer.hpp"

using namespace capos;
using namespace capos::cap;
namespace cabi = capos::abi;
using cabi::CapId;
using cabi::TransferMode;

namespace {

// A kernel-object stand-in with a reference count, so tests see every copy
// and drop the table makes.
struct Obj {
    uint64_t iface;
    int refs = 0;
    int serial = 0;
};

struct EndpointObj : Obj {
    static constexpr uint64_t kInterfaceId = 0xE1;
};
struct ConsoleObj : Obj {
    static constexpr uint64_t kInterfaceId = 0xC0;
};

// A counting reference: one pointer wide, so Slot<Ref> has no padding and
// can be compared byte for byte.
class Ref {
public:
    Ref() = default;
    explicit Ref(Obj* p) : p_(p) {
        if (p_) ++p_->refs;
    }
    Ref(const Ref& o) : p_(o.p_) {
        if (p_) ++p_->refs;
    }
    Ref(Ref&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
    Ref& operator=(const Ref& o) {
        Ref tmp(o);
        std::swap(p_, tmp.p_);
        return *this;
    }
    Ref& operator=(Ref&& o) noexcept {
        Ref tmp(std::move(o));
        std::swap(p_, tmp.p_);
        return *this;
    }
    ~Ref() {
        if (p_) --p_->refs;
    }
    Obj* get() const { return p_; }

private:
    Obj* p_ = nullptr;
};

static_assert(sizeof(Slot<Ref>) == 24, "no padding: byte comparison is exact");

using Table = CapTable<Ref>;

struct Snapshot {
    std::vector<unsigned char> bytes;
    uint32_t free_head, free_tail, size, free_slots;
    bool open;
    bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const Table& t) {
    auto s = t.slots();
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    return Snapshot{std::vector<unsigned char>(p, p + s.size_bytes()), t.free_head(), t.free_tail(),
                    t.size(), t.free_slots(), t.transaction_open()};
}

struct OwnedTable {
    explicit OwnedTable(uint32_t capacity) : storage(capacity) {
        EXPECT_TRUE(table.init(storage).ok());
    }
    ~OwnedTable() {
        table.release_all([](Ref&&) {});
    }
    std::vector<Slot<Ref>> storage;
    Table table;
};

}  // namespace

TEST(CapTable, InitRejectsBadCapacity) {
    Table t;
    std::vector<Slot<Ref>> none;
    EXPECT_EQ(t.init(none).error(), Error::InvalidArgument);
    std::vector<Slot<Ref>> huge(cabi::kCapTableMaxSlots + 1);
    EXPECT_EQ(t.init(huge).error(), Error::InvalidArgument);
    std::vector<Slot<Ref>> max(cabi::kCapTableMaxSlots);
    EXPECT_TRUE(t.init(max).ok());
    EXPECT_EQ(t.capacity(), cabi::kCapTableMaxSlots);
}

TEST(CapTable, InsertLookupRelease) {
    EndpointObj ep;
    ep.iface = EndpointObj::kInterfaceId;
    OwnedTable o(4);
    Table& t = o.table;
    CapId id = t.insert(Ref(&ep), ep.iface).value();
    EXPECT_NE(id, cabi::kCapIdNone);
    EXPECT_EQ(ep.refs, 1);
    EXPECT_EQ(t.size(), 1u);

    auto e = t.resolve(id);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e.value().object->get(), &ep);
    EXPECT_EQ(e.value().interface_id, EndpointObj::kInterfaceId);

    EXPECT_EQ(t.lookup<EndpointObj>(id).value(), &ep);
    EXPECT_EQ(t.lookup<ConsoleObj>(id).error(), Error::CapWrongInterface);
    EXPECT_EQ(t.lookup(id, 0x1234).error(), Error::CapWrongInterface);

    Ref r = t.release(id).value();
    EXPECT_EQ(r.get(), &ep);
    EXPECT_EQ(t.size(), 0u);
    EXPECT_EQ(t.resolve(id).error(), Error::CapStale);
    EXPECT_EQ(t.release(id).error(), Error::CapStale);
    r = Ref();
    EXPECT_EQ(ep.refs, 0);
}

TEST(CapTable, NullAndOutOfRangeIdsNeverResolve) {
    Obj a{1};
    OwnedTable o(2);
    Table& t = o.table;
    ASSERT_TRUE(t.insert(Ref(&a), 1).ok());
    ASSERT_TRUE(t.insert(Ref(&a), 1).ok());
    EXPECT_EQ(t.resolve(cabi::kCapIdNone).error(), Error::CapStale);
    for (uint32_t index = 0; index < 2; ++index)
        EXPECT_EQ(t.resolve(cabi::make_cap_id(index, 0)).error(), Error::CapStale);
    EXPECT_EQ(t.resolve(cabi::make_cap_id(2, 1)).error(), Error::CapStale);
    EXPECT_EQ(t.resolve(cabi::make_cap_id(0xFFFF, 1)).error(), Error::CapStale);
}

TEST(CapTable, FullIsATypedError) {
    Obj a{1};
    OwnedTable o(3);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(o.table.insert(Ref(&a), 1).ok());
    auto r = o.table.insert(Ref(&a), 1);
    EXPECT_EQ(r.error(), Error::CapTableFull);
    EXPECT_EQ(a.refs, 3);  // the refused reference was dropped
    EXPECT_EQ(o.table.free_slots(), 0u);
}

TEST(CapTable, ReuseBumpsGenerationAndIsFifo) {
    Obj a{1};
    OwnedTable o(3);
    Table& t = o.table;
    CapId x = t.insert(Ref(&a), 1).value();
    CapId y = t.insert(Ref(&a), 1).value();
    EXPECT_EQ(cabi::cap_id_index(x), 0u);
    EXPECT_EQ(cabi::cap_id_index(y), 1u);
    ASSERT_TRUE(t.release(x).ok());
    // Slot 2 was free before slot 0 was released: FIFO takes it first.
    CapId z = t.insert(Ref(&a), 1).value();
    EXPECT_EQ(cabi::cap_id_index(z), 2u);
    CapId w = t.insert(Ref(&a), 1).value();
    EXPECT_EQ(cabi::cap_id_index(w), 0u);
    EXPECT_EQ(cabi::cap_id_generation(w), cabi::cap_id_generation(x) + 1);
    EXPECT_EQ(t.resolve(x).error(), Error::CapStale);
    EXPECT_TRUE(t.resolve(w).ok());
}

TEST(CapTable, GenerationWrapsPastZero) {
    Obj a{1};
    OwnedTable o(1);
    Table& t = o.table;
    CapId first = t.insert(Ref(&a), 1).value();
    EXPECT_EQ(cabi::cap_id_generation(first), 1u);
    CapId id = first;
    for (uint32_t i = 0; i < cabi::kCapIdGenerationMax; ++i) {
        ASSERT_TRUE(t.release(id).ok());
        id = t.insert(Ref(&a), 1).value();
        ASSERT_NE(cabi::cap_id_generation(id), 0u);
        ASSERT_NE(id, cabi::kCapIdNone);
    }
    // 65535 releases later the generation has gone 1 -> 0xFFFF -> 1.
    EXPECT_EQ(cabi::cap_id_generation(id), 1u);
    EXPECT_EQ(id, first);
    ASSERT_TRUE(t.release(id).ok());
    CapId next = t.insert(Ref(&a), 1).value();
    EXPECT_EQ(cabi::cap_id_generation(next), 2u);
}

TEST(CapTable, ReleaseAllDropsEveryReference) {
    Obj a{1}, b{2};
    {
        OwnedTable o(8);
        for (int i = 0; i < 5; ++i) ASSERT_TRUE(o.table.insert(Ref(i % 2 ? &a : &b), i % 2 ? 1 : 2).ok());
        EXPECT_EQ(a.refs + b.refs, 5);
        int dropped = 0;
        o.table.release_all([&](Ref&& r) {
            EXPECT_NE(r.get(), nullptr);
            ++dropped;
        });
        EXPECT_EQ(dropped, 5);
        EXPECT_EQ(o.table.size(), 0u);
        EXPECT_EQ(o.table.free_slots(), 8u);
    }
    EXPECT_EQ(a.refs, 0);
    EXPECT_EQ(b.refs, 0);
}

TEST(Transfer, CopyKeepsSourceMoveReleasesIt) {
    Obj a{10}, b{20};
    OwnedTable src(4), dst(4);
    CapId ia = src.table.insert(Ref(&a), 10).value();
    CapId ib = src.table.insert(Ref(&b), 20).value();
    {
        Transaction<Ref> t(src.table, dst.table);
        ASSERT_TRUE(t.add(ia, TransferMode::Copy).ok());
        ASSERT_TRUE(t.add(ib, TransferMode::Move).ok());
        // Prepared, not visible: the source still resolves, the receiver is empty.
        EXPECT_TRUE(src.table.resolve(ib).ok());
        EXPECT_EQ(dst.table.size(), 0u);
        EXPECT_EQ(dst.table.free_slots(), 2u);
        // Nothing else may change either table meanwhile.
        EXPECT_EQ(src.table.insert(Ref(&a), 10).error(), Error::Busy);
        EXPECT_EQ(dst.table.release(ia).error(), Error::Busy);
        TransferredCap out[2];
        t.commit(out);
        EXPECT_EQ(out[0].interface_id, 10u);
        EXPECT_EQ(out[1].interface_id, 20u);
        EXPECT_EQ(dst.table.resolve(out[0].id).value().object->get(), &a);
        EXPECT_EQ(dst.table.resolve(out[1].id).value().object->get(), &b);
    }
    EXPECT_TRUE(src.table.resolve(ia).ok());
    EXPECT_EQ(src.table.resolve(ib).error(), Error::CapStale);
    EXPECT_EQ(a.refs, 2);
    EXPECT_EQ(b.refs, 1);
    EXPECT_FALSE(src.table.transaction_open());
    EXPECT_FALSE(dst.table.transaction_open());
}

TEST(Transfer, MoveWithinOneTable) {
    Obj a{1};
    OwnedTable o(2);
    CapId id = o.table.insert(Ref(&a), 1).value();
    Transaction<Ref> t(o.table, o.table);
    ASSERT_TRUE(t.add(id, TransferMode::Move).ok());
    TransferredCap out[1];
    t.commit(out);
    EXPECT_EQ(o.table.resolve(id).error(), Error::CapStale);
    EXPECT_EQ(o.table.resolve(out[0].id).value().object->get(), &a);
    EXPECT_EQ(o.table.size(), 1u);
    EXPECT_EQ(a.refs, 1);
}

TEST(Transfer, FailureRollsBackBothTablesExactly) {
    Obj a{1}, b{2}, c{3};
    OwnedTable src(4), dst(3);
    CapId ia = src.table.insert(Ref(&a), 1).value();
    CapId ib = src.table.insert(Ref(&b), 2).value();
    CapId ic = src.table.insert(Ref(&c), 3).value();
    ASSERT_TRUE(dst.table.insert(Ref(&c), 3).ok());
    Snapshot s0 = snapshot(src.table), d0 = snapshot(dst.table);
    {
        Transaction<Ref> t(src.table, dst.table);
        ASSERT_TRUE(t.add(ia, TransferMode::Move).ok());
        ASSERT_TRUE(t.add(ib, TransferMode::Copy).ok());
        // The receiver has 2 free slots: the third transfer does not fit.
        EXPECT_EQ(t.add(ic, TransferMode::Move).error(), Error::CapTableFull);
        t.abort();
    }
    EXPECT_EQ(snapshot(src.table), s0);
    EXPECT_EQ(snapshot(dst.table), d0);
    EXPECT_EQ(a.refs, 1);
    EXPECT_EQ(b.refs, 1);
}

TEST(Transfer, DestructorAborts) {
    Obj a{1};
    OwnedTable src(2), dst(2);
    CapId ia = src.table.insert(Ref(&a), 1).value();
    Snapshot s0 = snapshot(src.table), d0 = snapshot(dst.table);
    {
        Transaction<Ref> t(src.table, dst.table);
        ASSERT_TRUE(t.add(ia, TransferMode::Move).ok());
    }
    EXPECT_EQ(snapshot(src.table), s0);
    EXPECT_EQ(snapshot(dst.table), d0);
}

TEST(Transfer, Conflicts) {
    Obj a{1};
    OwnedTable src(4), dst(8);
    CapId ia = src.table.insert(Ref(&a), 1).value();
    Transaction<Ref> t(src.table, dst.table);
    ASSERT_TRUE(t.add(ia, TransferMode::Copy).ok());
    ASSERT_TRUE(t.add(ia, TransferMode::Move).ok());  // copy then move: fine
    EXPECT_EQ(t.add(ia, TransferMode::Copy).error(), Error::CapTransferConflict);
    EXPECT_EQ(t.add(ia, TransferMode::Move).error(), Error::CapTransferConflict);
    EXPECT_EQ(t.add(cabi::kCapIdNone, TransferMode::Copy).error(), Error::CapStale);
    EXPECT_EQ(t.add(ia, static_cast<TransferMode>(0)).error(), Error::InvalidArgument);
    EXPECT_EQ(t.size(), 2u);
    TransferredCap out[2];
    t.commit(out);
    EXPECT_EQ(src.table.size(), 0u);
    EXPECT_EQ(dst.table.size(), 2u);
    EXPECT_EQ(a.refs, 2);
}

TEST(Transfer, CountIsBounded) {
    Obj a{1};
    OwnedTable src(2), dst(64);
    CapId ia = src.table.insert(Ref(&a), 1).value();
    Transaction<Ref> t(src.table, dst.table);
    for (uint32_t i = 0; i < cabi::kMaxTransfers; ++i) ASSERT_TRUE(t.add(ia, TransferMode::Copy).ok());
    EXPECT_EQ(t.add(ia, TransferMode::Copy).error(), Error::LimitExceeded);
}

TEST(Transfer, SecondTransactionOnATableIsRefused) {
    Obj a{1};
    OwnedTable x(2), y(2), z(2);
    CapId ia = x.table.insert(Ref(&a), 1).value();
    Transaction<Ref> t1(x.table, y.table);
    Transaction<Ref> t2(z.table, y.table);
    EXPECT_EQ(t2.add(ia, TransferMode::Copy).error(), Error::Busy);
    ASSERT_TRUE(t1.add(ia, TransferMode::Copy).ok());
}

// ---------------------------------------------------------------------------
// Model-based property test.

namespace {

struct ModelEntry {
    Obj* obj;
    uint64_t iface;
};

struct Side {
    explicit Side(uint32_t capacity) : owned(capacity) {}
    OwnedTable owned;
    std::map<CapId, ModelEntry> live;
    std::set<CapId> dead;
    std::set<CapId> issued;
};

CapId pick_id(const Side& s) {
    int kind = *rc::gen::inRange(0, 10);
    if (kind < 6 && !s.live.empty()) {
        auto it = s.live.begin();
        std::advance(it, *rc::gen::inRange<size_t>(0, s.live.size()));
        return it->first;
    }
    if (kind < 9 && !s.dead.empty()) {
        auto it = s.dead.begin();
        std::advance(it, *rc::gen::inRange<size_t>(0, s.dead.size()));
        return *it;
    }
    return *rc::gen::arbitrary<uint32_t>();
}

void check_side(const Side& s) {
    const Table& t = s.owned.table;
    RC_ASSERT(t.size() == s.live.size());
    RC_ASSERT(t.free_slots() == t.capacity() - s.live.size());
    RC_ASSERT(!t.transaction_open());
    for (const auto& [id, e] : s.live) {
        auto r = t.resolve(id);
        RC_ASSERT(r.ok());
        RC_ASSERT(r.value().object->get() == e.obj);
        RC_ASSERT(r.value().interface_id == e.iface);
    }
    for (CapId id : s.dead) RC_ASSERT(t.resolve(id).error() == Error::CapStale);
}

}  // namespace

TEST(CapTableModel, RandomOperationsMatchTheModel) {
    EXPECT_TRUE(rc::check([] {
        std::vector<std::unique_ptr<Obj>> objects;
        for (int i = 0; i < 6; ++i) {
            auto o = std::make_unique<Obj>();
            o->iface = 100 + static_cast<uint64_t>(i % 3);
            o->serial = i;
            objects.push_back(std::move(o));
        }
        Side sides[2] = {Side(*rc::gen::inRange<uint32_t>(1, 20)), Side(*rc::gen::inRange<uint32_t>(1, 20))};

        const int steps = *rc::gen::inRange(1, 200);
        for (int step = 0; step < steps; ++step) {
            const int op = *rc::gen::inRange(0, 5);
            Side& s = sides[*rc::gen::inRange(0, 2)];
            Table& t = s.owned.table;
            if (op == 0) {  // insert
                Obj* obj = objects[*rc::gen::inRange<size_t>(0, objects.size())].get();
                auto r = t.insert(Ref(obj), obj->iface);
                if (s.live.size() == t.capacity()) {
                    RC_ASSERT(r.error() == Error::CapTableFull);
                } else {
                    RC_ASSERT(r.ok());
                    CapId id = r.value();
                    RC_ASSERT(cabi::cap_id_generation(id) != 0);
                    RC_ASSERT(s.issued.count(id) == 0);  // no wrap in this many steps
                    s.issued.insert(id);
                    s.live[id] = ModelEntry{obj, obj->iface};
                    s.dead.erase(id);
                }
            } else if (op == 1) {  // lookup with an interface
                CapId id = pick_id(s);
                uint64_t iface = 100 + static_cast<uint64_t>(*rc::gen::inRange(0, 3));
                auto r = t.lookup(id, iface);
                auto it = s.live.find(id);
                if (it == s.live.end())
                    RC_ASSERT(r.error() == Error::CapStale);
                else if (it->second.iface != iface)
                    RC_ASSERT(r.error() == Error::CapWrongInterface);
                else
                    RC_ASSERT(r.ok() && r.value().object->get() == it->second.obj);
            } else if (op == 2) {  // release
                CapId id = pick_id(s);
                auto r = t.release(id);
                auto it = s.live.find(id);
                if (it == s.live.end()) {
                    RC_ASSERT(r.error() == Error::CapStale);
                } else {
                    RC_ASSERT(r.ok() && r.value().get() == it->second.obj);
                    s.live.erase(it);
                    s.dead.insert(id);
                }
            } else {  // transfer
                Side& src = s;
                Side& dst = sides[*rc::gen::inRange(0, 2)];
                const bool same = &src == &dst;
                const Snapshot s0 = snapshot(src.owned.table), d0 = snapshot(dst.owned.table);
                Transaction<Ref> txn(src.owned.table, dst.owned.table);

                // Predict each add with the model.
                const int n = *rc::gen::inRange<int>(1, static_cast<int>(cabi::kMaxTransfers) + 3);
                std::vector<std::pair<CapId, TransferMode>> plan;
                std::set<CapId> moving;
                uint32_t dst_free = dst.owned.table.capacity() - static_cast<uint32_t>(dst.live.size());
                bool failed = false;
                for (int i = 0; i < n && !failed; ++i) {
                    CapId id = pick_id(src);
                    TransferMode mode = *rc::gen::element(TransferMode::Copy, TransferMode::Move);
                    auto r = txn.add(id, mode);
                    Error expect{};
                    bool expect_ok = false;
                    if (plan.size() >= cabi::kMaxTransfers)
                        expect = Error::LimitExceeded;
                    else if (src.live.count(id) == 0)
                        expect = Error::CapStale;
                    else if (moving.count(id))
                        expect = Error::CapTransferConflict;
                    else if (dst_free == 0)
                        expect = Error::CapTableFull;
                    else
                        expect_ok = true;
                    if (expect_ok) {
                        RC_ASSERT(r.ok());
                        plan.emplace_back(id, mode);
                        if (mode == TransferMode::Move) moving.insert(id);
                        --dst_free;
                    } else {
                        RC_ASSERT(!r.ok());
                        RC_ASSERT(r.error() == expect);
                        failed = true;
                    }
                }
                const bool abort = failed || *rc::gen::inRange(0, 4) == 0;
                if (abort) {
                    txn.abort();
                    RC_ASSERT(snapshot(src.owned.table) == s0);
                    RC_ASSERT(snapshot(dst.owned.table) == d0);
                } else {
                    std::vector<TransferredCap> out(plan.size());
                    txn.commit(out);
                    std::vector<ModelEntry> sent;
                    for (auto& [id, mode] : plan) sent.push_back(src.live.at(id));
                    for (auto& [id, mode] : plan) {
                        if (mode == TransferMode::Move && src.live.erase(id)) src.dead.insert(id);
                    }
                    for (size_t i = 0; i < plan.size(); ++i) {
                        RC_ASSERT(out[i].interface_id == sent[i].iface);
                        RC_ASSERT(dst.issued.count(out[i].id) == 0);
                        dst.issued.insert(out[i].id);
                        dst.live[out[i].id] = sent[i];
                        dst.dead.erase(out[i].id);
                    }
                    (void)same;
                }
            }
            check_side(sides[0]);
            check_side(sides[1]);
            // Every reference the tables hold is counted exactly once.
            for (auto& o : objects) {
                int held = 0;
                for (Side& side : sides)
                    for (auto& [id, e] : side.live) held += e.obj == o.get();
                RC_ASSERT(o->refs == held);
            }
        }
        for (Side& side : sides) side.owned.table.release_all([](Ref&&) {});
        for (auto& o : objects) RC_ASSERT(o->refs == 0);
    }));
}

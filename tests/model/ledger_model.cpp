// Bounded exhaustive checks of the resource accounting in lib/mm: the real
// Ledger and resolve_limits (lib/mm/ledger.hpp), the real RegionMap
// (lib/mm/region_map.hpp), and the real CapTable (lib/cap) composed with a
// Ledger the way the kernel composes them.
//
// Each part enumerates every sequence of operations breadth first up to its
// depth bound; a state whose fingerprint was seen before is not expanded
// again (two sequences that reach the same state have the same futures).
// When no new state appears before the bound, the part has covered its
// whole reachable state space ("closure at depth N").
//
// ledger   Ledger over two limit sets: "small" {cap_slots 2, frames 3,
//          mapped_pages 0} with amounts 0..4 and 2^64-1; "huge" {2^64-1,
//          2^64-2, 2^63} with amounts 1, 2, 2^63, 2^64-2 and 2^64-1 (the
//          overflow edges). Operations: charge and refund of every amount
//          of every kind. Checked after every step: used <= limit for every
//          kind; used equals the sum of the successful charges minus the
//          successful refunds (kept by the model in 128 bits, so a wrap
//          would show); available == limit - used; the limits never change.
//          For every transition: a charge succeeds exactly when used + n
//          <= limit and a refund exactly when n <= used (else LimitExceeded
//          or InvalidArgument), and a refused operation leaves the ledger
//          byte for byte as it was. Also resolve_limits for every
//          (requested, default, ceiling) in {0, 1, 2, 3, 2^64-1}^3 of every
//          kind: the result is min(requested or default, ceiling).
//
// region   RegionMap over 6 pages with room for 3 regions, against a page
//          array (per page: free, or kind, tag, object page and whether a
//          region starts there). Operations: insert of an Anonymous region
//          or of one of two Object regions (offsets 0 and 3) at every page
//          from one below the range to its end, of 0, 1, 2, 3, 6, 7 and 2^52
//          pages, and at a misaligned address; remove of the same ranges
//          for every (kind, tag) including one never inserted. Checked at
//          every state: the regions are sorted, disjoint, non-empty and
//          inside the range, no more than the capacity, and page for page
//          equal to the model (kind, tag, object page, region starts);
//          find() at every page and outside the range, covered() for every
//          range and (kind, tag), and place() for every hint (0, every
//          page, misaligned) and size agree with the model. For every
//          transition: insert and remove succeed or fail exactly as the
//          model predicts (InvalidArgument, LimitExceeded when no entry is
//          left for a new region or a split), and a failed operation leaves
//          the map and its whole storage as they were.
//
// captable CapTable<CountedRef> and a Ledger together, composed as the
//          kernel does (kernel/proc/process.cpp process_insert_cap,
//          process_release_cap, destroy; kernel/ipc/ring_dispatch.cpp's
//          insert-all-or-undo of returned capabilities): charge CapSlots
//          before an insert and refund if the insert fails, refund after a
//          release, refund size() before release_all. The kernel's own
//          functions need the kernel and cannot run here; this part mirrors
//          their order of calls. Two configurations: 4 slots with a limit
//          of 3 (the ledger refuses first) and 3 slots with a limit of 5
//          (the table fills first). Operations: insert of two objects,
//          release of the live id and of a stale id of every slot, a batch
//          of 2 or 3 inserts undone when one fails, and release_all.
//          Checked after every step: table size == ledger CapSlots used <=
//          limit; the other kinds stay 0; every object's reference count
//          equals the slots holding it. For every transition: an insert
//          succeeds exactly when size < min(limit, slots), else
//          LimitExceeded (ledger full) or CapTableFull, and a refused
//          insert or release changes neither the table nor the ledger; a
//          failed batch leaves the size, the ledger and the counts as they
//          were.
//
// Usage: model_ledger [ledger_depth [region_depth [captable_depth]]]
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "abi/cap_id.hpp"
#include "lib/cap/cap_table.hpp"
#include "lib/mm/ledger.hpp"
#include "lib/mm/region_map.hpp"
#include "tests/model/model.hpp"

namespace {

using namespace capos;
using mm::Charge;
using mm::Ledger;
using mm::Limits;
using u128 = unsigned __int128;
using FpSet = std::unordered_set<std::pair<uint64_t, uint64_t>, model::FingerprintHash>;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
constexpr Charge kKinds[mm::kChargeKinds] = {Charge::CapSlots, Charge::Frames, Charge::MappedPages};
const char* kind_name(Charge k) {
    switch (k) {
    case Charge::CapSlots: return "cap_slots";
    case Charge::Frames: return "frames";
    case Charge::MappedPages: return "mapped_pages";
    }
    return "?";
}
unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

struct Stats {
    uint64_t states = 1;
    uint64_t transitions = 0;
    uint32_t depth = 0;
    bool closed = false;
};

void print_level(const char* part, const char* cfg, uint32_t depth, const Stats& st) {
    std::printf("  %s %s: depth %2u: %8llu states, %10llu transitions\n", part, cfg, depth, ull(st.states),
                ull(st.transitions));
    std::fflush(stdout);
}

void print_result(const char* part, const char* cfg, uint32_t bound, const Stats& st, double secs) {
    if (st.closed)
        std::printf("%s model %s: every reachable state (closure at depth %u, bound %u): %llu states, "
                    "%llu transitions, %.1f s: OK\n",
                    part, cfg, st.depth, bound, ull(st.states), ull(st.transitions), secs);
    else
        std::printf("%s model %s: every sequence to depth %u: %llu states, %llu transitions, %.1f s: OK\n", part,
                    cfg, st.depth, ull(st.states), ull(st.transitions), secs);
    std::fflush(stdout);
}

// ===========================================================================
// Part 1: Ledger

static_assert(std::is_trivially_copyable_v<Ledger>, "the check saves and restores ledgers by copy");

struct LedgerOp {
    bool charge;
    Charge kind;
    uint64_t n;
};

struct LedgerState {
    Ledger ledger;
    std::array<u128, mm::kChargeKinds> used{};  // the model: charges minus refunds that succeeded
};

std::string describe(const LedgerOp& op) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s(%s, %llu)", op.charge ? "charge" : "refund", kind_name(op.kind), ull(op.n));
    return buf;
}

bool same_bytes(const Ledger& a, const Ledger& b) { return std::memcmp(&a, &b, sizeof(Ledger)) == 0; }

void check_ledger_state(const LedgerState& s, const Limits& limits, const char* cfg) {
    MODEL_REQUIRE(s.ledger.limits() == limits, "ledger.limits", "%s: the limits changed", cfg);
    for (Charge k : kKinds) {
        uint64_t used = s.ledger.used(k), limit = s.ledger.limit(k);
        MODEL_REQUIRE(limit == limits.get(k), "ledger.limits", "%s: limit(%s) is %llu, want %llu", cfg,
                      kind_name(k), ull(limit), ull(limits.get(k)));
        MODEL_REQUIRE(used <= limit, "ledger.limit", "%s: %s used %llu above its limit %llu", cfg, kind_name(k),
                      ull(used), ull(limit));
        MODEL_REQUIRE(static_cast<u128>(used) == s.used[static_cast<size_t>(k)], "ledger.balance",
                      "%s: %s used %llu, but charges minus refunds are %llu", cfg, kind_name(k), ull(used),
                      ull(static_cast<uint64_t>(s.used[static_cast<size_t>(k)])));
        MODEL_REQUIRE(s.ledger.available(k) == limit - used, "ledger.available", "%s: available(%s) wrong", cfg,
                      kind_name(k));
    }
}

LedgerState apply_ledger(const LedgerState& s, const LedgerOp& op, const char* cfg) {
    LedgerState out = s;
    size_t i = static_cast<size_t>(op.kind);
    u128 limit = s.ledger.limit(op.kind);
    if (op.charge) {
        auto r = out.ledger.charge(op.kind, op.n);
        bool want_ok = s.used[i] + op.n <= limit;
        if (want_ok) {
            MODEL_REQUIRE(r.ok(), "ledger.charge", "%s: %s refused (%s) with room", cfg, describe(op).c_str(),
                          model::err(r.error()));
            out.used[i] += op.n;
        } else {
            MODEL_REQUIRE(!r.ok(), "ledger.limit", "%s: %s accepted past the limit", cfg, describe(op).c_str());
            MODEL_REQUIRE(r.error() == Error::LimitExceeded, "ledger.charge", "%s: %s gave %s, want LimitExceeded",
                          cfg, describe(op).c_str(), model::err(r.error()));
        }
    } else {
        auto r = out.ledger.refund(op.kind, op.n);
        bool want_ok = op.n <= s.used[i];
        if (want_ok) {
            MODEL_REQUIRE(r.ok(), "ledger.refund", "%s: %s refused (%s)", cfg, describe(op).c_str(),
                          model::err(r.error()));
            out.used[i] -= op.n;
        } else {
            MODEL_REQUIRE(!r.ok(), "ledger.balance", "%s: %s accepted more than was charged", cfg,
                          describe(op).c_str());
            MODEL_REQUIRE(r.error() == Error::InvalidArgument, "ledger.refund",
                          "%s: %s gave %s, want InvalidArgument", cfg, describe(op).c_str(), model::err(r.error()));
        }
    }
    if (out.used[i] == s.used[i])  // refused (or an amount of 0): not a byte may change
        MODEL_REQUIRE(same_bytes(out.ledger, s.ledger), "ledger.unchanged", "%s: %s changed the ledger", cfg,
                      describe(op).c_str());
    return out;
}

std::pair<uint64_t, uint64_t> fingerprint(const LedgerState& s) {
    model::Fingerprint f;
    f.add_value(s.ledger);
    for (u128 v : s.used) {
        f.add_value(static_cast<uint64_t>(v));
        f.add_value(static_cast<uint64_t>(v >> 64));
    }
    return f.value();
}

void check_ledger(const char* cfg, const Limits& limits, std::initializer_list<uint64_t> amounts, uint32_t bound) {
    model::Stopwatch sw;
    std::vector<LedgerOp> ops;
    for (Charge k : kKinds)
        for (uint64_t n : amounts) {
            ops.push_back({true, k, n});
            ops.push_back({false, k, n});
        }
    struct Node {
        LedgerState s;
        std::vector<LedgerOp> path;
    };
    const std::vector<LedgerOp>* path = nullptr;
    const LedgerOp* now = nullptr;
    model::violation_context() = [&] {
        std::fprintf(stderr, "  ledger %s, sequence from the empty ledger:\n", cfg);
        if (path)
            for (const LedgerOp& op : *path) std::fprintf(stderr, "    %s\n", describe(op).c_str());
        if (now) std::fprintf(stderr, "    %s   <- this step\n", describe(*now).c_str());
    };
    Node root{{Ledger(limits), {}}, {}};
    check_ledger_state(root.s, limits, cfg);
    FpSet seen{fingerprint(root.s)};
    std::vector<Node> frontier{root};
    Stats st;
    for (uint32_t depth = 1; depth <= bound && !frontier.empty(); ++depth) {
        std::vector<Node> next;
        for (const Node& node : frontier) {
            path = &node.path;
            for (const LedgerOp& op : ops) {
                now = &op;
                LedgerState after = apply_ledger(node.s, op, cfg);
                ++st.transitions;
                if (!seen.insert(fingerprint(after)).second) continue;
                check_ledger_state(after, limits, cfg);
                ++st.states;
                Node child{after, node.path};
                child.path.push_back(op);
                next.push_back(std::move(child));
            }
        }
        path = nullptr;
        now = nullptr;
        frontier = std::move(next);
        if (frontier.empty()) {
            st.closed = true;
            break;
        }
        st.depth = depth;
        print_level("ledger", cfg, depth, st);
    }
    model::violation_context() = nullptr;
    print_result("ledger", cfg, bound, st, sw.seconds());
}

void check_resolve_limits() {
    const uint64_t vals[] = {0, 1, 2, 3, kMax};
    uint64_t cases = 0;
    for (Charge k : kKinds)
        for (uint64_t r : vals)
            for (uint64_t d : vals)
                for (uint64_t c : vals) {
                    // The other kinds get fixed, different triples, so a mixed-up field shows.
                    Limits req{5, 6, 7}, def{50, 60, 70}, ceil{9, 10, 11};
                    auto set = [k](Limits& l, uint64_t v) {
                        if (k == Charge::CapSlots) l.cap_slots = v;
                        if (k == Charge::Frames) l.frames = v;
                        if (k == Charge::MappedPages) l.mapped_pages = v;
                    };
                    set(req, r);
                    set(def, d);
                    set(ceil, c);
                    Limits got = mm::resolve_limits(req, def, ceil);
                    for (Charge j : kKinds) {
                        uint64_t want_v = req.get(j) == 0 ? def.get(j) : req.get(j);
                        if (want_v > ceil.get(j)) want_v = ceil.get(j);
                        MODEL_REQUIRE(got.get(j) == want_v && got.get(j) <= ceil.get(j), "ledger.resolve",
                                      "resolve_limits(%llu, %llu, %llu) for %s gave %s %llu, want %llu", ull(r),
                                      ull(d), ull(c), kind_name(k), kind_name(j), ull(got.get(j)), ull(want_v));
                    }
                    ++cases;
                }
    std::printf("ledger model resolve_limits: every (requested, default, ceiling) in {0,1,2,3,2^64-1}^3 of every "
                "kind: %llu cases: OK\n",
                ull(cases));
}

// ===========================================================================
// Part 2: RegionMap

using mm::kRegionPageSize;
using mm::Region;
using mm::RegionKind;
using mm::RegionMap;

static_assert(std::is_trivially_copyable_v<RegionMap>, "the check saves and restores the map by copy");

constexpr uint64_t P = kRegionPageSize;
constexpr int kPages = 6;
constexpr size_t kCapacity = 3;
constexpr uint64_t kLo = 0x10000;
constexpr uint64_t kHi = kLo + kPages * P;

// What inserts put in: an Anonymous region and two Object regions.
struct Template {
    RegionKind kind;
    uint64_t tag;
    uint64_t offset;
};
constexpr Template kTemplates[] = {{RegionKind::Anonymous, 0, 0}, {RegionKind::Object, 1, 0}, {RegionKind::Object, 2, 3}};
// What removes and covered() ask for: those, and an object never mapped.
constexpr std::pair<RegionKind, uint64_t> kKindTags[] = {
    {RegionKind::Anonymous, 0}, {RegionKind::Object, 1}, {RegionKind::Object, 2}, {RegionKind::Object, 3}};
constexpr uint64_t kSizes[] = {0, 1, 2, 3, 6, 7, uint64_t{1} << 52};  // 2^52 pages: 2^64 bytes, wraps to 0

struct MPage {
    uint8_t kind = 0;  // 0: free; else the RegionKind
    uint8_t tag = 0;
    uint8_t objpage = 0;  // Object: the object page mapped here
    uint8_t start = 0;    // a region starts at this page
    bool operator==(const MPage&) const = default;
};
using PageModel = std::array<MPage, kPages>;

struct RegionState {
    RegionMap map;
    std::array<Region, kCapacity> storage;
    PageModel m;
};

enum class ROpKind : uint8_t { Insert, Remove };
struct ROp {
    ROpKind kind;
    uint64_t addr;
    uint64_t pages;
    uint8_t which;  // Insert: template; Remove: kind/tag
};

// Page index of an address, or -1 when outside or misaligned.
int page_of(uint64_t addr) {
    if (addr < kLo || addr >= kHi || addr % P) return -1;
    return static_cast<int>((addr - kLo) / P);
}

std::string describe(const ROp& op) {
    char buf[128];
    long long page = op.addr >= kLo ? static_cast<long long>((op.addr - kLo) / P) : -1;
    const char* mis = op.addr % P ? " + misaligned" : "";
    if (op.kind == ROpKind::Insert) {
        const Template& t = kTemplates[op.which];
        std::snprintf(buf, sizeof buf, "insert(page %lld%s, %llu pages, %s tag %llu offset %llu)", page, mis,
                      ull(op.pages), t.kind == RegionKind::Anonymous ? "anon" : "object", ull(t.tag),
                      ull(t.offset));
    } else {
        auto kt = kKindTags[op.which];
        std::snprintf(buf, sizeof buf, "remove(page %lld%s, %llu pages, %s tag %llu)", page, mis, ull(op.pages),
                      kt.first == RegionKind::Anonymous ? "anon" : "object", ull(kt.second));
    }
    return buf;
}

// The range check every operation starts with, in pages: [first, first + n)
// inside the map, n >= 1. False for an empty, misaligned, outside or
// wrapping range.
bool model_range(uint64_t addr, uint64_t pages, int* first) {
    int p = page_of(addr);
    if (p < 0 || pages == 0 || pages > static_cast<uint64_t>(kPages - p)) return false;
    *first = p;
    return true;
}

bool model_covered(const PageModel& m, uint64_t addr, uint64_t pages, RegionKind kind, uint64_t tag) {
    int p;
    if (!model_range(addr, pages, &p)) return false;
    for (int i = p; i < p + static_cast<int>(pages); ++i)
        if (m[i].kind != static_cast<uint8_t>(kind) || m[i].tag != tag) return false;
    return true;
}

size_t model_count(const PageModel& m) {
    size_t n = 0;
    for (const MPage& pg : m) n += pg.start;
    return n;
}

bool pages_free(const PageModel& m, int p, uint64_t n) {
    for (int i = p; i < p + static_cast<int>(n); ++i)
        if (m[i].kind) return false;
    return true;
}

class RegionChecker {
public:
    void run(uint32_t bound) {
        model::Stopwatch sw;
        RegionState root{};
        MODEL_REQUIRE(work_map_.init(work_, kLo, kHi).ok(), "region.init", "init failed");
        MODEL_REQUIRE(!RegionMap{}.init(work_, kLo + 8, kHi).ok() && !RegionMap{}.init(work_, kHi, kLo).ok() &&
                          !RegionMap{}.init(work_, kLo, kLo).ok(),
                      "region.init", "init accepted a bad range");
        root.map = work_map_;
        root.storage = work_;
        check_state(root);

        std::vector<ROp> ops;
        std::vector<uint64_t> addrs;
        for (int p = -1; p <= kPages; ++p) addrs.push_back(kLo + static_cast<uint64_t>(p) * P);
        for (uint8_t w = 0; w < 3; ++w)
            for (uint64_t a : addrs)
                for (uint64_t n : kSizes) ops.push_back({ROpKind::Insert, a, n, w});
        for (uint8_t w = 0; w < 3; ++w) ops.push_back({ROpKind::Insert, kLo + P + 8, 1, w});
        for (uint8_t w = 0; w < 4; ++w) {
            for (uint64_t a : addrs)
                for (uint64_t n : kSizes) ops.push_back({ROpKind::Remove, a, n, w});
            ops.push_back({ROpKind::Remove, kLo + P + 8, 1, w});
        }

        struct Node {
            RegionState s;
            std::vector<ROp> path;
        };
        const std::vector<ROp>* path = nullptr;
        const ROp* now = nullptr;
        model::violation_context() = [&] {
            std::fprintf(stderr, "  region map of %d pages, capacity %zu, sequence from the empty map:\n", kPages,
                         kCapacity);
            if (path)
                for (const ROp& op : *path) std::fprintf(stderr, "    %s\n", describe(op).c_str());
            if (now) std::fprintf(stderr, "    %s   <- this step\n", describe(*now).c_str());
        };
        FpSet seen{fingerprint(root)};
        std::vector<Node> frontier{{root, {}}};
        Stats st;
        for (uint32_t depth = 1; depth <= bound && !frontier.empty(); ++depth) {
            std::vector<Node> next;
            for (const Node& node : frontier) {
                path = &node.path;
                for (const ROp& op : ops) {
                    now = &op;
                    RegionState after = apply(node.s, op);
                    ++st.transitions;
                    if (!seen.insert(fingerprint(after)).second) continue;
                    check_state(after);
                    ++st.states;
                    Node child{after, node.path};
                    child.path.push_back(op);
                    next.push_back(std::move(child));
                }
            }
            path = nullptr;
            now = nullptr;
            frontier = std::move(next);
            if (frontier.empty()) {
                st.closed = true;
                break;
            }
            st.depth = depth;
            print_level("region", "6 pages, capacity 3", depth, st);
        }
        model::violation_context() = nullptr;
        print_result("region", "6 pages, capacity 3", bound, st, sw.seconds());
    }

private:
    void load(const RegionState& s) {
        work_ = s.storage;
        work_map_ = s.map;
    }

    static std::pair<uint64_t, uint64_t> fingerprint(const RegionState& s) {
        model::Fingerprint f;
        f.add_value(s.map.size());
        for (size_t i = 0; i < s.map.size(); ++i) {  // entries past size() are dead
            const Region& r = s.storage[i];
            f.add_value(r.base);
            f.add_value(r.pages);
            f.add_value(r.kind);
            f.add_value(r.tag);
            f.add_value(r.offset_pages);
        }
        f.add(s.m.data(), sizeof(s.m));
        return f.value();
    }

    // Field by field (Region has padding): the map object and every storage entry.
    static bool same(const RegionState& a, const RegionState& b) {
        if (std::memcmp(&a.map, &b.map, sizeof(RegionMap)) != 0) return false;
        for (size_t i = 0; i < kCapacity; ++i) {
            const Region &x = a.storage[i], &y = b.storage[i];
            if (x.base != y.base || x.pages != y.pages || x.kind != y.kind || x.tag != y.tag ||
                x.offset_pages != y.offset_pages)
                return false;
        }
        return true;
    }

    RegionState save(const PageModel& m) const {
        RegionState s{};
        s.map = work_map_;
        s.storage = work_;
        s.m = m;
        return s;
    }

    RegionState apply(const RegionState& s, const ROp& op) {
        load(s);
        PageModel m = s.m;
#define OP_DESC describe(op).c_str()  // formatted only when a check fails
        bool changed = false;
        if (op.kind == ROpKind::Insert) {
            const Template& t = kTemplates[op.which];
            Region r{op.addr, op.pages, t.kind, t.tag, t.offset};
            auto res = work_map_.insert(r);
            int p;
            Error want = Error::InvalidArgument;
            bool ok = false;
            if (model_range(op.addr, op.pages, &p) && pages_free(m, p, op.pages)) {
                if (model_count(m) == kCapacity)
                    want = Error::LimitExceeded;
                else
                    ok = true;
            }
            if (ok) {
                MODEL_REQUIRE(res.ok(), "region.insert", "%s refused: %s", OP_DESC, model::err(res.error()));
                for (uint64_t i = 0; i < op.pages; ++i) {
                    MPage& pg = m[p + i];
                    pg.kind = static_cast<uint8_t>(t.kind);
                    pg.tag = static_cast<uint8_t>(t.tag);
                    pg.objpage = t.kind == RegionKind::Object ? static_cast<uint8_t>(t.offset + i) : 0;
                    pg.start = i == 0;
                }
                changed = true;
            } else {
                MODEL_REQUIRE(!res.ok() && res.error() == want, "region.insert", "%s gave %s, model expects %s", OP_DESC,
                              res.ok() ? "ok" : model::err(res.error()), model::err(want));
            }
        } else {
            auto kt = kKindTags[op.which];
            auto res = work_map_.remove(op.addr, op.pages, kt.first, kt.second);
            Error want = Error::InvalidArgument;
            bool ok = false;
            int p = 0;
            if (model_covered(m, op.addr, op.pages, kt.first, kt.second)) {
                model_range(op.addr, op.pages, &p);
                int end = p + static_cast<int>(op.pages);
                // Strictly inside one region: no region starts in [p, end]
                // and the page at end is still part of it.
                bool split = !m[p].start && end < kPages && m[end].kind && !m[end].start;
                for (int i = p + 1; i < end && split; ++i) split = !m[i].start;
                if (split && model_count(m) == kCapacity)
                    want = Error::LimitExceeded;
                else
                    ok = true;
            }
            if (ok) {
                MODEL_REQUIRE(res.ok(), "region.remove", "%s refused: %s", OP_DESC, model::err(res.error()));
                int end = p + static_cast<int>(op.pages);
                for (int i = p; i < end; ++i) m[i] = MPage{};
                if (end < kPages && m[end].kind) m[end].start = 1;
                changed = true;
            } else {
                MODEL_REQUIRE(!res.ok() && res.error() == want, "region.remove", "%s gave %s, model expects %s", OP_DESC,
                              res.ok() ? "ok" : model::err(res.error()), model::err(want));
            }
        }
        RegionState out = save(m);
        if (!changed) MODEL_REQUIRE(same(out, s), "region.unchanged", "failed %s changed the map", OP_DESC);
#undef OP_DESC
        return out;
    }

    void check_state(const RegionState& s) {
        load(s);
        const RegionMap& map = work_map_;
        const PageModel& m = s.m;
        MODEL_REQUIRE(map.lo() == kLo && map.hi() == kHi && map.capacity() == kCapacity, "region.shape",
                      "range or capacity changed");
        MODEL_REQUIRE(map.size() <= kCapacity, "region.shape", "%zu regions in %zu entries", map.size(), kCapacity);
        MODEL_REQUIRE(map.size() == model_count(m), "region.model", "%zu regions, the model has %zu", map.size(),
                      model_count(m));
        uint64_t covered_pages = 0;
        for (size_t i = 0; i < map.size(); ++i) {
            const Region& r = map[i];
            MODEL_REQUIRE(r.pages >= 1 && r.base % P == 0 && r.base >= kLo && r.end() <= kHi, "region.shape",
                          "region %zu [%#llx, +%llu pages) empty, misaligned or outside", i, ull(r.base),
                          ull(r.pages));
            if (i + 1 < map.size())
                MODEL_REQUIRE(r.end() <= map[i + 1].base, "region.sorted", "regions %zu and %zu overlap or are unsorted",
                              i, i + 1);
            if (r.kind == RegionKind::Anonymous)
                MODEL_REQUIRE(r.tag == 0 && r.offset_pages == 0, "region.model", "anonymous region %zu has a tag", i);
            int p0 = page_of(r.base);
            for (uint64_t j = 0; j < r.pages; ++j) {
                const MPage& pg = m[p0 + j];
                uint8_t objpage = r.kind == RegionKind::Object ? static_cast<uint8_t>(r.offset_pages + j) : 0;
                MODEL_REQUIRE(pg.kind == static_cast<uint8_t>(r.kind) && pg.tag == r.tag && pg.objpage == objpage &&
                                  pg.start == (j == 0),
                              "region.model", "page %llu: map says kind %d tag %llu object page %u%s; model differs",
                              ull(p0 + j), static_cast<int>(r.kind), ull(r.tag), objpage, j == 0 ? " (start)" : "");
            }
            covered_pages += r.pages;
        }
        uint64_t model_pages = 0;
        for (const MPage& pg : m) model_pages += pg.kind != 0;
        MODEL_REQUIRE(covered_pages == model_pages, "region.model", "regions hold %llu pages, the model %llu",
                      ull(covered_pages), ull(model_pages));

        // find() everywhere, in and outside the range.
        for (int p = -1; p <= kPages; ++p) {
            for (uint64_t off : {uint64_t{0}, P - 1}) {
                uint64_t addr = kLo + static_cast<uint64_t>(p) * P + off;
                const Region* r = map.find(addr);
                bool want = p >= 0 && p < kPages && m[p].kind;
                MODEL_REQUIRE((r != nullptr) == want, "region.find", "find(page %d + %llu) is %s", p, ull(off),
                              r ? "a region" : "null");
                if (r)
                    MODEL_REQUIRE(r->base <= addr && addr < r->end(), "region.find",
                                  "find(page %d) gave a region not containing it", p);
            }
        }
        // covered() for every range and (kind, tag).
        for (int p = -1; p <= kPages; ++p)
            for (uint64_t n : kSizes)
                for (auto kt : kKindTags) {
                    uint64_t addr = kLo + static_cast<uint64_t>(p) * P;
                    bool got = map.covered(addr, n, kt.first, kt.second);
                    MODEL_REQUIRE(got == model_covered(m, addr, n, kt.first, kt.second), "region.covered",
                                  "covered(page %d, %llu pages, kind %d tag %llu) is %d", p, ull(n),
                                  static_cast<int>(kt.first), ull(kt.second), got);
                }
        MODEL_REQUIRE(!map.covered(kLo + P + 8, 1, RegionKind::Anonymous, 0), "region.covered",
                      "covered() of a misaligned address");
        // place() for every hint and size.
        std::vector<uint64_t> hints{0, kLo + 8};
        for (int p = -1; p <= kPages; ++p) hints.push_back(kLo + static_cast<uint64_t>(p) * P);
        for (uint64_t hint : hints)
            for (uint64_t n : kSizes) {
                auto got = map.place(hint, n);
                bool want_ok = false;
                uint64_t want_addr = 0;
                // 0 pages or more than the range: InvalidArgument whatever
                // the hint; no room at hint 0: OutOfMemory.
                Error want_err = hint || n == 0 || n > kPages ? Error::InvalidArgument : Error::OutOfMemory;
                if (hint) {
                    int p;
                    if (model_range(hint, n, &p) && pages_free(m, p, n)) {
                        want_ok = true;
                        want_addr = hint;
                    }
                } else if (n >= 1 && n <= kPages) {
                    for (int p = 0; p + static_cast<int>(n) <= kPages && !want_ok; ++p)
                        if (pages_free(m, p, n)) {
                            want_ok = true;
                            want_addr = kLo + static_cast<uint64_t>(p) * P;
                        }
                }
                if (want_ok)
                    MODEL_REQUIRE(got.ok() && got.value() == want_addr, "region.place",
                                  "place(%#llx, %llu) gave %s %#llx, want %#llx", ull(hint), ull(n),
                                  got.ok() ? "" : model::err(got.error()), ull(got.ok() ? got.value() : 0),
                                  ull(want_addr));
                else
                    MODEL_REQUIRE(!got.ok() && got.error() == want_err, "region.place",
                                  "place(%#llx, %llu) gave %s, want %s", ull(hint), ull(n),
                                  got.ok() ? "ok" : model::err(got.error()), model::err(want_err));
            }
        // check_range: page-aligned byte ranges inside the map.
        for (int p = -1; p <= kPages; ++p)
            for (uint64_t n : kSizes) {
                uint64_t addr = kLo + static_cast<uint64_t>(p) * P;
                auto got = map.check_range(addr, n * P);
                int first;
                bool want = n * P / P == n && model_range(addr, n, &first);
                MODEL_REQUIRE(got.ok() == want && (!want || got.value() == n), "region.range",
                              "check_range(page %d, %llu pages) is %s", p, ull(n), got.ok() ? "ok" : "refused");
            }
    }

    std::array<Region, kCapacity> work_{};
    RegionMap work_map_{};
};

// ===========================================================================
// Part 3: CapTable and Ledger together

using cap::CapTable;
using cap::SlotState;
using model::Counted;
using model::CountedRef;
using Table = CapTable<CountedRef>;
using SlotT = cap::Slot<CountedRef>;
static_assert(sizeof(SlotT) == 24, "no padding: byte comparison of slots is exact");

constexpr uint32_t kMaxSlots = 4;
constexpr uint32_t kObjects = 2;
constexpr uint64_t kIface[kObjects] = {0xA0A0'0000'0000'0001ull, 0xB1B1'0000'0000'0002ull};

enum class COpKind : uint8_t { Insert, Release, ReleaseStale, Batch, ReleaseAll };
struct COp {
    COpKind kind;
    uint8_t arg;  // Insert: object; Release*: slot; Batch: count
};

std::string describe(const COp& op) {
    char buf[64];
    switch (op.kind) {
    case COpKind::Insert: std::snprintf(buf, sizeof buf, "insert(obj%u)", op.arg); break;
    case COpKind::Release: std::snprintf(buf, sizeof buf, "release(live id of slot %u)", op.arg); break;
    case COpKind::ReleaseStale: std::snprintf(buf, sizeof buf, "release(stale id of slot %u)", op.arg); break;
    case COpKind::Batch: std::snprintf(buf, sizeof buf, "batch of %u inserts, undone on failure", op.arg); break;
    case COpKind::ReleaseAll: std::snprintf(buf, sizeof buf, "release_all (process exit)"); break;
    }
    return buf;
}

struct CapWorld {
    std::array<Counted, kObjects> objs{};
    std::array<SlotT, kMaxSlots> storage{};
    Table table;
    Ledger ledger;
    uint32_t slots;

    CapWorld(uint32_t nslots, uint64_t limit) : ledger(Limits{limit, 0, 0}), slots(nslots) {
        MODEL_REQUIRE(table.init(std::span<SlotT>(storage.data(), nslots)).ok(), "captable.init", "init failed");
    }
    ~CapWorld() { table.release_all([](CountedRef&&) {}); }
    CapWorld(const CapWorld&) = delete;
    CapWorld& operator=(const CapWorld&) = delete;

    // kernel/proc/process.cpp process_insert_cap.
    Result<abi::CapId> insert_cap(uint32_t o) {
        TRY(ledger.charge(Charge::CapSlots, 1));
        auto id = table.insert(CountedRef(&objs[o]), kIface[o]);
        if (!id.ok()) refund(1);
        return id;
    }
    // kernel/proc/process.cpp process_release_cap.
    Result<void> release_cap(abi::CapId id) {
        CountedRef ref = TRY(table.release(id));
        refund(1);
        return {};
    }
    // kernel/proc/process.cpp destroy.
    void release_all() {
        refund(table.size());
        table.release_all([](CountedRef&&) {});
    }
    // kernel/ipc/ring_dispatch.cpp: every returned capability or none.
    bool batch(uint32_t n) {
        abi::CapId ids[kMaxSlots + 1] = {};
        uint32_t inserted = 0;
        for (; inserted < n; ++inserted) {
            auto id = insert_cap(inserted % kObjects);
            if (!id.ok()) break;
            ids[inserted] = id.value();
        }
        if (inserted == n) return true;
        for (uint32_t i = 0; i < inserted; ++i)
            if (table.release(ids[i]).ok()) refund(1);
        return false;
    }
    // Account::refund: a refused refund is a kernel accounting bug.
    void refund(uint64_t n) {
        auto r = ledger.refund(Charge::CapSlots, n);
        MODEL_REQUIRE(r.ok(), "ledger.balance", "refund of %llu cap slots refused: %s", ull(n), model::err(r.error()));
    }

    struct Raw {
        std::array<unsigned char, kMaxSlots * sizeof(SlotT)> slots{};
        std::array<uint32_t, 4> meta{};
        std::array<unsigned char, sizeof(Ledger)> ledger{};
        bool operator==(const Raw&) const = default;
    };
    Raw raw() const {
        Raw r;
        std::memcpy(r.slots.data(), table.slots().data(), table.slots().size_bytes());
        r.meta = {table.free_head(), table.free_tail(), table.size(), table.free_slots()};
        std::memcpy(r.ledger.data(), &ledger, sizeof(Ledger));
        return r;
    }

    std::pair<uint64_t, uint64_t> fingerprint() const {
        model::Fingerprint f;
        for (const SlotT& s : table.slots()) {
            int8_t o = -1;
            for (uint32_t i = 0; i < kObjects; ++i)
                if (s.object.get() == &objs[i]) o = static_cast<int8_t>(i);
            f.add_value(o);
            f.add_value(s.interface_id);
            f.add_value(s.next_free);
            f.add_value(s.generation);
            f.add_value(s.state);
        }
        f.add_value(table.free_head());
        f.add_value(table.free_tail());
        f.add_value(table.size());
        f.add_value(ledger);
        return f.value();
    }
};

void check_cap_state(CapWorld& w, const char* cfg) {
    uint64_t used = w.ledger.used(Charge::CapSlots), limit = w.ledger.limit(Charge::CapSlots);
    MODEL_REQUIRE(w.table.size() == used, "ledger.captable", "%s: %u live slots, the ledger counts %llu", cfg,
                  w.table.size(), ull(used));
    MODEL_REQUIRE(used <= limit, "ledger.limit", "%s: %llu cap slots charged, limit %llu", cfg, ull(used), ull(limit));
    MODEL_REQUIRE(w.ledger.used(Charge::Frames) == 0 && w.ledger.used(Charge::MappedPages) == 0, "ledger.captable",
                  "%s: other kinds charged", cfg);
    std::array<int, kObjects> holders{};
    uint32_t live = 0;
    for (const SlotT& s : w.table.slots()) {
        if (s.state != SlotState::Live) continue;
        ++live;
        for (uint32_t o = 0; o < kObjects; ++o)
            if (s.object.get() == &w.objs[o]) ++holders[o];
    }
    MODEL_REQUIRE(live == w.table.size(), "captable.count", "%s: %u live slots, size() %u", cfg, live, w.table.size());
    for (uint32_t o = 0; o < kObjects; ++o)
        MODEL_REQUIRE(w.objs[o].refs == holders[o], "captable.refs", "%s: obj%u has %d references, %d holders", cfg, o,
                      w.objs[o].refs, holders[o]);
}

// Applies op; with check, verifies the transition against the model.
void apply_cap(CapWorld& w, const COp& op, bool check, const char* cfg) {
    auto before = w.raw();
    uint32_t size = w.table.size();
    uint64_t limit = w.ledger.limit(Charge::CapSlots);
    uint64_t room = std::min<uint64_t>(limit, w.slots);
    std::array<int, kObjects> refs{w.objs[0].refs, w.objs[1].refs};
#define OP_DESC describe(op).c_str()  // formatted only when a check fails
    switch (op.kind) {
    case COpKind::Insert: {
        auto r = w.insert_cap(op.arg);
        if (!check) break;
        if (size < room) {
            MODEL_REQUIRE(r.ok(), "ledger.captable", "%s: %s refused (%s) with %u of %llu used", cfg, OP_DESC,
                          model::err(r.error()), size, ull(room));
        } else {
            Error want = size >= limit ? Error::LimitExceeded : Error::CapTableFull;
            MODEL_REQUIRE(!r.ok(), "ledger.limit", "%s: %s accepted with %u of %llu used", cfg, OP_DESC, size, ull(room));
            MODEL_REQUIRE(r.error() == want, "ledger.captable", "%s: %s gave %s, want %s", cfg, OP_DESC,
                          model::err(r.error()), model::err(want));
            MODEL_REQUIRE(w.raw() == before, "ledger.unchanged", "%s: refused %s changed the table or ledger", cfg, OP_DESC);
        }
        break;
    }
    case COpKind::Release:
    case COpKind::ReleaseStale: {
        const SlotT& s = w.table.slots()[op.arg];
        bool live = s.state == SlotState::Live && op.kind == COpKind::Release;
        uint32_t gen = op.kind == COpKind::Release ? s.generation : abi::next_cap_generation(s.generation);
        if (op.kind == COpKind::ReleaseStale && s.generation > 1) gen = s.generation - 1u;
        auto r = w.release_cap(abi::make_cap_id(op.arg, gen));
        if (!check) break;
        if (live) {
            MODEL_REQUIRE(r.ok(), "ledger.captable", "%s: %s refused: %s", cfg, OP_DESC, model::err(r.error()));
        } else {
            MODEL_REQUIRE(!r.ok() && r.error() == Error::CapStale, "ledger.captable", "%s: %s gave %s", cfg, OP_DESC,
                          r.ok() ? "ok" : model::err(r.error()));
            MODEL_REQUIRE(w.raw() == before, "ledger.unchanged", "%s: refused %s changed the table or ledger", cfg, OP_DESC);
        }
        break;
    }
    case COpKind::Batch: {
        bool ok = w.batch(op.arg);
        if (!check) break;
        bool want = size + op.arg <= room;
        MODEL_REQUIRE(ok == want, "ledger.captable", "%s: %s %s with %u of %llu used", cfg, OP_DESC,
                      ok ? "succeeded" : "failed", size, ull(room));
        if (!ok) {
            MODEL_REQUIRE(w.table.size() == size && w.ledger.used(Charge::CapSlots) == size &&
                              w.objs[0].refs == refs[0] && w.objs[1].refs == refs[1],
                          "ledger.unchanged", "%s: failed %s left %u slots, %llu charged", cfg, OP_DESC, w.table.size(),
                          ull(w.ledger.used(Charge::CapSlots)));
        }
        break;
    }
    case COpKind::ReleaseAll:
        w.release_all();
        if (check)
            MODEL_REQUIRE(w.table.size() == 0 && w.ledger.used(Charge::CapSlots) == 0, "ledger.captable",
                          "%s: release_all left %u slots, %llu charged", cfg, w.table.size(),
                          ull(w.ledger.used(Charge::CapSlots)));
        break;
    }
#undef OP_DESC
}

void check_captable(const char* cfg, uint32_t nslots, uint64_t limit, uint32_t bound) {
    model::Stopwatch sw;
    std::vector<COp> ops;
    for (uint8_t o = 0; o < kObjects; ++o) ops.push_back({COpKind::Insert, o});
    for (uint8_t s = 0; s < nslots; ++s) {
        ops.push_back({COpKind::Release, s});
        ops.push_back({COpKind::ReleaseStale, s});
    }
    ops.push_back({COpKind::Batch, 2});
    ops.push_back({COpKind::Batch, 3});
    ops.push_back({COpKind::ReleaseAll, 0});

    const std::vector<COp>* path = nullptr;
    const COp* now = nullptr;
    model::violation_context() = [&] {
        std::fprintf(stderr, "  captable %s, sequence from the empty table:\n", cfg);
        if (path)
            for (const COp& op : *path) std::fprintf(stderr, "    %s\n", describe(op).c_str());
        if (now) std::fprintf(stderr, "    %s   <- this step\n", describe(*now).c_str());
    };
    FpSet seen;
    {
        CapWorld w(nslots, limit);
        check_cap_state(w, cfg);
        seen.insert(w.fingerprint());
    }
    std::vector<std::vector<COp>> frontier(1);
    Stats st;
    for (uint32_t depth = 1; depth <= bound && !frontier.empty(); ++depth) {
        std::vector<std::vector<COp>> next;
        for (const auto& p : frontier) {
            path = &p;
            for (const COp& op : ops) {
                now = &op;
                CapWorld w(nslots, limit);  // the table is not copyable: replay the checked path
                for (const COp& q : p) apply_cap(w, q, false, cfg);
                apply_cap(w, op, true, cfg);
                ++st.transitions;
                if (!seen.insert(w.fingerprint()).second) continue;
                check_cap_state(w, cfg);
                ++st.states;
                next.push_back(p);
                next.back().push_back(op);
            }
        }
        path = nullptr;
        now = nullptr;
        frontier = std::move(next);
        if (frontier.empty()) {
            st.closed = true;
            break;
        }
        st.depth = depth;
        print_level("captable", cfg, depth, st);
    }
    model::violation_context() = nullptr;
    print_result("captable", cfg, bound, st, sw.seconds());
}

}  // namespace

int main(int argc, char** argv) {
    uint32_t ledger_depth = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 8;
    uint32_t region_depth = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 12;
    uint32_t cap_depth = argc > 3 ? static_cast<uint32_t>(std::atoi(argv[3])) : 10;
    check_ledger("small {2,3,0}", Limits{2, 3, 0}, {0, 1, 2, 3, 4, kMax}, ledger_depth);
    check_ledger("huge {2^64-1,2^64-2,2^63}", Limits{kMax, kMax - 1, uint64_t{1} << 63},
                 {1, 2, uint64_t{1} << 63, kMax - 1, kMax}, ledger_depth);
    check_resolve_limits();
    if (region_depth > 0) RegionChecker().run(region_depth);
    if (cap_depth > 0) {
        check_captable("4 slots, limit 3", 4, 3, cap_depth);
        check_captable("3 slots, limit 5", 3, 5, cap_depth);
    }
    return 0;
}

// The ring interleaving model: the real KernelRing and UserRing (lib/ring),
// compiled against ModelAccess, an Access policy (lib/ring/shared_access.hpp)
// that checks every shared load and store and hands control to the
// scheduler (dpor.hpp) before performing it.
//
// Threads of one run:
//   0 producer  the process: submits `sqes` SQEs through UserRing (reaping
//               when the SQ is full, up to `retries` attempts), then makes
//               `reaps` reap attempts
//   1 kernel    `passes` cap_enter passes: begin_pass, next/post until the
//               pass ends, end_pass; a completion whose post is refused
//               (RingCqFull) is kept with its reservation and retried at
//               the start of the next pass
//   2 hostile   (hostile scenarios only) another thread of the process that
//               overwrites ring indices: each write loads a base word and
//               stores base + delta into a target word
// After the threads finish, finish() runs sequentially: an honest
// scenario drains the ring; a hostile one resynchronises the process to
// the kernel's published indices and sends fresh traffic.
//
// Checked at every access (both kinds of scenario):
//   ring.range        the address is inside the ring and naturally aligned
//   ring.kernel_*     the kernel stores only sq_head, flags, cq_tail,
//                     cq_overflow and CQ entries, loads only sq_tail,
//                     cq_head and SQ entries; it reads SQ slot
//                     (sq_head & mask) and writes CQ slot (cq_tail & mask)
//   ring.user_*       the producer stores only sq_tail, cq_head and SQ
//                     entries, never loads the SQ, and uses its own slots
//   ring.cq_overwrite the kernel writes a CQE only into a slot the cq_head
//                     it last loaded shows as reaped
// After every kernel pass: ring.clamp (begin_pass yields at most
// sq_entries and a pass consumes at most that many), ring.indices (the
// kernel's sq_head and cq_tail moved exactly by the SQEs it consumed and
// the CQEs it posted), ring.backlog (the flag is set iff the pass stopped
// on a full CQ), ring.overflow (the overflow counter rises by exactly one
// per refused reservation or post), ring.reserve (every consumed SQE's
// completion is posted or holds a reservation).
// Honest scenarios also check ownership and delivery: ring.sq_overwrite
// (the producer never writes an SQ slot the kernel has not consumed),
// ring.sq_read (the kernel reads only published SQEs, and gets exactly what
// was written), ring.cq_read, ring.order (CQEs arrive once each, in order,
// with the right user_data), ring.post (a post never fails), and at the
// end ring.lost (every published SQE was consumed and completed exactly
// once), ring.backlog, ring.overflow (the header's counter), ring.drain.
// Hostile scenarios end with ring.recover: after resynchronising, the
// process can attach again, the kernel posts every completion it held,
// and a full SQ of fresh SQEs comes back exactly once each, in order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "abi/ring.hpp"
#include "lib/ring/kernel_ring.hpp"
#include "lib/ring/user_ring.hpp"
#include "tests/model/dpor.hpp"
#include "tests/model/model.hpp"

namespace capos::model::ringm {

namespace cabi = capos::abi;
using capos::ring::SharedWord;

class RingWorld;

inline RingWorld*& current_world() {
    static RingWorld* w = nullptr;
    return w;
}

struct ModelAccess {
    static uint32_t load_acquire(const uint32_t* p);
    static void store_release(uint32_t* p, uint32_t v);
    static uint64_t load_relaxed(const SharedWord* p);
    static void store_relaxed(SharedWord* p, uint64_t v);
};

using KRing = capos::ring::KernelRing<ModelAccess>;
using URing = capos::ring::UserRing<ModelAccess>;

enum class Word : uint8_t { SqHead, CqTail, SqTail, CqHead, Flags, CqOverflow };

inline size_t word_offset(Word w) {
    switch (w) {
    case Word::SqHead: return offsetof(cabi::RingHeader, sq_head);
    case Word::CqTail: return offsetof(cabi::RingHeader, cq_tail);
    case Word::SqTail: return offsetof(cabi::RingHeader, sq_tail);
    case Word::CqHead: return offsetof(cabi::RingHeader, cq_head);
    case Word::Flags: return offsetof(cabi::RingHeader, flags);
    case Word::CqOverflow: return offsetof(cabi::RingHeader, cq_overflow);
    }
    return 0;
}

inline const char* word_name(Word w) {
    switch (w) {
    case Word::SqHead: return "sq_head";
    case Word::CqTail: return "cq_tail";
    case Word::SqTail: return "sq_tail";
    case Word::CqHead: return "cq_head";
    case Word::Flags: return "flags";
    case Word::CqOverflow: return "cq_overflow";
    }
    return "?";
}

struct HostileWrite {
    Word target;
    Word base;
    int32_t delta;
};

enum class Granularity : uint8_t { Glued, Entry, Word };

struct RingScenario {
    std::string name;
    uint32_t sq_entries = 2;
    uint32_t cq_entries = 2;
    uint32_t initial_index = 0;
    uint32_t sqes = 2;     // producer: SQEs to submit
    uint32_t retries = 1;  // producer: reap attempts per full SQ before giving up
    uint32_t reaps = 2;    // producer: reap attempts after submitting
    uint32_t passes = 2;   // kernel: passes during the concurrent phase
    std::vector<HostileWrite> hostile;  // empty: an honest scenario
    Granularity granularity = Granularity::Glued;  // of entry accesses (RingWorld::before)

    bool honest() const { return hostile.empty(); }
};

inline std::string describe(const HostileWrite& w) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s := %s %c %u", word_name(w.target), word_name(w.base), w.delta < 0 ? '-' : '+',
                  static_cast<unsigned>(w.delta < 0 ? -static_cast<int64_t>(w.delta) : w.delta));
    return buf;
}

// Ring memory at one fixed address for every run, so replayed schedules
// see the same addresses. Room for geometries up to 8 SQEs and 16 CQEs.
inline unsigned char* ring_memory() {
    alignas(64) static unsigned char mem[2048];
    return mem;
}
inline constexpr size_t kRingMemoryBytes = 2048;

enum class Role : uint8_t { Setup, Producer, Kernel, Hostile, Process };

// How many runs reached each interesting situation (so a scenario's checks
// are seen not to be vacuous). Counted in the concurrent phase only.
struct Coverage {
    uint64_t cq_full = 0;         // next() refused an SQE for want of CQ room
    uint64_t post_refused = 0;    // post() refused (corrupted cq_head)
    uint64_t sq_full = 0;         // the producer found the SQ full
    uint64_t torn_claim = 0;      // begin_pass saw more SQEs claimed than sq_entries
};
inline Coverage& coverage() {
    static Coverage c;
    return c;
}

class RingWorld final : public Program {
public:
    RingWorld(Engine& engine, const RingScenario& sc) : engine_(engine), sc_(sc) {
        current_world() = this;
        auto geo = capos::ring::RingGeometry::make(sc.sq_entries, sc.cq_entries);
        if (!geo.ok() || geo.value().bytes() > kRingMemoryBytes) violation("ring.setup", "bad geometry");
        bytes_ = geo.value().bytes();
        sq_off_ = geo.value().sq_offset();
        cq_off_ = geo.value().cq_offset();
        std::memset(ring_memory(), 0, kRingMemoryBytes);
        role_ = Role::Setup;
        auto k = KRing::create(ring_memory(), bytes_, geo.value());
        if (!k.ok()) violation("ring.setup", "KernelRing::create failed");
        kr_.emplace(k.value());
        kr_->reset(sc.initial_index);
        auto u = URing::attach(ring_memory(), bytes_);
        if (!u.ok()) violation("ring.setup", "UserRing::attach failed: %s", err(u.error()));
        ur_.emplace(u.value());
        log_.resize(sc.sqes);
        kernel_cq_head_ = sc.initial_index;
        u_sq_tail_ = sc.initial_index;
        u_cq_head_ = sc.initial_index;
    }
    ~RingWorld() override { current_world() = nullptr; }

    uint32_t thread_count() const override { return sc_.honest() ? 2 : 3; }

    void thread_main(uint32_t t) override {
        if (t == 0)
            producer();
        else if (t == 1)
            kernel();
        else
            hostile();
    }

    void finish() override {
        Coverage& c = coverage();
        c.cq_full += seen_cq_full_;
        c.post_refused += seen_post_refused_;
        c.sq_full += seen_sq_full_;
        c.torn_claim += seen_claim_clamped_;
        if (sc_.honest())
            finish_honest();
        else
            finish_hostile();
    }

    // ---- access hooks (ModelAccess) ----

    // Index words (4 bytes) are always scheduling points. Entry words (8
    // bytes), by the scenario's granularity:
    //   Word   every word is a scheduling point;
    //   Entry  each SQE/CQE copy is one step (a conflict on any of its
    //          words is a conflict of the step); tearing inside one copy is
    //          not explored: it changes only the copied content, which the
    //          kernel treats as untrusted anyway;
    //   Glued  entry words run within the thread's current step. The
    //          ownership checks justify this for honest runs (no other
    //          thread can touch that slot then, so the access commutes with
    //          every concurrent one); validate() in ring_model.cpp compares
    //          all three. A hostile writer breaks ownership (the kernel may
    //          read an SQ slot the producer is writing), so hostile
    //          scenarios use at least Entry.
    void before(const void* p, uint32_t size, bool write) {
        if (size == 4) {
            engine_.access(p, size, write);
        } else if (granularity() == Granularity::Word) {
            engine_.access(p, size, write);
        } else if (granularity() == Granularity::Entry) {
            size_t off = offset(p);
            if (in_sq(off) && (off - sq_off_) % cabi::kSqeBytes == 0)
                engine_.access(p, cabi::kSqeBytes, write);
            else if (in_cq(off) && (off - cq_off_) % cabi::kCqeBytes == 0)
                engine_.access(p, cabi::kCqeBytes, write);
        }
        check_access(p, size, write);
    }

    void after_load(const void* p, uint64_t v) {
        if (role() == Role::Kernel && offset(p) == word_offset(Word::CqHead))
            kernel_cq_head_ = static_cast<uint32_t>(v);
        if (engine_.threaded()) {
            Fingerprint& f = observed_[engine_.current()];
            f.add_value(offset(p));
            f.add_value(v);
        }
    }

    // What each thread read, in its own order, and the ring afterwards:
    // equal for runs that differ only in the order of independent accesses.
    std::pair<uint64_t, uint64_t> outcome() const override {
        Fingerprint f;
        for (const Fingerprint& o : observed_) {
            auto v = o.value();
            f.add_value(v.first);
            f.add_value(v.second);
        }
        f.add(ring_memory(), bytes_);
        return f.value();
    }

private:
    Granularity granularity() const {
        if (!sc_.honest() && sc_.granularity == Granularity::Glued) return Granularity::Entry;
        return sc_.granularity;
    }

    Role role() const {
        if (!engine_.threaded()) return role_;
        switch (engine_.current()) {
        case 0: return Role::Producer;
        case 1: return Role::Kernel;
        default: return Role::Hostile;
        }
    }

    static cabi::RingHeader* header() { return reinterpret_cast<cabi::RingHeader*>(ring_memory()); }

    size_t offset(const void* p) const {
        return static_cast<size_t>(static_cast<const unsigned char*>(p) - ring_memory());
    }
    bool in_sq(size_t off) const { return off >= sq_off_ && off < cq_off_; }
    bool in_cq(size_t off) const { return off >= cq_off_ && off < bytes_; }
    static bool is_word(size_t off, Word w) { return off == word_offset(w); }
    uint32_t sq_mask() const { return sc_.sq_entries - 1; }
    uint32_t cq_mask() const { return sc_.cq_entries - 1; }

    void check_access(const void* p, uint32_t size, bool write) {
        const auto* a = static_cast<const unsigned char*>(p);
        const unsigned char* base = ring_memory();
        MODEL_REQUIRE(a >= base && a + size <= base + bytes_ && reinterpret_cast<uintptr_t>(a) % size == 0,
                      "ring.range", "%s of %u bytes at ring offset %td (ring is %u bytes)", write ? "store" : "load",
                      size, a - base, bytes_);
        size_t off = offset(p);
        switch (role()) {
        case Role::Setup: return;
        case Role::Kernel:
            if (write) {
                bool own = is_word(off, Word::SqHead) || is_word(off, Word::Flags) || is_word(off, Word::CqTail) ||
                           is_word(off, Word::CqOverflow);
                MODEL_REQUIRE(own || (in_cq(off) && size == 8), "ring.kernel_write", "kernel stores to offset %zu",
                              off);
                if (in_cq(off)) check_kernel_cq_store(off);
            } else {
                bool user_word = is_word(off, Word::SqTail) || is_word(off, Word::CqHead);
                MODEL_REQUIRE(user_word || (in_sq(off) && size == 8), "ring.kernel_read",
                              "kernel loads offset %zu (it must never read back its own words or the CQ)", off);
                if (in_sq(off)) check_kernel_sq_load(off);
            }
            return;
        case Role::Producer:
            if (write) {
                bool own = is_word(off, Word::SqTail) || is_word(off, Word::CqHead);
                MODEL_REQUIRE(own || (in_sq(off) && size == 8), "ring.user_write", "producer stores to offset %zu",
                              off);
                if (in_sq(off)) check_user_sq_store(off);
            } else {
                MODEL_REQUIRE(!in_sq(off), "ring.user_read", "producer loads the SQ at offset %zu", off);
                if (in_cq(off)) check_user_cq_load(off);
            }
            return;
        case Role::Hostile:
            MODEL_REQUIRE(size == 4 && off >= word_offset(Word::SqHead) && off < 256, "ring.hostile",
                          "hostile writer strays to offset %zu", off);
            return;
        case Role::Process:
            if (write)
                MODEL_REQUIRE(is_word(off, Word::SqTail) || is_word(off, Word::CqHead), "ring.user_write",
                              "resync stores to offset %zu", off);
            return;
        }
    }

    void check_kernel_cq_store(size_t off) {
        uint32_t idx = kr_->cq_tail();
        uint32_t slot = static_cast<uint32_t>((off - cq_off_) / cabi::kCqeBytes);
        MODEL_REQUIRE(slot == (idx & cq_mask()), "ring.kernel_write", "kernel writes CQ slot %u for index %u", slot,
                      idx);
        MODEL_REQUIRE(idx - kernel_cq_head_ < sc_.cq_entries, "ring.cq_overwrite",
                      "kernel writes CQE index %u while the cq_head it loaded is %u", idx, kernel_cq_head_);
        if (sc_.honest())
            MODEL_REQUIRE(posted_ - reaped_ < sc_.cq_entries, "ring.cq_overwrite",
                          "kernel writes CQE %u over one not reaped (reaped %u)", posted_, reaped_);
    }

    void check_kernel_sq_load(size_t off) {
        uint32_t idx = kr_->sq_head();
        uint32_t slot = static_cast<uint32_t>((off - sq_off_) / cabi::kSqeBytes);
        MODEL_REQUIRE(slot == (idx & sq_mask()), "ring.kernel_read", "kernel reads SQ slot %u for index %u", slot,
                      idx);
        if (sc_.honest())
            MODEL_REQUIRE(idx - sc_.initial_index < published_, "ring.sq_read",
                          "kernel reads SQE %u, only %u published", idx - sc_.initial_index, published_);
    }

    void check_user_sq_store(size_t off) {
        uint32_t idx = u_sq_tail_;
        uint32_t slot = static_cast<uint32_t>((off - sq_off_) / cabi::kSqeBytes);
        MODEL_REQUIRE(slot == (idx & sq_mask()), "ring.user_write", "producer writes SQ slot %u for index %u", slot,
                      idx);
        if (sc_.honest())
            MODEL_REQUIRE(published_ - consumed_ < sc_.sq_entries, "ring.sq_overwrite",
                          "producer overwrites an SQE the kernel has not consumed (published %u, consumed %u)",
                          published_, consumed_);
    }

    void check_user_cq_load(size_t off) {
        uint32_t idx = u_cq_head_;
        uint32_t slot = static_cast<uint32_t>((off - cq_off_) / cabi::kCqeBytes);
        MODEL_REQUIRE(slot == (idx & cq_mask()), "ring.user_read", "producer reads CQ slot %u for index %u", slot,
                      idx);
        if (sc_.honest())
            MODEL_REQUIRE(reaped_ < posted_, "ring.cq_read", "producer reads CQE %u, only %u posted", reaped_,
                          posted_);
    }

    // ---- threads ----

    static cabi::Sqe make_sqe(uint32_t tag) {
        cabi::Sqe s{};
        s.opcode = static_cast<uint8_t>(cabi::Opcode::Nop);
        s.user_data = 0x5EED'0000'0000'0000ull | tag;
        s.params_addr = 0x1000ull * tag + 0xA;
        s.result_addr = 0x2000ull * tag + 0xB;
        s.xfer_addr = 0x3000ull * tag + 0xC;
        s.cap_id = tag * 7;
        return s;
    }

    // UserRing calls that keep the mirrors of its private indices.
    bool submit(const cabi::Sqe& s) {
        if (!ur_->submit(s).ok()) return false;
        ++u_sq_tail_;
        return true;
    }
    bool reap(cabi::Cqe* c) {
        if (!ur_->reap(c)) return false;
        ++u_cq_head_;
        return true;
    }

    // One reap attempt. Honest scenarios check the CQE is the next one due.
    bool reap_one() {
        cabi::Cqe c{};
        if (!reap(&c)) return false;
        if (sc_.honest()) {
            MODEL_REQUIRE(reaped_ < published_ && c.user_data == log_[reaped_].user_data &&
                              c.result == static_cast<int32_t>(reaped_),
                          "ring.order", "CQE %u has user_data %#llx result %d, expected SQE %u's", reaped_,
                          static_cast<unsigned long long>(c.user_data), c.result, reaped_);
        }
        ++reaped_;
        return true;
    }

    void producer() {
        for (uint32_t u = 0; u < sc_.sqes; ++u) {
            cabi::Sqe s = make_sqe(u + 1);
            log_[published_] = s;
            bool ok = false;
            for (uint32_t tries = 0;; ++tries) {
                if (submit(s)) {
                    ok = true;
                    ++published_;
                    break;
                }
                if (engine_.threaded()) seen_sq_full_ = true;
                if (tries >= sc_.retries) break;
                reap_one();
            }
            if (!ok) break;
        }
        for (uint32_t r = 0; r < sc_.reaps; ++r) reap_one();
    }

    void kernel() {
        for (uint32_t p = 0; p < sc_.passes; ++p) pass();
    }

    // One cap_enter pass. Returns the SQEs consumed.
    uint32_t pass() {
        while (!deferred_.empty()) {
            auto r = kr_->post(deferred_.front());
            if (!r.ok()) {
                MODEL_REQUIRE(r.error() == Error::RingCqFull, "ring.post", "retried post: %s", err(r.error()));
                ++overflow_expected_;
                break;
            }
            deferred_.pop_front();
            ++posted_;
        }
        const uint32_t budget = kr_->begin_pass();
        // A checker's peek, not a modelled access: in the same step as
        // begin_pass's load, so it sees the value begin_pass saw.
        if (engine_.threaded() && __atomic_load_n(&header()->sq_tail, __ATOMIC_RELAXED) - kr_->sq_head() >
                                      sc_.sq_entries)
            seen_claim_clamped_ = true;
        MODEL_REQUIRE(budget <= sc_.sq_entries, "ring.clamp", "begin_pass allows %u SQEs, sq_entries is %u", budget,
                      sc_.sq_entries);
        uint32_t consumed = 0;
        bool stopped_full = false;
        for (;;) {
            cabi::Sqe sqe{};
            capos::ring::NextResult r = kr_->next(&sqe);
            if (r == capos::ring::NextResult::CqFull) {
                if (engine_.threaded()) seen_cq_full_ = true;
                ++overflow_expected_;
                stopped_full = true;
                break;
            }
            if (r != capos::ring::NextResult::Sqe) break;
            ++consumed;
            ++consumed_;
            MODEL_REQUIRE(consumed <= budget && consumed <= sc_.sq_entries, "ring.clamp",
                          "a pass consumed %u SQEs (budget %u)", consumed, budget);
            uint32_t n = kr_->sq_head() - 1 - sc_.initial_index;
            if (sc_.honest())
                MODEL_REQUIRE(n < published_ && std::memcmp(&sqe, &log_[n], sizeof sqe) == 0, "ring.sq_read",
                              "the kernel's copy of SQE %u differs from what the producer wrote", n);
            cabi::Cqe cqe{};
            cqe.user_data = sqe.user_data;
            cqe.result = static_cast<int32_t>(n);
            if (kr_->post(cqe).ok()) {
                ++posted_;
            } else {
                MODEL_REQUIRE(!sc_.honest(), "ring.post", "post refused with an honest process");
                if (engine_.threaded()) seen_post_refused_ = true;
                ++overflow_expected_;
                deferred_.push_back(cqe);
            }
        }
        kr_->end_pass();
        // The kernel's own indices move only by what it did, whatever the
        // header says.
        MODEL_REQUIRE(kr_->sq_head() - sc_.initial_index == consumed_ &&
                          kr_->cq_tail() - sc_.initial_index == posted_,
                      "ring.indices", "kernel sq_head %u cq_tail %u after consuming %u and posting %u",
                      kr_->sq_head(), kr_->cq_tail(), consumed_, posted_);
        MODEL_REQUIRE(kr_->overflow_count() == overflow_expected_, "ring.overflow",
                      "overflow counter %u, %u refusals seen", kr_->overflow_count(), overflow_expected_);
        MODEL_REQUIRE(kr_->reserved_cqes() == deferred_.size() && deferred_.size() <= sc_.cq_entries, "ring.reserve",
                      "%u reservations held for %zu unposted completions", kr_->reserved_cqes(), deferred_.size());
        MODEL_REQUIRE(((kr_->flags() & cabi::kRingFlagSqBacklog) != 0) == stopped_full, "ring.backlog",
                      "backlog flag %s after a pass that %s", (kr_->flags() & cabi::kRingFlagSqBacklog) ? "set" : "clear",
                      stopped_full ? "stopped on a full CQ" : "did not stop");
        return consumed;
    }

    void hostile() {
        auto* h = reinterpret_cast<cabi::RingHeader*>(ring_memory());
        auto* words = reinterpret_cast<uint32_t*>(h);
        for (const HostileWrite& w : sc_.hostile) {
            uint32_t base = ModelAccess::load_acquire(&words[word_offset(w.base) / 4]);
            ModelAccess::store_release(&words[word_offset(w.target) / 4], base + static_cast<uint32_t>(w.delta));
        }
    }

    // ---- after the threads ----

    void drain_pass_and_reap() {
        role_ = Role::Kernel;
        pass();
        role_ = Role::Producer;
        while (reap_one()) {
        }
    }

    void finish_honest() {
        for (uint32_t i = 0; i < sc_.sqes + 4 && (reaped_ < published_ || !deferred_.empty()); ++i)
            drain_pass_and_reap();
        MODEL_REQUIRE(consumed_ == published_ && posted_ == published_ && reaped_ == published_, "ring.lost",
                      "published %u, consumed %u, posted %u, reaped %u", published_, consumed_, posted_, reaped_);
        role_ = Role::Kernel;
        MODEL_REQUIRE(pass() == 0, "ring.drain", "a drained ring still had SQEs");
        role_ = Role::Producer;
        MODEL_REQUIRE(!ur_->backlog(), "ring.backlog", "backlog flag left set on a drained ring");
        MODEL_REQUIRE(ur_->overflow_count() == kr_->overflow_count(), "ring.overflow",
                      "header cq_overflow %u, kernel %u", ur_->overflow_count(), kr_->overflow_count());
        MODEL_REQUIRE(ur_->sq_pending() == 0 && ur_->cq_ready() == 0 && kr_->reserved_cqes() == 0, "ring.drain",
                      "drained ring not empty");
    }

    void finish_hostile() {
        // The kernel's next pass re-publishes its words.
        role_ = Role::Kernel;
        pass();
        // Resynchronise: the process adopts the kernel's published indices,
        // dropping whatever it had pending, and attaches again.
        role_ = Role::Process;
        auto* h = reinterpret_cast<cabi::RingHeader*>(ring_memory());
        uint32_t sq_head = ModelAccess::load_acquire(&h->sq_head);
        ModelAccess::store_release(&h->sq_tail, sq_head);
        uint32_t cq_tail = ModelAccess::load_acquire(&h->cq_tail);
        ModelAccess::store_release(&h->cq_head, cq_tail);
        u_sq_tail_ = sq_head;
        u_cq_head_ = cq_tail;
        auto again = URing::attach(ring_memory(), bytes_);
        MODEL_REQUIRE(again.ok(), "ring.recover", "attach after resync failed: %s", err(again.error()));
        ur_.emplace(again.value());
        MODEL_REQUIRE(ur_->sq_pending() == 0 && ur_->cq_ready() == 0, "ring.recover",
                      "resynchronised ring not empty");
        // Completions the kernel still holds are posted now.
        role_ = Role::Kernel;
        MODEL_REQUIRE(pass() == 0, "ring.recover", "the kernel consumed SQEs after resync");
        MODEL_REQUIRE(deferred_.empty() && kr_->reserved_cqes() == 0, "ring.recover",
                      "%zu completions still held after resync", deferred_.size());
        role_ = Role::Producer;
        cabi::Cqe c{};
        while (reap(&c)) {
        }
        // Fresh traffic: a full SQ comes back exactly, in order.
        for (uint32_t i = 0; i < sc_.sq_entries; ++i) {
            MODEL_REQUIRE(submit(make_sqe(0x100 + i)), "ring.recover", "submit %u after resync refused", i);
        }
        role_ = Role::Kernel;
        uint32_t consumed = pass();
        MODEL_REQUIRE(consumed == sc_.sq_entries && deferred_.empty(), "ring.recover",
                      "after resync the kernel consumed %u of %u SQEs", consumed, sc_.sq_entries);
        role_ = Role::Producer;
        for (uint32_t i = 0; i < sc_.sq_entries; ++i) {
            MODEL_REQUIRE(reap(&c) && c.user_data == make_sqe(0x100 + i).user_data, "ring.recover",
                          "fresh CQE %u missing or wrong", i);
        }
        MODEL_REQUIRE(!reap(&c), "ring.recover", "a fresh SQE completed twice");
        MODEL_REQUIRE(!ur_->backlog() && ur_->overflow_count() == kr_->overflow_count() && ur_->sq_pending() == 0,
                      "ring.recover", "ring state wrong after recovery");
    }

    Engine& engine_;
    const RingScenario& sc_;
    uint32_t bytes_ = 0;
    uint32_t sq_off_ = 0;
    uint32_t cq_off_ = 0;
    Role role_ = Role::Setup;
    std::optional<KRing> kr_;
    std::optional<URing> ur_;

    // Bookkeeping, updated by each thread in the same step as the index
    // store that publishes it.
    std::vector<cabi::Sqe> log_;      // producer: SQE n as written
    uint32_t published_ = 0;          // producer: SQEs whose sq_tail store is done
    uint32_t reaped_ = 0;             // producer: CQEs reaped
    uint32_t consumed_ = 0;           // kernel: SQEs consumed
    uint32_t posted_ = 0;             // kernel: CQEs posted
    uint32_t overflow_expected_ = 0;  // kernel: refusals seen
    uint32_t kernel_cq_head_ = 0;     // kernel: last cq_head it loaded
    std::deque<cabi::Cqe> deferred_;  // kernel: completions not yet posted
    uint32_t u_sq_tail_ = 0;          // mirror of the UserRing's private sq_tail
    uint32_t u_cq_head_ = 0;          // mirror of the UserRing's private cq_head
    std::array<Fingerprint, kMaxThreads> observed_{};  // per thread: loads and their values
    bool seen_cq_full_ = false;
    bool seen_post_refused_ = false;
    bool seen_sq_full_ = false;
    bool seen_claim_clamped_ = false;
};

inline uint32_t ModelAccess::load_acquire(const uint32_t* p) {
    RingWorld* w = current_world();
    w->before(p, 4, false);
    uint32_t v = __atomic_load_n(p, __ATOMIC_ACQUIRE);
    w->after_load(p, v);
    return v;
}

inline void ModelAccess::store_release(uint32_t* p, uint32_t v) {
    current_world()->before(p, 4, true);
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

inline uint64_t ModelAccess::load_relaxed(const SharedWord* p) {
    RingWorld* w = current_world();
    w->before(p, 8, false);
    uint64_t v = __atomic_load_n(p, __ATOMIC_RELAXED);
    w->after_load(p, v);
    return v;
}

inline void ModelAccess::store_relaxed(SharedWord* p, uint64_t v) {
    current_world()->before(p, 8, true);
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

}  // namespace capos::model::ringm

// Exhaustive check of lib/mm FrameAllocator (the real bitmap allocator)
// over small memory maps with holes and reserved ranges.
//
// From the state after boot-time setup, every operation is applied to every
// reachable state, breadth first, until no new state appears: the check
// covers the allocator's whole reachable state space for each map (not a
// depth-bounded prefix of it). A state is the two bitmaps' words plus the
// allocator object itself (trivially copyable: counters and the search
// hint), so a state can be restored exactly and fingerprinted.
//
// Maps:
//   small  16 frames: RAM 1..9 and 11..15 (10 is a hole), 5..6 reserved
//          (frame 0 is never handed out); ranges given unaligned
//   wide   72 frames (two bitmap words): RAM 1..2, 60..67, 70..71 with 63
//          reserved, so runs and searches cross the word boundary
//
// Operations: alloc; alloc_contiguous(0, 2, 3, 4, 2^64-1); free(f) for
// every frame 0..limit and a misaligned address; free_contiguous(f, n) for
// every f and n in {2, 3}, n = 0 at frames 0, 1 and limit-1, and a count that
// wraps.
//
// Checked at every state: free + used == total; total and free equal the
// reference model's counts; is_free(f) and both bitmaps' bits agree with the
// model for every frame (and past the limit). For every transition: alloc
// returns a managed free frame, never frame 0, never one already handed out
// (and fails only when the model has none); alloc_contiguous returns a run
// of free managed frames and fails only when the model has no such run; a
// free or free_contiguous is refused exactly when the model says the frame
// is not RAM, not allocated (double free) or the address is misaligned, and
// every refused call leaves the bitmaps and counters byte for byte as they
// were.
//
// Usage: model_frames
#include <array>
#include <bitset>
#include <cstdio>
#include <initializer_list>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "lib/mm/frame_allocator.hpp"
#include "tests/model/model.hpp"

namespace {

using namespace capos;
using capos::mm::FrameAllocator;
using capos::mm::kFrameSize;

static_assert(std::is_trivially_copyable_v<FrameAllocator>,
              "the check restores states by copying the allocator object");

constexpr uint64_t kMaxFrames = 128;
using Frames = std::bitset<kMaxFrames>;

struct MapConfig {
    const char* name;
    uint64_t limit;
    // Boot-time setup, in order: (free?, base, len) in bytes.
    std::vector<std::array<uint64_t, 3>> setup;
    // The managed frames the setup must produce (the reference model's RAM).
    std::vector<uint64_t> managed;
};

enum class OpKind : uint8_t { Alloc, AllocContig, Free, FreeMisaligned, FreeContig };
struct Op {
    OpKind kind;
    uint64_t frame;
    uint64_t count;
};

constexpr size_t kWordsMax = FrameAllocator::words_needed(kMaxFrames);

struct State {
    FrameAllocator alloc;
    std::array<uint64_t, kWordsMax> words;
    Frames used;  // the model: frames handed out and not freed
};

class Checker {
public:
    explicit Checker(const MapConfig& cfg) : cfg_(cfg), nwords_(FrameAllocator::words_needed(cfg.limit)) {
        for (uint64_t f : cfg.managed) managed_.set(f);
    }

    void run() {
        model::Stopwatch sw;
        State init{};
        words_.fill(0);
        init.alloc.init(words_.data(), cfg_.limit);
        for (const auto& r : cfg_.setup) {
            if (r[0])
                init.alloc.free_range(r[1], r[2]);
            else
                init.alloc.reserve_range(r[1], r[2]);
        }
        init.words = words_;
        load(init);
        check_state(init);
        MODEL_REQUIRE(cur_.total_frames() == managed_.count(), "frame.setup", "%s: setup manages %llu frames, want %zu",
                      cfg_.name, static_cast<unsigned long long>(cur_.total_frames()), managed_.count());

        std::vector<Op> ops = operations();
        std::unordered_set<std::pair<uint64_t, uint64_t>, model::FingerprintHash> seen;
        seen.insert(fingerprint(init));
        std::vector<State> frontier{init};
        uint64_t states = 1, transitions = 0;
        uint32_t depth = 0;
        const State* from = nullptr;
        const Op* op_now = nullptr;
        model::violation_context() = [&] {
            std::fprintf(stderr, "  map %s, depth %u, model used frames:", cfg_.name, depth + 1);
            if (from)
                for (uint64_t f = 0; f < cfg_.limit; ++f)
                    if (from->used.test(f)) std::fprintf(stderr, " %llu", static_cast<unsigned long long>(f));
            if (op_now)
                std::fprintf(stderr, "\n  operation: kind %d frame %llu count %llu\n", static_cast<int>(op_now->kind),
                             static_cast<unsigned long long>(op_now->frame),
                             static_cast<unsigned long long>(op_now->count));
        };
        while (!frontier.empty()) {
            std::vector<State> next;
            for (const State& s : frontier) {
                from = &s;
                for (const Op& op : ops) {
                    op_now = &op;
                    load(s);
                    State after = apply(s, op);
                    ++transitions;
                    if (!seen.insert(fingerprint(after)).second) continue;
                    check_state(after);
                    ++states;
                    next.push_back(after);
                }
            }
            frontier = std::move(next);
            if (!frontier.empty()) ++depth;
        }
        model::violation_context() = nullptr;
        std::printf("frame model %s: %llu frames, %zu managed: every reachable state (closure at depth %u): "
                    "%llu states, %llu transitions, %.1f s: OK\n",
                    cfg_.name, static_cast<unsigned long long>(cfg_.limit), managed_.count(), depth,
                    static_cast<unsigned long long>(states), static_cast<unsigned long long>(transitions),
                    sw.seconds());
        std::fflush(stdout);
    }

private:
    std::vector<Op> operations() const {
        std::vector<Op> ops;
        ops.push_back({OpKind::Alloc, 0, 1});
        for (uint64_t n : {uint64_t{0}, uint64_t{2}, uint64_t{3}, uint64_t{4}, ~uint64_t{0}})
            ops.push_back({OpKind::AllocContig, 0, n});
        for (uint64_t f = 0; f <= cfg_.limit; ++f) ops.push_back({OpKind::Free, f, 1});
        ops.push_back({OpKind::FreeMisaligned, 1, 1});
        for (uint64_t f = 0; f < cfg_.limit; ++f)
            for (uint64_t n : {uint64_t{2}, uint64_t{3}}) ops.push_back({OpKind::FreeContig, f, n});
        for (uint64_t f : {uint64_t{0}, uint64_t{1}, cfg_.limit - 1}) ops.push_back({OpKind::FreeContig, f, 0});
        ops.push_back({OpKind::FreeContig, 1, ~uint64_t{0}});
        return ops;
    }

    // Makes `s` the allocator's current state (its words live in words_,
    // which every saved allocator object points at).
    void load(const State& s) {
        words_ = s.words;
        cur_ = s.alloc;
    }

    State save(const Frames& used) const {
        State s{};
        s.alloc = cur_;
        s.words = words_;
        s.used = used;
        return s;
    }

    std::pair<uint64_t, uint64_t> fingerprint(const State& s) const {
        model::Fingerprint f;
        f.add_value(s.alloc);
        f.add(s.words.data(), nwords_ * sizeof(uint64_t));
        f.add_value(s.used);
        return f.value();
    }

    // The allocator's bytes and words, for "nothing changed".
    struct Image {
        std::array<unsigned char, sizeof(FrameAllocator)> obj;
        std::array<uint64_t, kWordsMax> words;
        bool operator==(const Image&) const = default;
    };
    Image image() const {
        Image im{};
        std::memcpy(im.obj.data(), &cur_, sizeof(FrameAllocator));
        im.words = words_;
        return im;
    }

    bool free_managed(uint64_t f, const Frames& used) const { return f < cfg_.limit && managed_.test(f) && !used.test(f); }

    State apply(const State& s, const Op& op) {
        Frames used = s.used;
        Image before = image();
        const char* n = cfg_.name;
        switch (op.kind) {
        case OpKind::Alloc: {
            auto r = cur_.alloc();
            bool any = false;
            for (uint64_t f = 0; f < cfg_.limit; ++f) any |= free_managed(f, used);
            if (!any) {
                MODEL_REQUIRE(!r.ok() && r.error() == Error::OutOfMemory, "frame.alloc",
                              "%s: alloc with no free frame did not fail", n);
                MODEL_REQUIRE(image() == before, "frame.unchanged", "%s: failed alloc changed the allocator", n);
                break;
            }
            MODEL_REQUIRE(r.ok(), "frame.alloc", "%s: alloc failed with free frames: %s", n, model::err(r.error()));
            uint64_t phys = r.value();
            uint64_t f = phys / kFrameSize;
            MODEL_REQUIRE(phys % kFrameSize == 0, "frame.alloc", "%s: misaligned frame %#llx", n,
                          static_cast<unsigned long long>(phys));
            MODEL_REQUIRE(f != 0, "frame.alloc", "%s: frame 0 handed out", n);
            MODEL_REQUIRE(f < cfg_.limit && managed_.test(f), "frame.alloc", "%s: frame %llu is not RAM", n,
                          static_cast<unsigned long long>(f));
            MODEL_REQUIRE(!used.test(f), "frame.twice", "%s: frame %llu handed out twice", n,
                          static_cast<unsigned long long>(f));
            used.set(f);
            break;
        }
        case OpKind::AllocContig: {
            auto r = cur_.alloc_contiguous(op.count);
            bool run_exists = false;
            if (op.count > 0 && op.count <= cfg_.limit)
                for (uint64_t f = 0; f + op.count <= cfg_.limit && !run_exists; ++f) {
                    bool all = true;
                    for (uint64_t i = 0; i < op.count; ++i) all &= free_managed(f + i, used);
                    run_exists = all;
                }
            if (!run_exists) {
                MODEL_REQUIRE(!r.ok(), "frame.alloc", "%s: alloc_contiguous(%llu) succeeded with no run", n,
                              static_cast<unsigned long long>(op.count));
                MODEL_REQUIRE(image() == before, "frame.unchanged", "%s: failed alloc_contiguous changed the allocator",
                              n);
                break;
            }
            MODEL_REQUIRE(r.ok(), "frame.alloc", "%s: alloc_contiguous(%llu) failed with a run free: %s", n,
                          static_cast<unsigned long long>(op.count), model::err(r.error()));
            uint64_t f0 = r.value() / kFrameSize;
            MODEL_REQUIRE(r.value() % kFrameSize == 0 && f0 != 0, "frame.alloc", "%s: bad run start", n);
            for (uint64_t i = 0; i < op.count; ++i) {
                MODEL_REQUIRE(f0 + i < cfg_.limit && managed_.test(f0 + i), "frame.alloc",
                              "%s: run frame %llu is not RAM", n, static_cast<unsigned long long>(f0 + i));
                MODEL_REQUIRE(!used.test(f0 + i), "frame.twice", "%s: run frame %llu handed out twice", n,
                              static_cast<unsigned long long>(f0 + i));
                used.set(f0 + i);
            }
            break;
        }
        case OpKind::Free:
        case OpKind::FreeMisaligned: {
            uint64_t phys = op.frame * kFrameSize + (op.kind == OpKind::FreeMisaligned ? 8 : 0);
            auto r = cur_.free(phys);
            Error want = Error::InvalidArgument;
            bool ok = false;
            if (op.kind == OpKind::FreeMisaligned)
                want = Error::Misaligned;
            else if (op.frame >= cfg_.limit || !managed_.test(op.frame))
                want = Error::OutOfRange;
            else if (!used.test(op.frame))
                want = Error::DoubleFree;
            else
                ok = true;
            if (ok) {
                MODEL_REQUIRE(r.ok(), "frame.free", "%s: free of allocated frame %llu failed: %s", n,
                              static_cast<unsigned long long>(op.frame), model::err(r.error()));
                used.reset(op.frame);
                break;
            }
            MODEL_REQUIRE(!r.ok() && r.error() == want, want == Error::DoubleFree ? "frame.double_free" : "frame.free",
                          "%s: free(frame %llu%s) gave %s, model expects %s", n,
                          static_cast<unsigned long long>(op.frame),
                          op.kind == OpKind::FreeMisaligned ? " + 8" : "", r.ok() ? "ok" : model::err(r.error()),
                          model::err(want));
            MODEL_REQUIRE(image() == before, "frame.unchanged", "%s: refused free changed the allocator", n);
            break;
        }
        case OpKind::FreeContig: {
            auto r = cur_.free_contiguous(op.frame * kFrameSize, op.count);
            bool out_of_range = false, double_free = false;
            uint64_t end = op.frame + op.count;
            if (end < op.frame || end > cfg_.limit) {
                out_of_range = true;
            } else {
                for (uint64_t f = op.frame; f < end; ++f) {
                    if (!managed_.test(f))
                        out_of_range = true;
                    else if (!used.test(f))
                        double_free = true;
                }
            }
            if (!out_of_range && !double_free) {
                MODEL_REQUIRE(r.ok() || op.count == 0, "frame.free", "%s: free_contiguous(%llu, %llu) failed: %s", n,
                              static_cast<unsigned long long>(op.frame), static_cast<unsigned long long>(op.count),
                              model::err(r.error()));
                for (uint64_t f = op.frame; f < end; ++f) used.reset(f);
                if (op.count == 0) {
                    // Nothing to free: the bitmaps and counters stay put.
                    Image now = image();
                    MODEL_REQUIRE(now.words == before.words && cur_.free_frames() == s.alloc.free_frames() &&
                                      cur_.total_frames() == s.alloc.total_frames(),
                                  "frame.unchanged", "%s: free_contiguous of 0 frames changed the bitmap", n);
                }
                break;
            }
            MODEL_REQUIRE(!r.ok(), double_free ? "frame.double_free" : "frame.free",
                          "%s: free_contiguous(%llu, %llu) accepted a run with %s", n,
                          static_cast<unsigned long long>(op.frame), static_cast<unsigned long long>(op.count),
                          out_of_range ? "frames that are not RAM" : "frames not allocated");
            MODEL_REQUIRE((r.error() == Error::OutOfRange && out_of_range) ||
                              (r.error() == Error::DoubleFree && double_free),
                          "frame.free", "%s: free_contiguous error %s does not match the run", n,
                          model::err(r.error()));
            MODEL_REQUIRE(image() == before, "frame.unchanged", "%s: refused free_contiguous changed the allocator",
                          n);
            break;
        }
        }
        return save(used);
    }

    void check_state(const State& s) {
        load(s);
        const char* n = cfg_.name;
        uint64_t total = managed_.count();
        uint64_t used = s.used.count();
        MODEL_REQUIRE(cur_.free_frames() + cur_.used_frames() == cur_.total_frames(), "frame.count",
                      "%s: free + used != total", n);
        MODEL_REQUIRE(cur_.total_frames() == total && cur_.used_frames() == used, "frame.count",
                      "%s: total %llu used %llu, model %llu %llu", n,
                      static_cast<unsigned long long>(cur_.total_frames()),
                      static_cast<unsigned long long>(cur_.used_frames()), static_cast<unsigned long long>(total),
                      static_cast<unsigned long long>(used));
        const uint64_t half = nwords_ / 2;
        for (uint64_t f = 0; f < cfg_.limit + 2; ++f) {
            bool want_free = free_managed(f, s.used);
            MODEL_REQUIRE(cur_.is_free(f * kFrameSize) == want_free, "frame.state", "%s: is_free(%llu) is %d", n,
                          static_cast<unsigned long long>(f), !want_free);
            if (f >= cfg_.limit) continue;
            bool bit = (words_[f / 64] >> (f % 64)) & 1;
            bool managed_bit = (words_[half + f / 64] >> (f % 64)) & 1;
            MODEL_REQUIRE(bit == !want_free, "frame.state", "%s: in-use bit of frame %llu is %d", n,
                          static_cast<unsigned long long>(f), bit);
            MODEL_REQUIRE(managed_bit == managed_.test(f), "frame.state", "%s: managed bit of frame %llu is %d", n,
                          static_cast<unsigned long long>(f), managed_bit);
        }
    }

    const MapConfig& cfg_;
    size_t nwords_;
    Frames managed_;
    std::array<uint64_t, kWordsMax> words_{};
    FrameAllocator cur_{};
};

}  // namespace

int main() {
    constexpr uint64_t P = kFrameSize;
    const MapConfig small{"small",
                          16,
                          {{1, 0, 10 * P},                 // RAM 0..9 (frame 0 is never taken)
                           {1, 11 * P - 100, 5 * P + 100}, // RAM 11..15, base unaligned (rounds up)
                           {1, 12 * P, 2 * P},             // already RAM: left alone
                           {0, 5 * P + 10, P}},            // reserve 5..6 (rounded outward)
                          {1, 2, 3, 4, 7, 8, 9, 11, 12, 13, 14, 15}};
    const MapConfig wide{"wide",
                         72,
                         {{1, 1 * P, 2 * P},
                          {1, 60 * P, 8 * P + 100},  // 60..67; the partial frame 68 is not RAM
                          {1, 70 * P, 2 * P},
                          {0, 63 * P, P}},
                         {1, 2, 60, 61, 62, 64, 65, 66, 67, 70, 71}};
    for (const MapConfig* cfg : {&small, &wide}) {
        Checker c(*cfg);
        c.run();
    }
    return 0;
}

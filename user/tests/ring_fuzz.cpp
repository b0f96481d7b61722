// ring_fuzz: 102,400 random SQEs from a fixed-seed xorshift64* generator,
// in SQ-sized batches, each batch entered and reaped before the next.
//
// Random opcodes (valid, reserved and unknown), flags, capability ids,
// reserved fields, method ordinals, transfer counts, and buffers that point
// into the program's own memory, the kernel half, unmapped and
// non-canonical addresses, across kUserTop, or with lengths that overflow
// or pass the ABI's maxima. A CALL or RELEASE never names a capability of
// the CapSet (so random bytes never reach the Console and the Console is
// never dropped); every other opcode may.
//
// The oracle is lib/ring's decode_sqe over the same 64 bytes: an SQE it
// rejects must complete with exactly that transport error; a NOP with 0;
// an operation on an id that names no capability with BadCapability, and
// RECV/RETURN on the Console with WrongInterface (when the SQE also carries
// buffers or transfers, BadBuffer and TransferFailed are accepted too: the
// ABI does not order the capability lookup against the memory checks).
//
// Needs CapSet "console". Prints a summary and one line per check; exit 0
// if every check held, else the number of the first failed check; 100
// without a Console.
//   1 every SQE completed exactly once (by user_data), none lost
//   2 every result is >= 0 or one of the ABI's transport errors
//   3 every result is the one the oracle predicts
//   4 a writeLine through the Console works afterwards
#include <cstddef>
#include <cstdint>

#include "abi/layout.hpp"
#include "lib/ring/sqe_decoder.hpp"
#include "lib/ring/transport_error.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/tests/ring_common.hpp"

namespace {

using namespace ringtest;
namespace ring = capos::ring;
using TE = abi::TransportError;

constexpr const char* kProg = "ring_fuzz";
constexpr uint32_t kTotal = 102'400;
constexpr uint64_t kSeed = 0x9E37'79B9'7F4A'7C15;

struct Xorshift {
    uint64_t s;
    uint64_t next() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 0x2545'F491'4F6C'DD1D;
    }
    uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
    bool chance(uint32_t percent) { return below(100) < percent; }
};

Xorshift g_rng{kSeed};
alignas(16) uint8_t g_buf[64 * 1024];
uint8_t g_seen[kTotal / 8 + 1];
Verdict g_verdict;

// CapSet ids (a CALL or RELEASE never names one).
abi::CapId g_caps[abi::kCapSetMaxEntries];
uint32_t g_cap_count = 0;
abi::CapId g_console = 0;

bool in_capset(abi::CapId id) {
    for (uint32_t i = 0; i < g_cap_count; ++i)
        if (g_caps[i] == id) return true;
    return false;
}

struct Buffer {
    uint64_t addr;
    uint32_t len;
};

uint32_t random_len() {
    switch (g_rng.below(6)) {
    case 0: return 0;
    case 1: return g_rng.below(64) + 1;
    case 2: return g_rng.below(4096) + 1;
    case 3: return abi::kMaxParamsBytes + g_rng.below(16);
    case 4: return abi::kMaxResultBytes + g_rng.below(16);
    default: return static_cast<uint32_t>(g_rng.next());
    }
}

// A buffer; `writable_target` excludes the ring and CapSet page (never a
// result buffer, although no call that could write one is ever submitted).
Buffer random_buffer(bool writable_target) {
    switch (g_rng.below(11)) {
    case 0: return {0, 0};
    case 1: {  // inside g_buf
        uint32_t off = g_rng.below(sizeof(g_buf));
        return {addr_of(g_buf) + off, g_rng.below(static_cast<uint32_t>(sizeof(g_buf)) - off) + 1};
    }
    case 2:  // from g_buf, length running past it
        return {addr_of(g_buf) + g_rng.below(sizeof(g_buf)), random_len()};
    case 3: return {0xFFFF'8000'0000'0000 + (g_rng.next() & 0x7FFF'FFFF'FFFF), random_len()};
    case 4: return {0x1000'0000 + (g_rng.next() & 0xFF'FFFF), random_len()};
    case 5: return {(uint64_t{1} << 47) | (g_rng.next() & 0x7FFF'FFFF'FFFF), random_len()};
    case 6: return {abi::kUserTop - g_rng.below(8192), random_len()};
    case 7: return {g_rng.next(), static_cast<uint32_t>(g_rng.next())};
    case 8: return g_rng.chance(50) ? Buffer{0, random_len() | 1}
                                     : Buffer{addr_of(g_buf) + g_rng.below(64), 0};
    case 9:
        if (!writable_target)
            return {abi::kRingAddress + g_rng.below(8192), g_rng.below(8192) + 1};
        return {abi::kUserMin - g_rng.below(64), random_len()};
    default:
        if (!writable_target)
            return {abi::kCapSetAddress + g_rng.below(4096), g_rng.below(8192) + 1};
        return {abi::kStackTop - g_rng.below(256), g_rng.below(4096) + 1};
    }
}

abi::CapId random_cap() {
    switch (g_rng.below(6)) {
    case 0: return 0;
    case 1: return g_console;
    case 2: return abi::make_cap_id(abi::cap_id_index(g_console), g_rng.below(0x10000));
    case 3: return abi::make_cap_id(g_rng.below(8), g_rng.below(4));
    case 4: return abi::make_cap_id(g_rng.below(0x10000), 1);
    default: return static_cast<abi::CapId>(g_rng.next());
    }
}

uint8_t random_opcode() {
    uint32_t r = g_rng.below(100);
    if (r < 75) return static_cast<uint8_t>(g_rng.below(5));
    if (r < 83) return static_cast<uint8_t>(abi::kOpcodeFirstReserved + g_rng.below(5));
    return static_cast<uint8_t>(g_rng.next());
}

uint16_t random_flags() {
    uint32_t r = g_rng.below(100);
    if (r < 85) return 0;
    if (r < 95) return static_cast<uint16_t>(1u << g_rng.below(16));
    return static_cast<uint16_t>(g_rng.next());
}

abi::Sqe random_sqe() {
    abi::Sqe s{};
    s.opcode = random_opcode();
    s.flags = random_flags();
    auto op = static_cast<abi::Opcode>(s.opcode);
    if (g_rng.chance(70)) {
        // Shaped: mostly the fields the opcode uses.
        if (op != abi::Opcode::Nop || g_rng.chance(10)) s.cap_id = random_cap();
        if (op == abi::Opcode::Call || op == abi::Opcode::Return) {
            Buffer p = random_buffer(false);
            s.params_addr = p.addr;
            s.params_len = p.len;
            if (g_rng.chance(20)) {
                s.xfer_count = static_cast<uint16_t>(g_rng.below(20));
                s.xfer_addr = random_buffer(false).addr;
            }
        }
        if (op == abi::Opcode::Call) s.method = static_cast<uint16_t>(g_rng.below(4));
        if (op == abi::Opcode::Call || op == abi::Opcode::Recv) {
            Buffer r = random_buffer(true);
            s.result_addr = r.addr;
            s.result_len = r.len;
        }
        if (op == abi::Opcode::Return) s.call_id = static_cast<uint32_t>(g_rng.below(4));
    } else {
        // Unshaped: any field, each with some chance.
        if (g_rng.chance(50)) s.cap_id = random_cap();
        if (g_rng.chance(30)) {
            Buffer p = random_buffer(false);
            s.params_addr = p.addr;
            s.params_len = p.len;
        }
        if (g_rng.chance(30)) s.method = static_cast<uint16_t>(g_rng.next());
        if (g_rng.chance(15)) s.xfer_count = static_cast<uint16_t>(g_rng.next());
        if (g_rng.chance(30)) {
            Buffer r = random_buffer(true);
            s.result_addr = r.addr;
            s.result_len = r.len;
        }
        if (g_rng.chance(15)) s.call_id = static_cast<uint32_t>(g_rng.next());
        if (g_rng.chance(15)) s.xfer_addr = g_rng.next();
        if (g_rng.chance(5)) s.reserved0 = static_cast<uint8_t>(g_rng.next());
        if (g_rng.chance(5)) s.answer_id = static_cast<uint32_t>(g_rng.next());
        if (g_rng.chance(5)) s.pipeline_index = static_cast<uint16_t>(g_rng.next());
        if (g_rng.chance(5)) s.reserved1 = static_cast<uint16_t>(g_rng.next());
    }
    // Never CALL or RELEASE a capability the process holds.
    if ((op == abi::Opcode::Call || op == abi::Opcode::Release) && in_capset(s.cap_id))
        s.cap_id = abi::make_cap_id(abi::cap_id_index(s.cap_id),
                                    abi::next_cap_generation(abi::cap_id_generation(s.cap_id)));
    while ((op == abi::Opcode::Call || op == abi::Opcode::Release) && in_capset(s.cap_id))
        s.cap_id += 0x1'0000;
    return s;
}

bool result_documented(int32_t r) { return r >= 0 || (r >= abi::kTransportErrorMin && r <= -1); }

// Whether `got` is what the ABI says for `s` (see the comment at the top).
bool oracle_accepts(const abi::Sqe& s, int32_t got) {
    auto d = ring::decode_sqe(s);
    if (!d) return got == ring::transport_result(d.error());
    const ring::DecodedSqe& op = d.value();
    if (op.opcode == abi::Opcode::Nop) return got == 0;
    bool has_memory = op.params.len != 0 || op.result.len != 0 || op.xfer_count != 0;
    int32_t want;
    if (!in_capset(op.cap_id))
        want = abi::to_result(TE::BadCapability);
    else if (op.opcode == abi::Opcode::Recv || op.opcode == abi::Opcode::Return)
        want = abi::to_result(TE::WrongInterface);
    else
        return result_documented(got);  // never generated
    if (got == want) return true;
    return has_memory && (got == abi::to_result(TE::BadBuffer) ||
                          got == abi::to_result(TE::TransferFailed));
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto rr = rt::ring();
    const rt::CapSet& caps = rt::capset();
    auto console = caps.lookup("console", capos::schema::Console::kInterfaceId);
    if (!rr || !console || !rt::print_line("ring_fuzz: start")) return 100;
    rt::RingClient& ring = *rr.value();
    g_console = console.value();
    for (uint32_t i = 0; i < caps.count() && g_cap_count < abi::kCapSetMaxEntries; ++i)
        g_caps[g_cap_count++] = caps.entry(i).cap_id;
    for (auto& b : g_buf) b = static_cast<uint8_t>(g_rng.next());

    Check c1(kProg, 1, "every SQE completed exactly once");
    Check c2(kProg, 2, "every result is >= 0 or a documented transport error");
    Check c3(kProg, 3, "every result is the one the decoder oracle predicts");
    char got[96];

    // user_data = kBase + sequence number; SQEs of the batch in flight are
    // kept to judge their CQEs.
    constexpr uint64_t kBase = 0xF022'0000'0000'0000;
    abi::Sqe batch[abi::kMaxSqEntries];
    uint32_t counts[1 - abi::kTransportErrorMin + 1] = {};  // [0]: >= 0, [k]: -k
    uint32_t submitted = 0, completed = 0, undocumented = 0, mismatches = 0;
    uint32_t first_batch = 0;
    while (submitted < kTotal) {
        first_batch = submitted;
        uint32_t n = ring.sq_space();
        if (n > kTotal - submitted) n = kTotal - submitted;
        if (n == 0) {
            c1.fail("submit", "no SQ space");
            break;
        }
        for (uint32_t i = 0; i < n; ++i) {
            abi::Sqe s = random_sqe();
            s.user_data = kBase + submitted;
            batch[i] = s;
            if (!ring.submit(s)) {
                c1.fail("submit", "SQ full");
                break;
            }
            ++submitted;
        }
        ring.enter(n, abi::kTimeoutPoll);
        abi::Cqe q;
        uint32_t got_now = 0;
        while (ring.reap(&q)) {
            uint64_t seq = q.user_data - kBase;
            if (q.user_data < kBase || seq < first_batch || seq >= submitted) {
                c1.fail("user_data", StringView(got, capos::format_to(got, sizeof(got),
                                                                     "unknown {:#x}",
                                                                     q.user_data)));
                continue;
            }
            if (g_seen[seq / 8] & (1u << (seq % 8))) {
                c1.fail("duplicate", StringView(got, capos::format_to(got, sizeof(got),
                                                                     "SQE {} twice", seq)));
                continue;
            }
            g_seen[seq / 8] |= static_cast<uint8_t>(1u << (seq % 8));
            ++completed;
            ++got_now;
            if (!result_documented(q.result)) {
                ++undocumented;
                c2.fail("result", StringView(got, capos::format_to(got, sizeof(got),
                                                                  "SQE {} result {}", seq,
                                                                  q.result)));
            } else {
                ++counts[q.result >= 0 ? 0 : -q.result];
            }
            const abi::Sqe& s = batch[seq - first_batch];
            if (!oracle_accepts(s, q.result)) {
                ++mismatches;
                c3.fail("oracle", StringView(got, capos::format_to(
                                                      got, sizeof(got),
                                                      "SQE {} op {} flags {:#x}: {}", seq,
                                                      s.opcode, s.flags,
                                                      result_name(q.result))));
            }
        }
        if (got_now != n) {
            c1.fail("batch", StringView(got, capos::format_to(got, sizeof(got),
                                                             "{} CQEs for {} SQEs", got_now, n)));
            break;
        }
    }
    c1.expect(completed == kTotal && submitted == kTotal, "total",
              StringView(got, capos::format_to(got, sizeof(got), "{} completed, {} submitted",
                                               completed, submitted)));

    say("ring_fuzz: {} SQEs (seed {:#x}), {} CQEs, {} undocumented, {} oracle mismatches",
        submitted, kSeed, completed, undocumented, mismatches);
    say("ring_fuzz: results: ok {} BadSqe {} BadOpcode {} BadCapability {} WrongInterface {} "
        "BadBuffer {} BufferTooSmall {} MalformedParams {} TransferFailed {} other {}",
        counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7],
        counts[8],
        counts[9] + counts[10] + counts[11] + counts[12] + counts[13]);
    g_verdict.add(c1, 1);
    g_verdict.add(c2, 2);
    g_verdict.add(c3, 3);
    {
        Check c(kProg, 4, "the Console works afterwards");
        auto ok = rt::print_line("ring_fuzz: the Console still works");
        c.expect(ok.ok(), "writeLine", ok ? "ok" : capos::error_name(ok.error()));
        g_verdict.add(c, 4);
    }
    say("ring_fuzz: done, first failed check {}", g_verdict.first_failed);
    return g_verdict.first_failed;
}

// libFuzzer target over the SQE decoder and the kernel side of the ring.
//
// Input: byte 0 picks the mode.
//   even: decoder. The rest is cut into 64-byte SQEs and 16-byte transfer
//         descriptors; every accepted SQE must satisfy the decoder's contract.
//   odd:  ring. Byte 1 picks the geometry, bytes 2..5 the starting index;
//         the following ring_bytes-256 bytes fill the entries, then the rest
//         is a script of process and kernel steps (corrupting header words,
//         submitting through UserRing, passes, deferred completions).
//         The kernel must stay inside the ring (ASan), bound each pass and
//         never post over a CQE the process has not released.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

#include "abi/ring.hpp"
#include "lib/ring/kernel_ring.hpp"
#include "lib/ring/sqe_decoder.hpp"
#include "lib/ring/transport_error.hpp"
#include "lib/ring/user_ring.hpp"

using namespace capos;
using namespace capos::ring;
namespace cabi = capos::abi;

namespace {

#define CHECK(cond)                  \
    do {                             \
        if (!(cond)) __builtin_trap(); \
    } while (0)

void check_decoded(const cabi::Sqe& s, const DecodedSqe& d) {
    CHECK(s.opcode < cabi::kOpcodeFirstReserved);
    CHECK(static_cast<uint8_t>(d.opcode) == s.opcode);
    CHECK(s.reserved0 == 0 && s.reserved1 == 0 && s.answer_id == 0 && s.pipeline_index == 0);
    CHECK((s.flags & ~cabi::kSqeFlagException) == 0);
    CHECK(!d.exception || (d.opcode == cabi::Opcode::Return && d.xfer_count == 0));
    CHECK(user_range_valid(d.params.addr, d.params.len, cabi::kMaxParamsBytes));
    CHECK(user_range_valid(d.result.addr, d.result.len, cabi::kMaxResultBytes));
    CHECK(d.xfer_count <= cabi::kMaxTransfers);
    CHECK(d.transfers.len == d.xfer_count * sizeof(cabi::TransferDescriptor));
    CHECK(user_range_valid(d.transfers.addr, d.transfers.len, 256));
    if (d.opcode == cabi::Opcode::Recv) CHECK(d.result.len >= sizeof(cabi::RecvHeader));
    if (d.opcode == cabi::Opcode::Nop) CHECK(d.cap_id == 0 && d.params.len == 0 && d.result.len == 0);
}

void fuzz_decoder(const uint8_t* data, size_t size) {
    for (size_t off = 0; off + sizeof(cabi::Sqe) <= size; off += sizeof(cabi::Sqe)) {
        cabi::Sqe s;
        std::memcpy(&s, data + off, sizeof(s));
        auto r = decode_sqe(s);
        if (r.ok()) {
            check_decoded(s, r.value());
        } else {
            CHECK(transport_result(r.error()) < 0);
        }
    }
    for (size_t off = 0; off + sizeof(cabi::TransferDescriptor) <= size;
         off += sizeof(cabi::TransferDescriptor)) {
        cabi::TransferDescriptor t;
        std::memcpy(&t, data + off, sizeof(t));
        auto r = decode_transfer(t);
        if (r.ok()) {
            CHECK(r.value().mode == cabi::TransferMode::Copy || r.value().mode == cabi::TransferMode::Move);
            CHECK(t.reserved0 == 0 && t.flags == 0 && t.reserved1 == 0);
        }
    }
}

struct Reader {
    const uint8_t* p;
    size_t n;
    bool empty() const { return n == 0; }
    uint8_t u8() {
        if (n == 0) return 0;
        --n;
        return *p++;
    }
    uint32_t u32() {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= uint32_t{u8()} << (8 * i);
        return v;
    }
};

void fuzz_ring(Reader in) {
    const uint8_t g = in.u8();
    const uint32_t sq = 1u << (g % 9);                            // 1..256
    const uint32_t cq = std::min<uint32_t>(sq << ((g >> 4) % 3), cabi::kMaxCqEntries);
    RingGeometry geometry = RingGeometry::make(sq, cq).value();
    const size_t bytes = geometry.bytes();
    std::unique_ptr<uint64_t[]> words(new uint64_t[bytes / 8]);
    auto* base = reinterpret_cast<unsigned char*>(words.get());
    auto* hdr = reinterpret_cast<cabi::RingHeader*>(base);

    auto k = KernelRing<>::create(base, bytes, geometry);
    CHECK(k.ok());
    KernelRing<> kernel = k.release_value();
    kernel.reset(in.u32());
    for (size_t i = cabi::kRingHeaderBytes; i < bytes && !in.empty(); ++i) base[i] = in.u8();

    std::optional<UserRing<>> user;
    uint32_t deferred = 0;
    for (int step = 0; step < 512 && !in.empty(); ++step) {
        switch (in.u8() % 6) {
        case 0: {  // corrupt a header word
            uint32_t w = in.u8() % (cabi::kRingHeaderBytes / 4);
            reinterpret_cast<uint32_t*>(base)[w] = in.u32();
            break;
        }
        case 1: {  // the process (re)attaches and submits
            auto u = UserRing<>::attach(base, bytes);
            if (u.ok()) user.emplace(u.release_value());
            if (user) {
                cabi::Sqe s;
                for (size_t i = 0; i < sizeof(s); ++i) reinterpret_cast<uint8_t*>(&s)[i] = in.u8();
                (void)user->submit(s);
                CHECK(user->sq_pending() <= sq);
            }
            break;
        }
        case 2: {  // the process reaps
            if (user) {
                cabi::Cqe c;
                for (int i = in.u8() % 8; i > 0 && user->reap(&c); --i) {
                }
                CHECK(user->cq_ready() <= cq);
            }
            break;
        }
        case 3: {  // a cap_enter pass; some completions deferred
            const uint32_t head0 = kernel.sq_head();
            const uint32_t seen = kernel.begin_pass();
            CHECK(seen <= sq);
            cabi::Sqe s;
            uint32_t consumed = 0;
            const uint8_t defer_mask = in.u8();
            while (kernel.next(&s) == NextResult::Sqe) {
                ++consumed;
                auto d = decode_sqe(s);
                if (d.ok()) check_decoded(s, d.value());
                if ((defer_mask >> (consumed % 8)) & 1) {
                    ++deferred;
                    continue;
                }
                cabi::Cqe c{};
                c.user_data = s.user_data;
                c.result = d.ok() ? 0 : transport_result(d.error());
                const uint32_t tail = kernel.cq_tail();
                const uint32_t head_seen = hdr->cq_head;
                if (kernel.post(c).ok())
                    CHECK(tail - head_seen < cq);
                else
                    kernel.cancel_reservation();
            }
            CHECK(consumed <= seen);
            CHECK(kernel.sq_head() - head0 == consumed);
            kernel.end_pass();
            CHECK(hdr->sq_head == kernel.sq_head());
            CHECK(hdr->cq_tail == kernel.cq_tail());
            break;
        }
        case 4: {  // deferred completions arrive
            if (deferred > 0) {
                cabi::Cqe c{};
                const uint32_t tail = kernel.cq_tail();
                const uint32_t head_seen = hdr->cq_head;
                if (kernel.post(c).ok()) {
                    CHECK(tail - head_seen < cq);
                    --deferred;
                }
            }
            break;
        }
        case 5: {  // a kernel-originated completion
            if (kernel.reserve_cqe()) {
                cabi::Cqe c{};
                if (!kernel.post(c).ok()) kernel.cancel_reservation();
            }
            break;
        }
        }
        CHECK(kernel.cq_ready() <= cq);
        CHECK(kernel.reserved_cqes() <= cq);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    if ((data[0] & 1) == 0)
        fuzz_decoder(data + 1, size - 1);
    else
        fuzz_ring(Reader{data + 1, size - 1});
    return 0;
}

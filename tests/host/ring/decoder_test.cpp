// The SQE decoder: every valid SQE kind decodes to what it says, and every
// malformed field is refused with its documented error (docs/abi.md).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "abi/layout.hpp"
#include "abi/ring.hpp"
#include "lib/ring/sqe_decoder.hpp"
#include "lib/ring/transport_error.hpp"

using namespace capos;
using namespace capos::ring;
namespace cabi = capos::abi;
using cabi::Opcode;

namespace {

constexpr uint64_t kBuf = 0x40'0000;  // a plausible user address

uint8_t op(Opcode o) { return static_cast<uint8_t>(o); }

cabi::Sqe base(Opcode o) {
    cabi::Sqe s{};
    s.opcode = op(o);
    s.user_data = 0xDEAD'BEEF'0000'0000ull | s.opcode;
    return s;
}

cabi::Sqe valid_nop() { return base(Opcode::Nop); }

cabi::Sqe valid_call() {
    cabi::Sqe s = base(Opcode::Call);
    s.cap_id = cabi::make_cap_id(3, 7);
    s.method = 2;
    s.params_addr = kBuf;
    s.params_len = 64;
    s.result_addr = kBuf + 0x1000;
    s.result_len = 256;
    s.xfer_addr = kBuf + 0x2000;
    s.xfer_count = 2;
    return s;
}

cabi::Sqe valid_recv() {
    cabi::Sqe s = base(Opcode::Recv);
    s.cap_id = cabi::make_cap_id(1, 1);
    s.result_addr = kBuf;
    s.result_len = 4096;
    return s;
}

cabi::Sqe valid_return() {
    cabi::Sqe s = base(Opcode::Return);
    s.cap_id = cabi::make_cap_id(1, 1);
    s.call_id = 42;
    s.params_addr = kBuf;
    s.params_len = 16;
    s.xfer_addr = kBuf + 0x100;
    s.xfer_count = 1;
    return s;
}

cabi::Sqe valid_release() {
    cabi::Sqe s = base(Opcode::Release);
    s.cap_id = cabi::make_cap_id(9, 2);
    return s;
}

struct Kind {
    const char* name;
    cabi::Sqe (*make)();
    bool cap_id, method, params, result, call_id, transfers;
};

const Kind kKinds[] = {
    {"nop", valid_nop, false, false, false, false, false, false},
    {"call", valid_call, true, true, true, true, false, true},
    {"recv", valid_recv, true, false, false, true, false, false},
    {"return", valid_return, true, false, true, false, true, true},
    {"release", valid_release, true, false, false, false, false, false},
};

Error decode_error(const cabi::Sqe& s) {
    auto r = decode_sqe(s);
    EXPECT_FALSE(r.ok());
    return r.ok() ? Error::InvalidArgument : r.error();
}

}  // namespace

TEST(Decoder, AcceptsEveryValidKind) {
    for (const Kind& k : kKinds) {
        cabi::Sqe s = k.make();
        auto r = decode_sqe(s);
        ASSERT_TRUE(r.ok()) << k.name << ": " << error_name(r.error());
        const DecodedSqe& d = r.value();
        EXPECT_EQ(static_cast<uint8_t>(d.opcode), s.opcode);
        EXPECT_EQ(d.user_data, s.user_data);
        EXPECT_EQ(d.cap_id, s.cap_id);
        EXPECT_EQ(d.method, s.method);
        EXPECT_EQ(d.params.addr, s.params_addr);
        EXPECT_EQ(d.params.len, s.params_len);
        EXPECT_EQ(d.result.addr, s.result_addr);
        EXPECT_EQ(d.result.len, s.result_len);
        EXPECT_EQ(d.call_id, s.call_id);
        EXPECT_EQ(d.transfers.addr, s.xfer_addr);
        EXPECT_EQ(d.transfers.len, s.xfer_count * sizeof(cabi::TransferDescriptor));
        EXPECT_EQ(d.xfer_count, s.xfer_count);
        EXPECT_FALSE(d.exception);
    }
    cabi::Sqe ex = valid_return();
    ex.xfer_addr = 0;
    ex.xfer_count = 0;
    ex.flags = cabi::kSqeFlagException;
    auto r = decode_sqe(ex);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.value().exception);
}

TEST(Decoder, AZeroedSqeIsANop) {
    cabi::Sqe s{};
    auto r = decode_sqe(s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().opcode, Opcode::Nop);
}

// is_plain_nop (cap_enter's NOP shortcut) holds only for SQEs decode_sqe
// accepts as a NOP: all-zero but user_data. Every single nonzero byte
// elsewhere turns it off, whatever decode_sqe then says.
TEST(Decoder, PlainNopIsExactlyTheZeroNop) {
    cabi::Sqe s{};
    s.user_data = 0xFEEDFACE'12345678ull;
    EXPECT_TRUE(is_plain_nop(s));
    auto r = decode_sqe(s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().opcode, Opcode::Nop);
    EXPECT_EQ(r.value().user_data, s.user_data);
    for (size_t i = 0; i < sizeof(s); ++i) {
        if (i >= offsetof(cabi::Sqe, user_data) && i < offsetof(cabi::Sqe, user_data) + 8) continue;
        for (uint8_t bit : {uint8_t{1}, uint8_t{0x80}}) {
            cabi::Sqe t = s;
            reinterpret_cast<uint8_t*>(&t)[i] ^= bit;
            EXPECT_FALSE(is_plain_nop(t)) << "byte " << i;
        }
    }
}

TEST(Decoder, PlainNopImpliesDecodedNop) {
    EXPECT_TRUE(rc::check([] {
        cabi::Sqe s;
        auto bytes = *rc::gen::container<std::vector<uint8_t>>(sizeof(s), rc::gen::arbitrary<uint8_t>());
        for (auto& b : bytes)
            if (*rc::gen::inRange(0, 8) != 0) b = 0;
        std::memcpy(&s, bytes.data(), sizeof s);
        if (is_plain_nop(s)) {
            auto r = decode_sqe(s);
            RC_ASSERT(r.ok());
            RC_ASSERT(r.value().opcode == Opcode::Nop);
        }
    }));
}

TEST(Decoder, RejectsUnknownAndReservedOpcodes) {
    for (const Kind& k : kKinds) {
        for (int o = cabi::kOpcodeFirstReserved; o <= 255; ++o) {
            cabi::Sqe s = k.make();
            s.opcode = static_cast<uint8_t>(o);
            EXPECT_EQ(decode_error(s), Error::RingBadOpcode) << k.name << " opcode " << o;
        }
    }
    // The opcode is checked first: a reserved opcode with other faults still
    // reads as BadOpcode.
    cabi::Sqe s = valid_nop();
    s.opcode = op(Opcode::Park);
    s.reserved1 = 1;
    s.flags = 0xFFFF;
    EXPECT_EQ(decode_error(s), Error::RingBadOpcode);
}

TEST(Decoder, RejectsNonzeroReservedFields) {
    for (const Kind& k : kKinds) {
        std::vector<std::function<void(cabi::Sqe&)>> pokes = {
            [](cabi::Sqe& s) { s.reserved0 = 1; },
            [](cabi::Sqe& s) { s.reserved1 = 0x8000; },
            [](cabi::Sqe& s) { s.answer_id = 1; },
            [](cabi::Sqe& s) { s.pipeline_index = 1; },
        };
        for (size_t i = 0; i < pokes.size(); ++i) {
            cabi::Sqe s = k.make();
            pokes[i](s);
            EXPECT_EQ(decode_error(s), Error::RingBadSqe) << k.name << " poke " << i;
        }
    }
}

TEST(Decoder, RejectsUnknownReservedAndMisplacedFlags) {
    for (const Kind& k : kKinds) {
        for (int bit = 0; bit < 16; ++bit) {
            const uint16_t flag = static_cast<uint16_t>(1u << bit);
            cabi::Sqe s = k.make();
            s.flags = flag;
            const bool allowed = flag == cabi::kSqeFlagException && s.opcode == op(Opcode::Return);
            if (allowed) {
                s.xfer_addr = 0;
                s.xfer_count = 0;
                EXPECT_TRUE(decode_sqe(s).ok()) << k.name;
            } else {
                EXPECT_EQ(decode_error(s), Error::RingBadSqe) << k.name << " flag bit " << bit;
            }
        }
    }
    cabi::Sqe s = valid_return();  // carries a transfer
    s.flags = cabi::kSqeFlagException;
    EXPECT_EQ(decode_error(s), Error::RingBadSqe);
}

TEST(Decoder, RejectsFieldsTheOpcodeDoesNotUse) {
    struct Field {
        const char* name;
        bool Kind::*used;
        void (*poke)(cabi::Sqe&);
    };
    const Field fields[] = {
        {"cap_id", &Kind::cap_id, [](cabi::Sqe& s) { s.cap_id = 0x10001; }},
        {"method", &Kind::method, [](cabi::Sqe& s) { s.method = 1; }},
        {"params_addr", &Kind::params, [](cabi::Sqe& s) { s.params_addr = kBuf; }},
        {"params_len", &Kind::params, [](cabi::Sqe& s) { s.params_len = 8; }},
        {"result_addr", &Kind::result, [](cabi::Sqe& s) { s.result_addr = kBuf; }},
        {"result_len", &Kind::result, [](cabi::Sqe& s) { s.result_len = 8; }},
        {"call_id", &Kind::call_id, [](cabi::Sqe& s) { s.call_id = 1; }},
        {"xfer_addr", &Kind::transfers, [](cabi::Sqe& s) { s.xfer_addr = kBuf; }},
        {"xfer_count", &Kind::transfers, [](cabi::Sqe& s) { s.xfer_count = 1; }},
    };
    int checked = 0;
    for (const Kind& k : kKinds) {
        for (const Field& f : fields) {
            if (k.*(f.used)) continue;
            cabi::Sqe s = k.make();
            f.poke(s);
            EXPECT_EQ(decode_error(s), Error::RingBadSqe) << k.name << "." << f.name;
            ++checked;
        }
    }
    EXPECT_EQ(checked, 9 + 1 + 6 + 3 + 8);  // nop, call, recv, return, release
}

namespace {

struct BufferField {
    const char* name;
    cabi::Sqe (*make)();
    uint64_t cabi::Sqe::*addr;
    uint32_t cabi::Sqe::*len;
    uint32_t max;
};

const BufferField kBufferFields[] = {
    {"call.params", valid_call, &cabi::Sqe::params_addr, &cabi::Sqe::params_len, cabi::kMaxParamsBytes},
    {"call.result", valid_call, &cabi::Sqe::result_addr, &cabi::Sqe::result_len, cabi::kMaxResultBytes},
    {"recv.result", valid_recv, &cabi::Sqe::result_addr, &cabi::Sqe::result_len, cabi::kMaxResultBytes},
    {"return.params", valid_return, &cabi::Sqe::params_addr, &cabi::Sqe::params_len, cabi::kMaxParamsBytes},
};

}  // namespace

TEST(Decoder, ChecksEveryBufferRange) {
    for (const BufferField& b : kBufferFields) {
        auto with = [&](uint64_t addr, uint32_t len) {
            cabi::Sqe s = b.make();
            s.*(b.addr) = addr;
            s.*(b.len) = len;
            return decode_sqe(s);
        };
        SCOPED_TRACE(b.name);
        EXPECT_TRUE(with(kBuf, 64).ok());
        EXPECT_TRUE(with(cabi::kUserMin, 64).ok());
        EXPECT_TRUE(with(cabi::kUserTop - 64, 64).ok());
        EXPECT_TRUE(with(kBuf, b.max).ok());
        EXPECT_EQ(with(kBuf, b.max + 1).error(), Error::RingBadBuffer);
        EXPECT_EQ(with(0, 64).error(), Error::RingBadBuffer);               // len without addr
        EXPECT_EQ(with(cabi::kUserMin - 1, 64).error(), Error::RingBadBuffer);  // below the user half
        EXPECT_EQ(with(cabi::kUserTop - 63, 64).error(), Error::RingBadBuffer); // crosses the top
        EXPECT_EQ(with(cabi::kUserTop, 64).error(), Error::RingBadBuffer);
        EXPECT_EQ(with(0xFFFF'8000'0000'0000ull, 64).error(), Error::RingBadBuffer);  // kernel half
        EXPECT_EQ(with(~uint64_t{0} - 8, 64).error(), Error::RingBadBuffer);  // addr + len overflows
        EXPECT_EQ(with(~uint64_t{0}, 0xFFFF'FFFFu).error(), Error::RingBadBuffer);
        if (b.make != valid_recv) {
            EXPECT_TRUE(with(0, 0).ok());                                    // no buffer
            EXPECT_EQ(with(kBuf, 0).error(), Error::RingBadBuffer);          // addr without len
        }
    }
}

TEST(Decoder, RecvNeedsRoomForItsHeader) {
    cabi::Sqe s = valid_recv();
    s.result_len = sizeof(cabi::RecvHeader);
    EXPECT_TRUE(decode_sqe(s).ok());
    s.result_len = sizeof(cabi::RecvHeader) - 1;
    EXPECT_EQ(decode_error(s), Error::RingBufferTooSmall);
    s.result_addr = 0;
    s.result_len = 0;
    EXPECT_EQ(decode_error(s), Error::RingBufferTooSmall);
}

TEST(Decoder, ChecksTransferCountAndArray) {
    for (auto make : {valid_call, valid_return}) {
        auto with = [&](uint64_t addr, uint16_t count) {
            cabi::Sqe s = make();
            s.xfer_addr = addr;
            s.xfer_count = count;
            return decode_sqe(s);
        };
        const uint64_t max_bytes = cabi::kMaxTransfers * sizeof(cabi::TransferDescriptor);
        EXPECT_TRUE(with(0, 0).ok());
        EXPECT_TRUE(with(kBuf, cabi::kMaxTransfers).ok());
        EXPECT_TRUE(with(cabi::kUserTop - max_bytes, cabi::kMaxTransfers).ok());
        EXPECT_EQ(with(kBuf, cabi::kMaxTransfers + 1).error(), Error::RingBadTransfer);
        EXPECT_EQ(with(kBuf, 0xFFFF).error(), Error::RingBadTransfer);
        EXPECT_EQ(with(0, 1).error(), Error::RingBadBuffer);
        EXPECT_EQ(with(kBuf, 0).error(), Error::RingBadBuffer);
        EXPECT_EQ(with(cabi::kUserTop - max_bytes + 1, cabi::kMaxTransfers).error(), Error::RingBadBuffer);
        EXPECT_EQ(with(~uint64_t{0} - 15, 1).error(), Error::RingBadBuffer);
    }
}

TEST(Decoder, TransferDescriptors) {
    cabi::TransferDescriptor d{};
    d.cap_id = 0x10002;
    d.mode = static_cast<uint8_t>(cabi::TransferMode::Copy);
    auto r = decode_transfer(d);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().cap_id, 0x10002u);
    EXPECT_EQ(r.value().mode, cabi::TransferMode::Copy);
    d.mode = static_cast<uint8_t>(cabi::TransferMode::Move);
    EXPECT_EQ(decode_transfer(d).value().mode, cabi::TransferMode::Move);
    for (int m : {0, 3, 255}) {
        cabi::TransferDescriptor bad = d;
        bad.mode = static_cast<uint8_t>(m);
        EXPECT_EQ(decode_transfer(bad).error(), Error::RingBadTransfer) << m;
    }
    cabi::TransferDescriptor bad = d;
    bad.reserved0 = 1;
    EXPECT_EQ(decode_transfer(bad).error(), Error::RingBadTransfer);
    bad = d;
    bad.flags = 1;
    EXPECT_EQ(decode_transfer(bad).error(), Error::RingBadTransfer);
    bad = d;
    bad.reserved1 = 1ull << 63;
    EXPECT_EQ(decode_transfer(bad).error(), Error::RingBadTransfer);
    cabi::TransferDescriptor zero{};
    EXPECT_EQ(decode_transfer(zero).error(), Error::RingBadTransfer);
}

// ---------------------------------------------------------------------------
// Properties.

namespace {

struct Range {
    uint64_t addr;
    uint32_t len;
};

rc::Gen<Range> valid_range(uint32_t max, uint32_t min_len = 0) {
    return rc::gen::exec([max, min_len] {
        if (min_len == 0 && *rc::gen::inRange(0, 4) == 0) return Range{0, 0};
        uint32_t len = *rc::gen::inRange<uint32_t>(std::max(min_len, 1u), max + 1);
        uint64_t addr = *rc::gen::inRange<uint64_t>(cabi::kUserMin, cabi::kUserTop - len + 1);
        return Range{addr, len};
    });
}

}  // namespace

TEST(DecoderProperty, RandomValidSqesDecodeToThemselves) {
    EXPECT_TRUE(rc::check([] {
        const Kind& k = kKinds[*rc::gen::inRange<size_t>(0, std::size(kKinds))];
        cabi::Sqe s{};
        s.opcode = k.make().opcode;
        s.user_data = *rc::gen::arbitrary<uint64_t>();
        if (k.cap_id) s.cap_id = *rc::gen::arbitrary<uint32_t>();
        if (k.method) s.method = *rc::gen::arbitrary<uint16_t>();
        if (k.params) {
            Range r = *valid_range(cabi::kMaxParamsBytes);
            s.params_addr = r.addr;
            s.params_len = r.len;
        }
        if (k.result) {
            const bool recv = s.opcode == op(Opcode::Recv);
            Range r = *valid_range(cabi::kMaxResultBytes, recv ? sizeof(cabi::RecvHeader) : 0);
            s.result_addr = r.addr;
            s.result_len = r.len;
        }
        if (k.call_id) s.call_id = *rc::gen::arbitrary<uint32_t>();
        const bool exception = s.opcode == op(Opcode::Return) && *rc::gen::arbitrary<bool>();
        if (k.transfers && !exception) {
            uint16_t n = *rc::gen::inRange<uint16_t>(0, cabi::kMaxTransfers + 1);
            if (n) {
                s.xfer_count = n;
                s.xfer_addr = *rc::gen::inRange<uint64_t>(
                    cabi::kUserMin, cabi::kUserTop - n * sizeof(cabi::TransferDescriptor) + 1);
            }
        }
        if (exception) s.flags = cabi::kSqeFlagException;

        auto r = decode_sqe(s);
        RC_ASSERT(r.ok());
        const DecodedSqe& d = r.value();
        RC_ASSERT(static_cast<uint8_t>(d.opcode) == s.opcode);
        RC_ASSERT(d.user_data == s.user_data);
        RC_ASSERT(d.cap_id == s.cap_id);
        RC_ASSERT(d.method == s.method);
        RC_ASSERT(d.params.addr == s.params_addr && d.params.len == s.params_len);
        RC_ASSERT(d.result.addr == s.result_addr && d.result.len == s.result_len);
        RC_ASSERT(d.call_id == s.call_id);
        RC_ASSERT(d.xfer_count == s.xfer_count && d.transfers.addr == s.xfer_addr);
        RC_ASSERT(d.exception == exception);
    }));
}

TEST(DecoderProperty, ArbitraryBytesDecodeToValidOperationsOrClosedErrors) {
    EXPECT_TRUE(rc::check([] {
        cabi::Sqe s;
        auto bytes = *rc::gen::container<std::vector<uint8_t>>(sizeof(s), rc::gen::arbitrary<uint8_t>());
        // Bias toward decodable SQEs: small opcodes, mostly zero fields.
        if (*rc::gen::arbitrary<bool>()) {
            for (auto& b : bytes)
                if (*rc::gen::inRange(0, 4) != 0) b = 0;
            bytes[0] %= 6;
        }
        std::memcpy(&s, bytes.data(), sizeof(s));
        auto r = decode_sqe(s);
        if (!r.ok()) {
            const Error e = r.error();
            RC_ASSERT(e == Error::RingBadOpcode || e == Error::RingBadSqe || e == Error::RingBadBuffer ||
                      e == Error::RingBadTransfer || e == Error::RingBufferTooSmall);
            return;
        }
        const DecodedSqe& d = r.value();
        RC_ASSERT(s.opcode < cabi::kOpcodeFirstReserved);
        RC_ASSERT(s.reserved0 == 0 && s.reserved1 == 0 && s.answer_id == 0 && s.pipeline_index == 0);
        RC_ASSERT(user_range_valid(d.params.addr, d.params.len, cabi::kMaxParamsBytes));
        RC_ASSERT(user_range_valid(d.result.addr, d.result.len, cabi::kMaxResultBytes));
        RC_ASSERT(d.xfer_count <= cabi::kMaxTransfers);
        RC_ASSERT(user_range_valid(d.transfers.addr, d.transfers.len, 256));
    }));
}

TEST(TransportError, MapsRingAndCapErrors) {
    using T = cabi::TransportError;
    EXPECT_EQ(transport_error(Error::RingBadSqe), T::BadSqe);
    EXPECT_EQ(transport_error(Error::RingBadOpcode), T::BadOpcode);
    EXPECT_EQ(transport_error(Error::CapStale), T::BadCapability);
    EXPECT_EQ(transport_error(Error::CapWrongInterface), T::WrongInterface);
    EXPECT_EQ(transport_error(Error::RingBadBuffer), T::BadBuffer);
    EXPECT_EQ(transport_error(Error::RingBufferTooSmall), T::BufferTooSmall);
    EXPECT_EQ(transport_error(Error::CapnpBadPointer), T::MalformedParams);
    EXPECT_EQ(transport_error(Error::RingBadTransfer), T::TransferFailed);
    EXPECT_EQ(transport_error(Error::CapTableFull), T::TransferFailed);
    EXPECT_EQ(transport_error(Error::RingQueueFull), T::QueueFull);
    EXPECT_EQ(transport_error(Error::OutOfMemory), T::QueueFull);
    EXPECT_EQ(transport_error(Error::RingInterrupted), T::Interrupted);
    EXPECT_EQ(transport_error(Error::RingNoSuchCall), T::NoSuchCall);
    // Every error maps into the closed list of negative codes.
    for (int v = 0; v < 1024; ++v) {
        int32_t r = transport_result(static_cast<Error>(v));
        EXPECT_LT(r, 0);
        EXPECT_GE(r, cabi::kTransportErrorMin);
    }
}

// ring_hostile: hostile SQEs and params from one process; each check
// verifies the exact error the kernel answered (docs/abi.md 6-9).
//
// Needs CapSet entries "console" and "spare", both Console capabilities
// ("spare" is released by check 5). Prints one line per check through the
// Console ("ring_hostile: check N <what>: ok", or "... FAILED (<case>: got
// X)") and exits 0 if every check held, else the number of the first
// failed check; 100 when the Console is missing (nothing can be reported).
//
//   1 CapSet lookup: "console" as Console; as Timer -> CapWrongInterface;
//     an absent name -> NotFound
//   2 CALL on cap id 0, an index beyond the table, a generation of 0
//                                                       -> BadCapability
//   3 CALL on the console's slot with the next generation -> BadCapability
//   4 (the transport's mapping) a generated call on a stale id -> CapStale
//   5 RELEASE "spare" -> 0; then CALL and RELEASE on its old id
//                                                       -> BadCapability
//   6 RECV on the Console -> WrongInterface
//   7 RETURN on the Console -> WrongInterface
//   8 unknown opcodes 10, 77, 255 -> BadOpcode
//   9 reserved opcodes 5..9 (FINISH, PARK, UNPARK, NOTIFY_*) -> BadOpcode
//  10 reserved0, reserved1, answer_id, pipeline_index nonzero -> BadSqe
//  11 flags Link, Promise, Answer, bit 4, bit 15, Exception on CALL -> BadSqe
//  12 fields the opcode does not use (NOP cap_id, NOP user buffers,
//     RELEASE method, CALL call_id) -> BadSqe
//  13 xfer_count 17 -> TransferFailed
//  14 params in the kernel half, unmapped, non-canonical, straddling the
//     end of the stack -> BadBuffer
//  15 params ranges that overflow or pass kUserTop, params_len above
//     kMaxParamsBytes, addr without len and len without addr -> BadBuffer
//  16 result buffer in the kernel half, unmapped, non-canonical, read-only
//     (.rodata and the CapSet page), result_len above kMaxResultBytes
//     -> BadBuffer, and the call does not happen (its text, "leaked call",
//     must never reach the serial log: the scenario forbids it)
//  17 params in the read-only CapSet page are readable: MalformedParams
//  18 a result buffer too small for the (empty-struct) results
//     -> BufferTooSmall with aux = the size of that results message; the
//     call ran (its line is printed)
//  19 a buffer that is not a Cap'n Proto message: invalid segment tables
//     (too short, 2^32 segments, a segment past the end, 1,000 segments)
//     or no usable root struct (out of bounds, at offset -2^29, a far
//     pointer to offset 2^29-1, to a missing segment or to itself, no
//     root word) -> MalformedParams (the kernel checks the framing and the
//     root before the capability sees the message)
//  20 bad text pointers in an otherwise valid message (out of bounds, a
//     struct, no NUL, a list of words) -> raised invalidArgument
//  21 far pointers as the text: landing pad offset 2^29-1, a missing
//     segment, a double-far whose pad points out, a two-segment message
//     whose pad points before its segment, a pad that is the pointer
//     itself, a double-far whose pad starts with another double-far
//     -> raised invalidArgument
//  22 huge list counts: a 2^29-1 byte text, an inline-composite list of
//     2^29-1 words -> raised invalidArgument
//  23 offsets that underflow: a text at -2^29, a text before the segment
//     -> raised invalidArgument
//  24 zero-sized element amplification: 2^29-1 Void elements, 2^30-1
//     zero-sized structs, as Text and as Data -> raised invalidArgument
//  25 unknown method ordinals 2, 7, 0xFFFF -> raised unimplemented
//  26 writeLine of 4097 bytes -> raised invalidArgument, nothing printed
//  27 writeLine of exactly 4096 bytes is accepted
//  28 a CapException larger than the result buffer
//     -> ApplicationExceptionTruncated; aux <= the buffer, and a nonzero
//     aux holds a complete CapException of type unimplemented
//  29 after all that, a normal writeLine through the generated client works
#include <cstddef>
#include <cstdint>

#include "abi/layout.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/transport.hpp"
#include "user/tests/ring_common.hpp"

namespace {

using namespace ringtest;
namespace schema = capos::schema;
using capos::Error;
using TE = abi::TransportError;
using EK = rpc::ExceptionKind;

constexpr const char* kProg = "ring_hostile";

capnp::Word g_params[1024];
alignas(8) uint8_t g_results[512];
alignas(8) uint8_t g_small[64];
const char kReadOnly[64] = "ring_hostile: read-only bytes";

Verdict g_verdict;

uint16_t g_write_line = schema::Console::kMethodWriteLine;
abi::CapId g_console = 0;

// A writeLine whose text must never reach the log.
std::span<const uint8_t> leak_params() {
    return text_params(g_params, "ring_hostile: leaked call");
}

abi::Cqe call_raw(abi::CapId cap, uint16_t method, std::span<const uint8_t> params,
                  std::span<uint8_t> results) {
    return run(call_sqe(cap, method, params, results));
}

// CALL writeLine on the console with hand-made params (addr, len) and a
// good result buffer.
abi::Cqe call_params_at(uint64_t addr, uint32_t len) {
    abi::Sqe s = call_sqe(g_console, g_write_line, {}, g_results);
    s.params_addr = addr;
    s.params_len = len;
    return run(s);
}

// CALL writeLine on the console with good params and a result buffer at
// (addr, len).
abi::Cqe call_result_at(uint64_t addr, uint32_t len) {
    abi::Sqe s = call_sqe(g_console, g_write_line, leak_params(), {});
    s.result_addr = addr;
    s.result_len = len;
    return run(s);
}

void check_raised(Check& c, std::span<const capnp::Word> msg, EK kind, const char* name,
                  uint16_t method = schema::Console::kMethodWriteLine) {
    abi::Cqe r = call_raw(g_console, method, bytes_of(msg), g_results);
    c.expect_raised(r, g_results, kind, name);
}

void check_malformed(Check& c, std::span<const uint8_t> params, const char* name) {
    abi::Cqe r = call_raw(g_console, g_write_line, params, g_results);
    c.expect_error(r, TE::MalformedParams, name);
}

}  // namespace

int capos_main(const rt::StartInfo& info) {
    const rt::CapSet& caps = rt::capset();
    auto console_id = caps.lookup("console", schema::Console::kInterfaceId);
    auto spare_id = caps.lookup("spare", schema::Console::kInterfaceId);
    auto transport = rt::transport();
    if (!console_id || !transport || !rt::print_line("ring_hostile: start")) return 100;
    g_console = console_id.value();
    schema::Console::Client console(*transport.value(), g_console);

    {  // 1
        Check c(kProg, 1, "CapSet lookup by name and interface");
        auto timer = caps.lookup("console", schema::Timer::kInterfaceId);
        c.expect(!timer && timer.error() == Error::CapWrongInterface, "console as Timer",
                 timer ? "an id" : capos::error_name(timer.error()));
        auto absent = caps.lookup("no-such-capability", schema::Console::kInterfaceId);
        c.expect(!absent && absent.error() == Error::NotFound, "absent name",
                 absent ? "an id" : capos::error_name(absent.error()));
        c.expect(spare_id.ok(), "spare", "not found");
        g_verdict.add(c, 1);
    }
    {  // 2
        Check c(kProg, 2, "CALL on ids naming no capability -> BadCapability");
        c.expect_error(call_raw(0, g_write_line, leak_params(), g_results), TE::BadCapability,
                       "id 0");
        c.expect_error(call_raw(abi::make_cap_id(0xFFFF, 1), g_write_line, leak_params(),
                                g_results),
                       TE::BadCapability, "index 65535");
        c.expect_error(call_raw(abi::cap_id_index(g_console), g_write_line, leak_params(),
                                g_results),
                       TE::BadCapability, "generation 0");
        g_verdict.add(c, 2);
    }
    {  // 3
        Check c(kProg, 3, "CALL with the console slot's next generation -> BadCapability");
        abi::CapId wrong = abi::make_cap_id(
            abi::cap_id_index(g_console),
            abi::next_cap_generation(abi::cap_id_generation(g_console)));
        c.expect_error(call_raw(wrong, g_write_line, leak_params(), g_results), TE::BadCapability,
                       "next generation");
        g_verdict.add(c, 3);
    }
    {  // 4
        Check c(kProg, 4, "generated client on a dead id -> CapStale");
        schema::Console::Client dead(*transport.value(), abi::make_cap_id(0xFFFE, 3));
        rpc::CallBuffers b(g_params, g_results);
        auto r = dead.write_line(b, "ring_hostile: leaked call");
        c.expect(!r && r.error() == Error::CapStale, "write_line",
                 r ? "ok" : capos::error_name(r.error()));
        g_verdict.add(c, 4);
    }
    {  // 5
        Check c(kProg, 5, "RELEASE, then the stale id -> BadCapability");
        if (spare_id) {
            abi::CapId spare = spare_id.value();
            c.expect_result(run(sqe_of(abi::Opcode::Release, spare)), 0, "release");
            c.expect_error(call_raw(spare, g_write_line, leak_params(), g_results),
                           TE::BadCapability, "call after release");
            c.expect_error(run(sqe_of(abi::Opcode::Release, spare)), TE::BadCapability,
                           "release twice");
        } else {
            c.fail("spare", "not in the CapSet");
        }
        g_verdict.add(c, 5);
    }
    {  // 6
        Check c(kProg, 6, "RECV on the Console -> WrongInterface");
        abi::Sqe s = sqe_of(abi::Opcode::Recv, g_console);
        s.result_addr = addr_of(g_results);
        s.result_len = sizeof(g_results);
        c.expect_error(run(s), TE::WrongInterface, "recv");
        g_verdict.add(c, 6);
    }
    {  // 7
        Check c(kProg, 7, "RETURN on the Console -> WrongInterface");
        capnp::Word empty[4];
        capnp::MessageBuilder m(empty);
        (void)m.init_root(0, 0);
        abi::Sqe s = sqe_of(abi::Opcode::Return, g_console);
        s.params_addr = addr_of(m.bytes().data());
        s.params_len = static_cast<uint32_t>(m.bytes().size());
        s.call_id = 1;
        c.expect_error(run(s), TE::WrongInterface, "return");
        g_verdict.add(c, 7);
    }
    {  // 8
        Check c(kProg, 8, "unknown opcodes -> BadOpcode");
        for (uint8_t op : {uint8_t{10}, uint8_t{77}, uint8_t{255}}) {
            abi::Sqe s{};
            s.opcode = op;
            c.expect_error(run(s), TE::BadOpcode, "unknown opcode");
        }
        g_verdict.add(c, 8);
    }
    {  // 9
        Check c(kProg, 9, "reserved opcodes 5..9 -> BadOpcode");
        for (uint8_t op = abi::kOpcodeFirstReserved; op <= abi::kOpcodeLastReserved; ++op) {
            abi::Sqe s{};
            s.opcode = op;
            c.expect_error(run(s), TE::BadOpcode, "reserved opcode");
        }
        g_verdict.add(c, 9);
    }
    {  // 10
        Check c(kProg, 10, "reserved fields nonzero -> BadSqe");
        abi::Sqe s{};
        s.reserved0 = 1;
        c.expect_error(run(s), TE::BadSqe, "reserved0");
        s = abi::Sqe{};
        s.reserved1 = 0x8000;
        c.expect_error(run(s), TE::BadSqe, "reserved1");
        s = call_sqe(g_console, g_write_line, leak_params(), g_results);
        s.answer_id = 1;
        c.expect_error(run(s), TE::BadSqe, "answer_id");
        s = call_sqe(g_console, g_write_line, leak_params(), g_results);
        s.pipeline_index = 1;
        c.expect_error(run(s), TE::BadSqe, "pipeline_index");
        g_verdict.add(c, 10);
    }
    {  // 11
        Check c(kProg, 11, "reserved, unknown and misplaced flags -> BadSqe");
        for (uint16_t f : {abi::kSqeFlagLink, abi::kSqeFlagPromise, abi::kSqeFlagAnswer,
                           uint16_t{1u << 4}, uint16_t{1u << 15}, abi::kSqeFlagException}) {
            abi::Sqe s = call_sqe(g_console, g_write_line, leak_params(), g_results);
            s.flags = f;
            c.expect_error(run(s), TE::BadSqe, "flag");
        }
        abi::Sqe nop{};
        nop.flags = abi::kSqeFlagException;
        c.expect_error(run(nop), TE::BadSqe, "Exception on NOP");
        g_verdict.add(c, 11);
    }
    {  // 12
        Check c(kProg, 12, "fields the opcode does not use -> BadSqe");
        abi::Sqe s = sqe_of(abi::Opcode::Nop, g_console);
        c.expect_error(run(s), TE::BadSqe, "NOP cap_id");
        s = sqe_of(abi::Opcode::Nop, 0);
        s.result_addr = addr_of(g_results);
        s.result_len = 8;
        c.expect_error(run(s), TE::BadSqe, "NOP result buffer");
        s = sqe_of(abi::Opcode::Nop, 0);
        s.method = 1;
        c.expect_error(run(s), TE::BadSqe, "NOP method");
        s = sqe_of(abi::Opcode::Release, g_console);
        s.method = 1;
        c.expect_error(run(s), TE::BadSqe, "RELEASE method");
        s = call_sqe(g_console, g_write_line, leak_params(), g_results);
        s.call_id = 5;
        c.expect_error(run(s), TE::BadSqe, "CALL call_id");
        g_verdict.add(c, 12);
    }
    {  // 13
        Check c(kProg, 13, "xfer_count 17 -> TransferFailed");
        static abi::TransferDescriptor xfers[17] = {};
        abi::Sqe s = call_sqe(g_console, g_write_line, leak_params(), g_results);
        s.xfer_addr = addr_of(xfers);
        s.xfer_count = 17;
        c.expect_error(run(s), TE::TransferFailed, "17 transfers");
        g_verdict.add(c, 13);
    }
    {  // 14
        Check c(kProg, 14, "params outside mapped user memory -> BadBuffer");
        c.expect_error(call_params_at(0xFFFF'FFFF'8010'0000, 64), TE::BadBuffer, "kernel half");
        c.expect_error(call_params_at(0x1000'0000, 64), TE::BadBuffer, "unmapped");
        c.expect_error(call_params_at(0x0001'0000'0000'0000, 64), TE::BadBuffer,
                       "non-canonical");
        c.expect_error(call_params_at(0x8000'0000'0000'0000, 64), TE::BadBuffer,
                       "non-canonical high");
        c.expect_error(call_params_at(abi::kStackTop - 16, 64), TE::BadBuffer,
                       "straddling the stack top");
        c.expect_error(call_params_at(abi::kUserMin - 8, 16), TE::BadBuffer, "page 0");
        g_verdict.add(c, 14);
    }
    {  // 15
        Check c(kProg, 15, "params ranges that overflow or are inconsistent -> BadBuffer");
        c.expect_error(call_params_at(0xFFFF'FFFF'FFFF'FFF0, 0x20), TE::BadBuffer,
                       "addr + len wraps");
        c.expect_error(call_params_at(abi::kUserTop - 8, 16), TE::BadBuffer, "past kUserTop");
        c.expect_error(call_params_at(addr_of(g_params), abi::kMaxParamsBytes + 1),
                       TE::BadBuffer, "len above the maximum");
        c.expect_error(call_params_at(addr_of(g_params), 0xFFFF'FFFF), TE::BadBuffer,
                       "len 2^32-1");
        c.expect_error(call_params_at(addr_of(g_params), 0), TE::BadBuffer, "addr without len");
        c.expect_error(call_params_at(0, 16), TE::BadBuffer, "len without addr");
        g_verdict.add(c, 15);
    }
    {  // 16
        Check c(kProg, 16, "result buffers the kernel cannot write -> BadBuffer, no call");
        c.expect_error(call_result_at(0xFFFF'FFFF'8010'0000, 64), TE::BadBuffer, "kernel half");
        c.expect_error(call_result_at(0x1000'0000, 64), TE::BadBuffer, "unmapped");
        c.expect_error(call_result_at(0x0000'9000'0000'0000, 64), TE::BadBuffer,
                       "non-canonical");
        c.expect_error(call_result_at(addr_of(kReadOnly), sizeof(kReadOnly)), TE::BadBuffer,
                       ".rodata");
        if (info.capset_address != 0)
            c.expect_error(call_result_at(info.capset_address, 64), TE::BadBuffer,
                           "CapSet page");
        c.expect_error(call_result_at(addr_of(g_results), abi::kMaxResultBytes + 1),
                       TE::BadBuffer, "len above the maximum");
        c.expect_error(call_result_at(abi::kStackTop - 8, 64), TE::BadBuffer,
                       "straddling the stack top");
        g_verdict.add(c, 16);
    }
    {  // 17
        Check c(kProg, 17, "params in the read-only CapSet page -> MalformedParams");
        c.expect_error(call_params_at(info.capset_address, 64), TE::MalformedParams,
                       "CapSet page");
        g_verdict.add(c, 17);
    }
    {  // 18
        Check c(kProg, 18, "result buffer too small -> BufferTooSmall, aux = bytes needed");
        capnp::Word w[4];
        capnp::MessageBuilder empty(w);
        (void)empty.init_root(schema::Console::WriteLineResults::kDataWords,
                              schema::Console::WriteLineResults::kPointerCount);
        uint32_t needed = static_cast<uint32_t>(empty.bytes().size());
        auto params = text_params(g_params, "ring_hostile: check 18 call ran (8-byte results)");
        c.expect_error(call_raw(g_console, g_write_line, params, std::span(g_small).first(8)),
                       TE::BufferTooSmall, "8-byte buffer", needed);
        c.expect(needed > 8, "results size", "8 bytes or fewer");
        g_verdict.add(c, 18);
    }
    {  // 19
        Check c(kProg, 19, "invalid framing or root pointer -> MalformedParams");
        static capnp::Word m[8];
        m[0] = segment_table_1(1);
        check_malformed(c, bytes_of(m).first(4), "4 bytes");
        m[0] = 0xFFFF'FFFF;  // 2^32 segments
        check_malformed(c, bytes_of(std::span(m, 4)), "2^32 segments");
        m[0] = segment_table_1(1000);
        m[1] = struct_ptr(0, 0, 1);
        check_malformed(c, bytes_of(std::span(m, 4)), "segment past the end");
        m[0] = 999;  // 1,000 segments, a table far longer than the message
        check_malformed(c, bytes_of(std::span(m, 8)), "1000 segments");
        capnp::Word a[] = {segment_table_1(2), struct_ptr(100, 0, 1), 0};
        check_malformed(c, bytes_of(a), "root out of bounds");
        capnp::Word b[] = {segment_table_1(2), struct_ptr(-(1 << 29), 0, 1), 0};
        check_malformed(c, bytes_of(b), "root at -2^29");
        capnp::Word d[] = {segment_table_1(2), far_ptr(false, 0x1FFF'FFFF, 0), 0};
        check_malformed(c, bytes_of(d), "root far pad offset 2^29-1");
        capnp::Word e[] = {segment_table_1(2), far_ptr(false, 0, 7), 0};
        check_malformed(c, bytes_of(e), "root far to a missing segment");
        capnp::Word f[] = {segment_table_1(1), far_ptr(false, 0, 0)};
        check_malformed(c, bytes_of(f), "root far pad loop");
        capnp::Word g[] = {segment_table_1(1), 0};
        check_malformed(c, bytes_of(std::span(g, 1)), "no root pointer");
        g_verdict.add(c, 19);
    }
    {  // 20
        Check c(kProg, 20, "bad text pointers in a valid message -> raised invalidArgument");
        capnp::Word a[] = {segment_table_1(3), struct_ptr(0, 0, 1),
                           list_ptr(0, capnp::ElementSize::Byte, 1000), 0};
        check_raised(c, a, EK::InvalidArgument, "text out of bounds");
        capnp::Word d[] = {segment_table_1(3), struct_ptr(0, 0, 1), struct_ptr(0, 1, 0), 0};
        check_raised(c, d, EK::InvalidArgument, "struct as text");
        capnp::Word e[] = {segment_table_1(3), struct_ptr(0, 0, 1),
                           list_ptr(0, capnp::ElementSize::Byte, 8), 0x4142'4344'4546'4748};
        check_raised(c, e, EK::InvalidArgument, "text without NUL");
        capnp::Word f[] = {segment_table_1(3), struct_ptr(0, 0, 1),
                           list_ptr(0, capnp::ElementSize::EightBytes, 1), 0};
        check_raised(c, f, EK::InvalidArgument, "words as text");
        g_verdict.add(c, 20);
    }
    {  // 21
        // The root struct (word 1 of the segment) is fine; its one pointer,
        // the text, is at segment word 1.
        Check c(kProg, 21, "hostile far pointers -> raised invalidArgument");
        capnp::Word a[] = {segment_table_1(3), struct_ptr(0, 0, 1),
                           far_ptr(false, 0x1FFF'FFFF, 0), 0};
        check_raised(c, a, EK::InvalidArgument, "pad offset 2^29-1");
        capnp::Word b[] = {segment_table_1(3), struct_ptr(0, 0, 1), far_ptr(false, 0, 7), 0};
        check_raised(c, b, EK::InvalidArgument, "missing segment");
        capnp::Word d[] = {segment_table_1(5), struct_ptr(0, 0, 1), far_ptr(true, 2, 0),
                           far_ptr(false, 0x1FFF'FFF0, 0),
                           list_ptr(0, capnp::ElementSize::Byte, 1), 0};
        check_raised(c, d, EK::InvalidArgument, "double-far pad out");
        // Two segments: [root, text: far -> seg 1 word 0] [pad: bytes at -8].
        capnp::Word e[] = {uint64_t{1} | (uint64_t{2} << 32), uint64_t{1},
                           struct_ptr(0, 0, 1), far_ptr(false, 0, 1),
                           list_ptr(-8, capnp::ElementSize::Byte, 4)};
        check_raised(c, e, EK::InvalidArgument, "pad points before its segment");
        // The text pointer is a far pointer whose pad is itself.
        capnp::Word f[] = {segment_table_1(2), struct_ptr(0, 0, 1), far_ptr(false, 1, 0)};
        check_raised(c, f, EK::InvalidArgument, "pad loop");
        // A double-far whose pad starts with another double-far.
        capnp::Word g[] = {segment_table_1(4), struct_ptr(0, 0, 1), far_ptr(true, 2, 0),
                           far_ptr(true, 2, 0), list_ptr(0, capnp::ElementSize::Byte, 1)};
        check_raised(c, g, EK::InvalidArgument, "double-far pad of a double-far");
        g_verdict.add(c, 21);
    }
    {  // 22
        Check c(kProg, 22, "huge list counts -> raised invalidArgument");
        capnp::Word a[] = {segment_table_1(3), struct_ptr(0, 0, 1),
                           list_ptr(0, capnp::ElementSize::Byte, 0x1FFF'FFFF), 0};
        check_raised(c, a, EK::InvalidArgument, "2^29-1 bytes");
        capnp::Word b[] = {segment_table_1(4), struct_ptr(0, 0, 1),
                           list_ptr(0, capnp::ElementSize::InlineComposite, 0x1FFF'FFFF),
                           struct_ptr(1, 1, 0), 0};
        check_raised(c, b, EK::InvalidArgument, "composite 2^29-1 words");
        check_raised(c, a, EK::InvalidArgument, "as Data", schema::Console::kMethodWrite);
        g_verdict.add(c, 22);
    }
    {  // 23
        Check c(kProg, 23, "offsets that underflow -> raised invalidArgument");
        capnp::Word a[] = {segment_table_1(2), struct_ptr(0, 0, 1),
                           list_ptr(-(1 << 29), capnp::ElementSize::Byte, 8)};
        check_raised(c, a, EK::InvalidArgument, "text at -2^29");
        capnp::Word b[] = {segment_table_1(2), struct_ptr(0, 0, 1),
                           list_ptr(-3, capnp::ElementSize::Byte, 8)};
        check_raised(c, b, EK::InvalidArgument, "text before the segment");
        g_verdict.add(c, 23);
    }
    {  // 24
        Check c(kProg, 24, "zero-sized element amplification -> raised invalidArgument");
        capnp::Word a[] = {segment_table_1(2), struct_ptr(0, 0, 1),
                           list_ptr(0, capnp::ElementSize::Void, 0x1FFF'FFFF)};
        check_raised(c, a, EK::InvalidArgument, "2^29-1 voids as Text");
        check_raised(c, a, EK::InvalidArgument, "2^29-1 voids as Data",
                     schema::Console::kMethodWrite);
        // Tag: element count 2^30-1, each struct 0 data words and 0 pointers.
        capnp::Word b[] = {segment_table_1(3), struct_ptr(0, 0, 1),
                           list_ptr(0, capnp::ElementSize::InlineComposite, 0),
                           struct_ptr(0x3FFF'FFFF, 0, 0)};
        check_raised(c, b, EK::InvalidArgument, "2^30-1 empty structs as Text");
        check_raised(c, b, EK::InvalidArgument, "2^30-1 empty structs as Data",
                     schema::Console::kMethodWrite);
        g_verdict.add(c, 24);
    }
    {  // 25
        Check c(kProg, 25, "unknown method ordinals -> raised unimplemented");
        auto params = leak_params();
        for (uint16_t m : {uint16_t{2}, uint16_t{7}, uint16_t{0xFFFF}}) {
            abi::Cqe r = call_raw(g_console, m, params, g_results);
            c.expect_raised(r, g_results, EK::Unimplemented, "ordinal");
        }
        g_verdict.add(c, 25);
    }
    {  // 26
        Check c(kProg, 26, "writeLine of 4097 bytes -> raised invalidArgument");
        static char text[4097];
        for (char& ch : text) ch = 'x';
        auto params = text_params(g_params, capos::StringView(text, sizeof(text)));
        c.expect(!params.empty(), "build", "params did not fit");
        abi::Cqe r = call_raw(g_console, g_write_line, params, g_results);
        c.expect_raised(r, g_results, EK::InvalidArgument, "4097 bytes");
        g_verdict.add(c, 26);
    }
    {  // 27
        Check c(kProg, 27, "writeLine of exactly 4096 bytes is accepted");
        static char text[4096];
        const char head[] = "ring_hostile: 4096-byte line ";
        for (size_t i = 0; i < sizeof(text); ++i)
            text[i] = i < sizeof(head) - 1 ? head[i] : '.';
        auto params = text_params(g_params, capos::StringView(text, sizeof(text)));
        abi::Cqe r = call_raw(g_console, g_write_line, params, g_results);
        c.expect(r.result >= 0, "4096 bytes", result_name(r.result));
        g_verdict.add(c, 27);
    }
    {  // 28
        Check c(kProg, 28, "raised error larger than the result buffer -> truncated");
        for (uint32_t len : {16u, 24u, 40u}) {
            abi::Cqe r = call_raw(g_console, 7, leak_params(), std::span(g_small).first(len));
            c.expect_error(r, TE::ApplicationExceptionTruncated, "truncated");
            if (r.result != abi::to_result(TE::ApplicationExceptionTruncated)) break;
            c.expect(r.aux <= len, "aux", "aux beyond the buffer");
            if (r.aux > 0 && r.aux <= len) {
                capnp::MessageReader msg(std::span<const uint8_t>(g_small, r.aux));
                auto e = rpc::read_exception(msg);
                c.expect(e.ok() && e.value().kind == EK::Unimplemented, "shortened",
                         e ? kind_name(e.value().kind) : "undecodable");
            }
        }
        g_verdict.add(c, 28);
    }
    {  // 29
        Check c(kProg, 29, "a normal writeLine still works");
        rpc::CallBuffers b(g_params, g_results);
        auto r = console.write_line(b, "ring_hostile: the Console still works");
        c.expect(r.ok(), "write_line", r ? "ok" : capos::error_name(r.error()));
        g_verdict.add(c, 29);
    }
    say("ring_hostile: done, first failed check {}", g_verdict.first_failed);
    return g_verdict.first_failed;
}

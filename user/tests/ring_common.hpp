// Helpers shared by the ring test programs (ring_hostile, ring_garbage,
// ring_flood, ring_fuzz): numbered checks reported through the Console, raw
// SQEs, and hand-made Cap'n Proto words.
//
// Each check prints exactly one line through rt::print_line:
//   "<program>: check N <what>: ok"
//   "<program>: check N <what>: FAILED (<case>: got <result> aux <aux>)"
// The QEMU scenarios expect the "ok" lines. Descriptions avoid the words
// the scenario runner treats as failures (panic, exception, assert, warn).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "abi/ring.hpp"
#include "lib/base/format.hpp"
#include "lib/base/string_view.hpp"
#include "lib/capnp/capnp.hpp"
#include "schema/rpc.hpp"
#include "user/rt/console.hpp"
#include "user/rt/ring_client.hpp"
#include "user/rt/rt.hpp"

namespace ringtest {

namespace abi = capos::abi;
namespace capnp = capos::capnp;
namespace rpc = capos::rpc;
namespace rt = capos::rt;
using capos::StringView;

// A CQE result no kernel posts: the helper could not get a completion.
inline constexpr int32_t kNoCompletion = INT32_MIN;

inline const char* kind_name(rpc::ExceptionKind k) {
    switch (k) {
    case rpc::ExceptionKind::Failed: return "failed";
    case rpc::ExceptionKind::Overloaded: return "overloaded";
    case rpc::ExceptionKind::Disconnected: return "disconnected";
    case rpc::ExceptionKind::Unimplemented: return "unimplemented";
    case rpc::ExceptionKind::InvalidArgument: return "invalidArgument";
    }
    return "unknown-kind";
}

inline const char* result_name(int32_t r) {
    if (r == kNoCompletion) return "no completion";
    return rt::transport_error_name(r);
}

// One numbered check made of cases; the first failed case is reported.
class Check {
public:
    Check(const char* program, int number, const char* what)
        : program_(program), number_(number), what_(what) {}

    bool ok() const { return failed_case_ == nullptr; }

    // Records a failure (only the first is kept). `got` is copied.
    void fail(const char* case_name, StringView got) {
        if (!ok()) return;
        failed_case_ = case_name;
        size_t n = got.size() < sizeof(got_) - 1 ? got.size() : sizeof(got_) - 1;
        for (size_t i = 0; i < n; ++i) got_[i] = got[i];
        got_[n] = '\0';
    }
    void expect(bool cond, const char* case_name, StringView got) {
        if (!cond) fail(case_name, got);
    }
    // The CQE's result must be `want` (and its aux `want_aux`, if given).
    void expect_result(const abi::Cqe& c, int32_t want, const char* case_name,
                       int64_t want_aux = -1) {
        if (c.result == want && (want_aux < 0 || c.aux == static_cast<uint64_t>(want_aux)))
            return;
        char got[96];
        size_t n = capos::format_to(got, sizeof(got), "got {} aux {}", result_name(c.result), c.aux);
        fail(case_name, StringView(got, n));
    }
    void expect_error(const abi::Cqe& c, abi::TransportError want, const char* case_name,
                      int64_t want_aux = -1) {
        expect_result(c, abi::to_result(want), case_name, want_aux);
    }
    // The CQE must be ApplicationException with a CapException of `kind` in
    // `results` (aux bytes).
    void expect_raised(const abi::Cqe& c, std::span<const uint8_t> results,
                       rpc::ExceptionKind kind, const char* case_name) {
        if (c.result != abi::to_result(abi::TransportError::ApplicationException)) {
            expect_error(c, abi::TransportError::ApplicationException, case_name);
            return;
        }
        if (c.aux > results.size()) {
            fail(case_name, "aux larger than the result buffer");
            return;
        }
        capnp::MessageReader msg(results.first(c.aux));
        auto e = rpc::read_exception(msg);
        if (!e) {
            fail(case_name, "an undecodable CapException");
            return;
        }
        if (e.value().kind != kind) {
            char got[64];
            size_t n = capos::format_to(got, sizeof(got), "raised {}", kind_name(e.value().kind));
            fail(case_name, StringView(got, n));
        }
    }

    // Prints the line; returns ok().
    bool report() {
        char line[256];
        size_t n;
        if (ok())
            n = capos::format_to(line, sizeof(line), "{}: check {} {}: ok", program_, number_,
                                 what_);
        else
            n = capos::format_to(line, sizeof(line), "{}: check {} {}: FAILED ({}: {})", program_,
                                 number_, what_, failed_case_, got_);
        (void)rt::print_line(StringView(line, n));
        return ok();
    }

private:
    const char* program_;
    int number_;
    const char* what_;
    const char* failed_case_ = nullptr;
    char got_[96] = {};
};

// Tracks the exit code: 0, or the number of the first failed check.
struct Verdict {
    int first_failed = 0;
    void add(Check& c, int number) {
        if (!c.report() && first_failed == 0) first_failed = number;
    }
};

// Submits one SQE (user_data filled in), enters, and returns its CQE, or a
// CQE with result kNoCompletion when none came.
inline abi::Cqe run(abi::Sqe sqe) {
    abi::Cqe none{};
    none.result = kNoCompletion;
    auto r = rt::ring();
    if (!r) return none;
    rt::RingClient& ring = *r.value();
    sqe.user_data = ring.next_user_data();
    auto c = ring.submit_and_wait(sqe);
    return c ? c.value() : none;
}

inline uint64_t addr_of(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// SQE builders.
inline abi::Sqe sqe_of(abi::Opcode op, abi::CapId cap) {
    abi::Sqe s{};
    s.opcode = static_cast<uint8_t>(op);
    s.cap_id = cap;
    return s;
}
inline abi::Sqe call_sqe(abi::CapId cap, uint16_t method, std::span<const uint8_t> params,
                         std::span<uint8_t> results) {
    abi::Sqe s = sqe_of(abi::Opcode::Call, cap);
    s.method = method;
    if (!params.empty()) {
        s.params_addr = addr_of(params.data());
        s.params_len = static_cast<uint32_t>(params.size());
    }
    if (!results.empty()) {
        s.result_addr = addr_of(results.data());
        s.result_len = static_cast<uint32_t>(results.size());
    }
    return s;
}

// A params message for Console.writeLine / Console.write (one pointer:
// text or data) built with lib/capnp into `words`. Empty on overflow.
inline std::span<const uint8_t> text_params(std::span<capnp::Word> words, StringView text) {
    capnp::MessageBuilder msg(words);
    auto root = msg.init_root(0, 1);
    if (!root) return {};
    if (!root.value().set_text(0, text)) return {};
    return msg.bytes();
}

// Raw pointer words (wire.hpp), for hand-made hostile messages.
constexpr capnp::Word struct_ptr(int32_t offset, uint16_t data_words, uint16_t ptrs) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(offset) & 0x3FFF'FFFFu) << 2) |
           (uint64_t{data_words} << 32) | (uint64_t{ptrs} << 48);
}
constexpr capnp::Word list_ptr(int32_t offset, capnp::ElementSize size, uint32_t count) {
    return 1u | (static_cast<uint64_t>(static_cast<uint32_t>(offset) & 0x3FFF'FFFFu) << 2) |
           (uint64_t{static_cast<uint8_t>(size)} << 32) | (uint64_t{count & 0x1FFF'FFFFu} << 35);
}
constexpr capnp::Word far_ptr(bool double_far, uint32_t offset, uint32_t segment) {
    return 2u | (double_far ? 4u : 0u) | (uint64_t{offset & 0x1FFF'FFFFu} << 3) |
           (uint64_t{segment} << 32);
}
// The first word of a single-segment message of `words` words.
constexpr capnp::Word segment_table_1(uint32_t words) { return uint64_t{words} << 32; }

inline std::span<const uint8_t> bytes_of(std::span<const capnp::Word> words) {
    return {reinterpret_cast<const uint8_t*>(words.data()), words.size() * sizeof(capnp::Word)};
}

// Prints a formatted line through the Console (best effort).
template <typename... Args>
void say(StringView fmt, const Args&... args) {
    char line[256];
    size_t n = capos::format_to(line, sizeof(line), fmt, args...);
    (void)rt::print_line(StringView(line, n));
}

}  // namespace ringtest

// term_check: TerminalSession over COM2 and SystemInfo (qemu.terminal,
// docs/terminal.md). The scenario runner types on COM2 after each prompt;
// this program reports every outcome on the Console (COM1) as
// "term: ..." lines the scenario expects, and checks the hidden password
// itself so the secret is printed nowhere. Exits 0, or the number of the
// failed step (a call that did not work the way the test needs to go on):
//   1 no terminal/systemInfo/console   2 SystemInfo failed
//   3 bad params were not refused      4 a readLine call failed
//   5 the concurrent-reader check      6 the raw-mode check
#include <cstdint>

#include "lib/base/format.hpp"
#include "lib/capnp/builder.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/console.hpp"
#include "user/rt/ring_client.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/transport.hpp"

namespace {
namespace rt = capos::rt;
namespace S = capos::schema;
namespace abi = capos::abi;
using capos::Result;
using capos::StringView;
using capos::rpc::ExceptionKind;

capos::capnp::Word g_params[1200];
alignas(8) uint8_t g_results[8192];
capos::capnp::Word g_async_params[64];
alignas(8) uint8_t g_async_results[512];

rt::RingTransport* g_tr = nullptr;
abi::CapId g_term = abi::kCapIdNone;

const char* status_name(S::LineStatus s) {
    switch (s) {
    case S::LineStatus::Line: return "line";
    case S::LineStatus::Cancelled: return "cancelled";
    case S::LineStatus::EndOfInput: return "endOfInput";
    case S::LineStatus::TooLong: return "tooLong";
    }
    return "?";
}

template <typename... Args>
void report(StringView fmt, const Args&... args) {
    char buf[300];
    size_t n = capos::format_to(buf, sizeof buf, fmt, args...);
    (void)rt::print_line(StringView(buf, n));
}

bool term_write(StringView s) {
    S::TerminalSession::Client term(*g_tr, g_term);
    capos::rpc::CallBuffers b(g_params, g_results);
    return term.write(b, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size())).ok();
}

struct Answer {
    bool ok = false;
    S::LineStatus status = S::LineStatus::Line;
    char text[4097] = {};
    size_t len = 0;
};

// Writes `prompt`, reads a line; history entries oldest first.
Answer ask(StringView prompt, uint32_t max, bool hidden, std::span<const StringView> history = {}) {
    Answer a;
    if (!term_write(prompt)) return a;
    S::TerminalSession::Client term(*g_tr, g_term);
    capos::rpc::CallBuffers b(g_params, g_results);
    auto r = term.read_line(b, [&](S::TerminalSession::ReadLineParams::Builder p) -> Result<void> {
        p.set_max_bytes(max);
        p.set_hidden(hidden);
        auto list = TRY(p.init_history(static_cast<uint32_t>(history.size())));
        for (uint32_t i = 0; i < history.size(); ++i)
            TRY(list.set(i, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(history[i].data()),
                                                     history[i].size())));
        return {};
    });
    if (!r) return a;
    a.status = r.value().status();
    auto line = r.value().line();
    if (!line) return a;
    for (uint8_t c : line.value()) a.text[a.len++] = static_cast<char>(c);
    a.ok = true;
    return a;
}

// Asks and reports "term: NAME STATUS 'LINE'".
bool step(StringView name, StringView prompt, uint32_t max, std::span<const StringView> history = {}) {
    Answer a = ask(prompt, max, false, history);
    if (!a.ok) return false;
    report("term: {} {} '{}'", name, status_name(a.status), StringView(a.text, a.len));
    return true;
}

// A readLine with these params must raise `kind` (and leave nothing waiting).
bool refused(uint32_t max, uint32_t history_entries, size_t result_bytes, ExceptionKind kind) {
    S::TerminalSession::Client term(*g_tr, g_term);
    capos::rpc::CallBuffers b(g_params, std::span<uint8_t>(g_results, result_bytes));
    auto r = term.read_line(b, [&](S::TerminalSession::ReadLineParams::Builder p) -> Result<void> {
        p.set_max_bytes(max);
        auto list = TRY(p.init_history(history_entries));
        static const uint8_t kEntry[] = {'h'};
        for (uint32_t i = 0; i < history_entries; ++i) TRY(list.set(i, kEntry));
        return {};
    });
    return capos::rpc::raised(r, b, kind);
}

// Submits a readLine without waiting for it (its CQE comes later).
Result<uint64_t> submit_read_line(uint32_t max) {
    capos::capnp::MessageBuilder msg(g_async_params);
    auto root = TRY(S::TerminalSession::ReadLineParams::init_root(msg));
    root.set_max_bytes(max);
    auto bytes = msg.bytes();
    rt::RingClient* ring = TRY(rt::ring());
    abi::Sqe sqe{};
    sqe.opcode = static_cast<uint8_t>(abi::Opcode::Call);
    sqe.cap_id = g_term;
    sqe.user_data = ring->next_user_data();
    sqe.params_addr = reinterpret_cast<uint64_t>(bytes.data());
    sqe.params_len = static_cast<uint32_t>(bytes.size());
    sqe.method = S::TerminalSession::kMethodReadLine;
    sqe.result_addr = reinterpret_cast<uint64_t>(g_async_results);
    sqe.result_len = sizeof g_async_results;
    TRY(ring->submit(sqe));
    ring->enter(0, abi::kTimeoutPoll);
    return sqe.user_data;
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto tr = rt::transport();
    if (!tr) return 1;
    g_tr = tr.value();
    auto term_id = rt::capset().lookup("terminal", S::TerminalSession::kInterfaceId);
    auto info = rt::capset().client<S::SystemInfo>("systemInfo", *g_tr);
    if (!term_id || !info) return 1;
    g_term = term_id.value();

    // SystemInfo.
    {
        capos::rpc::CallBuffers b(g_params, g_results);
        auto motd = info.value().motd(b);
        if (!motd) return 2;
        auto text = motd.value().text();
        if (!text) return 2;
        report("term: motd '{}'", text.value());
        if (!term_write("motd: ") || !term_write(text.value()) || !term_write("\r\n")) return 2;
        auto v = info.value().version(b);
        if (!v || !v.value().version() || !v.value().commit()) return 2;
        report("term: version {} commit {}", v.value().version().value(), v.value().commit().value());
    }

    // Bad params: refused, nothing left waiting (the next step reads).
    {
        S::TerminalSession::Client term(*g_tr, g_term);
        bool ok = refused(0, 0, sizeof g_results, ExceptionKind::InvalidArgument) &&
                  refused(4097, 0, sizeof g_results, ExceptionKind::InvalidArgument) &&
                  refused(16, 65, sizeof g_results, ExceptionKind::InvalidArgument) &&
                  refused(4096, 0, 128, ExceptionKind::InvalidArgument);
        capos::rpc::CallBuffers b(g_params, g_results);
        ok = ok && capos::rpc::raised(term.read_raw(b, 8), b, ExceptionKind::Failed);
        static uint8_t big[4097];
        ok = ok && capos::rpc::raised(term.write(b, std::span<const uint8_t>(big, sizeof big)), b,
                                      ExceptionKind::InvalidArgument);
        if (!ok) return 3;
        report("term: bad params refused");
    }

    if (!step("t1", "t1> ", 64)) return 4;   // a plain line
    if (!step("t2", "t2> ", 64)) return 4;   // Backspace and DEL
    if (!step("t3", "t3> ", 64)) return 4;   // Ctrl-U
    if (!step("t4", "t4> ", 64)) return 4;   // Ctrl-C
    if (!step("t5", "t5> ", 64)) return 4;   // Ctrl-D on a non-empty line: ignored
    if (!step("t6", "t6> ", 64)) return 4;   // Ctrl-D at an empty line
    {
        // Hidden: checked here, never printed.
        Answer a = ask("password> ", 32, true);
        if (!a.ok) return 4;
        static constexpr char kSecret[] = "s3cr3t-pw";
        bool match = a.len == sizeof kSecret - 1;
        for (size_t i = 0; match && i < a.len; ++i) match = a.text[i] == kSecret[i];
        report("term: hidden {} {} bytes, {}", status_name(a.status), a.len, match ? "matches" : "DIFFERS");
    }
    if (!step("t8", "t8> ", 8)) return 4;    // longer than maxBytes
    if (!step("t9", "t9> ", 8)) return 4;    // the next line is fine
    {
        StringView history[] = {"first cmd", "second cmd"};
        if (!step("t10", "t10> ", 64, history)) return 4;
    }

    // A second reader while one waits is refused; the first completes.
    {
        auto id = submit_read_line(64);
        if (!id) return 5;
        rt::RingClient* ring = rt::ring().value();
        abi::Cqe early;
        if (ring->take(id.value(), &early)) return 5;  // it must wait for input
        S::TerminalSession::Client term(*g_tr, g_term);
        capos::rpc::CallBuffers b(g_params, g_results);
        auto second = term.read_line(b, [](S::TerminalSession::ReadLineParams::Builder p) -> Result<void> {
            p.set_max_bytes(8);
            return {};
        });
        if (!capos::rpc::raised(second, b, ExceptionKind::Failed)) return 5;
        auto e = b.exception();
        report("term: second reader refused: {}", e ? e.value().message : StringView("?"));
        if (!term_write("t11> ")) return 5;
        auto cqe = ring->take_wait(id.value());
        if (!cqe || cqe.value().result < 0) return 5;
        capos::capnp::MessageReader reader(std::span<const uint8_t>(g_async_results, cqe.value().result));
        auto root = reader.root();
        if (!root) return 5;
        S::TerminalSession::ReadLineResults::Reader res(root.value());
        auto line = res.line();
        if (!line) return 5;
        report("term: t11 {} '{}'", status_name(res.status()),
               StringView(reinterpret_cast<const char*>(line.value().data()), line.value().size()));
    }

    // Raw mode: bytes as typed, no echo; readLine refused meanwhile.
    {
        S::TerminalSession::Client term(*g_tr, g_term);
        capos::rpc::CallBuffers b(g_params, g_results);
        if (!term.set_raw(b, true)) return 6;
        auto line = term.read_line(b, [](S::TerminalSession::ReadLineParams::Builder p) -> Result<void> {
            p.set_max_bytes(8);
            return {};
        });
        if (!capos::rpc::raised(line, b, ExceptionKind::Failed)) return 6;
        if (!term_write("raw> ")) return 6;
        char got[16];
        size_t n = 0;
        while (n < 4) {
            auto r = term.read_raw(b, 4);
            if (!r || !r.value().data()) return 6;
            for (uint8_t c : r.value().data().value())
                if (n < sizeof got) got[n++] = static_cast<char>(c);
        }
        if (!term.set_raw(b, false)) return 6;
        char hex[64];
        size_t h = 0;
        for (size_t i = 0; i < n; ++i) h += capos::format_to(hex + h, sizeof hex - h, "{:02x}", uint8_t(got[i]));
        report("term: raw {} bytes {}", n, StringView(hex, h));
    }
    if (!step("t12", "t12> ", 64)) return 4;  // line mode again
    if (!term_write("bye\r\n")) return 4;
    report("term: done");
    return 0;
}

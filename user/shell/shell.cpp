// shell: the native capOS shell (issue #11, docs/shell.md). Reads command
// lines from its TerminalSession, parses them with lib/shell and starts
// programs through its ProcessSpawner with exactly the grants a command
// names.
//
// CapSet (by name; everything but "terminal" is optional):
//   terminal  TerminalSession  input and output (required)
//   spawner   ProcessSpawner   run, spawn (else a ProcessSpawner from the
//                              login bundle, e.g. "launcher"; with neither
//                              they are refused)
//   info      SystemInfo       the message of the day at start
//   broker    AuthorityBroker  setup, login, guest, logout and the bundles
//   audit     AuditLog         logout is recorded here
// Every other entry is listed by `caps` and can be granted to a program
// (`run "hello" with { console: @console }`).
//
// Exit code 0 after `exit` or Ctrl-D at an empty line; 1 without a
// terminal; 2 when the terminal stops answering.
#include <cstddef>
#include <cstdint>
#include <span>

#include "abi/ring.hpp"
#include "abi/syscall.hpp"
#include "lib/base/format.hpp"
#include "lib/capnp/capnp.hpp"
#include "lib/shell/command.hpp"
#include "schema/capos.capnp.hpp"
#include "schema/rpc.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/cap_handle.hpp"
#include "user/rt/ring_client.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/server.hpp"
#include "user/rt/transport.hpp"

namespace {

namespace rt = capos::rt;
namespace abi = capos::abi;
namespace S = capos::schema;
namespace sh = capos::shell;
namespace capnp = capos::capnp;
namespace rpc = capos::rpc;
using capos::Error;
using capos::Result;
using capos::StringView;

constexpr uint32_t kLineMax = 256;     // readLine maxBytes
constexpr size_t kHistoryMax = 16;
constexpr size_t kHeldMax = 64;
constexpr size_t kSecretMax = 128;

const sh::InterfaceName kInterfaces[] = {
    {S::Console::kInterfaceId, "Console"},
    {S::Timer::kInterfaceId, "Timer"},
    {S::VirtualMemory::kInterfaceId, "VirtualMemory"},
    {S::FrameAllocator::kInterfaceId, "FrameAllocator"},
    {S::MemoryObject::kInterfaceId, "MemoryObject"},
    {S::Endpoint::kInterfaceId, "Endpoint"},
    {S::ProcessSpawner::kInterfaceId, "ProcessSpawner"},
    {S::ProcessHandle::kInterfaceId, "ProcessHandle"},
    {S::BootPackage::kInterfaceId, "BootPackage"},
    {S::SessionContext::kInterfaceId, "SessionContext"},
    {S::SessionBroker::kInterfaceId, "SessionBroker"},
    {S::TerminalSession::kInterfaceId, "TerminalSession"},
    {S::EntropySource::kInterfaceId, "EntropySource"},
    {S::SystemInfo::kInterfaceId, "SystemInfo"},
    {S::StdIO::kInterfaceId, "StdIO"},
    {S::AuthorityBroker::kInterfaceId, "AuthorityBroker"},
    {S::AuditLog::kInterfaceId, "AuditLog"},
};
constexpr size_t kInterfaceCount = sizeof(kInterfaces) / sizeof(kInterfaces[0]);

// One capability the shell holds: a CapSet entry, or (bundle = true) one
// the AuthorityBroker issued at login, released when the bundle changes.
struct Held {
    char name[sh::kNameMax + 1];
    uint8_t len;
    uint64_t iid;
    abi::CapId id;
    bool bundle;
};

// Params: the largest is readLine's with a full history.
alignas(8) capnp::Word g_params[1024];
alignas(8) uint8_t g_results[4096];

rt::RingTransport* g_tr = nullptr;
abi::CapId g_terminal = abi::kCapIdNone;
abi::CapId g_spawner = abi::kCapIdNone;
abi::CapId g_info = abi::kCapIdNone;
abi::CapId g_broker = abi::kCapIdNone;
abi::CapId g_audit = abi::kCapIdNone;

Held g_held[kHeldMax];
size_t g_held_count = 0;

char g_profile[33] = "anonymous";
char g_user[sh::kNameMax + 1] = "";

char g_history[kHistoryMax][kLineMax];
// Every history entry (a list pointer and the bytes, word-padded) plus the
// root struct and segment table fit the params buffer.
static_assert(kHistoryMax * (8 + kLineMax + 8) + 64 <= sizeof g_params);
uint16_t g_history_len[kHistoryMax];
size_t g_history_count = 0;

sh::JobTable<abi::CapId, 16> g_jobs;

StringView name_of(const Held& h) { return StringView(h.name, h.len); }

const char* iface_name(uint64_t iid) {
    const char* n = sh::interface_name(iid, kInterfaces, kInterfaceCount);
    return n ? n : "?";
}

// ---------------------------------------------------------------------------
// Output through the terminal (or nowhere without one).

bool write_bytes(const void* data, size_t len) {
    if (g_terminal == abi::kCapIdNone) return false;
    S::TerminalSession::Client term(*g_tr, g_terminal);
    const uint8_t* p = static_cast<const uint8_t*>(data);
    while (len > 0) {
        size_t n = len < 1024 ? len : 1024;
        rpc::CallBuffers b(g_params, g_results);
        if (!term.write(b, std::span<const uint8_t>(p, n))) return false;
        p += n;
        len -= n;
    }
    return true;
}

void out(StringView s) { (void)write_bytes(s.data(), s.size()); }
void outln(StringView s) {
    out(s);
    out("\r\n");
}

template <typename... Args>
void say(StringView fmt, const Args&... args) {
    char buf[320];
    size_t n = capos::format_to(buf, sizeof buf, fmt, args...);
    (void)write_bytes(buf, n);
    out("\r\n");
}

// Text that came from elsewhere (MOTD, a broker's message): printable
// bytes only, '\n' as "\r\n".
void out_text(StringView text) {
    char line[200];
    size_t n = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        bool end = i == text.size();
        char c = end ? '\n' : text[i];
        if (c == '\n' || n == sizeof line) {
            if (!end || n > 0) {
                (void)write_bytes(line, n);
                out("\r\n");
            }
            n = 0;
            if (c == '\n') continue;
        }
        line[n++] = (c >= 0x20 && c <= 0x7e) ? c : '?';
    }
}

// ---------------------------------------------------------------------------
// Input.

struct Line {
    S::LineStatus status = S::LineStatus::EndOfInput;
    char text[kLineMax + 1] = {};
    size_t len = 0;
    bool ok = false;  // the call itself worked
};

Line term_read_line(bool hidden, bool with_history, uint32_t max = kLineMax) {
    Line l;
    S::TerminalSession::Client term(*g_tr, g_terminal);
    rpc::CallBuffers b(g_params, g_results);
    auto r = term.read_line(b, [&](S::TerminalSession::ReadLineParams::Builder p) -> Result<void> {
        p.set_max_bytes(max);
        p.set_hidden(hidden);
        size_t n = with_history ? g_history_count : 0;
        auto list = TRY(p.init_history(static_cast<uint32_t>(n)));
        for (size_t i = 0; i < n; ++i)
            TRY(list.set(static_cast<uint32_t>(i),
                         std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(g_history[i]),
                                                  g_history_len[i])));
        return {};
    });
    if (!r) return l;
    l.ok = true;
    l.status = r.value().status();
    if (l.status == S::LineStatus::Line) {
        auto data = r.value().line();
        if (!data) {
            l.ok = false;
            return l;
        }
        size_t n = data.value().size() < kLineMax ? data.value().size() : kLineMax;
        for (size_t i = 0; i < n; ++i) l.text[i] = static_cast<char>(data.value()[i]);
        l.len = n;
    }
    // The reply held the line: wipe it (it may be a password).
    for (uint8_t& byte : g_results) byte = 0;
    return l;
}

void wipe(Line& l) {
    volatile char* p = l.text;
    for (size_t i = 0; i < sizeof l.text; ++i) p[i] = 0;
    l.len = 0;
}

void remember(const Line& l) {
    if (l.len == 0) return;
    if (g_history_count > 0) {
        size_t last = g_history_count - 1;
        if (g_history_len[last] == l.len && __builtin_memcmp(g_history[last], l.text, l.len) == 0) return;
    }
    if (g_history_count == kHistoryMax) {
        for (size_t i = 1; i < kHistoryMax; ++i) {
            __builtin_memcpy(g_history[i - 1], g_history[i], kLineMax);
            g_history_len[i - 1] = g_history_len[i];
        }
        --g_history_count;
    }
    __builtin_memcpy(g_history[g_history_count], l.text, l.len);
    g_history_len[g_history_count++] = static_cast<uint16_t>(l.len);
}

// ---------------------------------------------------------------------------
// Raw ring calls (spawn passes capabilities, which the generated clients
// do not carry).

rpc::ExceptionKind exception_kind(const abi::Cqe& c) {
    if (c.result != abi::to_result(abi::TransportError::ApplicationException) || c.aux > sizeof g_results)
        return rpc::ExceptionKind::Failed;
    capnp::MessageReader msg(std::span<const uint8_t>(g_results, c.aux));
    auto e = rpc::read_exception(msg);
    return e ? e.value().kind : rpc::ExceptionKind::Failed;
}

abi::Cqe call_raw(abi::CapId cap, uint16_t method, std::span<const uint8_t> params,
                  std::span<const abi::TransferDescriptor> xfers) {
    abi::Cqe none{};
    none.result = abi::to_result(abi::TransportError::Interrupted);
    auto ring = rt::ring();
    if (!ring) return none;
    abi::Sqe s{};
    s.opcode = static_cast<uint8_t>(abi::Opcode::Call);
    s.cap_id = cap;
    s.method = method;
    s.params_addr = reinterpret_cast<uintptr_t>(params.data());
    s.params_len = static_cast<uint32_t>(params.size());
    s.result_addr = reinterpret_cast<uintptr_t>(g_results);
    s.result_len = sizeof g_results;
    if (!xfers.empty()) {
        s.xfer_addr = reinterpret_cast<uintptr_t>(xfers.data());
        s.xfer_count = static_cast<uint16_t>(xfers.size());
    }
    s.user_data = ring.value()->next_user_data();
    auto c = ring.value()->submit_and_wait(s);
    return c ? c.value() : none;
}

void release(abi::CapId id) { (void)rt::RingReleaser::release(id); }

// A client facet of raw endpoint `raw` for protocol `iid`, or kCapIdNone.
abi::CapId mint_client(abi::CapId raw, uint64_t iid) {
    S::Endpoint::Client ep(*g_tr, raw);
    rpc::CallBuffers b(g_params, g_results);
    auto r = ep.mint_client(b, [&](S::Endpoint::MintClientParams::Builder p) { p.set_interface_id(iid); });
    if (!r) return abi::kCapIdNone;
    auto t = g_tr->transfers();
    if (t.size() != 1 || t[0].interface_id != iid) {
        for (const auto& x : t) release(x.cap_id);
        return abi::kCapIdNone;
    }
    return t[0].cap_id;
}

// ---------------------------------------------------------------------------
// What the shell holds.

void hold(StringView name, uint64_t iid, abi::CapId id, bool bundle) {
    if (g_held_count == kHeldMax || name.empty() || name.size() > sh::kNameMax) {
        if (bundle) release(id);
        return;
    }
    Held& h = g_held[g_held_count++];
    h.len = static_cast<uint8_t>(name.size());
    for (size_t i = 0; i < name.size(); ++i) h.name[i] = name[i];
    h.name[h.len] = '\0';
    h.iid = iid;
    h.id = id;
    h.bundle = bundle;
}

void drop_bundle() {
    size_t k = 0;
    for (size_t i = 0; i < g_held_count; ++i) {
        if (g_held[i].bundle)
            release(g_held[i].id);
        else
            g_held[k++] = g_held[i];
    }
    g_held_count = k;
}

// The protocol a raw Endpoint the shell holds is served with: only the
// shell's own "stdio" endpoint has a known one (StdIO).
uint64_t protocol_of(const Held& h) {
    if (h.iid == S::Endpoint::kInterfaceId && name_of(h) == StringView("stdio")) return S::StdIO::kInterfaceId;
    return 0;
}

void copy_text(StringView from, char* to, size_t cap) {
    size_t n = from.size() < cap - 1 ? from.size() : cap - 1;
    for (size_t i = 0; i < n; ++i) to[i] = (from[i] >= 0x20 && from[i] <= 0x7e) ? from[i] : '?';
    to[n] = '\0';
}

// ---------------------------------------------------------------------------
// Commands.

void cmd_help() {
    outln("commands:");
    outln("  help                        this list");
    outln("  caps                        the capabilities the shell holds (name, interface)");
    outln("  run \"bin\" [with { ... }]    start a program and wait for it");
    outln("  spawn \"bin\" [with { ... }]  start a program in the background; prints its job");
    outln("  wait <job>                  wait for a spawned job and print its exit code");
    outln("  jobs                        the spawned jobs not yet waited for");
    outln("  setup                       create the operator credential, then log in");
    outln("  login                       log in as the operator (username>, password>)");
    outln("  guest                       switch to the guest bundle");
    outln("  logout                      back to the anonymous bundle");
    outln("  exit                        leave the shell (also Ctrl-D at an empty line)");
    outln("grants: { name: @cap, name: client @endpoint }, e.g.");
    outln("  run \"hello\" with { console: @console }");
}

void cmd_caps() {
    say("{} capabilities ({} session):", g_held_count, StringView(g_profile));
    for (size_t i = 0; i < g_held_count; ++i) {
        const Held& h = g_held[i];
        say("  {:<16} {}{}", name_of(h), iface_name(h.iid), h.bundle ? " (bundle)" : "");
    }
}

// Starts cmd.binary with cmd's grants. The ProcessHandle, or kCapIdNone
// after printing the one-line error.
abi::CapId start(const sh::Command& cmd) {
    sh::HeldCap view[kHeldMax];
    for (size_t i = 0; i < g_held_count; ++i)
        view[i] = sh::HeldCap{name_of(g_held[i]), g_held[i].iid, protocol_of(g_held[i])};
    sh::ResolvedGrant grants[sh::kMaxGrants];
    sh::ResolveResult rr = sh::resolve(cmd, view, g_held_count, S::Endpoint::kInterfaceId, grants);
    char msg[sh::kMessageMax + 1];
    if (rr.error != sh::ResolveError::None) {
        size_t n = sh::resolve_error_message(rr, cmd, view, g_held_count, kInterfaces, kInterfaceCount, msg,
                                             sizeof msg);
        (void)write_bytes(msg, n);
        out("\r\n");
        return abi::kCapIdNone;
    }
    // The CapSet's "spawner", else the first ProcessSpawner held (a
    // bundle's "launcher").
    abi::CapId spawner = g_spawner;
    for (size_t i = 0; i < g_held_count && spawner == abi::kCapIdNone; ++i)
        if (g_held[i].iid == S::ProcessSpawner::kInterfaceId) spawner = g_held[i].id;
    if (spawner == abi::kCapIdNone) {
        outln("error: this session holds no ProcessSpawner: it cannot start programs");
        return abi::kCapIdNone;
    }
    // Client facets minted for `client @x` grants, released after the call.
    abi::CapId minted[sh::kMaxGrants];
    abi::TransferDescriptor xfers[abi::kMaxTransfers]{};
    uint32_t nminted = 0;
    auto release_minted = [&] {
        for (uint32_t i = 0; i < nminted; ++i) release(minted[i]);
    };
    for (uint32_t i = 0; i < cmd.grant_count; ++i) {
        abi::CapId id = g_held[grants[i].held].id;
        if (grants[i].mint_client) {
            id = mint_client(id, grants[i].interface_id);
            if (id == abi::kCapIdNone) {
                release_minted();
                say("error: cannot make a client facet of @{}", cmd.grants[i].source);
                return abi::kCapIdNone;
            }
            minted[nminted++] = id;
        }
        xfers[i].cap_id = id;
        xfers[i].mode = static_cast<uint8_t>(abi::TransferMode::Copy);
    }
    // The login bundle's session (a SessionContext the broker created):
    // programs run in it. Without one they run in the shell's own session.
    abi::CapId session = abi::kCapIdNone;
    for (size_t i = 0; i < g_held_count; ++i)
        if (g_held[i].bundle && g_held[i].iid == S::SessionContext::kInterfaceId) session = g_held[i].id;
    uint32_t nxfers = cmd.grant_count;
    if (session != abi::kCapIdNone) {
        if (nxfers == abi::kMaxTransfers) {
            release_minted();
            say("error: at most {} grants in a logged-in session", abi::kMaxTransfers - 1);
            return abi::kCapIdNone;
        }
        xfers[nxfers].cap_id = session;
        xfers[nxfers].mode = static_cast<uint8_t>(abi::TransferMode::Copy);
        ++nxfers;
    }
    capnp::MessageBuilder m(g_params);
    bool built = [&] {
        auto root = m.init_root(S::ProcessSpawner::SpawnParams::kDataWords,
                                S::ProcessSpawner::SpawnParams::kPointerCount);
        if (!root) return false;
        S::ProcessSpawner::SpawnParams::Builder sp(root.value());
        if (!sp.set_name(cmd.binary) || !sp.set_binary_name(cmd.binary)) return false;
        auto list = sp.init_grants(cmd.grant_count);
        if (!list) return false;
        for (uint32_t i = 0; i < cmd.grant_count; ++i) {
            auto g = list.value()[i];
            if (!g.set_name(grants[i].name)) return false;
            g.set_interface_id(grants[i].interface_id);
            if (!g.source().set_capability(i)) return false;
        }
        if (session != abi::kCapIdNone && !sp.set_session(cmd.grant_count)) return false;
        return true;
    }();
    if (!built) {
        release_minted();
        outln("error: the command does not fit the shell's call buffer");
        return abi::kCapIdNone;
    }
    abi::Cqe c = call_raw(spawner, S::ProcessSpawner::kMethodSpawn, m.bytes(),
                          std::span<const abi::TransferDescriptor>(xfers, nxfers));
    release_minted();
    if (c.result < 0) {
        if (c.result == abi::to_result(abi::TransportError::ApplicationException)) {
            rpc::ExceptionKind k = exception_kind(c);
            if (k == rpc::ExceptionKind::InvalidArgument) {
                size_t n = sh::unknown_binary_message(cmd.binary, msg, sizeof msg);
                (void)write_bytes(msg, n);
                out("\r\n");
            } else if (k == rpc::ExceptionKind::Overloaded) {
                say("error: cannot start \"{}\": out of resources", cmd.binary);
            } else {
                say("error: cannot start \"{}\" (exception {})", cmd.binary, static_cast<unsigned>(k));
            }
        } else {
            say("error: cannot start \"{}\" ({})", cmd.binary, rt::transport_error_name(c.result));
        }
        return abi::kCapIdNone;
    }
    abi::TransferResult t[abi::kMaxTransfers];
    uint32_t nt = c.xfer_count < abi::kMaxTransfers ? c.xfer_count : abi::kMaxTransfers;
    __builtin_memcpy(t, g_results, sizeof(abi::TransferResult) * nt);
    abi::CapId handle = abi::kCapIdNone;
    for (uint32_t i = 0; i < nt; ++i) {
        if (i == 0 && t[i].interface_id == S::ProcessHandle::kInterfaceId)
            handle = t[i].cap_id;
        else
            release(t[i].cap_id);
    }
    if (handle == abi::kCapIdNone) say("error: \"{}\" started but the shell got no handle", cmd.binary);
    return handle;
}

// StdIO served to programs over the shell's own "stdio" endpoint (a raw
// Endpoint in its CapSet), while the shell waits for a program: write goes
// to the terminal as it is, readLine reads one edited line from it.
class StdioServer final : public S::StdIO::Server {
protected:
    Result<void> write(S::StdIO::WriteParams::Reader p, S::StdIO::WriteResults::Builder) override {
        auto data = TRY(p.data());
        if (!write_bytes(data.data(), data.size())) return Error::Unsupported;
        return {};
    }
    Result<void> read_line(S::StdIO::ReadLineParams::Reader p, S::StdIO::ReadLineResults::Builder r) override {
        uint32_t max = p.max_bytes();
        if (max == 0 || max > 4096) return Error::InvalidArgument;
        if (max > kLineMax) max = kLineMax;
        Line l = term_read_line(false, false, max);
        if (!l.ok) return Error::Unsupported;
        TRY(r.set_line(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(l.text), l.len)));
        r.set_status(l.status);
        return {};
    }
};

abi::CapId g_stdio = abi::kCapIdNone;  // the raw endpoint, if held
StdioServer g_stdio_server;
// Any CALL fits (RecvHeader, every transfer record, kMaxParamsBytes of
// params), so a RECV never completes BufferTooSmall and leaves a call
// queued that the next RECV would refuse again.
uint8_t g_recv_buf[sizeof(abi::RecvHeader) + abi::kMaxTransfers * sizeof(abi::TransferResult) +
                   abi::kMaxParamsBytes];
bool g_stdio_stopped = false;  // a RECV failed: StdIO is no longer served
alignas(8) capnp::Word g_scratch[1024];
uint64_t g_recv_ud = 0;  // the RECV posted on g_stdio, 0 if none
alignas(8) uint8_t g_wait_results[256];

// Serves one completed RECV and posts the next.
void serve_stdio(rt::RingClient& ring, const abi::Cqe& got) {
    g_recv_ud = 0;
    if (got.result < 0) {
        g_stdio_stopped = true;
        say("error: StdIO stopped: receive failed ({})", rt::transport_error_name(got.result));
        return;
    }
    auto call = rt::parse_recv(g_recv_buf, got.result);
    if (!call) return;
    // StdIO carries no capabilities: drop any a program sent along.
    for (const abi::TransferResult& t : call.value().transfer_results()) release(t.cap_id);
    auto answer = rt::dispatch_call(g_stdio_server, call.value(), g_scratch);
    if (answer) (void)ring.submit_and_wait(rt::return_sqe(g_stdio, answer.value(), ring.next_user_data()));
}

void post_recv(rt::RingClient& ring) {
    if (g_stdio == abi::kCapIdNone || g_recv_ud != 0 || g_stdio_stopped) return;
    uint64_t ud = ring.next_user_data();
    if (ring.submit(rt::recv_sqe(g_stdio, g_recv_buf, ud))) g_recv_ud = ud;
}

// wait() on a handle, serving StdIO meanwhile: the exit code, or INT64_MIN
// if the call failed.
int64_t wait_exit(abi::CapId handle) {
    auto r = rt::ring();
    if (!r) return INT64_MIN;
    rt::RingClient& ring = *r.value();
    abi::Sqe s{};
    s.opcode = static_cast<uint8_t>(abi::Opcode::Call);
    s.cap_id = handle;
    s.method = S::ProcessHandle::kMethodWait;
    s.result_addr = reinterpret_cast<uintptr_t>(g_wait_results);
    s.result_len = sizeof g_wait_results;
    s.user_data = ring.next_user_data();
    if (!ring.submit(s)) return INT64_MIN;
    post_recv(ring);
    abi::Cqe c{};
    for (;;) {
        if (ring.take(s.user_data, &c)) break;
        abi::Cqe got{};
        if (g_recv_ud != 0 && ring.take(g_recv_ud, &got)) {
            serve_stdio(ring, got);
            post_recv(ring);
            continue;
        }
        (void)ring.enter(1, abi::kTimeoutForever);
    }
    if (c.result < 0) return INT64_MIN;
    capnp::MessageReader in(std::span<const uint8_t>(g_wait_results, static_cast<size_t>(c.result)));
    auto root = in.root();
    if (!root) return INT64_MIN;
    return S::ProcessHandle::WaitResults::Reader(root.value()).exit_code();
}

void report_exit(StringView binary, int64_t code) {
    if (code == 0) return;
    char msg[sh::kMessageMax + 1];
    size_t n = code == INT64_MIN ? capos::format_to(msg, sizeof msg, "error: lost \"{}\": wait failed", binary)
                                 : sh::failed_program_message(binary, code, msg, sizeof msg);
    (void)write_bytes(msg, n);
    out("\r\n");
}

void cmd_run(const sh::Command& cmd) {
    abi::CapId h = start(cmd);
    if (h == abi::kCapIdNone) return;
    int64_t code = wait_exit(h);
    release(h);
    report_exit(cmd.binary, code);
}

void cmd_spawn(const sh::Command& cmd) {
    abi::CapId h = start(cmd);
    if (h == abi::kCapIdNone) return;
    uint32_t job = g_jobs.add(cmd.binary, h);
    if (job == 0) {
        release(h);
        outln("error: too many jobs: the program runs, but cannot be waited for");
        return;
    }
    say("[{}] {}", job, cmd.binary);
}

void cmd_wait(uint32_t job) {
    auto* j = g_jobs.find(job);
    if (j == nullptr) {
        char msg[sh::kMessageMax + 1];
        size_t n = sh::unknown_job_message(job, msg, sizeof msg);
        (void)write_bytes(msg, n);
        out("\r\n");
        return;
    }
    char binary[sh::kBinaryMax + 1];
    __builtin_memcpy(binary, j->binary, sizeof binary);
    abi::CapId h = j->payload;
    g_jobs.remove(job);
    int64_t code = wait_exit(h);
    release(h);
    if (code == 0) say("[{}] {} exited with code 0", job, StringView(binary));
    else report_exit(StringView(binary), code);
}

void cmd_jobs() {
    if (g_jobs.size() == 0) {
        outln("no jobs");
        return;
    }
    g_jobs.each([](const auto& j) { say("[{}] {}", j.id, StringView(j.binary)); });
}

// Installs a broker reply (profile, bundle) after the call `r` succeeded.
template <typename Reader>
void take_bundle(const Reader& r) {
    auto t = g_tr->transfers();
    abi::TransferResult copy[abi::kMaxTransfers];
    size_t nt = t.size() < abi::kMaxTransfers ? t.size() : abi::kMaxTransfers;
    for (size_t i = 0; i < nt; ++i) copy[i] = t[i];
    bool used[abi::kMaxTransfers] = {};
    drop_bundle();
    auto profile = r.profile();
    copy_text(profile ? profile.value() : StringView("?"), g_profile, sizeof g_profile);
    auto bundle = r.bundle();
    if (bundle) {
        for (uint32_t i = 0; i < bundle.value().size(); ++i) {
            auto e = bundle.value()[i];
            auto name = e.name();
            auto idx = e.cap();
            if (!name || !idx || idx.value() >= nt || used[idx.value()]) continue;
            used[idx.value()] = true;
            hold(name.value(), copy[idx.value()].interface_id, copy[idx.value()].cap_id, true);
        }
    }
    for (size_t i = 0; i < nt; ++i)
        if (!used[i]) release(copy[i].cap_id);
}

// The broker's own message when it raised one with a message (a wrong
// password gets its one generic text), else `what` and the transport error.
void broker_error(StringView what, rpc::CallBuffers& b) {
    auto e = b.exception();
    if (e && !e.value().message.empty()) {
        char text[120];
        copy_text(e.value().message, text, sizeof text);
        say("error: {}", StringView(text));
        return;
    }
    say("error: {} ({})", what, rt::transport_error_name(g_tr->last_cqe().result));
}

bool need_broker() {
    if (g_broker != abi::kCapIdNone) return true;
    outln("error: this shell holds no AuthorityBroker: setup, login, guest and logout are unavailable");
    return false;
}

bool do_login(StringView user, StringView password) {
    S::AuthorityBroker::Client br(*g_tr, g_broker);
    rpc::CallBuffers b(g_params, g_results);
    auto r = br.login(b, [&](S::AuthorityBroker::LoginParams::Builder p) -> Result<void> {
        TRY(p.set_user(user));
        TRY(p.set_password(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(password.data()),
                                                    password.size())));
        return {};
    });
    for (capnp::Word& w : g_params) w = capnp::Word{};
    if (!r) {
        broker_error("login failed", b);
        return false;
    }
    take_bundle(r.value());
    copy_text(user, g_user, sizeof g_user);
    say("logged in as {} ({} session)", StringView(g_user), StringView(g_profile));
    return true;
}

// Reads a prompt's answer; false (after a message) unless a line came.
bool ask(StringView prompt, bool hidden, Line& l, uint32_t max) {
    out(prompt);
    l = term_read_line(hidden, false, max);
    if (!l.ok) return false;
    if (l.status != S::LineStatus::Line || l.len == 0) {
        outln(l.status == S::LineStatus::TooLong ? "error: too long; cancelled" : "cancelled");
        wipe(l);
        return false;
    }
    return true;
}

void cmd_login() {
    if (!need_broker()) return;
    Line user, pw;
    if (!ask("username> ", false, user, sh::kNameMax)) return;
    if (!ask("password> ", true, pw, kSecretMax)) return;
    (void)do_login(StringView(user.text, user.len), StringView(pw.text, pw.len));
    wipe(pw);
}

void cmd_setup() {
    if (!need_broker()) return;
    Line user, pw, again;
    if (!ask("username> ", false, user, sh::kNameMax)) return;
    if (!ask("password> ", true, pw, kSecretMax)) return;
    if (!ask("password again> ", true, again, kSecretMax)) {
        wipe(pw);
        return;
    }
    bool same = pw.len == again.len && __builtin_memcmp(pw.text, again.text, pw.len) == 0;
    wipe(again);
    if (!same) {
        wipe(pw);
        outln("error: the passwords differ; nothing was set up");
        return;
    }
    StringView u(user.text, user.len), p(pw.text, pw.len);
    S::AuthorityBroker::Client br(*g_tr, g_broker);
    rpc::CallBuffers b(g_params, g_results);
    auto r = br.setup(b, [&](S::AuthorityBroker::SetupParams::Builder sp) -> Result<void> {
        TRY(sp.set_user(u));
        TRY(sp.set_password(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(p.data()), p.size())));
        return {};
    });
    for (capnp::Word& w : g_params) w = capnp::Word{};
    if (!r) {
        broker_error("setup failed", b);
        wipe(pw);
        return;
    }
    say("operator {} created", u);
    (void)do_login(u, p);
    wipe(pw);
}

void cmd_guest() {
    if (!need_broker()) return;
    S::AuthorityBroker::Client br(*g_tr, g_broker);
    rpc::CallBuffers b(g_params, g_results);
    auto r = br.guest(b, [](S::AuthorityBroker::GuestParams::Builder) {});
    if (!r) {
        broker_error("guest failed", b);
        return;
    }
    take_bundle(r.value());
    g_user[0] = '\0';
    say("guest session: {} capabilities from the broker", [] {
        size_t n = 0;
        for (size_t i = 0; i < g_held_count; ++i) n += g_held[i].bundle;
        return n;
    }());
}

bool anonymous_bundle() {
    S::AuthorityBroker::Client br(*g_tr, g_broker);
    rpc::CallBuffers b(g_params, g_results);
    auto r = br.anonymous(b, [](S::AuthorityBroker::AnonymousParams::Builder) {});
    if (!r) {
        broker_error("anonymous bundle", b);
        return false;
    }
    take_bundle(r.value());
    return true;
}

void cmd_logout() {
    if (!need_broker()) return;
    char was[sh::kNameMax + 1];
    __builtin_memcpy(was, g_user, sizeof was);
    if (!anonymous_bundle()) {
        drop_bundle();
        copy_text("anonymous", g_profile, sizeof g_profile);
    }
    g_user[0] = '\0';
    if (g_audit != abi::kCapIdNone) {
        S::AuditLog::Client log(*g_tr, g_audit);
        rpc::CallBuffers b(g_params, g_results);
        (void)log.record(b, [&](S::AuditLog::RecordParams::Builder p) -> Result<void> {
            TRY(p.set_event("logout"));
            TRY(p.set_user(was[0] ? StringView(was) : StringView("?")));
            p.set_ok(true);
            return {};
        });
    }
    say("logged out ({} session)", StringView(g_profile));
}

void motd() {
    if (g_info != abi::kCapIdNone) {
        S::SystemInfo::Client info(*g_tr, g_info);
        rpc::CallBuffers b(g_params, g_results);
        auto r = info.motd(b, [](S::SystemInfo::MotdParams::Builder) {});
        if (r) {
            auto text = r.value().text();
            if (text && !text.value().empty()) out_text(text.value());
        }
    }
    outln("Type `help` for the commands, `caps` for what this shell holds.");
}

abi::CapId lookup(StringView name, uint64_t iid) {
    auto r = rt::capset().lookup(name, iid);
    return r ? r.value() : abi::kCapIdNone;
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto tr = rt::transport();
    if (!tr) return 1;
    g_tr = tr.value();
    g_terminal = lookup("terminal", S::TerminalSession::kInterfaceId);
    if (g_terminal == abi::kCapIdNone) return 1;
    g_spawner = lookup("spawner", S::ProcessSpawner::kInterfaceId);
    g_info = lookup("info", S::SystemInfo::kInterfaceId);
    g_broker = lookup("broker", S::AuthorityBroker::kInterfaceId);
    g_audit = lookup("audit", S::AuditLog::kInterfaceId);
    g_stdio = lookup("stdio", S::Endpoint::kInterfaceId);
    const rt::CapSet& caps = rt::capset();
    for (uint32_t i = 0; i < caps.count(); ++i) {
        const abi::CapSetEntry& e = caps.entry(i);
        hold(StringView(e.name, e.name_len), e.interface_id, e.cap_id, false);
    }
    motd();
    if (g_broker != abi::kCapIdNone) (void)anonymous_bundle();

    for (;;) {
        char prompt[64];
        size_t pn = capos::format_to(prompt, sizeof prompt, "{}@capos> ", StringView(g_profile));
        (void)write_bytes(prompt, pn);
        Line l = term_read_line(false, true);
        if (!l.ok) return 2;
        if (l.status == S::LineStatus::EndOfInput) {
            outln("exit");
            return 0;
        }
        if (l.status == S::LineStatus::Cancelled) continue;
        if (l.status == S::LineStatus::TooLong) {
            say("error: line longer than {} bytes; discarded", kLineMax);
            continue;
        }
        StringView text(l.text, l.len);
        sh::Command cmd;
        sh::SyntaxError err;
        if (!sh::parse(text, cmd, err)) {
            remember(l);
            char msg[sh::kMessageMax + 1];
            size_t n = sh::syntax_error_message(err, text, msg, sizeof msg);
            (void)write_bytes(msg, n);
            out("\r\n");
            continue;
        }
        if (cmd.kind != sh::CommandKind::Empty) remember(l);
        switch (cmd.kind) {
        case sh::CommandKind::Empty: break;
        case sh::CommandKind::Help: cmd_help(); break;
        case sh::CommandKind::Caps: cmd_caps(); break;
        case sh::CommandKind::Run: cmd_run(cmd); break;
        case sh::CommandKind::Spawn: cmd_spawn(cmd); break;
        case sh::CommandKind::Wait: cmd_wait(cmd.job); break;
        case sh::CommandKind::Jobs: cmd_jobs(); break;
        case sh::CommandKind::Exit: outln("exit"); return 0;
        case sh::CommandKind::Setup: cmd_setup(); break;
        case sh::CommandKind::Login: cmd_login(); break;
        case sh::CommandKind::Logout: cmd_logout(); break;
        case sh::CommandKind::Guest: cmd_guest(); break;
        }
    }
}

// session_check: immutable per-process sessions (qemu.session_context,
// make run-session-context). One binary, two roles chosen by the CapSet
// (system/scenarios/session_context.capnp; init spawns the parent):
//
// Parent ("broker": SessionBroker, "spawner", "session": its own session,
// "console"). Prints one line per check and exits 0, or the number of the
// first failed check:
//   1 setup: its own session is the boot session init runs in ("system")
//   2 a child spawned without `session` inherits the parent's (the child
//     exits with its session id)
//   3 SessionBroker.create("operator"): a new session with its own id,
//     the profile asked for, created no earlier than the boot session
//   4 a child spawned with that session runs in it, and so does the
//     grandchild it spawns without naming one (inheritance from a
//     broker-chosen session)
//   5 spawn refuses as `session`: the parent's own view (from the `session`
//     grant, not broker-issued), a Console, and a capability index past the
//     descriptors; and it does not mint a SessionBroker grant (a parent
//     passes a copy of its own); nothing starts
//   6 attach of a second session is refused: `failed` for a live child
//     (it is blocked serving its "gate" until the parent calls it), which
//     then still reports its first session; `disconnected` once it exited
//   7 create refuses bad profiles (empty, too long, a space, a control byte)
//
// Child (no "broker"): reads its session through "session", serves one
// call on "gate" if it has one, spawns and waits for a grandchild if it has
// "spawner" (which must report the same session), prints its session and
// exits with the session id (-2 when the grandchild disagreed).
#include <cstdint>

#include "user/tests/spawn_common.hpp"

namespace {
using namespace ipctest;
using namespace spawntest;
using capos::rpc::ExceptionKind;
namespace S = capos::schema;

constexpr const char* P = "session_check";
alignas(8) uint8_t g_res[512];

struct Info {
    bool ok = false;
    uint64_t id = 0;
    uint64_t created = 0;
    char profile[40] = {};
    size_t profile_len = 0;
    StringView profile_view() const { return StringView(profile, profile_len); }
};

Info session_info(abi::CapId session) {
    Info out;
    alignas(8) uint8_t res[256];
    abi::Cqe c = run(call_sqe(session, S::SessionContext::kMethodInfo, empty_struct_message(), res));
    if (c.result < 0) return out;
    capnp::MessageReader in(std::span<const uint8_t>(res, static_cast<size_t>(c.result)));
    auto root = in.root();
    if (!root) return out;
    S::SessionContext::InfoResults::Reader r(root.value());
    auto p = r.profile();
    if (!p || p.value().size() >= sizeof(out.profile)) return out;
    out.profile_len = p.value().size();
    for (size_t i = 0; i < out.profile_len; ++i) out.profile[i] = p.value()[i];
    out.id = r.id();
    out.created = r.created_at();
    out.ok = true;
    return out;
}

// spawn("session_check") with this program's result buffer.
Spawned spawn(StringView name, std::span<const Grant> grants, uint32_t session_index = kNoSession,
              std::span<const abi::TransferDescriptor> xfers = {}) {
    return spawntest::spawn(name, "session_check", grants, g_res, xfers, 0, session_index);
}

constexpr uint64_t kConsole = S::Console::kInterfaceId;
constexpr uint64_t kSession = S::SessionContext::kInterfaceId;

const Grant kChild[] = {{"console", kConsole, Grant::Kernel, S::KernelCap::Console},
                        {"session", kSession, Grant::Kernel, S::KernelCap::Session}};
const Grant kGated[] = {{"console", kConsole, Grant::Kernel, S::KernelCap::Console},
                        {"session", kSession, Grant::Kernel, S::KernelCap::Session},
                        {"gate", kConsole, Grant::Endpoint}};
const Grant kSpawning[] = {{"console", kConsole, Grant::Kernel, S::KernelCap::Console},
                           {"session", kSession, Grant::Kernel, S::KernelCap::Session},
                           {"spawner", S::ProcessSpawner::kInterfaceId, Grant::Kernel,
                            S::KernelCap::ProcessSpawner}};

// SessionBroker.create(profile): the CQE; *session gets the new capability.
abi::Cqe create(abi::CapId broker, StringView profile, abi::CapId* session) {
    capnp::Word words[16];
    capnp::MessageBuilder msg(words);
    *session = abi::kCapIdNone;
    auto root = msg.init_root(S::SessionBroker::CreateParams::kDataWords,
                              S::SessionBroker::CreateParams::kPointerCount);
    abi::Cqe none{};
    none.result = kNoCompletion;
    if (!root || !S::SessionBroker::CreateParams::Builder(root.value()).set_profile(profile)) return none;
    abi::Cqe c = run(call_sqe(broker, S::SessionBroker::kMethodCreate, msg.bytes(), g_res));
    if (c.result >= 0 && c.xfer_count == 1) {
        abi::TransferResult t;
        __builtin_memcpy(&t, g_res, sizeof t);
        if (t.interface_id == kSession) *session = t.cap_id;
    }
    return c;
}

// SessionBroker.attach(process = descriptor 0, session = descriptor 1).
abi::Cqe attach(abi::CapId broker, abi::CapId handle, abi::CapId session) {
    capnp::Word words[16];
    capnp::MessageBuilder msg(words);
    auto root = msg.init_root(S::SessionBroker::AttachParams::kDataWords,
                              S::SessionBroker::AttachParams::kPointerCount);
    abi::Cqe none{};
    none.result = kNoCompletion;
    if (!root) return none;
    S::SessionBroker::AttachParams::Builder b(root.value());
    if (!b.set_process(0) || !b.set_session(1)) return none;
    const abi::TransferDescriptor d[] = {xfer(handle, abi::TransferMode::Copy),
                                         xfer(session, abi::TransferMode::Copy)};
    return run(with_transfers(call_sqe(broker, S::SessionBroker::kMethodAttach, msg.bytes(), g_res), d));
}

bool refused(const Spawned& s) {
    return s.handle == abi::kCapIdNone && raised(s.cqe, g_res, ExceptionKind::InvalidArgument);
}

// ---------------------------------------------------------------- child
int child() {
    abi::CapId self = cap("session", kSession);
    if (self == abi::kCapIdNone) return -3;
    Info me = session_info(self);
    if (!me.ok) return -3;
    abi::CapId gate = cap("gate", S::Endpoint::kInterfaceId);
    if (gate != abi::kCapIdNone) {
        // Serve one call (any method): the parent's signal to go on.
        alignas(8) static uint8_t buf[256];
        abi::Cqe r = run(recv_sqe(gate, buf));
        if (r.result < 0) return -4;
        auto call = rt::parse_recv(buf, r.result);
        if (!call) return -4;
        (void)run(return_sqe(gate, call.value().header.call_id, empty_struct_message()));
    }
    if (cap("spawner", S::ProcessSpawner::kInterfaceId) != abi::kCapIdNone) {
        Spawned g = spawn("grandchild", kChild);
        int64_t code = g.handle ? wait_exit(g.handle) : INT64_MIN;
        say("{}: grandchild of session {} ran in session {}", P, me.id, code);
        if (code != static_cast<int64_t>(me.id)) return -2;
    }
    say("{}: child in session {} profile {}", P, me.id, me.profile_view());
    return static_cast<int>(me.id);
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    abi::CapId broker = cap("broker", S::SessionBroker::kInterfaceId);
    if (broker == abi::kCapIdNone) return child();

    Verdict v;
    abi::CapId self = cap("session", kSession);
    abi::CapId console = cap("console", kConsole);
    Info mine;
    {
        Check c(P, 1, "its own session is the boot session");
        c.expect(self != 0 && console != 0 && cap("spawner", S::ProcessSpawner::kInterfaceId) != 0, "grants",
                 "missing");
        mine = session_info(self);
        c.expect(mine.ok && mine.id != 0, "info", "failed");
        c.expect(mine.profile_view() == "system", "profile", mine.profile_view());
        say("{}: own session id {} profile {}", P, mine.id, mine.profile_view());
        v.add(c, 1);
    }
    {
        Check c(P, 2, "a child inherits the parent's session");
        Spawned s = spawn("inherits", kChild);
        c.expect(s.handle != 0, "spawn", result_name(s.cqe.result));
        c.expect(wait_exit(s.handle) == static_cast<int64_t>(mine.id), "child's session", "not the parent's");
        c.expect(release(s.handle) == 0, "release", "failed");
        v.add(c, 2);
    }
    abi::CapId op = abi::kCapIdNone;
    Info opi;
    {
        Check c(P, 3, "SessionBroker.create makes a new session");
        abi::Cqe r = create(broker, "operator", &op);
        c.expect(op != abi::kCapIdNone, "create", result_name(r.result));
        opi = session_info(op);
        c.expect(opi.ok && opi.id != 0 && opi.id != mine.id, "id", "not new");
        c.expect(opi.profile_view() == "operator", "profile", opi.profile_view());
        c.expect(opi.created >= mine.created, "createdAt", "before the boot session");
        say("{}: created session id {} profile {}", P, opi.id, opi.profile_view());
        v.add(c, 3);
    }
    {
        Check c(P, 4, "a broker-chosen session for a child, inherited by its child");
        const abi::TransferDescriptor d[] = {xfer(op, abi::TransferMode::Copy)};
        Spawned s = spawn("chosen", kSpawning, 0, d);
        c.expect(s.handle != 0, "spawn", result_name(s.cqe.result));
        c.expect(wait_exit(s.handle) == static_cast<int64_t>(opi.id), "child's session", "not the chosen one");
        c.expect(release(s.handle) == 0, "release", "failed");
        v.add(c, 4);
    }
    {
        Check c(P, 5, "spawn refuses a session that is not broker-issued, and a minted broker");
        const abi::TransferDescriptor own[] = {xfer(self, abi::TransferMode::Copy)};
        c.expect(refused(spawn("x", kChild, 0, own)), "its own session view", "accepted");
        const abi::TransferDescriptor con[] = {xfer(console, abi::TransferMode::Copy)};
        c.expect(refused(spawn("x", kChild, 0, con)), "a Console", "accepted");
        const abi::TransferDescriptor one[] = {xfer(op, abi::TransferMode::Copy)};
        c.expect(refused(spawn("x", kChild, 1, one)), "index 1 of 1", "accepted");
        c.expect(refused(spawn("x", kChild, 0)), "no descriptors", "accepted");
        // Nor does it mint a SessionBroker for a child: only a copy of one held.
        const Grant minted[] = {{"broker", S::SessionBroker::kInterfaceId, Grant::Kernel,
                                 S::KernelCap::SessionBroker}};
        c.expect(refused(spawn("x", minted)), "a minted SessionBroker", "accepted");
        v.add(c, 5);
    }
    {
        Check c(P, 6, "a second session is never attached");
        Spawned s = spawn("gated", kGated);
        c.expect(s.handle != 0 && s.facet != 0, "spawn", result_name(s.cqe.result));
        if (c.ok()) {
            c.expect_raised(attach(broker, s.handle, op), g_res, ExceptionKind::Failed, "attach to a live child");
            c.expect_raised(attach(broker, s.handle, self), g_res, ExceptionKind::Failed, "attach its own session");
            capnp::Word w[32];
            alignas(8) uint8_t r[128];
            (void)write_line_raw(s.facet, "go", w, r);
            c.expect(wait_exit(s.handle) == static_cast<int64_t>(mine.id), "child's session", "changed");
            c.expect_raised(attach(broker, s.handle, op), g_res, ExceptionKind::Disconnected,
                            "attach to an exited child");
            c.expect(release(s.facet) == 0 && release(s.handle) == 0, "release", "failed");
        }
        v.add(c, 6);
    }
    {
        Check c(P, 7, "create refuses bad profiles");
        abi::CapId none;
        c.expect_raised(create(broker, "", &none), g_res, ExceptionKind::InvalidArgument, "empty");
        c.expect_raised(create(broker, "abcdefghijklmnopqrstuvwxyz0123456", &none), g_res,
                        ExceptionKind::InvalidArgument, "33 bytes");
        c.expect_raised(create(broker, "two words", &none), g_res, ExceptionKind::InvalidArgument, "a space");
        c.expect_raised(create(broker, "bell\a", &none), g_res, ExceptionKind::InvalidArgument, "a control byte");
        v.add(c, 7);
    }
    (void)release(op);
    return v.first_failed;
}

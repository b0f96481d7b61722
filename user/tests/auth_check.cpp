// auth_check: the AuthorityBroker and AuditLog services (user/auth) over
// IPC, as the shell will use them (qemu.auth, system/scenarios/auth.capnp).
// CapSet: console, broker (AuthorityBroker facet), audit (AuditLog facet).
// Numbered checks, each printing "auth_check: check N ...: ok"; exit 0 or
// the first failed check's number:
//   1 anonymous: profile "anonymous", a working SystemInfo, no session, no
//     launcher
//   2 guest: profile "guest"; a working SessionContext of profile "guest";
//     the manifest's extra "clock" (a Timer) works; no launcher
//   3 login before any setup: failed "login failed", no capabilities
//   4 setup with an empty password or a bad user name: invalidArgument
//   5 setup: ok
//   6 setup again: failed "credential already set"
//   7 a wrong password, a wrong user, an empty password, an over-long
//     password: each failed "login failed" and no transfer records
//   8 the right password: profile "operator"; launcher (ProcessSpawner),
//     a session of profile "operator" that works, systemInfo
//   9 audit: logout recorded; a bad event or a user name with a space is
//     invalidArgument
//  10 kLeakRounds logins with the right password into a result buffer too
//     small for the bundle: each completes BufferTooSmall with nothing
//     received; the service releases each session the caller never got
//     (else its 64-slot table fills and SessionBroker.create fails), so a
//     login afterwards still gets the operator bundle
//  11 hostile calls: params that are not a message, an unknown method, a
//     capability sent along (the service releases it): each answered with
//     an error, and guest() still works
// The password is never printed by this program; the scenario forbids it
// on the whole log.
#include <cstdint>

#include "schema/capos.capnp.hpp"
#include "user/rt/cap_handle.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/transport.hpp"
#include "user/tests/ipc_common.hpp"

namespace {

using namespace ipctest;
namespace schema = capos::schema;
namespace abi = capos::abi;
using capos::Error;
using capos::Result;
using capos::rpc::CallBuffers;
using capos::rpc::ExceptionKind;

constexpr const char* kProg = "auth_check";
constexpr const char kPassword[] = "correct-horse-battery-staple";
constexpr uint32_t kLeakRounds = 80;

capos::capnp::Word g_params[64];
alignas(8) uint8_t g_results[2048];
capos::capnp::Word g_params2[16];
alignas(8) uint8_t g_results2[256];

std::span<const uint8_t> bytes(const char* s) {
    return {reinterpret_cast<const uint8_t*>(s), StringView(s).size()};
}

// One received bundle, its capabilities by name.
struct Bundle {
    char profile[32] = {};
    uint32_t count = 0;
    struct Entry {
        char name[33];
        uint64_t iid;
        abi::CapId id;
    } entries[16]{};

    abi::CapId find(StringView name, uint64_t iid) const {
        for (uint32_t i = 0; i < count; ++i)
            if (StringView(entries[i].name) == name && entries[i].iid == iid) return entries[i].id;
        return abi::kCapIdNone;
    }
    bool has(StringView name) const {
        for (uint32_t i = 0; i < count; ++i)
            if (StringView(entries[i].name) == name) return true;
        return false;
    }
    void release_all() {
        for (uint32_t i = 0; i < count; ++i) (void)rt::RingReleaser::release(entries[i].id);
        count = 0;
    }
};

// Reads profile and bundle out of a results reader; every BundleCap's
// cap index must name a transfer record of the same interface.
template <typename R>
bool read_bundle(const R& r, rt::RingTransport& t, Bundle* out) {
    auto profile = r.profile();
    if (!profile || profile.value().size() >= sizeof out->profile) return false;
    for (size_t i = 0; i < profile.value().size(); ++i) out->profile[i] = profile.value()[i];
    out->profile[profile.value().size()] = 0;
    auto list = r.bundle();
    if (!list) return false;
    auto xf = t.transfers();
    if (list.value().size() != xf.size() || xf.size() > 16) return false;
    for (uint32_t i = 0; i < list.value().size(); ++i) {
        auto e = list.value()[i];
        auto name = e.name();
        auto idx = e.cap();
        if (!name || !idx || idx.value() >= xf.size() || name.value().size() > 32) return false;
        if (xf[idx.value()].interface_id != e.interface_id()) return false;
        auto& d = out->entries[out->count++];
        for (size_t k = 0; k < name.value().size(); ++k) d.name[k] = name.value()[k];
        d.name[name.value().size()] = 0;
        d.iid = e.interface_id();
        d.id = xf[idx.value()].cap_id;
    }
    return true;
}

bool raised_with(const Result<void>& r, const CallBuffers& b, ExceptionKind kind, StringView text) {
    if (r.ok() || r.error() != Error::CapException) return false;
    auto e = b.exception();
    return e.ok() && e.value().kind == kind && (text.empty() || e.value().message == text);
}

template <typename T>
Result<void> as_void(const Result<T>& r) {
    if (!r) return r.error();
    return {};
}

// The session's profile through SessionContext.info, or "" on failure.
bool session_profile_is(rt::RingTransport& t, abi::CapId id, StringView want) {
    CallBuffers b(g_params2, g_results2);
    auto r = schema::SessionContext::Client(t, id).info(b);
    if (!r) return false;
    auto p = r.value().profile();
    return p && p.value() == want;
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto tr = rt::transport();
    if (!tr) return 1;
    rt::RingTransport& t = *tr.value();
    auto broker_r = capos::rt::capset().client<schema::AuthorityBroker>("broker", t);
    auto audit_r = capos::rt::capset().client<schema::AuditLog>("audit", t);
    if (!broker_r || !audit_r) return 1;
    auto broker = broker_r.value();
    auto audit = audit_r.value();
    CallBuffers b(g_params, g_results);
    Verdict v;

    {
        Check c(kProg, 1, "anonymous bundle");
        Bundle bundle;
        auto r = broker.anonymous(b);
        c.expect(r.ok() && read_bundle(r.value(), t, &bundle), "anonymous()", "no bundle");
        c.expect(StringView(bundle.profile) == "anonymous", "profile", bundle.profile);
        c.expect(!bundle.has("session") && !bundle.has("launcher"), "contents", "a session or launcher");
        abi::CapId info = bundle.find("systemInfo", schema::SystemInfo::kInterfaceId);
        CallBuffers b2(g_params2, g_results2);
        c.expect(info != abi::kCapIdNone && schema::SystemInfo::Client(t, info).version(b2).ok(), "systemInfo",
                 "missing or not working");
        bundle.release_all();
        v.add(c, 1);
    }
    {
        Check c(kProg, 2, "guest bundle: a guest session and the manifest's extra");
        Bundle bundle;
        auto r = broker.guest(b);
        c.expect(r.ok() && read_bundle(r.value(), t, &bundle), "guest()", "no bundle");
        c.expect(StringView(bundle.profile) == "guest", "profile", bundle.profile);
        abi::CapId s = bundle.find("session", schema::SessionContext::kInterfaceId);
        c.expect(s != abi::kCapIdNone && session_profile_is(t, s, "guest"), "session", "missing or not guest");
        abi::CapId clock = bundle.find("clock", schema::Timer::kInterfaceId);
        CallBuffers b2(g_params2, g_results2);
        c.expect(clock != abi::kCapIdNone && schema::Timer::Client(t, clock).now(b2).ok(), "clock", "missing");
        c.expect(!bundle.has("launcher"), "launcher", "a guest got the launcher");
        bundle.release_all();
        v.add(c, 2);
    }
    {
        Check c(kProg, 3, "login before setup: generic failure, nothing granted");
        auto r = broker.login(b, "operator", bytes(kPassword));
        c.expect(raised_with(as_void(r), b, ExceptionKind::Failed, "login failed"), "login", "not failed");
        c.expect(t.transfers().empty(), "transfers", "capabilities came back");
        v.add(c, 3);
    }
    {
        Check c(kProg, 4, "setup with bad input: invalidArgument");
        auto r1 = broker.setup(b, "operator", std::span<const uint8_t>());
        c.expect(raised_with(as_void(r1), b, ExceptionKind::InvalidArgument, ""), "empty password", "not refused");
        auto r2 = broker.setup(b, "two words", bytes(kPassword));
        c.expect(raised_with(as_void(r2), b, ExceptionKind::InvalidArgument, ""), "bad user", "not refused");
        v.add(c, 4);
    }
    {
        Check c(kProg, 5, "setup");
        auto r = broker.setup(b, "operator", bytes(kPassword));
        c.expect(r.ok(), "setup", r ? "" : capos::error_name(r.error()));
        v.add(c, 5);
    }
    {
        Check c(kProg, 6, "setup twice: refused");
        auto r = broker.setup(b, "intruder", bytes("another-password"));
        c.expect(raised_with(as_void(r), b, ExceptionKind::Failed, "credential already set"), "second setup",
                 "not refused");
        v.add(c, 6);
    }
    {
        Check c(kProg, 7, "wrong credentials: one generic failure, nothing granted");
        char long_pw[200];
        for (auto& ch : long_pw) ch = 'x';
        struct Try {
            const char* user;
            std::span<const uint8_t> pwd;
            const char* what;
        } tries[] = {
            {"operator", bytes("correct-horse-battery-stapler"), "wrong password"},
            {"operatorx", bytes(kPassword), "wrong user"},
            {"operator", std::span<const uint8_t>(), "empty password"},
            {"operator", {reinterpret_cast<const uint8_t*>(long_pw), sizeof long_pw}, "long password"},
        };
        for (const Try& x : tries) {
            auto r = broker.login(b, x.user, x.pwd);
            c.expect(raised_with(as_void(r), b, ExceptionKind::Failed, "login failed"), x.what, "not the generic failure");
            c.expect(t.transfers().empty(), x.what, "capabilities came back");
        }
        v.add(c, 7);
    }
    {
        Check c(kProg, 8, "right password: the operator bundle");
        Bundle bundle;
        auto r = broker.login(b, "operator", bytes(kPassword));
        c.expect(r.ok() && read_bundle(r.value(), t, &bundle), "login", r ? "bad bundle" : capos::error_name(r.error()));
        c.expect(StringView(bundle.profile) == "operator", "profile", bundle.profile);
        c.expect(bundle.find("launcher", schema::ProcessSpawner::kInterfaceId) != abi::kCapIdNone, "launcher", "missing");
        abi::CapId s = bundle.find("session", schema::SessionContext::kInterfaceId);
        c.expect(s != abi::kCapIdNone && session_profile_is(t, s, "operator"), "session", "missing or not operator");
        c.expect(bundle.find("systemInfo", schema::SystemInfo::kInterfaceId) != abi::kCapIdNone, "systemInfo", "missing");
        c.expect(!bundle.has("clock"), "clock", "the guest extra is in the operator bundle");
        say("auth_check: operator bundle has {} capabilities", bundle.count);
        bundle.release_all();
        v.add(c, 8);
    }
    {
        Check c(kProg, 9, "audit: logout recorded, free-form records refused");
        auto r = audit.record(b, "logout", "operator", true);
        c.expect(r.ok(), "logout", "refused");
        auto r1 = audit.record(b, kPassword, "operator", true);
        c.expect(raised_with(as_void(r1), b, ExceptionKind::InvalidArgument, ""), "free-form event", "accepted");
        auto r2 = audit.record(b, "login", "operator correct", false);
        c.expect(raised_with(as_void(r2), b, ExceptionKind::InvalidArgument, ""), "user with a space", "accepted");
        v.add(c, 9);
    }
    {
        Check c(kProg, 10, "bundles that do not fit the caller's buffer leak nothing in the service");
        alignas(8) static uint8_t tiny[48];
        CallBuffers small(g_params, tiny);
        uint32_t too_small = 0;
        for (uint32_t i = 0; i < kLeakRounds; ++i) {
            auto r = broker.login(small, "operator", bytes(kPassword));
            if (!r && r.error() == Error::RingBufferTooSmall && t.transfers().empty()) ++too_small;
        }
        char got[32];
        size_t n = capos::format_to(got, sizeof got, "{} of {}", too_small, kLeakRounds);
        c.expect(too_small == kLeakRounds, "BufferTooSmall", StringView(got, n));
        Bundle bundle;
        auto r = broker.login(b, "operator", bytes(kPassword));
        c.expect(r.ok() && read_bundle(r.value(), t, &bundle), "login afterwards",
                 r ? "bad bundle" : capos::error_name(r.error()));
        abi::CapId s = bundle.find("session", schema::SessionContext::kInterfaceId);
        c.expect(s != abi::kCapIdNone && session_profile_is(t, s, "operator"), "session", "missing");
        bundle.release_all();
        v.add(c, 10);
    }
    {
        Check c(kProg, 11, "hostile calls answered, the service keeps serving");
        abi::CapId facet = rt::capset().lookup("broker", schema::AuthorityBroker::kInterfaceId).value_or(abi::kCapIdNone);
        alignas(8) static uint8_t res[256];
        static const capos::capnp::Word junk[3] = {0xffffffffffffffffULL, 0x0123456789abcdefULL, 7};
        abi::Cqe q = run(call_sqe(facet, schema::AuthorityBroker::kMethodLogin, bytes_of(junk), res));
        c.expect(q.result < 0, "junk params", "accepted");
        q = run(call_sqe(facet, 9, empty_struct_message(), res));
        c.expect(raised(q, res, ExceptionKind::Unimplemented), "method 9", "not unimplemented");
        abi::CapId console = rt::capset().lookup("console", schema::Console::kInterfaceId).value_or(abi::kCapIdNone);
        abi::TransferDescriptor d[1] = {xfer(console, abi::TransferMode::Copy)};
        q = run(with_transfers(call_sqe(facet, schema::AuthorityBroker::kMethodAnonymous, empty_struct_message(), res), d));
        c.expect(q.result >= 0, "anonymous with a capability sent along", "refused");
        Bundle bundle;
        auto r = broker.guest(b);
        c.expect(r.ok() && read_bundle(r.value(), t, &bundle) && StringView(bundle.profile) == "guest", "guest afterwards",
                 "failed");
        bundle.release_all();
        v.add(c, 11);
    }
    if (v.first_failed == 0) say("auth_check: all checks passed");
    return v.first_failed;
}

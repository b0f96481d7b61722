// auth: the AuthorityBroker service (schema/capos.capnp, docs/auth.md).
// It keeps the volatile operator credential as a salted Argon2id verifier
// (user/auth/credential) and hands out the capability bundles of the
// session profiles: anonymous, guest, operator.
//
// CapSet (system/scenarios/auth.capnp shows one):
//   console     Console          its log lines ("auth: ...")
//   svc         Endpoint         served with the AuthorityBroker protocol
//   entropy     EntropySource    salts
//   timer       Timer            the delay after a failed login
//   sessions    SessionBroker    one new session per login/guest bundle
//   audit       AuditLog         client facet of the audit service
//   launcher    ProcessSpawner   optional: the operator's launcher
//   systemInfo  SystemInfo       optional: in every bundle
//   bundle.<profile>.<name>      optional, any interface: also given, as
//                                <name>, in <profile>'s bundle (profile
//                                operator, guest or anonymous)
//   argon2id:t<T>:m<M>:p<P>      optional: the Argon2id cost (passes,
//                                memory KiB, lanes); the capability behind
//                                the name is not used (docs/auth.md,
//                                "Cost parameters")
//
// Bundles (BundleCap list, capabilities as TransferResults in list order):
//   operator   launcher, session (profile "operator"), systemInfo, extras
//   guest      session (profile "guest"), systemInfo, extras
//   anonymous  systemInfo, extras
// launcher, systemInfo and extras are copies of the service's own; the
// session is created for the caller and moved to it.
//
// setup: once; a second call raises failed "credential already set".
// login: one Argon2id derivation whatever the input (no credential yet:
// a dummy verifier), then on any mismatch a Timer.sleep of kFailDelayNs
// and failed "login failed" with no capabilities. Every outcome is
// recorded on the audit log (event, user name, ok): never the password.
//
// Exit codes: 1 a required capability is missing, 2 bad cost name,
// 3 the heap cannot hold the cost, 4 the serve loop failed.
#include <cstddef>
#include <cstdint>

#include "lib/base/format.hpp"
#include "schema/capos.capnp.hpp"
#include "schema/rpc.hpp"
#include "user/auth/credential.hpp"
#include "user/auth/serve.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/cap_handle.hpp"
#include "user/rt/console.hpp"
#include "user/rt/heap.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/transport.hpp"

// Argon2's memory comes from here (user/auth/argon2_glue.cpp): 8 MiB holds
// the default cost (4 MiB) with room to spare.
CAPOS_RT_HEAP_BYTES(8 * 1024 * 1024);

namespace {

namespace rt = capos::rt;
namespace schema = capos::schema;
namespace auth = capos::auth;
namespace abi = capos::abi;
using capos::Error;
using capos::Result;
using capos::StringView;

constexpr uint64_t kFailDelayNs = 300'000'000;  // 0.3 s after every failed login
constexpr size_t kHeapBytes = 8 * 1024 * 1024;
constexpr uint32_t kMaxExtras = 8;

template <typename... Args>
void say(StringView fmt, const Args&... args) {
    char line[256];
    size_t n = capos::format_to(line, sizeof line, fmt, args...);
    (void)rt::print_line(StringView(line, n));
}

// A user name the audit log and the service accept: 1..kMaxUserBytes
// printable ASCII bytes, no spaces.
bool valid_user(StringView u) {
    if (u.empty() || u.size() > auth::kMaxUserBytes) return false;
    for (char c : u)
        if (c <= ' ' || c > '~') return false;
    return true;
}

struct Extra {
    StringView profile;
    StringView name;
    uint64_t interface_id;
    abi::CapId id;
};

// AnswerState (serve.hpp): the bundle's transfers, the session made for
// it, and the message of a `failed` a handler raises itself.
class Broker final : public schema::AuthorityBroker::Server, public capos::auth::AnswerState {
public:

    bool init(rt::RingTransport& t, const auth::Cost& cost) {
        transport_ = &t;
        cost_ = cost;
        const rt::CapSet& caps = rt::capset();
        auto need = [&](StringView name, uint64_t iid, abi::CapId* out_id) {
            auto r = caps.lookup(name, iid);
            if (!r) {
                say("auth: no '{}' capability of the right interface", name);
                return false;
            }
            *out_id = r.value();
            return true;
        };
        if (!need("entropy", schema::EntropySource::kInterfaceId, &entropy_) ||
            !need("timer", schema::Timer::kInterfaceId, &timer_) ||
            !need("sessions", schema::SessionBroker::kInterfaceId, &sessions_) ||
            !need("audit", schema::AuditLog::kInterfaceId, &audit_))
            return false;
        auto opt = [&](StringView name, uint64_t iid) {
            auto r = caps.lookup(name, iid);
            return r ? r.value() : abi::kCapIdNone;
        };
        launcher_ = opt("launcher", schema::ProcessSpawner::kInterfaceId);
        system_info_ = opt("systemInfo", schema::SystemInfo::kInterfaceId);
        for (uint32_t i = 0; i < caps.count(); ++i) {
            const abi::CapSetEntry& e = caps.entry(i);
            StringView name(e.name, e.name_len);
            if (!name.starts_with("bundle.")) continue;
            StringView rest = name.substr(7);
            size_t dot = rest.find('.');
            if (dot == StringView::npos || dot + 1 >= rest.size()) continue;
            StringView profile = rest.substr(0, dot);
            if (!(profile == "operator" || profile == "guest" || profile == "anonymous")) continue;
            if (extra_count_ == kMaxExtras) break;
            extras_[extra_count_++] = Extra{profile, rest.substr(dot + 1), e.interface_id, e.cap_id};
        }
        // The verifier checked when no credential exists, so a login then
        // costs what it costs with one.
        for (auto& b : dummy_.salt) b = 0;
        for (auto& b : dummy_.tag) b = 0xff;
        dummy_.cost = cost_;
        return true;
    }

protected:
    Result<void> setup(schema::AuthorityBroker::SetupParams::Reader p,
                       schema::AuthorityBroker::SetupResults::Builder) override {
        StringView user = TRY(p.user());
        auto pwd = TRY(p.password());
        if (!valid_user(user) || pwd.empty() || pwd.size() > auth::kMaxPasswordBytes)
            return Error::InvalidArgument;
        if (has_credential_) {
            audit("setup", user, false);
            fail_message = "credential already set";
            return Error::CapException;
        }
        uint8_t salt[auth::kSaltBytes];
        TRY(random(salt, sizeof salt));
        const auto* u = reinterpret_cast<const uint8_t*>(user.data());
        uint64_t t0 = now_ns();
        bool ok = auth::make_verifier(u, user.size(), pwd.data(), pwd.size(), salt, cost_, verifier_);
        uint64_t took_ms = (now_ns() - t0) / 1'000'000;
        auth::wipe(salt, sizeof salt);
        if (!ok) {
            audit("setup", user, false);
            return Error::OutOfMemory;
        }
        has_credential_ = true;
        audit("setup", user, true);
        say("auth: operator credential set (Argon2id t={} m={} KiB p={}, {} ms)", cost_.passes, cost_.memory_kib,
            cost_.lanes, took_ms);
        return {};
    }

    Result<void> login(schema::AuthorityBroker::LoginParams::Reader p,
                       schema::AuthorityBroker::LoginResults::Builder results) override {
        // Unreadable fields count as empty: the same derivation and the same
        // answer as any other mismatch.
        auto user_r = p.user();
        auto pwd_r = p.password();
        StringView user = user_r ? user_r.value() : StringView();
        std::span<const uint8_t> pwd = pwd_r ? pwd_r.value() : std::span<const uint8_t>();
        const auth::Verifier& v = has_credential_ ? verifier_ : dummy_;
        bool match = auth::check(v, reinterpret_cast<const uint8_t*>(user.data()), user.size(), pwd.data(),
                                 pwd.size());
        bool ok = match && has_credential_ && user_r.ok() && pwd_r.ok();
        StringView logged = valid_user(user) ? user : StringView("?");
        if (!ok) {
            audit("login", logged, false);
            capos::rpc::CallBuffers b(params_, results_);
            (void)schema::Timer::Client(*transport_, timer_).sleep(b, kFailDelayNs);
            fail_message = "login failed";
            return Error::CapException;
        }
        TRY(bundle(results, "operator"));
        audit("login", logged, true);
        return {};
    }

    Result<void> guest(schema::AuthorityBroker::GuestParams::Reader,
                       schema::AuthorityBroker::GuestResults::Builder results) override {
        TRY(bundle(results, "guest"));
        audit("guest", "guest", true);
        return {};
    }

    Result<void> anonymous(schema::AuthorityBroker::AnonymousParams::Reader,
                           schema::AuthorityBroker::AnonymousResults::Builder results) override {
        return bundle(results, "anonymous");
    }

private:
    Result<void> random(uint8_t* out, size_t n) {
        capos::rpc::CallBuffers b(params_, results_);
        auto r = TRY(schema::EntropySource::Client(*transport_, entropy_).get_bytes(b, static_cast<uint32_t>(n)));
        auto data = TRY(r.data());
        if (data.size() != n) return Error::Malformed;
        for (size_t i = 0; i < n; ++i) out[i] = data[i];
        if (!r.strong() && !warned_weak_) {
            warned_weak_ = true;
            say("auth: salts come from weak entropy (the kernel said so)");
        }
        return {};
    }

    // The Timer's clock, 0 when it cannot be read (only for the log line).
    uint64_t now_ns() {
        capos::rpc::CallBuffers b(params_, results_);
        auto r = schema::Timer::Client(*transport_, timer_).now(b);
        return r ? r.value().ns() : 0;
    }

    void audit(StringView event, StringView user, bool ok) {
        capos::rpc::CallBuffers b(params_, results_);
        auto r = schema::AuditLog::Client(*transport_, audit_).record(b, event, user, ok);
        if (!r) say("auth: the audit log refused '{}': {}", event, capos::error_name(r.error()));
    }

    void add(abi::CapId id, abi::TransferMode mode) {
        abi::TransferDescriptor d{};
        d.cap_id = id;
        d.mode = static_cast<uint8_t>(mode);
        out[out_count++] = d;
    }

    // Fills profile and bundle for `profile`; the capabilities go into
    // `out` in bundle order.
    template <typename B>
    Result<void> bundle(B results, StringView profile) {
        struct Item {
            StringView name;
            uint64_t iid;
        } items[abi::kMaxTransfers];
        uint32_t n = 0;
        bool op = profile == "operator";
        if (op && launcher_ != abi::kCapIdNone) {
            items[n++] = {"launcher", schema::ProcessSpawner::kInterfaceId};
            add(launcher_, abi::TransferMode::Copy);
        }
        if (op || profile == "guest") {
            capos::rpc::CallBuffers b(params_, results_);
            TRY(schema::SessionBroker::Client(*transport_, sessions_).create(b, profile));
            auto xf = transport_->transfers();
            if (xf.size() != 1 || xf[0].interface_id != schema::SessionContext::kInterfaceId) return Error::Malformed;
            made_session = xf[0].cap_id;
            items[n++] = {"session", schema::SessionContext::kInterfaceId};
            add(made_session, abi::TransferMode::Move);
        }
        if (system_info_ != abi::kCapIdNone) {
            items[n++] = {"systemInfo", schema::SystemInfo::kInterfaceId};
            add(system_info_, abi::TransferMode::Copy);
        }
        for (uint32_t i = 0; i < extra_count_ && n < abi::kMaxTransfers; ++i) {
            if (!(extras_[i].profile == profile)) continue;
            items[n++] = {extras_[i].name, extras_[i].interface_id};
            add(extras_[i].id, abi::TransferMode::Copy);
        }
        TRY(results.set_profile(profile));
        auto list = TRY(results.init_bundle(n));
        for (uint32_t i = 0; i < n; ++i) {
            TRY(list[i].set_name(items[i].name));
            list[i].set_interface_id(items[i].iid);
            TRY(list[i].set_cap(i));
        }
        return {};
    }

    rt::RingTransport* transport_ = nullptr;
    auth::Cost cost_{};
    abi::CapId entropy_ = abi::kCapIdNone, timer_ = abi::kCapIdNone, sessions_ = abi::kCapIdNone,
               audit_ = abi::kCapIdNone, launcher_ = abi::kCapIdNone, system_info_ = abi::kCapIdNone;
    Extra extras_[kMaxExtras]{};
    uint32_t extra_count_ = 0;
    bool has_credential_ = false;
    bool warned_weak_ = false;
    auth::Verifier verifier_{};
    auth::Verifier dummy_{};
    capos::capnp::Word params_[64];
    alignas(8) uint8_t results_[512];
};

Broker g_broker;

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto transport = rt::transport();
    if (!transport) return 1;
    auto ep = rt::capset().lookup("svc", schema::Endpoint::kInterfaceId);
    if (!ep) {
        say("auth: no 'svc' endpoint");
        return 1;
    }
    auth::Cost cost = auth::kDefaultCost;
    const rt::CapSet& caps = rt::capset();
    for (uint32_t i = 0; i < caps.count(); ++i) {
        StringView name(caps.entry(i).name, caps.entry(i).name_len);
        if (!name.starts_with(auth::kCostPrefix)) continue;
        if (!auth::parse_cost(name, &cost) || !auth::cost_valid(cost)) {
            say("auth: bad cost '{}' (want argon2id:t<passes>:m<KiB>:p<lanes>, docs/auth.md)", name);
            return 2;
        }
    }
    if (uint64_t{cost.memory_kib} * 1024 + 512 * 1024 > kHeapBytes) {
        say("auth: Argon2id memory {} KiB does not fit the service's {} KiB heap", cost.memory_kib, kHeapBytes / 1024);
        return 3;
    }
    if (!g_broker.init(*transport.value(), cost)) return 1;
    say("auth: serving AuthorityBroker (Argon2id t={} m={} KiB p={})", cost.passes, cost.memory_kib, cost.lanes);
    auto r = capos::auth::serve_forever(ep.value(), g_broker);
    say("auth: serve loop ended: {}", capos::error_name(r.error()));
    return 4;
}

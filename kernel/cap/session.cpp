#include "kernel/cap/session.hpp"

#include <new>

#include "kernel/cap/spawner.hpp"
#include "kernel/clock.hpp"
#include "kernel/proc/process.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

struct Session {
    uint64_t id;
    uint64_t created_ns;
    uint32_t refs;
    uint8_t profile_len;
    char profile[schema::kSessionProfileMaxBytes];
};

namespace {

constinit uint64_t g_next_id = 1;
constinit uint64_t g_live = 0;
alignas(Session) unsigned char g_boot_storage[sizeof(Session)];
Session* g_boot = nullptr;

bool valid_profile(StringView p) {
    if (p.empty() || p.size() > schema::kSessionProfileMaxBytes) return false;
    for (char c : p)
        if (c < 0x21 || c > 0x7e) return false;
    return true;
}

void init_session(Session& s, StringView profile) {
    s.id = g_next_id++;
    s.created_ns = clock_now_ns();
    s.refs = 1;
    s.profile_len = static_cast<uint8_t>(profile.size());
    for (size_t i = 0; i < profile.size(); ++i) s.profile[i] = profile[i];
    ++g_live;
}

class SessionContextCap final : public ServedCap<schema::SessionContext> {
public:
    SessionContextCap(Session& s, bool selectable) : session_(s), selectable_(selectable) {
        session_retain(s);
    }
    Session& session() { return session_; }
    Session* selectable_session() { return selectable_ ? &session_ : nullptr; }

private:
    ~SessionContextCap() override { session_release(session_); }

    Result<void> info(schema::SessionContext::InfoParams::Reader,
                      schema::SessionContext::InfoResults::Builder results) override {
        results.set_id(session_.id);
        results.set_created_at(session_.created_ns);
        TRY(results.set_profile(StringView(session_.profile, session_.profile_len)));
        return {};
    }

    Session& session_;
    const bool selectable_;
};

class SessionBrokerCap final : public ServedCap<schema::SessionBroker> {
public:
    bool accepts_transfers() const override { return true; }

private:
    void destroy() override {}

    Result<void> create(schema::SessionBroker::CreateParams::Reader params,
                        schema::SessionBroker::CreateResults::Builder results) override {
        StringView profile = TRY(params.profile());
        if (!valid_profile(profile)) return Error::InvalidArgument;
        auto* s = new (std::nothrow) Session{};
        if (!s) return Error::OutOfMemory;
        init_session(*s, profile);
        auto* cap = new (std::nothrow) SessionContextCap(*s, true);
        session_release(*s);  // the capability holds the only reference
        if (!cap) return Error::OutOfMemory;
        auto index = ctx().return_cap(cap);
        if (!index.ok()) {
            cap->release();
            return index.error();
        }
        TRY(results.set_session(index.value()));
        return {};
    }

    // Sessions never change: a live process already has one.
    Result<void> attach(schema::SessionBroker::AttachParams::Reader params,
                        schema::SessionBroker::AttachResults::Builder) override {
        uint32_t pi = TRY(params.process());
        uint32_t si = TRY(params.session());
        if (pi >= ctx().in_count || si >= ctx().in_count) return Error::InvalidArgument;
        CapObject& handle = *ctx().in_caps[pi];
        if (handle.interface_id() != schema::ProcessHandle::kInterfaceId ||
            ctx().in_caps[si]->interface_id() != schema::SessionContext::kInterfaceId)
            return Error::InvalidArgument;
        Process* p = process_handle_child(handle);
        if (!p) return Error::Disconnected;
        return process_attach_session(*p, static_cast<SessionContextCap*>(ctx().in_caps[si])->session());
    }
};

alignas(SessionBrokerCap) unsigned char g_broker_storage[sizeof(SessionBrokerCap)];
SessionBrokerCap* g_broker = nullptr;

}  // namespace

Session& session_boot() {
    if (!g_boot) {
        g_boot = new (g_boot_storage) Session{};
        init_session(*g_boot, "system");
    }
    return *g_boot;
}

void session_retain(Session& s) { ++s.refs; }

void session_release(Session& s) {
    if (--s.refs != 0) return;
    --g_live;
    if (&s != g_boot) delete &s;
}

uint64_t session_id(const Session& s) { return s.id; }

CapObject* session_view_create(Session& s) { return new (std::nothrow) SessionContextCap(s, false); }

Session* session_selectable(CapObject& object) {
    if (object.interface_id() != schema::SessionContext::kInterfaceId) return nullptr;
    return static_cast<SessionContextCap&>(object).selectable_session();
}

CapObject& session_broker() {
    if (!g_broker) g_broker = new (g_broker_storage) SessionBrokerCap();
    return *g_broker;
}

uint64_t sessions_live() { return g_live; }

}  // namespace capos

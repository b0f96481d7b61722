// audit: the AuditLog service (schema/capos.capnp, docs/auth.md). Each
// record becomes one line on its Console:
//
//   audit: <event> user=<user> ok=<yes|no>
//
// The log takes only these fields and checks them, so no caller can put
// free-form data (a password) on it: event is one of setup, login, guest,
// logout; user is 1..64 printable ASCII bytes without spaces, or "?".
// Anything else raises invalidArgument and writes nothing.
//
// CapSet: console (Console), svc (Endpoint, protocol AuditLog).
// Exit codes: 1 a capability is missing, 4 the serve loop failed.
#include <cstdint>

#include "lib/base/format.hpp"
#include "schema/capos.capnp.hpp"
#include "user/auth/serve.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/console.hpp"
#include "user/rt/rt.hpp"

CAPOS_RT_HEAP_BYTES(16 * 1024);

namespace {

namespace rt = capos::rt;
namespace schema = capos::schema;
using capos::Error;
using capos::Result;
using capos::StringView;

bool known_event(StringView e) { return e == "setup" || e == "login" || e == "guest" || e == "logout"; }

bool valid_user(StringView u) {
    if (u.empty() || u.size() > 64) return false;
    for (char c : u)
        if (c <= ' ' || c > '~') return false;
    return true;
}

class Audit final : public schema::AuditLog::Server, public capos::auth::AnswerState {
public:
    uint32_t records = 0;

protected:
    Result<void> record(schema::AuditLog::RecordParams::Reader p, schema::AuditLog::RecordResults::Builder) override {
        StringView event = TRY(p.event());
        StringView user = TRY(p.user());
        if (!known_event(event) || !valid_user(user)) return Error::InvalidArgument;
        char line[128];
        size_t n = capos::format_to(line, sizeof line, "audit: {} user={} ok={}", event, user, p.ok() ? "yes" : "no");
        TRY(rt::print_line(StringView(line, n)));
        ++records;
        return {};
    }
};

Audit g_audit;

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto ep = rt::capset().lookup("svc", schema::Endpoint::kInterfaceId);
    if (!ep) return 1;
    (void)rt::print_line("audit: serving AuditLog");
    auto r = capos::auth::serve_forever(ep.value(), g_audit);
    char line[96];
    size_t n = capos::format_to(line, sizeof line, "audit: serve loop ended: {}", capos::error_name(r.error()));
    (void)rt::print_line(StringView(line, n));
    return 4;
}

// The native shell's command language (docs/shell.md), as pure logic: the
// parser, the grant resolver and the one-line messages. user/shell does the
// calls; everything here is host-tested (tests/host/shell).
//
//   line    := ws* [command] ws*
//   command := "help" | "caps" | "jobs" | "exit" | "setup" | "login"
//            | "logout" | "guest"
//            | "wait" ws+ job                  job := decimal 1..kMaxJobId
//            | ("run" | "spawn") ws+ binary [ws+ "with" ws* "{" grants "}"]
//   binary  := '"' 1..kBinaryMax bytes, printable ASCII except '"' '\' '"'
//   grants  := ws* [grant (ws* "," ws* grant)* [ws* ","]] ws*
//   grant   := name ws* ":" ws* ["client" ws+] "@" name
//   name    := 1..kNameMax of [A-Za-z0-9_.-]
//   ws      := ' ' | '\t'
//
// `child: @held` copies the capability the shell holds under `held` (its
// CapSet or the bundle it got from login) into the child's CapSet as
// `child`, typed as the shell holds it. `child: client @ep` requires `ep`
// to be a raw Endpoint the shell holds (server side) whose protocol the
// shell knows (HeldCap::protocol); the child gets a new CALL-only client
// facet for that protocol, never the server side. Grant names are unique
// within one command.
//
// Every message is one line without a newline, at most kMessageMax bytes;
// user text quoted in a message is cut to its limit, never read past.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/base/string_view.hpp"

namespace capos::shell {

inline constexpr size_t kNameMax = 32;      // capNameMaxBytes
inline constexpr size_t kBinaryMax = 64;
inline constexpr size_t kMaxGrants = 16;
inline constexpr uint32_t kMaxJobId = 999999;
inline constexpr size_t kMessageMax = 160;

enum class CommandKind : uint8_t {
    Empty,  // a blank line
    Help,
    Caps,
    Run,
    Spawn,
    Wait,
    Jobs,
    Exit,
    Setup,
    Login,
    Logout,
    Guest,
};

struct GrantSpec {
    StringView name;    // the name in the child's CapSet
    StringView source;  // the held capability after '@'
    bool client = false;
    uint32_t column = 0;  // 1-based column of `source` in the line
};

struct Command {
    CommandKind kind = CommandKind::Empty;
    StringView binary;  // Run, Spawn: without the quotes
    GrantSpec grants[kMaxGrants];
    uint32_t grant_count = 0;
    uint32_t job = 0;  // Wait
};

struct SyntaxError {
    uint32_t column = 0;      // 1-based; size + 1 for "at the end"
    const char* expected = "";  // static text, e.g. "'{'"
};

// Parses `line` into `out` (views into `line`). False with `err` set when the
// line is not a command of the grammar above. Never reads outside `line`.
bool parse(StringView line, Command& out, SyntaxError& err);

// One capability the shell holds, as the resolver sees it.
struct HeldCap {
    StringView name;
    uint64_t interface_id = 0;
    // For a raw Endpoint: the protocol its client facets speak (0: unknown,
    // `client @name` is then refused).
    uint64_t protocol = 0;
};

struct ResolvedGrant {
    StringView name;           // in the child
    uint32_t held = 0;         // index into the held list
    uint64_t interface_id = 0;  // the CapGrant.interfaceId
    bool mint_client = false;  // mint a client facet of `held` for interface_id
};

enum class ResolveError : uint8_t {
    None,
    UnknownCapability,  // no held capability of that name
    WrongInterface,     // `client @x` where x is not an Endpoint with a known protocol
    DuplicateName,      // two grants with the same child name
};

struct ResolveResult {
    ResolveError error = ResolveError::None;
    uint32_t grant = 0;  // the grant the error is about
};

// Resolves cmd's grants against the held capabilities into `out`
// (cmd.grant_count entries). Decides everything before the shell calls
// anything: on an error nothing was resolved that the shell acts on.
// `endpoint_iid` is the raw Endpoint interface id.
ResolveResult resolve(const Command& cmd, const HeldCap* held, size_t held_count,
                      uint64_t endpoint_iid, ResolvedGrant* out);

// A small table of interface names, for `caps` and the messages.
struct InterfaceName {
    uint64_t id;
    const char* name;
};
// The name of `iid` in `table`, or nullptr.
const char* interface_name(uint64_t iid, const InterfaceName* table, size_t count);

// The one-line messages. Each writes at most min(cap, kMessageMax) bytes
// (NUL-terminated when cap > 0) and returns the length written.
size_t syntax_error_message(const SyntaxError& e, StringView line, char* buf, size_t cap);
size_t resolve_error_message(const ResolveResult& r, const Command& cmd, const HeldCap* held,
                             size_t held_count, const InterfaceName* names, size_t name_count,
                             char* buf, size_t cap);
size_t unknown_binary_message(StringView binary, char* buf, size_t cap);
size_t failed_program_message(StringView binary, int64_t code, char* buf, size_t cap);
size_t unknown_job_message(uint32_t job, char* buf, size_t cap);

// Copies `text` into `buf` with every byte outside printable ASCII
// replaced by '?', cut to `cap - 1`; NUL-terminated. Returns the length.
size_t sanitize(StringView text, char* buf, size_t cap);

// The jobs `spawn` started and `wait` has not collected, numbered from 1 in
// start order; numbers are not reused during one shell. T is the shell's
// per-job payload (its ProcessHandle id).
template <typename T, size_t N>
class JobTable {
public:
    struct Job {
        uint32_t id = 0;  // 0: free
        char binary[kBinaryMax + 1] = {};
        T payload{};
    };

    // The new job's id, or 0 when the table is full or ids ran out.
    uint32_t add(StringView binary, const T& payload) {
        if (next_ > kMaxJobId) return 0;
        for (Job& j : jobs_) {
            if (j.id != 0) continue;
            j.id = next_++;
            size_t n = binary.size() < kBinaryMax ? binary.size() : kBinaryMax;
            for (size_t i = 0; i < n; ++i) j.binary[i] = binary[i];
            j.binary[n] = '\0';
            j.payload = payload;
            return j.id;
        }
        return 0;
    }
    // The live job `id`, or nullptr.
    Job* find(uint32_t id) {
        if (id == 0) return nullptr;
        for (Job& j : jobs_)
            if (j.id == id) return &j;
        return nullptr;
    }
    void remove(uint32_t id) {
        if (Job* j = find(id)) *j = Job{};
    }
    // Live jobs in id order: call f(const Job&) for each.
    template <typename F>
    void each(F&& f) const {
        uint32_t last = 0;
        for (;;) {
            const Job* best = nullptr;
            for (const Job& j : jobs_)
                if (j.id > last && (best == nullptr || j.id < best->id)) best = &j;
            if (best == nullptr) return;
            f(*best);
            last = best->id;
        }
    }
    size_t size() const {
        size_t n = 0;
        for (const Job& j : jobs_) n += j.id != 0;
        return n;
    }

private:
    Job jobs_[N];
    uint32_t next_ = 1;
};

}  // namespace capos::shell

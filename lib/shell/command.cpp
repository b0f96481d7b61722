#include "lib/shell/command.hpp"

#include "lib/base/format.hpp"

namespace capos::shell {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_char(char c) { return is_letter(c) || is_digit(c) || c == '_' || c == '-' || c == '.'; }
bool is_binary_char(char c) { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'; }

// A cursor over the line; every access is bounded by the line's size.
class Cursor {
public:
    explicit Cursor(StringView s) : s_(s) {}
    bool end() const { return pos_ >= s_.size(); }
    char peek() const { return end() ? '\0' : s_[pos_]; }
    size_t pos() const { return pos_; }
    uint32_t column() const { return static_cast<uint32_t>(pos_ + 1); }
    void skip_ws() {
        while (!end() && is_ws(s_[pos_])) ++pos_;
    }
    // Skips at least one ws; false if there is none.
    bool ws1() {
        if (end() || !is_ws(s_[pos_])) return false;
        skip_ws();
        return true;
    }
    bool eat(char c) {
        if (end() || s_[pos_] != c) return false;
        ++pos_;
        return true;
    }
    // The run of letters at the cursor (possibly empty).
    StringView word() {
        size_t b = pos_;
        while (!end() && is_letter(s_[pos_])) ++pos_;
        return s_.substr(b, pos_ - b);
    }
    // A run of name characters (possibly empty; the caller checks length).
    StringView name() {
        size_t b = pos_;
        while (!end() && is_name_char(s_[pos_])) ++pos_;
        return s_.substr(b, pos_ - b);
    }
    void set(size_t p) { pos_ = p; }
    StringView slice(size_t b, size_t n) const { return s_.substr(b, n); }

private:
    StringView s_;
    size_t pos_ = 0;
};

bool fail(SyntaxError& err, uint32_t column, const char* expected) {
    err.column = column;
    err.expected = expected;
    return false;
}

// The rest of the line must be blank.
bool finish(Cursor& c, SyntaxError& err) {
    c.skip_ws();
    if (!c.end()) return fail(err, c.column(), "the end of the line");
    return true;
}

bool parse_name(Cursor& c, StringView& out, SyntaxError& err, const char* what) {
    uint32_t col = c.column();
    out = c.name();
    if (out.empty()) return fail(err, col, what);
    if (out.size() > kNameMax) return fail(err, col + kNameMax, "a name of at most 32 characters");
    return true;
}

bool parse_grant(Cursor& c, GrantSpec& g, SyntaxError& err) {
    if (!parse_name(c, g.name, err, "a grant name")) return false;
    c.skip_ws();
    if (!c.eat(':')) return fail(err, c.column(), "':'");
    c.skip_ws();
    size_t before = c.pos();
    StringView w = c.word();
    if (w == StringView("client")) {
        if (!c.ws1()) return fail(err, c.column(), "a space after 'client'");
        g.client = true;
    } else {
        c.set(before);
    }
    if (!c.eat('@')) return fail(err, c.column(), g.client ? "'@'" : "'@' or 'client @'");
    g.column = c.column();
    return parse_name(c, g.source, err, "a capability name after '@'");
}

bool parse_run(Cursor& c, Command& out, SyntaxError& err) {
    if (!c.ws1()) return fail(err, c.column(), "a space and a quoted binary name");
    uint32_t quote = c.column();
    if (!c.eat('"')) return fail(err, c.column(), "'\"'");
    size_t begin = c.pos();
    while (!c.end() && is_binary_char(c.peek())) c.set(c.pos() + 1);
    size_t len = c.pos() - begin;
    if (c.end()) return fail(err, c.column(), "a closing '\"'");
    if (!c.eat('"')) return fail(err, c.column(), "printable characters and a closing '\"'");
    if (len == 0) return fail(err, quote + 1, "a binary name");
    if (len > kBinaryMax) return fail(err, quote + 1 + kBinaryMax, "a binary name of at most 64 characters");
    out.binary = c.slice(begin, len);
    return true;
}

}  // namespace

bool parse(StringView line, Command& out, SyntaxError& err) {
    out = Command{};
    err = SyntaxError{};
    Cursor c(line);
    c.skip_ws();
    if (c.end()) return true;  // Empty
    uint32_t col = c.column();
    StringView w = c.word();
    struct Simple {
        const char* word;
        CommandKind kind;
    };
    static constexpr Simple kSimple[] = {
        {"help", CommandKind::Help},     {"caps", CommandKind::Caps},   {"jobs", CommandKind::Jobs},
        {"exit", CommandKind::Exit},     {"setup", CommandKind::Setup}, {"login", CommandKind::Login},
        {"logout", CommandKind::Logout}, {"guest", CommandKind::Guest},
    };
    for (const Simple& s : kSimple) {
        if (w == StringView(s.word)) {
            out.kind = s.kind;
            return finish(c, err);
        }
    }
    if (w == StringView("wait")) {
        out.kind = CommandKind::Wait;
        if (!c.ws1()) return fail(err, c.column(), "a space and a job number");
        uint32_t jcol = c.column();
        uint64_t n = 0;
        size_t digits = 0;
        while (!c.end() && is_digit(c.peek())) {
            n = n * 10 + static_cast<uint64_t>(c.peek() - '0');
            ++digits;
            c.set(c.pos() + 1);
            if (n > kMaxJobId) return fail(err, jcol, "a job number from 1 to 999999");
        }
        if (digits == 0 || n == 0) return fail(err, jcol, "a job number from 1 to 999999");
        out.job = static_cast<uint32_t>(n);
        return finish(c, err);
    }
    if (w == StringView("run") || w == StringView("spawn")) {
        out.kind = w == StringView("run") ? CommandKind::Run : CommandKind::Spawn;
        if (!parse_run(c, out, err)) return false;
        size_t after_quote = c.pos();
        c.skip_ws();
        if (c.end()) return true;
        uint32_t wcol = c.column();
        if (c.pos() == after_quote || c.word() != StringView("with"))
            return fail(err, wcol, "'with' or the end of the line");
        c.skip_ws();
        if (!c.eat('{')) return fail(err, c.column(), "'{'");
        c.skip_ws();
        while (!c.eat('}')) {
            if (c.end()) return fail(err, c.column(), "'}'");
            if (out.grant_count == kMaxGrants) return fail(err, c.column(), "at most 16 grants");
            if (!parse_grant(c, out.grants[out.grant_count], err)) return false;
            ++out.grant_count;
            c.skip_ws();
            if (c.eat(',')) {
                c.skip_ws();
                continue;
            }
            if (c.peek() != '}') return fail(err, c.column(), "',' or '}'");
        }
        return finish(c, err);
    }
    return fail(err, col,
                "a command (help, caps, run, spawn, wait, jobs, exit, setup, login, logout, guest)");
}

ResolveResult resolve(const Command& cmd, const HeldCap* held, size_t held_count,
                      uint64_t endpoint_iid, ResolvedGrant* out) {
    for (uint32_t i = 0; i < cmd.grant_count && i < kMaxGrants; ++i) {
        const GrantSpec& g = cmd.grants[i];
        for (uint32_t k = 0; k < i; ++k)
            if (cmd.grants[k].name == g.name) return {ResolveError::DuplicateName, i};
        size_t found = held_count;
        for (size_t h = 0; h < held_count; ++h) {
            if (held[h].name == g.source) {
                found = h;
                break;
            }
        }
        if (found == held_count) return {ResolveError::UnknownCapability, i};
        const HeldCap& hc = held[found];
        ResolvedGrant r;
        r.name = g.name;
        r.held = static_cast<uint32_t>(found);
        if (g.client) {
            if (hc.interface_id != endpoint_iid || hc.protocol == 0)
                return {ResolveError::WrongInterface, i};
            r.interface_id = hc.protocol;
            r.mint_client = true;
        } else {
            r.interface_id = hc.interface_id;
        }
        out[i] = r;
    }
    return {};
}

const char* interface_name(uint64_t iid, const InterfaceName* table, size_t count) {
    for (size_t i = 0; i < count; ++i)
        if (table[i].id == iid) return table[i].name;
    return nullptr;
}

size_t sanitize(StringView text, char* buf, size_t cap) {
    if (cap == 0) return 0;
    size_t n = text.size() < cap - 1 ? text.size() : cap - 1;
    for (size_t i = 0; i < n; ++i) {
        char ch = text[i];
        buf[i] = (ch >= 0x20 && ch <= 0x7e) ? ch : '?';
    }
    buf[n] = '\0';
    return n;
}

namespace {
size_t bounded(size_t cap) { return cap < kMessageMax + 1 ? cap : kMessageMax + 1; }
}  // namespace

size_t syntax_error_message(const SyntaxError& e, StringView line, char* buf, size_t cap) {
    uint32_t col = e.column;
    if (col > line.size() + 1) col = static_cast<uint32_t>(line.size() + 1);
    if (col == line.size() + 1)
        return format_to(buf, bounded(cap), "error: syntax error at column {} (the end): expected {}",
                         col, e.expected);
    char got = line[col - 1];
    if (got >= 0x21 && got <= 0x7e)
        return format_to(buf, bounded(cap), "error: syntax error at column {}: expected {}, got '{}'",
                         col, e.expected, got);
    return format_to(buf, bounded(cap), "error: syntax error at column {}: expected {}", col,
                     e.expected);
}

size_t resolve_error_message(const ResolveResult& r, const Command& cmd, const HeldCap* held,
                             size_t held_count, const InterfaceName* names, size_t name_count,
                             char* buf, size_t cap) {
    if (r.error == ResolveError::None || r.grant >= cmd.grant_count) {
        if (cap) buf[0] = '\0';
        return 0;
    }
    const GrantSpec& g = cmd.grants[r.grant];
    switch (r.error) {
    case ResolveError::UnknownCapability:
        return format_to(buf, bounded(cap),
                         "error: unknown capability @{} (column {}): `caps` lists what the shell holds",
                         g.source, g.column);
    case ResolveError::DuplicateName:
        return format_to(buf, bounded(cap), "error: grant name {} is used twice", g.name);
    case ResolveError::WrongInterface: {
        const char* iname = "an unknown interface";
        bool endpoint = false;
        for (size_t h = 0; h < held_count; ++h) {
            if (held[h].name == g.source) {
                const char* n = interface_name(held[h].interface_id, names, name_count);
                if (n) iname = n;
                endpoint = held[h].protocol != 0 || (n && StringView(n) == StringView("Endpoint"));
                break;
            }
        }
        if (endpoint)
            return format_to(buf, bounded(cap),
                             "error: wrong interface: the shell does not know the protocol of @{}",
                             g.source);
        return format_to(buf, bounded(cap),
                         "error: wrong interface: @{} is {}, `client @` needs an Endpoint", g.source,
                         iname);
    }
    case ResolveError::None: break;
    }
    if (cap) buf[0] = '\0';
    return 0;
}

size_t unknown_binary_message(StringView binary, char* buf, size_t cap) {
    return format_to(buf, bounded(cap), "error: unknown binary \"{}\"", binary);
}

size_t failed_program_message(StringView binary, int64_t code, char* buf, size_t cap) {
    if (code < 0)
        return format_to(buf, bounded(cap), "error: \"{}\" was killed (code {})", binary, code);
    return format_to(buf, bounded(cap), "error: \"{}\" failed with exit code {}", binary, code);
}

size_t unknown_job_message(uint32_t job, char* buf, size_t cap) {
    return format_to(buf, bounded(cap), "error: unknown job {}: `jobs` lists the running ones", job);
}

}  // namespace capos::shell

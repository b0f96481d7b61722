// lib/shell: the shell's command language. The exact one-line messages are
// checked here; qemu.shell_* scenarios check them again through the shell.
#include "lib/shell/command.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

using namespace capos;
using namespace capos::shell;

namespace {

std::string str(StringView v) { return std::string(v.data(), v.size()); }

// The command's views point into `line`, which the Parsed keeps alive.
struct Parsed {
    std::shared_ptr<std::string> line;
    bool ok;
    Command cmd;
    SyntaxError err;
    std::string message;
};

Parsed parse_str(const std::string& text) {
    Parsed p{};
    p.line = std::make_shared<std::string>(text);
    const std::string& line = *p.line;
    p.ok = parse(StringView(line.data(), line.size()), p.cmd, p.err);
    if (!p.ok) {
        char buf[kMessageMax + 1];
        size_t n = syntax_error_message(p.err, StringView(line.data(), line.size()), buf, sizeof buf);
        p.message.assign(buf, n);
    }
    return p;
}

constexpr uint64_t kConsole = 0xcab0500000010001ull;
constexpr uint64_t kTimer = 0xcab0500000010002ull;
constexpr uint64_t kEndpoint = 0xcab0500000010006ull;
constexpr uint64_t kStdIO = 0xcab050000001000full;

const InterfaceName kNames[] = {
    {kConsole, "Console"}, {kTimer, "Timer"}, {kEndpoint, "Endpoint"}, {kStdIO, "StdIO"}};

const HeldCap kHeld[] = {
    {"console", kConsole, 0},
    {"timer", kTimer, 0},
    {"stdio", kEndpoint, kStdIO},
    {"raw", kEndpoint, 0},
};

}  // namespace

TEST(ShellParse, BlankLinesAreEmpty) {
    for (const char* s : {"", "   ", "\t \t"}) {
        Parsed p = parse_str(s);
        EXPECT_TRUE(p.ok) << s;
        EXPECT_EQ(p.cmd.kind, CommandKind::Empty);
    }
}

TEST(ShellParse, SimpleCommands) {
    const std::pair<const char*, CommandKind> cases[] = {
        {"help", CommandKind::Help},     {" caps ", CommandKind::Caps},  {"jobs", CommandKind::Jobs},
        {"exit\t", CommandKind::Exit},   {"setup", CommandKind::Setup},  {"login", CommandKind::Login},
        {"logout", CommandKind::Logout}, {"guest", CommandKind::Guest},
    };
    for (auto [s, k] : cases) {
        Parsed p = parse_str(s);
        EXPECT_TRUE(p.ok) << s;
        EXPECT_EQ(p.cmd.kind, k) << s;
    }
}

TEST(ShellParse, TrailingWordsAreSyntaxErrors) {
    Parsed p = parse_str("help me");
    ASSERT_FALSE(p.ok);
    EXPECT_EQ(p.message, "error: syntax error at column 6: expected the end of the line, got 'm'");
}

TEST(ShellParse, UnknownCommand) {
    Parsed p = parse_str("  frobnicate");
    ASSERT_FALSE(p.ok);
    EXPECT_EQ(p.message,
              "error: syntax error at column 3: expected a command (help, caps, run, spawn, wait, "
              "jobs, exit, setup, login, logout, guest), got 'f'");
}

TEST(ShellParse, RunWithoutGrants) {
    Parsed p = parse_str("run \"hello\"");
    ASSERT_TRUE(p.ok) << p.message;
    EXPECT_EQ(p.cmd.kind, CommandKind::Run);
    EXPECT_EQ(str(p.cmd.binary), "hello");
    EXPECT_EQ(p.cmd.grant_count, 0u);
}

TEST(ShellParse, RunWithGrants) {
    Parsed p = parse_str("run \"hello\" with { console: @console, io:client @stdio , t : @timer, }");
    ASSERT_TRUE(p.ok) << p.message;
    EXPECT_EQ(p.cmd.kind, CommandKind::Run);
    ASSERT_EQ(p.cmd.grant_count, 3u);
    EXPECT_EQ(str(p.cmd.grants[0].name), "console");
    EXPECT_EQ(str(p.cmd.grants[0].source), "console");
    EXPECT_FALSE(p.cmd.grants[0].client);
    EXPECT_EQ(p.cmd.grants[0].column, 30u);
    EXPECT_EQ(str(p.cmd.grants[1].name), "io");
    EXPECT_EQ(str(p.cmd.grants[1].source), "stdio");
    EXPECT_TRUE(p.cmd.grants[1].client);
    EXPECT_EQ(str(p.cmd.grants[2].name), "t");
    EXPECT_EQ(str(p.cmd.grants[2].source), "timer");
}

TEST(ShellParse, SpawnAndEmptyBraces) {
    Parsed p = parse_str("spawn \"exit_code\" with {}");
    ASSERT_TRUE(p.ok) << p.message;
    EXPECT_EQ(p.cmd.kind, CommandKind::Spawn);
    EXPECT_EQ(str(p.cmd.binary), "exit_code");
    EXPECT_EQ(p.cmd.grant_count, 0u);
}

TEST(ShellParse, Wait) {
    Parsed p = parse_str("wait 12");
    ASSERT_TRUE(p.ok);
    EXPECT_EQ(p.cmd.kind, CommandKind::Wait);
    EXPECT_EQ(p.cmd.job, 12u);
    EXPECT_EQ(parse_str("wait").message,
              "error: syntax error at column 5 (the end): expected a space and a job number");
    EXPECT_EQ(parse_str("wait 0").message,
              "error: syntax error at column 6: expected a job number from 1 to 999999, got '0'");
    EXPECT_EQ(parse_str("wait 1000000").message,
              "error: syntax error at column 6: expected a job number from 1 to 999999, got '1'");
    EXPECT_EQ(parse_str("wait x").message,
              "error: syntax error at column 6: expected a job number from 1 to 999999, got 'x'");
}

TEST(ShellParse, SyntaxErrorsNameTheColumn) {
    const std::pair<const char*, const char*> cases[] = {
        {"run hello", "error: syntax error at column 5: expected '\"', got 'h'"},
        {"run \"hello", "error: syntax error at column 11 (the end): expected a closing '\"'"},
        {"run \"\"", "error: syntax error at column 6: expected a binary name, got '\"'"},
        {"run \"hello\" { }", "error: syntax error at column 13: expected 'with' or the end of the line, got '{'"},
        {"run \"hello\"with {}", "error: syntax error at column 12: expected 'with' or the end of the line, got 'w'"},
        {"run \"hello\" with", "error: syntax error at column 17 (the end): expected '{'"},
        {"run \"hello\" with {", "error: syntax error at column 19 (the end): expected '}'"},
        {"run \"hello\" with { console }", "error: syntax error at column 28: expected ':', got '}'"},
        {"run \"hello\" with { console: console }", "error: syntax error at column 29: expected '@' or 'client @', got 'c'"},
        {"run \"hello\" with { c: client console }", "error: syntax error at column 30: expected '@', got 'c'"},
        {"run \"hello\" with { c: @ }", "error: syntax error at column 24: expected a capability name after '@'"},
        {"run \"hello\" with { c: @x d: @y }", "error: syntax error at column 26: expected ',' or '}', got 'd'"},
        {"run \"hello\" with { c: @x } x", "error: syntax error at column 28: expected the end of the line, got 'x'"},
        {"run \"hel\tlo\"", "error: syntax error at column 9: expected printable characters and a closing '\"'"},
    };
    for (auto [line, msg] : cases) {
        Parsed p = parse_str(line);
        EXPECT_FALSE(p.ok) << line;
        EXPECT_EQ(p.message, msg) << line;
    }
}

TEST(ShellParse, LimitsAreSyntaxErrors) {
    std::string long_name(33, 'a');
    Parsed p = parse_str("run \"x\" with { " + long_name + ": @c }");
    EXPECT_FALSE(p.ok);
    EXPECT_EQ(p.err.column, 16u + 32u);
    std::string long_bin(65, 'b');
    p = parse_str("run \"" + long_bin + "\"");
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.message.find("at most 64"), std::string::npos);
    std::string many = "run \"x\" with {";
    for (int i = 0; i < 17; ++i) many += " g" + std::to_string(i) + ": @c,";
    many += "}";
    p = parse_str(many);
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.message.find("at most 16 grants"), std::string::npos);
}

TEST(ShellResolve, CopiesAndMintsClientFacets) {
    Parsed p = parse_str("run \"x\" with { console: @console, io: client @stdio }");
    ASSERT_TRUE(p.ok);
    ResolvedGrant out[kMaxGrants];
    ResolveResult r = resolve(p.cmd, kHeld, 4, kEndpoint, out);
    ASSERT_EQ(r.error, ResolveError::None);
    EXPECT_EQ(out[0].held, 0u);
    EXPECT_EQ(out[0].interface_id, kConsole);
    EXPECT_FALSE(out[0].mint_client);
    EXPECT_EQ(out[1].held, 2u);
    EXPECT_EQ(out[1].interface_id, kStdIO);
    EXPECT_TRUE(out[1].mint_client);
}

std::string resolve_message(const std::string& line) {
    Parsed p = parse_str(line);
    EXPECT_TRUE(p.ok) << line;
    ResolvedGrant out[kMaxGrants];
    ResolveResult r = resolve(p.cmd, kHeld, 4, kEndpoint, out);
    char buf[kMessageMax + 1];
    size_t n = resolve_error_message(r, p.cmd, kHeld, 4, kNames, 4, buf, sizeof buf);
    return std::string(buf, n);
}

TEST(ShellResolve, Errors) {
    EXPECT_EQ(resolve_message("run \"x\" with { a: @nothing }"),
              "error: unknown capability @nothing (column 20): `caps` lists what the shell holds");
    EXPECT_EQ(resolve_message("run \"x\" with { a: client @console }"),
              "error: wrong interface: @console is Console, `client @` needs an Endpoint");
    EXPECT_EQ(resolve_message("run \"x\" with { a: client @raw }"),
              "error: wrong interface: the shell does not know the protocol of @raw");
    EXPECT_EQ(resolve_message("run \"x\" with { a: @console, a: @timer }"),
              "error: grant name a is used twice");
    EXPECT_EQ(resolve_message("run \"x\" with { a: @console }"), "");
}

TEST(ShellMessages, ProgramsAndJobs) {
    char buf[kMessageMax + 1];
    size_t n = unknown_binary_message("nope", buf, sizeof buf);
    EXPECT_EQ(std::string(buf, n), "error: unknown binary \"nope\"");
    n = failed_program_message("exit_code", 42, buf, sizeof buf);
    EXPECT_EQ(std::string(buf, n), "error: \"exit_code\" failed with exit code 42");
    n = failed_program_message("fault", -14, buf, sizeof buf);
    EXPECT_EQ(std::string(buf, n), "error: \"fault\" was killed (code -14)");
    n = unknown_job_message(7, buf, sizeof buf);
    EXPECT_EQ(std::string(buf, n), "error: unknown job 7: `jobs` lists the running ones");
    char tiny[8];
    n = unknown_job_message(7, tiny, sizeof tiny);
    EXPECT_EQ(n, 7u);
    EXPECT_EQ(std::string(tiny), "error: ");
}

TEST(ShellMessages, Sanitize) {
    char buf[8];
    size_t n = sanitize(StringView("a\x1b[b\x7f", 5), buf, sizeof buf);
    EXPECT_EQ(std::string(buf, n), "a?[b?");
    n = sanitize("0123456789", buf, sizeof buf);
    EXPECT_EQ(std::string(buf, n), "0123456");
}

TEST(ShellJobs, NumbersAreNotReused) {
    JobTable<int, 2> jobs;
    EXPECT_EQ(jobs.add("a", 10), 1u);
    EXPECT_EQ(jobs.add("b", 20), 2u);
    EXPECT_EQ(jobs.add("c", 30), 0u);  // full
    ASSERT_NE(jobs.find(2), nullptr);
    EXPECT_EQ(jobs.find(2)->payload, 20);
    jobs.remove(1);
    EXPECT_EQ(jobs.find(1), nullptr);
    EXPECT_EQ(jobs.find(0), nullptr);
    EXPECT_EQ(jobs.add("d", 40), 3u);
    std::vector<uint32_t> ids;
    jobs.each([&](const auto& j) { ids.push_back(j.id); });
    EXPECT_EQ(ids, (std::vector<uint32_t>{2, 3}));
    EXPECT_EQ(jobs.size(), 2u);
}

// Any input: the parser reads only inside the line (ASan sees the copy's
// exact bounds), accepted commands' views lie inside it, and every error is
// one line of at most kMessageMax bytes with a column inside the line + 1.
RC_GTEST_PROP(ShellParse, NoInputCrashesOrOverreads, ()) {
    const auto alphabet = rc::gen::oneOf(
        rc::gen::elementOf(std::string("runspawithclie{}@:,\" \t\"0123456789helpcaps")),
        rc::gen::arbitrary<char>());
    const auto text = *rc::gen::container<std::string>(alphabet);
    std::unique_ptr<char[]> exact(new char[text.size() ? text.size() : 1]);
    std::memcpy(exact.get(), text.data(), text.size());
    StringView line(exact.get(), text.size());
    Command cmd;
    SyntaxError err;
    bool ok = parse(line, cmd, err);
    auto inside = [&](StringView v) {
        return v.empty() || (v.data() >= line.data() && v.data() + v.size() <= line.data() + line.size());
    };
    if (ok) {
        RC_ASSERT(inside(cmd.binary));
        RC_ASSERT(cmd.grant_count <= kMaxGrants);
        for (uint32_t i = 0; i < cmd.grant_count; ++i) {
            RC_ASSERT(inside(cmd.grants[i].name));
            RC_ASSERT(inside(cmd.grants[i].source));
            RC_ASSERT(!cmd.grants[i].name.empty() && cmd.grants[i].name.size() <= kNameMax);
        }
        ResolvedGrant out[kMaxGrants];
        ResolveResult r = resolve(cmd, kHeld, 4, kEndpoint, out);
        char buf[kMessageMax + 1];
        size_t n = resolve_error_message(r, cmd, kHeld, 4, kNames, 4, buf, sizeof buf);
        RC_ASSERT(n <= kMessageMax);
        RC_ASSERT(std::string(buf, n).find('\n') == std::string::npos);
    } else {
        RC_ASSERT(err.column >= 1u);
        RC_ASSERT(err.column <= line.size() + 1);
        char buf[kMessageMax + 1];
        size_t n = syntax_error_message(err, line, buf, sizeof buf);
        RC_ASSERT(n > 0u && n <= kMessageMax);
        std::string m(buf, n);
        RC_ASSERT(m.rfind("error: syntax error at column ", 0) == 0u);
        for (char c : m) RC_ASSERT(c >= 0x20 && c <= 0x7e);
    }
}

// Printing a command back and parsing it again gives the same command.
RC_GTEST_PROP(ShellParse, GeneratedRunCommandsRoundTrip, ()) {
    const auto name_char = rc::gen::elementOf(std::string("abcxyzABC019_-."));
    const auto text = [&](size_t max) {
        return rc::gen::mapcat(rc::gen::inRange<size_t>(1, max + 1), [=](size_t len) {
            return rc::gen::container<std::string>(len, name_char);
        });
    };
    const auto name = text(kNameMax);
    const std::string bin = *text(kBinaryMax);
    const size_t n = *rc::gen::inRange<size_t>(0, kMaxGrants + 1);
    std::string line = "spawn \"" + bin + "\" with {";
    std::vector<std::tuple<std::string, std::string, bool>> gs;
    for (size_t i = 0; i < n; ++i) {
        std::string a = *name, b = *name;
        bool client = *rc::gen::arbitrary<bool>();
        gs.emplace_back(a, b, client);
        line += (i ? ", " : " ") + a + ": " + (client ? "client @" : "@") + b;
    }
    line += " }";
    Parsed p = parse_str(line);
    RC_ASSERT(p.ok);
    RC_ASSERT(str(p.cmd.binary) == bin);
    RC_ASSERT(p.cmd.grant_count == n);
    for (size_t i = 0; i < n; ++i) {
        RC_ASSERT(str(p.cmd.grants[i].name) == std::get<0>(gs[i]));
        RC_ASSERT(str(p.cmd.grants[i].source) == std::get<1>(gs[i]));
        RC_ASSERT(p.cmd.grants[i].client == std::get<2>(gs[i]));
    }
}

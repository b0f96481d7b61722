// mkmanifest, run as the build runs it: `capnp eval --binary` of a
// constant in manifests/cases.capnp, then the tool. Checks the exact
// one-line error for every rejected manifest, and the boot package it
// writes for the good one.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "schema/boot_package.hpp"
#include "schema/capos.capnp.h"
#include "tests/host/codegen/test_util.hpp"
#include "tools/mkmanifest/manifest_check.hpp"

namespace {

const std::string kSource = CAPOS_SOURCE_DIR;
const std::string kTmp = std::string(CAPOS_TEST_TMPDIR) + "/mkmanifest";
const std::string kCases = kSource + "/tests/host/codegen/manifests/cases.capnp";

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
}

struct ToolRun {
    int status = -1;
    std::string err;
};

int sh(const std::string& cmd) {
    int st = std::system(cmd.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Evaluates `constant` to binary; returns its path.
std::string eval(const std::string& constant) {
    std::filesystem::create_directories(kTmp);
    std::string bin = kTmp + "/" + constant + ".bin";
    std::string cmd = std::string(CAPOS_CAPNP_EXE) + " eval --binary -I " + kSource + " " + kCases + " " +
                      constant + " > " + bin;
    EXPECT_EQ(sh(cmd), 0) << cmd;
    return bin;
}

// Fake ELF images (mkmanifest does not look inside them).
std::string image(const std::string& name) {
    std::filesystem::create_directories(kTmp);
    std::string path = kTmp + "/" + name + ".elf";
    write(path, "\x7f" "ELF fake image of " + name);
    return path;
}

const std::string kAllBinaries =
    " --binary init=" + image("init") + " --binary logger=" + image("logger") + " --binary app=" + image("app");

ToolRun mkmanifest(const std::string& args, const std::string& out) {
    std::string err = kTmp + "/stderr.txt";
    std::filesystem::remove(out);
    ToolRun r;
    r.status = sh(std::string(CAPOS_MKMANIFEST_EXE) + " " + args + " -o " + out + " 2> " + err);
    r.err = slurp(err);
    return r;
}

ToolRun run_case(const std::string& constant, const std::string& extra = kAllBinaries) {
    return mkmanifest("--manifest " + eval(constant) + extra, kTmp + "/" + constant + ".pkg");
}

std::string error_line(const std::string& message) { return "mkmanifest: error: " + message + "\n"; }

}  // namespace

TEST(Mkmanifest, GoodManifestMakesAValidDeterministicPackage) {
    ToolRun r = run_case("good");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    std::string pkg = slurp(kTmp + "/good.pkg");
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(pkg.data()), pkg.size());
    EXPECT_EQ(capos::mkmanifest::validate_boot_package(bytes), std::nullopt);
    EXPECT_EQ(sh(std::string(CAPOS_MKMANIFEST_EXE) + " --check-package " + kTmp + "/good.pkg"), 0);

    auto msg = capos::boot_package::manifest_of(bytes);
    ASSERT_TRUE(msg.ok());
    auto words = codegen_test::words_of(msg.value());
    ::capnp::FlatArrayMessageReader reader(words);
    EXPECT_EQ(reader.getSegment(1).size(), 0u) << "one segment expected";
    auto m = reader.getRoot<capos::host::SystemManifest>();
    ASSERT_EQ(m.getBinaries().size(), 3u);
    for (auto b : m.getBinaries()) {
        std::string want = slurp(image(b.getName().cStr()));
        auto elf = b.getElf();
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(elf.begin()), elf.size()), want);
    }
    EXPECT_EQ(std::string(m.getKernelParams().getMotd().cStr()), "test");
    EXPECT_EQ(m.getServices()[0].getProfile().getMappedPages(), 512u);

    // Same inputs, same bytes (binary order on the command line is irrelevant).
    ToolRun again = mkmanifest("--manifest " + eval("good") + " --binary app=" + image("app") +
                               " --binary logger=" + image("logger") + " --binary init=" + image("init"),
                           kTmp + "/good2.pkg");
    ASSERT_EQ(again.status, 0) << again.err;
    EXPECT_TRUE(slurp(kTmp + "/good2.pkg") == pkg);
}

TEST(Mkmanifest, ReportsEachProblemOnOneLine) {
    struct Case {
        const char* constant;
        std::string message;
    };
    const Case cases[] = {
        {"schemaVersion", "schema version mismatch: manifest has 2, mkmanifest expects 1"},
        {"duplicateBinary", "duplicate binary 'init'"},
        {"unknownInitBinary", "initConfig: unknown binary 'ghost'"},
        {"unknownBinary", "service 'log': unknown binary 'nope'"},
        {"duplicateService", "duplicate service name 'log'"},
        {"missingService", "service 'app': grant 'out': unknown service 'ghost'"},
        {"missingExport", "service 'app': grant 'out': service 'log' has no export 'nope'"},
        {"wrongKernelInterface",
         "service 'log': grant 'console': interface id 0xcab0500000010002 does not match kernel "
         "capability 'console' (0xcab0500000010001)"},
        {"wrongExportInterface",
         "service 'app': grant 'out': interface id 0xcab0500000010001 does not match export 'log.log' "
         "(0xcab05000aaaa0001)"},
        {"cycle", "dependency cycle: a -> b -> c -> a"},
        {"selfCycle", "dependency cycle: a -> a"},
        {"noSource", "service 'log': grant 'x': no source"},
        {"initServiceSource", "initConfig: grant 'log': only kernel sources are allowed in initConfig"},
        {"duplicateGrant", "service 'log': duplicate grant name 'console'"},
        {"badGrantName", "service 'log': grant #0: name 'my cap' contains a space or non-printable byte"},
        {"longServiceName", "service #0: name 'a-service-name-longer-than-32-bytes' is longer than 32 bytes"},
        {"endpointWithoutInterface", "service 'log': grant 'ep': endpoint grant needs a non-zero interface id"},
    };
    for (const Case& c : cases) {
        ToolRun r = run_case(c.constant);
        EXPECT_EQ(r.status, 1) << c.constant;
        EXPECT_EQ(r.err, error_line(c.message)) << c.constant;
        EXPECT_FALSE(std::filesystem::exists(kTmp + "/" + c.constant + ".pkg")) << c.constant;
    }
}

TEST(Mkmanifest, CommandLineProblems) {
    std::string good = eval("good");
    ToolRun unknown = mkmanifest("--manifest " + good + kAllBinaries + " --binary ghost=" + image("ghost"),
                             kTmp + "/x.pkg");
    EXPECT_EQ(unknown.status, 1);
    EXPECT_EQ(unknown.err, error_line("--binary 'ghost': unknown binary (not in the manifest's binaries)"));

    ToolRun missing = mkmanifest("--manifest " + good + " --binary init=" + image("init") + " --binary app=" +
                                 image("app"),
                             kTmp + "/x.pkg");
    EXPECT_EQ(missing.status, 1);
    EXPECT_EQ(missing.err, error_line("binary 'logger' has no image (pass --binary logger=PATH)"));

    ToolRun twice = mkmanifest("--manifest " + good + kAllBinaries + " --binary app=" + image("app"), kTmp + "/x.pkg");
    EXPECT_EQ(twice.status, 1);
    EXPECT_EQ(twice.err, error_line("--binary 'app' given twice"));

    ToolRun unreadable = mkmanifest("--manifest " + good + " --binary init=" + image("init") + " --binary logger=" +
                                    image("logger") + " --binary app=" + kTmp + "/does-not-exist",
                                kTmp + "/x.pkg");
    EXPECT_EQ(unreadable.status, 1);
    EXPECT_EQ(unreadable.err, error_line("--binary 'app': cannot read '" + kTmp +
                                         "/does-not-exist': No such file or directory"));

    write(kTmp + "/odd.bin", "twelve bytes");
    ToolRun odd = mkmanifest("--manifest " + kTmp + "/odd.bin", kTmp + "/x.pkg");
    EXPECT_EQ(odd.status, 1);
    EXPECT_EQ(odd.err, error_line("manifest message is 12 bytes, not a multiple of 8"));

    write(kTmp + "/garbage.bin", std::string(16, '\xff'));
    ToolRun garbage = mkmanifest("--manifest " + kTmp + "/garbage.bin", kTmp + "/x.pkg");
    EXPECT_EQ(garbage.status, 1);
    EXPECT_EQ(garbage.err.rfind("mkmanifest: error: malformed manifest message: ", 0), 0u) << garbage.err;
    EXPECT_EQ(std::count(garbage.err.begin(), garbage.err.end(), '\n'), 1);

    ToolRun usage = mkmanifest("--manifest", kTmp + "/x.pkg");
    EXPECT_EQ(usage.status, 2);
    EXPECT_FALSE(std::filesystem::exists(kTmp + "/x.pkg"));
}

TEST(Mkmanifest, CheckPackageRejectsACorruptPackage) {
    ToolRun r = run_case("good");
    ASSERT_EQ(r.status, 0) << r.err;
    std::string pkg = slurp(kTmp + "/good.pkg");
    pkg[0] = 'X';
    write(kTmp + "/bad.pkg", pkg);
    std::string err = kTmp + "/check.txt";
    EXPECT_EQ(sh(std::string(CAPOS_MKMANIFEST_EXE) + " --check-package " + kTmp + "/bad.pkg 2> " + err), 1);
    EXPECT_EQ(slurp(err), error_line("bad boot package: bad magic"));
}

TEST(Mkmanifest, DefaultSystemManifestIsValid) {
    std::string bin = kTmp + "/default.bin";
    std::filesystem::create_directories(kTmp);
    ASSERT_EQ(sh(std::string(CAPOS_CAPNP_EXE) + " eval --binary -I " + kSource + " " + kSource +
                 "/system/default.capnp manifest > " + bin),
              0);
    // Every binary system/default.capnp names (mkmanifest refuses one
    // without an image, so a name added there must be added here).
    std::string binaries;
    for (const char* name : {"init", "shell", "auth", "audit", "hello", "greet", "exit_code", "memshare"})
        binaries += std::string(" --binary ") + name + "=" + image(name);
    ToolRun r = mkmanifest("--manifest " + bin + binaries, kTmp + "/default.pkg");
    EXPECT_EQ(r.status, 0) << r.err;
}

// Found by the fuzzer: libcapnp accepts a zero-length list whose pointer
// lands outside the segment; lib/capnp (the target's reader) rejects it.
// mkmanifest must reject what the target cannot read.
TEST(Mkmanifest, CheckPackageUsesTheTargetReaderToo) {
    std::string pkg = kSource + "/tests/host/codegen/manifests/lenient-zero-length-list.pkg";
    std::string err = kTmp + "/lenient.txt";
    std::filesystem::create_directories(kTmp);
    EXPECT_EQ(sh(std::string(CAPOS_MKMANIFEST_EXE) + " --check-package " + pkg + " 2> " + err), 1);
    EXPECT_EQ(slurp(err), error_line("manifest does not decode on the target: initConfig.grants: " +
                                     std::string(capos::error_name(capos::Error::CapnpOutOfBounds))));
}

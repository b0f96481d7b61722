// Pins capnpc-capos's output for fixture.capnp to the committed golden
// file, and checks that generation is deterministic (two runs, same bytes).

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

const std::string kSource = CAPOS_SOURCE_DIR;
const std::string kGolden = kSource + "/tests/host/codegen/fixture.capnp.hpp.golden";
const std::string kBuilt = std::string(CAPOS_GENERATED_DIR) + "/tests/host/codegen/fixture.capnp.hpp";

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// "line N: expected ... / got ..." for the first difference.
std::string first_difference(const std::string& want, const std::string& got) {
    std::istringstream a(want), b(got);
    std::string la, lb;
    for (int n = 1;; ++n) {
        bool ea = !std::getline(a, la), eb = !std::getline(b, lb);
        if (ea && eb) return "identical";
        if (ea || eb || la != lb)
            return "line " + std::to_string(n) + ":\n  golden:    " + (ea ? "<end>" : la) +
                   "\n  generated: " + (eb ? "<end>" : lb);
    }
}

std::string generate_into(const std::string& dir) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::string cmd = std::string(CAPOS_CAPNP_EXE) + " compile -I" + kSource + " --src-prefix=" + kSource +
                      " -o" + CAPOS_CAPNPC_CAPOS_EXE + ":" + dir + " " + kSource +
                      "/tests/host/codegen/fixture.capnp";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return slurp(dir + "/tests/host/codegen/fixture.capnp.hpp");
}

}  // namespace

TEST(Golden, FixtureHeaderMatchesGolden) {
    std::string golden = slurp(kGolden);
    std::string built = slurp(kBuilt);
    ASSERT_FALSE(golden.empty()) << "missing " << kGolden;
    ASSERT_FALSE(built.empty()) << "missing " << kBuilt;
    EXPECT_TRUE(golden == built) << "capnpc-capos output differs from the golden file, "
                                 << first_difference(golden, built)
                                 << "\nIf the change is intended, update the golden file:\n  cp " << kBuilt
                                 << " " << kGolden;
}

TEST(Golden, GenerationIsDeterministic) {
    std::string dir = std::string(CAPOS_TEST_TMPDIR) + "/golden";
    std::string one = generate_into(dir + "1");
    std::string two = generate_into(dir + "2");
    ASSERT_FALSE(one.empty());
    EXPECT_TRUE(one == two) << first_difference(one, two);
    EXPECT_TRUE(one == slurp(kGolden)) << first_difference(slurp(kGolden), one);
}

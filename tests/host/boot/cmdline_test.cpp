#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/boot/cmdline.hpp"

using namespace capos;
using namespace capos::boot;

TEST(Cmdline, SplitsKeysAndValues) {
    CmdlineParser p("  log=debug shutdown\ttest=frames  a=  =b ");
    std::vector<std::string> got;
    CmdlineOption o;
    while (p.next(o))
        got.push_back(std::string(o.key.data(), o.key.size()) + (o.has_value ? "=" : "") +
                      std::string(o.value.data(), o.value.size()));
    EXPECT_EQ(got, (std::vector<std::string>{"log=debug", "shutdown", "test=frames", "a=", "=b"}));
}

TEST(Cmdline, EmptyLineHasNoOptions) {
    CmdlineParser p("   ");
    CmdlineOption o;
    EXPECT_FALSE(p.next(o));
}

// Kernel command line: space-separated `key` or `key=value` options.
#pragma once

#include <cstddef>

#include "lib/base/string_view.hpp"

namespace capos::boot {

struct CmdlineOption {
    StringView key;
    StringView value;  // empty when the option has no '='
    bool has_value;
};

// Iterates options in order. Empty tokens are skipped.
class CmdlineParser {
public:
    explicit CmdlineParser(StringView line) : line_(line) {}
    bool next(CmdlineOption& out);

private:
    StringView line_;
    size_t pos_ = 0;
};

}  // namespace capos::boot

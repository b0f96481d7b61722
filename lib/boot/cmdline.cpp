#include "lib/boot/cmdline.hpp"

namespace capos::boot {

bool CmdlineParser::next(CmdlineOption& out) {
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (pos_ < line_.size() && is_space(line_[pos_])) ++pos_;
    if (pos_ >= line_.size()) return false;
    size_t start = pos_;
    while (pos_ < line_.size() && !is_space(line_[pos_])) ++pos_;
    StringView tok = line_.substr(start, pos_ - start);
    size_t eq = tok.find('=');
    if (eq == StringView::npos) {
        out = {tok, StringView(), false};
    } else {
        out = {tok.substr(0, eq), tok.substr(eq + 1), true};
    }
    return true;
}

}  // namespace capos::boot

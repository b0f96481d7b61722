// Helpers shared by the codegen tests.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/base/error.hpp"
#include "lib/capnp/capnp.hpp"

// Unwraps a capos::Result or fails the test (gtest reports the exception).
#define MUST(expr)                                                                         \
    ({                                                                                     \
        auto _must_r = (expr);                                                             \
        if (!_must_r.ok()) {                                                               \
            ADD_FAILURE() << #expr << " failed: " << capos::error_name(_must_r.error());   \
            throw std::runtime_error(#expr);                                               \
        }                                                                                  \
        _must_r.release_value();                                                           \
    })

namespace codegen_test {

inline std::string sv(capos::StringView s) { return std::string(s.data(), s.size()); }

inline std::vector<uint8_t> bytes_of(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

// An aligned copy of a flat message for libcapnp.
inline kj::Array<::capnp::word> words_of(std::span<const uint8_t> bytes) {
    auto words = kj::heapArray<::capnp::word>((bytes.size() + 7) / 8);
    memset(words.begin(), 0, words.size() * 8);
    memcpy(words.begin(), bytes.data(), bytes.size());
    return words;
}

// A libcapnp message flattened (segment table + segments).
inline std::vector<uint8_t> flatten(::capnp::MessageBuilder& mb) {
    auto flat = ::capnp::messageToFlatArray(mb);
    auto b = flat.asBytes();
    return {b.begin(), b.end()};
}

}  // namespace codegen_test

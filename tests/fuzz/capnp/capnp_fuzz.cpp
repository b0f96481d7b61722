// libFuzzer target for lib/capnp's reader: parse the input as a framed
// message, walk every pointer recursively within small limits, then
// deep-copy it with the builder and check the copy walks the same.
//
// Oracles: no sanitizer report; every failure is a typed Capnp* error; a
// message that walks cleanly copies cleanly (or runs out of buffer) and its
// copy has the same shape.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lib/capnp/capnp.hpp"
#include "tests/fuzz/capnp/walk.hpp"

using namespace capos;
using namespace capos::capnp;

namespace {

ReaderOptions fuzz_options() {
    ReaderOptions o;
    o.traversal_limit_words = 1u << 14;  // keeps each input fast
    o.max_segments = 64;
    return o;
}

void check(bool ok) {
    if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> bytes(data, size);
    MessageReader msg(bytes, fuzz_options());
    auto walked = testing::walk_message(msg);
    if (!walked.ok()) {
        check(testing::is_capnp_error(walked.error()));
        return 0;
    }

    static std::vector<Word> buffer(1u << 16);
    MessageReader again(bytes, fuzz_options());
    MessageBuilder copy(buffer);
    auto copied = copy.root_pointer().set_copy(again.root_pointer());
    if (!copied.ok()) {
        check(copied.error() == Error::CapnpBufferTooSmall);
        return 0;
    }
    MessageReader copy_reader(copy.bytes(), fuzz_options());
    auto rewalked = testing::walk_message(copy_reader);
    check(rewalked.ok());
    const testing::WalkStats& a = walked.value();
    const testing::WalkStats& b = rewalked.value();
    check(a.structs == b.structs && a.lists == b.lists && a.capabilities == b.capabilities &&
          a.texts == b.texts);
    return 0;
}

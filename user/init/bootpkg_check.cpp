// bootpkg_check: the BootPackage capability's contract (schema/capos.capnp,
// docs/boot.md), as qemu.init_bootpkg runs it. Prints
// "bootpkg: N bytes, chunkings agree, bounds ok" and exits 0, else the
// number of the failed check:
//   1 no "console" or no "bootpkg" capability   2 manifestSize failed or 0
//   3 readManifest(0, 0) is not empty            4 the segment table disagrees with the size
//   5 the end is not empty                       6 offset > size does not raise invalidArgument
//   7 a read that ends at the end is not cut     8 an unbounded read exceeds bootPackageMaxChunk
//   9 reading in 4093- and 32768-byte chunks gives different bytes or sizes
#include <cstdint>

#include "lib/base/format.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/console.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/transport.hpp"

CAPOS_RT_HEAP_BYTES(64 * 1024);

namespace {
namespace rt = capos::rt;
namespace schema = capos::schema;

capos::capnp::Word g_params[16];
alignas(8) uint8_t g_results[schema::kBootPackageMaxChunk + 256];

// FNV-1a over the whole manifest read in chunks of `chunk` bytes; the number
// of bytes read in *total. False if a call fails or a chunk is empty early.
bool hash_manifest(schema::BootPackage::Client& boot, capos::rpc::CallBuffers& b, uint64_t size, uint32_t chunk,
                   uint64_t* hash, uint64_t* total) {
    uint64_t h = 1469598103934665603ull;
    uint64_t have = 0;
    for (;;) {
        auto r = boot.read_manifest(b, have, chunk);
        if (!r) return false;
        auto data = r.value().data();
        if (!data) return false;
        if (data.value().empty()) break;
        if (data.value().size() > chunk) return false;
        for (uint8_t c : data.value()) h = (h ^ c) * 1099511628211ull;
        have += data.value().size();
        if (have > size) return false;
    }
    *hash = h;
    *total = have;
    return true;
}
}  // namespace

int capos_main(const rt::StartInfo&) {
    auto transport = rt::transport();
    if (!transport || !rt::console()) return 1;
    auto boot = rt::capset().client<schema::BootPackage>("bootpkg", *transport.value());
    if (!boot) return 1;
    capos::rpc::CallBuffers b(g_params, g_results);

    auto sized = boot.value().manifest_size(b);
    if (!sized || sized.value().size() == 0) return 2;
    uint64_t size = sized.value().size();

    auto none = boot.value().read_manifest(b, 0, 0);
    if (!none || !none.value().data() || !none.value().data().value().empty()) return 3;

    // mkmanifest writes one segment: u32 count - 1 = 0, u32 words, then the words.
    auto head = boot.value().read_manifest(b, 0, 8);
    if (!head || !head.value().data() || head.value().data().value().size() != 8) return 4;
    auto h = head.value().data().value();
    uint32_t count_minus_one = h[0] | h[1] << 8 | h[2] << 16 | uint32_t{h[3]} << 24;
    uint64_t words = h[4] | h[5] << 8 | h[6] << 16 | uint64_t{h[7]} << 24;
    if (count_minus_one != 0 || 8 + words * 8 != size) return 4;

    auto end = boot.value().read_manifest(b, size, 64);
    if (!end || !end.value().data() || !end.value().data().value().empty()) return 5;

    auto past = boot.value().read_manifest(b, size + 1, 64);
    if (past || past.error() != capos::Error::CapException) return 6;
    auto ex = b.exception();
    if (!ex || ex.value().kind != capos::rpc::ExceptionKind::InvalidArgument) return 6;

    auto tail = boot.value().read_manifest(b, size - 3, 64);
    if (!tail || !tail.value().data() || tail.value().data().value().size() != 3) return 7;

    auto big = boot.value().read_manifest(b, 0, UINT32_MAX);
    if (!big || !big.value().data()) return 8;
    size_t n = big.value().data().value().size();
    if (n == 0 || n > schema::kBootPackageMaxChunk) return 8;

    uint64_t h1 = 0, h2 = 0, t1 = 0, t2 = 0;
    if (!hash_manifest(boot.value(), b, size, 4093, &h1, &t1)) return 9;
    if (!hash_manifest(boot.value(), b, size, 32768, &h2, &t2)) return 9;
    if (h1 != h2 || t1 != size || t2 != size) return 9;

    char line[96];
    capos::format_to(line, sizeof(line), "bootpkg: {} bytes, chunkings agree, bounds ok (largest chunk {})", size, n);
    if (!rt::print_line(line)) return 1;
    return 0;
}

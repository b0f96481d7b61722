// init: the first process (docs/boot.md, issue #8). Reads the boot manifest
// through its BootPackage capability ("bootpkg") in bounded chunks into
// pages it maps with its VirtualMemory capability ("vm"; without one, into
// its heap, which then limits the manifest to about 1 MiB), decodes it with the generated readers, validates the service graph
// (lib/boot/service_graph) and prints the start order:
//
//   init: start order: log, app, web
//
// or the refusal, naming the culprit:
//
//   init: manifest refused: service 'app': grant 'out': unknown service 'ghost'
//
// It starts nothing yet. TODO(issue #8): once ProcessSpawner lands, spawn the
// services in this order with their grants (kernel capabilities; endpoints
// served by earlier services as client facets; profiles), wait on their
// handles and log each start and exit.
//
// Exit codes: 0 the graph is valid; 1 no "console" or no "bootpkg" capability;
// 2 reading the manifest failed; 3 it does not decode (or is too large for
// the heap); 4 the graph was refused.
#include <cstddef>
#include <cstdint>
#include <new>

#include "lib/base/format.hpp"
#include "lib/boot/service_graph.hpp"
#include "lib/boot/service_graph_decode.hpp"
#include "lib/capnp/reader.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/console.hpp"
#include "user/rt/heap.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/transport.hpp"

// The decoded graph (and, without "vm", the manifest itself) lives here.
CAPOS_RT_HEAP_BYTES(1024 * 1024);

namespace {

namespace rt = capos::rt;
namespace schema = capos::schema;
namespace boot = capos::boot;
using capos::StringView;

// One readManifest chunk; the result buffer holds it plus the message framing.
constexpr uint32_t kChunk = 32 * 1024;
capos::capnp::Word g_params[16];
alignas(8) uint8_t g_results[kChunk + 256];

// A line for the console, truncated to the kernel's limit.
class LineSink final : public capos::Sink {
public:
    void write(const char* data, size_t len) override {
        for (size_t i = 0; i < len && len_ < sizeof(buf_) - 1; ++i) buf_[len_++] = data[i];
    }
    StringView view() const { return StringView(buf_, len_); }

private:
    char buf_[1024];
    size_t len_ = 0;
};

void print(StringView line) { (void)rt::print_line(line); }

template <typename T>
T* alloc_array(size_t n) {
    auto* p = static_cast<T*>(rt::alloc(n * sizeof(T) + 1));
    if (!p) return nullptr;
    for (size_t i = 0; i < n; ++i) new (&p[i]) T();
    return p;
}

// Memory for `size` bytes of manifest, 8-byte aligned: fresh pages from
// VirtualMemory when init holds "vm", else the heap.
capos::Result<uint8_t*> manifest_buffer(capos::rpc::CallBuffers& buffers, uint64_t size) {
    auto vm = rt::capset().client<schema::VirtualMemory>("vm", *TRY(rt::transport()));
    if (vm) {
        uint64_t bytes = (size + schema::kPageSize - 1) / schema::kPageSize * schema::kPageSize;
        auto mapped = TRY(vm.value().map(buffers, 0, bytes, schema::kProtRead | schema::kProtWrite));
        return reinterpret_cast<uint8_t*>(mapped.addr());
    }
    if (size > rt::kMaxHeapBytes) return capos::Error::OutOfMemory;
    auto* bytes = static_cast<uint8_t*>(rt::alloc(static_cast<size_t>(size)));
    if (!bytes) return capos::Error::OutOfMemory;
    return bytes;
}

// Reads the whole manifest message (in chunks until `size` bytes).
capos::Result<std::span<const uint8_t>> read_manifest(schema::BootPackage::Client& boot) {
    capos::rpc::CallBuffers buffers(g_params, g_results);
    uint64_t size = TRY(boot.manifest_size(buffers)).size();
    if (size == 0) return capos::Error::Malformed;
    uint8_t* bytes = TRY(manifest_buffer(buffers, size));
    uint64_t have = 0;
    while (have < size) {
        auto chunk = TRY(TRY(boot.read_manifest(buffers, have, kChunk)).data());
        if (chunk.empty() || chunk.size() > size - have) return capos::Error::Malformed;
        for (size_t i = 0; i < chunk.size(); ++i) bytes[have + i] = chunk[i];
        have += chunk.size();
    }
    return std::span<const uint8_t>(bytes, static_cast<size_t>(size));
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    auto transport = rt::transport();
    if (!transport) return 1;
    if (!rt::console()) return 1;
    auto boot = rt::capset().client<schema::BootPackage>("bootpkg", *transport.value());
    if (!boot) {
        print("init: no BootPackage capability named 'bootpkg'");
        return 1;
    }
    LineSink line;
    auto bytes = read_manifest(boot.value());
    if (!bytes) {
        capos::format(line, "init: cannot read the manifest: {}", bytes.error());
        print(line.view());
        return 2;
    }

    capos::capnp::MessageReader reader(bytes.value());
    auto fail_decode = [&](capos::Error e) {
        capos::format(line, "init: manifest refused: it does not decode: {}", e);
        print(line.view());
        return 3;
    };
    auto root = schema::SystemManifest::read_root(reader);
    if (!root) return fail_decode(root.error());
    auto counts = boot::count_manifest(root.value());
    if (!counts) return fail_decode(counts.error());
    boot::ManifestCounts n = counts.value();
    boot::ManifestStorage storage{
        {alloc_array<boot::BinaryInfo>(n.binaries), n.binaries},
        {alloc_array<boot::ServiceInfo>(n.services), n.services},
        {alloc_array<boot::GrantInfo>(n.grants), n.grants},
    };
    auto* order = alloc_array<uint32_t>(n.services);
    size_t scratch_n = size_t{n.services} + n.grants;
    auto* scratch = alloc_array<uint32_t>(scratch_n);
    if (!storage.binaries.data() || !storage.services.data() || !storage.grants.data() || !order || !scratch)
        return fail_decode(capos::Error::OutOfMemory);
    auto info = boot::decode_manifest(root.value(), storage);
    if (!info) return fail_decode(info.error());
    const boot::ManifestInfo& m = info.value();

    capos::format(line, "init: manifest: {} bytes, {} binaries, {} services", bytes.value().size(),
                  m.binaries.size(), m.services.size());
    print(line.view());

    boot::GraphError error;
    if (!boot::validate_service_graph(m, {}, std::span<uint32_t>(order, n.services),
                                      std::span<uint32_t>(scratch, scratch_n), &error)) {
        LineSink refused;
        capos::format(refused, "init: manifest refused: ");
        boot::format_graph_error(refused, m, error);
        print(refused.view());
        print("init: no service started");
        return 4;
    }
    LineSink started;
    capos::format(started, "init: start order:");
    for (uint32_t i = 0; i < n.services; ++i)
        capos::format(started, "{}{}", i ? ", " : " ", m.services[order[i]].name);
    if (n.services == 0) capos::format(started, " (no services)");
    print(started.view());
    // TODO(issue #8): spawn each service in `order` through ProcessSpawner.
    print("init: spawning waits for ProcessSpawner (issue #8); no service started");
    return 0;
}

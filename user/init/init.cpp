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
// With a ProcessSpawner ("spawner") it then starts the services in that
// order, each with exactly its grants: kernel capabilities and fresh
// endpoints as the manifest says (for the kinds the spawner does not mint,
// BootPackage, SessionBroker and TerminalSession, a copy of init's own),
// and every import (`service` source) as
// the client facet the exporter's spawn returned, passed by Copy. A service
// that fails to start is reported by name and reason, and services that
// import from it are not started; the rest are. init then waits on every
// handle and logs each exit:
//
//   init: started 'log'
//   init: service 'app' not started: it imports from 'web', which did not start
//   init: 1 of 3 services running: log
//   init: 'log' exited with code 0
//   init: every service has exited
//
// Exit codes: 0 the graph is valid (whatever the services did); 1 no
// "console" or no "bootpkg" capability; 2 reading the manifest failed; 3 it
// does not decode (or is too large for the heap); 4 the graph was refused.
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
#include "user/rt/ring_client.hpp"
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

// ---------------------------------------------------------------------------
// Spawning

constexpr uint32_t kMaxServices = 64;
constexpr uint32_t kMaxExports = 16;

struct Started {
    capos::abi::CapId handle = capos::abi::kCapIdNone;
    capos::abi::CapId exports[kMaxExports] = {};  // client facets, in endpoint-grant order
    uint32_t export_count = 0;
    bool running = false;
};
Started g_started[kMaxServices];

capos::capnp::Word g_spawn_params[2048];
alignas(8) uint8_t g_spawn_results[1024];

// Kernel kinds ProcessSpawner.spawn does not mint (kernel/cap/spawner.cpp):
// authority a parent hands down from what it holds.
bool spawner_mints(schema::KernelCap k) {
    return k != schema::KernelCap::BootPackage && k != schema::KernelCap::SessionBroker &&
           k != schema::KernelCap::Terminal;
}

// init's own capability of interface `iid` (the first CapSet entry with
// it), or kCapIdNone.
capos::abi::CapId held_cap(uint64_t iid) {
    const rt::CapSet& caps = rt::capset();
    for (uint32_t i = 0; i < caps.count(); ++i)
        if (caps.entry(i).interface_id == iid) return caps.entry(i).cap_id;
    return capos::abi::kCapIdNone;
}

// Starts service `s` of the manifest through the spawner. On failure,
// describes why in `why`.
bool spawn_service(capos::abi::CapId spawner, schema::SystemManifest::Reader manifest, const boot::ManifestInfo& m,
                   uint32_t s, LineSink& why) {
    auto services = manifest.services();
    if (!services) return false;
    auto svc = services.value()[s];
    auto grants = svc.grants();
    if (!grants) return false;
    capos::capnp::MessageBuilder msg(g_spawn_params);
    auto root = msg.init_root(schema::ProcessSpawner::SpawnParams::kDataWords,
                              schema::ProcessSpawner::SpawnParams::kPointerCount);
    if (!root) return false;
    schema::ProcessSpawner::SpawnParams::Builder p(root.value());
    if (!p.set_name(m.services[s].name) || !p.set_binary_name(m.services[s].binary)) return false;
    auto list = p.init_grants(grants.value().size());
    if (!list) return false;
    capos::abi::TransferDescriptor xfers[capos::abi::kMaxTransfers] = {};
    uint16_t nx = 0;
    for (uint32_t g = 0; g < grants.value().size(); ++g) {
        auto in = grants.value()[g];
        auto out = list.value()[g];
        auto name = in.name();
        if (!name || !out.set_name(name.value())) return false;
        out.set_interface_id(in.interface_id());
        auto src = in.source();
        if (src.is_kernel() && !spawner_mints(src.kernel())) {
            // The spawner does not mint this kind: pass init's own.
            capos::abi::CapId own = held_cap(in.interface_id());
            if (own == capos::abi::kCapIdNone || nx == capos::abi::kMaxTransfers) {
                capos::format(why, "grant '{}' needs a capability init does not hold", name.value());
                return false;
            }
            xfers[nx].cap_id = own;
            xfers[nx].mode = static_cast<uint8_t>(capos::abi::TransferMode::Copy);
            if (!out.source().set_capability(nx++)) return false;
        } else if (src.is_kernel()) {
            out.source().set_kernel(src.kernel());
        } else if (src.is_endpoint()) {
            out.source().set_endpoint();
        } else if (src.is_service()) {
            boot::ImportRef ref = boot::resolve_import(m, s, g);
            if (ref.exporter == boot::kNoIndex || ref.exporter >= kMaxServices ||
                ref.export_index >= g_started[ref.exporter].export_count || nx == capos::abi::kMaxTransfers) {
                capos::format(why, "grant '{}' imports an export init does not hold", name.value());
                return false;
            }
            xfers[nx].cap_id = g_started[ref.exporter].exports[ref.export_index];
            xfers[nx].mode = static_cast<uint8_t>(capos::abi::TransferMode::Copy);
            if (!out.source().set_capability(nx++)) return false;
        } else {
            capos::format(why, "grant '{}' has no usable source", name.value());
            return false;
        }
    }
    auto profile_in = svc.profile();
    auto profile_out = p.init_profile();
    if (!profile_in || !profile_out) return false;
    profile_out.value().set_cap_slots(profile_in.value().cap_slots());
    profile_out.value().set_frames(profile_in.value().frames());
    profile_out.value().set_mapped_pages(profile_in.value().mapped_pages());

    auto ring = rt::ring();
    if (!ring) return false;
    capos::abi::Sqe sqe{};
    sqe.opcode = static_cast<uint8_t>(capos::abi::Opcode::Call);
    sqe.cap_id = spawner;
    sqe.method = schema::ProcessSpawner::kMethodSpawn;
    sqe.user_data = ring.value()->next_user_data();
    sqe.params_addr = reinterpret_cast<uintptr_t>(msg.bytes().data());
    sqe.params_len = static_cast<uint32_t>(msg.bytes().size());
    sqe.result_addr = reinterpret_cast<uintptr_t>(g_spawn_results);
    sqe.result_len = sizeof(g_spawn_results);
    if (nx) {
        sqe.xfer_addr = reinterpret_cast<uintptr_t>(xfers);
        sqe.xfer_count = nx;
    }
    auto cqe = ring.value()->submit_and_wait(sqe);
    if (!cqe) {
        capos::format(why, "{}", cqe.error());
        return false;
    }
    const capos::abi::Cqe& c = cqe.value();
    if (c.result < 0) {
        bool raised = c.result == capos::abi::to_result(capos::abi::TransportError::ApplicationException);
        if (raised && c.aux <= sizeof(g_spawn_results)) {
            capos::capnp::MessageReader ex(std::span<const uint8_t>(g_spawn_results, c.aux));
            auto e = capos::rpc::read_exception(ex);
            if (e) {
                capos::format(why, "spawn refused it: {}", e.value().message);
                return false;
            }
        }
        capos::format(why, "spawn failed ({})", rt::transport_error_name(c.result));
        return false;
    }
    if (c.xfer_count < 1 || c.xfer_count - 1 > kMaxExports) return false;
    capos::abi::TransferResult recs[1 + kMaxExports];
    __builtin_memcpy(recs, g_spawn_results, c.xfer_count * sizeof(capos::abi::TransferResult));
    Started& st = g_started[s];
    st.handle = recs[0].cap_id;
    st.export_count = c.xfer_count - 1;
    for (uint32_t i = 0; i < st.export_count; ++i) st.exports[i] = recs[1 + i].cap_id;
    st.running = true;
    return true;
}

// Waits on every started service's handle (all waits submitted at once)
// and logs each exit as it comes.
void wait_all(const boot::ManifestInfo& m) {
    auto ring = rt::ring();
    if (!ring) return;
    static capos::capnp::Word params[4];
    capos::capnp::MessageBuilder msg(params);
    if (!msg.init_root(0, 0)) return;
    alignas(8) static uint8_t results[kMaxServices][64];
    uint64_t user_data[kMaxServices] = {};
    uint32_t waiting = 0;
    for (uint32_t s = 0; s < m.services.size() && s < kMaxServices; ++s) {
        if (!g_started[s].running) continue;
        capos::abi::Sqe sqe{};
        sqe.opcode = static_cast<uint8_t>(capos::abi::Opcode::Call);
        sqe.cap_id = g_started[s].handle;
        sqe.method = schema::ProcessHandle::kMethodWait;
        sqe.user_data = ring.value()->next_user_data();
        sqe.params_addr = reinterpret_cast<uintptr_t>(msg.bytes().data());
        sqe.params_len = static_cast<uint32_t>(msg.bytes().size());
        sqe.result_addr = reinterpret_cast<uintptr_t>(results[s]);
        sqe.result_len = sizeof(results[s]);
        if (!ring.value()->submit(sqe)) {
            (void)ring.value()->enter(0, capos::abi::kTimeoutPoll);  // make room in the SQ
            if (!ring.value()->submit(sqe)) continue;
        }
        user_data[s] = sqe.user_data;
        ++waiting;
    }
    while (waiting > 0) {
        (void)ring.value()->enter(1, capos::abi::kTimeoutForever);
        capos::abi::Cqe c;
        while (ring.value()->reap(&c)) {
            for (uint32_t s = 0; s < m.services.size() && s < kMaxServices; ++s) {
                if (user_data[s] == 0 || user_data[s] != c.user_data) continue;
                user_data[s] = 0;
                --waiting;
                LineSink line;
                if (c.result < 0) {
                    capos::format(line, "init: waiting for '{}' failed ({})", m.services[s].name,
                                  rt::transport_error_name(c.result));
                } else {
                    capos::capnp::MessageReader in(std::span<const uint8_t>(results[s], static_cast<size_t>(c.result)));
                    auto r = in.root();
                    int64_t code = r ? schema::ProcessHandle::WaitResults::Reader(r.value()).exit_code() : 0;
                    capos::format(line, "init: '{}' exited with code {}", m.services[s].name, code);
                }
                print(line.view());
            }
        }
    }
    print("init: every service has exited");
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
    auto spawner = rt::capset().lookup("spawner", schema::ProcessSpawner::kInterfaceId);
    if (!spawner) {
        print("init: no ProcessSpawner capability named 'spawner'; no service started");
        return 0;
    }
    if (n.services > kMaxServices) {
        print("init: too many services; none started");
        return 0;
    }
    bool running[kMaxServices] = {};
    for (uint32_t i = 0; i < n.services; ++i) {
        uint32_t s = order[i];
        LineSink msg;
        uint32_t missing = boot::first_missing_dependency(m, s, std::span<const bool>(running, n.services));
        if (missing != boot::kNoIndex) {
            capos::format(msg, "init: service '{}' not started: it imports from '{}', which did not start",
                          m.services[s].name, m.services[missing].name);
        } else {
            LineSink why;
            if (spawn_service(spawner.value(), root.value(), m, s, why)) {
                running[s] = true;
                capos::format(msg, "init: started '{}'", m.services[s].name);
            } else {
                capos::format(msg, "init: service '{}' not started: {}", m.services[s].name, why.view());
            }
        }
        print(msg.view());
    }
    // What is running now (until each exit is logged below).
    LineSink summary;
    uint32_t count = 0;
    for (uint32_t i = 0; i < n.services; ++i)
        if (running[order[i]]) ++count;
    capos::format(summary, "init: {} of {} services running:", count, n.services);
    for (uint32_t i = 0, k = 0; i < n.services; ++i)
        if (running[order[i]]) capos::format(summary, "{}{}", k++ ? ", " : " ", m.services[order[i]].name);
    print(summary.view());
    wait_all(m);
    return 0;
}

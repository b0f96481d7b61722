// spawn_check: ProcessSpawner and ProcessHandle (qemu.spawn, make run-spawn).
// Holds "spawner" (ProcessSpawner), "console" and "timer". Prints one line
// per check and exits 0, or the number of the first failed check:
//   1 setup
//   2 spawn exit_code with no grants; wait() returns 42; a second wait()
//     returns 42 at once, also with no params buffer (the empty struct)
//   3 spawn hello with a kernel Console grant; it prints; exit 0
//   4 spawn hello with the caller's own Console passed as a capability
//     (transfer descriptor 0, grant source `capability = 0`)
//   5 spawn ipc_echo as a server with an `endpoint` grant: the caller gets
//     the client facet in `exports` and talks to the child through it
//   6 hostile spawns, each refused with invalidArgument or overloaded and
//     nothing started: unknown binary, wrong interface, duplicate grant
//     name, bad capability index, a Move descriptor, a `service` source,
//     an empty name, a bad grant name, a profile too small to load the
//     binary, more grants than a CapSet holds, params that are not a message
//   7 200 spawn/wait/release cycles
#include <cstdint>

#include "user/tests/spawn_common.hpp"

namespace {
using namespace ipctest;
using namespace spawntest;
using capos::rpc::ExceptionKind;
namespace S = capos::schema;

constexpr const char* P = "spawn_check";
alignas(8) uint8_t g_res[1024];

// spawn() with this program's result buffer.
Spawned spawn(StringView name, StringView binary, std::span<const Grant> grants,
              std::span<const abi::TransferDescriptor> xfers = {}, uint64_t frames = 0) {
    return spawntest::spawn(name, binary, grants, g_res, xfers, frames);
}

bool refused(const Spawned& s) {
    return s.handle == abi::kCapIdNone && (raised(s.cqe, g_res, ExceptionKind::InvalidArgument) ||
                                           raised(s.cqe, g_res, ExceptionKind::Overloaded) ||
                                           is_error(s.cqe, abi::TransportError::TransferFailed));
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    Verdict v;
    constexpr uint64_t kConsole = S::Console::kInterfaceId;
    abi::CapId console = cap("console", kConsole);
    if (cap("spawner", S::ProcessSpawner::kInterfaceId) == 0 || console == 0) return 1;
    {
        Check c(P, 2, "spawn exit_code, wait returns 42 (twice)");
        Spawned s = spawn("child-42", "exit_code", {});
        c.expect(s.handle != 0, "spawn", result_name(s.cqe.result));
        c.expect(wait_exit(s.handle) == 42, "wait", "not 42");
        c.expect(wait_exit(s.handle) == 42, "second wait", "not 42");
        // No params buffer at all: the empty struct (docs/abi.md 6.3).
        alignas(8) uint8_t res[64];
        abi::Cqe bare = run(call_sqe(s.handle, S::ProcessHandle::kMethodWait, {}, res));
        c.expect(bare.result > 0, "wait with no params buffer", result_name(bare.result));
        c.expect(release(s.handle) == 0, "release", "failed");
        v.add(c, 2);
    }
    {
        Check c(P, 3, "spawn hello with a kernel Console");
        const Grant g[] = {{"console", kConsole, Grant::Kernel, S::KernelCap::Console}};
        Spawned s = spawn("hello-kernel", "hello", g);
        c.expect(s.handle != 0, "spawn", result_name(s.cqe.result));
        c.expect(wait_exit(s.handle) == 0, "wait", "not 0");
        c.expect(release(s.handle) == 0, "release", "failed");
        v.add(c, 3);
    }
    {
        Check c(P, 4, "spawn hello with the caller's Console passed as a capability");
        const Grant g[] = {{"console", kConsole, Grant::Capability, S::KernelCap::Console, 0}};
        const abi::TransferDescriptor d[] = {xfer(console, abi::TransferMode::Copy)};
        Spawned s = spawn("hello-passed", "hello", g, d);
        c.expect(s.handle != 0, "spawn", result_name(s.cqe.result));
        c.expect(wait_exit(s.handle) == 0, "wait", "not 0");
        c.expect(release(s.handle) == 0, "release", "failed");
        // The caller still holds its Console (copied, not moved).
        c.expect(rt::print_line("spawn_check: still holding the console").ok(), "console", "lost");
        v.add(c, 4);
    }
    {
        Check c(P, 5, "an endpoint grant: the caller talks to the child through exports");
        const Grant g[] = {{"console", kConsole, Grant::Kernel, S::KernelCap::Console},
                           {"svc", kConsole, Grant::Endpoint}};
        Spawned s = spawn("echo-child", "ipc_echo", g);
        c.expect(s.handle != 0 && s.facet != 0, "spawn", result_name(s.cqe.result));
        if (c.ok()) {
            capnp::Word w[32];
            alignas(8) uint8_t r[128];
            c.expect_result(write_line_raw(s.facet, "from the parent", w, r), 16, "writeLine");
            c.expect_result(write_line_raw(s.facet, "bye", w, r), 16, "bye");
            c.expect(wait_exit(s.handle) == 0, "wait", "the server did not exit 0");
            c.expect(release(s.facet) == 0 && release(s.handle) == 0, "release", "failed");
        }
        v.add(c, 5);
    }
    {
        Check c(P, 6, "hostile spawns are refused and start nothing");
        const Grant ok[] = {{"console", kConsole, Grant::Kernel, S::KernelCap::Console}};
        c.expect(refused(spawn("x", "no-such-binary", ok)), "unknown binary", "accepted");
        const Grant wrong[] = {{"console", S::Timer::kInterfaceId, Grant::Kernel, S::KernelCap::Console}};
        c.expect(refused(spawn("x", "hello", wrong)), "wrong interface", "accepted");
        const Grant dup[] = {{"console", kConsole, Grant::Kernel, S::KernelCap::Console},
                             {"console", kConsole, Grant::Kernel, S::KernelCap::Console}};
        c.expect(refused(spawn("x", "hello", dup)), "duplicate name", "accepted");
        const Grant idx[] = {{"console", kConsole, Grant::Capability, S::KernelCap::Console, 3}};
        const abi::TransferDescriptor one[] = {xfer(console, abi::TransferMode::Copy)};
        c.expect(refused(spawn("x", "hello", idx, one)), "capability index 3 of 1", "accepted");
        const Grant cap0[] = {{"console", kConsole, Grant::Capability, S::KernelCap::Console, 0}};
        const abi::TransferDescriptor mv[] = {xfer(console, abi::TransferMode::Move)};
        c.expect(refused(spawn("x", "hello", cap0, mv)), "a Move descriptor", "accepted");
        c.expect(cap("console", kConsole) == console, "the Move", "took the console");
        const Grant svc[] = {{"svc", kConsole, Grant::Service}};
        c.expect(refused(spawn("x", "hello", svc)), "service source", "accepted");
        c.expect(refused(spawn("", "hello", ok)), "empty name", "accepted");
        const Grant badname[] = {{"con sole", kConsole, Grant::Kernel, S::KernelCap::Console}};
        c.expect(refused(spawn("x", "hello", badname)), "grant name with a space", "accepted");
        c.expect(refused(spawn("x", "hello", ok, {}, 4)), "a 4-frame profile", "accepted");
        // One grant more than a CapSet holds, each valid on its own.
        static Grant many[abi::kCapSetMaxEntries + 1];
        static char names[abi::kCapSetMaxEntries + 1][8];
        for (uint32_t i = 0; i <= abi::kCapSetMaxEntries; ++i) {
            capos::format_to(names[i], sizeof(names[i]), "c{}", i);
            many[i] = {names[i], kConsole, Grant::Kernel, S::KernelCap::Console};
        }
        c.expect(refused(spawn("x", "hello", many)), "86 grants", "accepted");
        // Params that are not a message: a segment table promising more
        // words than were sent.
        alignas(8) static const uint8_t garbage[16] = {0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
        abi::Cqe bad = run(call_sqe(cap("spawner", S::ProcessSpawner::kInterfaceId), S::ProcessSpawner::kMethodSpawn,
                                    garbage, g_res));
        c.expect(bad.result < 0 && bad.xfer_count == 0, "malformed params", result_name(bad.result));
        v.add(c, 6);
    }
    {
        Check c(P, 7, "200 spawn/wait/release cycles");
        for (int i = 0; i < 200 && c.ok(); ++i) {
            Spawned s = spawn("short", "exit_code", {});
            c.expect(s.handle != 0, "spawn", result_name(s.cqe.result));
            c.expect(wait_exit(s.handle) == 42, "wait", "not 42");
            c.expect(release(s.handle) == 0, "release", "failed");
        }
        v.add(c, 7);
    }
    return v.first_failed;
}

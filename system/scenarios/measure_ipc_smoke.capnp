# qemu.measure_ipc_smoke: the endpoint IPC row with few iterations, judged
# by its own checks only (docs/performance.md). Needs `services=concurrent`.
@0xcab0500000000903;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "bench_ipc_smoke")],
  initConfig = (binary = "bench_ipc_smoke"),
  services = [
    (name = "bench-ipc-server", binary = "bench_ipc_smoke", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "bench-ipc-client", binary = "bench_ipc_smoke", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "ep", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "bench-ipc-server", exportName = "svc")))]),
  ],
);

# qemu.measure_smoke: every benchmark row with few iterations, judged by
# the rows' own checks only (docs/performance.md).
@0xcab0500000000901;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "bench_smoke")],
  initConfig = (binary = "bench_smoke"),
  services = [
    (name = "bench-smoke", binary = "bench_smoke", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer)),
      (name = "frames", interfaceId = S.frameAllocatorInterfaceId, source = (kernel = frameAllocator))]),
  ],
);

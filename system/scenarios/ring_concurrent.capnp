# The hostile ring programs all at once (`services=concurrent`), with a
# well-behaved ticker printing throughout (tests/qemu/scenarios/ring_concurrent.scn).
@0xcab0500000000208;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "ticker"), (name = "ring_hostile"), (name = "ring_fuzz"),
              (name = "ring_garbage"), (name = "ring_flood")],
  initConfig = (binary = "ticker"),
  services = [
    (name = "ticker", binary = "ticker", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer))]),
    (name = "ring-hostile", binary = "ring_hostile", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "spare", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "ring-fuzz", binary = "ring_fuzz", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "ring-garbage", binary = "ring_garbage", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "ring-flood", binary = "ring_flood", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

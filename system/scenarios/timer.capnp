# The Timer capability (tests/qemu/scenarios/timer.scn).
@0xcab0500000000207;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "timer_check")],
  initConfig = (binary = "timer_check"),
  services = [
    (name = "timer-check", binary = "timer_check", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer))]),
  ],
);

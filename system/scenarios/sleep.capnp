# A lone program sleeping in cap_enter with a timeout: nothing else is
# runnable, so the kernel's idle loop halts the CPU meanwhile
# (tests/qemu/scenarios/sched_sleep.scn).
@0xcab0500000000206;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "sleeper")],
  initConfig = (binary = "sleeper"),
  services = [
    (name = "sleeper", binary = "sleeper", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

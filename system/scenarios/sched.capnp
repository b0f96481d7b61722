# Scheduler scenarios (tests/qemu/scenarios/sched_*.scn), run with
# `services=concurrent`: two CPU-bound programs under preemption, and a
# program sleeping in cap_enter while another runs.
@0xcab0500000000205;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "spin"), (name = "sleeper")],
  initConfig = (binary = "spin"),
  services = [
    (name = "spin-a", binary = "spin", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "spin-b", binary = "spin", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "sleeper", binary = "sleeper", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

# ProcessSpawner and ProcessHandle (tests/qemu/scenarios/spawn.scn, make
# run-spawn): spawn-check starts the other binaries itself, with exactly
# the grants it names.
@0xcab0500000000240;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "spawn_check"), (name = "exit_code"), (name = "hello"), (name = "ipc_echo")],
  initConfig = (binary = "spawn_check"),
  services = [
    (name = "spawn-check", binary = "spawn_check", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner))]),
  ],
);

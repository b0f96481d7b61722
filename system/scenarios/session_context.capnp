# Sessions (user/tests/session_check.cpp, tests/qemu/scenarios/session_context.scn,
# make run-session-context): init, in the boot session, spawns session_check,
# which inherits it, creates an "operator" session with its SessionBroker,
# places children in it, and checks that nothing can attach a second session.
# The spawner does not mint a SessionBroker: init passes its own copy.
@0xcab05000000002b0;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "init"), (name = "session_check")],
  initConfig = (binary = "init", grants = [
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
    (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory)),
    (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner)),
    (name = "broker", interfaceId = S.sessionBrokerInterfaceId, source = (kernel = sessionBroker))]),
  services = [
    (name = "session-check", binary = "session_check", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "session", interfaceId = S.sessionContextInterfaceId, source = (kernel = session)),
      (name = "broker", interfaceId = S.sessionBrokerInterfaceId, source = (kernel = sessionBroker)),
      (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner))]),
  ],
);

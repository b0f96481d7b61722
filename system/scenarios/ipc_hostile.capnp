# Hostile endpoint operations (tests/qemu/scenarios/ipc_hostile.scn):
# ipc_hostile alone on its endpoint, beside an ipc_echo server and client
# whose checked calls must not notice. Needs `services=concurrent`.
@0xcab0500000000234;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "ipc_hostile"), (name = "ipc_echo")],
  initConfig = (binary = "ipc_hostile"),
  services = [
    (name = "echo-server", binary = "ipc_echo", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "hostile", binary = "ipc_hostile", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer)),
      (name = "own", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "echo-client", binary = "ipc_echo", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "echo", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "echo-server", exportName = "svc")))]),
  ],
);

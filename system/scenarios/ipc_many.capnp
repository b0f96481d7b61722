# Many clients on one server (tests/qemu/scenarios/ipc_many.scn): three
# ipc_echo clients import the same endpoint of one ipc_echo server, which
# serves "svc-many" until each client has said bye. Needs
# `services=concurrent`.
@0xcab0500000000235;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "ipc_echo")],
  initConfig = (binary = "ipc_echo"),
  services = [
    (name = "echo-server", binary = "ipc_echo", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc-many", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "client-a", binary = "ipc_echo", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "echo", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "echo-server", exportName = "svc-many")))]),
    (name = "client-b", binary = "ipc_echo", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "echo", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "echo-server", exportName = "svc-many")))]),
    (name = "client-c", binary = "ipc_echo", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "echo", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "echo-server", exportName = "svc-many")))]),
  ],
);

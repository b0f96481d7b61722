# Typed IPC over an endpoint (tests/qemu/scenarios/ipc_echo.scn): echo-server
# serves the Console protocol on an endpoint it exports as "svc";
# echo-client imports a client facet of it as "echo". Both run ipc_echo
# (the role follows the CapSet). Needs `services=concurrent`.
@0xcab0500000000230;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "ipc_echo")],
  initConfig = (binary = "ipc_echo"),
  services = [
    (name = "echo-server", binary = "ipc_echo", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "echo-client", binary = "ipc_echo", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "echo", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "echo-server", exportName = "svc")))]),
  ],
);

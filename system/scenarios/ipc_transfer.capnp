# Capability transfer over endpoint IPC (tests/qemu/scenarios/ipc_transfer.scn).
# xfer-server exports "svc"; tiny-server exports "tiny-ep" and has a
# capability table exactly as large as its CapSet (capSlots = 2), so any
# capability sent to it finds the table full. The client holds a Timer, a
# spare Console and a spare endpoint to give away, and facets of both endpoints. All three run
# ipc_transfer (the role follows the CapSet). Needs `services=concurrent`.
@0xcab0500000000231;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "ipc_transfer")],
  initConfig = (binary = "ipc_transfer"),
  services = [
    (name = "xfer-server", binary = "ipc_transfer", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "tiny-server", binary = "ipc_transfer", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "tiny-ep", interfaceId = S.consoleInterfaceId, source = (endpoint = void))],
     profile = (capSlots = 2)),
    (name = "xfer-client", binary = "ipc_transfer", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer)),
      (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory)),
      (name = "spare", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "spare-ep", interfaceId = S.consoleInterfaceId, source = (endpoint = void)),
      (name = "server", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "xfer-server", exportName = "svc"))),
      (name = "tiny", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "tiny-server", exportName = "tiny-ep")))]),
  ],
);

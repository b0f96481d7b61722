# Peers going away with calls outstanding (tests/qemu/scenarios/ipc_exit.scn):
# doomed exits holding one call while the patient has two more queued; the
# quitter exits with a call in flight at the keeper. All run ipc_exit (the
# role follows the CapSet). Needs `services=concurrent`.
@0xcab0500000000233;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "ipc_exit")],
  initConfig = (binary = "ipc_exit"),
  services = [
    (name = "doomed", binary = "ipc_exit", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "doomed-ep", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "patient", binary = "ipc_exit", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "doomed-facet", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "doomed", exportName = "doomed-ep")))]),
    (name = "keeper", binary = "ipc_exit", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "keeper-ep", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "quitter", binary = "ipc_exit", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "back-ep", interfaceId = S.consoleInterfaceId, source = (endpoint = void)),
      (name = "keeper-facet", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "keeper", exportName = "keeper-ep")))]),
  ],
);

# Epoch revocation of client facets (tests/qemu/scenarios/ipc_revoke.scn).
# The owner holds two raw endpoints: "own" for its self-calls and "svc",
# exported to the reader; the reader holds "notes", through which the
# owner tells it when it has revoked. Both run ipc_revoke (the role follows the
# CapSet). Needs `services=concurrent`.
@0xcab0500000000232;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "ipc_revoke")],
  initConfig = (binary = "ipc_revoke"),
  services = [
    (name = "owner", binary = "ipc_revoke", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "own", interfaceId = S.consoleInterfaceId, source = (endpoint = void)),
      (name = "svc", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "reader", binary = "ipc_revoke", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc-facet", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "owner", exportName = "svc"))),
      (name = "notes", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
  ],
);

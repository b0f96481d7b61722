# A grant whose interface does not match its source (app expects a Console
# where log exports another protocol): init refuses the manifest before
# starting anything (tests/qemu/scenarios/init_wrong_interface.scn).
# Packed with NO_GRAPH_CHECK, since mkmanifest refuses it too.
@0xcab0500000000283;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "init"), (name = "hello")],
  initConfig = (binary = "init", grants = [
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
    (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory))]),
  services = [
    (name = "log", binary = "hello", grants = [
      (name = "log", interfaceId = 0xcab05000aaaa0001, source = (endpoint = void))]),
    (name = "app", binary = "hello", grants = [
      (name = "out", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "log", exportName = "log")))]),
  ],
);

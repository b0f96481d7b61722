# A service whose binary is not in the package: init refuses the manifest
# before starting anything (tests/qemu/scenarios/init_missing_binary.scn).
# Packed with NO_GRAPH_CHECK, since mkmanifest refuses it too.
@0xcab0500000000282;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "init"), (name = "hello")],
  initConfig = (binary = "init", grants = [
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
    (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory))]),
  services = [
    (name = "hello", binary = "hello"),
    (name = "app", binary = "ghost"),
  ],
);

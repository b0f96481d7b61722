# A dependency cycle a -> b -> c -> a: init refuses the manifest before
# starting anything (tests/qemu/scenarios/init_cycle.scn). Packed with
# NO_GRAPH_CHECK, since mkmanifest refuses it too.
@0xcab0500000000281;
using S = import "/schema/capos.capnp";
const proto :UInt64 = 0xcab05000aaaa0001;
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "init"), (name = "hello")],
  initConfig = (binary = "init", grants = [
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
    (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory))]),
  services = [
    (name = "ok", binary = "hello"),
    (name = "a", binary = "hello", grants = [
      (name = "ep", interfaceId = .proto, source = (endpoint = void)),
      (name = "b", interfaceId = .proto, source = (service = (service = "b", exportName = "ep")))]),
    (name = "b", binary = "hello", grants = [
      (name = "ep", interfaceId = .proto, source = (endpoint = void)),
      (name = "c", interfaceId = .proto, source = (service = (service = "c", exportName = "ep")))]),
    (name = "c", binary = "hello", grants = [
      (name = "ep", interfaceId = .proto, source = (endpoint = void)),
      (name = "a", interfaceId = .proto, source = (service = (service = "a", exportName = "ep")))]),
  ],
);

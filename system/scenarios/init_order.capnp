# init validates the service graph and prints its start order
# (tests/qemu/scenarios/init_order.scn). The services are listed out of
# dependency order: web imports app and db, which both import log.
@0xcab0500000000280;
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
    (name = "web", binary = "hello", grants = [
      (name = "app", interfaceId = .proto, source = (service = (service = "app", exportName = "http"))),
      (name = "db", interfaceId = .proto, source = (service = (service = "db", exportName = "db")))]),
    (name = "app", binary = "hello", grants = [
      (name = "http", interfaceId = .proto, source = (endpoint = void)),
      (name = "log", interfaceId = .proto, source = (service = (service = "log", exportName = "log")))]),
    (name = "log", binary = "hello", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "log", interfaceId = .proto, source = (endpoint = void))]),
    (name = "db", binary = "hello", grants = [
      (name = "db", interfaceId = .proto, source = (endpoint = void)),
      (name = "log", interfaceId = .proto, source = (service = (service = "log", exportName = "log")))]),
    (name = "idle", binary = "hello"),
  ],
);

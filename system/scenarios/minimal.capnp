# A small system that finishes (the kernel scenarios that only need a boot
# package and a boot to the end: boot_banner, cmdline_unknown, manifest, the
# in-kernel tests). The default manifest boots into the shell, which never
# exits. init starts hello and waits for it.
@0xcab05000000002c0;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "init"), (name = "hello")],
  initConfig = (binary = "init", grants = [
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
    (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory)),
    (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner))]),
  services = [
    (name = "hello", binary = "hello", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

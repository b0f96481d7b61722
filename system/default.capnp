# The default system: init alone, holding every kernel capability. Services
# are added here as their binaries appear (see docs/boot-package.md).
#
# Build: capos_boot_package(default ...) in tools/mkmanifest/CMakeLists.txt
# -> build/bootpkg/default.bin.

@0xcab0500000000100;

using S = import "/schema/capos.capnp";

const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "init"), (name = "hello")],
  initConfig = (
    binary = "init",
    grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer)),
      (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory)),
      (name = "frames", interfaceId = S.frameAllocatorInterfaceId, source = (kernel = frameAllocator)),
      (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner)),
      (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
    ],
  ),
  # Until init owns the boot, the kernel starts these services itself.
  services = [
    (name = "hello", binary = "hello", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
  kernelParams = (motd = "capOS default system"),
);

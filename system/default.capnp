# The default system (`make run`, `make run-pvh`): the kernel starts init
# alone; init reads this manifest through its BootPackage capability and
# starts the services below in dependency order, each with exactly its
# grants, then waits for them and logs each exit (docs/boot.md).
#
# Build: capos_boot_package(default ...) in tools/mkmanifest/CMakeLists.txt
# -> build/bootpkg/default.bin.

@0xcab0500000000100;

using S = import "/schema/capos.capnp";

const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "init"), (name = "hello"), (name = "memshare")],
  initConfig = (
    binary = "init",
    grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory)),
      (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner)),
      (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
      (name = "broker", interfaceId = S.sessionBrokerInterfaceId, source = (kernel = sessionBroker)),
    ],
  ),
  services = [
    # Prints a greeting through its Console.
    (name = "hello", binary = "hello", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    # Shared memory: the owner allocates a MemoryObject and passes it to the
    # reader over the reader's endpoint; both map it and see each other's
    # writes (docs/memory.md).
    (name = "reader", binary = "memshare", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "owner", binary = "memshare", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "frames", interfaceId = S.frameAllocatorInterfaceId, source = (kernel = frameAllocator)),
      (name = "peer", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "reader", exportName = "svc")))]),
  ],
  kernelParams = (motd = "capOS default system"),
);

# Zero-copy IPC through one shared MemoryObject
# (tests/qemu/scenarios/ipc_zerocopy.scn, make run-ipc-zerocopy), booted with
# boot=init: init spawns the consumer (exporting "svc") and then the
# producer (importing it as "peer", with a FrameAllocator). The producer
# allocates the MemoryObject, passes it by Copy over an endpoint CALL, and
# both map it; 1,200 records then move through it while every CALL carries
# only metadata (user/tests/ipc_zerocopy.cpp). The protocol id
# 0xcab0500000ff0001 is the demo's own (kProtocol there), not a schema
# interface.
@0xcab05000000002f8;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "init"), (name = "ipc_zerocopy")],
  initConfig = (binary = "init", grants = [
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
    (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory)),
    (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner))]),
  services = [
    (name = "producer", binary = "ipc_zerocopy", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "frames", interfaceId = S.frameAllocatorInterfaceId, source = (kernel = frameAllocator)),
      (name = "peer", interfaceId = 0xcab0500000ff0001,
       source = (service = (service = "consumer", exportName = "svc")))]),
    (name = "consumer", binary = "ipc_zerocopy", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = 0xcab0500000ff0001, source = (endpoint = void))]),
  ],
);

# One MemoryObject mapped by two processes (tests/qemu/scenarios/memshare.scn,
# make run-memoryobject-shared): the owner allocates it and passes it by Copy
# over an endpoint CALL; the reader maps it, checks the owner's bytes and
# writes its own, which the owner then sees. Needs services=concurrent.
@0xcab05000000002a0;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "memshare")],
  initConfig = (binary = "memshare"),
  services = [
    (name = "reader", binary = "memshare", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "owner", binary = "memshare", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "frames", interfaceId = S.frameAllocatorInterfaceId, source = (kernel = frameAllocator)),
      (name = "peer", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "reader", exportName = "svc")))]),
  ],
);

# FrameAllocator, MemoryObject and the ledger
# (tests/qemu/scenarios/memory_ledger.scn): ledger_check runs with a small
# profile so it reaches its frame and slot limits.
@0xcab0500000000211;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "ledger_check"), (name = "hello")],
  initConfig = (binary = "ledger_check"),
  services = [
    (name = "ledger-check", binary = "ledger_check",
     grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory)),
      (name = "frames", interfaceId = S.frameAllocatorInterfaceId, source = (kernel = frameAllocator))],
     profile = (capSlots = 12, frames = 200, mappedPages = 400)),
    (name = "hello-after", binary = "hello", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

# VirtualMemory (tests/qemu/scenarios/memory_vm.scn): vm_check runs every
# check, then writes to a page it made read-only, which ends only it; the
# hello service after it runs normally.
@0xcab0500000000210;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "vm_check"), (name = "hello")],
  initConfig = (binary = "vm_check"),
  services = [
    (name = "vm-check", binary = "vm_check", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory))]),
    (name = "hello-after", binary = "hello", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

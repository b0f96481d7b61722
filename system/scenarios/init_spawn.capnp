# init starts the services itself (tests/qemu/scenarios/init_spawn.scn,
# booted with boot=init): an echo server exporting "svc", its client
# importing it (init passes the client facet it got from the server's
# spawn), a service that crashes, a service whose profile is too small to
# load (refused by the spawner) and one that imports from it (not started),
# and hello. init logs every start, refusal and exit and outlives them all.
@0xcab0500000000290;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "init"), (name = "ipc_echo"), (name = "hello"), (name = "fault_pagefault")],
  initConfig = (binary = "init", grants = [
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
    (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory)),
    (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner))]),
  services = [
    (name = "echo-client", binary = "ipc_echo", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "echo", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "echo-server", exportName = "svc")))]),
    (name = "echo-server", binary = "ipc_echo", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "crasher", binary = "fault_pagefault"),
    (name = "too-big", binary = "hello", profile = (frames = 4), grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "out", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "needs-too-big", binary = "hello", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "too-big", exportName = "out")))]),
    (name = "hello", binary = "hello", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

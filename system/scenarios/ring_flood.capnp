# Ring scenario: ring_flood (user/tests/ring_flood.cpp) between two well-behaved
# hello services, which must print correctly before and after it
# (tests/qemu/scenarios/ring_flood.scn).
@0xcab0500000000304;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "hello"), (name = "ring_flood")],
  initConfig = (binary = "hello"),
  services = [
    (name = "hello-before", binary = "hello",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "ring-flood", binary = "ring_flood",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "hello-after", binary = "hello",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

# Ring scenario: ring_hostile (user/tests/ring_hostile.cpp) between two well-behaved
# hello services, which must print correctly before and after it
# (tests/qemu/scenarios/ring_hostile.scn).
@0xcab0500000000302;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "hello"), (name = "ring_hostile")],
  initConfig = (binary = "hello"),
  services = [
    (name = "hello-before", binary = "hello",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "ring-hostile", binary = "ring_hostile",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
       (name = "spare", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "hello-after", binary = "hello",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

# Ring scenario: ring_garbage (user/tests/ring_garbage.cpp) between two well-behaved
# hello services, which must print correctly before and after it
# (tests/qemu/scenarios/ring_garbage.scn).
@0xcab0500000000303;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "hello"), (name = "ring_garbage")],
  initConfig = (binary = "hello"),
  services = [
    (name = "hello-before", binary = "hello",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "ring-garbage", binary = "ring_garbage",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "hello-after", binary = "hello",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

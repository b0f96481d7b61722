# Ring scenario: ring_fuzz (user/tests/ring_fuzz.cpp) between two well-behaved
# hello services, which must print correctly before and after it
# (tests/qemu/scenarios/ring_fuzz.scn).
@0xcab0500000000305;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "hello"), (name = "ring_fuzz")],
  initConfig = (binary = "hello"),
  services = [
    (name = "hello-before", binary = "hello",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "ring-fuzz", binary = "ring_fuzz",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "hello-after", binary = "hello",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

# Ring scenario: hello world through the Console capability, the runtime's
# Console panic hook, and a program without a Console that cannot print
# (tests/qemu/scenarios/ring_hello.scn). The kernel runs every service in
# order until init owns the boot.
@0xcab0500000000301;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "hello"), (name = "console_hook")],
  initConfig = (binary = "hello"),
  services = [
    (name = "hello", binary = "hello",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "hello-no-console", binary = "hello"),
    (name = "hook-demo", binary = "console_hook",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    (name = "hello-again", binary = "hello",
     grants = [(name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
  ],
);

# Stage 1-3 scenario: ring-3 programs that exit with chosen codes
# (tests/qemu/scenarios/user_exit.scn); rt_selftest checks the entry ABI,
# the ring header and the CapSet page the kernel writes at spawn. The kernel runs every service in
# order until init owns the boot.
@0xcab0500000000201;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "exit_code"), (name = "bad_syscalls"), (name = "tls_check"), (name = "rt_selftest")],
  initConfig = (binary = "exit_code"),
  services = [
    (name = "exit42", binary = "exit_code"),
    (name = "bad-syscalls", binary = "bad_syscalls"),
    (name = "tls", binary = "tls_check"),
    (name = "rt-selftest", binary = "rt_selftest", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    ]),
  ],
);

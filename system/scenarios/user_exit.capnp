# Stage 1-3 scenario: ring-3 programs that exit with chosen codes
# (tests/qemu/scenarios/user_exit.scn). The kernel runs every service in
# order until init owns the boot.
@0xcab0500000000201;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "exit_code"), (name = "bad_syscalls"), (name = "tls_check")],
  initConfig = (binary = "exit_code"),
  services = [
    (name = "exit42", binary = "exit_code"),
    (name = "bad-syscalls", binary = "bad_syscalls"),
    (name = "tls", binary = "tls_check"),
  ],
);

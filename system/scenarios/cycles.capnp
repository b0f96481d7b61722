# Stage 1-3 scenario: one short-lived program, started and reaped 1,000
# times with `cycles=1000` (tests/qemu/scenarios/user_cycles.scn).
@0xcab0500000000204;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "exit_loop")],
  initConfig = (binary = "exit_loop"),
  services = [(name = "exit-loop", binary = "exit_loop")],
);

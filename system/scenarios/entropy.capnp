# The EntropySource kernel capability (tests/qemu/scenarios/entropy.scn,
# entropy_weak.scn).
@0xcab0500000000501;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "entropy_check")],
  initConfig = (binary = "entropy_check"),
  services = [
    (name = "entropy-check", binary = "entropy_check", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "entropy", interfaceId = S.entropySourceInterfaceId, source = (kernel = entropy))]),
  ],
);

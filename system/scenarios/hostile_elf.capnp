# Stage 1-3 scenario: hostile ELF binaries are refused with a message naming
# the binary and the reason; the next service still starts
# (tests/qemu/scenarios/user_hostile_elf.scn). The images are made at build
# time by tools/hostile_elf.py from exit_code.elf.
@0xcab0500000000203;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [
    (name = "wx"), (name = "kernel_half"), (name = "huge_memsz"), (name = "overlap"),
    (name = "bad_magic"), (name = "truncated"), (name = "exit_code"),
  ],
  initConfig = (binary = "exit_code"),
  services = [
    (name = "hostile-wx", binary = "wx"),
    (name = "hostile-kernel-half", binary = "kernel_half"),
    (name = "hostile-huge-memsz", binary = "huge_memsz"),
    (name = "hostile-overlap", binary = "overlap"),
    (name = "hostile-bad-magic", binary = "bad_magic"),
    (name = "hostile-truncated", binary = "truncated"),
    (name = "next", binary = "exit_code"),
  ],
);

# The BootPackage capability's contract (tests/qemu/scenarios/init_bootpkg.scn):
# bootpkg_check runs as a service the kernel starts, holding a BootPackage.
@0xcab0500000000284;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "bootpkg_check")],
  initConfig = (binary = "bootpkg_check"),
  services = [
    (name = "bootpkg-check", binary = "bootpkg_check", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage))]),
  ],
);

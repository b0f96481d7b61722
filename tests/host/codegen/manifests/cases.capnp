# Manifests for mkmanifest_test.cpp: `good` and one constant per error
# mkmanifest must report. Each is evaluated with
#   capnp eval --binary -I <repo> cases.capnp <name>

@0xcab05000fff00100;

using S = import "/schema/capos.capnp";

const chatId :UInt64 = 0xcab05000aaaa0001;

const baseBinaries :List(S.Binary) = [(name = "init"), (name = "logger"), (name = "app")];

const baseInit :S.InitConfig = (
  binary = "init",
  grants = [
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner)),
    (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
  ],
  profile = (capSlots = 64),
);

const logService :S.ServiceEntry = (
  name = "log",
  binary = "logger",
  grants = [
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    (name = "log", interfaceId = .chatId, source = (endpoint = void)),
  ],
);

const appService :S.ServiceEntry = (
  name = "app",
  binary = "app",
  grants = [
    (name = "out", interfaceId = .chatId, source = (service = (service = "log", exportName = "log"))),
    (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer)),
  ],
  profile = (frames = 256, mappedPages = 512),
);

const good :S.SystemManifest = (
  schemaVersion = 1,
  binaries = .baseBinaries,
  initConfig = .baseInit,
  services = [.appService, .logService],
  kernelParams = (motd = "test", logLevel = debug),
);

const schemaVersion :S.SystemManifest = (
  schemaVersion = 2, binaries = .baseBinaries, initConfig = .baseInit);

const duplicateBinary :S.SystemManifest = (
  schemaVersion = 1, binaries = [(name = "init"), (name = "init")], initConfig = .baseInit);

const unknownInitBinary :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = (binary = "ghost"));

const unknownBinary :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [(name = "log", binary = "nope")]);

const duplicateService :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [.logService, .appService, .logService]);

const missingService :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [(name = "app", binary = "app", grants = [
    (name = "out", interfaceId = .chatId, source = (service = (service = "ghost", exportName = "log")))])]);

const missingExport :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [.logService, (name = "app", binary = "app", grants = [
    (name = "out", interfaceId = .chatId, source = (service = (service = "log", exportName = "nope")))])]);

const wrongKernelInterface :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [(name = "log", binary = "logger", grants = [
    (name = "console", interfaceId = S.timerInterfaceId, source = (kernel = console))])]);

const wrongExportInterface :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [.logService, (name = "app", binary = "app", grants = [
    (name = "out", interfaceId = S.consoleInterfaceId,
     source = (service = (service = "log", exportName = "log")))])]);

const cycle :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [
    (name = "a", binary = "app", grants = [
      (name = "b", interfaceId = .chatId, source = (service = (service = "b", exportName = "ep"))),
      (name = "ep", interfaceId = .chatId, source = (endpoint = void))]),
    (name = "b", binary = "app", grants = [
      (name = "ep", interfaceId = .chatId, source = (endpoint = void)),
      (name = "c", interfaceId = .chatId, source = (service = (service = "c", exportName = "ep")))]),
    (name = "c", binary = "app", grants = [
      (name = "a", interfaceId = .chatId, source = (service = (service = "a", exportName = "ep"))),
      (name = "ep", interfaceId = .chatId, source = (endpoint = void))]),
  ]);

const selfCycle :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [(name = "a", binary = "app", grants = [
    (name = "ep", interfaceId = .chatId, source = (endpoint = void)),
    (name = "me", interfaceId = .chatId, source = (service = (service = "a", exportName = "ep")))])]);

const noSource :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [(name = "log", binary = "logger", grants = [(name = "x", interfaceId = 1)])]);

const initServiceSource :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, services = [.logService],
  initConfig = (binary = "init", grants = [
    (name = "log", interfaceId = .chatId, source = (service = (service = "log", exportName = "log")))]));

const duplicateGrant :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [(name = "log", binary = "logger", grants = [
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))])]);

const badGrantName :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [(name = "log", binary = "logger", grants = [
    (name = "my cap", interfaceId = S.consoleInterfaceId, source = (kernel = console))])]);

const longServiceName :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [(name = "a-service-name-longer-than-32-bytes", binary = "logger")]);

const endpointWithoutInterface :S.SystemManifest = (
  schemaVersion = 1, binaries = .baseBinaries, initConfig = .baseInit,
  services = [(name = "log", binary = "logger", grants = [
    (name = "ep", source = (endpoint = void))])]);

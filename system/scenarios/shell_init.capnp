# The shell started by init (tests/qemu/scenarios/shell_init.scn, booted
# with boot=init): the same shell service as shell.capnp, spawned by init
# with exactly its grants. The spawner does not mint a TerminalSession, so
# init holds the terminal and passes a copy (docs/sessions.md); this is
# the shape the default system takes to boot into the shell.
@0xcab0500000000402;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "init"), (name = "shell"), (name = "hello"), (name = "exit_code"), (name = "greet")],
  initConfig = (binary = "init", grants = [
    (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
    (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
    (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory)),
    (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner)),
    (name = "terminal", interfaceId = S.terminalSessionInterfaceId, source = (kernel = terminal))]),
  services = [
    (name = "shell", binary = "shell", grants = [
      (name = "terminal", interfaceId = S.terminalSessionInterfaceId, source = (kernel = terminal)),
      (name = "info", interfaceId = S.systemInfoInterfaceId, source = (kernel = systemInfo)),
      (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner)),
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer)),
      (name = "stdio", interfaceId = S.stdIoInterfaceId, source = (endpoint = void))]),
  ],
  kernelParams = (motd = "Welcome to capOS (started by init)."),
);

# The native shell (docs/shell.md, user/shell): the kernel starts it with a
# terminal on COM2, its message of the day from SystemInfo, a Console and a
# Timer it can hand to programs, a ProcessSpawner to start them, and its own
# `stdio` endpoint over which it serves StdIO to the programs it runs.
# Boot with `boot=services services=concurrent` (qemu.shell*, make
# run-shell). The default system can copy the shell's service entry; under
# boot=init, init passes the terminal and SystemInfo from its own grants.
@0xcab0500000000400;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "shell"), (name = "hello"), (name = "exit_code"), (name = "greet")],
  initConfig = (binary = "shell"),
  services = [
    (name = "shell", binary = "shell", grants = [
      (name = "terminal", interfaceId = S.terminalSessionInterfaceId, source = (kernel = terminal)),
      (name = "info", interfaceId = S.systemInfoInterfaceId, source = (kernel = systemInfo)),
      (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner)),
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer)),
      (name = "stdio", interfaceId = S.stdIoInterfaceId, source = (endpoint = void))]),
  ],
  kernelParams = (motd = "Welcome to capOS.\nYou hold only what `caps` lists. Try:\n  run \"hello\" with { console: @console }\n  run \"greet\" with { stdio: client @stdio }\n  spawn \"hello\" with { console: @console }, then jobs and wait 1\n  login, setup, guest, logout (when an AuthorityBroker is granted)"),
);

# The default system (`make run`): the kernel starts init alone; init reads
# this manifest through its BootPackage capability and starts the services
# below in dependency order, each with exactly its grants, logs what runs
# and each exit on the debug log (COM1), and waits for them (docs/boot.md).
# The shell is on the terminal (COM2, docs/shell.md): it starts in an
# anonymous session; `setup` creates the operator, `login` brings the
# operator's bundle (a launcher to run programs), `guest` a smaller one.
#
# Build: capos_boot_package(default ...) in tools/mkmanifest/CMakeLists.txt
# -> build/bootpkg/default.bin.

@0xcab0500000000100;

using S = import "/schema/capos.capnp";

const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "init"), (name = "shell"), (name = "auth"), (name = "audit"), (name = "hello"),
              (name = "greet"), (name = "exit_code"), (name = "memshare")],
  initConfig = (
    binary = "init",
    # init holds what the spawner does not mint, to pass copies on:
    # BootPackage, SessionBroker (for auth), TerminalSession (for the shell).
    grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "vm", interfaceId = S.virtualMemoryInterfaceId, source = (kernel = virtualMemory)),
      (name = "spawner", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner)),
      (name = "bootpkg", interfaceId = S.bootPackageInterfaceId, source = (kernel = bootPackage)),
      (name = "broker", interfaceId = S.sessionBrokerInterfaceId, source = (kernel = sessionBroker)),
      (name = "terminal", interfaceId = S.terminalSessionInterfaceId, source = (kernel = terminal)),
    ],
  ),
  services = [
    # Demo services that run once at boot (their output is on the debug log).
    (name = "hello", binary = "hello", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console))]),
    # Shared memory: the owner passes a MemoryObject to the reader over the
    # reader's endpoint; both map it and see each other's writes.
    (name = "reader", binary = "memshare", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "owner", binary = "memshare", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "frames", interfaceId = S.frameAllocatorInterfaceId, source = (kernel = frameAllocator)),
      (name = "peer", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "reader", exportName = "svc")))]),
    # The audit log and the authority broker (docs/auth.md). Argon2id at its
    # default cost (3 passes, 4 MiB, 1 lane).
    (name = "audit", binary = "audit", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = S.auditLogInterfaceId, source = (endpoint = void))]),
    (name = "auth", binary = "auth", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = S.authorityBrokerInterfaceId, source = (endpoint = void)),
      (name = "entropy", interfaceId = S.entropySourceInterfaceId, source = (kernel = entropy)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer)),
      (name = "sessions", interfaceId = S.sessionBrokerInterfaceId, source = (kernel = sessionBroker)),
      (name = "launcher", interfaceId = S.processSpawnerInterfaceId, source = (kernel = processSpawner)),
      (name = "systemInfo", interfaceId = S.systemInfoInterfaceId, source = (kernel = systemInfo)),
      (name = "audit", interfaceId = S.auditLogInterfaceId,
       source = (service = (service = "audit", exportName = "svc")))]),
    # The shell on the terminal: no ProcessSpawner of its own (anonymous and
    # guest sessions cannot start programs; the operator's bundle brings one).
    (name = "shell", binary = "shell", grants = [
      (name = "terminal", interfaceId = S.terminalSessionInterfaceId, source = (kernel = terminal)),
      (name = "info", interfaceId = S.systemInfoInterfaceId, source = (kernel = systemInfo)),
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer)),
      (name = "stdio", interfaceId = S.stdIoInterfaceId, source = (endpoint = void)),
      (name = "broker", interfaceId = S.authorityBrokerInterfaceId,
       source = (service = (service = "auth", exportName = "svc"))),
      (name = "audit", interfaceId = S.auditLogInterfaceId,
       source = (service = (service = "audit", exportName = "svc")))]),
  ],
  kernelParams = (motd = "Welcome to capOS, a capability operating system.\nThis anonymous session holds no launcher. Try:\n  help      the commands and the grant syntax\n  caps      what this shell holds\n  setup     create the operator (user name, password twice); you are then logged in\n  run \"greet\" with { stdio: client @stdio }      a program that talks to you\n  run \"hello\" with { console: @console }        prints on the debug log (COM1)\n  logout, login, guest, jobs, exit"),
);

# The shell with sessions and login (tests/qemu/scenarios/shell_login.scn,
# docs/shell.md, docs/auth.md): the audit and auth services as in
# auth.capnp (cheap Argon2id cost for the test), and the shell with a
# terminal, SystemInfo, a Console and Timer to hand out, its stdio
# endpoint, the AuthorityBroker and the AuditLog, but no ProcessSpawner of
# its own: anonymous and guest sessions cannot start programs; the
# operator's bundle brings the launcher (and a session the programs run
# in). Boot with `boot=services services=concurrent`.
@0xcab0500000000401;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "shell"), (name = "auth"), (name = "audit"), (name = "hello"), (name = "exit_code"),
              (name = "greet")],
  initConfig = (binary = "shell"),
  services = [
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
       source = (service = (service = "audit", exportName = "svc"))),
      (name = "argon2id:t1:m64:p1", interfaceId = S.entropySourceInterfaceId, source = (kernel = entropy)),
      (name = "bundle.guest.clock", interfaceId = S.timerInterfaceId, source = (kernel = timer))]),
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
  kernelParams = (motd = "Welcome to capOS.\nThis anonymous session cannot start programs: `setup` an operator or `login`."),
);

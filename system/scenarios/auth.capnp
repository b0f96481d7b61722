# The credential and audit services (tests/qemu/scenarios/auth.scn,
# docs/auth.md): audit serves AuditLog; auth serves AuthorityBroker with a
# cheap Argon2id cost (the "argon2id:..." grant name: 1 pass, 64 KiB, 1
# lane) and gives guests an extra Timer as "clock"; auth_check calls both
# as the shell will. Needs `services=concurrent`.
@0xcab0500000000502;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "auth"), (name = "audit"), (name = "auth_check")],
  initConfig = (binary = "auth_check"),
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
    (name = "auth-check", binary = "auth_check", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "broker", interfaceId = S.authorityBrokerInterfaceId,
       source = (service = (service = "auth", exportName = "svc"))),
      (name = "audit", interfaceId = S.auditLogInterfaceId,
       source = (service = (service = "audit", exportName = "svc")))]),
  ],
);

# TerminalSession on COM2 and SystemInfo (tests/qemu/scenarios/terminal.scn,
# docs/terminal.md): term-quitter leaves a readLine waiting and exits, then
# term_check reads lines the scenario runner types on COM2.
@0xcab0500000000401;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "term_check"), (name = "term_quitter")],
  initConfig = (binary = "term_check"),
  services = [
    (name = "term-quitter", binary = "term_quitter", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "terminal", interfaceId = S.terminalSessionInterfaceId, source = (kernel = terminal))]),
    (name = "term-check", binary = "term_check", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "terminal", interfaceId = S.terminalSessionInterfaceId, source = (kernel = terminal)),
      (name = "systemInfo", interfaceId = S.systemInfoInterfaceId, source = (kernel = systemInfo))]),
  ],
  kernelParams = (motd = "Terminal test: type what the prompts ask"),
);

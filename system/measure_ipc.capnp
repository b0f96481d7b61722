# The endpoint IPC rows of the measure system (docs/performance.md,
# `make run-measure`): a null server exporting an endpoint and the
# benchmark client holding a client facet of it (user/bench/ipc_rows.cpp).
# Needs `services=concurrent`. The client's counter snapshots (log=debug)
# bracket its whole run, server work included.
#
# Build: capos_boot_package(measure_ipc ...) in
# tests/qemu/packages_measure.cmake -> build/bootpkg/measure_ipc.bin, and
# the same manifest with the ipc_copy and ipc_move binaries packed as
# "bench_ipc" -> measure_ipc_copy.bin, measure_ipc_move.bin.
@0xcab0500000000902;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "bench_ipc")],
  initConfig = (binary = "bench_ipc"),
  services = [
    (name = "bench-ipc-server", binary = "bench_ipc", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "svc", interfaceId = S.consoleInterfaceId, source = (endpoint = void))]),
    (name = "bench-ipc-client", binary = "bench_ipc", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "ep", interfaceId = S.consoleInterfaceId,
       source = (service = (service = "bench-ipc-server", exportName = "svc")))]),
  ],
);

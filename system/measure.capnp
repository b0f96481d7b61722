# The measure system (docs/performance.md, `make run-measure`): one
# benchmark service per row (user/bench/kernel_rows.cpp), run one after
# another, so the kernel's counter snapshots (log=debug, kernel/stats.hpp)
# bracket exactly one row each. Every service holds the Console (to print
# its row) and the Timer (the kernel capability the CALL rows call);
# bench-mo-map also holds the FrameAllocator (its MemoryObject).
#
# Build: capos_boot_package(measure ...) in tests/qemu/packages_measure.cmake
# -> build/bootpkg/measure.bin.
@0xcab0500000000900;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [(name = "bench_null_enter"), (name = "bench_nop1"), (name = "bench_nop8"), (name = "bench_nop32"), (name = "bench_timer_now"), (name = "bench_timer_now_raw"), (name = "bench_timer_sleep0"), (name = "bench_mo_map")],
  initConfig = (binary = "bench_null_enter"),
  services = [
    (name = "bench-null-enter", binary = "bench_null_enter", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer))]),
    (name = "bench-nop1", binary = "bench_nop1", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer))]),
    (name = "bench-nop8", binary = "bench_nop8", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer))]),
    (name = "bench-nop32", binary = "bench_nop32", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer))]),
    (name = "bench-timer-now", binary = "bench_timer_now", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer))]),
    (name = "bench-timer-now-raw", binary = "bench_timer_now_raw", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer))]),
    (name = "bench-timer-sleep0", binary = "bench_timer_sleep0", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer))]),
    (name = "bench-mo-map", binary = "bench_mo_map", grants = [
      (name = "console", interfaceId = S.consoleInterfaceId, source = (kernel = console)),
      (name = "timer", interfaceId = S.timerInterfaceId, source = (kernel = timer)),
      (name = "frames", interfaceId = S.frameAllocatorInterfaceId, source = (kernel = frameAllocator))]),
  ],
);

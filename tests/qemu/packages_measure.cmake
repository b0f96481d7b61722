# Boot packages of the measure system (system/measure.capnp, booted by
# `make run-measure`) and of its smoke scenario (qemu.measure_smoke).
# Included by tests/qemu/CMakeLists.txt.
capos_boot_package(measure MANIFEST system/measure.capnp
    BINARIES bench_null_enter=user_bench_null_enter bench_nop1=user_bench_nop1 bench_nop8=user_bench_nop8 bench_nop32=user_bench_nop32 bench_timer_now=user_bench_timer_now bench_timer_now_raw=user_bench_timer_now_raw bench_timer_sleep0=user_bench_timer_sleep0 bench_mo_map=user_bench_mo_map)
capos_boot_package(measure_smoke MANIFEST system/scenarios/measure_smoke.capnp
    BINARIES bench_smoke=user_bench_smoke)
# The endpoint IPC rows: one manifest, one binary per row packed under the
# manifest's binary name.
foreach(row ipc ipc_copy ipc_move ipc_batch32 ipc_oneway)
    capos_boot_package(measure_${row} MANIFEST system/measure_ipc.capnp
        BINARIES bench_ipc=user_bench_${row})
    capos_boot_package(measure_${row}_smoke MANIFEST system/scenarios/measure_ipc_smoke.capnp
        BINARIES bench_ipc_smoke=user_bench_${row}_smoke)
endforeach()

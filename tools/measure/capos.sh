#!/bin/sh
# make run-measure: boots the measure system (system/measure.capnp, one
# benchmark service per kernel row, user/bench/kernel_rows.cpp; then
# system/measure_ipc.capnp once per endpoint IPC row, user/bench/ipc_rows.cpp,
# with services=concurrent) directly with -kernel (PVH) under deterministic
# QEMU flags, MEASURE_BOOTS times (default 5), and writes
# BUILD/measure/capos.json (tools/measure/parse_capos.py) beside the serial
# logs (capos-N.log: every boot of round N).
#
#   tools/measure/capos.sh [BUILD]        (default BUILD=build)
#
# The kernel runs with `log=debug` so it logs a counter snapshot
# (kernel/stats.hpp) when each benchmark service starts and exits.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=$BUILD/measure
QEMU=${QEMU:-qemu-system-x86_64}
BOOTS=${MEASURE_BOOTS:-5}
KERNEL=$BUILD/kernel/capos.elf
PKG=$BUILD/bootpkg/measure.bin
mkdir -p "$OUT"
for f in "$KERNEL" "$PKG" "$BUILD/bootpkg/measure_ipc.bin" "$BUILD/bootpkg/measure_ipc_copy.bin" \
         "$BUILD/bootpkg/measure_ipc_move.bin"; do
    [ -f "$f" ] || { echo "run-measure: $f is missing (build first)" >&2; exit 1; }
done

boot() {  # boot LOG PACKAGE CMDLINE
    rm -f "$1"
    status=0
    timeout 1800 "$QEMU" -accel tcg -M q35 -m 256M -display none -no-reboot -monitor none \
        -serial "file:$1" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -icount shift=0,align=off,sleep=off -seed 1 -rtc base=2025-01-01T00:00:00,clock=vm \
        -kernel "$KERNEL" -initrd "$2" -append "$3" || status=$?
    # 33: the kernel asked QEMU for success (isa-debug-exit); anything else failed.
    if [ "$status" -ne 33 ]; then
        echo "run-measure: $1: QEMU exit status $status (want 33)" >&2
        exit 1
    fi
}

logs=""
i=1
while [ "$i" -le "$BOOTS" ]; do
    log=$OUT/capos-$i.log
    echo "run-measure: boot $i of $BOOTS"
    # The kernel rows run one service after another; the endpoint rows need
    # their server and client running at once. One log per boot holds both.
    boot "$OUT/capos-$i-kernel.log" "$PKG" "boot=services shutdown log=debug"
    for row in ipc ipc_copy ipc_move; do
        boot "$OUT/capos-$i-$row.log" "$BUILD/bootpkg/measure_$row.bin" "boot=services services=concurrent shutdown log=debug"
    done
    cat "$OUT/capos-$i-kernel.log" "$OUT/capos-$i-ipc.log" "$OUT/capos-$i-ipc_copy.log" \
        "$OUT/capos-$i-ipc_move.log" > "$log"
    logs="$logs $log"
    i=$((i + 1))
done
# shellcheck disable=SC2086
python3 "$ROOT/tools/measure/parse_capos.py" "$OUT/capos.json" $logs
echo "run-measure: wrote $OUT/capos.json"

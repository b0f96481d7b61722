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
#
# Then every package once more on the measure kernel (capos-measure.elf,
# kernel/segments.hpp), whose snapshots add the instructions spent in each
# segment of the system-call path: capos-segments.log, the CALL segment
# split in capos.json ("segments"). Its own figures are a little higher
# (each stamp costs ~10 instructions) and are not the rows' figures.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=$BUILD/measure
QEMU=${QEMU:-qemu-system-x86_64}
BOOTS=${MEASURE_BOOTS:-5}
KERNEL=$BUILD/kernel/capos.elf
SEGKERNEL=$BUILD/kernel/capos-measure.elf
PKG=$BUILD/bootpkg/measure.bin
IPC_ROWS="ipc ipc_copy ipc_move ipc_batch32 ipc_oneway"
mkdir -p "$OUT"
for f in "$KERNEL" "$SEGKERNEL" "$PKG"; do
    [ -f "$f" ] || { echo "run-measure: $f is missing (build first)" >&2; exit 1; }
done
for row in $IPC_ROWS; do
    f=$BUILD/bootpkg/measure_$row.bin
    [ -f "$f" ] || { echo "run-measure: $f is missing (build first)" >&2; exit 1; }
done

boot() {  # boot LOG PACKAGE CMDLINE [KERNEL]
    rm -f "$1"
    status=0
    timeout 1800 "$QEMU" -accel tcg -M q35 -m 256M -display none -no-reboot -monitor none \
        -serial "file:$1" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -icount shift=0,align=off,sleep=off -seed 1 -rtc base=2025-01-01T00:00:00,clock=vm \
        -kernel "${4:-$KERNEL}" -initrd "$2" -append "$3" || status=$?
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
    parts="$OUT/capos-$i-kernel.log"
    for row in $IPC_ROWS; do
        boot "$OUT/capos-$i-$row.log" "$BUILD/bootpkg/measure_$row.bin" "boot=services services=concurrent shutdown log=debug"
        parts="$parts $OUT/capos-$i-$row.log"
    done
    # shellcheck disable=SC2086
    cat $parts > "$log"
    logs="$logs $log"
    i=$((i + 1))
done
echo "run-measure: the segment split (capos-measure.elf)"
seg=$OUT/capos-segments.log
boot "$OUT/capos-seg-kernel.log" "$PKG" "boot=services shutdown log=debug" "$SEGKERNEL"
parts="$OUT/capos-seg-kernel.log"
for row in $IPC_ROWS; do
    boot "$OUT/capos-seg-$row.log" "$BUILD/bootpkg/measure_$row.bin" "boot=services services=concurrent shutdown log=debug" "$SEGKERNEL"
    parts="$parts $OUT/capos-seg-$row.log"
done
# shellcheck disable=SC2086
cat $parts > "$seg"
# shellcheck disable=SC2086
python3 "$ROOT/tools/measure/parse_capos.py" --segments "$seg" "$OUT/capos.json" $logs
echo "run-measure: wrote $OUT/capos.json"

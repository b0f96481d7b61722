#!/bin/sh
# make measure-linux: the Linux peer, measured in the same QEMU as capOS.
#
#   tools/measure/linux.sh [BUILD]        (default BUILD=build)
#
# 1. Downloads Debian 12's kernel image package with `apt-get download` into
#    BUILD/measure/linux/ (never installed on the host) and extracts vmlinuz
#    with dpkg-deb. LINUX_PKG pins the package (default: whatever
#    linux-image-amd64 depends on now); the version is recorded in the JSON.
# 2. Builds the static benchmark programs of bench/measure/linux/ (the same
#    timing harness as capOS, bench/measure/harness.hpp) and a static /init,
#    and packs them into an initramfs with cpio (fixed owners and times).
# 3. Boots it with the measure QEMU flags, once with mitigations=off and
#    once with the kernel's defaults (MEASURE_BOOTS times each, default 2,
#    to show that the counts repeat), and writes BUILD/measure/linux.json
#    (tools/measure/parse_linux.py) beside the serial logs.
#
# Needs: apt (runs `apt-get update` when it has no package lists), dpkg-deb, g++
# with static glibc (libc6-dev), cpio, qemu-system-x86_64, python3.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=$BUILD/measure
WORK=$OUT/linux
QEMU=${QEMU:-qemu-system-x86_64}
BOOTS=${MEASURE_BOOTS:-2}
CXX=${CXX:-g++}
mkdir -p "$WORK"

# --- 1. the kernel -----------------------------------------------------------
resolve() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
pkg=${LINUX_PKG:-}
[ -n "$pkg" ] || pkg=$(resolve)
if [ -z "$pkg" ]; then
    # A fresh machine may have no package lists yet.
    echo "measure-linux: no package lists; running apt-get update"
    if [ "$(id -u)" -eq 0 ]; then apt-get update -q; else sudo apt-get update -q; fi
    pkg=$(resolve)
fi
if [ -z "$pkg" ]; then
    echo "measure-linux: cannot resolve linux-image-amd64 (run 'apt-get update' first)" >&2
    exit 1
fi
deb=$(ls "$WORK"/"${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
    echo "measure-linux: downloading $pkg"
    (cd "$WORK" && apt-get download "$pkg")
    deb=$(ls "$WORK"/"${pkg}"_*.deb | head -n 1)
fi
version=$(dpkg-deb -f "$deb" Version)
rm -rf "$WORK/pkg"
dpkg-deb -x "$deb" "$WORK/pkg"
vmlinuz=$(ls "$WORK"/pkg/boot/vmlinuz-* | head -n 1)
echo "measure-linux: kernel $pkg $version ($(basename "$vmlinuz"))"

# --- 2. programs and initramfs -----------------------------------------------
ROOTFS=$WORK/rootfs
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS/bin" "$ROOTFS/dev" "$ROOTFS/proc" "$ROOTFS/sys"
CXXFLAGS="-std=gnu++20 -O2 -Wall -Wextra -Werror -static -I$ROOT"
for prog in getpid pipe futex uring scm_rights; do
    $CXX $CXXFLAGS -o "$ROOTFS/bin/$prog" "$ROOT/bench/measure/linux/$prog.cpp"
done
$CXX $CXXFLAGS -o "$ROOTFS/init" "$ROOT/bench/measure/linux/init.cpp"
find "$ROOTFS" -exec touch -h -d @0 {} +
(cd "$ROOTFS" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible -R 0:0 --quiet) \
    > "$WORK/initramfs.cpio"

# --- 3. boots ----------------------------------------------------------------
# The same flags as make run-measure, plus what a Linux guest needs for
# repeatable counts (-seed, a fixed virtual RTC).
boot() {  # boot LOG APPEND
    rm -f "$1"
    timeout 1800 "$QEMU" -accel tcg -M q35 -m 256M -display none -no-reboot -monitor none \
        -serial "file:$1" -icount shift=0,align=off,sleep=off \
        -seed 1 -rtc base=2025-01-01T00:00:00,clock=vm \
        -kernel "$vmlinuz" -initrd "$WORK/initramfs.cpio" -append "$2"
}
args=""
i=1
while [ "$i" -le "$BOOTS" ]; do
    for config in mitigations-off defaults; do
        log=$OUT/linux-$config-$i.log
        append="console=ttyS0 quiet panic=-1"
        [ "$config" = mitigations-off ] && append="$append mitigations=off"
        echo "measure-linux: boot $i, $config"
        boot "$log" "$append"
        args="$args $config=$log"
    done
    i=$((i + 1))
done
# shellcheck disable=SC2086
python3 "$ROOT/tools/measure/parse_linux.py" "$OUT/linux.json" "package=$pkg" "version=$version" $args
echo "measure-linux: wrote $OUT/linux.json"

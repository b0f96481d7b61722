#!/bin/sh
# Installs exactly the Debian packages capOS needs to build, run and test.
# Idempotent and non-interactive; costs about a second when all are present.
# Runs as root directly, or as a user through sudo.
set -eu

PACKAGES="
make cmake ninja-build pkg-config g++ clang lld libclang-rt-14-dev python3 git
qemu-system-x86 grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools ovmf
capnproto libcapnp-dev libgtest-dev librapidcheck-dev libbenchmark-dev
cpio gnuplot-nox
dpkg-dev debian-archive-keyring xz-utils
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "install-deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: need root or sudo to install:$missing" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
echo "install-deps: done"

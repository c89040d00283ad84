#!/bin/sh
# Install the host packages the QEMU harness needs, when missing (Debian/Ubuntu, needs root).
#
# usage: scripts/qemu/ensure-packages.sh [PACKAGE...]
# Default set: qemu-system-x86 busybox-static cpio e2fsprogs dosfstools mtools.
set -eu

pkgs=${*:-qemu-system-x86 busybox-static cpio e2fsprogs dosfstools mtools}
missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "ensure-packages: installing$missing" >&2
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "ensure-packages: not root and no sudo; install$missing yourself" >&2; exit 1
    fi
else
    SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q $missing >&2; then
    $SUDO apt-get update -q >&2
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q $missing >&2
fi

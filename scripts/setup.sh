#!/bin/sh
# Installs what building, running and testing the LKM Preresolver needs on Debian/Ubuntu.
#   scripts/setup.sh build   a JDK (17+) and Maven
#   scripts/setup.sh all     also what the test suite drives: QEMU, busybox, cpio, file system
#                            tools, gcc/make for out-of-tree modules, binutils, kmod, openssl, xz, zstd,
#                            chromium (renders the HTML report), man/groff/col (checks the man pages)
# Idempotent: installs only packages that are missing. Uses sudo when not root.
set -eu
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
command -v apt-get >/dev/null 2>&1 || { echo "setup.sh: needs apt-get (Debian/Ubuntu)" >&2; exit 1; }

want=${1:-all}
base="maven binutils"
command -v javac >/dev/null 2>&1 || base="openjdk-17-jdk-headless $base"
tests="qemu-system-x86 qemu-system-misc qemu-system-arm qemu-system-ppc qemu-system-mips busybox-static cpio
       e2fsprogs dosfstools mtools gcc-12 make libelf1 python3 kmod openssl xz-utils zstd gzip
       chromium man-db groff-base bsdextrautils time"
case $want in
    build) list=$base ;;
    all) list="$base $tests" ;;
    *) echo "usage: setup.sh [build|all]" >&2; exit 2 ;;
esac
missing=""
for p in $list; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup.sh: installing$missing" >&2
    $sudo apt-get update -q >&2 || true
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >&2
fi

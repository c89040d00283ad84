#!/bin/sh
# Make a usable KDIR (for `make -C KDIR M=... modules`) from Debian's kernel headers unpacked by
# scripts/fetch-debian-kernel.sh, without installing them under /usr/src.
#
# usage: scripts/kbuild/debian-kdir.sh KERNEL_DIR OUTDIR
#   KERNEL_DIR  a directory printed by scripts/fetch-debian-kernel.sh (…/debian/<abi>)
#   OUTDIR      a new or empty directory; receives OUTDIR/common and OUTDIR/headers
# Prints OUTDIR/headers, the KDIR to use. Needs gcc-12, make, binutils and libelf1 on the host
# for the build itself (scripts/setup.sh all installs them).
#
# Debian's linux-headers-<abi>/Makefile includes /usr/src/linux-headers-<ver>-common/Makefile by
# absolute path, and its scripts/ and tools/ are symlinks to ../../lib/linux-kbuild-<series>. So
# OUTDIR/common and OUTDIR/headers are shadows (directories of symlinks) of the two header
# directories, whose scripts/ and tools/ point at the unpacked linux-kbuild and whose Makefile
# includes the shadow -common Makefile. Kbuild writes nothing into KDIR for an M= build, so the
# cache stays clean. (The same steps as scripts/build-test-modules.sh.)
set -eu

die() { echo "debian-kdir: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 KERNEL_DIR OUTDIR"
kdir=$1
out=$2
root=$kdir/root
abi=$(basename "$kdir")
hdr=$root/usr/src/linux-headers-$abi
[ -f "$hdr/Makefile" ] && [ -f "$hdr/Module.symvers" ] || die "no headers at $hdr"

common_inc=$(sed -n 's/^include \(.*\/Makefile\)$/\1/p' "$hdr/Makefile" | head -n1)
[ -n "$common_inc" ] || die "$hdr/Makefile includes no common Makefile"
common=$root/usr/src/$(basename "$(dirname "$common_inc")")
[ -f "$common/Makefile" ] || die "no $common/Makefile"
kbuild=$(cd "$hdr" && readlink scripts)
case "$kbuild" in
    /*) kbuild_dir=$root$(dirname "$kbuild") ;;
    *) kbuild_dir=$(cd "$hdr" && cd "$(dirname "$kbuild")" && pwd) ;;
esac
[ -f "$kbuild_dir/scripts/Makefile.build" ] && [ -x "$kbuild_dir/scripts/mod/modpost" ] \
    || die "no kbuild tools at $kbuild_dir (linux-kbuild package unpacked?)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
[ ! -e "$out/common" ] && [ ! -e "$out/headers" ] || die "$out/common or $out/headers exists already"

# shadow SRC DST: DST is a new directory of symlinks to SRC's entries, except Makefile, scripts, tools.
shadow() {
    mkdir "$2"
    for e in "$1"/* "$1"/.[!.]*; do
        [ -e "$e" ] || [ -L "$e" ] || continue
        case $(basename "$e") in Makefile|scripts|tools) continue ;; esac
        ln -s "$e" "$2/$(basename "$e")"
    done
    ln -s "$kbuild_dir/scripts" "$2/scripts"
    ln -s "$kbuild_dir/tools" "$2/tools"
}
shadow "$common" "$out/common"
ln -s "$common/Makefile" "$out/common/Makefile"
shadow "$hdr" "$out/headers"
sed "s#^include .*/Makefile\$#include $out/common/Makefile#" "$hdr/Makefile" >"$out/headers/Makefile"
echo "$out/headers"

#!/bin/sh
# The main job on a real default kernel: fetches Debian's current amd64 kernel with apt-get
# download, builds the tool, and preresolves the whole module tree into ./out/<release>,
# printing one PRERESV line per module and a summary.
#
#   scripts/demo.sh                       # Debian's current default kernel
#   scripts/demo.sh 6.1.0-56-cloud-amd64  # another Debian kernel ABI
#   KERNEL=/boot/vmlinuz-X MODULES=/lib/modules/X scripts/demo.sh   # your own kernel and tree
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh build
if [ ! -f target/lkm-preresolver.jar ] || [ -n "$(find src pom.xml -newer target/lkm-preresolver.jar | head -n1)" ]; then
    mvn -B -q -ntp package -DskipTests
fi
if [ -n "${KERNEL:-}" ]; then
    kernel=$KERNEL
    modules=${MODULES:?set MODULES to the module tree of KERNEL}
    release=$(basename "$modules")
else
    dir=$(sh scripts/fetch-debian-kernel.sh "${1:-}" | tail -n1)
    release=$(ls "$dir/root/lib/modules")
    kernel="$dir/root/boot/vmlinuz-$release"
    modules="$dir/root/lib/modules/$release"
fi
out="out/$release"
rm -rf "$out"
# Debian's kernel has KASLR on: the output is only for boots with 'nokaslr'. Debian signs its
# modules: the output is unsigned (restore gives the signed originals back).
# No --assume-nokaslr: Debian's kernel randomises its base, so the tool binds in anchor mode.
exec bin/lkm-preresolver preresolve --kernel "$kernel" --strip-signature -o "$out" "$modules"

#!/bin/sh
# Benchmark: a .ko.xz tree (Debian sid's, 4216 modules) in one run, the tool against the xz command:
#   xz-d     xz -dc of every module, 2 processes (xargs -P2, 64 files per xz)
#   dry      lkm-preresolver preresolve -n  -j2 --assume-nokaslr (plain mode; ELF vmlinux), JVM start included
#   dry-anc  the same in the default mode for this KASLR kernel, anchor mode
#   dry256   the same with -Xmx256m
#   xz       xz --check=crc32 --lzma2=dict=1MiB -T1 of every (uncompressed) module, 2 processes,
#            64 files per xz (the fastest way to run the command: the floor)
#   xz-kbuild the same, one xz per module as kbuild runs it (Makefile.modinst: a rule per
#            module, cmd_xz = xz --check=crc32 --lzma2=dict=1MiB -f $<), 2 at a time (make -j2)
#   out      lkm-preresolver preresolve -o DIR --no-fsync -j2 (xz does not fsync either)
#   out256   the same with -Xmx256m
#   dry-java, out-java   dry and out with LKMPR_NATIVE_XZ=off (xz-java only)
# Each line: name, wall seconds, CPU seconds (user+sys, children included), peak RSS (KiB).
#
#   scripts/bench/compressed-tree.sh [RUNS]      default 1; SUITE (default sid) picks the kernel
set -eu
cd "$(dirname "$0")/../.."
runs=${1:-1}
dir=$(SUITE=${SUITE:-sid} sh scripts/fetch-debian-kernel.sh | tail -n1)
release=$(basename "$dir")
tree=$dir/root/usr/lib/modules/$release/kernel
[ -d "$tree" ] || tree=$dir/root/lib/modules/$release/kernel
image=$dir/root/usr/lib/modules/$release/vmlinuz
[ -f "$image" ] || image=$dir/root/boot/vmlinuz-$release
[ -f target/lkm-preresolver.jar ] || mvn -B -q -ntp package -DskipTests
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

work=${TMPDIR:-/tmp}/lkmpr-bench-xz
rm -rf "$work"; mkdir -p "$work"
vmlinux=$work/vmlinux
bin/lkm-preresolver extract "$image" -o "$vmlinux" >/dev/null
# The uncompressed tree, for the xz recompression (not timed).
cp -r "$tree" "$work/plain"
find "$work/plain" -name '*.ko.xz' -print0 | xargs -0 -P2 -n 64 xz -d
n=$(find "$tree" -name '*.ko.xz' | wc -l)
echo "# $n modules, $(du -sm "$tree" | cut -f1) MB compressed, $(du -sm "$work/plain" | cut -f1) MB uncompressed"
echo "# $(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

t() {  # t NAME COMMAND...: one timed line
    name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
        echo "bench: $name failed:" >&2; tail -n3 "$work/err" >&2; }
    awk -v n="$name" '{printf "%-9s %8.2f s wall %8.2f s cpu %8d KiB\n", n, $1, $2 + $3, $4}' "$work/time"
}
tool() { bin/lkm-preresolver preresolve -q --assume-nokaslr --strip-signature -j2 -k "$vmlinux" "$@"; }
small="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Xmx256m"
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    t xz-d sh -c "find '$tree' -name '*.ko.xz' -print0 | xargs -0 -P2 -n 64 xz -dc"
    t dry sh -c "bin/lkm-preresolver preresolve -n -q --assume-nokaslr --strip-signature -j2 -k '$vmlinux' '$tree'"
    t dry-anc sh -c "bin/lkm-preresolver preresolve -n -q --strip-signature -j2 -k '$vmlinux' '$tree'"
    t dry256 env LKMPR_JAVA_OPTS="$small" bin/lkm-preresolver preresolve -n -q --assume-nokaslr --strip-signature -j2 -k "$vmlinux" "$tree"
    find "$work/plain" -name '*.xz' -delete
    t xz sh -c "find '$work/plain' -name '*.ko' -print0 | xargs -0 -P2 -n 64 xz --check=crc32 --lzma2=dict=1MiB -T1 -k -f"
    find "$work/plain" -name '*.xz' -delete
    t xz-kbuild sh -c "find '$work/plain' -name '*.ko' -print0 | xargs -0 -P2 -n 1 xz --check=crc32 --lzma2=dict=1MiB -T1 -k -f"
    rm -rf "$work/out"
    t out sh -c "bin/lkm-preresolver preresolve -o '$work/out' --no-fsync -q --assume-nokaslr --strip-signature -j2 -k '$vmlinux' '$tree'"
    rm -rf "$work/out"
    t out256 env LKMPR_JAVA_OPTS="$small" bin/lkm-preresolver preresolve -o "$work/out" --no-fsync -q --assume-nokaslr --strip-signature -j2 -k "$vmlinux" "$tree"
    if [ -n "${JAVA_TOO:-}" ]; then
        t dry-java env LKMPR_NATIVE_XZ=off bin/lkm-preresolver preresolve -n -q --assume-nokaslr --strip-signature -j2 -k "$vmlinux" "$tree"
        rm -rf "$work/out"
        t out-java env LKMPR_NATIVE_XZ=off bin/lkm-preresolver preresolve -o "$work/out" --no-fsync -q --assume-nokaslr --strip-signature -j2 -k "$vmlinux" "$tree"
    fi
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# The outputs: every one CRC32 with a 1 MiB dictionary (what the kernel's decompressor takes).
# (The CRC32 count includes one "Totals" line per xz that xargs starts.)
echo "# outputs: $(find "$work/out" -name '*.ko.xz' | wc -l) .ko.xz; xz -lvv: $(find "$work/out" -name '*.ko.xz' -print0 \
    | xargs -0 xz -lvv | grep -c 'Check: *CRC32') CRC32, $(find "$work/out" -name '*.ko.xz' -print0 \
    | xargs -0 xz -lvv | grep -c -- '--lzma2=dict=1MiB') dict=1MiB"

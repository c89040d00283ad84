#!/bin/sh
# Benchmark: the whole Debian module tree, in place on a fresh copy, against `depmod -a` on the
# same copy, in the same run. One JVM per tool run, JVM start included; -Xmx256m.
#
#   scripts/bench/tree.sh [RUNS] [ABI]     default 5 runs, Debian's current default kernel
#
# Prints one line per run and the medians. Each run: copy the tree (not timed), drop nothing
# from the page cache (both tools read a warm cache, as in a build), then time:
#   depmod   depmod -b COPY -a RELEASE
#   elf      lkm-preresolver with the ELF vmlinux (what a kernel build has)
#   bzimage  lkm-preresolver with the compressed vmlinuz, exports cache warm
#   nosync   as elf, with --no-fsync
# Peak RSS is reported for the elf run (GNU time's %M).
set -eu
cd "$(dirname "$0")/../.."
runs=${1:-5}
dir=$(sh scripts/fetch-debian-kernel.sh ${2:-} | tail -n1)
release=$(ls "$dir/root/lib/modules")
image="$dir/root/boot/vmlinuz-$release"
config="$dir/root/boot/config-$release"
[ -f target/lkm-preresolver.jar ] || mvn -B -q -ntp package -DskipTests
command -v depmod >/dev/null || { echo "bench: depmod missing (apt-get install kmod)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

work=${TMPDIR:-/tmp}/lkmpr-bench
rm -rf "$work"; mkdir -p "$work"
# The ELF vmlinux inside the bzImage, as a kernel build tree would have it.
bin/lkm-preresolver exports -k "$image" >/dev/null # warms the exports cache
vmlinux="$work/vmlinux"
bin/lkm-preresolver extract "$image" -o "$vmlinux" >/dev/null

tool() { # label, extra args...
    label=$1; shift
    rm -rf "$work/copy"; mkdir -p "$work/copy/lib/modules"
    cp -a "$dir/root/lib/modules/$release" "$work/copy/lib/modules/"
    sync
    /usr/bin/time -f "%e %M" -o "$work/time.$label" env LKMPR_JAVA_OPTS="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto" \
        bin/lkm-preresolver preresolve "$@" --config "$config" --assume-nokaslr --strip-signature -q --in-place \
        "$work/copy/lib/modules/$release" 2>/dev/null
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "kernel: $release, $(find "$dir/root/lib/modules/$release" -name '*.ko' | wc -l) modules, $(du -sm "$dir/root/lib/modules/$release" | cut -f1) MB"
echo "java: $(java -version 2>&1 | head -1)"
printf '%-4s %8s %8s %8s %8s %9s %8s\n' run depmod elf bzimage nosync elf/depmod rss_MB
i=1
while [ "$i" -le "$runs" ]; do
    rm -rf "$work/copy"; mkdir -p "$work/copy/lib/modules"
    cp -a "$dir/root/lib/modules/$release" "$work/copy/lib/modules/"
    sync
    /usr/bin/time -f "%e %M" -o "$work/time.depmod" depmod -b "$work/copy" -a "$release"
    tool elf -k "$vmlinux"
    tool bzimage -k "$image"
    tool nosync -k "$vmlinux" --no-fsync
    d=$(cut -d' ' -f1 "$work/time.depmod"); e=$(cut -d' ' -f1 "$work/time.elf")
    b=$(cut -d' ' -f1 "$work/time.bzimage"); n=$(cut -d' ' -f1 "$work/time.nosync")
    m=$(cut -d' ' -f2 "$work/time.elf")
    printf '%-4s %8s %8s %8s %8s %9.2f %8d\n' "$i" "$d" "$e" "$b" "$n" "$(echo "$e / $d" | bc -l)" $((m / 1024))
    echo "$d $e $b $n $m" >> "$work/all"
    i=$((i + 1))
done
awk '{for (c = 1; c <= 4; c++) v[c, NR] = $c} END {
    split("depmod elf bzimage nosync", name, " ")
    for (c = 1; c <= 4; c++) {
        n = 0; for (r = 1; r <= NR; r++) a[++n] = v[c, r]
        for (x = 1; x <= n; x++) for (y = x + 1; y <= n; y++) if (a[y] < a[x]) { t = a[x]; a[x] = a[y]; a[y] = t }
        printf "median %-8s %s s\n", name[c], a[int((n + 1) / 2)]
    }
}' "$work/all"
# The I/O floor of any atomic in-place rewrite of this tree on this machine (no ELF work).
rm -rf "$work/copy"; mkdir -p "$work/copy/lib/modules"
cp -a "$dir/root/lib/modules/$release" "$work/copy/lib/modules/"; sync
[ -d target/test-classes ] || mvn -B -q -ntp test-compile
java -cp target/test-classes org.preresolver.bench.IoFloor "$work/copy/lib/modules/$release"
# The same run without writing: reading and deciding only.
/usr/bin/time -f "dry run (-n): %e s wall, %U s user, %S s sys, %M KB peak RSS" env \
    LKMPR_JAVA_OPTS="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto" bin/lkm-preresolver preresolve \
    -k "$vmlinux" --config "$config" --assume-nokaslr --strip-signature -q -n "$dir/root/lib/modules/$release" 2>&1 \
    | grep -v WARNING
rm -rf "$work/copy"

#!/bin/sh
# Benchmark: the dry run over Debian's uncompressed amd64 tree against `depmod -a` on a copy of the
# same tree, in the same run, runs interleaved. One JVM per tool run, JVM start and kernel load
# included, the launcher's default JVM options.
#
#   scripts/bench/dry-run.sh [RUNS] [ABI]     default 5 runs, the test suite's Debian kernel
#   GAP=3 scripts/bench/dry-run.sh ...         each run after 3 s idle (see below)
#
# On a virtual machine that hands freed memory back to its host (free page reporting), a process
# that touches memory another one freed within the last second or two gets it cheaply, and one that
# starts later pays the host for every page: JVM runs one after the other then alternate between
# fast and slow. GAP puts every run in the same (slow) state; depmod, with little memory, is hardly
# affected (BENCHMARKS.md, section 6).
#
# Prints one line per run (wall seconds, and user+sys CPU seconds) and the medians:
#   depmod   depmod -b COPY -a RELEASE
#   anchor   preresolve -n, the default for this KASLR kernel (anchor mode, loader simulation included)
#   plain    preresolve -n --assume-nokaslr
set -eu
cd "$(dirname "$0")/../.."
runs=${1:-5}
dir=$(sh scripts/fetch-debian-kernel.sh ${2:-} | tail -n1)
release=$(ls "$dir/root/lib/modules")
tree="$dir/root/lib/modules/$release"
[ -f target/lkm-preresolver.jar ] || mvn -B -q -ntp package -DskipTests
command -v depmod >/dev/null || { echo "bench: depmod missing (apt-get install kmod)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
work=${TMPDIR:-/tmp}/lkmpr-bench-dry
rm -rf "$work"; mkdir -p "$work/copy/lib/modules"
cp -a "$tree" "$work/copy/lib/modules/"
vmlinux="$work/vmlinux"
bin/lkm-preresolver extract "$dir/root/boot/vmlinuz-$release" -o "$vmlinux" >/dev/null
config="$dir/root/boot/config-$release"
# Warm the page cache for both: each reads the same files.
cat "$vmlinux" > /dev/null; find "$tree" "$work/copy" -name '*.ko' -exec cat {} + > /dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "kernel: $release, $(find "$tree" -name '*.ko' | wc -l) modules, $(du -sm "$tree" | cut -f1) MB"
echo "java: $(java -version 2>&1 | head -1)"
t() { # label, command...
    label=$1; shift
    [ "${GAP:-0}" = 0 ] || sleep "$GAP"
    /usr/bin/time -f "%e %U %S" -o "$work/t" "$@" > /dev/null 2>&1 || { echo "bench: $label failed" >&2; exit 1; }
    awk -v l="$label" '{printf "%s %.2f %.2f\n", l, $1, $2 + $3}' "$work/t" >> "$work/all"
    awk '{printf "%8.2f (%5.2f cpu)", $1, $2 + $3}' "$work/t"
}
printf '%-4s %22s %22s %22s\n' run depmod anchor plain
i=1
while [ "$i" -le "$runs" ]; do
    printf '%-4s' "$i"
    t depmod depmod -b "$work/copy" -a "$release"
    t anchor bin/lkm-preresolver preresolve -k "$vmlinux" --config "$config" --strip-signature -q -n "$tree"
    t plain bin/lkm-preresolver preresolve -k "$vmlinux" --config "$config" --assume-nokaslr --strip-signature -q -n "$tree"
    echo
    i=$((i + 1))
done
for l in depmod anchor plain; do
    grep "^$l " "$work/all" | sort -k2 -n | awk -v l="$l" '{w[NR] = $2; c[NR] = $3} END {
        m = int((NR + 1) / 2); printf "median %-7s %6.2f s wall, %6.2f s cpu\n", l, w[m], c[m] }'
done | tee "$work/medians"
awk '/depmod/ {d = $3} /anchor/ {a = $3} /plain/ {p = $3} END {
    printf "anchor / depmod = %.2f, plain / depmod = %.2f (wall)\n", a / d, p / d }' "$work/medians"
# The same, round by round (each round's runs share the machine's state): the medians of the ratios.
awk '$1 == "depmod" {d[++nd] = $2} $1 == "anchor" {a[++na] = $2} $1 == "plain" {p[++np] = $2} END {
    for (i = 1; i <= nd; i++) print a[i] / d[i], p[i] / d[i] }' "$work/all" > "$work/ratios"
sort -n "$work/ratios" | awk '{r[NR] = $1} END {printf "round by round: anchor / depmod median %.2f", r[int((NR + 1) / 2)]}'
sort -k2 -n "$work/ratios" | awk '{r[NR] = $2} END {printf ", plain / depmod median %.2f\n", r[int((NR + 1) / 2)]}'
rm -rf "$work"

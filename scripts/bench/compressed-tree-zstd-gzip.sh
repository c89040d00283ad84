#!/bin/sh
# The .ko.zst and .ko.gz trees of BENCHMARKS.md section 5: the modules that scripts/bench/compressed-tree.sh
# left uncompressed in $TMPDIR/lkmpr-bench-xz/plain (run it first), compressed as kbuild does (7.2's
# scripts/Makefile.modinst: `zstd --rm -f -q`, level 3; `gzip -n -f`, level 6), then timed as that script times
# the .ko.xz tree: decompress all, -n, recompress all (the same commands, -k), -o. 2 processes. The first line,
# dry-plain, is -n on the uncompressed tree: the tool's own work with no decompression at all.
#   scripts/bench/compressed-tree-zstd-gzip.sh
set -eu
cd "$(dirname "$0")/../.."
w=${TMPDIR:-/tmp}/lkmpr-bench-xz
vm=$w/vmlinux
t() { name=$1; shift; /usr/bin/time -f "%e %U %S %M" -o $w/time "$@" >/dev/null 2>$w/err || { echo "$name failed" >&2; tail -n2 $w/err >&2; }
      awk -v n="$name" '{printf "%-9s %8.2f s wall %8.2f s cpu %8d KiB\n", n, $1, $2 + $3, $4}' $w/time; }
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
find $w/plain -name '*.ko.*' -delete  # compressed-tree.sh's xz -k left .ko.xz beside each .ko
t dry-plain bin/lkm-preresolver preresolve -n -q --assume-nokaslr --strip-signature -j2 -k $vm $w/plain
for fmt in zst gz; do
  rm -rf $w/$fmt; mkdir -p $w/$fmt; (cd $w/plain && find . -name '*.ko' | cpio -pdm --quiet $w/$fmt)
  if [ $fmt = zst ]; then find $w/$fmt -name '*.ko' -print0 | xargs -0 -P2 -n 64 zstd --rm -f -q; dec="zstd -dc"; enc="zstd -k -f -q"
  else find $w/$fmt -name '*.ko' -print0 | xargs -0 -P2 -n 64 gzip -n -f; dec="gzip -dc"; enc="gzip -n -k -f"; fi
  echo "# $fmt: $(find $w/$fmt -name "*.ko.$fmt" | wc -l) modules, $(du -sm $w/$fmt | cut -f1) MB; load $(cut -d' ' -f1-3 /proc/loadavg)"
  t "$fmt-d" sh -c "find $w/$fmt -name '*.ko.$fmt' -print0 | xargs -0 -P2 -n 64 $dec"
  t "dry" bin/lkm-preresolver preresolve -n -q --assume-nokaslr --strip-signature -j2 -k $vm $w/$fmt
  find $w/plain -name "*.ko.$fmt" -delete
  t "$fmt" sh -c "find $w/plain -name '*.ko' -print0 | xargs -0 -P2 -n 64 $enc"
  rm -rf $w/out-$fmt
  t "out" bin/lkm-preresolver preresolve -o $w/out-$fmt --no-fsync -q --assume-nokaslr --strip-signature -j2 -k $vm $w/$fmt
  # The outputs: every one must pass the format's own test (zstd -t checks the XXH64 content checksum, gzip -t the CRC).
  if [ $fmt = zst ]; then tester="zstd -tq"; else tester="gzip -tq"; fi
  echo "# outputs: $(find $w/out-$fmt -name "*.ko.$fmt" | wc -l) .ko.$fmt; $tester: $(find $w/out-$fmt -name "*.ko.$fmt" -print0 \
      | xargs -0 -n 64 $tester >/dev/null 2>&1 && echo all pass || echo FAILURES)"
  find $w/plain -name "*.ko.$fmt" -delete
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

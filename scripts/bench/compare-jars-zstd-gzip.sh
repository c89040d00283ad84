#!/bin/sh
# Two jars of the tool (before/after a change) on the .ko.zst and .ko.gz trees that compressed-tree-zstd-gzip.sh
# leaves in $TMPDIR/lkmpr-bench-xz (run it first), in the same run: decompress all, -n with each jar, recompress
# all (kbuild's flags, -k), -o with each jar; two rounds per format. BENCHMARKS.md section 5.
#   scripts/bench/compare-jars-zstd-gzip.sh OLD.jar NEW.jar
set -eu
cd "$(dirname "$0")/../.."
old=${1:?OLD.jar}; new=${2:?NEW.jar}
w=${TMPDIR:-/tmp}/lkmpr-bench-xz; vm=$w/vmlinux
J="java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -jar"
t() { name=$1; shift; /usr/bin/time -f "%e %U %S %M" -o $w/time "$@" >/dev/null 2>$w/err || { echo "$name failed" >&2; tail -n2 $w/err >&2; }
      awk -v n="$name" '{printf "%-9s %8.2f s wall %8.2f s cpu %8d KiB\n", n, $1, $2 + $3, $4}' $w/time; }
a="preresolve -q --assume-nokaslr --strip-signature -j2 -k $vm"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for fmt in zst gz; do
  if [ $fmt = zst ]; then dec="zstd -dc"; enc="zstd -k -f -q"; else dec="gzip -dc"; enc="gzip -n -k -f"; fi
  for r in 1 2; do
  t "$fmt-d" sh -c "find $w/$fmt -name '*.ko.$fmt' -print0 | xargs -0 -P2 -n 64 $dec"
  t dry-old $J "$old" $a -n $w/$fmt
  t dry-new $J "$new" $a -n $w/$fmt
  find $w/plain -name "*.ko.*" -delete
  t "$fmt" sh -c "find $w/plain -name '*.ko' -print0 | xargs -0 -P2 -n 64 $enc"
  find $w/plain -name "*.ko.*" -delete
  rm -rf $w/o-old $w/o-new
  t out-old $J "$old" $a --no-fsync -o $w/o-old $w/$fmt
  t out-new $J "$new" $a --no-fsync -o $w/o-new $w/$fmt
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

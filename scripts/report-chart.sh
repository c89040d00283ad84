#!/bin/sh
# Makes the picture of the HTML report committed as docs/report-debian-6.1.png: a dry run over
# the whole module tree of a Debian kernel (fetched with scripts/fetch-debian-kernel.sh), rendered
# to HTML by `lkm-preresolver report`, then screenshot by headless chromium (no network).
#
#   scripts/report-chart.sh [ABI] [PNG]     default: 6.1.0-56-amd64, docs/report-debian-6.1.png
# Also leaves out/report-<release>.html and out/report-<release>.md (summary tables) behind.
set -eu
cd "$(dirname "$0")/.."
abi=${1:-6.1.0-56-amd64}
png=${2:-docs/report-debian-6.1.png}
[ -f target/lkm-preresolver.jar ] || mvn -B -q -ntp package -DskipTests
dir=$(sh scripts/fetch-debian-kernel.sh "$abi" | tail -n1)
release=$(ls "$dir/root/lib/modules")
kernel="$dir/root/boot/vmlinuz-$release"
modules="$dir/root/lib/modules/$release"
mkdir -p out "$(dirname "$png")"
html="out/report-$release.html"
# Debian signs its modules and its kernel has KASLR: the report counts what a run with
# --strip-signature --assume-nokaslr would preresolve (the options of scripts/demo.sh).
bin/lkm-preresolver report -q --kernel "$kernel" --strip-signature --assume-nokaslr -f html -o "$html" "$modules"
bin/lkm-preresolver report -q --kernel "$kernel" --strip-signature --assume-nokaslr -f markdown --summary --top 5 \
    -o "out/report-$release.md" "$modules"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir="$profile" \
    --window-size=1280,1190 --screenshot="$png" "file://$PWD/$html" 2>/dev/null
echo "report-chart: $png from $html" >&2

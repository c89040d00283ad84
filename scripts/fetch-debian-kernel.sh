#!/bin/sh
# Fetch a Debian kernel image package (unsigned), its headers and kbuild tools with
# `apt-get download`, unpack them into a cache outside the repository, and print the cache dir.
#
# usage: scripts/fetch-debian-kernel.sh [ABI-FLAVOUR]     e.g. 6.1.0-56-amd64, 6.1.0-56-cloud-amd64
#        scripts/fetch-debian-kernel.sh --print-default   only print the default ABI (no download)
# Without an argument, the ABI of Debian's current default kernel (linux-image-amd64) is used.
# (The tests do not use that default directly: org.preresolver.testing.TestKernels resolves the
# ABI once, keeps it in $LKMPR_CACHE/debian/test-abi and always passes it here.)
# Environment: LKMPR_CACHE (default ~/.cache/lkm-preresolver), APT_ARCH (default amd64).
# Output layout: $LKMPR_CACHE/debian/<abi>/root/{boot,lib/modules,usr/src,...}; the last line
# printed on stdout is that directory.
# Exit codes: 0 done, 3 a package of that ABI cannot be downloaded (the archive dropped it), 1 other.
# Two processes fetching the same ABI at once are serialised by flock on $LKMPR_CACHE/debian/.<abi>.lock.
set -eu

cache=${LKMPR_CACHE:-${HOME:-/root}/.cache/lkm-preresolver}
arch=${APT_ARCH:-amd64}

log() { echo "fetch-debian-kernel: $*" >&2; }

abi=${1:-}
print_default=false
if [ "$abi" = --print-default ]; then print_default=true; abi=""; fi
if [ -z "$abi" ]; then
    dep=$(apt-cache depends "linux-image-$arch" 2>/dev/null | sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n1)
    if [ -z "$dep" ]; then
        log "apt-cache knows no linux-image-$arch; running apt-get update"
        apt-get update -q >&2
        dep=$(apt-cache depends "linux-image-$arch" | sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n1)
    fi
    [ -n "$dep" ] || { log "cannot find Debian's default kernel for $arch"; exit 1; }
    abi=$dep
fi
if $print_default; then echo "$abi"; exit 0; fi

dir="$cache/debian/$abi"
if [ -f "$dir/.complete" ]; then
    echo "$dir"
    exit 0
fi
mkdir -p "$cache/debian"
# One fetcher per ABI at a time (parallel JVMs, tests and the demo share the cache).
exec 9>"$cache/debian/.$abi.lock"
flock 9
if [ -f "$dir/.complete" ]; then  # another process finished it while we waited
    echo "$dir"
    exit 0
fi

# linux-headers-X depends on linux-headers-X-common (the ABI without the flavour) and linux-kbuild.
version=$(echo "$abi" | sed 's/^\([0-9]*\.[0-9]*\.[0-9]*-[0-9]*\)-.*/\1/')
series=$(echo "$abi" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
# Only the rt flavour has its own common headers (linux-headers-X-common-rt); cloud uses the
# plain one (apt-cache depends linux-headers-6.1.0-56-cloud-amd64: linux-headers-6.1.0-56-common).
case "$abi" in
    *-rt-*) commonflav=-rt ;;
    *) commonflav="" ;;
esac
pkgs="linux-image-$abi-unsigned linux-headers-$abi linux-headers-$version-common$commonflav linux-kbuild-$series"
if [ -n "$commonflav" ]; then pkgs="$pkgs linux-headers-$version-common"; fi

mkdir -p "$dir/debs"
tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for p in $pkgs; do
    if ! ls "$dir/debs/${p}_"*.deb >/dev/null 2>&1; then
        log "apt-get download $p"
        if ! (cd "$tmp" && apt-get download -q "$p" >&2); then
            apt-get update -q >&2
            (cd "$tmp" && apt-get download -q "$p" >&2) || {
                log "cannot download $p"
                rm -rf "$tmp"; rmdir "$dir/debs" "$dir" 2>/dev/null || true
                exit 3
            }
        fi
        mv "$tmp"/*.deb "$dir/debs/"
    fi
done
rm -rf "$dir/root"
mkdir -p "$tmp/root"
for d in "$dir"/debs/*.deb; do dpkg -x "$d" "$tmp/root"; done
mv "$tmp/root" "$dir/root"
touch "$dir/.complete"
echo "$dir"

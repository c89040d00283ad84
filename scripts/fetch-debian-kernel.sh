#!/bin/sh
# Fetch a Debian kernel image package (unsigned), its headers and kbuild tools with
# `apt-get download`, unpack them into a cache outside the repository, and print the cache dir.
#
# usage: scripts/fetch-debian-kernel.sh [ABI-FLAVOUR]     e.g. 6.1.0-56-amd64, 6.1.0-56-cloud-amd64
# Without an argument, the ABI of Debian's current default kernel (linux-image-amd64) is used.
# Environment: LKMPR_CACHE (default ~/.cache/lkm-preresolver), APT_ARCH (default amd64).
# Output layout: $LKMPR_CACHE/debian/<abi>/root/{boot,lib/modules,usr/src,...}; the last line
# printed on stdout is that directory.
set -eu

cache=${LKMPR_CACHE:-${HOME:-/root}/.cache/lkm-preresolver}
arch=${APT_ARCH:-amd64}

log() { echo "fetch-debian-kernel: $*" >&2; }

abi=${1:-}
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

dir="$cache/debian/$abi"
if [ -f "$dir/.complete" ]; then
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
            (cd "$tmp" && apt-get download -q "$p" >&2) || { log "cannot download $p"; exit 1; }
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

#!/bin/sh
# Fetch Debian's kernel for another architecture (image package, its headers for Module.symvers)
# and that architecture's static busybox, with a PRIVATE apt state (never dpkg --add-architecture),
# unpack them into a cache outside the repository, and print two lines: the kernel dir, the busybox.
#
# usage: scripts/fetch-debian-arch.sh ARCH [ABI-FLAVOUR]
#        scripts/fetch-debian-arch.sh ARCH --print-default   only print the default ABI
#   ARCH   Debian architecture: arm64 armhf armel i386 s390x ppc64el mips64el mipsel (amd64 works too)
#   ABI    e.g. 6.1.0-56-arm64; default: what Debian's meta package for ARCH points to
# Environment: LKMPR_CACHE (default ~/.cache/lkm-preresolver).
# Cache layout: $LKMPR_CACHE/apt-ARCH/{lists,cache}       private apt state (sources.list is the host's)
#               $LKMPR_CACHE/debian/<abi>/root/{boot,lib/modules,usr/src}   like fetch-debian-kernel.sh
#               $LKMPR_CACHE/busybox/ARCH/busybox         static busybox for ARCH
# Output: last two lines on stdout: the kernel dir ($LKMPR_CACHE/debian/<abi>), then the busybox path.
# Nothing is fetched again once it is in the cache; apt lists are refreshed only when a lookup or a
# download fails. The tests always pass the ABI (org.preresolver.testing.TestKernels resolves it
# once and keeps it in $LKMPR_CACHE/debian/test-abi-ARCH).
# Exit codes: 0 done, 3 a package of that ABI cannot be downloaded, 2 unknown ARCH, 1 other.
# Parallel runs for the same ARCH are serialised by flock on $LKMPR_CACHE/apt-ARCH/.lock (the private
# apt state, the kernel dir and busybox are all written under it).
set -eu

cache=${LKMPR_CACHE:-${HOME:-/root}/.cache/lkm-preresolver}
arch=${1:?usage: fetch-debian-arch.sh ARCH [ABI|--print-default]}
abi=${2:-}
print_default=false
if [ "$abi" = --print-default ]; then print_default=true; abi=""; fi

log() { echo "fetch-debian-arch: $*" >&2; }

# The flavour QEMU boots for each architecture (see docs/architectures.md).
case $arch in
    amd64) meta=linux-image-amd64 ;;
    arm64) meta=linux-image-arm64 ;;
    armhf) meta=linux-image-armmp ;;
    armel) meta=linux-image-rpi ;;
    i386) meta=linux-image-686-pae ;;
    s390x) meta=linux-image-s390x ;;
    ppc64el) meta=linux-image-powerpc64le ;;
    mips64el) meta=linux-image-5kc-malta ;;
    mipsel) meta=linux-image-4kc-malta ;;
    *) log "unknown architecture $arch"; exit 2 ;;
esac

state="$cache/apt-$arch"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
exec 9>"$state/.lock"
flock 9
aptopts="-oAPT::Architecture=$arch -oAPT::Architectures=$arch -oDir::State::Lists=$state/lists \
-oDir::Cache=$state/cache -q"
# shellcheck disable=SC2086
apt_update() {  # a mirror in sync may fail one index: go on with what was fetched
    log "apt-get update ($arch, private state)"
    apt-get $aptopts update >&2 || log "apt-get update reported errors; going on with the lists it has"
}
# shellcheck disable=SC2086
apt_cache() { apt-cache $aptopts "$@" 2>/dev/null; }

if ! ls "$state/lists/"*_Packages* >/dev/null 2>&1; then apt_update; fi

if [ -z "$abi" ]; then
    dep=$(apt_cache depends "$meta" | sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n1)
    if [ -z "$dep" ]; then apt_update; dep=$(apt_cache depends "$meta" | sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n1); fi
    [ -n "$dep" ] || { log "cannot find Debian's default kernel for $arch ($meta)"; exit 1; }
    abi=${dep%-unsigned}
fi
if $print_default; then echo "$abi"; exit 0; fi

download() {  # download PACKAGE DESTDIR: into DESTDIR unless a .deb of it is there
    if ls "$2/${1}_"*.deb >/dev/null 2>&1; then return 0; fi
    mkdir -p "$2"
    t=$(mktemp -d "$2/.fetch.XXXXXX")
    # shellcheck disable=SC2086
    if ! (cd "$t" && apt-get $aptopts download "$1" >&2); then
        apt_update
        # shellcheck disable=SC2086
        (cd "$t" && apt-get $aptopts download "$1" >&2) || { rm -rf "$t"; log "cannot download $1 ($arch)"; exit 3; }
    fi
    mv "$t"/*.deb "$2/"
    rm -rf "$t"
}

dir="$cache/debian/$abi"
if [ ! -f "$dir/.complete" ]; then
    # Secure-boot architectures (amd64, arm64, i386) have linux-image-X (signed) and linux-image-X-unsigned.
    if [ -z "$(apt_cache show "linux-image-$abi-unsigned" "linux-image-$abi" | head -n1)" ]; then apt_update; fi
    image=linux-image-$abi
    if [ -n "$(apt_cache show "linux-image-$abi-unsigned" | head -n1)" ]; then image=linux-image-$abi-unsigned; fi
    for p in "$image" "linux-headers-$abi"; do
        log "apt-get download $p ($arch)"
        download "$p" "$dir/debs"
    done
    tmp=$(mktemp -d "$dir/.unpack.XXXXXX")
    for d in "$dir"/debs/*.deb; do dpkg -x "$d" "$tmp"; done
    rm -rf "$dir/root"
    mv "$tmp" "$dir/root"
    touch "$dir/.complete"
fi

bb="$cache/busybox/$arch"
if [ ! -x "$bb/busybox" ]; then
    log "apt-get download busybox-static ($arch)"
    download busybox-static "$bb/debs"
    tmp=$(mktemp -d "$bb/.unpack.XXXXXX")
    dpkg -x "$bb"/debs/busybox-static_*.deb "$tmp"
    cp "$tmp/bin/busybox" "$bb/busybox.tmp"
    chmod 755 "$bb/busybox.tmp"
    mv "$bb/busybox.tmp" "$bb/busybox"
    rm -rf "$tmp"
fi
echo "$dir"
echo "$bb/busybox"

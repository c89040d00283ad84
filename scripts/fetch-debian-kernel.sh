#!/bin/sh
# Fetch a Debian kernel image package (unsigned), its headers and kbuild tools with
# `apt-get download`, unpack them into a cache outside the repository, and print the cache dir.
#
# usage: scripts/fetch-debian-kernel.sh [ABI-FLAVOUR]     e.g. 6.1.0-56-amd64, 6.1.0-56-cloud-amd64
#        scripts/fetch-debian-kernel.sh --print-default   only print the default ABI (no download)
# Without an argument, the ABI of Debian's current default kernel (linux-image-amd64) is used.
# (The tests do not use that default directly: org.preresolver.testing.TestKernels resolves the
# ABI once, keeps it in $LKMPR_CACHE/debian/test-abi and always passes it here.)
# Environment: LKMPR_CACHE (default ~/.cache/lkm-preresolver), APT_ARCH (default amd64),
#   SUITE   a Debian suite other than the machine's (trixie: 6.12, sid: 7.x, experimental): apt then
#           runs with a PRIVATE configuration in $LKMPR_CACHE/apt/<suite>/ (its own sources.list,
#           lists and cache; the machine's apt state is never changed). The packages
#           come from the archive the machine's sources name. Example: SUITE=sid scripts/fetch-debian-kernel.sh
#           With APT_ARCH other than amd64 the state is $LKMPR_CACHE/apt/<suite>-<arch>/
#           (APT_ARCH=arm64 SUITE=sid: sid's arm64 kernel, same layout).
# Output layout: $LKMPR_CACHE/debian/<abi>/root/{boot,lib/modules,usr/src,...} (newer suites:
# usr/lib/modules/<abi>/ holds the modules, and since 7.x also vmlinuz, config); the last line
# printed on stdout is that directory.
# Exit codes: 0 done, 3 a package of that ABI cannot be downloaded (the archive dropped it), 1 other.
# Two processes fetching the same ABI at once are serialised by flock on $LKMPR_CACHE/debian/.<abi>.lock.
set -eu

cache=${LKMPR_CACHE:-${HOME:-/root}/.cache/lkm-preresolver}
arch=${APT_ARCH:-amd64}

log() { echo "fetch-debian-kernel: $*" >&2; }
# shellcheck source=scripts/lib/debian-apt.sh
. "$(dirname "$0")/lib/debian-apt.sh"

# --- SUITE: a private apt configuration (sources.list, lists, cache) for another Debian suite ---
suite=${SUITE:-}
if [ -n "$suite" ]; then
    case $suite in
        *[!a-z0-9-]*|"") log "bad SUITE '$suite'"; exit 2 ;;
    esac
    private_apt
    abi=${1:-}
    if [ -z "$abi" ]; then
        dep=$(suite_cache depends "linux-image-$arch" | sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n1)
        if [ -z "$dep" ]; then suite_update; dep=$(suite_cache depends "linux-image-$arch" | sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n1); fi
        [ -n "$dep" ] || { log "cannot find the default kernel of $suite for $arch"; exit 1; }
        abi=${dep%-unsigned}
    fi
    dir="$cache/debian/$abi"
    if [ -f "$dir/.complete" ]; then echo "$dir"; exit 0; fi
    # Signed suites have linux-image-R (signed) and linux-image-R-unsigned: take the unsigned one when
    # it exists. The modules are in the image package; the headers (Module.symvers) depend on their
    # -common package and on linux-kbuild-* (sign-file, modpost), whatever those are called in the suite.
    # Since 7.x (sid), linux-image-R is a small package that depends on linux-binary-R (the image),
    # linux-modules-R and linux-base-R: fetch those instead.
    image=linux-image-$abi
    if [ -n "$(suite_cache show "linux-image-$abi-unsigned" | head -n1)" ]; then image=linux-image-$abi-unsigned; fi
    split=$(suite_cache depends "$image" | sed -n "s/^ *Depends: \\(linux-\\(binary\\|modules\\|base\\)-$abi\\)\$/\\1/p" | sort -u)
    if [ -n "$split" ]; then
        # linux-binary-R is what users install: it puts the image at /usr/lib/modules/R/vmlinuz
        # (linux-binary-unsigned-R names it vmlinuz.unsigned); the payload is the same.
        image=$(echo "$split" | tr '\n' ' ')
    fi
    pkgs="$image linux-headers-$abi $(suite_cache depends "linux-headers-$abi" \
        | sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ <]*\)$/\1/p' | sort -u | tr '\n' ' ')"
    case $pkgs in *linux-kbuild-*) ;; *) log "linux-headers-$abi names no linux-kbuild package in $suite"; exit 1 ;; esac
    # shellcheck disable=SC2086
    fetch_unpack "$dir" 1 $pkgs
    echo "$dir"
    exit 0
fi

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

machine_apt
# shellcheck disable=SC2086
fetch_unpack "$dir" 3 $pkgs
echo "$dir"

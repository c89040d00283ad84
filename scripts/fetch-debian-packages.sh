#!/bin/sh
# Download a few binary packages of a Debian suite with `apt-get download` and unpack them together
# into one directory of the cache; print that directory. The packages are not installed: a tool in
# them runs from the unpacked tree (for one built against a newer glibc, through the unpacked
# dynamic loader, as the tests do with sid's openssl: see org.preresolver.sign.SignTools).
#
# usage: SUITE=sid scripts/fetch-debian-packages.sh NAME PACKAGE...
#        e.g. SUITE=sid scripts/fetch-debian-packages.sh openssl openssl libssl3t64 libc6 libzstd1 zlib1g
# NAME names the set: $LKMPR_CACHE/debian-pkgs/<suite>/<NAME>/root/ holds the unpacked packages,
# debs/ the .deb files. An existing complete set is reused as it is (delete the directory to refresh).
# Environment: LKMPR_CACHE (default ~/.cache/lkm-preresolver), APT_ARCH (default amd64),
#   SUITE (required): apt runs with the same PRIVATE configuration as scripts/fetch-debian-kernel.sh
#   ($LKMPR_CACHE/apt/<suite>/: its own sources.list, lists and cache); the machine's apt state is
#   never changed.
# Exit codes: 0 done, 2 bad arguments, 3 a package cannot be downloaded, 1 other.
set -eu

cache=${LKMPR_CACHE:-${HOME:-/root}/.cache/lkm-preresolver}
arch=${APT_ARCH:-amd64}
suite=${SUITE:-}

log() { echo "fetch-debian-packages: $*" >&2; }
# shellcheck source=scripts/lib/debian-apt.sh
. "$(dirname "$0")/lib/debian-apt.sh"

case $suite in
    *[!a-z0-9-]*|"") log "set SUITE to a Debian suite (e.g. SUITE=sid), not '$suite'"; exit 2 ;;
esac
[ $# -ge 2 ] || { log "usage: SUITE=sid $0 NAME PACKAGE..."; exit 2; }
name=$1
shift
case $name in
    *[!A-Za-z0-9._-]*|.*) log "bad NAME '$name'"; exit 2 ;;
esac

dir="$cache/debian-pkgs/$suite/$name"
if [ -f "$dir/.complete" ]; then echo "$dir/root"; exit 0; fi
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -f "$dir/.complete" ]; then echo "$dir/root"; exit 0; fi

private_apt
fetch_unpack "$dir" 3 "$@"
echo "$dir/root"

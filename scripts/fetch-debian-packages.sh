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

# The private apt state, made as scripts/fetch-debian-kernel.sh makes it (shared with it).
state="$cache/apt/$suite"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
if [ ! -f "$state/sources.list" ]; then
    mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)\/*$/\1/p; s/^deb *\(\[[^]]*\] *\)\{0,1\}\([^ ]*\/debian\)\/* .*/\2/p' \
        /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null | head -n1)
    [ -n "$mirror" ] || { log "no Debian archive in the machine's apt sources"; exit 1; }
    echo "deb [arch=$arch] $mirror $suite main" >"$state/sources.list.tmp"
    mv "$state/sources.list.tmp" "$state/sources.list"
fi
aptopts="-oDir::Etc::sourcelist=$state/sources.list -oDir::Etc::sourceparts=- \
-oDir::State::Lists=$state/lists -oDir::Cache=$state/cache -oAPT::Architecture=$arch -oAPT::Sandbox::User=root -q"
# shellcheck disable=SC2086
suite_update() {
    log "apt-get update ($suite, private state in $state)"
    apt-get $aptopts update >&2 || log "apt-get update reported errors; going on with the lists it has"
}
if ! ls "$state/lists/"*_Packages* >/dev/null 2>&1; then suite_update; fi

mkdir -p "$dir/debs"
tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for p in "$@"; do
    case $p in *[!a-z0-9.+-]*|"") log "bad package name '$p'"; exit 2 ;; esac
    if ! ls "$dir/debs/${p}_"*.deb >/dev/null 2>&1; then
        log "apt-get download $p ($suite)"
        # shellcheck disable=SC2086
        if ! (cd "$tmp" && apt-get $aptopts download "$p" >&2); then
            suite_update
            # shellcheck disable=SC2086
            (cd "$tmp" && apt-get $aptopts download "$p" >&2) || { log "cannot download $p ($suite)"; exit 3; }
        fi
        mv "$tmp"/*.deb "$dir/debs/"
    fi
done
rm -rf "$dir/root"
mkdir -p "$tmp/root"
for d in "$dir"/debs/*.deb; do dpkg -x "$d" "$tmp/root"; done
mv "$tmp/root" "$dir/root"
touch "$dir/.complete"
echo "$dir/root"

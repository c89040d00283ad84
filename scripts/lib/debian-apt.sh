# Sourced by scripts/fetch-debian-kernel.sh and scripts/fetch-debian-packages.sh: apt for a Debian
# suite, and the download-and-unpack step they share. The caller sets cache, arch and log(); with
# suite set (private_apt), apt runs with a PRIVATE configuration in $cache/apt/<suite>[-<arch>]/
# (its own sources.list, lists and cache; the machine's apt state is never changed); without it
# (machine_apt), with the machine's own configuration.

# A private apt state for $suite: sets state and aptopts, makes the sources.list from the machine's
# archive (deb822 .sources or one-line .list), and updates its lists once.
private_apt() {
    state="$cache/apt/$suite"
    if [ "$arch" != amd64 ]; then state="$cache/apt/$suite-$arch"; fi
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
    if ! ls "$state/lists/"*_Packages* >/dev/null 2>&1; then suite_update; fi
}

# The machine's own apt (its own suite).
machine_apt() {
    suite=""
    aptopts="-q"
}

# shellcheck disable=SC2086
suite_update() {
    if [ -n "$suite" ]; then
        log "apt-get update ($suite, private state in $state)"
    else
        log "apt-get update"
    fi
    apt-get $aptopts update >&2 || log "apt-get update reported errors; going on with the lists it has"
}

# shellcheck disable=SC2086
suite_cache() { apt-cache $aptopts "$@" 2>/dev/null; }

# fetch_unpack DIR CODE PACKAGE...: downloads each package not yet in DIR/debs (updating the lists
# once if one is missing), unpacks them all into DIR/root, marks DIR/.complete. A package that
# cannot be downloaded exits with CODE, leaving no empty DIR behind.
fetch_unpack() {
    dir=$1
    code=$2
    shift 2
    mkdir -p "$dir/debs"
    tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    for p in "$@"; do
        case $p in *[!a-z0-9.+-]*|"") log "bad package name '$p'"; exit 2 ;; esac
        if ! ls "$dir/debs/${p}_"*.deb >/dev/null 2>&1; then
            log "apt-get download $p${suite:+ ($suite)}"
            # shellcheck disable=SC2086
            if ! (cd "$tmp" && apt-get $aptopts download "$p" >&2); then
                suite_update
                # shellcheck disable=SC2086
                (cd "$tmp" && apt-get $aptopts download "$p" >&2) || {
                    log "cannot download $p${suite:+ ($suite)}"
                    rm -rf "$tmp"; rmdir "$dir/debs" "$dir" 2>/dev/null || true
                    exit "$code"
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
}

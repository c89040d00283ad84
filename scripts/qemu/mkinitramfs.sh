#!/bin/sh
# Build an uncompressed newc initramfs: static busybox, kernel modules in load order, and an /init
# that sets up /proc, /sys, /dev, runs a test script and powers the guest off.
#
# usage: scripts/qemu/mkinitramfs.sh -o OUT.cpio [-s SCRIPT] [-b BUSYBOX] [-f SRC=DEST]... [MODULE.ko...]
#   -o OUT.cpio   the archive to write
#   -s SCRIPT     test script, sourced by /init (default: load all modules, print lsmod, unload all)
#   -b BUSYBOX    a statically linked busybox (default: $BUSYBOX or /bin/busybox from busybox-static)
#   -f SRC=DEST   copy an extra file into the archive at DEST (absolute path inside the guest)
#   MODULE.ko     modules, in load order; copied to /modules/ and listed in /modules/ORDER
#
# Markers printed on the serial console by /init (parsed by org.preresolver.qemu.BootLog):
#   === INIT start                       /init is running
#   === INSMOD <name> rc=<n> [err=<msg>] insmod result (name: module name, '-' turned into '_')
#   === RMMOD <name> rc=<n> [err=<msg>]  rmmod result
#   === LSMOD <tag> begin|end            around a copy of /proc/modules
#   === DMESG begin|end                  around the complete kernel log, at the end
#   === <KEY> <value>                    anything the script prints with `mark KEY value`
#   === DONE                             the script returned; the guest powers off next
# Helpers the script can use: ins NAME FILE, load_all, unload_all, rmm NAME, lsmod_snapshot TAG,
# settle, mark KEY VALUE..., wait_dev /dev/X, check CMD... (prints `=== CHECK <cmd> rc=<n>`).
# The script runs in a subshell: `exit` in it still ends with the dmesg dump and the power-off.
set -eu

out=""; script=""; busybox=${BUSYBOX:-/bin/busybox}; extras=""
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts o:s:b:f:h opt; do
    case $opt in
        o) out=$OPTARG ;;
        s) script=$OPTARG ;;
        b) busybox=$OPTARG ;;
        f) extras="$extras
$OPTARG" ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ -n "$out" ] || usage
[ -x "$busybox" ] || { echo "mkinitramfs: no busybox at $busybox (apt-get install busybox-static)" >&2; exit 1; }
if command -v readelf >/dev/null 2>&1 && readelf -l "$busybox" 2>/dev/null | grep -q 'INTERP'; then
    echo "mkinitramfs: $busybox is dynamically linked; install busybox-static" >&2; exit 1
fi
command -v cpio >/dev/null 2>&1 || { echo "mkinitramfs: cpio missing (apt-get install cpio)" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/lkmpr-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" "$stage/proc" "$stage/sys" \
    "$stage/dev" "$stage/tmp" "$stage/mnt" "$stage/modules" "$stage/root" "$stage/etc"
cp "$busybox" "$stage/bin/busybox"
chmod 755 "$stage/bin/busybox"
# The kernel opens /dev/console before /init runs; without the node /init starts with no stdout.
if [ "$(id -u)" = 0 ]; then mknod -m 600 "$stage/dev/console" c 5 1; fi

: > "$stage/modules/ORDER"
i=0
for m in "$@"; do
    [ -f "$m" ] || { echo "mkinitramfs: no such module: $m" >&2; exit 1; }
    i=$((i + 1))
    base=$(basename "$m")
    name=$(echo "${base%%.ko*}" | tr - _)
    file=$(printf '%03d-%s' "$i" "$base")
    cp "$m" "$stage/modules/$file"
    echo "$name $file" >> "$stage/modules/ORDER"
done

if [ -n "$script" ]; then
    cp "$script" "$stage/test.sh"
else
    cat > "$stage/test.sh" <<'DEFAULT'
load_all
lsmod_snapshot loaded
unload_all
DEFAULT
fi

echo "$extras" | while IFS= read -r spec; do
    [ -n "$spec" ] || continue
    src=${spec%%=*}; dest=${spec#*=}
    mkdir -p "$stage$(dirname "$dest")"
    cp "$src" "$stage$dest"
done

cat > "$stage/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
exec </dev/console >/dev/console 2>&1
# Only warnings and worse go to the console while the script runs; the full log is dumped at the end.
echo 5 > /proc/sys/kernel/printk
# No usermode helper: a request_module() from a module fails at once instead of running busybox.
echo > /proc/sys/kernel/modprobe
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
cd /

mark() { echo "=== $*"; }
ins() {  # ins NAME FILE [PARAMS...]
    _n=$1; _f=$2; shift 2
    _o=$(insmod "$_f" "$@" 2>&1); _rc=$?
    if [ $_rc = 0 ]; then echo "=== INSMOD $_n rc=0"; else
        echo "$_o"; echo "=== INSMOD $_n rc=$_rc err=$(echo "$_o" | tr '\n' ' ')"; fi
    return $_rc
}
rmm() {  # rmm NAME
    _o=$(rmmod "$1" 2>&1); _rc=$?
    if [ $_rc = 0 ]; then echo "=== RMMOD $1 rc=0"; else
        echo "$_o"; echo "=== RMMOD $1 rc=$_rc err=$(echo "$_o" | tr '\n' ' ')"; fi
    return $_rc
}
load_all() {
    while read -r _name _file; do ins "$_name" "/modules/$_file" || true; done < /modules/ORDER
}
unload_all() {
    sed '1!G;h;$!d' /modules/ORDER | while read -r _name _file; do rmm "$_name" || true; done
}
settle() {  # wait until /proc/modules is the same twice 0.2 s apart (RCU-delayed puts), at most ~6 s
    _p=""; _i=0
    while [ $_i -lt 30 ]; do
        _c=$(cat /proc/modules)
        [ "$_c" = "$_p" ] && return 0
        _p=$_c; _i=$((_i + 1)); sleep 0.2
    done
}
lsmod_snapshot() {  # lsmod_snapshot TAG: settle, then print /proc/modules between markers
    settle
    echo "=== LSMOD $1 begin"; cat /proc/modules; echo "=== LSMOD $1 end"
}
wait_dev() {  # wait_dev /dev/X [tenths of a second]
    _t=${2:-50}
    while [ ! -b "$1" ] && [ "$_t" -gt 0 ]; do sleep 0.1; _t=$((_t - 1)); done
    [ -b "$1" ]
}
check() {  # check CMD...: run it, print its output and === CHECK <cmd> rc=<n>
    "$@"; _rc=$?; echo "=== CHECK $* rc=$_rc"; return $_rc
}

mark INIT start
mark UPTIME_START "$(cut -d' ' -f1 /proc/uptime)"
mark KERNEL "$(uname -r)"
mark TAINT_START "$(cat /proc/sys/kernel/tainted)"
( . /test.sh )
mark TAINT_END "$(cat /proc/sys/kernel/tainted)"
mark UPTIME_END "$(cut -d' ' -f1 /proc/uptime)"
echo "=== DMESG begin"
dmesg
echo "=== DMESG end"
echo "=== DONE"
sync
poweroff -f
INIT
chmod 755 "$stage/init"

outabs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
(cd "$stage" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 > "$outabs")
echo "$outabs"

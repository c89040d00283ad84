#!/bin/sh
# Benchmark (not a test): the in-kernel cost of loading modules, std signed vs std unsigned vs
# preresolved in plain mode vs preresolved in anchor mode, in a real kernel under QEMU (TCG),
# measured with the kernel's function_graph tracer. Results per dependency class (0, 1, >1 module
# dependencies), as the 2010 work.
#
# usage: scripts/bench/load-module.sh [-r ROUNDS] [-o OUTDIR] [-t TIMEOUT] [-R]
#                                     [-k IMAGE] [-M MODDIR] [-l LIST] [-c CONFIG] [-S SYMVERS] [-P ARGS]
#   -r ROUNDS   timed rounds; each loads and unloads the whole set once per variant (default 5)
#   -R          real-time clock: drop QEMU's -icount (see below)
#   -o OUTDIR   work and result dir (default target/bench/load-module)
#   -t TIMEOUT  outer qemu timeout in seconds (default 1800)
#   -k IMAGE    the kernel to boot and preresolve against: x86_64 bzImage/vmlinuz, or arm64 Image or
#               vmlinuz (gzip'd Image) (default: Debian's kernel from scripts/fetch-debian-kernel.sh)
#   -M MODDIR   its modules: a lib/modules/RELEASE directory (default: the one of the Debian kernel)
#   -l LIST     the modules to load: a file of names (whitespace or commas, '#' comments) or a
#               comma-separated list; their dependencies are added (default: the QEMU functional set)
#   -c CONFIG   the kernel's .config, passed to the tool (default: what the tool finds by itself,
#               e.g. config-RELEASE beside the image)
#   -S SYMVERS  arm64 raw Image: the kernel's Module.symvers (default: MODDIR/build/Module.symvers or
#               Debian's usr/src/linux-headers-RELEASE/Module.symvers); a nokaslr boot captures the
#               exports' link-time addresses from /proc/kallsyms for the tool
#   -P ARGS     how the tool reads the kernel's symbols, instead of "--kernel IMAGE" and the capture,
#               e.g. "--kernel /path/to/vmlinux" (an ELF vmlinux, from linux-image-RELEASE-dbg)
# The architecture (x86_64 or arm64) comes from the modules' ELF header. Modules may be .ko,
# .ko.xz, .ko.gz or .ko.zst (decompressed on the host; busybox insmod loads plain ELF).
# Writes OUTDIR/serial.log (the guest's log with the raw traces), OUTDIR/samples.tsv (one line per
# load: round, variant, module, class, load_module, do_init_module and simplify_symbols in us),
# OUTDIR/results.md (the tables, from scripts/bench/load-module-report.py) and OUTDIR/chart.svg
# (load_module without init and simplify_symbols per class and variant); prints results.md.
#
# What runs, in one boot (with nokaslr: plain mode needs it; anchor mode is right with or without):
#  - the module set in dependency order, in four variants: "signed" (the files as shipped: the
#    kernel checks each signature; left out when a module is not signed), "unsigned" (the same,
#    signature stripped), "plain" (this tool's output with --assume-nokaslr --strip-signature:
#    SHN_ABS symbols) and "anchor" (the tool's output with --strip-signature only: anchor mode on a
#    kernel with CONFIG_RANDOMIZE_BASE=y);
#  - ROUNDS timed rounds; in each, every variant in turn (the order rotates from round to round)
#    loads the whole set with insmod, then unloads it. Traced: load_module and, inside it,
#    do_init_module (function_graph, set_graph_function=load_module, set_ftrace_filter=the two): per
#    insmod, exactly the load_module time and its init's time, labelled through trace_marker.
#    "without init" = load_module - do_init_module;
#  - ROUNDS symbol rounds, the same, that time simplify_symbols: traced itself where the kernel can
#    trace it, or else (it is inlined into load_module in Debian's 6.1 amd64 build) as the gap
#    between the end of setup_modinfo's last setup_modinfo_* call and the start of
#    apply_relocations' first apply_relocate_add (funcgraph-abstime, 1 us resolution);
#  - a breakdown round per variant: function_graph under load_module with max_graph_depth=2 and no
#    filter: every direct child of load_module (after inlining) with its time, inflated because
#    every deeper call goes through the tracer's entry hook: where the time goes;
#  - a counting round per variant with resolve_symbol, find_symbol, module_sig_check,
#    kallsyms_lookup and do_init_module traced under load_module: how many symbol lookups each load
#    makes. (The extra tracing inflates the times of the last two rounds; they are not used for
#    the comparison.)
# Fails when a load or unload fails, or the kernel log shows a WARNING, BUG or Oops.
#
# Clock: by default QEMU runs with -icount shift=0: the guest's clock advances 1 ns per instruction
# executed, so the times count the guest's instructions and do not depend on how busy the host is
# (on a shared 2-CPU host, real-time TCG timings swing by tens of percent). They model no caches and
# no memory latency: read them as work done, not as wall time on real hardware. -R gives real time.
set -eu
cd "$(dirname "$0")/../.."
rounds=5; out=target/bench/load-module; tmo=1800; icount="-icount shift=0"
image=""; moddir=""; list=""; config=""; toolargs=""; symvers=""
while getopts r:o:t:Rk:M:l:c:P:S:h opt; do
    case $opt in
        r) rounds=$OPTARG ;;
        o) out=$OPTARG ;;
        t) tmo=$OPTARG ;;
        R) icount="" ;;
        k) image=$OPTARG ;;
        M) moddir=$OPTARG ;;
        l) list=$OPTARG ;;
        c) config=$OPTARG ;;
        P) toolargs=$OPTARG ;;
        S) symvers=$OPTARG ;;
        *) sed -n '7,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
log() { echo "bench: $*" >&2; }
abspath() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }

command -v python3 >/dev/null 2>&1 || { log "python3 missing"; exit 1; }
[ -f target/lkm-preresolver.jar ] || mvn -B -q -ntp package -DskipTests
if [ -z "$image" ] || [ -z "$moddir" ]; then
    kdir=$(sh scripts/fetch-debian-kernel.sh | tail -n1)
    release=$(ls "$kdir/root/lib/modules")
    [ -n "$image" ] || image=$kdir/root/boot/vmlinuz-$release
    [ -n "$moddir" ] || moddir=$kdir/root/lib/modules/$release
fi
[ -f "$image" ] || { log "no kernel image $image"; exit 2; }
[ -d "$moddir" ] || { log "no modules directory $moddir"; exit 2; }
image=$(abspath "$image"); moddir=$(cd "$moddir" && pwd)
release=$(basename "$moddir")
if [ -z "$list" ]; then
    list=$(python3 - <<'EOF'
import re
src = open("src/test/java/org/preresolver/qemu/FunctionalSet.java").read()
a = src.index("MODULES = List.of(")
print(",".join(re.findall(r'"([^"]+)"', src[a:src.index(");", a)])))
EOF
)
fi

rm -rf "$out"
mkdir -p "$out/src" "$out/signed" "$out/unsigned" "$out/plain" "$out/anchor"
out=$(cd "$out" && pwd)

# The set and its load order (depends= from each module's .modinfo), one "name file class path"
# per line in ORDER; the modules decompressed into OUTDIR/src; ARCH and VARIANTS.
python3 - "$moddir" "$out" "$list" <<'EOF'
import gzip, lzma, os, re, struct, subprocess, sys
moddir, out, spec = sys.argv[1:4]
text = open(spec).read() if os.path.isfile(spec) else spec
wanted = [w.replace("-", "_") for w in re.split(r"[\s,]+", re.sub(r"#[^\n]*", "", text)) if w]
files = {}
for d, _, fs in os.walk(moddir):
    for f in fs:
        m = re.match(r"(.+)\.ko(\.xz|\.gz|\.zst)?$", f)
        if m:
            files.setdefault(m.group(1).replace("-", "_"), os.path.join(d, f))
def read(p):
    if p.endswith(".xz"):
        return lzma.open(p).read()
    if p.endswith(".gz"):
        return gzip.open(p).read()
    if p.endswith(".zst"):
        return subprocess.run(["zstd", "-dcq", p], check=True, capture_output=True).stdout
    return open(p, "rb").read()
cache = {}
def data(n):
    if n not in cache:
        cache[n] = read(files[n])
    return cache[n]
def depends(n):
    m = re.search(rb"depends=([^\0]*)\0", data(n))
    return [x.decode().replace("-", "_") for x in m.group(1).split(b",") if x] if m else []
missing = [w for w in wanted if w not in files]
if missing:
    print("bench: not in " + moddir + ", skipped: " + " ".join(missing), file=sys.stderr)
order, seen = [], set()
def visit(n):
    if n in seen:
        return
    seen.add(n)
    for d in depends(n):
        if d not in files:
            sys.exit(f"bench: {n} depends on {d}, which is not in {moddir}")
        visit(d)
    order.append(n)
for w in wanted:
    if w in files:
        visit(w)
if not order:
    sys.exit("bench: no module of the list found in " + moddir)
machines = set()
signed = True
with open(os.path.join(out, "ORDER"), "w") as o:
    for i, n in enumerate(order):
        b = data(n)
        if b[:4] != b"\x7fELF":
            sys.exit(f"bench: {files[n]} is not ELF")
        machines.add(struct.unpack_from("<H", b, 18)[0])
        signed = signed and b.endswith(b"~Module signature appended~\n")
        base = re.sub(r"\.(xz|gz|zst)$", "", os.path.basename(files[n]))
        path = os.path.join(out, "src", base)
        open(path, "wb").write(b)
        k = len(depends(n))
        cls = "0" if k == 0 else "1" if k == 1 else ">1"
        o.write(f"{n} {i + 1:03d}-{base} {cls} {path}\n")
arch = {62: "x86_64", 183: "arm64"}
if len(machines) != 1 or next(iter(machines)) not in arch:
    sys.exit(f"bench: modules for machine(s) {sorted(machines)}; this benchmark boots x86_64 or arm64")
open(os.path.join(out, "ARCH"), "w").write(arch[machines.pop()] + "\n")
open(os.path.join(out, "VARIANTS"), "w").write(("signed " if signed else "") + "unsigned plain anchor\n")
if not signed:
    print("bench: not every module is signed: no 'signed' variant", file=sys.stderr)
EOF
arch=$(cat "$out/ARCH")
# arm64: the tool reads no raw Image, and Debian's arm64 System.map is a one-line placeholder. The
# tool takes vmlinux's exports from Module.symvers and their link-time addresses from a kallsyms
# capture, in which _stext/_etext bound what slides (arm64 without CONFIG_KALLSYMS_ALL lists no
# _text/_end): one short nokaslr boot prints those lines (as Arm64AnchorKaslrBootTest does).
# -P "--kernel VMLINUX" (an ELF vmlinux) skips the capture.
if [ "$arch" = arm64 ] && [ -z "$toolargs" ] && ! head -c 4 "$image" | grep -q 'ELF'; then
    if [ -z "$symvers" ]; then
        for s in "$moddir/build/Module.symvers" "$moddir/../../../usr/src/linux-headers-$release/Module.symvers"; do
            [ -f "$s" ] && { symvers=$s; break; }
        done
    fi
    [ -n "$symvers" ] && [ -f "$symvers" ] || {
        log "arm64: the tool cannot read $image; give -S Module.symvers (vmlinux's exports) or -P \"--kernel VMLINUX\""; exit 2; }
    command -v qemu-system-aarch64 >/dev/null 2>&1 || { log "qemu-system-aarch64 missing (apt-get install qemu-system-arm)"; exit 1; }
    bb=${BUSYBOX_ARM64:-${LKMPR_CACHE:-$HOME/.cache/lkm-preresolver}/busybox/arm64/busybox}
    [ -x "$bb" ] || { log "no static arm64 busybox at $bb"; exit 1; }
    { awk '$3 == "vmlinux" { print $2 }' "$symvers"
      printf '%s\n' _text _end __per_cpu_start __per_cpu_end _stext _etext _sinittext _einittext; } > "$out/kallsyms-names.txt"
    printf '%s\n' 'echo 0 > /proc/sys/kernel/kptr_restrict' 'mark KALLSYMS begin' \
        "awk 'NR==FNR{w[\$1]=1;next} NF==3 && (\$3 in w)' /kallsyms-names.txt /proc/kallsyms" 'mark KALLSYMS end' \
        > "$out/kallsyms.sh"
    sh scripts/qemu/mkinitramfs.sh -o "$out/kallsyms.cpio" -b "$bb" -s "$out/kallsyms.sh" \
        -f "$out/kallsyms-names.txt=/kallsyms-names.txt" >/dev/null
    log "arm64: capturing vmlinux's exports from /proc/kallsyms (one nokaslr boot)"
    timeout -k 10 600 qemu-system-aarch64 -M virt -cpu cortex-a57 -m 2G -nographic -no-reboot -nic none \
        -kernel "$image" -initrd "$out/kallsyms.cpio" -append "console=ttyAMA0 nokaslr panic=-1" \
        </dev/null > "$out/kallsyms-boot.log" 2>&1 || true
    tr -d '\r' < "$out/kallsyms-boot.log" | sed -n '/^=== KALLSYMS begin/,/^=== KALLSYMS end/p' | sed '1d;$d' > "$out/kallsyms.txt"
    grep -q ' _stext$' "$out/kallsyms.txt" || { log "arm64: no kallsyms capture; see $out/kallsyms-boot.log"; exit 1; }
    toolargs="--symvers $(abspath "$symvers") --system-map $out/kallsyms.txt --release $release"
    if [ -z "$config" ] && [ -f "$(dirname "$image")/config-$release" ]; then config=$(dirname "$image")/config-$release; fi
fi
variants=$(cat "$out/VARIANTS")
n=$(wc -l < "$out/ORDER")
log "$n modules, kernel $release ($arch), variants: $variants, $rounds rounds"

# The variants. The tool leaves a module with nothing to preresolve as it is, signature included;
# the bench strips that signature too (listed in LEFT_SIGNED), so that unsigned, plain and anchor
# differ only by what preresolving changed.
if [ -n "$toolargs" ]; then kargs=$toolargs; else kargs="--kernel $image"; fi
[ -z "$config" ] || kargs="$kargs --config $(abspath "$config")"
cut -d' ' -f4 "$out/ORDER" > "$out/inputs"
# shellcheck disable=SC2046,SC2086
bin/lkm-preresolver preresolve $kargs --assume-nokaslr --strip-signature -o "$out/plain-flat" \
    $(cat "$out/inputs") >"$out/preresolve-plain.log" 2>&1 || { cat "$out/preresolve-plain.log" >&2; exit 1; }
# shellcheck disable=SC2046,SC2086
bin/lkm-preresolver preresolve $kargs --strip-signature -o "$out/anchor-flat" \
    $(cat "$out/inputs") >"$out/preresolve-anchor.log" 2>&1 || { cat "$out/preresolve-anchor.log" >&2; exit 1; }
python3 - "$out" <<'EOF'
import os, struct, sys
out = sys.argv[1]
magic = b"~Module signature appended~\n"
def unsigned(b):
    if not b.endswith(magic):
        return b, False
    sig_len, = struct.unpack(">I", b[-len(magic) - 4:-len(magic)])
    return b[:len(b) - len(magic) - 12 - sig_len], True
with open(os.path.join(out, "LEFT_SIGNED"), "w") as left:
    for line in open(os.path.join(out, "ORDER")):
        name, file, cls, path = line.split()
        b = open(path, "rb").read()
        open(os.path.join(out, "signed", file), "wb").write(b)
        open(os.path.join(out, "unsigned", file), "wb").write(unsigned(b)[0])
        for v in ("plain", "anchor"):
            u, was = unsigned(open(os.path.join(out, v + "-flat", os.path.basename(path)), "rb").read())
            open(os.path.join(out, v, file), "wb").write(u)
            if was:
                left.write(f"{v} {name}\n")
EOF

# The guest script.
{
    echo "ROUNDS=$rounds"
    echo "VARIANTS=\"$variants\""
    cat <<'EOF'
T=/sys/kernel/tracing
mount -t tracefs nodev $T
echo 0 > $T/tracing_on
echo 16384 > $T/buffer_size_kb
echo 0 > $T/options/funcgraph-irqs
echo 1 > $T/options/funcgraph-tail
# A function's traceable name may carry a GCC suffix (simplify_symbols.isra.0); the report drops it.
filter() {  # the traceable names of the functions $@
    for f in "$@"; do grep -E "^$f(\.(isra|constprop|part)\.[0-9]+)*$" $T/available_filter_functions || true; done
}
for f in load_module simplify_symbols do_init_module resolve_symbol find_symbol module_sig_check kallsyms_lookup; do
    [ -n "$(filter $f)" ] || mark NOT_TRACEABLE "$f"
done
echo load_module > $T/set_graph_function
filter load_module do_init_module > $T/set_ftrace_filter
echo function_graph > $T/current_tracer
run() {  # ROUND VARIANT: load the set in order, then unload it in reverse
    while read -r _n _f _c; do
        echo "BENCH $1 $2 $_n" > $T/trace_marker
        insmod "/bench/$2/$_f" || mark FAIL "$1 $2 $_n"
    done < /bench/ORDER
    sed '1!G;h;$!d' /bench/ORDER | while read -r _n _f _c; do rmmod "$_n" || mark FAIL "rmmod $1 $2 $_n"; done
}
rounds() {  # PREFIX: ROUNDS rounds, every variant in each, the order rotating
    r=1
    while [ $r -le $ROUNDS ]; do
        set -- $VARIANTS
        i=1; while [ $i -lt $r ]; do _v=$1; shift; set -- "$@" $_v; i=$((i + 1)); done
        for v in "$@"; do run $r $v; done
        mark ROUND_DONE "$PHASE $r"
        r=$((r + 1))
    done
}
PHASE=timing
echo 1 > $T/tracing_on
rounds
echo 0 > $T/tracing_on
echo "=== TRACE timing begin"; cat $T/trace; echo "=== TRACE timing end"
echo > $T/trace
# The symbol pass. If simplify_symbols is inlined into load_module (Debian 6.1 amd64), it is timed
# as the gap between the two traced calls that enclose it: the end of setup_modinfo's last
# setup_modinfo_* call and the start of apply_relocations' first apply_relocate* (absolute
# timestamps, 1 us resolution).
if [ -n "$(filter simplify_symbols)" ]; then
    mark SYMBOLS direct
    { filter load_module; filter simplify_symbols; } > $T/set_ftrace_filter
else
    mark SYMBOLS gap
    filter load_module setup_modinfo_version setup_modinfo_srcversion apply_relocate_add apply_relocate add_kallsyms > $T/set_ftrace_filter
    echo 1 > $T/options/funcgraph-abstime
fi
PHASE=symbols
echo 1 > $T/tracing_on
rounds
echo 0 > $T/tracing_on
echo "=== TRACE symbols begin"; cat $T/trace; echo "=== TRACE symbols end"
echo 0 > $T/options/funcgraph-abstime
echo > $T/trace
echo 2 > $T/max_graph_depth
echo > $T/set_ftrace_filter
echo 1 > $T/tracing_on
for v in $VARIANTS; do run breakdown $v; done
echo 0 > $T/tracing_on
echo "=== TRACE breakdown begin"; cat $T/trace; echo "=== TRACE breakdown end"
echo > $T/trace
echo 0 > $T/max_graph_depth
filter load_module resolve_symbol find_symbol module_sig_check do_init_module kallsyms_lookup > $T/set_ftrace_filter
echo 1 > $T/tracing_on
for v in $VARIANTS; do run count $v; done
echo 0 > $T/tracing_on
echo "=== TRACE count begin"; cat $T/trace; echo "=== TRACE count end"
EOF
} > "$out/bench.sh"
# /bench/ORDER in the guest: name file class
cut -d' ' -f1-3 "$out/ORDER" > "$out/ORDER.guest"
case $arch in
    x86_64) busybox=${BUSYBOX:-/bin/busybox} ;;
    arm64) busybox=${BUSYBOX_ARM64:-${LKMPR_CACHE:-$HOME/.cache/lkm-preresolver}/busybox/arm64/busybox} ;;
esac
[ -x "$busybox" ] || { log "no static $arch busybox at $busybox"; exit 1; }
set -- -o "$out/initrd.cpio" -b "$busybox" -s "$out/bench.sh" -f "$out/ORDER.guest=/bench/ORDER"
while read -r name file cls path; do
    for v in $variants; do set -- "$@" -f "$out/$v/$file=/bench/$v/$file"; done
done < "$out/ORDER"
sh scripts/qemu/mkinitramfs.sh "$@" >/dev/null

log "booting (this takes several minutes under TCG)"
start=$(date +%s)
rc=0
case $arch in
    x86_64)
        sh scripts/qemu/ensure-packages.sh >&2
        # shellcheck disable=SC2086
        sh scripts/qemu/boot.sh -k "$image" -i "$out/initrd.cpio" -t "$tmo" -m 2G -- $icount > "$out/serial.log" 2>&1 || rc=$?
        qemu=$(qemu-system-x86_64 --version | head -n1) ;;
    arm64)
        command -v qemu-system-aarch64 >/dev/null 2>&1 || { log "qemu-system-aarch64 missing (apt-get install qemu-system-arm)"; exit 1; }
        # shellcheck disable=SC2086
        timeout -k 10 "$tmo" qemu-system-aarch64 -M virt -cpu cortex-a57 -m 2G -nographic -no-reboot -nic none \
            -kernel "$image" -initrd "$out/initrd.cpio" -append "console=ttyAMA0 nokaslr panic=-1" $icount \
            </dev/null > "$out/serial.log" 2>&1 || rc=$?
        qemu=$(qemu-system-aarch64 --version | head -n1) ;;
esac
log "guest done in $(( $(date +%s) - start )) s (exit $rc)"
grep -q '^=== DONE' "$out/serial.log" || { log "the guest did not finish; see $out/serial.log"; exit 1; }
if grep -q '^=== FAIL' "$out/serial.log"; then grep '^=== FAIL' "$out/serial.log" >&2; log "some loads failed"; exit 1; fi
if sed -n '/^=== DMESG begin/,/^=== DMESG end/p' "$out/serial.log" | grep -E 'WARNING:|BUG:|Oops|Call Trace' >&2; then
    log "the kernel complained; see $out/serial.log"; exit 1
fi

# Analysis.
host=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1)
python3 scripts/bench/load-module-report.py "$out" "$release" "$rounds" "$host" "$(nproc)" "$qemu" "${icount:-real time}" \
    > "$out/results.md"
cat "$out/results.md"

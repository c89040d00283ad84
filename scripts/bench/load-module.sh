#!/bin/sh
# Benchmark (not a test): the in-kernel cost of loading modules, std signed vs std unsigned vs
# preresolved, on Debian's amd64 kernel under QEMU (TCG, nokaslr), measured with the kernel's
# function_graph tracer. Results per dependency class (0, 1, >1 module dependencies), as the 2010 work.
#
# usage: scripts/bench/load-module.sh [-r ROUNDS] [-o OUTDIR] [-t TIMEOUT] [-R]
#   -r ROUNDS   timed rounds; each loads and unloads the whole set once per variant (default 5)
#   -R          real-time clock: drop QEMU's -icount (see below)
#   -o OUTDIR   work and result dir (default target/bench/load-module)
#   -t TIMEOUT  outer qemu timeout in seconds (default 1200)
# Writes OUTDIR/serial.log (the guest's log, with the raw traces), OUTDIR/samples.tsv (one line per
# load: round, variant, module, class, load_module microseconds) and OUTDIR/results.md (the tables);
# prints results.md.
#
# What runs, in one boot:
#  - the functional set of the QEMU tests (FunctionalSet.MODULES and their dependencies, 85 modules)
#    in three variants: "signed" (Debian's files as shipped: the kernel verifies each signature),
#    "unsigned" (the same, signature stripped) and "preresolved" (this tool's output with
#    --assume-nokaslr --strip-signature: unsigned too);
#  - ROUNDS timed rounds; in each, every variant in turn (the order rotates from round to round)
#    loads the whole set with insmod in dependency order, then unloads it. Only load_module is traced
#    (set_ftrace_filter=load_module, function_graph): one duration per insmod, labelled through
#    trace_marker;
#  - then one counting round per variant with resolve_symbol, find_symbol, module_sig_check,
#    kallsyms_lookup and do_init_module (the module's init function) traced
#    as well: how many symbol lookups each load makes and where the time goes. (Tracing these
#    inflates the times of that round, which are therefore not used for the comparison.)
# load_module's time includes the module's init function (do_init_module), as in the 2010 work.
#
# Clock: by default QEMU runs with -icount shift=0: the guest's clock advances 1 ns per instruction
# executed, so the times count the guest's instructions and do not depend on how busy the host is
# (on a shared 2-CPU host, real-time TCG timings swing by tens of percent). They model no caches and
# no memory latency: read them as work done, not as wall time on real hardware. -R gives real time.
set -eu
cd "$(dirname "$0")/../.."
rounds=5; out=target/bench/load-module; tmo=1200; icount="-icount shift=0"
while getopts r:o:t:Rh opt; do
    case $opt in
        r) rounds=$OPTARG ;;
        o) out=$OPTARG ;;
        t) tmo=$OPTARG ;;
        R) icount="" ;;
        *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
log() { echo "bench: $*" >&2; }

sh scripts/qemu/ensure-packages.sh >&2
command -v python3 >/dev/null 2>&1 || { log "python3 missing"; exit 1; }
[ -f target/lkm-preresolver.jar ] || mvn -B -q -ntp package -DskipTests
kdir=$(sh scripts/fetch-debian-kernel.sh | tail -n1)
root=$kdir/root
release=$(ls "$root/lib/modules")
mods=$root/lib/modules/$release
vmlinuz=$root/boot/vmlinuz-$release

rm -rf "$out"
mkdir -p "$out/signed" "$out/unsigned" "$out/preresolved"
out=$(cd "$out" && pwd)

# The set and its load order (depends= from each module's .modinfo), one "name file class" per line.
python3 - "$mods" "$out" <<'EOF'
import os, sys, re
mods, out = sys.argv[1:3]
# FunctionalSet.MODULES (src/test/java/org/preresolver/qemu/FunctionalSet.java)
src = open("src/test/java/org/preresolver/qemu/FunctionalSet.java").read()
block = src[src.index("MODULES = List.of("):src.index(");", src.index("MODULES = List.of("))]
wanted = [w.replace("-", "_") for w in re.findall(r'"([^"]+)"', block)]
files = {}
for d, _, fs in os.walk(os.path.join(mods, "kernel")):
    for f in fs:
        if f.endswith(".ko"):
            files[f[:-3].replace("-", "_")] = os.path.join(d, f)
def depends(name):
    b = open(files[name], "rb").read()
    m = re.search(rb"depends=([^\0]*)\0", b)
    return [x.decode().replace("-", "_") for x in m.group(1).split(b",") if x] if m else []
order, seen = [], set()
def visit(n):
    if n in seen:
        return
    seen.add(n)
    for d in depends(n):
        visit(d)
    order.append(n)
for w in wanted:
    visit(w)
with open(os.path.join(out, "ORDER"), "w") as o:
    for i, n in enumerate(order):
        k = len(depends(n))
        cls = "0" if k == 0 else "1" if k == 1 else ">1"
        o.write(f"{n} {i + 1:03d}-{os.path.basename(files[n])} {cls} {files[n]}\n")
EOF
n=$(wc -l < "$out/ORDER")
log "$n modules, kernel $release, $rounds rounds"

# The three variants.
while read -r name file cls path; do
    cp "$path" "$out/signed/$file"
    python3 - "$path" "$out/unsigned/$file" <<'EOF'
import sys, struct
b = open(sys.argv[1], "rb").read()
magic = b"~Module signature appended~\n"
assert b.endswith(magic), sys.argv[1] + " is not signed"
sig_len, = struct.unpack(">I", b[-len(magic) - 4:-len(magic)])
open(sys.argv[2], "wb").write(b[:len(b) - len(magic) - 12 - sig_len])
EOF
done < "$out/ORDER"
cut -d' ' -f4 "$out/ORDER" > "$out/inputs"
# shellcheck disable=SC2046
bin/lkm-preresolver preresolve --kernel "$vmlinuz" --assume-nokaslr --strip-signature -q -o "$out/pre-flat" \
    $(cat "$out/inputs") 2>"$out/preresolve.stderr" || { cat "$out/preresolve.stderr" >&2; exit 1; }
while read -r name file cls path; do
    cp "$out/pre-flat/$(basename "$path")" "$out/preresolved/$file"
done < "$out/ORDER"

# The guest script.
cat > "$out/bench.sh" <<EOF
ROUNDS=$rounds
EOF
cat >> "$out/bench.sh" <<'EOF'
T=/sys/kernel/tracing
mount -t tracefs nodev $T
echo 0 > $T/tracing_on
echo 8192 > $T/buffer_size_kb
echo 0 > $T/options/funcgraph-irqs
echo 1 > $T/options/funcgraph-tail
echo load_module > $T/set_ftrace_filter
echo function_graph > $T/current_tracer
run() {  # ROUND VARIANT: load the set in order, then unload it in reverse
    while read -r _n _f _c; do
        echo "BENCH $1 $2 $_n" > $T/trace_marker
        insmod "/bench/$2/$_f" || mark FAIL "$1 $2 $_n"
    done < /bench/ORDER
    sed '1!G;h;$!d' /bench/ORDER | while read -r _n _f _c; do rmmod "$_n" || mark FAIL "rmmod $1 $2 $_n"; done
}
variants="signed unsigned preresolved"
echo 1 > $T/tracing_on
r=1
while [ $r -le $ROUNDS ]; do
    case $((r % 3)) in
        1) order="signed unsigned preresolved" ;;
        2) order="unsigned preresolved signed" ;;
        0) order="preresolved signed unsigned" ;;
    esac
    for v in $order; do run $r $v; done
    mark ROUND_DONE $r
    r=$((r + 1))
done
echo 0 > $T/tracing_on
echo "=== TRACE timing begin"; cat $T/trace; echo "=== TRACE timing end"
echo > $T/trace
printf 'load_module\nresolve_symbol\nfind_symbol\nmodule_sig_check\ndo_init_module\nkallsyms_lookup\n' > $T/set_ftrace_filter
echo 1 > $T/tracing_on
for v in $variants; do run count $v; done
echo 0 > $T/tracing_on
echo "=== TRACE count begin"; cat $T/trace; echo "=== TRACE count end"
EOF
# /bench/ORDER in the guest: name file class
cut -d' ' -f1-3 "$out/ORDER" > "$out/ORDER.guest"
set -- -o "$out/initrd.cpio" -s "$out/bench.sh" -f "$out/ORDER.guest=/bench/ORDER"
while read -r name file cls path; do
    for v in signed unsigned preresolved; do set -- "$@" -f "$out/$v/$file=/bench/$v/$file"; done
done < "$out/ORDER"
sh scripts/qemu/mkinitramfs.sh "$@" >/dev/null

log "booting (this takes a few minutes under TCG)"
start=$(date +%s)
rc=0
# shellcheck disable=SC2086
sh scripts/qemu/boot.sh -k "$vmlinuz" -i "$out/initrd.cpio" -t "$tmo" -m 2G -- $icount > "$out/serial.log" 2>&1 || rc=$?
log "guest done in $(( $(date +%s) - start )) s (exit $rc)"
grep -q '^=== DONE' "$out/serial.log" || { log "the guest did not finish; see $out/serial.log"; exit 1; }
if grep -q '^=== FAIL' "$out/serial.log"; then grep '^=== FAIL' "$out/serial.log" >&2; log "some loads failed"; exit 1; fi

# Analysis.
host=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1)
cpus=$(nproc)
python3 - "$out" "$release" "$rounds" "$host" "$cpus" "$(qemu-system-x86_64 --version | head -n1)" "${icount:-real time}" <<'EOF' > "$out/results.md"
import re, sys, statistics as st
out, release, rounds, host, cpus, qemu, clock = sys.argv[1:8]
cls = {}
for line in open(out + "/ORDER"):
    n, f, c, p = line.split()
    cls[n] = c
lines = open(out + "/serial.log", errors="replace").read().replace("\r", "").split("\n")
def section(tag):
    a = lines.index(f"=== TRACE {tag} begin"); b = lines.index(f"=== TRACE {tag} end")
    return lines[a + 1:b]
DUR = r"(?:[!#*@$+]\s*)?(\d+(?:\.\d+)?) us"
marker = re.compile(r"/\* BENCH (\S+) (\S+) (\S+) \*/")
leaf = re.compile(DUR + r"\s*\|\s*(\w+)\(\);")
close = re.compile(DUR + r"\s*\|\s*\}\s*/\*\s*(\w+)\s*\*/")
samples = []  # (round, variant, module, us)
cur = None
for l in section("timing"):
    m = marker.search(l)
    if m:
        cur = m.groups(); continue
    m = leaf.search(l) or close.search(l)
    if m and m.group(2) == "load_module" and cur:
        samples.append((cur[0], cur[1], cur[2], float(m.group(1)))); cur = None
counts = {}  # (variant, module) -> dict
cur = None
for l in section("count"):
    m = marker.search(l)
    if m:
        cur = (m.group(2), m.group(3)); counts[cur] = {"resolve_symbol": 0, "resolve_us": 0.0, "find_symbol": 0,
                                                       "sig_us": 0.0, "init_us": 0.0, "kallsyms_lookup": 0,
                                                       "kallsyms_us": 0.0, "load_us": 0.0}; continue
    if not cur:
        continue
    m = leaf.search(l) or close.search(l)
    if not m:
        continue
    us, fn = float(m.group(1)), m.group(2)
    c = counts[cur]
    if fn == "resolve_symbol":
        c["resolve_symbol"] += 1; c["resolve_us"] += us
    elif fn == "find_symbol":
        c["find_symbol"] += 1
    elif fn == "module_sig_check":
        c["sig_us"] += us
    elif fn == "do_init_module":
        c["init_us"] += us
    elif fn == "kallsyms_lookup":
        c["kallsyms_lookup"] += 1; c["kallsyms_us"] += us
    elif fn == "load_module":
        c["load_us"] = us
with open(out + "/samples.tsv", "w") as o:
    o.write("round\tvariant\tmodule\tclass\tload_module_us\n")
    for r, v, n, us in samples:
        o.write(f"{r}\t{v}\t{n}\t{cls[n]}\t{us:.3f}\n")
variants = ["signed", "unsigned", "preresolved"]
classes = ["0", "1", ">1"]
mods = list(cls)
expect = int(rounds) * len(variants) * len(mods)
assert len(samples) == expect, f"{len(samples)} samples, expected {expect}"
# Per module and variant: the median over the rounds; per class: the sum of those medians.
med = {(v, n): st.median([us for r, vv, nn, us in samples if vv == v and nn == n]) for v in variants for n in mods}
def total(v, c):
    return sum(med[(v, n)] for n in mods if c is None or cls[n] == c)
def cnt(v, c, key):
    ms = [n for n in mods if c is None or cls[n] == c]
    return sum(counts[(v, n)][key] for n in ms) / len(ms)
print(f"Kernel {release} (Debian, x86_64) under {qemu}, TCG, 1 vCPU, 2 GiB, `nokaslr`, clock: `{clock}`; "
      f"host: {host}, {cpus} CPUs. {len(mods)} modules, {rounds} rounds, variants interleaved.\n")
print("load_module time, sum over the modules of each class of the per-module median over the rounds "
      "(milliseconds; change against std unsigned):\n")
print("| dependencies | modules | std signed | std unsigned | preresolved | preresolved vs unsigned | signed vs unsigned |")
print("|---|---|---|---|---|---|---|")
for c in classes + [None]:
    k = sum(1 for n in mods if c is None or cls[n] == c)
    s, u, p = (total(v, c) / 1000 for v in variants)
    print(f"| {c if c else 'all'} | {k} | {s:.1f} | {u:.1f} | {p:.1f} | {100 * (p - u) / u:+.1f}% | {100 * (s - u) / u:+.1f}% |")
print("\nThe ten modules with the longest load (per-module median, microseconds):\n")
print("| module | deps | std signed | std unsigned | preresolved | preresolved vs unsigned |")
print("|---|---|---|---|---|---|")
for n in sorted(mods, key=lambda n: -med[("unsigned", n)])[:10]:
    s_, u_, p_ = (med[(v, n)] for v in variants)
    print(f"| {n} | {cls[n]} | {s_:.0f} | {u_:.0f} | {p_:.0f} | {100 * (p_ - u_) / u_:+.1f}% |")
print("\nPer module, the median of the per-module change (preresolved against unsigned): "
      + ", ".join(f"{c} deps {st.median([100 * (med[('preresolved', n)] - med[('unsigned', n)]) / med[('unsigned', n)] for n in mods if cls[n] == c]):+.1f}%"
                  for c in classes) + ".\n")
print("Counting round (resolve_symbol, find_symbol, kallsyms_lookup, module_sig_check and do_init_module traced "
      "too; its times are inflated by that tracing), mean per module:\n")
print("| dependencies | variant | resolve_symbol calls | find_symbol calls | kallsyms_lookup calls | in resolve_symbol (us) | in kallsyms_lookup (us) | in module_sig_check (us) | in do_init_module (us) | load_module (us) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for c in classes + [None]:
    for v in variants:
        print(f"| {c if c else 'all'} | {v} | {cnt(v, c, 'resolve_symbol'):.1f} | {cnt(v, c, 'find_symbol'):.1f} | "
              f"{cnt(v, c, 'kallsyms_lookup'):.1f} | {cnt(v, c, 'resolve_us'):.0f} | {cnt(v, c, 'kallsyms_us'):.0f} | "
              f"{cnt(v, c, 'sig_us'):.0f} | {cnt(v, c, 'init_us'):.0f} | {cnt(v, c, 'load_us'):.0f} |")
EOF
cat "$out/results.md"

#!/bin/sh
# Build the out-of-tree test modules of src/test/modules (one per safety rule of issue 3) against
# Debian's kernel headers, post-process the ones that the kernel's build refuses to produce, and
# write OUTDIR/*.ko plus OUTDIR/MANIFEST.tsv (expected outcome of every undefined symbol) and
# OUTDIR/PATCHES.txt (what the post-processing changed).
#
# usage: scripts/build-test-modules.sh OUTDIR
# Environment:
#   LKMPR_KERNEL_DIR  a directory printed by scripts/fetch-debian-kernel.sh (skips the fetch)
#   LKMPR_KERNEL_ABI  ABI-flavour passed to the fetch script (default: Debian's current default)
#   LKMPR_CACHE       cache root, passed through to the fetch script
# Exit status: 0 on success (also when OUTDIR is already up to date), non-zero on any failure.
# Progress goes to stderr, a few short lines; on a build failure the make output is shown.
#
# Host needs (Debian 12; installed with apt-get when missing and running as root):
#   gcc-12     the headers' Makefile sets CC = gcc-12
#   make, binutils
#   libelf1    the prebuilt objtool in linux-kbuild-6.1 links against it (zlib1g is essential)
#   python3    scripts/patch-test-module.py
#   apt, dpkg  scripts/fetch-debian-kernel.sh (apt-get download, dpkg -x)
# Nothing is installed system-wide besides these: the kernel packages are only unpacked into the
# cache by the fetch script.
#
# Headers: Debian's linux-headers-<abi>/Makefile says `include /usr/src/linux-headers-<ver>-common/Makefile`
# (an absolute path) and its scripts/tools symlinks point to ../../lib/linux-kbuild-<series>. The
# build therefore uses private shadows of linux-headers-<abi> and of the -common dir (directories of
# symlinks to their entries) whose scripts/tools point to the unpacked linux-kbuild, and whose
# Makefile includes the shadow -common Makefile: everything inside the fetched root, never /usr/src.
# (The -common Makefile derives srctree from its own directory, i.e. the shadow -common dir.)
#
# Post-processing (scripts/patch-test-module.py), needed because modpost refuses these modules:
#   lkmpr_gpl_nonGPL  .modinfo "license=Dual MIT/GPL" -> "license=Proprietary" + NUL (same size):
#                     modpost: "GPL-incompatible module ... uses GPL-only symbol 'ktime_get'"
#   lkmpr_ns_missing  .modinfo "import_ns=DMA_BUF" -> "import_ns=LKMPRNS" (same size):
#                     modpost: "module ... uses symbol dma_buf_get from namespace DMA_BUF, but
#                     does not import it"
#   lkmpr_crc_bad     __versions entry of __kmalloc: crc ^= 0xffffffff (in place)
#   lkmpr_livepatch   ".klp.sym.vmlinux.saved_command_line,0": st_shndx = SHN_LIVEPATCH, GLOBAL;
#                     section .rela.lkmpr_klp -> .klp.rela.vmlinux..lkmpr_klp + SHF_RELA_LIVEPATCH
#                     (what klp-convert would do; the new .shstrtab is appended to the file)
#   lkmpr_nover       section __versions -> __lkmpr_nv (same length): a module without versions
#   lkmpr_vers_missing  __versions entry kstrtouint -> lkmpr_unversioned: no entry for kstrtouint
#   lkmpr_taint_gpl_first / lkmpr_taint_prop_first  .symtab order made certain: ktime_get before
#                     lkmpr_prop_fn / lkmpr_prop_fn before ktime_get (entries swapped only when the
#                     linker put them the other way; relocations follow)
# The others are exactly what kbuild produced. Modules are not signed. They keep their debug info
# (Debian's config); KCFLAGS=-ffile-prefix-map hides the temporary build dir, so a rebuild gives
# byte-identical .ko files. No BTF (no vmlinux in the headers package).
#
# MANIFEST.tsv: "module<TAB>rule<TAB>symbol<TAB>outcome<TAB>detail", one line per undefined
# (SHN_UNDEF or SHN_LIVEPATCH) symbol of every module; outcome "preresolved" or "left". Rules:
# ordinary, gpl-ok, namespace-imported, weak-exported (preresolved); gpl-only, namespace,
# crc-mismatch, weak-not-exported, livepatch, module-export, no-versions, no-version-entry,
# address-zero, gpl-taint-guard (left). Symbols without a special rule
# are checked against Module.symvers (vmlinux, no namespace) or the build fails.
#
# Caching: OUTDIR/.build-hash holds a hash of this script, the patch script, the module sources,
# the kernel ABI and the gcc version; when it matches and every output exists, nothing is rebuilt.
set -eu

log() { echo "build-test-modules: $*" >&2; }
die() { log "$*"; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
outdir=$1

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
srcdir=$repo/src/test/modules
patcher=$here/patch-test-module.py

# lkmpr_uses_dep and the lkmpr_taint_* modules are built last, against their providers'
# Module.symvers (KBUILD_EXTRA_SYMBOLS).
modules="lkmpr_plain lkmpr_gpl_nonGPL lkmpr_ns_missing lkmpr_ns_ok lkmpr_crc_bad lkmpr_weak lkmpr_livepatch lkmpr_dep_provider lkmpr_uses_dep lkmpr_nover lkmpr_vers_missing lkmpr_addr0 driverloader lkmpr_prop_provider lkmpr_taint_gpl_first lkmpr_taint_prop_first"
dependent="lkmpr_uses_dep lkmpr_taint_gpl_first lkmpr_taint_prop_first"

# --- host packages -------------------------------------------------------------------------------
need_pkgs=""
command -v gcc-12 >/dev/null 2>&1 || need_pkgs="$need_pkgs gcc-12"
command -v make >/dev/null 2>&1 || need_pkgs="$need_pkgs make"
command -v ld >/dev/null 2>&1 || need_pkgs="$need_pkgs binutils"
command -v python3 >/dev/null 2>&1 || need_pkgs="$need_pkgs python3"
if ! ldconfig -p 2>/dev/null | grep -q 'libelf\.so\.1 '; then
    dpkg-query -W -f='${Status}' libelf1 2>/dev/null | grep -q 'install ok installed' || need_pkgs="$need_pkgs libelf1"
fi
if [ -n "$need_pkgs" ]; then
    [ "$(id -u)" = 0 ] || die "missing packages:$need_pkgs (install them: apt-get install$need_pkgs)"
    log "apt-get install$need_pkgs"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $need_pkgs >&2 \
        || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends $need_pkgs >&2; } \
        || die "cannot install$need_pkgs"
fi

# --- kernel --------------------------------------------------------------------------------------
if [ -n "${LKMPR_KERNEL_DIR:-}" ]; then
    kdir=$LKMPR_KERNEL_DIR
else
    kdir=$("$here/fetch-debian-kernel.sh" ${LKMPR_KERNEL_ABI:+"$LKMPR_KERNEL_ABI"}) \
        || die "fetch-debian-kernel.sh failed"
    kdir=$(printf '%s\n' "$kdir" | tail -n1)
fi
root=$kdir/root
abi=$(basename "$kdir")
hdr=$root/usr/src/linux-headers-$abi
[ -f "$hdr/Makefile" ] && [ -f "$hdr/Module.symvers" ] || die "no headers at $hdr"

# --- cache check ---------------------------------------------------------------------------------
hash=$( {
    echo "abi $abi"
    gcc-12 --version | head -n1
    cat "$0" "$patcher"
    (cd "$srcdir" && find . -type f | LC_ALL=C sort | while read -r f; do echo "== $f"; cat "$f"; done)
} | sha256sum | cut -d' ' -f1)
uptodate=1
[ -f "$outdir/.build-hash" ] && [ "$(cat "$outdir/.build-hash")" = "$hash" ] || uptodate=0
[ -f "$outdir/MANIFEST.tsv" ] || uptodate=0
for m in $modules; do [ -f "$outdir/$m.ko" ] || uptodate=0; done
if [ $uptodate = 1 ]; then
    log "up to date in $outdir ($abi)"
    exit 0
fi

start=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lkmpr-modules.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# --- private headers tree ------------------------------------------------------------------------
common_inc=$(sed -n 's/^include \(.*\/Makefile\)$/\1/p' "$hdr/Makefile" | head -n1)
[ -n "$common_inc" ] || die "$hdr/Makefile includes no common Makefile"
common_name=$(basename "$(dirname "$common_inc")")
common=$root/usr/src/$common_name
[ -f "$common/Makefile" ] || die "no $common/Makefile"
kbuild=$(cd "$hdr" && readlink scripts)
case "$kbuild" in
    /*) kbuild_dir=$root$(dirname "$kbuild") ;;
    *) kbuild_dir=$(cd "$hdr" && cd "$(dirname "$kbuild")" && pwd) ;;
esac
[ -f "$kbuild_dir/scripts/Makefile.build" ] && [ -x "$kbuild_dir/scripts/mod/modpost" ] \
    || die "no kbuild tools at $kbuild_dir (linux-kbuild package unpacked?)"

# shadow SRC DST: DST is a new directory of symlinks to SRC's entries, except Makefile, scripts, tools
# (kbuild writes nothing into the headers tree for an M= build, so nothing reaches the cache).
shadow() {
    mkdir "$2"
    for e in "$1"/* "$1"/.[!.]*; do
        [ -e "$e" ] || [ -L "$e" ] || continue
        case $(basename "$e") in Makefile|scripts|tools) continue ;; esac
        ln -s "$e" "$2/$(basename "$e")"
    done
    ln -s "$kbuild_dir/scripts" "$2/scripts"
    ln -s "$kbuild_dir/tools" "$2/tools"
}
shadow "$common" "$tmp/common"
ln -s "$common/Makefile" "$tmp/common/Makefile"
shadow "$hdr" "$tmp/headers"
sed "s#^include .*/Makefile\$#include $tmp/common/Makefile#" "$hdr/Makefile" >"$tmp/headers/Makefile"

# --- build ---------------------------------------------------------------------------------------
mkdir "$tmp/mod" "$tmp/out"
# build_one NAME [make args]: builds into $tmp/mod/NAME; on failure leaves $tmp/mod/NAME.failed.
build_one() {
    name=$1; shift
    cp -a "$srcdir/$name" "$tmp/mod/$name"
    if ! make -C "$tmp/headers" M="$tmp/mod/$name" KCFLAGS="-ffile-prefix-map=$tmp/=/lkmpr/" "$@" modules >"$tmp/mod/$name.log" 2>&1; then
        echo "build failed" >"$tmp/mod/$name.failed"
    elif grep -qi 'warning:' "$tmp/mod/$name.log"; then
        echo "compiler or modpost warnings" >"$tmp/mod/$name.failed"
    fi
}
check_built() {
    for name in "$@"; do
        if [ -f "$tmp/mod/$name.failed" ]; then
            cat "$tmp/mod/$name.log" >&2
            die "$name: $(cat "$tmp/mod/$name.failed")"
        fi
        cp "$tmp/mod/$name/$name.ko" "$tmp/out/$name.ko" || die "$name: no $name.ko"
    done
}

log "building $(echo $modules | wc -w) modules against $abi"
# Every module but the dependent ones in parallel (two at a time: the machine is shared); those
# need their provider's Module.symvers.
independent=""
for m in $modules; do case " $dependent " in *" $m "*) ;; *) independent="$independent $m" ;; esac; done
n=0
for m in $independent; do
    build_one "$m" &
    n=$((n + 1))
    if [ $((n % 2)) = 0 ]; then wait; fi
done
wait
# shellcheck disable=SC2086
check_built $independent
build_one lkmpr_uses_dep KBUILD_EXTRA_SYMBOLS="$tmp/mod/lkmpr_dep_provider/Module.symvers" &
build_one lkmpr_taint_gpl_first KBUILD_EXTRA_SYMBOLS="$tmp/mod/lkmpr_prop_provider/Module.symvers" &
wait
build_one lkmpr_taint_prop_first KBUILD_EXTRA_SYMBOLS="$tmp/mod/lkmpr_prop_provider/Module.symvers"
# shellcheck disable=SC2086
check_built $dependent

# --- post-processing -----------------------------------------------------------------------------
postproc() { python3 "$patcher" "$@" >>"$tmp/out/PATCHES.txt" || die "patch-test-module.py $* failed"; }
postproc modinfo "$tmp/out/lkmpr_gpl_nonGPL.ko" license "Dual MIT/GPL" "Proprietary"
postproc modinfo "$tmp/out/lkmpr_ns_missing.ko" import_ns DMA_BUF LKMPRNS
postproc crc "$tmp/out/lkmpr_crc_bad.ko" __kmalloc
postproc livepatch "$tmp/out/lkmpr_livepatch.ko" ".klp.sym.vmlinux.saved_command_line,0" \
    .rela.lkmpr_klp .klp.rela.vmlinux..lkmpr_klp
postproc rename-section "$tmp/out/lkmpr_nover.ko" __versions __lkmpr_nv
postproc unversion "$tmp/out/lkmpr_vers_missing.ko" kstrtouint lkmpr_unversioned
postproc symorder "$tmp/out/lkmpr_taint_gpl_first.ko" ktime_get lkmpr_prop_fn
postproc symorder "$tmp/out/lkmpr_taint_prop_first.ko" lkmpr_prop_fn ktime_get

# --- manifest ------------------------------------------------------------------------------------
# One line per undefined (SHN_UNDEF or SHN_LIVEPATCH) symbol of every module:
#   module  rule  symbol  outcome  detail
# outcome: "preresolved" (the tool must turn it into SHN_ABS) or "left" (must stay as it is).
# Symbols not named below must be ordinary vmlinux exports (checked against Module.symvers):
# rule "ordinary" (or "gpl-ok" for EXPORT_SYMBOL_GPL in a GPL module), outcome "preresolved".
python3 - "$tmp/out" "$hdr/Module.symvers" "$tmp/mod/lkmpr_dep_provider/Module.symvers" \
    "$tmp/mod/lkmpr_prop_provider/Module.symvers" >"$tmp/out/MANIFEST.tsv" <<'EOF' || die "manifest: unexpected symbols"
import struct, sys, os
outdir, symvers = sys.argv[1:3]
provider_symvers = sys.argv[3:]

special = {
  ("lkmpr_gpl_nonGPL", "ktime_get"): ("gpl-only", "left",
      "EXPORT_SYMBOL_GPL, module license=Proprietary (patched); kernel: 'Unknown symbol ktime_get (err -2)'"),
  ("lkmpr_ns_missing", "dma_buf_get"): ("namespace", "left",
      "namespace DMA_BUF, module import_ns=LKMPRNS (patched); kernel: 'module uses symbol (dma_buf_get) from namespace DMA_BUF, but does not import it.' then 'Unknown symbol dma_buf_get (err -22)'"),
  ("lkmpr_ns_ok", "dma_buf_get"): ("namespace-imported", "preresolved",
      "namespace DMA_BUF, module import_ns=DMA_BUF"),
  ("lkmpr_crc_bad", "__kmalloc"): ("crc-mismatch", "left",
      "__versions CRC inverted (patched); kernel: 'disagrees about version of symbol __kmalloc' then 'Unknown symbol __kmalloc (err -22)'"),
  ("lkmpr_weak", "crc32_le"): ("weak-exported", "preresolved",
      "STB_WEAK, exported by vmlinux"),
  ("lkmpr_weak", "lkmpr_nonexistent"): ("weak-not-exported", "left",
      "STB_WEAK, exported by nothing; kernel resolves it to 0"),
  ("lkmpr_livepatch", ".klp.sym.vmlinux.saved_command_line,0"): ("livepatch", "left",
      "SHN_LIVEPATCH (patched), used only by .klp.rela.vmlinux..lkmpr_klp; kernel resolves it via kallsyms at load"),
  ("lkmpr_uses_dep", "lkmpr_provider_fn"): ("module-export", "left",
      "exported by module lkmpr_dep_provider"),
  ("lkmpr_vers_missing", "kstrtouint"): ("no-version-entry", "left",
      "__versions has no entry for it (renamed, patched); kernel: 'no symbol version for kstrtouint', then (Debian 6.1.0-57) 'Unknown symbol kstrtouint (err -22)'"),
  ("lkmpr_addr0", "fixed_percpu_data"): ("address-zero", "left",
      "EXPORT_PER_CPU_SYMBOL_GPL, address 0 in the image; kernel resolves it to 0, loads"),
  ("driverloader", "ktime_get"): ("gpl-only", "left",
      "EXPORT_SYMBOL_GPL, module license=GPL but proprietary by name; kernel: 'Unknown symbol ktime_get (err -2)'"),
  ("lkmpr_taint_gpl_first", "ktime_get"): ("gpl-taint-guard", "left",
      "EXPORT_SYMBOL_GPL before lkmpr_prop_fn of proprietary lkmpr_prop_provider; kernel: 'module using GPL-only symbols uses symbols lkmpr_prop_fn from proprietary module lkmpr_prop_provider.'"),
  ("lkmpr_taint_gpl_first", "lkmpr_prop_fn"): ("module-export", "left",
      "exported by module lkmpr_prop_provider (Proprietary)"),
  ("lkmpr_taint_prop_first", "ktime_get"): ("gpl-taint-guard", "left",
      "EXPORT_SYMBOL_GPL after lkmpr_prop_fn of proprietary lkmpr_prop_provider; kernel: 'inheriting taint' then 'Unknown symbol ktime_get (err -2)'"),
  ("lkmpr_taint_prop_first", "lkmpr_prop_fn"): ("module-export", "left",
      "exported by module lkmpr_prop_provider (Proprietary)"),
}
nongpl = {"lkmpr_gpl_nonGPL", "lkmpr_prop_provider"}
# Modules whose every vmlinux symbol has one outcome.
whole = {
  "lkmpr_nover": ("no-versions", "left",
      "module has no __versions (renamed, patched); kernel: 'module_layout: kernel tainted.' (CONFIG_MODULE_FORCE_LOAD), loads"),
}

exports = {}
for line in open(symvers):
    crc, name, owner, typ, ns = (line.rstrip("\n").split("\t") + [""])[:5]
    exports[name] = (owner, typ, ns)
provided = {line.split("\t")[1] for f in provider_symvers for line in open(f)}

def undefined(path):
    b = open(path, "rb").read()
    shoff, = struct.unpack_from("<Q", b, 0x28)
    shnum, = struct.unpack_from("<H", b, 0x3C)
    sh = [struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * 64) for i in range(shnum)]
    st = [s for s in sh if s[1] == 2][0]
    stroff = sh[st[6]][4]
    for i in range(1, st[5] // 24):
        name_off, info, other, shndx = struct.unpack_from("<IBBH", b, st[4] + i * 24)
        if shndx in (0, 0xff20):
            yield b[stroff + name_off:b.index(0, stroff + name_off)].decode(), info >> 4, shndx

print("# module\trule\tsymbol\toutcome\tdetail")
bad = []
seen = set()
for ko in sorted(f for f in os.listdir(outdir) if f.endswith(".ko")):
    mod = ko[:-3]
    for name, bind, shndx in undefined(os.path.join(outdir, ko)):
        key = (mod, name)
        seen.add(key)
        if key in special:
            rule, outcome, detail = special[key]
        else:
            owner, typ, ns = exports.get(name, (None, None, None))
            if owner != "vmlinux" or ns or bind != 1 or shndx != 0 or name in provided:
                bad.append(f"{ko}: {name} (bind {bind}, shndx {shndx:#x}, export {owner} {typ} {ns})")
                continue
            if mod in whole:
                rule, outcome, detail = whole[mod]
                print(f"{ko}\t{rule}\t{name}\t{outcome}\t{detail}")
                continue
            if typ == "EXPORT_SYMBOL_GPL":
                if mod in nongpl:
                    bad.append(f"{ko}: unexpected GPL-only {name}")
                    continue
                rule, detail = "gpl-ok", "EXPORT_SYMBOL_GPL of vmlinux, GPL module"
            else:
                rule, detail = "ordinary", "EXPORT_SYMBOL of vmlinux"
            outcome = "preresolved"
        print(f"{ko}\t{rule}\t{name}\t{outcome}\t{detail}")
missing = set(special) - seen
for m, n in sorted(missing):
    bad.append(f"{m}.ko: expected undefined symbol {n} not found")
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
EOF

# --- install -------------------------------------------------------------------------------------
mkdir -p "$outdir"
for m in $modules; do cp "$tmp/out/$m.ko" "$outdir/$m.ko.tmp" && mv "$outdir/$m.ko.tmp" "$outdir/$m.ko"; done
sed "s#$tmp/out/##" "$tmp/out/PATCHES.txt" >"$outdir/PATCHES.txt"
cp "$tmp/out/MANIFEST.tsv" "$outdir/MANIFEST.tsv"
echo "$hash" >"$outdir/.build-hash"
log "done: $(echo $modules | wc -w) modules in $outdir ($(( $(date +%s) - start ))s)"

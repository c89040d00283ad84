#!/usr/bin/env python3
"""The tables and the chart of scripts/bench/load-module.sh, from its OUTDIR (serial.log, ORDER, the
variant directories). Prints results.md; writes OUTDIR/samples.tsv and OUTDIR/chart.svg.

usage: load-module-report.py OUTDIR RELEASE ROUNDS HOST CPUS QEMU CLOCK
"""
import os
import re
import statistics as st
import struct
import sys

out, release, rounds, host, cpus, qemu, clock = sys.argv[1:8]
rounds = int(rounds)
arch = open(os.path.join(out, "ARCH")).read().strip()
variants = open(os.path.join(out, "VARIANTS")).read().split()
pre = [v for v in variants if v != "signed"]  # unsigned, plain, anchor
classes = ["0", "1", ">1"]
cls, files = {}, {}
for line in open(os.path.join(out, "ORDER")):
    n, f, c, p = line.split()
    cls[n] = c
    files[n] = f
mods = list(cls)
classes = [c for c in classes if c in cls.values()]
lines = open(os.path.join(out, "serial.log"), errors="replace").read().replace("\r", "").split("\n")
not_traceable = [l.split()[2] for l in lines if l.startswith("=== NOT_TRACEABLE ")]


def section(tag):
    a = lines.index(f"=== TRACE {tag} begin")
    b = lines.index(f"=== TRACE {tag} end")
    return lines[a + 1:b]


DUR = r"(?:[!#*@$+]\s*)?(\d+(?:\.\d+)?) us"
NAME = r"([\w.]+)"
marker = re.compile(r"/\* BENCH (\S+) (\S+) (\S+) \*/")
leaf = re.compile(DUR + r"\s*\|\s*" + NAME + r"\(\);")
close = re.compile(DUR + r"\s*\|\s*\}\s*/\*\s*" + NAME + r"\s*\*/")
suffix = re.compile(r"\.(isra|constprop|part|cold)\.\d+")


def events(tag):
    """(marker, function, us) for every completed call in a trace section, after a BENCH marker."""
    cur = None
    for l in section(tag):
        m = marker.search(l)
        if m:
            cur = m.groups()
            continue
        m = leaf.search(l) or close.search(l)
        if m and cur:
            yield cur, suffix.sub("", m.group(2)), float(m.group(1)), bool(leaf.search(l))


# Timing rounds: per load, load_module and do_init_module.
loads = {}  # (round, variant, module) -> dict
for (r, v, n), fn, us, _ in events("timing"):
    d = loads.setdefault((r, v, n), {"load": None, "init": 0.0, "simplify": None})
    if fn == "load_module":
        d["load"] = us
    elif fn == "do_init_module":
        d["init"] += us
loads = {k: d for k, d in loads.items() if d["load"] is not None}
expect = rounds * len(variants) * len(mods)
assert len(loads) == expect, f"{len(loads)} loads traced, expected {expect}"

# Symbol rounds: simplify_symbols, traced itself or (inlined) as the gap between the calls that
# enclose it, from absolute timestamps.
symmode = next((l.split()[2] for l in lines if l.startswith("=== SYMBOLS ")), "none")
TS = re.compile(r"^\s*(\d+)\.(\d{6})\s*\|")
state = {}
cur = None
for l in section("symbols"):
    m = marker.search(l)
    if m:
        cur = m.groups()
        state[cur] = {"before": None, "after": None, "direct": None}
        continue
    if not cur:
        continue
    d = state[cur]
    m = leaf.search(l) or close.search(l)
    if not m:
        continue
    fn, us = suffix.sub("", m.group(2)), float(m.group(1))
    if symmode == "direct":
        if fn == "simplify_symbols":
            d["direct"] = us
        continue
    t = TS.match(l)
    ts = int(t.group(1)) * 1e6 + int(t.group(2))  # microseconds; a leaf line shows its entry time
    if fn.startswith("setup_modinfo_") and d["after"] is None:
        d["before"] = ts + us
    elif fn in ("apply_relocate_add", "apply_relocate", "add_kallsyms") and d["after"] is None and d["before"] is not None:
        d["after"] = ts
for k, d in state.items():
    val = d["direct"] if symmode == "direct" else (d["after"] - d["before"] if d["after"] is not None and d["before"] is not None else None)
    if k in loads:
        loads[k]["simplify"] = val
have_simplify = all(d["simplify"] is not None for d in loads.values())
if not have_simplify:
    for d in loads.values():
        d["simplify"] = 0.0
with open(os.path.join(out, "samples.tsv"), "w") as o:
    o.write("round\tvariant\tmodule\tclass\tload_module_us\tdo_init_module_us\tsimplify_symbols_us\n")
    for (r, v, n), d in loads.items():
        o.write(f"{r}\t{v}\t{n}\t{cls[n]}\t{d['load']:.3f}\t{d['init']:.3f}\t{d['simplify']:.3f}\n")


def med(metric, v, n):
    vals = []
    for r in range(1, rounds + 1):
        d = loads[(str(r), v, n)]
        vals.append(d["load"] - d["init"] if metric == "noinit" else d[metric])
    return st.median(vals)


M = {(metric, v, n): med(metric, v, n) for metric in ("load", "noinit", "init", "simplify") for v in variants for n in mods}


def in_class(c):
    return [n for n in mods if c is None or cls[n] == c]


def total(metric, v, c):
    return sum(M[(metric, v, n)] for n in in_class(c))


def pct(a, b):
    return f"{100 * (a - b) / b:+.1f}%" if b else "n/a"


def spread(metric, v, c):
    """Largest relative difference of a class sum between rounds (how repeatable the clock is)."""
    sums = [sum((loads[(str(r), v, n)]["load"] - loads[(str(r), v, n)]["init"]) if metric == "noinit"
                else loads[(str(r), v, n)][metric] for n in in_class(c)) for r in range(1, rounds + 1)]
    return 100 * (max(sums) - min(sums)) / min(sums) if min(sums) else 0.0


# ELF facts of each variant's file: size, .symtab entries.
def elf_facts(path):
    b = open(path, "rb").read()
    if b[4] != 2:
        e_shoff, = struct.unpack_from("<I", b, 0x20)
        e_shentsize, e_shnum = struct.unpack_from("<HH", b, 0x2e)
        fmt, szo = "<IIIIIIIIII", 5
    else:
        e_shoff, = struct.unpack_from("<Q", b, 0x28)
        e_shentsize, e_shnum = struct.unpack_from("<HH", b, 0x3a)
        fmt, szo = "<IIQQQQIIQQ", 5
    syms = undef = 0
    for i in range(e_shnum):
        h = struct.unpack_from(fmt, b, e_shoff + i * e_shentsize)
        if h[1] == 2:  # SHT_SYMTAB
            syms = h[szo] // h[9]
            off = h[4]
            for k in range(1, syms):
                e = off + k * h[9]
                shndx = struct.unpack_from("<H", b, e + (6 if b[4] == 2 else 14))[0]
                undef += shndx == 0
    return len(b), syms, undef


facts = {(v, n): elf_facts(os.path.join(out, v, files[n])) for v in variants for n in mods}

# Breakdown round: load_module's direct children (max_graph_depth=2).
brk = {}  # (variant, module) -> {child: us}
for (r, v, n), fn, us, isleaf in events("breakdown"):
    d = brk.setdefault((v, n), {})
    if fn == "load_module" and not isleaf:
        d["load_module"] = us
    else:
        d[fn] = d.get(fn, 0.0) + us

# Counting round.
counts = {}
for (r, v, n), fn, us, _ in events("count"):
    c = counts.setdefault((v, n), {"resolve_symbol": 0, "resolve_us": 0.0, "find_symbol": 0, "sig_us": 0.0,
                                    "init_us": 0.0, "kallsyms_lookup": 0, "kallsyms_us": 0.0, "load_us": 0.0})
    if fn == "resolve_symbol":
        c["resolve_symbol"] += 1
        c["resolve_us"] += us
    elif fn == "find_symbol":
        c["find_symbol"] += 1
    elif fn == "module_sig_check":
        c["sig_us"] += us
    elif fn == "do_init_module":
        c["init_us"] += us
    elif fn == "kallsyms_lookup":
        c["kallsyms_lookup"] += 1
        c["kallsyms_us"] += us
    elif fn == "load_module":
        c["load_us"] = us


def cnt(v, c, key):
    ms = in_class(c)
    return sum(counts.get((v, n), {}).get(key, 0) for n in ms) / len(ms)


label = {"signed": "std signed", "unsigned": "std unsigned", "plain": "plain", "anchor": "anchor"}
P = print
P(f"Kernel {release} ({arch}) under {qemu}, TCG, 1 vCPU, 2 GiB, `nokaslr`, clock: `{clock}`; "
  f"host: {host}, {cpus} CPUs. {len(mods)} modules, {rounds} rounds, variants interleaved "
  f"(the order rotates every round).\n")
if not_traceable:
    P(f"Not traceable in this kernel (inlined or notrace): {', '.join(not_traceable)}.\n")
if not have_simplify:
    P("simplify_symbols could not be timed in this kernel (not traceable, and no enclosing calls found): its columns read 0.\n")
elif symmode == "gap":
    P("simplify_symbols is inlined into load_module in this kernel: it is timed in separate rounds as the gap between "
      "the end of the last `setup_modinfo_*` call and the start of the first `apply_relocate_add` (absolute "
      "timestamps of function_graph, 1 us resolution per load; the gap also holds the few instructions of "
      "setup_modinfo's and apply_relocations' loops around it, the same in every variant).\n")
left = [l.split() for l in open(os.path.join(out, "LEFT_SIGNED")) if l.strip()]
if left:
    P("Left as they were (signed) by the tool, signature stripped by the bench: "
      + ", ".join(f"{n} ({v})" for v, n in left) + ".\n")
P("Every figure: per module and variant the median over the rounds; per class the sum over its modules. "
  "Milliseconds of guest clock unless said; change against std unsigned.\n")

for metric, title in (("load", "load_module, total (includes the module's init, as in 2010)"),
                      ("noinit", "load_module without do_init_module (the loader's own work)"),
                      ("simplify", "simplify_symbols (the symbol pass)")):
    unit, div = ("us", 1) if metric == "simplify" else ("ms", 1000)
    P(f"### {title}\n")
    P("| dependencies | modules | " + " | ".join(f"{label[v]} ({unit})" for v in variants)
      + " | plain vs unsigned | anchor vs unsigned | anchor vs plain |")
    P("|---|---|" + "---|" * len(variants) + "---|---|---|")
    for c in classes + [None]:
        t = {v: total(metric, v, c) for v in variants}
        fmt = (lambda x: f"{x / div:.0f}") if metric == "simplify" else (lambda x: f"{x / div:.2f}")
        P(f"| {c if c else 'all'} | {len(in_class(c))} | " + " | ".join(fmt(t[v]) for v in variants)
          + f" | {pct(t['plain'], t['unsigned'])} | {pct(t['anchor'], t['unsigned'])} | {pct(t['anchor'], t['plain'])} |")
    P("")
    P("Per module, the median of the per-module change against std unsigned: "
      + "; ".join(f"{c} deps plain {st.median([100 * (M[(metric, 'plain', n)] - M[(metric, 'unsigned', n)]) / M[(metric, 'unsigned', n)] for n in in_class(c)]):+.1f}%, "
                  f"anchor {st.median([100 * (M[(metric, 'anchor', n)] - M[(metric, 'unsigned', n)]) / M[(metric, 'unsigned', n)] for n in in_class(c)]):+.1f}%"
                  for c in classes if in_class(c) and all(M[(metric, 'unsigned', n)] for n in in_class(c))) + ".\n")
P("Repeatability: the largest difference between two rounds of a class sum of load_module without init: "
  + ", ".join(f"{label[v]} {max(spread('noinit', v, c) for c in classes if in_class(c)):.2f}%" for v in variants) + ".\n")

# Breakdown.
P("### Where load_module's time goes (breakdown round: every direct child of load_module, "
  "max_graph_depth=2; times inflated by the tracer's hook on every deeper call)\n")
children = {}
for (v, n), d in brk.items():
    for fn, us in d.items():
        if fn != "load_module":
            children[fn] = children.get(fn, 0.0) + us
top = [fn for fn, _ in sorted(children.items(), key=lambda x: -x[1])]
for c in classes + [None]:
    ms = in_class(c)
    if not ms:
        continue
    P(f"Dependencies {c if c else 'all'} ({len(ms)} modules), mean per module, microseconds:\n")
    P("| child of load_module | " + " | ".join(label[v] for v in variants) + " | anchor - unsigned |")
    P("|---|" + "---|" * len(variants) + "---|")
    rows = []
    for fn in top:
        vals = {v: sum(brk.get((v, n), {}).get(fn, 0.0) for n in ms) / len(ms) for v in variants}
        if max(vals.values()) >= 1.0 or fn in ("simplify_symbols", "do_init_module"):
            rows.append((fn, vals))
    for fn, vals in rows:
        P(f"| {fn} | " + " | ".join(f"{vals[v]:.1f}" for v in variants) + f" | {vals['anchor'] - vals['unsigned']:+.1f} |")
    lm = {v: sum(brk.get((v, n), {}).get("load_module", 0.0) for n in ms) / len(ms) for v in variants}
    P("| **load_module** | " + " | ".join(f"{lm[v]:.1f}" for v in variants) + f" | {lm['anchor'] - lm['unsigned']:+.1f} |\n")

# Counting round.
P("### Symbol lookups (counting round; its times inflated by the extra tracing), mean per module\n")
P("| dependencies | variant | resolve_symbol calls | find_symbol calls | kallsyms_lookup calls | in resolve_symbol (us) | in kallsyms_lookup (us) | in module_sig_check (us) |")
P("|---|---|---|---|---|---|---|---|")
for c in classes + [None]:
    for v in variants:
        P(f"| {c if c else 'all'} | {label[v]} | {cnt(v, c, 'resolve_symbol'):.1f} | {cnt(v, c, 'find_symbol'):.1f} | "
          f"{cnt(v, c, 'kallsyms_lookup'):.1f} | {cnt(v, c, 'resolve_us'):.0f} | {cnt(v, c, 'kallsyms_us'):.0f} | "
          f"{cnt(v, c, 'sig_us'):.0f} |")
P("")

# Sizes.
P("### Module files: size on disk, .symtab entries and undefined symbols, sum per class\n")
P("| dependencies | " + " | ".join(f"{label[v]} bytes" for v in variants) + " | anchor vs unsigned | "
  + " | ".join(f"{label[v]} symbols" for v in pre) + " | " + " | ".join(f"{label[v]} undefined" for v in pre) + " |")
P("|---|" + "---|" * (len(variants) + 1 + 2 * len(pre)))
for c in classes + [None]:
    ms = in_class(c)
    sz = {v: sum(facts[(v, n)][0] for n in ms) for v in variants}
    sy = {v: sum(facts[(v, n)][1] for n in ms) for v in pre}
    un = {v: sum(facts[(v, n)][2] for n in ms) for v in pre}
    P(f"| {c if c else 'all'} | " + " | ".join(f"{sz[v]:,}" for v in variants) + f" | {pct(sz['anchor'], sz['unsigned'])} | "
      + " | ".join(f"{sy[v]:,}" for v in pre) + " | " + " | ".join(f"{un[v]:,}" for v in pre) + " |")
P("")
P("(Signed sizes include the appended signature. Both preresolved variants append the .preresolved record that "
  "restore needs; in anchor mode .symtab and the relocation sections are rewritten in place and the record holds "
  "their original bytes, deflated.)\n")

# Per module.
P("### Per module (medians over the rounds, microseconds; sizes in bytes)\n")
P("| module | deps | without init: unsigned | plain | anchor | simplify_symbols: unsigned | plain | anchor "
  "| init | size: unsigned | plain | anchor | symbols: unsigned | anchor |")
P("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for n in sorted(mods, key=lambda n: (classes.index(cls[n]), -M[("noinit", "unsigned", n)])):
    P(f"| {n} | {cls[n]} | " + " | ".join(f"{M[('noinit', v, n)]:.0f}" for v in pre) + " | "
      + " | ".join(f"{M[('simplify', v, n)]:.1f}" for v in pre) + f" | {M[('init', 'unsigned', n)]:.0f} | "
      + " | ".join(f"{facts[(v, n)][0]:,}" for v in pre) + f" | {facts[('unsigned', n)][1]} | {facts[('anchor', n)][1]} |")


# The chart: load_module without init and simplify_symbols, per class, per variant (unsigned,
# plain, anchor), as a percentage of std unsigned, the absolute value written on each bar.
def chart(path):
    colours = {"signed": "#999999", "unsigned": "#4c72b0", "plain": "#dd8452", "anchor": "#55a868"}
    panels = [("noinit", "load_module without do_init_module", "ms", 1000),
              ("simplify", "simplify_symbols", "us", 1)]
    groups = [c for c in classes if in_class(c)] + [None]
    W, H, top_, bottom, left_ = 520, 330, 56, 46, 52
    plot_h = H - top_ - bottom
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W * len(panels)}" height="{H + 30}" '
           f'font-family="sans-serif" font-size="11">', f'<rect width="100%" height="100%" fill="white"/>']
    for pi, (metric, title, unit, div) in enumerate(panels):
        x0 = pi * W + left_
        pw = W - left_ - 16
        ymax = 120.0
        for c in groups:
            u = total(metric, "unsigned", c)
            for v in pre:
                ymax = max(ymax, 100 * total(metric, v, c) / u + 10 if u else 0)
        ymax = 20 * (int(ymax / 20) + 1)
        svg.append(f'<text x="{x0 + pw / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">{title}</text>')
        svg.append(f'<text x="{x0 + pw / 2}" y="34" text-anchor="middle">sum per class, % of std unsigned ({unit} on the bars)</text>')
        for t in range(0, int(ymax) + 1, 20):
            y = top_ + plot_h * (1 - t / ymax)
            svg.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="{"#333" if t in (0, 100) else "#ddd"}"/>')
            svg.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end">{t}%</text>')
        goal = 100 if metric == "noinit" else 10
        gy = top_ + plot_h * (1 - goal / ymax)
        svg.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{gy:.1f}" y2="{gy:.1f}" stroke="#c00" stroke-dasharray="5,3"/>')
        gw = pw / len(groups)
        bw = gw * 0.8 / len(pre)
        for gi, c in enumerate(groups):
            u = total(metric, "unsigned", c)
            for vi, v in enumerate(pre):
                val = total(metric, v, c)
                h = plot_h * (100 * val / u / ymax) if u else 0
                x = x0 + gi * gw + gw * 0.1 + vi * bw
                y = top_ + plot_h - h
                svg.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" fill="{colours[v]}"/>')
                num = (f"{val / div:.1f}" if val / div >= 10 else f"{val / div:.2f}") if div > 1 else f"{val:.0f}"
                svg.append(f'<text x="{x + bw / 2 - 1:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="9">{num}</text>')
            svg.append(f'<text x="{x0 + gi * gw + gw / 2:.1f}" y="{top_ + plot_h + 16}" text-anchor="middle">'
                       f'{(c + " dep" + ("s" if c != "1" else "")) if c else "all"} ({len(in_class(c))})</text>')
    lx = 20
    for v in pre:
        svg.append(f'<rect x="{lx}" y="{H + 8}" width="12" height="12" fill="{colours[v]}"/>')
        svg.append(f'<text x="{lx + 16}" y="{H + 18}">{label[v]}</text>')
        lx += 110
    svg.append(f'<line x1="{lx}" x2="{lx + 22}" y1="{H + 14}" y2="{H + 14}" stroke="#c00" stroke-dasharray="5,3"/>')
    svg.append(f'<text x="{lx + 26}" y="{H + 18}">goal (issue 16)</text>')
    lx += 120
    svg.append(f'<text x="{lx + 10}" y="{H + 18}" fill="#555">{release} ({arch}), QEMU TCG, clock {clock}, '
               f'{len(mods)} modules, {rounds} rounds, medians</text>')
    svg.append("</svg>")
    open(path, "w").write("\n".join(svg) + "\n")


chart(os.path.join(out, "chart.svg"))

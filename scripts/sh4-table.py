#!/usr/bin/env python3
"""Turn `lkm-preresolver preresolve --json` output into the Markdown results table of docs/sh4.md:
undefined symbols per module, standard against preresolved, next to the 2010 figures.

usage: lkm-preresolver preresolve ... --json MODULES | scripts/sh4-table.py [--order LOAD-ORDER] [--update FILE]
  --order FILE   list the modules in this order (file names, one a line; e.g. the kit's load-order.txt)
  --update FILE  replace the text between the markers
                 <!-- sh4-table begin --> and <!-- sh4-table end --> in FILE instead of printing

Example (from the project directory, with the SH-4 kit in ../shared/sh4):
  K=../shared/sh4
  bin/lkm-preresolver preresolve -k $K/vmlinux --config $K/config -n --json $K/modules \\
    | python3 scripts/sh4-table.py --order $K/load-order.txt --update docs/sh4.md
"""
import json
import sys

BEGIN = "<!-- sh4-table begin -->"
END = "<!-- sh4-table end -->"

# ELC-E 2010 "LKM Preresolver" slides (KERNEL.md section 8): undefined symbols, standard -> preresolved.
# pata_platform is from the 2.6.32 SH-4 set-top box ("pata_platform.ko (11/26 preresolved)"),
# the others from 2.6.33 x86_64.
FIGURES_2010 = {
    "pata_platform": (26, 15, "2.6.32 SH-4"),
    "libata": (104, 0, "2.6.33 x86_64"),
    "ext4": (276, 39, "2.6.33 x86_64"),
    "xfs": (242, 1, "2.6.33 x86_64"),
    "usbcore": (163, 0, "2.6.33 x86_64"),
    "usbhid": (74, 15, "2.6.33 x86_64"),
}

REASONS = {
    "exported-by-module": "from a module",
    "not-exported": "not exported by vmlinux",
    "weak-not-exported": "weak, not exported",
    "gpl-only": "GPL-only, licence not GPL",
    "namespace-not-imported": "namespace not imported",
    "crc-mismatch": "CRC mismatch",
    "no-version-entry": "no __versions entry",
    "no-versions": "no __versions",
    "protected": "protected export",
    "gpl-taint-guard": "GPL-only, kept for the proprietary-provider check",
    "address-zero": "address 0 in the image",
    "ignored-name": "ignored by the loader",
    "livepatch": "livepatch",
    "arch-rule": "architecture rule",
}


def fail(msg):
    sys.stderr.write("sh4-table.py: " + msg + "\n")
    sys.exit(1)


def why(m):
    parts = []
    for key, n in m.get("left", {}).items():
        text = REASONS.get(key, key)
        if key == "exported-by-module" and m.get("depends"):
            text = "from " + ", ".join(m["depends"])
        parts.append("%d %s" % (n, text))
    return "; ".join(parts)


def figure(name):
    f = FIGURES_2010.get(name)
    if f is None:
        return ""
    std, left, kernel = f
    return "%d -> %d (%d/%d, %s)" % (std, left, std - left, std, kernel)


def table(report, order):
    modules = report.get("modules")
    if modules is None:
        fail("no \"modules\" in the input: give it `lkm-preresolver preresolve --json` output")
    failed = [m["path"] + ": " + m.get("error", m["status"]) for m in modules if "undefined" not in m]
    if failed:
        fail("modules without counts: " + "; ".join(failed))
    if order:
        rank = {name: i for i, name in enumerate(order)}
        modules = sorted(modules, key=lambda m: rank.get(m["path"].split("/")[-1], len(rank)))
    rows = [
        "| module | undefined, standard | undefined, preresolved | preresolved | left undefined | 2010: standard -> preresolved |",
        "|---|---:|---:|---:|---|---|",
    ]
    for m in modules:
        std, pre = m["undefined"], m["preresolved"]
        rows.append("| %s | %d | %d | %d/%d%s | %s | %s |" % (
            m["name"], std, std - pre, pre, std, " (full)" if m["full"] else "", why(m), figure(m["name"])))
    s = report["summary"]
    rows.append("| **all %d** | **%d** | **%d** | **%d/%d (%.1f%%)** | %d fully preresolved | |" % (
        s["modules"], s["undefined"], s["undefined"] - s["preresolved"], s["preresolved"], s["undefined"],
        100.0 * s["share"], s["fullyPreresolved"]))
    shown = {m["name"] for m in modules}
    rest = [n for n in FIGURES_2010 if n not in shown]
    if rest:
        rows.append("")
        rows.append("2010 examples not in the kit: " + ", ".join("%s %s" % (n, figure(n)) for n in rest) + ".")
    return "\n".join(rows) + "\n"


def main(argv):
    order, update = None, None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--order" and args:
            with open(args.pop(0), encoding="utf-8") as f:
                order = [line.strip() for line in f if line.strip()]
        elif a == "--update" and args:
            update = args.pop(0)
        elif a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        else:
            fail("unknown argument %r (try --help)" % a)
    try:
        report = json.load(sys.stdin)
    except ValueError as e:
        fail("input is not JSON: %s" % e)
    text = table(report, order)
    if update is None:
        sys.stdout.write(text)
        return 0
    with open(update, encoding="utf-8") as f:
        doc = f.read()
    b, e = doc.find(BEGIN), doc.find(END)
    if b < 0 or e < b:
        fail("%s has no %s ... %s section" % (update, BEGIN, END))
    with open(update, "w", encoding="utf-8") as f:
        f.write(doc[:b + len(BEGIN)] + "\n" + text + doc[e:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Post-process a built test module (.ko) into the shape that a safety-rule test needs, where the
kernel's own build (modpost) refuses to produce that shape. Used by scripts/build-test-modules.sh.

ELF64 little-endian only (x86_64 modules). Every change is made in place; the file keeps its size
and every offset, except for `livepatch`, which appends a new section-name table at the end of the
file (the old one stays where it was, unused) because the new section name is longer.

usage:
  patch-test-module.py modinfo   KO KEY OLD NEW   .modinfo "KEY=OLD" -> "KEY=NEW" + NUL padding
                                                   (len(NEW) <= len(OLD); exactly one match)
  patch-test-module.py crc       KO SYMBOL        __versions: crc ^= 0xffffffff for SYMBOL
  patch-test-module.py unversion KO SYMBOL NEWNAME  __versions: the entry of SYMBOL renamed NEWNAME
                                                   (so that no entry names SYMBOL any more)
  patch-test-module.py rename-section KO OLD NEW   section OLD renamed NEW in .shstrtab, in place
                                                   (len(NEW) == len(OLD); the name is shared with
                                                   no other section)
  patch-test-module.py symorder KO FIRST SECOND    .symtab: FIRST before SECOND; when it is not,
        the two (non-local) entries are swapped and every relocation against them follows
        (no SHT_GROUP or SHT_SYMTAB_SHNDX section may name them)
  patch-test-module.py livepatch KO SYMBOL RELASEC NEWNAME
        SYMBOL: st_shndx = SHN_LIVEPATCH (0xff20), binding STB_GLOBAL;
        RELASEC: renamed NEWNAME, sh_flags |= SHF_RELA_LIVEPATCH (0x00100000); it must hold only
        relocations against SYMBOL, and no other relocation section may use SYMBOL.
Each command prints one line saying what it changed, to stdout.
"""
import struct
import sys

SHN_UNDEF = 0
SHN_LIVEPATCH = 0xFF20
SHF_RELA_LIVEPATCH = 0x00100000
SHT_SYMTAB = 2
SHT_RELA = 4
SHT_REL = 9
SHT_GROUP = 17
SHT_SYMTAB_SHNDX = 18
STB_GLOBAL = 1


class Elf:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.b = bytearray(f.read())
        b = self.b
        if b[:4] != b"\x7fELF" or b[4] != 2 or b[5] != 1:
            die(f"{path}: not an ELF64 little-endian file")
        (self.e_type, self.e_machine) = struct.unpack_from("<HH", b, 16)
        if self.e_type != 1:
            die(f"{path}: not a relocatable object (e_type {self.e_type})")
        self.e_shoff = struct.unpack_from("<Q", b, 0x28)[0]
        (self.e_shentsize, self.e_shnum, self.e_shstrndx) = struct.unpack_from("<HHH", b, 0x3A)
        if self.e_shentsize != 64:
            die(f"{path}: unexpected e_shentsize {self.e_shentsize}")
        self.load_sections()

    def load_sections(self):
        self.sh = []
        for i in range(self.e_shnum):
            off = self.e_shoff + i * 64
            (name, typ, flags, addr, offset, size, link, info, align, entsize) = struct.unpack_from(
                "<IIQQQQIIQQ", self.b, off)
            self.sh.append(dict(idx=i, hoff=off, name_off=name, type=typ, flags=flags,
                                offset=offset, size=size, link=link, info=info, entsize=entsize))
        shstr = self.sh[self.e_shstrndx]
        for s in self.sh:
            s["name"] = cstr(self.b, shstr["offset"] + s["name_off"])

    def section(self, name):
        found = [s for s in self.sh if s["name"] == name]
        if len(found) != 1:
            die(f"{self.path}: {len(found)} sections named {name}")
        return found[0]

    def symtab(self):
        found = [s for s in self.sh if s["type"] == SHT_SYMTAB]
        if len(found) != 1:
            die(f"{self.path}: {len(found)} symbol tables")
        return found[0]

    def symbols(self):
        st = self.symtab()
        strtab = self.sh[st["link"]]
        for i in range(st["size"] // 24):
            off = st["offset"] + i * 24
            (name, info, other, shndx, value, size) = struct.unpack_from("<IBBHQQ", self.b, off)
            yield dict(idx=i, off=off, name=cstr(self.b, strtab["offset"] + name), info=info,
                       shndx=shndx)

    def write(self):
        with open(self.path, "wb") as f:
            f.write(self.b)


def cstr(b, off):
    end = b.index(0, off)
    return b[off:end].decode("utf-8", "replace")


def die(msg):
    print(f"patch-test-module: {msg}", file=sys.stderr)
    sys.exit(1)


def cmd_modinfo(path, key, old, new):
    elf = Elf(path)
    mi = elf.section(".modinfo")
    data = bytes(elf.b[mi["offset"]:mi["offset"] + mi["size"]])
    old_b = f"{key}={old}".encode() + b"\0"
    new_b = f"{key}={new}".encode()
    if len(new_b) + 1 > len(old_b):
        die(f"{path}: '{key}={new}' is longer than '{key}={old}'")
    # Match whole strings only: at the start of the section or right after a NUL.
    hits = [i for i in range(len(data)) if data.startswith(old_b, i) and (i == 0 or data[i - 1] == 0)]
    if len(hits) != 1:
        die(f"{path}: {len(hits)} occurrences of '{key}={old}' in .modinfo")
    start = mi["offset"] + hits[0]
    elf.b[start:start + len(old_b)] = new_b + b"\0" * (len(old_b) - len(new_b))
    elf.write()
    print(f"{path}: .modinfo+{hits[0]:#x}: '{key}={old}' -> '{key}={new}' "
          f"({len(old_b) - len(new_b) - 1} NUL padding bytes added, size unchanged)")


def cmd_crc(path, symbol):
    elf = Elf(path)
    vs = elf.section("__versions")
    if vs["size"] % 64:
        die(f"{path}: __versions size {vs['size']} is not a multiple of 64")
    hits = []
    for i in range(vs["size"] // 64):
        off = vs["offset"] + i * 64
        if cstr(elf.b, off + 8) == symbol:
            hits.append(off)
    if len(hits) != 1:
        die(f"{path}: {len(hits)} __versions entries for {symbol}")
    off = hits[0]
    crc = struct.unpack_from("<Q", elf.b, off)[0]
    new = crc ^ 0xFFFFFFFF
    struct.pack_into("<Q", elf.b, off, new)
    elf.write()
    print(f"{path}: __versions+{off - vs['offset']:#x} {symbol}: crc {crc:#010x} -> {new:#010x}")


def cmd_unversion(path, symbol, newname):
    elf = Elf(path)
    vs = elf.section("__versions")
    if vs["size"] % 64:
        die(f"{path}: __versions size {vs['size']} is not a multiple of 64")
    names = [cstr(elf.b, vs["offset"] + i * 64 + 8) for i in range(vs["size"] // 64)]
    if names.count(symbol) != 1:
        die(f"{path}: {names.count(symbol)} __versions entries for {symbol}")
    if newname in names or len(newname) >= 56:
        die(f"{path}: cannot rename the entry to {newname}")
    off = vs["offset"] + names.index(symbol) * 64 + 8
    elf.b[off:off + 56] = newname.encode() + b"\0" * (56 - len(newname))
    elf.write()
    print(f"{path}: __versions+{off - 8 - vs['offset']:#x}: entry {symbol} renamed {newname} "
          f"(no entry for {symbol} left)")


def cmd_rename_section(path, old, new):
    elf = Elf(path)
    if len(new) != len(old):
        die(f"{path}: '{new}' and '{old}' differ in length")
    if any(s["name"] == new for s in elf.sh):
        die(f"{path}: a section named {new} exists already")
    sec = elf.section(old)
    start = sec["name_off"]
    for s in elf.sh:
        if s["idx"] != sec["idx"] and start <= s["name_off"] <= start + len(old):
            die(f"{path}: the name of section {s['idx']} {s['name']} shares bytes with {old}")
    off = elf.sh[elf.e_shstrndx]["offset"] + start
    elf.b[off:off + len(old)] = new.encode()
    elf.write()
    print(f"{path}: section {sec['idx']} {old} renamed {new} (.shstrtab+{start:#x}, in place)")


def cmd_symorder(path, first, second):
    elf = Elf(path)
    st = elf.symtab()
    syms = {s["name"]: s for s in elf.symbols() if s["name"] in (first, second)}
    for n in (first, second):
        if sum(1 for s in elf.symbols() if s["name"] == n) != 1:
            die(f"{path}: not exactly one symbol named {n}")
    a, b = syms[first], syms[second]
    if a["idx"] < b["idx"]:
        print(f"{path}: .symtab: {first} ({a['idx']}) already before {second} ({b['idx']}), unchanged")
        return
    if min(a["idx"], b["idx"]) < st["info"]:
        die(f"{path}: {first} or {second} is a local symbol")
    for s in elf.sh:
        if s["type"] == SHT_SYMTAB_SHNDX or (s["type"] == SHT_GROUP and s["info"] in (a["idx"], b["idx"])):
            die(f"{path}: section {s['name']} refers to symbol indices")
    ea = bytes(elf.b[a["off"]:a["off"] + 24])
    eb = bytes(elf.b[b["off"]:b["off"] + 24])
    elf.b[a["off"]:a["off"] + 24] = eb
    elf.b[b["off"]:b["off"] + 24] = ea
    swap = {a["idx"]: b["idx"], b["idx"]: a["idx"]}
    moved = 0
    for s in elf.sh:
        if s["type"] not in (SHT_RELA, SHT_REL) or s["link"] != st["idx"]:
            continue
        size = 24 if s["type"] == SHT_RELA else 16
        for i in range(s["size"] // size):
            off = s["offset"] + i * size + 8
            r_info = struct.unpack_from("<Q", elf.b, off)[0]
            if (r_info >> 32) in swap:
                struct.pack_into("<Q", elf.b, off, (swap[r_info >> 32] << 32) | (r_info & 0xFFFFFFFF))
                moved += 1
    elf.write()
    print(f"{path}: .symtab: {first} ({a['idx']}) and {second} ({b['idx']}) swapped, "
          f"{moved} relocations follow them")


def cmd_livepatch(path, symbol, relasec, newname):
    elf = Elf(path)
    syms = [s for s in elf.symbols() if s["name"] == symbol]
    if len(syms) != 1:
        die(f"{path}: {len(syms)} symbols named {symbol}")
    sym = syms[0]
    if sym["shndx"] not in (SHN_UNDEF, SHN_LIVEPATCH):
        die(f"{path}: {symbol} is defined (st_shndx {sym['shndx']:#x})")
    rs = elf.section(relasec)
    if rs["type"] != SHT_RELA:
        die(f"{path}: {relasec} is not SHT_RELA")
    # The symbol must be used by RELASEC only, and RELASEC must use nothing else.
    for s in elf.sh:
        if s["type"] != SHT_RELA:
            continue
        for i in range(s["size"] // 24):
            r_info = struct.unpack_from("<Q", elf.b, s["offset"] + i * 24 + 8)[0]
            uses = (r_info >> 32) == sym["idx"]
            if uses != (s["idx"] == rs["idx"]):
                die(f"{path}: relocation {i} of {s['name']} "
                    f"{'uses' if uses else 'does not use'} {symbol}")
    # Symbol: SHN_LIVEPATCH, global binding (declared weak in C only to get past modpost).
    info = (STB_GLOBAL << 4) | (sym["info"] & 0xF)
    struct.pack_into("<BBH", elf.b, sym["off"] + 4, info, 0, SHN_LIVEPATCH)
    # Section: flag, and a new name. The name is longer than the old one, so the section-name
    # table is copied to the end of the file with the new name appended (8-byte aligned).
    struct.pack_into("<Q", elf.b, rs["hoff"] + 8, rs["flags"] | SHF_RELA_LIVEPATCH)
    shstr = elf.sh[elf.e_shstrndx]
    table = bytes(elf.b[shstr["offset"]:shstr["offset"] + shstr["size"]])
    while len(elf.b) % 8:
        elf.b.append(0)
    new_off = len(elf.b)
    name_off = len(table)
    elf.b += table + newname.encode() + b"\0"
    struct.pack_into("<I", elf.b, rs["hoff"], name_off)
    struct.pack_into("<Q", elf.b, shstr["hoff"] + 24, new_off)
    struct.pack_into("<Q", elf.b, shstr["hoff"] + 32, len(table) + len(newname) + 1)
    elf.write()
    print(f"{path}: symbol {sym['idx']} {symbol}: st_shndx -> SHN_LIVEPATCH, STB_GLOBAL; "
          f"section {rs['idx']} {relasec} -> {newname}, flags |= SHF_RELA_LIVEPATCH; "
          f".shstrtab moved to {new_off:#x}")


def main(argv):
    cmds = {"modinfo": (cmd_modinfo, 4), "crc": (cmd_crc, 2), "livepatch": (cmd_livepatch, 4),
            "unversion": (cmd_unversion, 3), "rename-section": (cmd_rename_section, 3),
            "symorder": (cmd_symorder, 3)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    fn, _ = cmds[argv[1]]
    fn(*argv[2:])


if __name__ == "__main__":
    main(sys.argv)

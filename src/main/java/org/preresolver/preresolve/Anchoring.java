package org.preresolver.preresolve;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfEditor;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.RelocationTable;
import org.preresolver.elf.SectionHeader;
import org.preresolver.elf.Symbol;
import org.preresolver.elf.SymbolTable;
import org.preresolver.kernel.ImageRanges;
import org.preresolver.kernel.LoaderRelocations;

/**
 * Anchor mode: preresolving that stays right when the kernel randomises its base (KASLR).
 *
 * <p>The image moves by one offset per boot, so a relocation {@code S + A} against image symbol
 * X equals {@code S' + A + (X - S'link)} against any other image symbol S' that the loader
 * resolves. One symbol that the module imports from vmlinux, the anchor, stays undefined: the
 * loader resolves it with every check it makes. Every relocation against another preresolved
 * image symbol is pointed at the anchor with {@code r_addend += X - anchor}, and those symbols
 * leave {@code .symtab} (so the loader and kallsyms have fewer symbols to walk, not more).
 * Symbols that do not move (zero-based per-CPU offsets) stay {@code SHN_ABS}. An address the
 * image does not show to move, or a symbol used by a relocation the loader table does not model,
 * stays undefined.
 *
 * <p>The rewritten {@code .symtab} (shorter), relocation sections (the same size) and their
 * companions are written over the old ones in place ({@link ElfEditor#overwriteSection}). The
 * record keeps what it takes to give their original bytes back, byte for byte, while the file
 * hardly grows: for {@code .symtab} the anchored symbols' entries, for a renumbered ELF64
 * relocation section the entries that named an anchored symbol ({@link SectionDeltas}), for the
 * rest the XOR of old and new bytes; each with the original's CRC-32.
 */
final class Anchoring {
    private Anchoring() {}

    /**
     * Refines a plain plan for anchor mode: bindings, the anchor, and what cannot be rebased.
     * {@code positions}: by symbol index, the place of its {@code __versions} entry where the plain
     * plan looked it up, else -1.
     */
    static Plan plan(ElfFile elf, Plan plain, ImageRanges ranges, LoaderRelocations table,
            org.preresolver.kernel.ModVersions versions, int[] positions) throws FormatException {
        // By symbol index: why a symbol cannot be rebased (the first reason found), or null.
        String[] why = new String[elf.symbolTable().size()];
        for (SectionHeader s : elf.sections()) {
            boolean rela = s.type() == Elf.SHT_RELA;
            if (!rela && s.type() != Elf.SHT_REL) {
                continue;
            }
            RelocationTable rs = elf.relocations(s);
            boolean loaded = targetIsAlloc(elf, s);
            boolean rela64 = rs.isRela64();
            for (int i = 0; i < rs.size(); i++) {
                long st = rela64 ? rs.rela64(i, RelocationTable.R_INFO) : rs.symbolAndType(i);
                int sym = RelocationTable.symbolOf(st);
                if (sym < 0 || sym >= why.length || why[sym] != null) {
                    continue; // no symbol of the table (never a candidate), or its first reason is kept
                }
                if (!rela) {
                    why[sym] = "SHT_REL section " + s.name() + " has no addend to rebase";
                } else if (loaded && !table.knows(RelocationTable.typeOf(st))) {
                    why[sym] = table.name(RelocationTable.typeOf(st)) + " in " + s.name()
                            + " is not in the loader table";
                }
            }
        }
        List<SymbolOutcome> out = new ArrayList<>();
        Optional<Plan.Anchor> anchor = Optional.empty();
        int anchorAt = -1;
        int anchorPosition = Integer.MAX_VALUE;
        for (SymbolOutcome o : plain.outcomes()) {
            if (!(o.outcome() instanceof Outcome.Preresolved p)) {
                out.add(o);
                continue;
            }
            Outcome n = switch (ranges.motion(p.address())) {
                case FIXED -> new Outcome.Preresolved(p.address(), Outcome.Binding.ABSOLUTE);
                case UNKNOWN -> new Outcome.Left(Reason.UNKNOWN_SLIDE, "0x" + Long.toHexString(p.address()));
                case SLIDES -> why[o.index()] != null
                        ? new Outcome.Left(Reason.ARCH_RULE, "anchor mode: " + why[o.index()])
                        : new Outcome.Preresolved(p.address(), Outcome.Binding.ANCHORED);
            };
            if (n instanceof Outcome.Preresolved q && q.binding() == Outcome.Binding.ANCHORED) {
                // The candidate whose __versions entry comes first: check_version() scans the table from the
                // start for the one name the loader still looks up. Ties (no versions): the first in .symtab.
                int position = positions[o.index()] >= 0 ? positions[o.index()] : versions.position(o.name());
                if (anchor.isEmpty() || position < anchorPosition) {
                    anchor = Optional.of(new Plan.Anchor(o.index(), o.name(), p.address()));
                    anchorAt = out.size();
                    anchorPosition = position;
                }
            }
            out.add(new SymbolOutcome(o.index(), o.name(), o.weak(), n));
        }
        if (anchorAt >= 0) {
            SymbolOutcome a = out.get(anchorAt);
            out.set(anchorAt, new SymbolOutcome(a.index(), a.name(), a.weak(), new Outcome.Left(Reason.ANCHOR, "")));
        }
        return new Plan(out, anchor, plain.fromModules());
    }

    private static boolean targetIsAlloc(ElfFile elf, SectionHeader rel) {
        long t = rel.info();
        return t > 0 && t < elf.sections().size() && elf.sections().get((int) t).isAlloc()
                && (rel.flags() & Elf.SHF_RELA_LIVEPATCH) == 0;
    }

    /**
     * Writes an anchor-mode plan into {@code ed}: a new {@code .symtab} without the anchored
     * symbols (absolute ones patched), and every section that holds a symbol index renumbered,
     * relocations against anchored symbols rebased on the anchor.
     *
     * @param saved receives every section rewritten in place, as the record keeps it
     * @return the record's patches, in symbol order
     */
    static List<PreresolvedRecord.Patch> apply(ElfFile elf, Plan plan, ElfEditor ed,
            List<PreresolvedRecord.Saved> saved) throws FormatException {
        SymbolTable table = elf.symbolTable();
        List<Symbol> symbols = table.symbols();
        Plan.Anchor anchor = plan.anchor().orElseThrow();
        // By symbol index: anchored (and its kernel address), or left SHN_ABS ({value, shndx}), or neither.
        boolean[] isAnchored = new boolean[symbols.size()];
        long[] address = new long[symbols.size()];
        long[][] absolute = new long[symbols.size()][];
        int anchoredCount = 0;
        List<PreresolvedRecord.Patch> patches = new ArrayList<>();
        for (SymbolOutcome o : plan.outcomes()) {
            if (o.outcome() instanceof Outcome.Preresolved p) {
                Symbol s = symbols.get(o.index());
                boolean a = p.binding() == Outcome.Binding.ANCHORED;
                if (a) {
                    anchoredCount += isAnchored[o.index()] ? 0 : 1;
                    isAnchored[o.index()] = true;
                    address[o.index()] = p.address();
                } else {
                    absolute[o.index()] = new long[] {p.address(), Elf.SHN_ABS};
                }
                patches.add(new PreresolvedRecord.Patch(s.index(), s.rawShndx(), s.value(), p.address(), a));
            }
        }
        // Old index to new; anchored symbols map to the anchor's new index, their addends move by X - anchor.
        int[] map = new int[symbols.size()];
        long[] delta = new long[symbols.size()];
        int[] keep = new int[symbols.size() - anchoredCount];
        int[] removed = new int[anchoredCount]; // in index order
        int n = 0;
        for (int i = 0, r = 0; i < symbols.size(); i++) {
            if (!isAnchored[i]) {
                map[i] = n;
                keep[n++] = i;
            } else {
                removed[r++] = i;
            }
        }
        int anchorNew = map[anchor.index()];
        for (int i : removed) {
            map[i] = anchorNew;
            delta[i] = address[i] - anchor.address();
        }
        SectionHeader symtab = table.section();
        long firstGlobal = symtab.info();
        long newFirstGlobal = 0;
        for (int k : keep) {
            if (k < firstGlobal) {
                newFirstGlobal++;
            }
        }
        byte[] newSymbols = ElfEditor.symbolEntries(elf, table, keep, absolute);
        boolean is64 = elf.header().is64();
        if (is64) {
            // Version 4 keeps the anchored symbols' own entries, not the table (SectionDeltas).
            int ent = SectionDeltas.SYM64;
            byte[] entries = new byte[removed.length * ent];
            for (int k = 0; k < removed.length; k++) {
                System.arraycopy(elf.data(), (int) symbols.get(removed[k]).entryOffset(), entries, k * ent, ent);
            }
            overwrite(elf, ed, saved, symtab, newSymbols, newFirstGlobal, PreresolvedRecord.Saved.SYMBOLS, entries, 0);
        } else {
            overwrite(elf, ed, saved, symtab, newSymbols, newFirstGlobal);
        }
        boolean[] noted = new boolean[symbols.size()];
        for (int s : removed) {
            noted[s] = s != anchor.index();
        }

        for (SectionHeader s : elf.sections()) {
            if (s.type() == Elf.SHT_SYMTAB_SHNDX && s.link() == symtab.index()) {
                int[] words = new int[keep.length];
                for (int i = 0; i < keep.length; i++) {
                    words[i] = (int) elf.reader().u32(s.offset() + 4L * keep[i], "SHT_SYMTAB_SHNDX entry");
                }
                overwrite(elf, ed, saved, s, ElfEditor.words(elf.header(), words), s.info());
            } else if (s.type() == Elf.SHT_GROUP && s.link() == symtab.index()) {
                long sig = s.info();
                if (sig < 0 || sig >= map.length || isAnchored[(int) sig]) {
                    throw new FormatException("SHT_GROUP " + s.name() + " signature symbol " + sig
                            + " cannot be renumbered", s.headerOffset());
                }
                overwrite(elf, ed, saved, s, elf.sectionBytes(s), map[(int) sig]);
            } else if (s.type() == Elf.SHT_RELA && is64 && s.link() == symtab.index()) {
                // Version 4 keeps only which entries named an anchored symbol (SectionDeltas).
                SectionDeltas.ExceptionWriter entries = new SectionDeltas.ExceptionWriter();
                byte[] renumbered = elf.relocations(s).renumbered(map, delta, s.name(), noted, entries::add);
                if (renumbered != null) {
                    overwrite(elf, ed, saved, s, renumbered, s.info(), PreresolvedRecord.Saved.RELOCATIONS,
                            entries.bytes(), entries.count());
                }
            } else if ((s.type() == Elf.SHT_RELA || s.type() == Elf.SHT_REL) && s.link() == symtab.index()) {
                byte[] renumbered = elf.relocations(s).renumbered(map, delta, s.name());
                if (renumbered != null) {
                    overwrite(elf, ed, saved, s, renumbered, s.info());
                }
            }
        }
        return patches;
    }

    /** Rewrites a section in place, keeping its original bytes for the record. */
    private static void overwrite(ElfFile elf, ElfEditor ed, List<PreresolvedRecord.Saved> saved, SectionHeader s,
            byte[] contents, long info) throws FormatException {
        overwrite(elf, ed, saved, s, contents, info, PreresolvedRecord.Saved.XOR, new byte[0], 0);
    }

    /** As above, kept in the record as {@code kind} ({@link PreresolvedRecord.Saved}). */
    private static void overwrite(ElfFile elf, ElfEditor ed, List<PreresolvedRecord.Saved> saved, SectionHeader s,
            byte[] contents, long info, int kind, byte[] payload, int count) throws FormatException {
        if (kind == PreresolvedRecord.Saved.XOR) {
            saved.add(new PreresolvedRecord.Saved(s.index(), s.offset(), elf.sectionBytes(s)));
        } else {
            // Given back from what it became: only its CRC is kept, read where it lies (no copy).
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(elf.data(), (int) s.offset(), (int) s.size());
            saved.add(PreresolvedRecord.Saved.structural(s.index(), s.offset(), (int) s.size(), (int) crc.getValue(),
                    kind, payload, count));
        }
        ed.overwriteSection(s.index(), contents, info);
    }
}

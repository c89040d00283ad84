package org.preresolver.preresolve;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.Relocation;
import org.preresolver.elf.RelocationTable;
import org.preresolver.elf.SectionHeader;
import org.preresolver.kernel.ImageRanges;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.LoaderRelocations;

/**
 * The build-time proof of an anchor-mode rewrite: the original module and the output are each
 * loaded as the architecture's loader would load them (sections placed, symbols resolved,
 * {@code SHT_RELA} relocations applied from {@link LoaderRelocations}) into a kernel placed at
 * two different KASLR slides, and the loaded images must be equal byte for byte.
 *
 * <p>In the simulated kernel every image address moves by the slide and zero-based per-CPU
 * offsets do not ({@link ImageRanges}); symbols that other modules export get a made-up address
 * derived from their name, the same for both files. A relocation whose type is not in the table is
 * compared by its {@code S + A} instead of being applied.
 *
 * <p>The short way, taken when it applies: the loader writes each relocation's field from its type,
 * its place and {@code S + A} alone, in order, into the section's bytes. So when both files hold the
 * same loaded bytes before relocation and the same relocations in the same order (offset and type),
 * the loaded images are equal exactly when every pair has the same {@code S + A} at each slide; the
 * values are compared without building the images. Any other pair of files is loaded in full.
 */
final class LoaderSimulation {
    /** Two slides, 2 MiB aligned as x86_64 and arm64 place the kernel. */
    static final long[] SLIDES = {0x1e00000L, 0x26a00000L};

    private LoaderSimulation() {}

    /** Thrown when the two loaded images differ: the rewrite would load wrongly. Never expected. */
    static final class Mismatch extends Exception {
        Mismatch(String message) {
            super(message);
        }
    }

    static void check(ElfFile original, ElfFile output, KernelExports kernel, LoaderRelocations table)
            throws FormatException, Mismatch {
        check(original, output, new ExportLookups(kernel, original), table);
    }

    /** As above, looking vmlinux's exports up through the module's {@code kernel} lookups. */
    static void check(ElfFile original, ElfFile output, ExportLookups kernel, LoaderRelocations table)
            throws FormatException, Mismatch {
        ImageRanges ranges = kernel.kernel().ranges().orElseThrow();
        int n = original.sections().size();
        if (output.sections().size() < n) {
            throw new Mismatch("sections lost");
        }
        for (int i = 0; i < output.sections().size(); i++) {
            SectionHeader b = output.sections().get(i);
            if (i >= n) {
                if (b.isAlloc()) {
                    throw new Mismatch("an added section " + b.name() + " is SHF_ALLOC");
                }
                continue;
            }
            SectionHeader a = original.sections().get(i);
            if (a.isAlloc() != b.isAlloc() || (a.isAlloc() && (a.size() != b.size() || a.type() != b.type()
                    || a.addralign() != b.addralign() || a.flags() != b.flags() || !a.name().equals(b.name())))) {
                throw new Mismatch("section " + a.name() + " is laid out differently");
            }
        }
        if (sameLoadedBytes(original, output, n) && sameRelocations(original, output, n, kernel, ranges)) {
            return;
        }
        for (long slide : SLIDES) {
            Loaded a = load(original, kernel, ranges, table, slide);
            Loaded b = load(output, kernel, ranges, table, slide);
            for (int i = 0; i < n; i++) {
                if (!Arrays.equals(a.images[i], b.images[i])) {
                    int at = Arrays.mismatch(a.images[i], b.images[i]);
                    throw new Mismatch("section " + original.sections().get(i).name() + " differs at +0x"
                            + Integer.toHexString(at) + " when loaded at slide 0x" + Long.toHexString(slide));
                }
            }
            if (!a.unapplied.equals(b.unapplied)) {
                throw new Mismatch("a relocation the loader table does not model resolves differently at slide 0x"
                        + Long.toHexString(slide));
            }
            if (!a.overflows.equals(b.overflows)) {
                throw new Mismatch("relocation range checks differ at slide 0x" + Long.toHexString(slide));
            }
        }
    }

    /** The relocation sections the loader applies, in section order: RELA and REL, not livepatch, onto SHF_ALLOC. */
    private static List<SectionHeader> applied(ElfFile f) {
        List<SectionHeader> secs = f.sections();
        List<SectionHeader> out = new ArrayList<>();
        for (SectionHeader r : secs) {
            boolean rel = r.type() == Elf.SHT_RELA || r.type() == Elf.SHT_REL;
            int t = (int) r.info();
            if (rel && (r.flags() & Elf.SHF_RELA_LIVEPATCH) == 0 && t > 0 && t < secs.size() && secs.get(t).isAlloc()) {
                out.add(r);
            }
        }
        return out;
    }

    /** Every SHF_ALLOC section of the original has the same bytes in the output. */
    private static boolean sameLoadedBytes(ElfFile original, ElfFile output, int n) {
        byte[] a = original.data();
        byte[] b = output.data();
        for (int i = 0; i < n; i++) {
            SectionHeader x = original.sections().get(i);
            SectionHeader y = output.sections().get(i);
            if (!x.isAlloc() || x.type() == Elf.SHT_NOBITS) {
                continue;
            }
            if (x.offset() < 0 || y.offset() < 0 || x.offset() + x.size() > a.length || y.offset() + y.size() > b.length
                    || !Arrays.equals(a, (int) x.offset(), (int) (x.offset() + x.size()), b, (int) y.offset(),
                            (int) (y.offset() + y.size()))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The short way: true when both files apply the same relocation sections, each with the same
     * entries' offsets and types in the same order, and every pair has the same {@code S + A} at both
     * slides; false when the entries are not alike pair by pair (then the files are loaded in full).
     * A section whose entries are the same bytes in both files names the same symbol with the same
     * addend in each pair, so only the symbols' values are compared for it.
     *
     * @throws Mismatch a pair's {@code S + A} differs: the loaded images differ
     */
    private static boolean sameRelocations(ElfFile original, ElfFile output, int n, ExportLookups kernel,
            ImageRanges ranges) throws FormatException, Mismatch {
        List<SectionHeader> ra = applied(original);
        List<SectionHeader> rb = applied(output);
        if (ra.size() != rb.size()) {
            return false;
        }
        RelocationTable[] ta = new RelocationTable[ra.size()];
        RelocationTable[] tb = new RelocationTable[ra.size()];
        boolean[] sameBytes = new boolean[ra.size()];
        for (int k = 0; k < ra.size(); k++) {
            SectionHeader x = ra.get(k);
            SectionHeader y = rb.get(k);
            if (x.index() != y.index() || x.index() >= n || x.type() != y.type() || x.info() != y.info()
                    || x.size() != y.size()) {
                return false;
            }
            RelocationTable a = original.relocations(x);
            RelocationTable b = output.relocations(y);
            ta[k] = a;
            tb[k] = b;
            sameBytes[k] = a.sameEntries(b);
        }
        Values va = values(original, kernel, ranges);
        Values vb = values(output, kernel, ranges);
        int sameBelow = 0; // every symbol below it has the same value in both files
        while (sameBelow < va.size() && sameBelow < vb.size() && va.fixed[sameBelow] == vb.fixed[sameBelow]
                && va.slides[sameBelow] == vb.slides[sameBelow]) {
            sameBelow++;
        }
        // One pass: a pair not alike sends the files to the full load even after a difference in
        // S + A was seen (a later relocation of the same place could make up for it), so the first
        // difference is thrown only once every pair is known to be alike.
        Mismatch first = null;
        for (int k = 0; k < ra.size(); k++) {
            RelocationTable a = ta[k];
            RelocationTable b = tb[k];
            if (!sameBytes[k] && a.isRela64() && b.isRela64()) {
                // The common case (x86_64, arm64), read member by member: the same as below.
                for (int i = 0; i < a.size(); i++) {
                    long ia = a.rela64(i, RelocationTable.R_INFO);
                    long ib = b.rela64(i, RelocationTable.R_INFO);
                    if ((int) ia != (int) ib
                            || a.rela64(i, RelocationTable.R_OFFSET) != b.rela64(i, RelocationTable.R_OFFSET)) {
                        return false; // not alike pair by pair: loaded in full
                    }
                    if (first != null) {
                        continue;
                    }
                    int x = RelocationTable.symbolOf(ia);
                    int y = RelocationTable.symbolOf(ib);
                    if (x < 0 || x >= va.size() || y < 0 || y >= vb.size()) {
                        first = new Mismatch("a relocation in " + ra.get(k).name() + " names a symbol out of range");
                        continue;
                    }
                    long addA = a.rela64(i, RelocationTable.R_ADDEND);
                    long addB = b.rela64(i, RelocationTable.R_ADDEND);
                    if (va.fixed[x] + addA != vb.fixed[y] + addB || va.slides[x] != vb.slides[y]) {
                        first = differs(original, ra.get(k), a.offset(i), va.at(x, SLIDES[0]) + addA
                                != vb.at(y, SLIDES[0]) + addB ? SLIDES[0] : SLIDES[1]);
                    }
                }
                continue;
            }
            if (sameBytes[k] && first == null) {
                // The same entries in both files: a pair names the same symbol with the same addend,
                // and agrees exactly when that symbol has the same value in both. Below the first
                // index whose values differ, every symbol has (the usual case: section symbols).
                boolean rela64 = a.isRela64();
                for (int i = 0; i < a.size(); i++) {
                    int x = RelocationTable.symbolOf(rela64 ? a.rela64(i, RelocationTable.R_INFO) : a.symbolAndType(i));
                    if (x >= 0 && x < sameBelow) {
                        continue;
                    }
                    if (x < 0 || x >= va.size() || x >= vb.size()) {
                        first = new Mismatch("a relocation in " + ra.get(k).name() + " names a symbol out of range");
                        break;
                    }
                    if (va.fixed[x] != vb.fixed[x] || va.slides[x] != vb.slides[x]) {
                        first = differs(original, ra.get(k), a.offset(i), va.at(x, SLIDES[0]) != vb.at(x, SLIDES[0])
                                ? SLIDES[0] : SLIDES[1]);
                        break;
                    }
                }
                continue;
            }
            for (int i = 0; i < a.size(); i++) {
                long sta = a.symbolAndType(i);
                long stb = sameBytes[k] ? sta : b.symbolAndType(i);
                if (!sameBytes[k] && (a.offset(i) != b.offset(i)
                        || RelocationTable.typeOf(sta) != RelocationTable.typeOf(stb))) {
                    return false; // not alike pair by pair: loaded in full
                }
                int x = RelocationTable.symbolOf(sta);
                int y = RelocationTable.symbolOf(stb);
                if (first != null) {
                    continue;
                }
                if (x < 0 || x >= va.size() || y < 0 || y >= vb.size()) {
                    first = new Mismatch("a relocation in " + ra.get(k).name() + " names a symbol out of range");
                    continue;
                }
                long addA = sameBytes[k] ? 0 : a.addend(i);
                long addB = sameBytes[k] ? 0 : b.addend(i);
                if (va.fixed[x] + addA != vb.fixed[y] + addB || va.slides[x] != vb.slides[y]) {
                    first = differs(original, ra.get(k), a.offset(i), va.at(x, SLIDES[0]) + addA
                            != vb.at(y, SLIDES[0]) + addB ? SLIDES[0] : SLIDES[1]);
                }
            }
        }
        if (first != null) {
            throw first;
        }
        return true;
    }

    /** The mismatch of a relocation of {@code rel} at {@code offset} of its section, at {@code slide}. */
    private static Mismatch differs(ElfFile original, SectionHeader rel, long offset, long slide) {
        return new Mismatch("section " + original.sections().get((int) rel.info()).name() + " differs at +0x"
                + Long.toHexString(offset) + " when loaded at slide 0x" + Long.toHexString(slide));
    }

    /**
     * Every symbol's value in the simulated kernel: {@code fixed[i]}, plus the slide when
     * {@code slides[i]} (an image address). Each at slide {@code s} is {@code fixed + (slides ? s : 0)}:
     * two values at two slides are equal at both exactly when both members are.
     */
    private record Values(long[] fixed, boolean[] slides) {
        int size() {
            return fixed.length;
        }

        long at(int i, long slide) {
            return slides[i] ? fixed[i] + slide : fixed[i];
        }
    }

    /**
     * Every symbol's {@link Values}, sections laid out as the loader does; vmlinux looked up once per
     * name. The symbols are read in place ({@link ElfFile#forEachSymbol}): the output's table is
     * decoded for nothing else.
     */
    private static Values values(ElfFile f, ExportLookups kernel, ImageRanges ranges) throws FormatException {
        long[] base = layout(f, new byte[f.sections().size()][], false);
        int n = f.symbolCount();
        Values v = new Values(new long[n], new boolean[n]);
        f.forEachSymbol((i, shndx, value, strings, nameAt) -> resolve(f, i, shndx, value, strings, nameAt, base,
                kernel, ranges, v));
        return v;
    }

    /**
     * Places the SHF_ALLOC sections one after the other, aligned, as {@code layout_sections()} does
     * for one region; returns each section's address, and fills {@code images} when asked.
     */
    private static long[] layout(ElfFile f, byte[][] images, boolean fill) throws FormatException {
        List<SectionHeader> secs = f.sections();
        long[] base = new long[secs.size()];
        long at = f.header().machine() == Elf.EM_AARCH64 ? 0xffff800008000000L : 0xffffffffc0200000L;
        for (SectionHeader s : secs) {
            if (!s.isAlloc()) {
                continue;
            }
            long a = Math.max(1, s.addralign());
            at = (at + a - 1) / a * a;
            base[s.index()] = at;
            if (fill) {
                images[s.index()] = s.type() == Elf.SHT_NOBITS ? new byte[(int) Math.min(s.size(), 1 << 20)]
                        : f.sectionBytes(s);
            }
            at += s.size();
        }
        return base;
    }

    private record Loaded(byte[][] images, List<String> unapplied, List<String> overflows) {}

    private static Loaded load(ElfFile f, ExportLookups kernel, ImageRanges ranges, LoaderRelocations table,
            long slide) throws FormatException, Mismatch {
        List<SectionHeader> secs = f.sections();
        byte[][] images = new byte[secs.size()][];
        long[] base = layout(f, images, true);
        Values values = values(f, kernel, ranges);
        long[] value = new long[values.size()];
        for (int i = 0; i < value.length; i++) {
            value[i] = values.at(i, slide);
        }
        List<String> unapplied = new ArrayList<>();
        List<String> overflows = new ArrayList<>();
        for (SectionHeader r : secs) {
            if (r.type() != Elf.SHT_RELA || (r.flags() & Elf.SHF_RELA_LIVEPATCH) != 0) {
                continue;
            }
            int t = (int) r.info();
            if (t <= 0 || t >= secs.size() || !secs.get(t).isAlloc() || images[t] == null) {
                continue; // the loader skips relocations of sections it does not load
            }
            byte[] img = images[t];
            for (Relocation x : f.relocations(r)) {
                if (x.symbol() < 0 || x.symbol() >= value.length) {
                    throw new Mismatch("relocation names symbol " + x.symbol() + " of " + value.length);
                }
                long sa = value[x.symbol()] + x.addend();
                long place = base[t] + x.offset();
                var type = table.type(x.type());
                int width = type.map(y -> switch (y.field()) {
                    case NONE -> 0;
                    case DATA16 -> 2;
                    case DATA64 -> 8;
                    default -> 4;
                }).orElse(0);
                if (type.isEmpty() || x.offset() < 0 || x.offset() + width > img.length) {
                    unapplied.add(r.name() + "+" + x.offset() + ":" + x.type() + "=" + Long.toHexString(sa));
                    continue;
                }
                long v = LoaderRelocations.value(type.get().op(), sa, place);
                if (!LoaderRelocations.apply(type.get(), img, (int) x.offset(), v)) {
                    overflows.add(r.name() + "+" + x.offset());
                }
            }
        }
        return new Loaded(images, unapplied, overflows);
    }

    /**
     * What {@code simplify_symbols()} makes of symbol {@code i} ({@code st_shndx}, {@code st_value},
     * its name at {@code nameAt} in {@code strings}), in the simulated kernel: into {@code out}.
     */
    private static void resolve(ElfFile f, int i, int shndx, long value, byte[] strings, int nameAt, long[] base,
            ExportLookups kernel, ImageRanges ranges, Values out) throws FormatException {
        if (shndx == Elf.SHN_ABS) {
            out.fixed[i] = value;
        } else if (shndx == Elf.SHN_UNDEF) {
            if (nameAt < 0 || strings[nameAt] == 0) {
                out.fixed[i] = 0;
                return;
            }
            KernelExport e = kernel.of(f, i, strings, nameAt);
            if (e == null || e.address() == 0) {
                out.fixed[i] = madeUp(strings, nameAt);
                return;
            }
            switch (ranges.motion(e.address())) {
                case SLIDES -> {
                    out.fixed[i] = e.address();
                    out.slides[i] = true;
                }
                case FIXED -> out.fixed[i] = e.address();
                case UNKNOWN -> out.fixed[i] = madeUp(strings, nameAt);
            }
        } else if (shndx < base.length) {
            out.fixed[i] = base[shndx] + value;
        } else {
            out.fixed[i] = value;
        }
    }

    /**
     * An address for a symbol that a module exports: from its name (the NUL-terminated string at
     * {@code at}), the same in both files. The hash is {@code String.hashCode()} of the Latin-1 name.
     */
    private static long madeUp(byte[] strings, int at) {
        int h = 0;
        for (int k = at; strings[k] != 0; k++) {
            h = 31 * h + (strings[k] & 0xff);
        }
        return 0xffffffffa0000000L + ((h & 0xffffffL) << 4);
    }
}

package org.preresolver.preresolve;

import java.util.Arrays;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.FormatException;

/**
 * How a version 4 record gives back the two kinds of section that anchor mode rewrites in bulk,
 * from what they became and what anchor mode did to them, instead of from their bytes:
 * <ul>
 * <li>{@code .symtab} ({@link PreresolvedRecord.Saved#SYMBOLS}): the anchored symbols left it, and
 *     the ones that stay {@code SHN_ABS} got the kernel's value. The original is the new table's
 *     entries in order, with each anchored symbol's original entry (kept in the record, in index
 *     order) put back at its index, and each absolute symbol's value and section index undone from
 *     its patch.
 * <li>A renumbered {@code SHT_RELA} section of an ELF64 module ({@link PreresolvedRecord.Saved#RELOCATIONS}):
 *     every entry names the new index of its symbol; an entry of an anchored symbol names the anchor
 *     and has {@code X - anchor} added to its addend. The original symbol is the kept symbol at that
 *     new index, except for those entries, which the record lists (entry number and original
 *     symbol, as unsigned LEB128 deltas); their addends lose {@code X - anchor} again.
 * </ul>
 * Either is checked against the CRC-32 of the original section that the record holds: a file
 * changed after preresolving gives other bytes, and is refused, never restored wrongly. Anything
 * that does not fit (an index out of range, a list that runs out) is a {@link FormatException}.
 */
final class SectionDeltas {
    private SectionDeltas() {}

    /** Entry sizes: {@code sizeof(Elf64_Sym)} and {@code sizeof(Elf64_Rela)} (version 4 keeps ELF64 sections so). */
    static final int SYM64 = 24;
    static final int RELA64 = 24;

    /** Collects (entry, original symbol) pairs as unsigned LEB128 deltas of the entry number. */
    static final class ExceptionWriter {
        private byte[] out = new byte[64];
        private int size;
        private int last = -1;
        private int count;

        void add(int entry, int symbol) {
            leb(entry - last);
            leb(symbol);
            last = entry;
            count++;
        }

        int count() {
            return count;
        }

        byte[] bytes() {
            return Arrays.copyOf(out, size);
        }

        private void leb(int v) {
            if (size + 5 > out.length) {
                out = Arrays.copyOf(out, out.length * 2);
            }
            while ((v & ~0x7f) != 0) {
                out[size++] = (byte) ((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            out[size++] = (byte) v;
        }
    }

    /**
     * The original ELF64 {@code .symtab} of {@code size} bytes: {@code file}'s new table at {@code offset}
     * ({@code size - removed * entsize} bytes of it), the {@code removedEntries} put back at the
     * indices {@code removed} (ascending), and the absolute symbols' patches undone.
     *
     * @param absIndex the original indices of the symbols left {@code SHN_ABS}, ascending, each once
     * @param absPatch for each of those, {@code {old value, old shndx, new value}}
     */
    static byte[] symbols(byte[] file, long offset, long size, boolean little, int[] removed,
            byte[] removedEntries, int[] absIndex, long[][] absPatch) throws FormatException {
        int ent = SYM64;
        if (size % ent != 0 || size > Integer.MAX_VALUE || removedEntries.length != (long) removed.length * ent) {
            throw new FormatException(PreresolvedRecord.SECTION + " record: the symbol table's saved entries do "
                    + "not fit it");
        }
        int n = (int) (size / ent);
        int kept = n - removed.length;
        if (kept < 0 || offset < 0 || offset + (long) kept * ent > file.length) {
            throw new FormatException(PreresolvedRecord.SECTION + " record: the symbol table lies outside the file");
        }
        byte[] out = new byte[(int) size];
        int next = 0; // the next removed index
        int nextAbs = 0; // the next absolute symbol's place in absIndex
        int from = (int) offset;
        int valueAt = 8; // st_value of Elf64_Sym
        int shndxAt = 6; // st_shndx
        for (int i = 0; i < n; i++) {
            int at = i * ent;
            if (next < removed.length && removed[next] == i) {
                System.arraycopy(removedEntries, next * ent, out, at, ent);
                next++;
                continue;
            }
            System.arraycopy(file, from, out, at, ent);
            from += ent;
            while (nextAbs < absIndex.length && absIndex[nextAbs] < i) {
                nextAbs++; // one of the removed (anchored) indices: not a kept symbol
            }
            long[] p = nextAbs < absIndex.length && absIndex[nextAbs] == i ? absPatch[nextAbs] : null;
            if (p != null) {
                long value = ByteReader.u64(out, at + valueAt, little);
                if (value != p[2] || ByteReader.u16(out, at + shndxAt, little) != org.preresolver.elf.Elf.SHN_ABS) {
                    throw new FormatException(PreresolvedRecord.SECTION + " record: symbol " + i + " is not the "
                            + "recorded absolute value; the file was changed after preresolving");
                }
                ByteReader.put64(out, at + valueAt, p[0], little);
                ByteReader.put16(out, at + shndxAt, (int) p[1], little);
            }
        }
        if (next != removed.length) {
            throw new FormatException(PreresolvedRecord.SECTION + " record: anchored symbol " + removed[next]
                    + " lies outside the symbol table");
        }
        return out;
    }

    /**
     * The original of a renumbered ELF64 {@code SHT_RELA} section of {@code size} bytes at
     * {@code offset} in {@code file}: each entry's symbol is {@code keep[new index]}, except the
     * entries {@code exceptions} lists, whose symbol is the one listed and whose addend loses
     * {@code anchored.get(symbol) - anchorAddress}.
     *
     * @param keep new symbol index to original index
     * @param anchored by original index: the symbol is anchored
     * @param shift by original index: an anchored symbol's {@code X - anchor}
     */
    static byte[] relocations(byte[] file, long offset, long size, boolean little, int[] keep, byte[] exceptions,
            int count, boolean[] anchored, long[] shift) throws FormatException {
        if (size % RELA64 != 0 || size > Integer.MAX_VALUE || offset < 0 || offset + size > file.length) {
            throw new FormatException(PreresolvedRecord.SECTION + " record: a relocation section lies outside the file");
        }
        byte[] out = Arrays.copyOfRange(file, (int) offset, (int) (offset + size));
        int n = (int) (size / RELA64);
        int[] pos = {0};
        int left = count;
        int nextEntry = left > 0 ? leb(exceptions, pos) - 1 : n;
        for (int i = 0; i < n; i++) {
            int at = i * RELA64;
            long info = ByteReader.u64(out, at + 8, little);
            int sym = (int) (info >>> 32);
            int original;
            if (i == nextEntry) {
                original = leb(exceptions, pos);
                if (original >= anchored.length || !anchored[original]) {
                    throw new FormatException(PreresolvedRecord.SECTION + " record: relocation " + i + " names symbol "
                            + original + ", which is not anchored");
                }
                ByteReader.put64(out, at + 16, ByteReader.u64(out, at + 16, little) - shift[original], little);
                left--;
                nextEntry = left > 0 ? nextEntry + leb(exceptions, pos) : n;
            } else {
                if (sym < 0 || sym >= keep.length) {
                    throw new FormatException(PreresolvedRecord.SECTION + " record: relocation " + i + " names symbol "
                            + Integer.toUnsignedString(sym) + " of " + keep.length);
                }
                original = keep[sym];
            }
            ByteReader.put64(out, at + 8, ((long) original << 32) | (info & 0xffffffffL), little);
        }
        if (left != 0 || pos[0] != exceptions.length) {
            throw new FormatException(PreresolvedRecord.SECTION + " record: a relocation section's anchored entries "
                    + "do not fit it");
        }
        return out;
    }

    /** An unsigned LEB128 value of at most 31 bits at {@code pos[0]}, which moves past it. */
    private static int leb(byte[] b, int[] pos) throws FormatException {
        int v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (pos[0] >= b.length) {
                throw new FormatException(PreresolvedRecord.SECTION + " record: a list of anchored entries is cut short");
            }
            int x = b[pos[0]++] & 0xff;
            v |= (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                if (v < 0) {
                    break;
                }
                return v;
            }
        }
        throw new FormatException(PreresolvedRecord.SECTION + " record: a bad number in a list of anchored entries");
    }
}

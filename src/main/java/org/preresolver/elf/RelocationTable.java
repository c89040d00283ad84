package org.preresolver.elf;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * One {@code SHT_REL} or {@code SHT_RELA} section, read in place: entry {@code i}'s fields are
 * decoded from the file's bytes when asked for, so a pass over a large table makes no objects.
 * As a {@code List<Relocation>} it makes one record per {@link #get}. The section's bounds and
 * entry size are checked once, when the table is made ({@link ElfFile#relocations}).
 *
 * <p>{@code r_info} is split with the machine's own layout: {@code ELF64_R_SYM}/{@code ELF64_R_TYPE},
 * {@code ELF32_R_SYM}/{@code ELF32_R_TYPE}, or MIPS64's {@code Elf64_Mips_Rel} (a 32-bit symbol index
 * followed by the type bytes, in file order).
 */
public final class RelocationTable extends AbstractList<Relocation> implements RandomAccess {
    /** {@code r_offset}, {@code r_info} and {@code r_addend}: where each lies in an {@code Elf64_Rela}. */
    public static final int R_OFFSET = 0;
    public static final int R_INFO = 8;
    public static final int R_ADDEND = 16;

    private final byte[] data;
    private final int start;
    private final int count;
    private final int entsize;
    private final boolean rela;
    private final boolean is64;
    private final boolean little;
    private final boolean mips64;
    private final Layout.Rel layout;

    RelocationTable(byte[] data, int start, int count, boolean rela, ElfHeader h) {
        this.data = data;
        this.start = start;
        this.count = count;
        this.rela = rela;
        this.is64 = h.is64();
        this.layout = Layout.rel(is64);
        this.entsize = entrySize(is64, rela);
        this.little = h.order() == java.nio.ByteOrder.LITTLE_ENDIAN;
        this.mips64 = is64 && h.machine() == Elf.EM_MIPS;
    }

    /** {@code sizeof(Elf32_Rel)}, {@code sizeof(Elf32_Rela)}, {@code sizeof(Elf64_Rel)} or {@code sizeof(Elf64_Rela)}. */
    static int entrySize(boolean is64, boolean rela) {
        return rela ? Layout.rel(is64).relaBytes() : Layout.rel(is64).bytes();
    }

    @Override
    public int size() {
        return count;
    }

    /** True for {@code SHT_RELA}: entries carry {@code r_addend}. */
    public boolean isRela() {
        return rela;
    }

    @Override
    public Relocation get(int i) {
        return new Relocation(offset(i), symbol(i), type(i), addend(i));
    }

    /** {@code r_offset} of entry {@code i}. */
    public long offset(int i) {
        return word(at(i) + layout.offset().at());
    }

    /** The symbol index of entry {@code i}. */
    public int symbol(int i) {
        return symbolOf(symbolAndType(i));
    }

    /** The relocation type of entry {@code i}. */
    public int type(int i) {
        return typeOf(symbolAndType(i));
    }

    /**
     * Entry {@code i}'s symbol index and type from one read of {@code r_info}, in one value for every
     * class: split it with {@link #symbolOf} and {@link #typeOf}. For passes over large tables.
     */
    public long symbolAndType(int i) {
        int e = at(i);
        if (mips64) {
            return ByteReader.u32(data, e + 8, little) << 32 | (data[e + 15] & 0xff);
        }
        long info = word(e + layout.info().at());
        // ELF64_R_SYM/ELF64_R_TYPE are this layout already; ELF32_R_SYM is info >> 8, ELF32_R_TYPE its low byte.
        return is64 ? info : (info >>> 8) << 32 | (info & 0xff);
    }

    /** The symbol index of a {@link #symbolAndType} value. */
    public static int symbolOf(long symbolAndType) {
        return (int) (symbolAndType >>> 32);
    }

    /** The relocation type of a {@link #symbolAndType} value. */
    public static int typeOf(long symbolAndType) {
        return (int) symbolAndType;
    }

    /** {@code r_addend} of entry {@code i}; 0 for {@code SHT_REL}. */
    public long addend(int i) {
        if (!rela) {
            return 0;
        }
        long a = word(at(i) + layout.addend().at());
        return is64 ? a : (int) a; // Elf32_Sword: sign-extended
    }

    /**
     * True for an ELF64 {@code SHT_RELA} table with the standard {@code r_info} layout (not MIPS64):
     * its entries can be read with {@link #rela64}.
     */
    public boolean isRela64() {
        return is64 && rela && !mips64;
    }

    /**
     * Member {@code field} ({@code R_OFFSET}, {@code R_INFO} or {@code R_ADDEND}) of entry {@code i}
     * of an {@link #isRela64} table as stored: for passes that read several tables side by side,
     * with one bounds check per read and no dispatch on the class.
     */
    public long rela64(int i, int field) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("relocation " + i + " of " + count);
        }
        return ByteReader.u64(data, start + i * 24 + field, little);
    }

    /** True when {@code other} holds exactly the same entries, byte for byte. */
    public boolean sameEntries(RelocationTable other) {
        int n = count * entsize;
        return count == other.count && entsize == other.entsize
                && java.util.Arrays.equals(data, start, start + n, other.data, other.start, other.start + n);
    }

    /**
     * A copy of the section with every entry's symbol index {@code s} replaced by {@code map[s]} and,
     * for {@code SHT_RELA}, its addend increased by {@code delta[s]}; null when no entry changes.
     *
     * @throws FormatException an entry names a symbol outside {@code map}
     * @throws IllegalArgumentException MIPS64 entries, or an addend asked of {@code SHT_REL}
     */
    public byte[] renumbered(int[] map, long[] delta, String name) throws FormatException {
        return renumbered(map, delta, name, null, null);
    }

    /** Told of the entries that name one of the symbols asked about, in order. */
    @FunctionalInterface
    public interface EntryListener {
        void entry(int entry, int symbol);
    }

    /**
     * As {@link #renumbered(int[], long[], String)}, telling {@code listener} of every entry whose
     * symbol {@code s} has {@code noted[s]} set.
     */
    public byte[] renumbered(int[] map, long[] delta, String name, boolean[] noted, EntryListener listener)
            throws FormatException {
        if (mips64) {
            throw new IllegalArgumentException("MIPS64 relocation entries are not rewritten here");
        }
        if (isRela64()) {
            return renumberedRela64(map, delta, name, noted, listener);
        }
        byte[] out = null;
        for (int i = 0; i < count; i++) {
            long st = symbolAndType(i);
            int s = symbolOf(st);
            if (s < 0 || s >= map.length) {
                throw new FormatException("relocation in " + name + " names symbol " + s + " of " + map.length, at(i));
            }
            if (noted != null && noted[s]) {
                listener.entry(i, s);
            }
            long d = delta[s];
            if (map[s] == s && d == 0) {
                continue;
            }
            if (!rela && d != 0) {
                throw new IllegalArgumentException("SHT_REL entry with an addend");
            }
            if (out == null) {
                out = java.util.Arrays.copyOfRange(data, start, start + count * entsize);
            }
            int e = i * entsize;
            long info = is64 ? ((long) map[s] << 32) | (typeOf(st) & 0xffffffffL) // ELF64_R_INFO
                    : ((long) map[s] << 8) | typeOf(st); // ELF32_R_INFO
            layout.info().write(out, e, info, little);
            if (rela) {
                layout.addend().write(out, e, addend(i) + d, little);
            }
        }
        return out;
    }

    /** {@link #renumbered(int[], long[], String, boolean[], EntryListener)} of an {@link #isRela64} table. */
    private byte[] renumberedRela64(int[] map, long[] delta, String name, boolean[] noted, EntryListener listener)
            throws FormatException {
        byte[] out = null;
        for (int i = 0, e = start; i < count; i++, e += 24) {
            long info = ByteReader.u64(data, e + R_INFO, little);
            int s = symbolOf(info);
            if (s < 0 || s >= map.length) {
                throw new FormatException("relocation in " + name + " names symbol " + s + " of " + map.length, e);
            }
            if (noted != null && noted[s]) {
                listener.entry(i, s);
            }
            long d = delta[s];
            if (map[s] == s && d == 0) {
                continue;
            }
            if (out == null) {
                out = java.util.Arrays.copyOfRange(data, start, start + count * 24);
            }
            int o = e - start;
            ByteReader.put64(out, o + R_INFO, ((long) map[s] << 32) | (info & 0xffffffffL), little); // ELF64_R_INFO
            if (d != 0) {
                ByteReader.put64(out, o + R_ADDEND, ByteReader.u64(data, e + R_ADDEND, little) + d, little);
            }
        }
        return out;
    }

    /** An address-sized member ({@code Elf32_Addr}/{@code Elf64_Addr}, {@code Elf64_Xword}, ...) at {@code p}. */
    private long word(int p) {
        return is64 ? ByteReader.u64(data, p, little) : ByteReader.u32(data, p, little);
    }

    private int at(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("relocation " + i + " of " + count);
        }
        return start + i * entsize;
    }
}

package org.preresolver.elf;

import java.nio.charset.StandardCharsets;

/**
 * A symbol table entry, class-neutral. Accessors are the C members without the {@code st_}
 * prefix. {@code shndx} is the real section index: {@code SHN_XINDEX} entries have been resolved
 * through {@code SHT_SYMTAB_SHNDX}.
 *
 * <p>The name is read from the string table when first asked for: most of a module's symbols are
 * local ones whose names no pass looks at, and a decoded table is thousands of them. The table's
 * decoder has checked that the name lies in a NUL-terminated string table, so reading it later
 * cannot fail.
 */
public final class Symbol {
    private final int index;
    private String name;
    private final byte[] strings;
    private final int nameAt;
    private final long nameOffset;
    private final long value;
    private final long size;
    private final int info;
    private final int other;
    private final int shndx;
    private final int rawShndx;
    private final long entryOffset;

    /**
     * @param index position in the symbol table
     * @param strings the array holding the string table, and {@code nameAt} where the name starts in it;
     *     {@code nameAt} negative: no name ("")
     * @param rawShndx {@code st_shndx} as stored (differs from {@code shndx} only for {@code SHN_XINDEX})
     * @param entryOffset file offset of this entry, for patching
     */
    Symbol(int index, byte[] strings, int nameAt, long nameOffset, long value, long size, int info, int other,
            int shndx, int rawShndx, long entryOffset) {
        this.index = index;
        this.name = nameAt < 0 ? "" : null;
        this.strings = strings;
        this.nameAt = nameAt;
        this.nameOffset = nameOffset;
        this.value = value;
        this.size = size;
        this.info = info;
        this.other = other;
        this.shndx = shndx;
        this.rawShndx = rawShndx;
        this.entryOffset = entryOffset;
    }

    public int index() {
        return index;
    }

    /** The name from the linked string table (ISO-8859-1), "" for none. */
    public String name() {
        String n = name;
        if (n == null) {
            int e = nameAt;
            while (strings[e] != 0) {
                e++;
            }
            n = new String(strings, nameAt, e - nameAt, StandardCharsets.ISO_8859_1);
            name = n;
        }
        return n;
    }

    /**
     * The array that holds the linked string table, read only: the name is the NUL-terminated
     * string at {@link #nameStart()}, which ends inside it. For lookups that need no {@code String}.
     */
    public byte[] stringTable() {
        return strings;
    }

    /** Where the name starts in {@link #stringTable()}; negative when the symbol has no name. */
    public int nameStart() {
        return nameAt;
    }

    public long nameOffset() {
        return nameOffset;
    }

    public long value() {
        return value;
    }

    public long size() {
        return size;
    }

    public int info() {
        return info;
    }

    public int other() {
        return other;
    }

    public int shndx() {
        return shndx;
    }

    public int rawShndx() {
        return rawShndx;
    }

    public long entryOffset() {
        return entryOffset;
    }

    /** {@code ELF_ST_BIND(st_info)}. */
    public int bind() {
        return info >>> 4;
    }

    /** {@code ELF_ST_TYPE(st_info)}. */
    public int type() {
        return info & 0xf;
    }

    public boolean isUndefined() {
        return shndx == Elf.SHN_UNDEF;
    }

    @Override
    public String toString() {
        return "Symbol[index=" + index + ", name=" + name() + ", value=0x" + Long.toHexString(value) + ", shndx="
                + shndx + "]";
    }
}

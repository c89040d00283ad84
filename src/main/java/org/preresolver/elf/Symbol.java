package org.preresolver.elf;

/**
 * A symbol table entry, class-neutral. Components are the C members without the {@code st_}
 * prefix. {@code shndx} is the real section index: {@code SHN_XINDEX} entries have been resolved
 * through {@code SHT_SYMTAB_SHNDX}.
 *
 * @param index position in the symbol table
 * @param name the name from the linked string table (ISO-8859-1), "" for none
 * @param rawShndx {@code st_shndx} as stored (differs from {@code shndx} only for {@code SHN_XINDEX})
 * @param entryOffset file offset of this entry, for patching
 */
public record Symbol(
        int index,
        String name,
        long nameOffset,
        long value,
        long size,
        int info,
        int other,
        int shndx,
        int rawShndx,
        long entryOffset) {

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
}

package org.preresolver.elf;

/**
 * A section header, class-neutral. Components are the C members without the {@code sh_} prefix.
 *
 * @param index position in the section header table
 * @param name the name from the section name string table (ISO-8859-1)
 * @param headerOffset file offset of this header, for patching
 */
public record SectionHeader(
        int index,
        String name,
        long nameOffset,
        long type,
        long flags,
        long addr,
        long offset,
        long size,
        int link,
        long info,
        long addralign,
        long entsize,
        long headerOffset) {

    public boolean isAlloc() {
        return (flags & Elf.SHF_ALLOC) != 0;
    }

    /** Bytes this section occupies in the file (0 for {@code SHT_NOBITS}). */
    public long fileSize() {
        return type == Elf.SHT_NOBITS ? 0 : size;
    }
}

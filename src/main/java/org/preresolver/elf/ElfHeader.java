package org.preresolver.elf;

import java.nio.ByteOrder;

/**
 * The ELF file header, decoded into class-neutral fields. {@code shnum} and {@code shstrndx} are
 * the real values: extended section numbering ({@code e_shnum == 0}, {@code SHN_XINDEX}) is
 * resolved by {@link ElfFile} and never seen by callers.
 *
 * @param is64 {@code ELFCLASS64}
 * @param order {@code EI_DATA}
 * @param type {@code e_type}
 * @param machine {@code e_machine}
 * @param flags {@code e_flags}
 * @param shoff {@code e_shoff}
 * @param shentsize {@code e_shentsize}
 * @param shnum number of section headers, extended numbering resolved
 * @param shstrndx index of the section name string table, extended numbering resolved
 * @param rawShnum {@code e_shnum} as stored in the file
 */
public record ElfHeader(
        boolean is64,
        ByteOrder order,
        int osabi,
        int type,
        int machine,
        long flags,
        long shoff,
        int shentsize,
        int shnum,
        int shstrndx,
        int rawShnum) {

    /** Size in bytes of an address ({@code ElfN_Addr}) in this class. */
    public int wordSize() {
        return is64 ? 8 : 4;
    }

    /** e.g. {@code ELF64 LSB x86_64}. */
    public String describe() {
        return (is64 ? "ELF64" : "ELF32") + " " + (order == ByteOrder.LITTLE_ENDIAN ? "LSB" : "MSB") + " "
                + Elf.machineName(machine);
    }
}

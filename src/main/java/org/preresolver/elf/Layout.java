package org.preresolver.elf;

/**
 * Where the members of the ELF structures lie, for ELF32 and ELF64, as {@code elf.h} declares
 * them: each member's offset in its entry and its width ({@code Elf32_Word} 4 bytes,
 * {@code Elf64_Xword}/{@code Elf64_Addr}/{@code Elf64_Off} 8, {@code Elf32_Addr} 4, ...). Decoding
 * and encoding name a member (e.g. {@code Layout.SHDR64.offset()}) instead of a bare number.
 */
final class Layout {
    private Layout() {}

    /** One member of a structure: its byte offset in the entry and its width (2, 4 or 8). */
    record Member(int at, int width, String name) {
        /** The member of the entry at {@code entry}, read with the file's byte order. */
        long read(ByteReader in, long entry) throws FormatException {
            return switch (width) {
                case 1 -> in.u8(entry + at, name);
                case 2 -> in.u16(entry + at, name);
                case 4 -> in.u32(entry + at, name);
                default -> in.u64(entry + at, name);
            };
        }

        /** Writes the member of the entry at {@code entry}. */
        void write(byte[] out, int entry, long value, boolean little) {
            switch (width) {
                case 1 -> out[entry + at] = (byte) value;
                case 2 -> ByteReader.put16(out, entry + at, (int) value, little);
                case 4 -> ByteReader.put32(out, entry + at, value, little);
                default -> ByteReader.put64(out, entry + at, value, little);
            }
        }
    }

    /** {@code Elf32_Shdr} / {@code Elf64_Shdr}; {@code bytes} is {@code sizeof}. */
    record Shdr(int bytes, Member name, Member type, Member flags, Member addr, Member offset, Member size,
            Member link, Member info, Member addralign, Member entsize) {}

    static final Shdr SHDR32 = new Shdr(40, m(0, 4, "sh_name"), m(4, 4, "sh_type"), m(8, 4, "sh_flags"),
            m(12, 4, "sh_addr"), m(16, 4, "sh_offset"), m(20, 4, "sh_size"), m(24, 4, "sh_link"), m(28, 4, "sh_info"),
            m(32, 4, "sh_addralign"), m(36, 4, "sh_entsize"));
    static final Shdr SHDR64 = new Shdr(64, m(0, 4, "sh_name"), m(4, 4, "sh_type"), m(8, 8, "sh_flags"),
            m(16, 8, "sh_addr"), m(24, 8, "sh_offset"), m(32, 8, "sh_size"), m(40, 4, "sh_link"), m(44, 4, "sh_info"),
            m(48, 8, "sh_addralign"), m(56, 8, "sh_entsize"));

    static Shdr shdr(boolean is64) {
        return is64 ? SHDR64 : SHDR32;
    }

    /**
     * {@code Elf32_Rel}/{@code Elf32_Rela} and {@code Elf64_Rel}/{@code Elf64_Rela}; {@code addend} is
     * only in the RELA forms, whose {@code bytes} are {@code relaBytes}.
     */
    record Rel(int bytes, int relaBytes, Member offset, Member info, Member addend) {}

    static final Rel REL32 = new Rel(8, 12, m(0, 4, "r_offset"), m(4, 4, "r_info"), m(8, 4, "r_addend"));
    static final Rel REL64 = new Rel(16, 24, m(0, 8, "r_offset"), m(8, 8, "r_info"), m(16, 8, "r_addend"));

    static Rel rel(boolean is64) {
        return is64 ? REL64 : REL32;
    }

    /** The members of {@code Elf32_Ehdr} / {@code Elf64_Ehdr} this tool reads or writes after {@code e_ident}. */
    record Ehdr(int bytes, Member type, Member machine, Member flags, Member shoff, Member shentsize, Member shnum,
            Member shstrndx) {}

    static final Ehdr EHDR32 = new Ehdr(52, m(16, 2, "e_type"), m(18, 2, "e_machine"), m(36, 4, "e_flags"),
            m(32, 4, "e_shoff"), m(46, 2, "e_shentsize"), m(48, 2, "e_shnum"), m(50, 2, "e_shstrndx"));
    static final Ehdr EHDR64 = new Ehdr(64, m(16, 2, "e_type"), m(18, 2, "e_machine"), m(48, 4, "e_flags"),
            m(40, 8, "e_shoff"), m(58, 2, "e_shentsize"), m(60, 2, "e_shnum"), m(62, 2, "e_shstrndx"));

    static Ehdr ehdr(boolean is64) {
        return is64 ? EHDR64 : EHDR32;
    }

    /** {@code Elf32_Sym} / {@code Elf64_Sym}: the same members in another order. */
    record Sym(int bytes, Member name, Member value, Member size, Member info, Member other, Member shndx) {}

    static final Sym SYM32 = new Sym(16, m(0, 4, "st_name"), m(4, 4, "st_value"), m(8, 4, "st_size"),
            m(12, 1, "st_info"), m(13, 1, "st_other"), m(14, 2, "st_shndx"));
    static final Sym SYM64 = new Sym(24, m(0, 4, "st_name"), m(8, 8, "st_value"), m(16, 8, "st_size"),
            m(4, 1, "st_info"), m(5, 1, "st_other"), m(6, 2, "st_shndx"));

    static Sym sym(boolean is64) {
        return is64 ? SYM64 : SYM32;
    }

    private static Member m(int at, int width, String name) {
        return new Member(at, width, name);
    }
}

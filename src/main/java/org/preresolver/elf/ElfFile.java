package org.preresolver.elf;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A parsed ELF file over an in-memory byte array: header, section headers and, on demand, the
 * symbol table and relocations. Decoding happens once into class-neutral records; only this class
 * and {@link ByteReader} know about ELF32 vs ELF64 and byte order.
 *
 * <p>Instances are immutable views: the byte array must not be changed while in use. Edits are
 * made to a copy by {@link ElfEditor}.
 */
public final class ElfFile {
    private final ByteReader in;
    private final ElfHeader header;
    private final List<SectionHeader> sections;
    private SymbolTable symtab;
    private SectionHeader symtabSection;

    private ElfFile(ByteReader in, ElfHeader header, List<SectionHeader> sections) {
        this.in = in;
        this.header = header;
        this.sections = sections;
    }

    /** True if the bytes start with the ELF magic. */
    public static boolean isElf(byte[] data) {
        return data.length >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F';
    }

    /**
     * Parses the header and section table of {@code data}.
     *
     * @throws FormatException for anything malformed; the message names offsets, not the file
     */
    public static ElfFile parse(byte[] data) throws FormatException {
        return parse(data, data.length);
    }

    /**
     * Parses the first {@code length} bytes of {@code data} as an ELF file, without copying them:
     * a signed module's ELF part, the signature after it out of range. {@link #data()} is then the
     * whole array and {@link #length()} the ELF part's length.
     */
    public static ElfFile parse(byte[] data, int length) throws FormatException {
        if (length < 0 || length > data.length) {
            throw new IllegalArgumentException("length " + length + " of " + data.length + " bytes");
        }
        if (length < 4 || !isElf(data)) {
            throw new FormatException("not an ELF file (bad magic)", 0);
        }
        if (length < 52) {
            throw new FormatException("ELF header truncated (" + length + " bytes)", 0);
        }
        int cls = data[4];
        int enc = data[5];
        if (cls != Elf.ELFCLASS32 && cls != Elf.ELFCLASS64) {
            throw new FormatException("bad EI_CLASS " + cls, 4);
        }
        if (enc != Elf.ELFDATA2LSB && enc != Elf.ELFDATA2MSB) {
            throw new FormatException("bad EI_DATA " + enc, 5);
        }
        boolean is64 = cls == Elf.ELFCLASS64;
        ByteOrder order = enc == Elf.ELFDATA2LSB ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        ByteReader in = new ByteReader(data, length, order);
        int ehsize = is64 ? 64 : 52;
        in.check(0, ehsize, "ELF header");
        int type = in.u16(16, "e_type");
        int machine = in.u16(18, "e_machine");
        long flags = in.u32(is64 ? 48 : 36, "e_flags");
        long shoff = in.word(is64 ? 40 : 32, is64, "e_shoff");
        int shentsize = in.u16(is64 ? 58 : 46, "e_shentsize");
        int rawShnum = in.u16(is64 ? 60 : 48, "e_shnum");
        int rawShstrndx = in.u16(is64 ? 62 : 50, "e_shstrndx");
        int osabi = data[7] & 0xff;

        int expectedEnt = is64 ? 64 : 40;
        int shnum = rawShnum;
        int shstrndx = rawShstrndx;
        if (shoff == 0) {
            // No section header table (possible for executables, never for modules).
            ElfHeader h = new ElfHeader(is64, order, osabi, type, machine, flags, 0, shentsize, 0, 0, rawShnum);
            return new ElfFile(in, h, List.of());
        }
        if (shentsize != expectedEnt) {
            throw new FormatException("e_shentsize " + shentsize + ", expected " + expectedEnt, is64 ? 58 : 46);
        }
        if (rawShnum == 0 || rawShstrndx == Elf.SHN_XINDEX) {
            // Extended numbering: the real values live in section header 0.
            in.check(shoff, expectedEnt, "section header 0");
            if (rawShnum == 0) {
                long n = in.word(shoff + (is64 ? 32 : 20), is64, "sh_size of section header 0");
                if (n > Integer.MAX_VALUE) {
                    throw new FormatException("extended section count " + n + " too large", shoff);
                }
                shnum = (int) n;
            }
            if (rawShstrndx == Elf.SHN_XINDEX) {
                shstrndx = (int) in.u32(shoff + (is64 ? 40 : 24), "sh_link of section header 0");
            }
        }
        long tableSize;
        try {
            tableSize = Math.multiplyExact((long) shnum, expectedEnt);
        } catch (ArithmeticException e) {
            throw new FormatException("section header table size overflows", is64 ? 40 : 32);
        }
        in.check(shoff, tableSize, "section header table of " + shnum + " entries");
        if (shnum > 0 && (shstrndx < 0 || shstrndx >= shnum)) {
            throw new FormatException("e_shstrndx " + shstrndx + " out of range (" + shnum + " sections)",
                    is64 ? 62 : 50);
        }
        ElfHeader header = new ElfHeader(is64, order, osabi, type, machine, flags, shoff, shentsize, shnum, shstrndx,
                rawShnum);

        long[][] raw = new long[shnum][];
        for (int i = 0; i < shnum; i++) {
            long h = shoff + (long) i * expectedEnt;
            raw[i] = is64
                    ? new long[] {in.u32(h, "sh_name"), in.u32(h + 4, "sh_type"), in.u64(h + 8, "sh_flags"),
                        in.u64(h + 16, "sh_addr"), in.u64(h + 24, "sh_offset"), in.u64(h + 32, "sh_size"),
                        in.u32(h + 40, "sh_link"), in.u32(h + 44, "sh_info"), in.u64(h + 48, "sh_addralign"),
                        in.u64(h + 56, "sh_entsize"), h}
                    : new long[] {in.u32(h, "sh_name"), in.u32(h + 4, "sh_type"), in.u32(h + 8, "sh_flags"),
                        in.u32(h + 12, "sh_addr"), in.u32(h + 16, "sh_offset"), in.u32(h + 20, "sh_size"),
                        in.u32(h + 24, "sh_link"), in.u32(h + 28, "sh_info"), in.u32(h + 32, "sh_addralign"),
                        in.u32(h + 36, "sh_entsize"), h};
        }
        long strOff = 0;
        long strEnd = 0;
        if (shnum > 0) {
            long[] s = raw[shstrndx];
            if (s[1] != Elf.SHT_STRTAB) {
                throw new FormatException("section name table (section " + shstrndx + ") is not SHT_STRTAB", s[10]);
            }
            in.check(s[4], s[5], "section name table");
            strOff = s[4];
            strEnd = s[4] + s[5];
        }
        List<SectionHeader> list = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++) {
            long[] s = raw[i];
            long size = s[5];
            // Every section but SHT_NOBITS must lie in the file, section 0 included: it may carry a
            // name (and be looked up by it), and with extended numbering its range [0, e_shnum)
            // is inside the section header table anyway.
            if (s[1] != Elf.SHT_NOBITS && !in.inRange(s[4], size)) {
                throw new FormatException("section " + i + " data [0x" + Long.toHexString(s[4]) + ", +0x"
                        + Long.toHexString(size) + ") beyond end of file (" + length + " bytes)", s[10]);
            }
            if (s[6] >= shnum && s[6] != 0) {
                throw new FormatException("sh_link " + s[6] + " out of range (" + shnum + " sections) in section header " + i,
                        s[10]);
            }
            String name = "";
            if (s[0] != 0 || i != 0) {
                if (s[0] >= strEnd - strOff) {
                    throw new FormatException("sh_name " + s[0] + " out of range in section header " + i, s[10]);
                }
                name = in.cstring(strOff + s[0], strEnd, "name of section " + i);
            }
            list.add(new SectionHeader(i, name, s[0], s[1], s[2], s[3], s[4], size, (int) s[6], s[7], s[8], s[9], s[10]));
        }
        return new ElfFile(in, header, Collections.unmodifiableList(list));
    }

    public ElfHeader header() {
        return header;
    }

    /** The array parsed; longer than {@link #length()} when parsed with a length. */
    public byte[] data() {
        return in.data();
    }

    /** The file's length: the bytes of {@link #data()} that are the ELF file. */
    public int length() {
        return in.length();
    }

    public ByteReader reader() {
        return in;
    }

    public List<SectionHeader> sections() {
        return sections;
    }

    /** The first section with this name. */
    public Optional<SectionHeader> section(String name) {
        for (SectionHeader s : sections) {
            if (s.name().equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** A copy of a section's bytes ({@code SHT_NOBITS}: empty). Ranges were checked at parse time. */
    public byte[] sectionBytes(SectionHeader s) {
        if (s.fileSize() == 0) {
            return new byte[0];
        }
        byte[] out = new byte[(int) s.size()];
        System.arraycopy(in.data(), (int) s.offset(), out, 0, out.length);
        return out;
    }

    /** The section whose [sh_addr, sh_addr + sh_size) contains {@code addr}, among SHF_ALLOC sections with file data. */
    public Optional<SectionHeader> sectionContaining(long addr, long length) {
        for (SectionHeader s : sections) {
            if (s.isAlloc() && s.fileSize() > 0 && Long.compareUnsigned(addr, s.addr()) >= 0
                    && Long.compareUnsigned(addr - s.addr(), s.size()) < 0
                    && Long.compareUnsigned(length, s.size() - (addr - s.addr())) <= 0) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** The {@code SHT_SYMTAB} symbol table, decoded on first use. */
    public SymbolTable symbolTable() throws FormatException {
        if (symtab == null) {
            SectionHeader sh = null;
            for (SectionHeader s : sections) {
                if (s.type() == Elf.SHT_SYMTAB) {
                    if (sh != null) {
                        throw new FormatException("more than one SHT_SYMTAB section", s.headerOffset());
                    }
                    sh = s;
                }
            }
            if (sh == null) {
                throw new FormatException("no .symtab section");
            }
            symtab = SymbolTable.decode(this, sh);
        }
        return symtab;
    }

    /**
     * One entry of the {@code SHT_SYMTAB} symbol table, decoded alone: for callers that touch a
     * few symbols of a large table (restoring, checking) and need not decode it all.
     */
    public Symbol symbolAt(int index) throws FormatException {
        if (symtab != null) {
            if (index < 0 || index >= symtab.size()) {
                throw new FormatException("symbol index " + index + " out of range (" + symtab.size() + " symbols)");
            }
            return symtab.get(index);
        }
        if (symtabSection == null) {
            for (SectionHeader s : sections) {
                if (s.type() == Elf.SHT_SYMTAB) {
                    symtabSection = s;
                    break;
                }
            }
            if (symtabSection == null) {
                throw new FormatException("no .symtab section");
            }
        }
        return SymbolTable.decodeOne(this, symtabSection, index);
    }

    /** True if the file has an {@code SHT_SYMTAB} section. */
    public boolean hasSymbolTable() {
        return sections.stream().anyMatch(s -> s.type() == Elf.SHT_SYMTAB);
    }

    /**
     * Decodes the relocations of an {@code SHT_REL} or {@code SHT_RELA} section. MIPS64's
     * {@code r_info} (a 32-bit symbol index followed by four type bytes) is handled here.
     */
    public List<Relocation> relocations(SectionHeader s) throws FormatException {
        boolean rela = s.type() == Elf.SHT_RELA;
        if (!rela && s.type() != Elf.SHT_REL) {
            throw new FormatException("section " + s.index() + " is not a relocation section", s.headerOffset());
        }
        boolean is64 = header.is64();
        int entsize = is64 ? (rela ? 24 : 16) : (rela ? 12 : 8);
        long n = s.size() / entsize;
        if (n * entsize != s.size()) {
            throw new FormatException("relocation section " + s.name() + " size " + s.size() + " is not a multiple of "
                    + entsize, s.headerOffset());
        }
        boolean mips64 = is64 && header.machine() == Elf.EM_MIPS;
        List<Relocation> out = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            long e = s.offset() + i * entsize;
            long off = in.word(e, is64, "r_offset");
            long info = in.word(e + (is64 ? 8 : 4), is64, "r_info");
            long addend = rela ? (is64 ? in.u64(e + 16, "r_addend") : (int) in.u32(e + 8, "r_addend")) : 0;
            int sym;
            int type;
            if (mips64) {
                // Elf64_Mips_Rel: r_sym (u32), r_ssym, r_type3, r_type2, r_type (bytes), in file order.
                sym = (int) in.u32(e + 8, "r_sym");
                type = in.u8(e + 15, "r_type");
            } else if (is64) {
                sym = (int) (info >>> 32);
                type = (int) info;
            } else {
                sym = (int) (info >>> 8);
                type = (int) (info & 0xff);
            }
            out.add(new Relocation(off, sym, type, addend));
        }
        return out;
    }

    /** The GNU build-id from the first {@code NT_GNU_BUILD_ID} note, as lowercase hex, if any. */
    public Optional<String> buildId() throws FormatException {
        for (SectionHeader s : sections) {
            if (s.type() != Elf.SHT_NOTE || s.fileSize() == 0) {
                continue;
            }
            long p = s.offset();
            long end = s.offset() + s.size();
            while (p + 12 <= end) {
                long namesz = in.u32(p, "n_namesz");
                long descsz = in.u32(p + 4, "n_descsz");
                long type = in.u32(p + 8, "n_type");
                long name = p + 12;
                long desc = name + align4(namesz);
                if (namesz > end - name || descsz > end - desc || desc > end) {
                    throw new FormatException("note in " + s.name() + " overruns its section", p);
                }
                if (type == Elf.NT_GNU_BUILD_ID && namesz == 4 && in.u8(name, "note name") == 'G') {
                    StringBuilder sb = new StringBuilder();
                    for (long i = 0; i < descsz; i++) {
                        sb.append(String.format("%02x", in.u8(desc + i, "build-id")));
                    }
                    return Optional.of(sb.toString());
                }
                p = desc + align4(descsz);
            }
        }
        return Optional.empty();
    }

    private static long align4(long v) {
        return (v + 3) & ~3L;
    }
}

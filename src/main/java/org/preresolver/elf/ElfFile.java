package org.preresolver.elf;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A parsed ELF file over an in-memory byte array: header, section headers and, on demand, the
 * symbol table (decoded once into class-neutral records) and relocation tables (read in place).
 * Outside the {@code elf} package nothing knows about ELF32 vs ELF64 or byte order.
 *
 * <p>Instances are immutable views: the byte array must not be changed while in use. Edits are
 * made to a copy by {@link ElfEditor}. The symbol table is decoded on first use and kept, so one
 * instance belongs to one thread.
 */
public final class ElfFile {
    private final ByteReader in;
    private final ElfHeader header;
    private final List<SectionHeader> sections;
    private SymbolTable symtab;
    private SectionHeader symtabSection;
    private SymbolTable.Parts symtabParts;

    private ElfFile(ByteReader in, ElfHeader header, List<SectionHeader> sections) {
        this.in = in;
        this.header = header;
        this.sections = sections;
    }

    /** True if the bytes start with the ELF magic. */
    public static boolean isElf(byte[] data) {
        return data.length >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F';
    }

    /** Puts the file's bytes {@code [offset, offset + length)} at the same place in the array being parsed. */
    @FunctionalInterface
    public interface Filler {
        void fill(long offset, long length) throws java.io.IOException;
    }

    /**
     * Parses a file of {@code data.length} bytes of which only the parts {@code fill} is asked for
     * are present: the ELF header, then the section header table and the section name table, so
     * that a caller can fill just the sections it needs. Null when the file cannot be read that
     * way (not ELF, extended section numbering, a table out of range): then it must be read whole.
     *
     * @throws FormatException what {@link #parse(byte[])} would throw for the whole file's header and tables
     */
    public static ElfFile parseFilled(byte[] data, Filler fill) throws FormatException, java.io.IOException {
        fill.fill(0, Math.min(data.length, 64));
        if (data.length < 64 || !isElf(data) || (data[4] != Elf.ELFCLASS32 && data[4] != Elf.ELFCLASS64)
                || (data[5] != Elf.ELFDATA2LSB && data[5] != Elf.ELFDATA2MSB)) {
            return null;
        }
        boolean is64 = data[4] == Elf.ELFCLASS64;
        ByteReader in = new ByteReader(data, data[5] == Elf.ELFDATA2LSB ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        Layout.Ehdr eh = Layout.ehdr(is64);
        Layout.Shdr sh = Layout.shdr(is64);
        long shoff = eh.shoff().read(in, 0);
        long shnum = eh.shnum().read(in, 0);
        long shstrndx = eh.shstrndx().read(in, 0);
        if (shoff == 0 || shnum == 0 || shstrndx >= shnum || eh.shentsize().read(in, 0) != sh.bytes()
                || !in.inRange(shoff, shnum * sh.bytes())) {
            return null;
        }
        fill.fill(shoff, shnum * sh.bytes());
        long names = shoff + shstrndx * sh.bytes();
        long off = sh.offset().read(in, names);
        long size = sh.size().read(in, names);
        if (!in.inRange(off, size)) {
            return null;
        }
        fill.fill(off, size);
        return parse(data);
    }

    /** Reads {@code length} bytes of the file at {@code offset}. */
    @FunctionalInterface
    public interface Reader {
        byte[] read(long offset, int length) throws java.io.IOException;
    }

    /**
     * A compact copy of a large ELF file that holds only the sections {@code keep} accepts (by
     * name and type), read through {@code read}: its header, its section header table and section
     * name table, then each kept section, every offset rewritten to the copy. A section not kept
     * stays in the table, with its name, address and size, as {@code SHT_NOBITS} at offset 0: it
     * has no bytes here. Made for vmlinux, whose export tables, {@code .rodata} and notes are a
     * tenth of it. Null when the file cannot be read that way (not ELF, extended section
     * numbering, a table out of range): then it must be read whole, and {@link #parse} says what
     * is wrong with it.
     *
     * @param size the file's size
     */
    public static ElfFile parseCompact(long size, Reader read, java.util.function.BiPredicate<String, Integer> keep)
            throws FormatException, java.io.IOException {
        if (size < 64) {
            return null;
        }
        byte[] head = read.read(0, 64);
        if (!isElf(head) || (head[4] != Elf.ELFCLASS32 && head[4] != Elf.ELFCLASS64)
                || (head[5] != Elf.ELFDATA2LSB && head[5] != Elf.ELFDATA2MSB)) {
            return null;
        }
        boolean is64 = head[4] == Elf.ELFCLASS64;
        boolean little = head[5] == Elf.ELFDATA2LSB;
        ByteReader h = new ByteReader(head, little ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        Layout.Ehdr eh = Layout.ehdr(is64);
        Layout.Shdr sh = Layout.shdr(is64);
        long shoff = eh.shoff().read(h, 0);
        int shnum = (int) eh.shnum().read(h, 0);
        int shstrndx = (int) eh.shstrndx().read(h, 0);
        if (shoff <= 0 || shnum == 0 || shstrndx >= shnum || eh.shentsize().read(h, 0) != sh.bytes()
                || shoff > size - (long) shnum * sh.bytes()) {
            return null;
        }
        byte[] table = read.read(shoff, shnum * sh.bytes());
        ByteReader t = new ByteReader(table, h.order());
        long namesAt = shstrndx * (long) sh.bytes();
        long namesOff = sh.offset().read(t, namesAt);
        long namesSize = sh.size().read(t, namesAt);
        if (namesOff < 0 || namesSize < 0 || namesSize > 1 << 24 || namesOff > size - namesSize) {
            return null;
        }
        byte[] names = read.read(namesOff, (int) namesSize);
        ByteReader namesIn = new ByteReader(names, h.order());
        // The copy: header, section header table, names, then the kept sections, each 8-aligned.
        int ehsize = eh.bytes();
        long at = align8(ehsize + table.length + names.length);
        long[] newOffset = new long[shnum];
        boolean[] kept = new boolean[shnum];
        for (int i = 0; i < shnum; i++) {
            long e = i * (long) sh.bytes();
            int type = (int) sh.type().read(t, e);
            long off = sh.offset().read(t, e);
            long len = sh.size().read(t, e);
            long nameOff = sh.name().read(t, e);
            String name = nameOff < names.length ? namesIn.cstring(nameOff, names.length, "section name") : "";
            if (i == shstrndx || type == Elf.SHT_NOBITS || type == Elf.SHT_NULL || !keep.test(name, type)) {
                continue;
            }
            if (off < 0 || len < 0 || off > size - len) {
                return null; // out of the file: parse() of the whole file names it
            }
            kept[i] = true;
            newOffset[i] = at;
            at = align8(at + len);
        }
        if (at > Integer.MAX_VALUE - 8) {
            return null;
        }
        byte[] out = new byte[(int) at];
        System.arraycopy(head, 0, out, 0, ehsize);
        eh.shoff().write(out, 0, ehsize, little);
        // No program headers in the copy: e_phoff and e_phnum.
        if (is64) {
            ByteReader.put64(out, 32, 0, little);
            ByteReader.put16(out, 56, 0, little);
        } else {
            ByteReader.put32(out, 28, 0, little);
            ByteReader.put16(out, 44, 0, little);
        }
        System.arraycopy(table, 0, out, ehsize, table.length);
        int namesNew = ehsize + table.length;
        System.arraycopy(names, 0, out, namesNew, names.length);
        for (int i = 0; i < shnum; i++) {
            int e = ehsize + i * sh.bytes();
            if (i == shstrndx) {
                sh.offset().write(out, e, namesNew, little);
            } else if (kept[i]) {
                long off = sh.offset().read(t, i * (long) sh.bytes());
                int len = (int) sh.size().read(t, i * (long) sh.bytes());
                System.arraycopy(read.read(off, len), 0, out, (int) newOffset[i], len);
                sh.offset().write(out, e, newOffset[i], little);
            } else if (sh.type().read(t, i * (long) sh.bytes()) != Elf.SHT_NULL) {
                sh.type().write(out, e, Elf.SHT_NOBITS, little);
                sh.offset().write(out, e, 0, little);
            }
        }
        return parse(out);
    }

    private static long align8(long v) {
        return (v + 7) & ~7L;
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
        Layout.Ehdr eh = Layout.ehdr(is64);
        int ehsize = eh.bytes();
        in.check(0, ehsize, "ELF header");
        int type = (int) eh.type().read(in, 0);
        int machine = (int) eh.machine().read(in, 0);
        long flags = eh.flags().read(in, 0);
        long shoff = eh.shoff().read(in, 0);
        int shentsize = (int) eh.shentsize().read(in, 0);
        int rawShnum = (int) eh.shnum().read(in, 0);
        int rawShstrndx = (int) eh.shstrndx().read(in, 0);
        int osabi = data[7] & 0xff;

        int expectedEnt = Layout.shdr(is64).bytes();
        int shnum = rawShnum;
        int shstrndx = rawShstrndx;
        if (shoff == 0) {
            // No section header table (possible for executables, never for modules).
            ElfHeader h = new ElfHeader(is64, order, osabi, type, machine, flags, 0, shentsize, 0, 0, rawShnum);
            return new ElfFile(in, h, List.of());
        }
        if (shentsize != expectedEnt) {
            throw new FormatException("e_shentsize " + shentsize + ", expected " + expectedEnt, eh.shentsize().at());
        }
        if (rawShnum == 0 || rawShstrndx == Elf.SHN_XINDEX) {
            // Extended numbering: the real values live in section header 0.
            in.check(shoff, expectedEnt, "section header 0");
            if (rawShnum == 0) {
                long n = Layout.shdr(is64).size().read(in, shoff);
                if (n > Integer.MAX_VALUE) {
                    throw new FormatException("extended section count " + n + " too large", shoff);
                }
                shnum = (int) n;
            }
            if (rawShstrndx == Elf.SHN_XINDEX) {
                shstrndx = (int) Layout.shdr(is64).link().read(in, shoff);
            }
        }
        long tableSize;
        try {
            tableSize = Math.multiplyExact((long) shnum, expectedEnt);
        } catch (ArithmeticException e) {
            throw new FormatException("section header table size overflows", eh.shoff().at());
        }
        in.check(shoff, tableSize, "section header table of " + shnum + " entries");
        if (shnum > 0 && (shstrndx < 0 || shstrndx >= shnum)) {
            throw new FormatException("e_shstrndx " + shstrndx + " out of range (" + shnum + " sections)",
                    eh.shstrndx().at());
        }
        ElfHeader header = new ElfHeader(is64, order, osabi, type, machine, flags, shoff, shentsize, shnum, shstrndx,
                rawShnum);

        Layout.Shdr shdr = Layout.shdr(is64);
        SectionHeader[] raw = new SectionHeader[shnum];
        for (int i = 0; i < shnum; i++) {
            long h = shoff + (long) i * shdr.bytes();
            raw[i] = new SectionHeader(i, "", shdr.name().read(in, h), shdr.type().read(in, h),
                    shdr.flags().read(in, h), shdr.addr().read(in, h), shdr.offset().read(in, h), shdr.size().read(in, h),
                    (int) shdr.link().read(in, h), shdr.info().read(in, h), shdr.addralign().read(in, h),
                    shdr.entsize().read(in, h), h);
        }
        long strOff = 0;
        long strEnd = 0;
        if (shnum > 0) {
            SectionHeader s = raw[shstrndx];
            if (s.type() != Elf.SHT_STRTAB) {
                throw new FormatException("section name table (section " + shstrndx + ") is not SHT_STRTAB",
                        s.headerOffset());
            }
            in.check(s.offset(), s.size(), "section name table");
            strOff = s.offset();
            strEnd = s.offset() + s.size();
        }
        List<SectionHeader> list = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++) {
            SectionHeader s = raw[i];
            // Every section but SHT_NOBITS must lie in the file, section 0 included: it may carry a
            // name (and be looked up by it), and with extended numbering its range [0, e_shnum)
            // is inside the section header table anyway.
            if (s.type() != Elf.SHT_NOBITS && !in.inRange(s.offset(), s.size())) {
                throw new FormatException("section " + i + " data [0x" + Long.toHexString(s.offset()) + ", +0x"
                        + Long.toHexString(s.size()) + ") beyond end of file (" + length + " bytes)",
                        s.headerOffset());
            }
            if (Integer.toUnsignedLong(s.link()) >= shnum && s.link() != 0) {
                throw new FormatException("sh_link " + Integer.toUnsignedLong(s.link()) + " out of range (" + shnum
                        + " sections) in section header " + i, s.headerOffset());
            }
            String name = "";
            if (s.nameOffset() != 0 || i != 0) {
                if (s.nameOffset() >= strEnd - strOff) {
                    throw new FormatException("sh_name " + s.nameOffset() + " out of range in section header " + i,
                            s.headerOffset());
                }
                name = in.cstring(strOff + s.nameOffset(), strEnd, "name of section " + i);
            }
            list.add(new SectionHeader(i, name, s.nameOffset(), s.type(), s.flags(), s.addr(), s.offset(), s.size(),
                    s.link(), s.info(), s.addralign(), s.entsize(), s.headerOffset()));
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
            symtab = SymbolTable.decode(this, onlySymbolTable());
        }
        return symtab;
    }

    /** The one {@code SHT_SYMTAB} section: there must be exactly one. */
    private SectionHeader onlySymbolTable() throws FormatException {
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
        return sh;
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
        if (symtabParts == null) {
            symtabParts = SymbolTable.parts(this, symtabSection);
        }
        return SymbolTable.decodeOne(this, symtabSection, symtabParts, index);
    }

    /** The number of entries of the {@code SHT_SYMTAB} symbol table, without decoding it. */
    public int symbolCount() throws FormatException {
        if (symtab != null) {
            return symtab.size();
        }
        return (int) (onlySymbolTable().size() / (header.is64() ? 24 : 16));
    }

    /**
     * Every entry of the {@code SHT_SYMTAB} symbol table, as {@link SymbolTable#forEachEntry}: from
     * the table when it is decoded already, else read in place without making {@link Symbol}s.
     */
    public void forEachSymbol(SymbolTable.EntryVisitor v) throws FormatException {
        if (symtab != null) {
            for (Symbol s : symtab.symbols()) {
                v.entry(s.index(), s.shndx(), s.value(), s.stringTable(), s.nameStart());
            }
            return;
        }
        SymbolTable.forEachEntry(this, onlySymbolTable(), v);
    }

    /** True if the file has an {@code SHT_SYMTAB} section. */
    public boolean hasSymbolTable() {
        return sections.stream().anyMatch(s -> s.type() == Elf.SHT_SYMTAB);
    }

    /**
     * The relocations of an {@code SHT_REL} or {@code SHT_RELA} section, read in place
     * ({@link RelocationTable}; MIPS64's {@code r_info} layout is handled there).
     *
     * @throws FormatException the section is not a relocation table, or lies outside the file
     */
    public RelocationTable relocations(SectionHeader s) throws FormatException {
        boolean rela = s.type() == Elf.SHT_RELA;
        if (!rela && s.type() != Elf.SHT_REL) {
            throw new FormatException("section " + s.index() + " is not a relocation section", s.headerOffset());
        }
        int entsize = RelocationTable.entrySize(header.is64(), rela);
        long n = s.size() / entsize;
        if (n * entsize != s.size()) {
            throw new FormatException("relocation section " + s.name() + " size " + s.size() + " is not a multiple of "
                    + entsize, s.headerOffset());
        }
        if (!in.inRange(s.offset(), s.size())) {
            in.check(s.offset(), s.size(), "relocation section " + s.name()); // throws, naming it
        }
        return new RelocationTable(in.data(), (int) s.offset(), (int) n, rela, header);
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

package org.preresolver.elf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The decoded {@code SHT_SYMTAB} of a file, with its string table and, where present, its
 * {@code SHT_SYMTAB_SHNDX} extension (resolved into {@link Symbol#shndx()} here, in one place).
 */
public final class SymbolTable {
    private final SectionHeader section;
    private final SectionHeader strtab;
    private final List<Symbol> symbols;

    private SymbolTable(SectionHeader section, SectionHeader strtab, List<Symbol> symbols) {
        this.section = section;
        this.strtab = strtab;
        this.symbols = symbols;
    }

    /**
     * The checked pieces a symbol table needs: its string table and its extended index section;
     * {@code terminated} when the string table ends with a NUL, so that every name in range ends in it.
     */
    record Parts(SectionHeader str, SectionHeader xindex, int count, boolean terminated) {}

    static Parts parts(ElfFile f, SectionHeader sh) throws FormatException {
        int entsize = f.header().is64() ? 24 : 16;
        if (sh.entsize() != entsize && sh.entsize() != 0) {
            throw new FormatException("symbol table entsize " + sh.entsize() + ", expected " + entsize, sh.headerOffset());
        }
        if (sh.size() % entsize != 0) {
            throw new FormatException("symbol table size " + sh.size() + " is not a multiple of " + entsize,
                    sh.headerOffset());
        }
        if (sh.link() <= 0 || sh.link() >= f.sections().size()) {
            throw new FormatException("symbol table sh_link " + sh.link() + " does not name a string table",
                    sh.headerOffset());
        }
        SectionHeader str = f.sections().get(sh.link());
        if (str.type() != Elf.SHT_STRTAB) {
            throw new FormatException("symbol table sh_link " + sh.link() + " is not SHT_STRTAB", sh.headerOffset());
        }
        SectionHeader xindex = null;
        for (SectionHeader s : f.sections()) {
            if (s.type() == Elf.SHT_SYMTAB_SHNDX && s.link() == sh.index()) {
                xindex = s;
            }
        }
        int n = (int) (sh.size() / entsize);
        if (xindex != null && xindex.size() < (long) n * 4) {
            throw new FormatException("SHT_SYMTAB_SHNDX section too small for " + n + " symbols", xindex.headerOffset());
        }
        boolean terminated = str.size() > 0 && f.reader().inRange(str.offset(), str.size())
                && f.data()[(int) (str.offset() + str.size() - 1)] == 0;
        return new Parts(str, xindex, n, terminated);
    }

    static SymbolTable decode(ElfFile f, SectionHeader sh) throws FormatException {
        Parts p = parts(f, sh);
        List<Symbol> out = new ArrayList<>(p.count());
        for (int i = 0; i < p.count(); i++) {
            out.add(entry(f, sh, p, i));
        }
        return new SymbolTable(sh, p.str(), Collections.unmodifiableList(out));
    }

    /** What {@link #forEachEntry} gives for each entry. */
    @FunctionalInterface
    public interface EntryVisitor {
        /**
         * @param shndx {@code st_shndx}, {@code SHN_XINDEX} resolved (as {@link Symbol#shndx()})
         * @param strings the array of the string table, and {@code nameAt} where the NUL-terminated
         *     name starts in it (it ends inside); negative when the symbol has no name
         */
        void entry(int index, int shndx, long value, byte[] strings, int nameAt) throws FormatException;
    }

    /**
     * Every entry of {@code sh}, in order, with the checks {@link #decode} makes, but no
     * {@link Symbol} made: for a pass over a whole table that reads a few fields of each once (the
     * loader simulation reads every symbol of each output, about 800,000 over Debian's tree).
     */
    static void forEachEntry(ElfFile f, SectionHeader sh, EntryVisitor v) throws FormatException {
        Parts p = parts(f, sh);
        ElfHeader h = f.header();
        ByteReader in = f.reader();
        byte[] d = in.data();
        boolean little = h.order() == java.nio.ByteOrder.LITTLE_ENDIAN;
        boolean is64 = h.is64();
        int entsize = is64 ? 24 : 16;
        Layout.Sym l = Layout.sym(is64);
        int nameOff = l.name().at();
        int shndxOff = l.shndx().at();
        int valueOff = l.value().at();
        for (int i = 0; i < p.count(); i++) {
            int e = (int) (sh.offset() + (long) i * entsize);
            long name = ByteReader.u32(d, e + nameOff, little);
            int shndx = ByteReader.u16(d, e + shndxOff, little);
            long value = is64 ? ByteReader.u64(d, e + valueOff, little) : ByteReader.u32(d, e + valueOff, little);
            int real = realShndx(in, p, i, shndx, e);
            v.entry(i, real, value, d, nameAt(in, p, i, name, e));
        }
    }

    /** Symbol {@code index} alone, with the table's checked {@link #parts}. */
    static Symbol decodeOne(ElfFile f, SectionHeader sh, Parts p, int index) throws FormatException {
        if (index < 0 || index >= p.count()) {
            throw new FormatException("symbol index " + index + " out of range (" + p.count() + " symbols)");
        }
        return entry(f, sh, p, index);
    }

    private static Symbol entry(ElfFile f, SectionHeader sh, Parts p, int i) throws FormatException {
        ElfHeader h = f.header();
        ByteReader in = f.reader();
        int entsize = h.is64() ? 24 : 16;
        byte[] d = in.data();
        boolean little = h.order() == java.nio.ByteOrder.LITTLE_ENDIAN;
        int e = (int) (sh.offset() + (long) i * entsize);
        long name;
        long value;
        long size;
        int info;
        int other;
        int shndx;
        Layout.Sym l = Layout.sym(h.is64());
        name = ByteReader.u32(d, e + l.name().at(), little);
        info = d[e + l.info().at()] & 0xff;
        other = d[e + l.other().at()] & 0xff;
        shndx = ByteReader.u16(d, e + l.shndx().at(), little);
        value = h.is64() ? ByteReader.u64(d, e + l.value().at(), little) : ByteReader.u32(d, e + l.value().at(), little);
        size = h.is64() ? ByteReader.u64(d, e + l.size().at(), little) : ByteReader.u32(d, e + l.size().at(), little);
        int real = realShndx(in, p, i, shndx, e);
        return new Symbol(i, d, nameAt(in, p, i, name, e), name, value, size, info, other, real, shndx, e);
    }

    /** Symbol {@code i}'s section index: {@code shndx} as stored, or from the extension for {@code SHN_XINDEX}. */
    private static int realShndx(ByteReader in, Parts p, int i, int shndx, int entry) throws FormatException {
        if (shndx != Elf.SHN_XINDEX) {
            return shndx;
        }
        if (p.xindex() == null) {
            throw new FormatException("symbol " + i + " has SHN_XINDEX but there is no SHT_SYMTAB_SHNDX", entry);
        }
        return (int) in.u32(p.xindex().offset() + 4L * i, "SHT_SYMTAB_SHNDX entry " + i);
    }

    /**
     * Where symbol {@code i}'s name ({@code st_name}) starts in the file's array, checked to end
     * inside the string table; -1 for none. The name is read only when asked for.
     */
    private static int nameAt(ByteReader in, Parts p, int i, long name, int entry) throws FormatException {
        if (name == 0) {
            return -1;
        }
        SectionHeader str = p.str();
        if (name >= str.size()) {
            throw new FormatException("st_name " + name + " out of range in symbol " + i, entry);
        }
        if (!p.terminated()) {
            in.cstring(str.offset() + name, str.offset() + str.size(), "name of symbol ", i, ""); // names what is wrong
        }
        return (int) (str.offset() + name);
    }

    public SectionHeader section() {
        return section;
    }

    public SectionHeader stringTable() {
        return strtab;
    }

    public List<Symbol> symbols() {
        return symbols;
    }

    public int size() {
        return symbols.size();
    }

    public Symbol get(int index) {
        return symbols.get(index);
    }
}

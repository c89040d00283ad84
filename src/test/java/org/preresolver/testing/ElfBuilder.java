package org.preresolver.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.preresolver.elf.Elf;

/**
 * A test-only writer of small ELF files: any class and byte order, sections with given contents,
 * and a symbol table. Used for the edge cases real Debian files never show (ELF32, big-endian,
 * absolute-pointer export tables, extended section numbering).
 */
public final class ElfBuilder {
    private final boolean is64;
    private final ByteOrder order;
    private int type = Elf.ET_REL;
    private int machine = Elf.EM_X86_64;
    private final List<ElfWriter.Section> sections = new ArrayList<>();
    private final List<ElfWriter.Sym> symbols = new ArrayList<>();

    public ElfBuilder(boolean is64, ByteOrder order) {
        this.is64 = is64;
        this.order = order;
    }

    public static ElfBuilder module(boolean is64, ByteOrder order) {
        return new ElfBuilder(is64, order);
    }

    public ElfBuilder type(int t) {
        this.type = t;
        return this;
    }

    public ElfBuilder machine(int m) {
        this.machine = m;
        return this;
    }

    /** Adds a section; returns its index in the output (section 0 is the null section). */
    public int section(String name, int type, long flags, long addr, byte[] data) {
        sections.add(new ElfWriter.Section(name, type, flags, addr, data, 0, 0, type == Elf.SHT_STRTAB ? 1 : 8, 0));
        return sections.size();
    }

    public ElfBuilder progbits(String name, byte[] data) {
        section(name, Elf.SHT_PROGBITS, Elf.SHF_ALLOC, 0, data);
        return this;
    }

    /** {@code .modinfo} from {@code key=value} strings. */
    public ElfBuilder modinfo(String... kv) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String s : kv) {
            b.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
            b.write(0);
        }
        return progbits(".modinfo", b.toByteArray());
    }

    public ElfBuilder symbol(String name, long value, int bind, int symType, int shndx) {
        symbols.add(new ElfWriter.Sym(name, value, 0, bind, symType, shndx));
        return this;
    }

    public ElfBuilder undefined(String name) {
        return symbol(name, 0, Elf.STB_GLOBAL, Elf.STT_NOTYPE, Elf.SHN_UNDEF);
    }

    public ElfBuilder weakUndefined(String name) {
        return symbol(name, 0, Elf.STB_WEAK, Elf.STT_NOTYPE, Elf.SHN_UNDEF);
    }

    public ByteBuffer buffer(int n) {
        return ByteBuffer.allocate(n).order(order);
    }

    public boolean is64() {
        return is64;
    }

    public ByteOrder order() {
        return order;
    }

    /**
     * Writes the file with {@link ElfWriter}: header, section data (each at a multiple of 8), then
     * {@code .symtab} (locals first), {@code .strtab}, {@code .shstrtab}, then the section header table.
     */
    public byte[] build() {
        ElfWriter w = new ElfWriter(is64, order == ByteOrder.LITTLE_ENDIAN, type, machine).fileAlign(8);
        sections.forEach(w::add);
        List<ElfWriter.Sym> sorted = new ArrayList<>();
        symbols.stream().filter(s -> s.bind() == Elf.STB_LOCAL).forEach(sorted::add);
        symbols.stream().filter(s -> s.bind() != Elf.STB_LOCAL).forEach(sorted::add);
        w.symtab(sorted, 8);
        return w.build();
    }

    /**
     * A vmlinux (ET_EXEC) with an export table in the given layout: {@code __ksymtab},
     * {@code __ksymtab_gpl}, {@code __ksymtab_strings}, {@code __kcrctab}, {@code __kcrctab_gpl}.
     *
     * @param exports name, address, gpl, namespace, crc
     */
    public static byte[] vmlinux(boolean is64, ByteOrder order, int machine, boolean prel32, boolean withNamespace,
            int crcSize, List<Object[]> exports, String banner) {
        ElfBuilder b = new ElfBuilder(is64, order).type(Elf.ET_EXEC).machine(machine);
        long base = is64 ? 0xffffffff81000000L : 0xc0000000L;
        int w = is64 ? 8 : 4;
        int entSize = prel32 ? (withNamespace ? 12 : 8) : (withNamespace ? 3 * w : 2 * w);
        // Strings: names, then namespaces, then an empty string.
        ByteArrayOutputStream strings = new ByteArrayOutputStream();
        Map<String, Integer> at = new LinkedHashMap<>();
        for (Object[] e : exports) {
            for (String s : new String[] {(String) e[0], (String) e[3]}) {
                if (!s.isEmpty() && !at.containsKey(s)) {
                    at.put(s, strings.size());
                    strings.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
                    strings.write(0);
                }
            }
        }
        int empty = strings.size();
        strings.write(0);
        List<Object[]> plain = exports.stream().filter(e -> !(Boolean) e[2]).toList();
        List<Object[]> gpl = exports.stream().filter(e -> (Boolean) e[2]).toList();
        long tabAddr = base + 0x100000;
        long gplAddr = tabAddr + 0x10000;
        long strAddr = tabAddr + 0x20000;
        byte[] tab = table(b, plain, tabAddr, strAddr, at, empty, prel32, withNamespace, entSize);
        byte[] gtab = table(b, gpl, gplAddr, strAddr, at, empty, prel32, withNamespace, entSize);
        b.section("__ksymtab", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, tabAddr, tab);
        b.section("__ksymtab_gpl", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, gplAddr, gtab);
        if (crcSize > 0) {
            b.section("__kcrctab", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, tabAddr + 0x30000, crcs(b, plain, crcSize));
            b.section("__kcrctab_gpl", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, tabAddr + 0x38000, crcs(b, gpl, crcSize));
        }
        b.section("__ksymtab_strings", Elf.SHT_PROGBITS, Elf.SHF_ALLOC | 0x30, strAddr, strings.toByteArray());
        b.section(".rodata", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, tabAddr + 0x40000,
                (banner + "\0").getBytes(StandardCharsets.ISO_8859_1));
        return b.build();
    }

    private static byte[] table(ElfBuilder b, List<Object[]> exports, long tabAddr, long strAddr,
            Map<String, Integer> at, int empty, boolean prel32, boolean withNs, int entSize) {
        ByteBuffer t = b.buffer(exports.size() * entSize);
        for (int i = 0; i < exports.size(); i++) {
            Object[] e = exports.get(i);
            long entry = tabAddr + (long) i * entSize;
            long value = (Long) e[1];
            long name = strAddr + at.get((String) e[0]);
            String ns = (String) e[3];
            long nsAddr = strAddr + (ns.isEmpty() ? empty : at.get(ns));
            if (prel32) {
                t.putInt((int) (value - entry)).putInt((int) (name - (entry + 4)));
                if (withNs) {
                    t.putInt((int) (nsAddr - (entry + 8)));
                }
            } else if (b.is64()) {
                t.putLong(value).putLong(name);
                if (withNs) {
                    t.putLong(nsAddr);
                }
            } else {
                t.putInt((int) value).putInt((int) name);
                if (withNs) {
                    t.putInt((int) nsAddr);
                }
            }
        }
        return t.array();
    }

    private static byte[] crcs(ElfBuilder b, List<Object[]> exports, int size) {
        ByteBuffer c = b.buffer(exports.size() * size);
        for (Object[] e : exports) {
            long crc = (Long) e[4];
            if (size == 4) {
                c.putInt((int) crc);
            } else {
                c.putLong(crc);
            }
        }
        return c.array();
    }

    /** A {@code __versions} section: 64-byte entries, CRC then NUL-padded name. */
    public static byte[] versions(boolean is64, ByteOrder order, Map<String, Long> crcs) {
        ByteBuffer v = ByteBuffer.allocate(64 * crcs.size()).order(order);
        for (Map.Entry<String, Long> e : crcs.entrySet()) {
            int start = v.position();
            if (is64) {
                v.putLong(e.getValue());
            } else {
                v.putInt(e.getValue().intValue());
            }
            v.put(e.getKey().getBytes(StandardCharsets.ISO_8859_1));
            v.position(start + 64);
        }
        return v.array();
    }
}

package org.preresolver.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.Elf;

/**
 * The one test-only writer of small ELF files (ELF32/ELF64, either byte order), section by section:
 * the fuzzers' synthetic seeds use it directly, {@link ElfBuilder} (modules and vmlinux export tables
 * for the edge cases) on top. Section 0 and the section name table are added by {@link #build()};
 * sections are laid out in order after the header, each at a multiple of its {@code sh_addralign}
 * (and of {@link #fileAlign}), the section header table last at a multiple of 8.
 */
public final class ElfWriter {
    /** One section to write. {@code link} is a section index counted with section 0 (first added = 1). */
    public record Section(String name, long type, long flags, long addr, byte[] data, int link, long info, long align,
            long entsize) {}

    /** One symbol of a {@code .symtab} made by {@link #symtab}. */
    public record Sym(String name, long value, long size, int bind, int type, int shndx) {}

    private final boolean is64;
    private final boolean little;
    private final int type;
    private final int machine;
    private final List<Section> sections = new ArrayList<>();
    private long fileAlign = 1;

    public ElfWriter(boolean is64, boolean little, int type, int machine) {
        this.is64 = is64;
        this.little = little;
        this.type = type;
        this.machine = machine;
    }

    /** Every section's file offset is also a multiple of {@code align} (default 1: its own alignment only). */
    public ElfWriter fileAlign(long align) {
        this.fileAlign = align;
        return this;
    }

    /** Adds a section; returns its index (section 0 is the null section). */
    public int add(String name, long type, long flags, long addr, byte[] data, int link, long info, long align, long entsize) {
        sections.add(new Section(name, type, flags, addr, data, link, info, align, entsize));
        return sections.size();
    }

    /** Adds a section; returns its index. */
    public int add(Section s) {
        sections.add(s);
        return sections.size();
    }

    public int add(String name, long type, long flags, byte[] data) {
        return add(name, type, flags, 0, data, 0, 0, 1, 0);
    }

    /** Index the next {@link #add} will return. */
    public int next() {
        return sections.size() + 1;
    }

    /**
     * Adds {@code .symtab} and {@code .strtab} (symbol 0 is added here). Locals must come first.
     * Returns the index of {@code .symtab}.
     */
    public int symtab(List<Sym> syms) {
        return symtab(syms, is64 ? 8 : 4);
    }

    /** {@link #symtab(List)} with {@code .symtab}'s {@code sh_addralign} given. */
    public int symtab(List<Sym> syms, long align) {
        ByteArrayOutputStream str = new ByteArrayOutputStream();
        str.write(0);
        int ent = is64 ? 24 : 16;
        byte[] tab = new byte[(syms.size() + 1) * ent];
        int firstGlobal = syms.size() + 1;
        for (int i = 0; i < syms.size(); i++) {
            Sym s = syms.get(i);
            int nameOff = 0;
            if (!s.name().isEmpty()) {
                nameOff = str.size();
                str.writeBytes(s.name().getBytes(StandardCharsets.ISO_8859_1));
                str.write(0);
            }
            if (s.bind() != Elf.STB_LOCAL && firstGlobal > i + 1) {
                firstGlobal = i + 1;
            }
            int e = (i + 1) * ent;
            int info = s.bind() << 4 | s.type();
            if (is64) {
                ByteReader.put32(tab, e, nameOff, little);
                tab[e + 4] = (byte) info;
                ByteReader.put16(tab, e + 6, s.shndx(), little);
                ByteReader.put64(tab, e + 8, s.value(), little);
                ByteReader.put64(tab, e + 16, s.size(), little);
            } else {
                ByteReader.put32(tab, e, nameOff, little);
                ByteReader.put32(tab, e + 4, s.value(), little);
                ByteReader.put32(tab, e + 8, s.size(), little);
                tab[e + 12] = (byte) info;
                ByteReader.put16(tab, e + 14, s.shndx(), little);
            }
        }
        int symIndex = next();
        add(".symtab", Elf.SHT_SYMTAB, 0, 0, tab, symIndex + 1, firstGlobal, align, ent);
        add(".strtab", Elf.SHT_STRTAB, 0, str.toByteArray());
        return symIndex;
    }

    /** An {@code Elf_Rela} table: {@code {offset, symbol, type, addend}} rows. */
    public byte[] rela(long[][] rows) {
        int ent = is64 ? 24 : 12;
        byte[] out = new byte[rows.length * ent];
        for (int i = 0; i < rows.length; i++) {
            long[] r = rows[i];
            int e = i * ent;
            if (is64) {
                ByteReader.put64(out, e, r[0], little);
                ByteReader.put64(out, e + 8, r[1] << 32 | r[2], little);
                ByteReader.put64(out, e + 16, r[3], little);
            } else {
                ByteReader.put32(out, e, r[0], little);
                ByteReader.put32(out, e + 4, r[1] << 8 | r[2], little);
                ByteReader.put32(out, e + 8, r[3], little);
            }
        }
        return out;
    }

    public byte[] build() {
        int ehsize = is64 ? 64 : 52;
        int shent = is64 ? 64 : 40;
        List<Section> all = new ArrayList<>(sections);
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        names.write(0);
        int[] nameOff = new int[all.size() + 1];
        for (int i = 0; i < all.size(); i++) {
            nameOff[i] = names.size();
            names.writeBytes(all.get(i).name().getBytes(StandardCharsets.ISO_8859_1));
            names.write(0);
        }
        nameOff[all.size()] = names.size();
        names.writeBytes(".shstrtab".getBytes(StandardCharsets.ISO_8859_1));
        names.write(0);
        all.add(new Section(".shstrtab", Elf.SHT_STRTAB, 0, 0, names.toByteArray(), 0, 0, 1, 0));

        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[ehsize]);
        long[] offsets = new long[all.size()];
        for (int i = 0; i < all.size(); i++) {
            Section s = all.get(i);
            long align = Math.max(fileAlign, Math.max(1, s.align()));
            while (body.size() % align != 0) {
                body.write(0);
            }
            offsets[i] = body.size();
            if (s.type() != Elf.SHT_NOBITS) {
                body.writeBytes(s.data());
            }
        }
        while (body.size() % 8 != 0) {
            body.write(0);
        }
        long shoff = body.size();
        byte[] out = new byte[(int) shoff + (all.size() + 1) * shent];
        System.arraycopy(body.toByteArray(), 0, out, 0, (int) shoff);
        out[0] = 0x7f;
        out[1] = 'E';
        out[2] = 'L';
        out[3] = 'F';
        out[4] = (byte) (is64 ? Elf.ELFCLASS64 : Elf.ELFCLASS32);
        out[5] = (byte) (little ? Elf.ELFDATA2LSB : Elf.ELFDATA2MSB);
        out[6] = Elf.EV_CURRENT;
        ByteReader.put16(out, 16, type, little);
        ByteReader.put16(out, 18, machine, little);
        ByteReader.put32(out, 20, Elf.EV_CURRENT, little);
        ByteReader.putWord(out, is64 ? 40 : 32, shoff, is64, little);
        ByteReader.put16(out, is64 ? 52 : 40, ehsize, little);
        ByteReader.put16(out, is64 ? 58 : 46, shent, little);
        ByteReader.put16(out, is64 ? 60 : 48, all.size() + 1, little);
        ByteReader.put16(out, is64 ? 62 : 50, all.size(), little);
        for (int i = 0; i < all.size(); i++) {
            Section s = all.get(i);
            int h = (int) shoff + (i + 1) * shent;
            long size = s.data().length;
            ByteReader.put32(out, h, nameOff[i], little);
            ByteReader.put32(out, h + 4, s.type(), little);
            if (is64) {
                ByteReader.put64(out, h + 8, s.flags(), little);
                ByteReader.put64(out, h + 16, s.addr(), little);
                ByteReader.put64(out, h + 24, offsets[i], little);
                ByteReader.put64(out, h + 32, size, little);
                ByteReader.put32(out, h + 40, s.link(), little);
                ByteReader.put32(out, h + 44, s.info(), little);
                ByteReader.put64(out, h + 48, s.align(), little);
                ByteReader.put64(out, h + 56, s.entsize(), little);
            } else {
                ByteReader.put32(out, h + 8, s.flags(), little);
                ByteReader.put32(out, h + 12, s.addr(), little);
                ByteReader.put32(out, h + 16, offsets[i], little);
                ByteReader.put32(out, h + 20, size, little);
                ByteReader.put32(out, h + 24, s.link(), little);
                ByteReader.put32(out, h + 28, s.info(), little);
                ByteReader.put32(out, h + 32, s.align(), little);
                ByteReader.put32(out, h + 36, s.entsize(), little);
            }
        }
        return out;
    }

    /** NUL-terminated strings, one after another ({@code .modinfo}, string tables). */
    public static byte[] cstrings(String... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (String p : parts) {
            o.writeBytes(p.getBytes(StandardCharsets.ISO_8859_1));
            o.write(0);
        }
        return o.toByteArray();
    }
}

package org.preresolver.elf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.testing.ElfBuilder;

/**
 * The {@code elf} package on its own: read/write round trips, and symbol patches plus an appended
 * section on ELF32/ELF64 x little/big endian, each output read back by binutils' {@code readelf}
 * (which reads every class and byte order) and compared with what was written.
 */
class ElfEditorReadelfTest {

    /** The four ELF class/byte-order combinations, with a machine of that kind. */
    enum Kind {
        ELF64_LE(true, ByteOrder.LITTLE_ENDIAN, Elf.EM_X86_64, "ELF64", "little endian"),
        ELF64_BE(true, ByteOrder.BIG_ENDIAN, Elf.EM_PPC64, "ELF64", "big endian"),
        ELF32_LE(false, ByteOrder.LITTLE_ENDIAN, Elf.EM_386, "ELF32", "little endian"),
        ELF32_BE(false, ByteOrder.BIG_ENDIAN, Elf.EM_PPC, "ELF32", "big endian");

        final boolean is64;
        final ByteOrder order;
        final int machine;
        final String readelfClass;
        final String readelfData;

        Kind(boolean is64, ByteOrder order, int machine, String readelfClass, String readelfData) {
            this.is64 = is64;
            this.order = order;
            this.machine = machine;
            this.readelfClass = readelfClass;
            this.readelfData = readelfData;
        }
    }

    /** A small relocatable module: .text, .data, .modinfo, a local, a defined global and three undefined symbols. */
    static byte[] module(Kind k) {
        ElfBuilder b = ElfBuilder.module(k.is64, k.order).machine(k.machine);
        int text = b.section(".text", Elf.SHT_PROGBITS, Elf.SHF_ALLOC | Elf.SHF_EXECINSTR, 0, new byte[48]);
        int data = b.section(".data", Elf.SHT_PROGBITS, Elf.SHF_ALLOC | Elf.SHF_WRITE, 0, new byte[] {1, 2, 3, 4, 5});
        b.modinfo("license=GPL", "name=tiny", "vermagic=6.1.0-0-synthetic SMP");
        b.symbol("local_helper", 8, Elf.STB_LOCAL, Elf.STT_FUNC, text);
        b.symbol("tiny_init", 16, Elf.STB_GLOBAL, Elf.STT_FUNC, text);
        b.symbol("tiny_data", 2, Elf.STB_GLOBAL, Elf.STT_OBJECT, data);
        b.undefined("printk");
        b.undefined("kmalloc_caches");
        b.weakUndefined("maybe_there");
        return b.build();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void readingAndWritingUnchangedGivesIdenticalBytes(Kind k) throws Exception {
        byte[] in = module(k);
        ElfFile f = ElfFile.parse(in);
        assertThat(new ElfEditor(f).toBytes()).isEqualTo(in);
        // Our reading agrees with readelf's.
        Readelf r = Readelf.of(in);
        assertThat(r.stderr()).isEmpty();
        assertThat(r.header()).containsEntry("Class", k.readelfClass);
        assertThat(r.header().get("Data")).contains(k.readelfData);
        assertThat(f.header().is64()).isEqualTo(k.is64);
        assertThat(f.header().order()).isEqualTo(k.order);
        assertThat(f.sections()).hasSize(r.sections().size());
        for (int i = 0; i < f.sections().size(); i++) {
            SectionHeader s = f.sections().get(i);
            String[] row = r.sections().get(i);
            assertThat(s.name()).as("section %d", i).isEqualTo(row[1]);
            assertThat(s.offset()).as("sh_offset of %s", row[1]).isEqualTo(Long.parseLong(row[4], 16));
            assertThat(s.size()).as("sh_size of %s", row[1]).isEqualTo(Long.parseLong(row[5], 16));
        }
        List<Symbol> syms = f.symbolTable().symbols();
        assertThat(syms).hasSize(r.symbols().size());
        for (Symbol s : syms) {
            String[] row = r.symbols().get(s.index());
            assertThat(s.name()).isEqualTo(row[7]);
            assertThat(s.value()).as(s.name()).isEqualTo(Long.parseUnsignedLong(row[1], 16));
            assertThat(ndx(s.shndx())).as(s.name()).isEqualTo(row[6]);
        }
        // The same entries read in place, without a Symbol each (a fresh parse: no table decoded yet).
        ElfFile fresh = ElfFile.parse(in);
        assertThat(fresh.symbolCount()).isEqualTo(r.symbols().size());
        List<Integer> seen = new ArrayList<>();
        fresh.forEachSymbol((i, shndx, value, strings, nameAt) -> {
            String[] row = r.symbols().get(i);
            int end = nameAt;
            while (nameAt >= 0 && strings[end] != 0) {
                end++;
            }
            String name = nameAt < 0 ? "" : new String(strings, nameAt, end - nameAt, StandardCharsets.ISO_8859_1);
            assertThat(name).as("symbol %d", i).isEqualTo(row[7]);
            assertThat(value).as(name).isEqualTo(Long.parseUnsignedLong(row[1], 16));
            assertThat(ndx(shndx)).as(name).isEqualTo(row[6]);
            seen.add(i);
        });
        assertThat(seen).hasSize(r.symbols().size()).isSorted();
    }

    /** Debian's real modules: read then write unchanged gives the same bytes, and undoing an append too. */
    @Test
    void realModulesRoundTripAndAnAppendIsUndoneByTheRecordedPrefix() throws Exception {
        DebianKernel k = DebianKernel.fetch();
        List<Path> kos;
        try (Stream<Path> s = Files.walk(k.modulesDir().resolve("kernel/fs"))) {
            kos = s.filter(p -> p.toString().endsWith(".ko")).sorted(Comparator.comparing(Path::toString)).limit(40)
                    .toList();
        }
        assertThat(kos).hasSize(40);
        for (Path p : kos) {
            byte[] in = Files.readAllBytes(p);
            ElfFile f = ElfFile.parse(in);
            assertThat(new ElfEditor(f).toBytes()).as("%s", p).isEqualTo(in);
            ElfEditor.Appended a = new ElfEditor(f).appendSection(".lkmpr_test", Elf.SHT_PROGBITS, 0, 8,
                    "payload".getBytes(StandardCharsets.ISO_8859_1));
            byte[] back = ElfEditor.restorePrefix(a.bytes(), f.header().is64(), f.header().order(), a.origLength(),
                    a.origShoff(), a.origRawShnum());
            assertThat(back).as("%s", p).isEqualTo(in);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void patchedSymbolsAndAnAppendedSectionAreWhatReadelfSees(Kind k) throws Exception {
        byte[] in = module(k);
        ElfFile f = ElfFile.parse(in);
        Readelf before = Readelf.of(in);
        ElfEditor ed = new ElfEditor(f);
        long printk = k.is64 ? 0xffffffff81234560L : 0xc1234560L;
        long caches = k.is64 ? 0xffffffff82000010L : 0xc2000010L;
        List<Symbol> syms = f.symbolTable().symbols();
        Symbol p = syms.stream().filter(s -> s.name().equals("printk")).findFirst().orElseThrow();
        Symbol c = syms.stream().filter(s -> s.name().equals("kmalloc_caches")).findFirst().orElseThrow();
        ed.setSymbol(p, printk, Elf.SHN_ABS);
        ed.setSymbol(c, caches, Elf.SHN_ABS);
        byte[] payload = "a record of the changes\0".getBytes(StandardCharsets.ISO_8859_1);
        ElfEditor.Appended a = ed.appendSection(".preresolved_test", Elf.SHT_PROGBITS, 0, 8, payload);
        byte[] out = a.bytes();

        Readelf r = Readelf.of(out);
        assertThat(r.stderr()).as("readelf warnings").isEmpty();
        assertThat(r.header()).containsEntry("Class", k.readelfClass);
        assertThat(r.header().get("Data")).contains(k.readelfData);
        int n = before.sections().size();
        assertThat(r.header().get("Number of section headers")).isEqualTo(Integer.toString(n + 1));
        assertThat(r.header().get("Start of section headers")).startsWith(Long.toString(out.length - (long) (n + 1)
                * (k.is64 ? 64 : 40)) + " ");
        // The old sections are as they were (the name table moved: only its offset and size change).
        for (int i = 0; i < n; i++) {
            String[] x = before.sections().get(i);
            String[] y = r.sections().get(i);
            if (x[1].equals(".shstrtab")) {
                assertThat(y[1]).isEqualTo(".shstrtab");
                assertThat(Long.parseLong(y[5], 16)).isEqualTo(Long.parseLong(x[5], 16) + ".preresolved_test".length() + 1);
            } else {
                assertThat(y).as("section %d", i).isEqualTo(x);
            }
        }
        // The new one: name, type, offset, size, no flags, alignment, and its bytes.
        String[] s = r.sections().get(n);
        assertThat(s[1]).isEqualTo(".preresolved_test");
        assertThat(s[2]).isEqualTo("PROGBITS");
        assertThat(Long.parseLong(s[4], 16)).isEqualTo(a.dataOffset()).isGreaterThanOrEqualTo(in.length);
        assertThat(a.dataOffset() % 8).isZero();
        assertThat(Long.parseLong(s[5], 16)).isEqualTo(payload.length);
        assertThat(s).as("no flags: lk, inf, al follow es").hasSize(10);
        assertThat(s[9]).isEqualTo("8");
        assertThat(java.util.Arrays.copyOfRange(out, (int) a.dataOffset(), (int) a.dataOffset() + payload.length))
                .isEqualTo(payload);
        // Symbols: the two patched ones are ABS at the values written; every other row is unchanged.
        assertThat(r.symbols()).hasSameSizeAs(before.symbols());
        for (int i = 0; i < r.symbols().size(); i++) {
            String[] x = before.symbols().get(i);
            String[] y = r.symbols().get(i);
            if (x[7].equals("printk") || x[7].equals("kmalloc_caches")) {
                long want = x[7].equals("printk") ? printk : caches;
                assertThat(x[6]).isEqualTo("UND");
                assertThat(y[6]).as(x[7]).isEqualTo("ABS");
                assertThat(Long.parseUnsignedLong(y[1], 16)).as(x[7]).isEqualTo(want);
                assertThat(y[1]).hasSize(k.is64 ? 16 : 8);
                assertThat(new String[] {y[2], y[3], y[4], y[5], y[7]}).isEqualTo(new String[] {x[2], x[3], x[4], x[5], x[7]});
            } else {
                assertThat(y).as("symbol %s", x[7]).isEqualTo(x);
            }
        }
        // Our own reader sees the same, and the recorded prefix gives the input back once the symbols are undone.
        ElfFile g = ElfFile.parse(out);
        assertThat(g.section(".preresolved_test")).isPresent();
        Symbol gp = g.symbolTable().symbols().get(p.index());
        assertThat(gp.shndx()).isEqualTo(Elf.SHN_ABS);
        assertThat(gp.value()).isEqualTo(printk);
        byte[] prefix = ElfEditor.restorePrefix(out, k.is64, k.order, a.origLength(), a.origShoff(), a.origRawShnum());
        ElfFile pf = ElfFile.parse(prefix);
        ElfEditor undo = new ElfEditor(pf);
        undo.setSymbol(pf.symbolTable().symbols().get(p.index()), 0, Elf.SHN_UNDEF);
        undo.setSymbol(pf.symbolTable().symbols().get(c.index()), 0, Elf.SHN_UNDEF);
        assertThat(undo.toBytes()).isEqualTo(in);
    }

    /**
     * Edits wait until {@link ElfEditor#appendSection} makes the one output array: the output, and
     * every range read through {@link ElfEditor#edited(long, int)} on the way, equal those of an
     * editor whose copy was made first ({@link ElfEditor#edited()}). A symbol patched after its table
     * was given new contents is checked against, and written over, those contents.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void deferredEditsGiveWhatEditsOnACopyGive(Kind k) throws Exception {
        byte[] in = module(k);
        ElfFile f = ElfFile.parse(in);
        SectionHeader data = f.section(".data").orElseThrow();
        SectionHeader symtab = f.symbolTable().section();
        Symbol p = f.symbolTable().symbols().stream().filter(s -> s.name().equals("printk")).findFirst().orElseThrow();
        byte[] payload = "record\0".getBytes(StandardCharsets.ISO_8859_1);
        byte[][] outs = new byte[2][];
        for (int copyFirst = 0; copyFirst < 2; copyFirst++) {
            ElfEditor ed = new ElfEditor(f);
            if (copyFirst == 1) {
                assertThat(ed.edited()).isEqualTo(in); // the copy, made now
            }
            ed.overwriteSection(data.index(), new byte[] {9, 8}, data.info());
            assertThat(ed.edited(data.offset() - 1, 7)).as("a range across the new contents and their zeros")
                    .containsExactly(in[(int) data.offset() - 1], 9, 8, 0, 0, 0, in[(int) data.offset() + 5]);
            // The table again, the same bytes: printk is still the undefined symbol the caller saw.
            ed.overwriteSection(symtab.index(), java.util.Arrays.copyOfRange(in, (int) symtab.offset(),
                    (int) (symtab.offset() + symtab.size())), symtab.info());
            ed.setSymbol(p, 0x1234, Elf.SHN_ABS);
            byte[] entry = ed.edited(p.entryOffset(), k.is64 ? 24 : 16);
            assertThat(ElfFile.parse(in).symbolAt(p.index()).value()).isZero();
            outs[copyFirst] = ed.appendSection(".preresolved_test", Elf.SHT_PROGBITS, 0, 8, payload).bytes();
            assertThat(java.util.Arrays.copyOfRange(outs[copyFirst], (int) p.entryOffset(),
                    (int) p.entryOffset() + entry.length)).isEqualTo(entry);
        }
        assertThat(outs[0]).isEqualTo(outs[1]);
        Symbol q = ElfFile.parse(outs[0]).symbolAt(p.index());
        assertThat(q.value()).isEqualTo(0x1234);
        assertThat(q.shndx()).isEqualTo(Elf.SHN_ABS);
        assertThat(Readelf.of(outs[0]).stderr()).as("readelf warnings").isEmpty();
        assertThat(f.data()).as("the input is never written").isEqualTo(module(k));
    }

    /**
     * A symbol patched twice before the copy is made: the second patch sees the first (the entry
     * changed under the caller), with no section edit pending (plain mode) and with one.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void aPendingSymbolPatchIsWhatTheNextPatchSees(Kind k) throws Exception {
        for (boolean withSection : new boolean[] {false, true}) {
            ElfFile f = ElfFile.parse(module(k));
            Symbol p = f.symbolTable().symbols().stream().filter(s -> s.name().equals("printk")).findFirst()
                    .orElseThrow();
            ElfEditor ed = new ElfEditor(f);
            if (withSection) {
                SectionHeader data = f.section(".data").orElseThrow();
                ed.overwriteSection(data.index(), new byte[] {7}, data.info());
            }
            ed.setSymbol(p, 0x1000, Elf.SHN_ABS);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ed.setSymbol(p, 0x2000, Elf.SHN_ABS))
                    .isInstanceOf(FormatException.class).hasMessageContaining("changed under the editor");
            Symbol q = ElfFile.parse(ed.appendSection(".t", Elf.SHT_PROGBITS, 0, 8, new byte[1]).bytes())
                    .symbolAt(p.index());
            assertThat(q.value()).as("with a section edit: %s", withSection).isEqualTo(0x1000);
        }
    }

    /** A value that does not fit ELF32 is refused, not truncated. */
    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"ELF32_LE", "ELF32_BE"})
    void elf32RefusesA64BitValue(Kind k) throws Exception {
        ElfFile f = ElfFile.parse(module(k));
        Symbol p = f.symbolTable().symbols().stream().filter(s -> s.name().equals("printk")).findFirst().orElseThrow();
        ElfEditor ed = new ElfEditor(f);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ed.setSymbol(p, 0x123456789L, Elf.SHN_ABS))
                .isInstanceOf(FormatException.class).hasMessageContaining("does not fit an ELF32 symbol");
        assertThat(ed.toBytes()).isEqualTo(module(k));
    }

    private static String ndx(int shndx) {
        return switch (shndx) {
            case Elf.SHN_UNDEF -> "UND";
            case Elf.SHN_ABS -> "ABS";
            case Elf.SHN_COMMON -> "COM";
            default -> Integer.toString(shndx);
        };
    }
}

package org.preresolver.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.SectionHeader;
import org.preresolver.kernel.ExportTableReader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelModule;
import org.preresolver.preresolve.RefusedException;
import org.preresolver.testing.ElfWriter;

/**
 * Hostile inputs found by reading the parsers (the fuzzers' findings are replayed by
 * {@link FuzzRegressionTest}): section headers whose data is not in the file ({@code SHT_NOBITS},
 * {@code SHT_NULL}) under names the parsers look up, and control characters in messages.
 */
class HostileInputTest {
    private static final List<KernelExport> EXPORTS = List.of(
            new KernelExport("lkmpr_fn", 0xffffffff81000000L, false, "", 0x1234L),
            new KernelExport("lkmpr_gpl_fn", 0xffffffff81000010L, true, "", 0x5678L));

    /** A module whose {@code name} section is replaced by a header of {@code type} at an offset far beyond the file. */
    private static byte[] moduleWith(String name, long type) {
        ElfWriter e = new ElfWriter(true, true, Elf.ET_REL, Elf.EM_X86_64);
        e.add(".text", Elf.SHT_PROGBITS, Elf.SHF_ALLOC | Elf.SHF_EXECINSTR, new byte[16]);
        int s = e.add(name, Elf.SHT_PROGBITS, Elf.SHF_ALLOC, new byte[128]);
        e.add(".modinfo", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, ElfWriter.cstrings("license=GPL", "name=x"));
        e.symtab(List.of(new ElfWriter.Sym("__ksymtab_lkmpr_mine", 0, 0, Elf.STB_LOCAL, Elf.STT_OBJECT, 1),
                new ElfWriter.Sym("lkmpr_fn", 0, 0, Elf.STB_GLOBAL, Elf.STT_NOTYPE, Elf.SHN_UNDEF)));
        byte[] b = e.build();
        setHeader(b, s, type, 0x7fff_0000L);
        return b;
    }

    /** Sets sh_type and sh_offset of section {@code index} of a 64-bit little-endian file. */
    private static void setHeader(byte[] b, int index, long type, long offset) {
        int h = (int) ByteReader.u64(b, 40, true) + 64 * index;
        ByteReader.put32(b, h + 4, type, true);
        ByteReader.put64(b, h + 24, offset, true);
    }

    @Test
    void versionsSectionWithoutFileDataIsEmptyNotAnIndexError() throws FormatException {
        KernelModule m = KernelModule.parse(moduleWith("__versions", Elf.SHT_NOBITS));
        assertThat(m.versions().present()).isTrue();
        assertThat(m.versions().crcs()).isEmpty();
    }

    @Test
    void everySectionButNobitsIsRangeCheckedSection0AndNullSectionsIncluded() {
        // An SHT_NULL section pointing beyond the file (it was not checked for section 0).
        assertThatThrownBy(() -> ElfFile.parse(moduleWith(".modinfo", Elf.SHT_NULL))).isInstanceOf(FormatException.class)
                .hasMessageContaining("beyond end of file");
        for (long type : new long[] {Elf.SHT_NULL, Elf.SHT_PROGBITS}) {
            byte[] z = moduleWith("__versions", Elf.SHT_PROGBITS);
            setHeader(z, 2, Elf.SHT_PROGBITS, 16); // __versions back in range
            setHeader(z, 0, type, 0x7fff_0000L);
            int h0 = (int) ByteReader.u64(z, 40, true);
            ByteReader.put64(z, h0 + 32, 64, true);
            assertThatThrownBy(() -> ElfFile.parse(z)).isInstanceOf(FormatException.class)
                    .hasMessageContaining("section 0 data");
        }
    }

    /** Found by Jazzer (fuzz-regressions/jazzer/module-strtab-*): the export scan of a tree's first pass. */
    @Test
    void theExportScanIgnoresASymbolTableWhoseStringTableHasNoFileData() throws FormatException {
        byte[] b = moduleWith("__versions", Elf.SHT_PROGBITS);
        setHeader(b, 2, Elf.SHT_PROGBITS, 16);
        ElfFile f = ElfFile.parse(b);
        SectionHeader strtab = f.section(".strtab").orElseThrow();
        setHeader(b, strtab.index(), Elf.SHT_NOBITS, 0x7fff_0000L);
        byte[] good = moduleWith("__versions", Elf.SHT_PROGBITS);
        setHeader(good, 2, Elf.SHT_PROGBITS, 16);
        assertThat(KernelModule.scanExports(good).exports()).containsExactly("lkmpr_mine");
        assertThat(KernelModule.scanExports(b).exports()).isEmpty();
        assertThatThrownBy(() -> KernelModule.parse(b).elf().symbolTable()).isInstanceOf(FormatException.class);
    }

    @Test
    void exportStringsWithoutFileDataAreAFormatError() throws Exception {
        for (Vmlinux.Layout l : new Vmlinux.Layout[] {Vmlinux.Layout.PREL32_NS, Vmlinux.Layout.ABS64}) {
            byte[] v = Vmlinux.build(l, EXPORTS);
            ElfFile f = ElfFile.parse(v);
            SectionHeader str = f.section("__ksymtab_strings").orElseThrow();
            byte[] bad = v.clone();
            int h = (int) str.headerOffset();
            ByteReader.put32(bad, h + 4, Elf.SHT_NOBITS, true);
            ByteReader.put64(bad, h + 24, 0x7fff_0000L, true);
            assertThatThrownBy(() -> ExportTableReader.read(ElfFile.parse(bad), "v")).as(l.toString())
                    .isInstanceOf(FormatException.class);
        }
    }

    @Test
    void messagesQuotingTheInputStayOnOneLine() {
        FormatException f = new FormatException("name\nwith\u001b[31m escapes\u009b", 16);
        assertThat(f.getMessage()).isEqualTo("name\\x0awith\\x1b[31m escapes\\x9b at 0x10");
        assertThat(f.withSource("a\nb.ko").getMessage()).startsWith("a\\x0ab.ko: name\\x0a");
        RefusedException r = new RefusedException(RefusedException.Kind.VERMAGIC_MISMATCH, "vermagic release 6\n1.0");
        assertThat(r.getMessage()).isEqualTo("vermagic release 6\\x0a1.0");
    }
}

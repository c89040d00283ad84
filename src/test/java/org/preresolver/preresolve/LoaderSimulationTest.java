package org.preresolver.preresolve;

import org.preresolver.kernel.ModuleSignature;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.Relocation;
import org.preresolver.elf.SectionHeader;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.LoaderRelocations;
import org.preresolver.qemu.DebianKernel;

/**
 * The build-time proof of anchor mode, on Debian's ext4.ko: the anchored output loads like the original at
 * two slides; an output with one addend off by 8, a relocation moved to another symbol, or plain (absolute)
 * symbols, which do not follow the slide, fails the simulation. So the check can fail, and does where
 * the kernel would load a module wrongly.
 */
class LoaderSimulationTest {
    private static KernelExports kernel;
    private static ElfFile original;
    private static byte[] anchored;
    private static byte[] plain;
    private static final LoaderRelocations X86 = LoaderRelocations.of(Elf.EM_X86_64).orElseThrow();

    @BeforeAll
    static void preresolveExt4() throws Exception {
        DebianKernel debian = DebianKernel.fetch();
        kernel = KernelLoader.fromImage(debian.vmlinux(), null).exports();
        byte[] file = Files.readAllBytes(debian.modulesDir().resolve("kernel/fs/ext4/ext4.ko"));
        original = ElfFile.parse(ModuleSignature.withoutSignature(file));
        Options o = Options.defaults().withStripSignature(true);
        anchored = new Preresolver(kernel, o.withMode(Options.Mode.ANCHOR)).process(file).output();
        plain = new Preresolver(kernel, o.withMode(Options.Mode.PLAIN)).process(file).output();
    }

    @Test
    void theAnchoredOutputLoadsLikeTheOriginalAtBothSlides() throws Exception {
        LoaderSimulation.check(original, ElfFile.parse(anchored), kernel, X86);
        assertThat(LoaderSimulation.SLIDES).hasSize(2).doesNotHaveDuplicates();
    }

    @Test
    void plainOutputDoesNotFollowTheSlide() throws Exception {
        assertThatThrownBy(() -> LoaderSimulation.check(original, ElfFile.parse(plain), kernel, X86))
                .isInstanceOf(LoaderSimulation.Mismatch.class).hasMessageContaining("differs");
    }

    @Test
    void oneAddendOffByEightIsCaught() throws Exception {
        byte[] bad = anchored.clone();
        long at = firstRebasedEntry(ElfFile.parse(bad));
        ByteReader.put64(bad, (int) at + 16, ByteReader.u64(bad, (int) at + 16, true) + 8, true);
        assertThatThrownBy(() -> LoaderSimulation.check(original, ElfFile.parse(bad), kernel, X86))
                .isInstanceOf(LoaderSimulation.Mismatch.class);
    }

    @Test
    void aRelocationMovedToAnotherSymbolIsCaught() throws Exception {
        byte[] bad = anchored.clone();
        long at = firstRebasedEntry(ElfFile.parse(bad));
        long info = ByteReader.u64(bad, (int) at + 8, true);
        ByteReader.put64(bad, (int) at + 8, info - (1L << 32), true); // the symbol before the anchor
        assertThatThrownBy(() -> LoaderSimulation.check(original, ElfFile.parse(bad), kernel, X86))
                .isInstanceOf(LoaderSimulation.Mismatch.class);
    }

    @Test
    void reorderedRelocationsAreLoadedInFullAndStillEqual() throws Exception {
        // Two entries swapped: no longer pairwise alike, so both files are loaded in full; the images
        // are still equal (different places), and an addend changed as well is still caught that way.
        byte[] swapped = anchored.clone();
        long at = firstRebasedEntry(ElfFile.parse(swapped));
        byte[] first = Arrays.copyOfRange(swapped, (int) at, (int) at + 24);
        System.arraycopy(swapped, (int) at + 24, swapped, (int) at, 24);
        System.arraycopy(first, 0, swapped, (int) at + 24, 24);
        LoaderSimulation.check(original, ElfFile.parse(swapped), kernel, X86);

        byte[] bad = swapped.clone();
        ByteReader.put64(bad, (int) at + 24 + 16, ByteReader.u64(bad, (int) at + 24 + 16, true) + 8, true);
        assertThatThrownBy(() -> LoaderSimulation.check(original, ElfFile.parse(bad), kernel, X86))
                .isInstanceOf(LoaderSimulation.Mismatch.class).hasMessageContaining("differs");
    }

    @Test
    void oneChangedByteOfLoadedCodeIsCaught() throws Exception {
        byte[] bad = anchored.clone();
        SectionHeader text = ElfFile.parse(bad).section(".text").orElseThrow();
        bad[(int) text.offset()] ^= 0x40; // an opcode byte (endbr64 or call), not a relocated field
        assertThatThrownBy(() -> LoaderSimulation.check(original, ElfFile.parse(bad), kernel, X86))
                .isInstanceOf(LoaderSimulation.Mismatch.class).hasMessageContaining(".text");
    }

    /**
     * A relocation section that anchor mode left byte for byte (it names only symbols below the
     * first anchored one) is compared by its symbols' values: one such symbol moved by 8 in the
     * output's {@code .symtab} is caught, with the same entries in both files.
     */
    @Test
    void aSymbolMovedUnderUnchangedRelocationsIsCaught() throws Exception {
        ElfFile out = ElfFile.parse(anchored);
        // A symbol that only relocation sections left as they were name.
        java.util.Map<Integer, String> unchanged = new java.util.TreeMap<>();
        java.util.Set<Integer> elsewhere = new java.util.HashSet<>();
        for (SectionHeader s : out.sections()) {
            if (s.type() != Elf.SHT_RELA || !out.sections().get((int) s.info()).isAlloc()) {
                continue;
            }
            var before = original.relocations(original.sections().get(s.index()));
            var after = out.relocations(s);
            boolean same = before.sameEntries(after);
            for (int i = 0; i < after.size(); i++) {
                if (same) {
                    unchanged.putIfAbsent(after.symbol(i), out.sections().get((int) s.info()).name());
                } else {
                    elsewhere.add(after.symbol(i));
                }
            }
        }
        unchanged.keySet().removeAll(elsewhere);
        unchanged.keySet().removeIf(x -> x == 0);
        int symbol = unchanged.keySet().stream().findFirst().orElse(-1);
        String section = unchanged.get(symbol);
        assertThat(symbol).as("a loaded section's relocations left as they were").isPositive();
        org.preresolver.elf.Symbol sym = out.symbolAt(symbol);
        assertThat(sym.shndx()).as("a defined symbol").isBetween(1, Elf.SHN_LORESERVE - 1);
        byte[] bad = anchored.clone();
        int value = (int) sym.entryOffset() + 8; // st_value of Elf64_Sym
        ByteReader.put64(bad, value, ByteReader.u64(bad, value, true) + 8, true);
        String where = section;
        assertThatThrownBy(() -> LoaderSimulation.check(original, ElfFile.parse(bad), kernel, X86))
                .isInstanceOf(LoaderSimulation.Mismatch.class).hasMessageContaining("differs")
                .hasMessageContaining(where);
    }

    /** File offset of the first relocation of a loaded section whose addend anchor mode changed. */
    private static long firstRebasedEntry(ElfFile out) throws Exception {
        for (SectionHeader s : out.sections()) {
            if (s.type() != Elf.SHT_RELA || !out.sections().get((int) s.info()).isAlloc()) {
                continue;
            }
            SectionHeader o = original.sections().get(s.index());
            var before = original.relocations(o);
            var after = out.relocations(s);
            for (int i = 0; i < after.size(); i++) {
                Relocation a = before.get(i);
                Relocation b = after.get(i);
                if (a.addend() != b.addend()) {
                    assertThat(Arrays.asList(a.offset(), a.type())).isEqualTo(Arrays.asList(b.offset(), b.type()));
                    return s.offset() + 24L * i;
                }
            }
        }
        throw new AssertionError("no rebased relocation in ext4.ko");
    }
}

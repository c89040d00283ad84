package org.preresolver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.deleteTree;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.preresolver.testing.TestFiles;
import org.preresolver.elf.Elf;
import org.preresolver.elf.Symbol;
import org.preresolver.testing.CliRun;
import org.preresolver.testing.PreresvLines;

/**
 * Anchor mode, judged by the kernel with KASLR on: Debian's signed functional set goes through
 * {@code preresolve --kernel vmlinuz --strip-signature -o DIR} with no {@code --assume-nokaslr} (the image's
 * config says {@code CONFIG_RANDOMIZE_BASE=y}, so the tool picks anchor mode), and the guest, booted three
 * times WITHOUT {@code nokaslr}, must do with the output everything it does with the std unsigned set: load
 * all, mount ext4 and vfat, write and read back, unmount, unload, with only the unsigned-module taint and
 * the same use counts. Each boot reports {@code _text} from {@code /proc/kallsyms}: the three must differ
 * from each other and from the link-time address, or the boots proved nothing about KASLR (a boot that lands
 * on one of those, about one in 470, is made again: {@link KaslrBoots}).
 * Logs: target/qemu/AnchorKaslrBootTest/.
 */
@Tag("qemu")
class AnchorKaslrBootTest {
    private static final int BOOTS = 3;

    private static FunctionalSet set;
    private static Path outDir;
    private static int toolExit;
    private static String toolErr;
    private static final Map<String, int[]> reported = new LinkedHashMap<>();
    private static BootLog std;
    private static final List<BootLog> boots = new ArrayList<>();

    @BeforeAll
    static void preresolveAndBoot() throws IOException {
        set = StdBoot.set();
        Path work = Host.projectDir().resolve("target/qemu/AnchorKaslrBootTest");
        deleteTree(work);
        outDir = work.resolve("anchored");
        List<String> args = new ArrayList<>(List.of("preresolve", "--kernel", set.kernel().vmlinuz().toString(),
                "--strip-signature", "-o", outDir.toString()));
        for (String m : set.loadOrder()) {
            args.add(set.tree().path(m).toString());
        }
        CliRun r = cli(args);
        toolExit = r.code();
        toolErr = r.err();
        reported.putAll(PreresvLines.byPath(r.out()));
        std = StdBoot.log();
        boots.addAll(KaslrBoots.boot(BOOTS, i -> QemuGuest.x86_64(set.kernel().vmlinuz()).kaslr(true)
                .modules(set.moduleFiles(outDir)).script(KaslrBoots.TEXT_MARK + FunctionalSet.SCRIPT)
                .disk(set.ext4Image()).disk(set.vfatImage()).timeout(java.time.Duration.ofSeconds(300))
                .boot(work.resolve("boot-" + i))));
    }

    @Test
    void toolChoseAnchorModeWithoutAnyOption() {
        assertThat(toolExit).as(toolErr).isZero();
        assertThat(toolErr).doesNotContain("WARNING").doesNotContain("nokaslr");
        assertThat(reported).hasSize(set.loadOrder().size());
    }

    /**
     * Not vacuous: the booted modules are rewritten. Each has fewer undefined symbols than its original, no
     * absolute symbol at an image address (only per-CPU offsets), the undefined symbols it lost are the tool's
     * n, and those that are not absolute are gone from .symtab.
     */
    @Test
    void bootedModulesAreAnchoredNotAbsolute() throws IOException {
        List<Path> files = set.moduleFiles(outDir);
        long rebased = 0;
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            Path original = set.tree().path(set.loadOrder().get(i));
            int[] counts = reported.get(f.getFileName().toString());
            assertThat(counts).as(f.toString()).isNotNull();
            long undefBefore = TestFiles.symbols(original).stream().filter(s -> s.index() > 0 && s.isUndefined()
                    && !s.name().isEmpty()).count();
            List<Symbol> after = TestFiles.symbols(f);
            long undefAfter = after.stream().filter(s -> s.index() > 0 && s.isUndefined() && !s.name().isEmpty())
                    .count();
            long abs = after.stream().filter(s -> s.shndx() == Elf.SHN_ABS && s.bind() != Elf.STB_LOCAL).count();
            // Absolute symbols only for zero-based per-CPU offsets: far below any kernel image address.
            assertThat(after.stream().filter(s -> s.shndx() == Elf.SHN_ABS && s.bind() != Elf.STB_LOCAL))
                    .as(f.toString()).allSatisfy(s -> assertThat(s.value()).isLessThan(0x100000L));
            // Every bound symbol stopped being undefined: rebased (gone from .symtab) or absolute.
            assertThat(undefBefore - undefAfter).as(f.toString()).isEqualTo(counts[0]);
            assertThat(after).as(f.toString()).hasSize((int) (TestFiles.symbols(original).size() - (counts[0] - abs)));
            rebased += counts[0] - abs;
        }
        assertThat(rebased).isGreaterThan(1000);
    }

    @Test
    void everyBootRandomisedTheKernelDifferently() {
        for (BootLog b : boots) {
            assertThat(b.timedOut()).as(b.summary()).isFalse();
            assertThat(b.completed()).as(b.summary()).isTrue();
            assertThat(b.kernelLines()).noneMatch(l -> l.contains("Command line:") && l.contains("nokaslr"));
            assertThat(b.marker("TEXT")).as(b.summary()).matches("[0-9a-f]{16}");
        }
        // A boot at the link-time base or at an earlier boot's proves nothing about KASLR; KaslrBoots made
        // another in its place.
        assertThat(KaslrBoots.randomisedBases(boots)).as("_text of the boots, other than "
                + KaslrBoots.LINK_TIME_TEXT).hasSize(BOOTS);
    }

    @Test
    void everyBootLoadsMountsWritesAndUnloadsLikeTheStdSet() {
        for (BootLog b : boots) {
            assertThat(b.insmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(set.loadOrder());
            assertThat(b.failedInsmods()).as(b.summary()).isEmpty();
            assertThat(b.failedChecks()).as(b.summary()).isEmpty();
            assertThat(b.marker("EXT4_HELLO")).isEqualTo(FunctionalSet.EXT4_HELLO);
            assertThat(b.marker("VFAT_HELLO")).isEqualTo(FunctionalSet.VFAT_HELLO);
            assertThat(b.marker("EXT4_READBACK")).isEqualTo(FunctionalSet.WRITTEN + " ext4");
            assertThat(b.marker("VFAT_READBACK")).isEqualTo(FunctionalSet.WRITTEN + " vfat");
            assertThat(b.failedRmmods()).as(b.summary()).isEmpty();
            assertThat(b.lsmod(FunctionalSet.FINAL)).isEmpty();
            assertThat(b.lsmodDifferences(std)).as(b.summary()).isEmpty();
        }
    }

    @Test
    void onlyTheUnsignedTaintAndNothingWorse() {
        for (BootLog b : boots) {
            assertThat(b.problems()).as(b.summary()).isEmpty();
            assertThat(b.unexpectedTaintLines()).isEmpty();
            assertThat(b.taintEnd()).isEqualTo(BootLog.TAINT_UNSIGNED_MODULE);
        }
    }
}

package org.preresolver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.deleteTree;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.testing.CliRun;
import org.preresolver.testing.PreresvLines;

/**
 * The functional set preresolved by the tool, booted: Debian's signed modules go through
 * {@code preresolve --kernel vmlinuz --assume-nokaslr --strip-signature -o DIR}, and the guest (booted with
 * {@code nokaslr}) must do with them everything it does with the std unsigned set, booted just before:
 * load all, mount ext4 and vfat, read, write, read back, unmount, unload all, with only the unsigned-module
 * taint, and with the same {@code /proc/modules} use counts, users and sizes at every snapshot.
 * Logs: target/qemu/PreresolvedBootTest/ (the std boot's: target/qemu/StdModulesBootTest/).
 */
@Tag("qemu")
class PreresolvedBootTest {

    private static FunctionalSet set;
    private static Path preDir;
    private static int toolExit;
    private static String toolErr;
    /** File name to (preresolved, undefined) as the tool reported it. */
    private static final Map<String, int[]> reported = new LinkedHashMap<>();
    private static BootLog std;
    private static BootLog pre;

    @BeforeAll
    static void preresolveAndBoot() throws IOException {
        set = StdBoot.set(); // shared with StdModulesBootTest: the same std boot serves both
        preDir = Host.projectDir().resolve("target/qemu/PreresolvedBootTest/preresolved");
        deleteTree(preDir.getParent());

        // The tool, in-process, on Debian's signed originals, against the real image (config beside it).
        List<String> args = new ArrayList<>(List.of("preresolve", "--kernel", set.kernel().vmlinuz().toString(),
                "--assume-nokaslr", "--strip-signature", "-o", preDir.toString()));
        for (String m : set.loadOrder()) {
            args.add(set.tree().path(m).toString());
        }
        CliRun r = cli(args);
        toolExit = r.code();
        toolErr = r.err();
        reported.putAll(PreresvLines.byPath(r.out()));

        std = StdBoot.log();
        pre = set.boot(preDir, preDir.resolveSibling("boot-preresolved"));
        System.out.printf("PreresolvedBootTest: %d modules; std boot %d ms, preresolved boot %d ms; logs %s, %s%n",
                set.loadOrder().size(), std.elapsed().toMillis(), pre.elapsed().toMillis(), std.logFile(),
                pre.logFile());
    }

    /** Global or weak symbols made absolute: what a preresolved module has and an original has not. */
    private static long absoluteSymbols(Path ko) throws IOException {
        try {
            return ElfFile.parse(Files.readAllBytes(ko)).symbolTable().symbols().stream()
                    .filter(s -> s.shndx() == Elf.SHN_ABS && s.bind() != Elf.STB_LOCAL).count();
        } catch (FormatException e) {
            throw new IOException(ko + ": " + e.getMessage(), e);
        }
    }

    @Test
    void toolPreresolvedEveryModuleWithOneKaslrWarning() {
        assertThat(toolExit).as(toolErr).isZero();
        assertThat(toolErr.strip().lines().toList()).singleElement().asString()
                .startsWith("lkm-preresolver: WARNING:").contains("nokaslr");
        assertThat(reported).hasSize(set.loadOrder().size());
    }

    /** Not vacuous: the modules booted really are preresolved, ext4 with hundreds of absolute symbols. */
    @Test
    void bootedModulesReallyArePreresolved() throws IOException {
        List<Path> files = set.moduleFiles(preDir);
        assertThat(files).hasSameSizeAs(set.loadOrder());
        long total = 0;
        for (Path f : files) {
            String name = f.getFileName().toString();
            int[] counts = reported.get(name);
            assertThat(counts).as(name).isNotNull();
            long abs = absoluteSymbols(f);
            assertThat(abs).as(name).isEqualTo(counts[0]);
            Path original = set.tree().path(set.loadOrder().get(files.indexOf(f)));
            assertThat(absoluteSymbols(original)).as(name).isZero();
            assertThat(SignatureStripper.isSigned(Files.readAllBytes(original))).as(name).isTrue();
            if (abs > 0) {
                assertThat(SignatureStripper.isSigned(Files.readAllBytes(f))).as(name).isFalse();
            } else {
                // Nothing to preresolve (no undefined symbol at all): copied unchanged, signature intact.
                assertThat(counts[1]).as(name).isZero();
                assertThat(Files.readAllBytes(f)).as(name).isEqualTo(Files.readAllBytes(original));
            }
            total += abs;
        }
        Path ext4 = files.get(set.loadOrder().indexOf("ext4"));
        assertThat(ext4.getFileName().toString()).isEqualTo("ext4.ko");
        assertThat(absoluteSymbols(ext4)).isGreaterThan(200);
        assertThat(total).isGreaterThan(1000);
        System.out.printf("PreresolvedBootTest: %d symbols preresolved in %d modules (ext4: %d of %d)%n", total,
                files.size(), reported.get("ext4.ko")[0], reported.get("ext4.ko")[1]);
    }

    @Test
    void bothBootsCompleteWithNokaslr() {
        for (BootLog log : List.of(std, pre)) {
            assertThat(log.timedOut()).as(log.summary()).isFalse();
            assertThat(log.completed()).as(log.summary()).isTrue();
            assertThat(log.exitCode()).as(log.summary()).isZero();
            assertThat(log.marker("KERNEL")).isEqualTo(set.kernel().release());
            assertThat(log.kernelLines()).anyMatch(l -> l.contains("Command line:") && l.contains("nokaslr"));
        }
    }

    @Test
    void allPreresolvedModulesLoad() {
        assertThat(pre.insmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(set.loadOrder());
        assertThat(pre.failedInsmods()).as(pre.summary()).isEmpty();
        assertThat(pre.lsmod(FunctionalSet.LOADED)).extracting(BootLog.LsmodEntry::name)
                .containsExactlyInAnyOrderElementsOf(set.loadOrder());
        assertThat(pre.lsmod(FunctionalSet.LOADED)).allSatisfy(e -> assertThat(e.state()).isEqualTo("Live"));
    }

    @Test
    void filesystemsWorkWithPreresolvedModules() {
        assertThat(pre.failedChecks()).as(pre.summary()).isEmpty();
        assertThat(pre.markers("DISK_MISSING")).isEmpty();
        assertThat(pre.markers("CHECK")).hasSize(8);
        assertThat(pre.marker("EXT4_HELLO")).isEqualTo(FunctionalSet.EXT4_HELLO);
        assertThat(pre.marker("VFAT_HELLO")).isEqualTo(FunctionalSet.VFAT_HELLO);
        assertThat(pre.marker("EXT4_READBACK")).isEqualTo(FunctionalSet.WRITTEN + " ext4");
        assertThat(pre.marker("VFAT_READBACK")).isEqualTo(FunctionalSet.WRITTEN + " vfat");
        assertThat(pre.kernelLines()).anyMatch(l -> l.contains("EXT4-fs (vda): mounted filesystem"));
    }

    @Test
    void onlyTheUnsignedTaintAndNothingWorse() {
        assertThat(pre.problems()).as(pre.summary()).isEmpty();
        assertThat(pre.unexpectedTaintLines()).isEmpty();
        assertThat(pre.taintLines()).singleElement().asString().contains(BootLog.UNSIGNED_TAINT);
        assertThat(pre.marker("TAINT_START")).isEqualTo("0");
        assertThat(pre.taintEnd()).isEqualTo(BootLog.TAINT_UNSIGNED_MODULE).isEqualTo(std.taintEnd());
    }

    @Test
    void useCountsUsersAndSizesEqualTheStdBoot() {
        assertThat(std.failedInsmods()).as(std.summary()).isEmpty();
        assertThat(pre.lsmodTags()).containsExactly(FunctionalSet.LOADED, FunctionalSet.MOUNTED,
                FunctionalSet.REMOUNTED, FunctionalSet.UNMOUNTED, FunctionalSet.FINAL);
        assertThat(pre.lsmodDifferences(std)).isEmpty();
        // Not vacuous: the snapshots do show dependencies and mounts.
        assertThat(pre.useCounts(FunctionalSet.MOUNTED)).containsEntry("ext4", 1).containsEntry("virtio_blk", 2)
                .containsEntry("jbd2", 1);
        for (String tag : List.of(FunctionalSet.LOADED, FunctionalSet.MOUNTED)) {
            Map<String, Long> stdSizes = new LinkedHashMap<>();
            std.lsmod(tag).forEach(e -> stdSizes.put(e.name(), e.size()));
            Map<String, Long> preSizes = new LinkedHashMap<>();
            pre.lsmod(tag).forEach(e -> preSizes.put(e.name(), e.size()));
            assertThat(preSizes).as(tag).isEqualTo(stdSizes);
        }
    }

    @Test
    void allPreresolvedModulesUnloadInReverseOrder() {
        List<String> reverse = new ArrayList<>(set.loadOrder());
        Collections.reverse(reverse);
        assertThat(pre.rmmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(reverse);
        assertThat(pre.failedRmmods()).as(pre.summary()).isEmpty();
        assertThat(pre.lsmod(FunctionalSet.FINAL)).isEmpty();
    }
}

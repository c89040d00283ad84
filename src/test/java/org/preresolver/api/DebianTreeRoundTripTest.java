package org.preresolver.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.elf.FormatException;
import org.preresolver.io.KernelLoader;
import org.preresolver.io.ModuleCodec;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.report.ModuleReport;
import org.preresolver.report.RunReport;
import org.preresolver.testing.LoadedKernels;

/**
 * Debian's whole module tree (every module signed): preresolve it with --strip-signature, then
 * restore gives back every signed original byte for byte, and a second run changes no byte.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebianTreeRoundTripTest {
    @TempDir
    static Path tmp;

    private static DebianKernel debian;
    private static KernelLoader.LoadedKernel kernel;
    /** Relative paths of the original modules. */
    private static List<String> originals;
    private static RunReport first;
    private static Path out;

    @BeforeAll
    static void preresolveTheTree() throws Exception {
        long t = System.nanoTime();
        debian = DebianKernel.fetch();
        kernel = LoadedKernels.of(debian);
        System.out.printf("DebianTreeRoundTripTest: kernel in %d ms%n", (System.nanoTime() - t) / 1_000_000);
        originals = modules(debian.modulesDir());
        out = tmp.resolve("pre");
        long t0 = System.nanoTime();
        first = run(new RunConfig(List.of(debian.modulesDir()), out, false, false, false, threads(), false, List.of(),
                false));
        System.out.printf("DebianTreeRoundTripTest: %d modules preresolved in %d ms%n", first.moduleCount(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    @Order(1)
    void restoreAfterPreresolveGivesBackEverySignedOriginalByteForByte() throws Exception {
        assertThat(originals).hasSizeGreaterThan(4000);
        assertThat(first.modules()).hasSize(originals.size());
        assertThat(first.failures()).as("failures").isZero();
        assertThat(first.count(ModuleReport.Status.PRERESOLVED)).isGreaterThan(originals.size() - 10);
        assertThat(modules(out)).isEqualTo(originals);

        // Restore every output in memory, in parallel (the CLI's restore writes each file with an
        // fsync; CliTest runs it end to end), and compare with the signed original.
        long t0 = System.nanoTime();
        List<String> changed = Collections.synchronizedList(new ArrayList<>());
        List<String> wrong = Collections.synchronizedList(new ArrayList<>());
        originals.parallelStream().forEach(r -> {
            byte[] orig = read(debian.modulesDir().resolve(r));
            byte[] pre = read(out.resolve(r));
            if (!Arrays.equals(pre, orig)) {
                changed.add(r);
            }
            if (!Arrays.equals(restored(pre, r), orig)) {
                wrong.add(r);
            }
        });
        System.out.printf("DebianTreeRoundTripTest: %d restored in %d ms%n", originals.size(),
                (System.nanoTime() - t0) / 1_000_000);
        assertThat(changed).hasSize((int) first.count(ModuleReport.Status.PRERESOLVED));
        assertThat(wrong).as("modules whose restored bytes differ from the signed original").isEmpty();
    }

    @Test
    @Order(2)
    void aSecondRunOverTheOutputChangesNoByte() throws Exception {
        Map<String, List<Object>> before = stamps(out);
        long t0 = System.nanoTime();
        RunReport second = run(new RunConfig(List.of(out), null, true, false, false, threads(), false, List.of(),
                false));
        System.out.printf("DebianTreeRoundTripTest: second run in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(second.failures()).isZero();
        assertThat(second.count(ModuleReport.Status.UNCHANGED)).isEqualTo(first.count(ModuleReport.Status.PRERESOLVED));
        assertThat(second.count(ModuleReport.Status.NOTHING_TO_DO))
                .isEqualTo(first.count(ModuleReport.Status.NOTHING_TO_DO));
        assertThat(second.count(ModuleReport.Status.PRERESOLVED) + second.count(ModuleReport.Status.RETARGETED)).isZero();
        // Every write goes through a temp file and a rename: same inode, size and mtime means not rewritten.
        assertThat(stamps(out)).as("inode, size and mtime of every module").isEqualTo(before);
    }

    private static RunReport run(RunConfig cfg) throws IOException {
        Options options = Options.defaults().withStripSignature(true).withTool("lkm-preresolver test");
        TreeRunner runner = new TreeRunner(p -> new Preresolver(kernel.exports(), options.withProviders(p)));
        return runner.run(cfg, m -> { });
    }

    private static int threads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** Relative paths of the modules under {@code dir}, sorted. */
    static List<String> modules(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(DebianTreeRoundTripTest::isModule)
                    .map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    private static Map<String, List<Object>> stamps(Path dir) throws IOException {
        Map<String, List<Object>> m = new TreeMap<>();
        for (String r : modules(dir)) {
            Path p = dir.resolve(r);
            m.put(r, List.of(Files.getAttribute(p, "unix:ino"), Files.size(p), Files.getLastModifiedTime(p)));
        }
        return m;
    }

    /** What restore gives for a module file: the original when it is preresolved, else the file. */
    private static byte[] restored(byte[] file, String name) {
        try {
            ModuleCodec.Decoded dec = ModuleCodec.decode(file);
            Optional<byte[]> o = Restore.original(dec.elf());
            return o.isPresent() ? ModuleCodec.encode(o.get(), dec.compression()) : file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (FormatException e) {
            throw new AssertionError(name + ": " + e.getMessage(), e);
        }
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isModule(Path p) {
        return org.preresolver.io.ModuleFiles.isModuleName(p.getFileName().toString());
    }
}

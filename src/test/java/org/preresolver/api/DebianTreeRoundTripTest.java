package org.preresolver.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
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
    private static Map<String, String> originals;
    private static RunReport first;
    private static Path out;

    @BeforeAll
    static void preresolveTheTree() throws Exception {
        long t = System.nanoTime();
        debian = DebianKernel.fetch();
        kernel = LoadedKernels.of(debian);
        System.out.printf("DebianTreeRoundTripTest: kernel in %d ms%n", (System.nanoTime() - t) / 1_000_000);
        t = System.nanoTime();
        originals = hashes(debian.modulesDir());
        System.out.printf("DebianTreeRoundTripTest: hashes in %d ms%n", (System.nanoTime() - t) / 1_000_000);
        out = tmp.resolve("pre");
        long t0 = System.nanoTime();
        first = run(new RunConfig(List.of(debian.modulesDir()), out, false, false, false, threads(), false, List.of()));
        System.out.printf("DebianTreeRoundTripTest: %d modules preresolved in %d ms%n", first.moduleCount(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    @Order(1)
    void restoreAfterPreresolveGivesBackEverySignedOriginalByteForByte() throws Exception {
        assertThat(originals).hasSizeGreaterThan(4000);
        assertThat(first.modules()).hasSize(originals.size());
        assertThat(first.failures()).as("failures").isZero();
        // Nearly every module had something to preresolve; its output must differ from the input.
        assertThat(first.count(ModuleReport.Status.PRERESOLVED)).isGreaterThan(originals.size() - 10);
        Map<String, String> pre = hashes(out);
        long differ = pre.entrySet().stream().filter(e -> !e.getValue().equals(originals.get(e.getKey()))).count();
        assertThat(differ).isEqualTo(first.count(ModuleReport.Status.PRERESOLVED));

        // Restore every output in memory, in parallel (the CLI's restore writes each file with an
        // fsync; CliTest runs it end to end), and compare with the signed original's SHA-256.
        long t0 = System.nanoTime();
        Map<String, String> back = new ConcurrentHashMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(out)) {
            files = s.filter(Files::isRegularFile).filter(DebianTreeRoundTripTest::isModule).toList();
        }
        files.parallelStream().forEach(p -> back.put(out.relativize(p).toString(), restoredSha256(p)));
        System.out.printf("DebianTreeRoundTripTest: %d restored in %d ms%n", back.size(),
                (System.nanoTime() - t0) / 1_000_000);
        assertThat(back.keySet()).containsExactlyInAnyOrderElementsOf(originals.keySet());
        List<String> wrong = new ArrayList<>();
        back.forEach((k, v) -> {
            if (!v.equals(originals.get(k))) {
                wrong.add(k);
            }
        });
        assertThat(wrong).as("modules whose restored SHA-256 differs from the signed original").isEmpty();
    }

    @Test
    @Order(2)
    void aSecondRunOverTheOutputChangesNoByte() throws Exception {
        Map<String, String> before = hashes(out);
        Map<String, Long> mtimes = mtimes(out);
        long t0 = System.nanoTime();
        RunReport second = run(new RunConfig(List.of(out), null, true, false, false, threads(), false, List.of()));
        System.out.printf("DebianTreeRoundTripTest: second run in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(second.failures()).isZero();
        assertThat(second.count(ModuleReport.Status.UNCHANGED)).isEqualTo(first.count(ModuleReport.Status.PRERESOLVED));
        assertThat(second.count(ModuleReport.Status.NOTHING_TO_DO)).isEqualTo(first.count(ModuleReport.Status.NOTHING_TO_DO));
        assertThat(second.count(ModuleReport.Status.PRERESOLVED) + second.count(ModuleReport.Status.RETARGETED)).isZero();
        assertThat(hashes(out)).isEqualTo(before);
        assertThat(mtimes(out)).as("no file was rewritten").isEqualTo(mtimes);
    }

    private static RunReport run(RunConfig cfg) throws IOException {
        Options options = Options.defaults().withStripSignature(true).withTool("lkm-preresolver test");
        TreeRunner runner = new TreeRunner(p -> new Preresolver(kernel.exports(), options.withProviders(p)));
        return runner.run(cfg, m -> { });
    }

    private static int threads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** SHA-256 of every file under {@code dir}, by relative path. */
    static Map<String, String> hashes(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).filter(DebianTreeRoundTripTest::isModule).toList();
        }
        Map<String, String> m = new ConcurrentHashMap<>();
        files.parallelStream().forEach(p -> m.put(dir.relativize(p).toString(), sha256(p)));
        return new TreeMap<>(m);
    }

    private static Map<String, Long> mtimes(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(DebianTreeRoundTripTest::isModule).collect(Collectors.toMap(p -> dir.relativize(p).toString(), p -> {
                try {
                    return Files.getLastModifiedTime(p).toMillis();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, (a, b) -> a, TreeMap::new));
        }
    }

    private static boolean isModule(Path p) {
        return org.preresolver.io.ModuleFiles.isModuleName(p.getFileName().toString());
    }

    /** SHA-256 of what restore gives for {@code p}: the original when it is preresolved, else the file. */
    private static String restoredSha256(Path p) {
        try {
            byte[] file = Files.readAllBytes(p);
            ModuleCodec.Decoded dec = ModuleCodec.decode(file);
            byte[] orig = Restore.original(dec.elf()).map(o -> encode(o, dec)).orElse(file);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(orig));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (FormatException e) {
            throw new AssertionError(p + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] encode(byte[] elf, ModuleCodec.Decoded dec) {
        try {
            return ModuleCodec.encode(elf, dec.compression());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(Path p) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

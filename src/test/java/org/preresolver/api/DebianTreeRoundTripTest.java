package org.preresolver.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import org.preresolver.cli.Cli;
import org.preresolver.cli.ExitCodes;
import org.preresolver.io.KernelLoader;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.report.ModuleReport;
import org.preresolver.report.RunReport;

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
        debian = DebianKernel.fetch();
        kernel = KernelLoader.fromImage(debian.vmlinuz(), null);
        originals = hashes(debian.modulesDir());
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

        Path restored = tmp.resolve("restored");
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        long t0 = System.nanoTime();
        int rc = Cli.run(new String[] {"restore", "-q", "-o", restored.toString(), out.toString()}, new PrintWriter(o),
                new PrintWriter(e));
        System.out.printf("DebianTreeRoundTripTest: restore in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(rc).as(e.toString()).isEqualTo(ExitCodes.OK);
        assertThat(e.toString()).isEmpty();
        Map<String, String> back = hashes(restored);
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
        RunReport second = run(new RunConfig(List.of(out), null, true, false, false, threads(), false, List.of()));
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

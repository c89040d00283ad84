package org.preresolver.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.moduleHashes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.preresolver.testing.CliRun;

/**
 * The whole Debian tree (4023 modules, 391 MB) in a JVM limited to a 256 MiB heap, as a separate
 * process: a dry run, which reads, preresolves, checks and encodes every module as an in-place run
 * does but does not write. Peak RSS via /usr/bin/time when installed. The in-place run of the
 * whole tree under the same limit is in BENCHMARKS.md ("Memory").
 */
class MemoryTest {
    @Test
    void theWholeDebianTreeRunsInA256MiBHeap() throws Exception {
        Fixture fx = Fixture.get();
        List<String> args = new ArrayList<>(List.of("preresolve"));
        args.addAll(fx.kernelArgs());
        args.addAll(List.of("--dry-run", "-j", "2", fx.modules().toString()));
        List<String> cmd = new ArrayList<>();
        boolean time = Files.isExecutable(Path.of("/usr/bin/time"));
        if (time) {
            cmd.addAll(List.of("/usr/bin/time", "-v"));
        }
        cmd.add(Jvm.java());
        cmd.addAll(List.of("-Xmx256m", "-cp", Jvm.classpathString(), "org.preresolver.cli.Main"));
        cmd.addAll(args);
        long t0 = System.nanoTime();
        CliRun r = Fixture.child(Duration.ofMinutes(10), cmd);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.err()).doesNotContain("OutOfMemoryError").doesNotContain("internal error");
        assertThat(r.code()).as(r.err()).isZero();
        long modules;
        try (var s = Files.walk(fx.modules())) {
            modules = s.filter(p -> p.toString().endsWith(".ko")).count();
        }
        assertThat(modules).isGreaterThan(3500);
        assertThat(r.out()).contains("dry run: " + modules + " modules").contains(", 0 errors");
        Matcher m = Pattern.compile("Maximum resident set size \\(kbytes\\): (\\d+)").matcher(r.err());
        String rss = m.find() ? Long.parseLong(m.group(1)) / 1024 + " MiB" : "unknown (no /usr/bin/time)";
        System.out.println("whole Debian tree, dry run, -Xmx256m -j 2: " + ms + " ms, peak RSS " + rss);
    }

    /**
     * A heap too small for the kernel image (decompressed in memory: the exports cache is off):
     * one line and exit 4, not a stack trace (it was).
     */
    @Test
    void aHeapTooSmallForTheKernelIsOneLineNotAStackTrace() throws Exception {
        Fixture fx = Fixture.get();
        List<String> cmd = new ArrayList<>(List.of(Jvm.java(), "-Xmx64m", "-cp", Jvm.classpathString(),
                "org.preresolver.cli.Main", "preresolve", "--kernel", fx.debian.vmlinuz().toString(), "--assume-nokaslr",
                "--strip-signature", "--dry-run", fx.modules().resolve("lib/math").toString()));
        CliRun r = Fixture.child(Duration.ofMinutes(2), cmd, Map.of("LKMPR_CACHE", "off"));
        assertThat(r.code()).as(r.err()).isEqualTo(org.preresolver.cli.ExitCodes.IO);
        assertThat(r.err().strip()).matches("lkm-preresolver: out of memory \\(\\d+ MiB Java heap\\); give Java more "
                + "\\(LKMPR_JAVA_OPTS=-Xmx\\.\\.\\.\\)");
    }

    /**
     * A zstd bomb (8 KiB that inflate to 268 MB, just under the 256 MiB decompression limit) among
     * real modules, in a 256 MiB heap: one error line for it, the others are preresolved (it was
     * an I/O error that ended the whole run). (Its frame records its size, and such a frame is
     * decoded into one array of that size: 268 MB cannot fit a 256 MiB heap, where 250 MB, the
     * bomb before, now fits and is then refused as not ELF.)
     */
    @Test
    void aCompressionBombIsOneModulesErrorNotTheEndOfTheRun(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        Fixture fx = Fixture.get();
        Path tree = tmp.resolve("tree");
        fx.copyModules(tree, "lib/math");
        byte[] zeros = new byte[268_000_000];
        zeros[0] = 0x7f;
        Files.write(tree.resolve("bomb.ko.zst"), com.github.luben.zstd.Zstd.compress(zeros, 19));
        zeros = null;
        Map<String, String> before = moduleHashes(tree);
        List<String> args = new ArrayList<>(List.of("preresolve"));
        args.addAll(fx.kernelArgs());
        args.addAll(List.of("-j", "1", "--in-place", tree.toString()));
        List<String> cmd = new ArrayList<>(List.of(Jvm.java(), "-Xmx256m", "-cp", Jvm.classpathString(),
                "org.preresolver.cli.Main"));
        cmd.addAll(args);
        CliRun r = Fixture.child(Duration.ofMinutes(5), cmd);
        assertThat(r.errors()).singleElement().asString().matches("lkm-preresolver: bomb\\.ko\\.zst: out of memory "
                + "\\(\\d+ MiB Java heap\\); give Java more \\(LKMPR_JAVA_OPTS=-Xmx\\.\\.\\.\\)");
        assertThat(r.code()).isEqualTo(org.preresolver.cli.ExitCodes.BAD_INPUT);
        Map<String, String> after = moduleHashes(tree);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        assertThat(after.keySet().stream().filter(k -> !after.get(k).equals(before.get(k))))
                .as("modules preresolved beside the bomb").hasSize(before.size());
    }
}

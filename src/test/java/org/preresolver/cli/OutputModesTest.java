package org.preresolver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.io.ModuleFiles;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.qemu.Host;
import org.preresolver.testing.CliRun;

/**
 * What a run prints: one stable PRERESV line per module by default, more with -v, only errors
 * with -q; and a progress bar on stderr only on an interactive terminal (a real pseudo-terminal
 * made by util-linux's {@code script}), never in a pipe or with {@code CI} set.
 */
class OutputModesTest {
    /** kbuild's quiet-mode form: two spaces, a tag padded to 8, the path, the counts. */
    static final Pattern LINE = Pattern.compile("^  PRERESV \\S+\\.ko \\((\\d+)/(\\d+)( \\*fully\\*)? preresolved\\)$");

    @TempDir
    static Path tmp;
    static DebianKernel kernel;
    /** A real directory of more than {@link Progress#MIN_MODULES} modules. */
    static Path bigDir;
    static int bigCount;

    @BeforeAll
    static void fetch() throws Exception {
        kernel = DebianKernel.fetch();
        bigDir = kernel.modulesDir().resolve("kernel/crypto");
        bigCount = ModuleFiles.find(List.of(bigDir)).size();
        assertThat(bigCount).isGreaterThan(Progress.MIN_MODULES);
    }

    static List<String> preresolve(String... more) {
        List<String> a = new ArrayList<>(List.of("preresolve", "--kernel", kernel.vmlinuz().toString(),
                "--assume-nokaslr", "--strip-signature", "-n"));
        a.addAll(List.of(more));
        return a;
    }

    static Path smallTree() throws IOException {
        Path dir = tmp.resolve("small");
        if (!Files.isDirectory(dir)) {
            for (String r : List.of("crypto/xor.ko", "crypto/async_tx/async_xor.ko", "lib/crc8.ko")) {
                Path t = dir.resolve(r);
                Files.createDirectories(t.getParent());
                Files.copy(kernel.modulesDir().resolve("kernel").resolve(r), t);
            }
            Files.write(dir.resolve("broken.ko"), "not an ELF file".getBytes(StandardCharsets.US_ASCII));
        }
        return dir;
    }

    @Test
    void byDefaultEachModuleGetsOneKbuildStyleLineAndErrorsGoToStderr() throws IOException {
        CliRun r = cli(preresolve(smallTree().toString()).toArray(String[]::new));
        assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
        List<String> lines = r.out().lines().filter(l -> l.startsWith("  PRERESV")).toList();
        assertThat(lines).hasSize(3).allMatch(l -> LINE.matcher(l).matches());
        assertThat(lines).anyMatch(l -> l.startsWith("  PRERESV crypto/xor.ko ("));
        // nothing else but the summary
        assertThat(r.out().lines().filter(l -> !l.startsWith("  PRERESV"))).allMatch(l -> l.startsWith("dry run: ")
                || l.startsWith("left undefined:") || l.contains("now unsigned"));
        assertThat(r.errors()).singleElement().asString()
                .startsWith("lkm-preresolver: broken.ko: ");
        // Counts in words that agree with them: 4 modules, 1 error, 3 unsigned.
        assertThat(r.out()).contains("dry run: 4 modules, ").contains(", 1 error\n").doesNotContain("1 errors")
                .contains("3 modules are now unsigned");
        CliRun one = cli(preresolve(smallTree().resolve("lib/crc8.ko").toString()).toArray(String[]::new));
        assertThat(one.code()).isEqualTo(ExitCodes.OK);
        assertThat(one.out()).contains("dry run: 1 module, ").contains(", 0 errors\n")
                .contains("1 module is now unsigned").doesNotContain("1 modules");
    }

    @Test
    void verboseExplainsUnderEachLineAndQuietPrintsOnlyErrors() throws IOException {
        CliRun v = cli(preresolve("-v", smallTree().toString()).toArray(String[]::new));
        List<String> out = v.out().lines().toList();
        int preresv = 0;
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).startsWith("  PRERESV")) {
                preresv++;
                assertThat(out.get(i + 1)).startsWith("          ").contains("preresolved");
            }
        }
        assertThat(preresv).isEqualTo(3);
        assertThat(v.out()).contains("exported by a module"); // async_xor's symbols from async_tx and xor

        CliRun q = cli(preresolve("-q", smallTree().toString()).toArray(String[]::new));
        assertThat(q.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(q.out()).isEmpty();
        assertThat(q.err()).contains("broken.ko: ");
    }

    @Test
    void aPipedRunOfABigTreeHasNoProgressBar() throws Exception {
        // TERM says a capable terminal and CI is unset: only the pipes tell that nobody watches.
        Proc p = java(Map.of("TERM", "xterm-256color"), preresolve(bigDir.toString()));
        assertThat(p.code()).isZero();
        assertThat(p.out().lines().filter(l -> LINE.matcher(l).matches())).hasSize(bigCount);
        assertThat(p.err()).doesNotContain("\r").doesNotContainPattern("\\d+/\\d+ modules").doesNotContain("\033[");
        assertThat(p.out()).doesNotContain("\r");
    }

    @Test
    void onAPseudoTerminalTheBarIsDrawnAndErasedButNotWithCiSet() throws Exception {
        String cmd = String.join(" ", javaCommand(preresolve(bigDir.toString())).stream().map(a -> "'" + a + "'")
                .toList());
        Proc tty = run(Map.of("TERM", "xterm-256color"), "script", "-q", "-e", "-c", cmd, "/dev/null");
        assertThat(tty.code()).as(tty.out()).isZero();
        assertThat(tty.out()).contains("\r[").contains("/" + bigCount + " modules")
                .contains(bigCount + "/" + bigCount + " modules 100%").contains("\r\033[K");
        // every PRERESV line still starts on a line of its own, whole
        assertThat(visibleLines(tty.out()).filter(l -> LINE.matcher(l).matches())).hasSize(bigCount);

        Proc ci = run(Map.of("TERM", "xterm-256color", "CI", "true"), "script", "-q", "-e", "-c", cmd, "/dev/null");
        assertThat(ci.code()).isZero();
        assertThat(ci.out()).doesNotContainPattern("\\d+/\\d+ modules").doesNotContain("\033[K");
        assertThat(visibleLines(ci.out()).filter(l -> LINE.matcher(l).matches())).hasSize(bigCount);
    }

    @Test
    void theTerminalDecisionNeedsAConsoleACapableTermNoCiAndStderrOnATerminal() {
        Map<String, String> term = Map.of("TERM", "xterm");
        Optional<String> pts = Optional.of("/dev/pts/3");
        assertThat(Terminal.interactive(true, term, pts)).isTrue();
        assertThat(Terminal.interactive(true, term, Optional.empty())).isTrue();
        assertThat(Terminal.interactive(false, term, pts)).isFalse();
        assertThat(Terminal.interactive(true, Map.of(), pts)).isFalse();
        assertThat(Terminal.interactive(true, Map.of("TERM", "dumb"), pts)).isFalse();
        assertThat(Terminal.interactive(true, Map.of("TERM", "xterm", "CI", "true"), pts)).isFalse();
        assertThat(Terminal.interactive(true, Map.of("TERM", "xterm", "CI", ""), pts)).isTrue();
        assertThat(Terminal.interactive(true, term, Optional.of("pipe:[4711]"))).isFalse();
        assertThat(Terminal.interactive(true, term, Optional.of("/tmp/build.log"))).isFalse();
        assertThat(Terminal.width(Map.of("COLUMNS", "120"))).isEqualTo(120);
        assertThat(Terminal.width(Map.of("COLUMNS", "x"))).isEqualTo(80);
    }

    @Test
    void theBarFitsTheWidthRedrawsAtMostTenTimesASecondAndClearsItself() {
        StringWriter w = new StringWriter();
        AtomicLong now = new AtomicLong();
        Progress p = new Progress(new PrintWriter(w), 200, 60, now::get);
        p.step(); // first draw
        for (int i = 0; i < 98; i++) {
            p.step(); // same instant: no redraw
        }
        assertThat(w.toString().chars().filter(c -> c == '\r').count()).isEqualTo(1);
        now.addAndGet(200_000_000L);
        p.step();
        assertThat(w.toString()).endsWith("\r" + p.bar()).contains("100/200 modules  50%");
        assertThat(p.bar().length()).isLessThanOrEqualTo(60);
        now.addAndGet(1);
        for (int i = 0; i < 100; i++) {
            p.step(); // the last step always draws
        }
        assertThat(w.toString()).endsWith("200/200 modules 100%");
        p.finish();
        assertThat(w.toString()).endsWith("\r\033[K");
        assertThat(Progress.none().active()).isFalse();
    }

    /** The lines as a terminal leaves them: what follows the last erase ({@code \r ESC[K}) or return on each. */
    static java.util.stream.Stream<String> visibleLines(String tty) {
        return tty.lines().map(l -> {
            String t = l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
            int erase = t.lastIndexOf("\033[K");
            if (erase >= 0) {
                return t.substring(erase + 3);
            }
            int cr = t.lastIndexOf('\r');
            return cr >= 0 ? t.substring(cr + 1) : t;
        });
    }

    record Proc(int code, String out, String err) {}

    static List<String> javaCommand(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        return cmd;
    }

    static Proc java(Map<String, String> env, List<String> args) throws Exception {
        return run(env, javaCommand(args).toArray(String[]::new));
    }

    /** Runs with stdout and stderr as separate pipes, stdin from /dev/null, CI removed unless given. */
    static Proc run(Map<String, String> env, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("CI");
        pb.environment().putAll(env);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(new File("/dev/null"));
        pb.directory(Host.projectDir().toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", cmd));
        }
        return new Proc(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}

package org.preresolver.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.preresolver.faults.Jvm;
import org.preresolver.qemu.Host;

/**
 * A bounded coverage-guided session (Jazzer, through its JUnit integration) over every parser,
 * in a separate JVM: {@code lkmpr.fuzz.seconds} (default 30) of fuzzing must find nothing.
 * Longer: {@code mvn test -Dtest=FuzzSessionTest -Dlkmpr.fuzz.seconds=3600} (FUZZING.md). The
 * corpus grows in {@code target/fuzz-session/corpus} and is reused by the next session.
 */
class FuzzSessionTest {

    @Test
    void boundedJazzerSessionOverAllParsersFindsNothing() throws IOException, InterruptedException {
        long seconds = Long.getLong("lkmpr.fuzz.seconds", 30);
        Path work = Host.projectDir().resolve("target/fuzz-session");
        Files.createDirectories(work);
        Path findings = work.resolve("findings");
        if (Files.isDirectory(findings)) {
            try (Stream<Path> s = Files.list(findings)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
        }
        Path seeds = work.resolve("seeds");
        Files.createDirectories(seeds);
        int n = FuzzSession.writeSeeds(seeds);
        Path log = work.resolve("session.log");
        ProcessBuilder pb = new ProcessBuilder(Jvm.java(), "-Xmx1536m", "-XX:-OmitStackTraceInFastThrow",
                "-Dlkmpr.projectDir=" + Host.projectDir(),
                // The child loads the kernel for its seeds: the same one as this JVM (an override included).
                "-D" + org.preresolver.testing.TestKernels.PROPERTY + "=" + org.preresolver.testing.TestKernels.debianAbi(),
                "-cp", Jvm.classpathString(),
                FuzzSession.class.getName(), Long.toString(seconds), work.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("JAZZER_FUZZ", "1");
        Process p = pb.start();
        if (!p.waitFor(seconds + 240, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("fuzz session did not end; see " + log);
        }
        String out = Files.readString(log, StandardCharsets.ISO_8859_1);
        List<Path> found;
        try (Stream<Path> s = Files.list(findings)) {
            found = s.toList();
        }
        long runs = number(out, "stat::number_of_executed_units:\\s*(\\d+)");
        String done = last(out, "#\\d+\\s+DONE[^\\n]*");
        System.out.println("fuzz session: " + n + " seeds, " + seconds + " s, " + runs + " executions; " + done + "; findings " + found
                + "; log " + log);
        assertThat(found).as("crashing inputs (move them to src/test/resources/fuzz-regressions/jazzer/); log " + log)
                .isEmpty();
        assertThat(p.exitValue()).as("session exit status; log " + log).isZero();
        // That the session fuzzed at all, not how fast (timing is for benchmarks).
        assertThat(runs).as("executions in the session; log " + log).isPositive();
    }

    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        long v = -1;
        while (m.find()) {
            v = Long.parseLong(m.group(1));
        }
        return v;
    }

    private static String last(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        String v = "";
        while (m.find()) {
            v = m.group();
        }
        return v;
    }
}

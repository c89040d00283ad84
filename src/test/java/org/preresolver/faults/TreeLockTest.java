package org.preresolver.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.TestFiles.moduleHashes;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.cli.ExitCodes;
import org.preresolver.io.TreeLock;
import org.preresolver.testing.CliRun;

/**
 * Two in-place runs on one tree, as two processes: while the first holds the tree's lock (it is
 * frozen with SIGSTOP right after taking it, so the test does not depend on timing), the second
 * exits with {@link ExitCodes#IO} and a one-line message, and changes nothing; the first then
 * finishes normally and the lock is free again.
 */
class TreeLockTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondInPlaceRunOnTheSameTreeIsRefusedWithExitFourAndDoesNotInterleave() throws Exception {
        Fixture fx = Fixture.get();
        Path work = tmp.resolve("tree");
        fx.copyModules(work, "lib", "arch");
        Map<String, String> orig = moduleHashes(work);
        Path aOut = tmp.resolve("a.out");
        Path aErr = tmp.resolve("a.err");
        Process a = new ProcessBuilder(command(fx, work)).redirectOutput(aOut.toFile()).redirectError(aErr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        boolean stopped = false;
        try {
            awaitLock(a, work);
            Fixture.sh("kill", "-STOP", Long.toString(a.pid()));
            stopped = true;
            Map<String, String> frozen = moduleHashes(work);

            CliRun b = Fixture.child(Duration.ofMinutes(3), command(fx, work));
            assertThat(b.code()).as("second run's exit status; stderr: " + b.err()).isEqualTo(ExitCodes.IO);
            assertThat(b.errors()).as("second run's error lines").hasSize(1);
            assertThat(b.errors().get(0)).contains(work.toString())
                    .contains("another lkm-preresolver run is working on this tree");
            assertThat(b.out()).as("the second run reports no module").doesNotContain("PRERESV");
            assertThat(moduleHashes(work)).as("the tree while the first run is stopped").isEqualTo(frozen);

            Fixture.sh("kill", "-CONT", Long.toString(a.pid()));
            stopped = false;
            assertThat(a.waitFor(3, TimeUnit.MINUTES)).isTrue();
            assertThat(a.exitValue()).as("first run; stderr: " + Files.readString(aErr, StandardCharsets.UTF_8)).isZero();
        } finally {
            if (stopped) {
                Fixture.sh("kill", "-CONT", Long.toString(a.pid()));
            }
            a.destroyForcibly();
        }
        Map<String, String> done = moduleHashes(work);
        assertThat(done.keySet()).isEqualTo(orig.keySet());
        assertThat(done.keySet().stream().filter(k -> !done.get(k).equals(orig.get(k))).count())
                .as("modules the first run preresolved").isGreaterThan(orig.size() / 2L);
        assertThat(Fixture.temps(work)).isEmpty();
        assertThat(Fixture.lockFile(work)).as("lock file after the first run").isFalse();

        // The lock is free again: a third run goes ahead (and finds nothing left to do).
        CliRun c = fx.preresolve("--in-place", "-q", work.toString());
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(moduleHashes(work)).isEqualTo(done);
    }

    @Test
    void aLockHeldByThisProcessAlsoRefusesASecondRun() throws IOException {
        Fixture fx = Fixture.get();
        Path work = tmp.resolve("tree");
        fx.copyModules(work, "lib/math");
        Map<String, String> orig = moduleHashes(work);
        try (TreeLock held = TreeLock.acquire(work.toAbsolutePath())) {
            CliRun r = fx.preresolve("--in-place", work.toString());
            assertThat(r.code()).isEqualTo(ExitCodes.IO);
            assertThat(r.errors()).singleElement().asString().contains("another lkm-preresolver run is working on this tree");
        }
        assertThat(moduleHashes(work)).isEqualTo(orig);
    }

    private static List<String> command(Fixture fx, Path work) {
        List<String> args = new ArrayList<>(List.of("preresolve"));
        args.addAll(fx.kernelArgs());
        args.addAll(List.of("--in-place", "-q", "-j", "1", work.toString()));
        return Fixture.childCommand(List.of(), Jvm.classpathString(), args);
    }

    /** Waits until process {@code p} holds a POSIX lock on the tree's lock file (from /proc/locks). */
    private static void awaitLock(Process p, Path work) throws IOException, InterruptedException {
        Path lock = work.resolve(TreeLock.NAME);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("the first run ended (exit " + p.exitValue() + ") before it was seen holding the lock");
            }
            if (Files.exists(lock)) {
                long ino = (Long) Files.getAttribute(lock, "unix:ino");
                for (String l : Files.readAllLines(Path.of("/proc/locks"))) {
                    String[] f = l.trim().split("\\s+");
                    // "1: POSIX  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"
                    if (f.length > 5 && f[4].equals(Long.toString(p.pid())) && f[5].endsWith(":" + ino)) {
                        return;
                    }
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the first run never took the lock");
    }
}

package org.preresolver.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.TestFiles.copyTree;
import static org.preresolver.testing.TestFiles.moduleHashes;
import static org.preresolver.testing.TestFiles.sha256;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.io.AtomicWriter;
import org.preresolver.io.TreeLock;
import org.preresolver.testing.CliRun;

/**
 * Crash safety of in-place runs: the CLI, as a separate process, is killed with SIGKILL at
 * random moments of in-place runs over a copy of part of Debian's module tree: one kill in three
 * at a random time of the whole run, the others once a random number of the modules the run has
 * to write have been written (seen by their size), so that they land among the writes. After every kill
 * each module must be byte for byte the original or the complete preresolved module (SHA-256
 * against both, the latter from a reference {@code -o} run), nothing else may have appeared but
 * the writer's temp files and the lock file, and the next run must finish the job and remove
 * what the killed runs left. {@code -Dlkmpr.kill.fullTree=true} does the same over the whole tree
 * (4023 modules; minutes, run by hand: docs/robustness.md).
 */
class InPlaceKillTest {
    /** Directories of {@code kernel/} copied: about 200 modules, every size from 6 KiB to 3 MiB. */
    static final String[] SUBSET = {"fs", "lib", "arch"};
    static final int KILLS = 20;

    @TempDir
    Path tmp;

    /** The state of the tree after a kill. */
    record State(int original, int preresolved, int temps, boolean lock) {}

    @Test
    void sigkillAtTwentyRandomMomentsLeavesEveryModuleOriginalOrCompleteAndTheNextRunFinishesAndCleansUp()
            throws IOException, InterruptedException {
        Fixture fx = Fixture.get();
        Path src = tmp.resolve("src");
        if (Boolean.getBoolean("lkmpr.kill.fullTree")) {
            copyTree(fx.modules(), src); // manual run: FUZZING.md
        } else {
            fx.copyModules(src, SUBSET);
        }
        Map<String, String> orig = moduleHashes(src);

        // The reference: the complete preresolved form of every module (-o), and how long a run takes.
        Path ref = tmp.resolve("ref");
        long t0 = System.nanoTime();
        CliRun r = Fixture.child(Duration.ofMinutes(5), command(fx, "-o", ref.toString(), src.toString()));
        long fullMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.code()).as("reference run: " + r.err()).isZero();
        Map<String, String> pre = moduleHashes(ref);
        assertThat(pre.keySet()).isEqualTo(orig.keySet());
        long changed = orig.keySet().stream().filter(k -> !orig.get(k).equals(pre.get(k))).count();
        assertThat(changed).as("modules the reference run changed").isGreaterThan(orig.size() * 9L / 10);

        Map<String, Long> origSize = sizes(src);
        Map<String, Long> preSize = sizes(ref);
        Path work = tmp.resolve("work");
        copyTree(src, work);
        long seed = Long.getLong("lkmpr.kill.seed", System.nanoTime());
        Random rnd = new Random(seed);
        List<String> log = new ArrayList<>();
        log.add("seed " + seed + ", " + orig.size() + " modules, a full run takes " + fullMillis + " ms");
        long estimate = fullMillis;
        int kills = 0;
        int midWrite = 0;
        int cycles = 0;
        int temps = 0;
        while (kills < KILLS && cycles < 3 * KILLS) {
            cycles++;
            // Give every run work to be killed in: put a random third of the modules back.
            for (String m : orig.keySet()) {
                if (rnd.nextInt(3) == 0) {
                    Files.copy(src.resolve(m), work.resolve(m), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            State before = state(work, orig, pre);
            // The modules this run has to write: in their original form, with a different preresolved one.
            List<String> pending = new ArrayList<>();
            for (String m : orig.keySet()) {
                if (!preSize.get(m).equals(origSize.get(m)) && Files.size(work.resolve(m)) == origSize.get(m)) {
                    pending.add(m);
                }
            }
            Process p = new ProcessBuilder(command(fx, "--in-place", "-q", work.toString()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            long start = System.nanoTime();
            String when;
            if (cycles % 3 == 0 || pending.size() < 2) {
                // A random moment of the whole run: JVM start, kernel, lock, temp clean-up, provider scan...
                long delay = (long) (estimate * (0.05 + 0.95 * rnd.nextDouble()));
                when = "at " + delay + " ms";
                if (p.waitFor(delay, TimeUnit.MILLISECONDS)) {
                    long took = (System.nanoTime() - start) / 1_000_000;
                    estimate = (estimate + took) / 2;
                    log.add("cycle " + cycles + ": finished (exit " + p.exitValue() + ") in " + took
                            + " ms, before the kill at " + delay + " ms");
                    continue;
                }
            } else {
                // While modules are being written: once k of the pending ones are (by their size).
                int k = 1 + rnd.nextInt(pending.size() - 1);
                when = "after " + k + " of " + pending.size() + " writes";
                boolean finished = false;
                while (true) {
                    if (!p.isAlive()) {
                        finished = true;
                        break;
                    }
                    int n = 0;
                    for (String m : pending) {
                        if (Files.size(work.resolve(m)) == preSize.get(m)) {
                            n++;
                        }
                    }
                    if (n >= k) {
                        break;
                    }
                    Thread.sleep(1);
                }
                if (finished) {
                    log.add("cycle " + cycles + ": finished (exit " + p.exitValue() + ") before " + when);
                    continue;
                }
                when += ", " + (System.nanoTime() - start) / 1_000_000 + " ms";
            }
            p.destroyForcibly(); // SIGKILL
            p.waitFor();
            kills++;
            State after = state(work, orig, pre);
            boolean mid = after.preresolved() > before.preresolved() && after.original() > 0;
            midWrite += mid ? 1 : 0;
            temps += after.temps();
            log.add("kill " + kills + " " + when + ": " + after.original() + " original, " + after.preresolved()
                    + " preresolved (" + (after.preresolved() - before.preresolved()) + " written by this run), "
                    + after.temps() + " temp files, lock file " + (after.lock() ? "left" : "absent")
                    + (mid ? ", mid-way" : ""));
        }
        log.forEach(System.out::println);
        assertThat(kills).as("kills (" + String.join("; ", log) + ")").isGreaterThanOrEqualTo(KILLS);
        assertThat(midWrite).as("kills that landed while modules were being written").isGreaterThanOrEqualTo(10);

        // The next run finishes the job and cleans up what the killed runs left.
        CliRun fin = Fixture.child(Duration.ofMinutes(5), command(fx, "--in-place", "-q", work.toString()));
        assertThat(fin.code()).as("final run: " + fin.err()).isZero();
        State end = state(work, orig, pre);
        assertThat(moduleHashes(work)).as("every module in its preresolved form after the final run").isEqualTo(pre);
        assertThat(end.temps()).as("temp files after the final run (" + temps + " seen after kills)").isZero();
        assertThat(end.lock()).as("lock file after the final run").isFalse();
        System.out.println("final run: all " + orig.size() + " modules in their preresolved form; " + temps
                + " temp files left by killed runs were removed");
    }

    @Test
    void anInPlaceRunRemovesTempFilesOfAKilledRunAndNothingElse() throws IOException {
        Fixture fx = Fixture.get();
        Path work = tmp.resolve("work");
        fx.copyModules(work, "lib/math");
        Path dir = work.resolve("lib/math");
        Path stale = dir.resolve(".cordic.ko" + AtomicWriter.TEMP_INFIX + "4242-0badf00d");
        Files.write(stale, new byte[1000]);
        Path other = dir.resolve(".keep-me");
        Files.write(other, new byte[] {1});
        Path sub = Files.createDirectories(work.resolve("lib/empty-dir"));
        Path elsewhere = sub.resolve(".x.ko" + AtomicWriter.TEMP_INFIX + "1-1");
        Files.write(elsewhere, new byte[] {2});

        CliRun r = fx.preresolve("--in-place", "-q", work.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(stale).as("stale temp file beside the modules").doesNotExist();
        assertThat(other).as("an unrelated dot file").exists();
        assertThat(elsewhere).as("a temp-like file in a directory without modules is not the run's business").exists();
        assertThat(Fixture.lockFile(work)).isFalse();
    }

    private static List<String> command(Fixture fx, String... more) {
        List<String> args = new ArrayList<>(List.of("preresolve"));
        args.addAll(fx.kernelArgs());
        args.addAll(List.of("-j", "2"));
        args.addAll(List.of(more));
        return Fixture.childCommand(List.of(), Jvm.classpathString(), args);
    }

    private static Map<String, Long> sizes(Path root) throws IOException {
        Map<String, Long> out = new java.util.TreeMap<>();
        for (String m : moduleHashes(root).keySet()) {
            out.put(m, Files.size(root.resolve(m)));
        }
        return out;
    }

    /** Checks every file of the tree and counts. Fails on any module that is neither form. */
    static State state(Path work, Map<String, String> orig, Map<String, String> pre) throws IOException {
        int o = 0;
        int p = 0;
        int t = 0;
        boolean lock = false;
        List<String> seen = new ArrayList<>();
        try (Stream<Path> s = Files.walk(work)) {
            for (Path f : s.filter(x -> !Files.isDirectory(x, LinkOption.NOFOLLOW_LINKS)).toList()) {
                String rel = work.relativize(f).toString();
                String name = f.getFileName().toString();
                if (name.contains(AtomicWriter.TEMP_INFIX)) {
                    t++;
                } else if (rel.equals(TreeLock.NAME)) {
                    lock = true;
                } else {
                    assertThat(orig).as("an unexpected file appeared: " + rel).containsKey(rel);
                    String h = sha256(Files.readAllBytes(f));
                    if (h.equals(orig.get(rel))) {
                        o++;
                    } else {
                        assertThat(h).as(rel + " is neither the original nor the complete preresolved module")
                                .isEqualTo(pre.get(rel));
                        p++;
                    }
                    seen.add(rel);
                }
            }
        }
        assertThat(seen).as("modules present").containsExactlyInAnyOrderElementsOf(orig.keySet());
        return new State(o, p, t, lock);
    }
}

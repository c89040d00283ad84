package org.preresolver.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.moduleHashes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.cli.ExitCodes;
import org.preresolver.io.TreeLock;
import org.preresolver.testing.CliRun;

/**
 * The guards of the one module read and the tree lock hold for every command that touches modules, not
 * only for preresolve: a FIFO named like a module is one line for verify, restore and signature (never a
 * hang), and restore --in-place respects a tree locked by another run.
 */
class CommandGuardsTest {
    @TempDir
    Path tmp;

    @Test
    void aFifoNamedLikeAModuleIsOneLineForEveryCommand() throws Exception {
        Fixture fx = Fixture.get();
        Path dir = tmp.resolve("fifo");
        Files.createDirectories(dir);
        Fixture.sh("mkfifo", dir.resolve("x.ko").toString());
        List<List<String>> commands = List.of(
                List.of("restore", "-n", dir.toString()),
                List.of("restore", "-o", tmp.resolve("out").toString(), dir.toString()),
                List.of("restore", "--in-place", dir.toString()),
                List.of("signature", dir.toString()),
                List.of("verify", "--kernel", fx.vmlinux.toString(), dir.toString()),
                List.of("preresolve", "--kernel", fx.vmlinux.toString(), "-n", dir.toString()));
        for (List<String> c : commands) {
            // A generous hang guard: reading a FIFO without a writer would block for ever.
            CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> cli(c), c::toString);
            assertThat(r.code()).as("%s: %s", c, r.err()).isEqualTo(ExitCodes.IO);
            assertThat(r.errors()).as(c.toString()).singleElement().asString()
                    .startsWith("lkm-preresolver: x.ko: ").contains("not a regular file");
        }
        assertThat(tmp.resolve("out").resolve("x.ko")).doesNotExist();
    }

    @Test
    void restoreInPlaceOnALockedTreeExitsFourAndChangesNothing() throws IOException {
        Fixture fx = Fixture.get();
        Path src = tmp.resolve("src");
        fx.copyModules(src, "lib/math");
        Path work = tmp.resolve("tree");
        CliRun pre = fx.preresolve("-q", "-o", work.toString(), src.toString());
        assertThat(pre.code()).as(pre.err()).isZero();
        Map<String, String> before = moduleHashes(work);
        try (TreeLock held = TreeLock.acquire(work.toAbsolutePath())) {
            CliRun r = cli(List.of("restore", "--in-place", work.toString()));
            assertThat(r.code()).isEqualTo(ExitCodes.IO);
            assertThat(r.errors()).singleElement().asString().contains("another lkm-preresolver run is working on this tree");
        }
        assertThat(moduleHashes(work)).isEqualTo(before);
        // Unlocked, it restores the originals.
        CliRun r = cli(List.of("restore", "--in-place", work.toString()));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(moduleHashes(work)).isEqualTo(moduleHashes(src));
    }
}

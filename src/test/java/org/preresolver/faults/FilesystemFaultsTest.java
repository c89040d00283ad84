package org.preresolver.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.copyTree;
import static org.preresolver.testing.TestFiles.moduleHashes;
import static org.preresolver.testing.TestFiles.sha256;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.cli.ExitCodes;
import org.preresolver.testing.CliRun;

/**
 * File system faults, each in a tree of Debian modules (fs/nls, fat, isofs, udf: 56 on 6.1.0-56): a read-only output directory, a full
 * disk (a 1-3 MiB tmpfs), a module that cannot be read, symbolic links that point outside the
 * tree, and a FIFO named like a module. Each gives one clear error line for the module it hits;
 * the run goes on with the others (stops with {@code --fail-fast}), exits non-zero, leaves no
 * half-written file and never writes through a link.
 *
 * <p>Tests run as root here, and root ignores permissions: the unreadable module is tested by
 * running the CLI as {@code nobody} (setpriv), the read-only directory with {@code chattr +i},
 * the full disk with a tmpfs mount. As another user, permissions (chmod) are used instead, and
 * the full-disk test is skipped.
 */
class FilesystemFaultsTest {
    static final String[] TREE = {"fs/nls", "fs/fat", "fs/isofs", "fs/udf"};
    /** How many modules {@link #TREE} has. */
    static int modules;

    @TempDir
    static Path shared;
    static Path src;
    static Map<String, String> orig;
    static Map<String, String> pre;

    @TempDir
    Path tmp;
    private final List<Runnable> cleanup = new ArrayList<>();

    @BeforeAll
    static void reference() throws IOException {
        Fixture fx = Fixture.get();
        src = shared.resolve("src");
        fx.copyModules(src, TREE);
        orig = moduleHashes(src);
        Path ref = shared.resolve("ref");
        CliRun r = fx.preresolve("-q", "-o", ref.toString(), src.toString());
        assertThat(r.code()).as(r.err()).isZero();
        pre = moduleHashes(ref);
        // The .ko files of those directories in the kernel in use, counted on the file system.
        try (var s = Files.walk(src)) {
            modules = (int) s.filter(p -> p.toString().endsWith(".ko")).count();
        }
        assertThat(orig).hasSize(modules).hasSizeGreaterThan(20);
    }

    @AfterEach
    void undo() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).run();
        }
    }

    // ----- read-only output directory

    @Test
    void aReadOnlyOutputDirectoryFailsItsModulesOneLineEachAndTheOthersAreWritten() throws IOException {
        Path out = tmp.resolve("out");
        Path nls = Files.createDirectories(out.resolve("fs/nls"));
        readOnly(nls);

        CliRun r = Fixture.get().preresolve("-o", out.toString(), src.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.IO);
        List<String> errors = r.errors();
        long inNls = orig.keySet().stream().filter(k -> k.startsWith("fs/nls/")).count();
        assertThat(errors).hasSize((int) inNls).allSatisfy(l -> assertThat(l).matches(
                "lkm-preresolver: fs/nls/[^ ]+\\.ko: cannot write: .*(ermission denied|ot permitted|ead-only).*"));
        assertThat(r.out()).contains("PRERESV fs/udf/udf.ko").contains("PRERESV fs/fat/vfat.ko");
        assertComplete(out, pre, modules - (int) inNls);
        assertThat(Fixture.temps(out)).isEmpty();
    }

    @Test
    void failFastStopsAtTheFirstModuleThatCannotBeWritten() throws IOException {
        Path out = tmp.resolve("out");
        readOnly(Files.createDirectories(out.resolve("fs/nls")));
        CliRun r = Fixture.get().preresolve("--fail-fast", "-j", "1", "-o", out.toString(), src.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.IO);
        assertThat(r.errors()).hasSize(1);
        assertThat(out.resolve("fs/udf/udf.ko")).as("a module after the failure").doesNotExist();
        assertThat(out.resolve("fs/isofs/isofs.ko")).as("a module before the failure").exists();
        assertThat(Fixture.temps(out)).isEmpty();
    }

    // ----- full disk

    @Test
    void aFullDiskFailsTheModulesThatDoNotFitAndLeavesNoPartialFile() throws IOException {
        Path out = tmpfs(tmp.resolve("out"), "1m");
        CliRun r = Fixture.get().preresolve("-o", out.toString(), src.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.IO);
        assertThat(r.errors()).isNotEmpty().allSatisfy(l -> assertThat(l).contains("No space left on device"));
        int written = countModules(out);
        assertThat(written).as("modules that fitted").isPositive();
        assertThat(written + r.errors().size()).as("written + failed").isEqualTo(modules);
        assertComplete(out, pre, written);
        assertThat(Fixture.temps(out)).isEmpty();
    }

    @Test
    void anInPlaceRunOnAFullDiskKeepsEveryOriginalIntact() throws IOException {
        Path work = tmpfs(tmp.resolve("work"), "3m");
        copyTree(src, work);
        // Leave about 120 KiB free: the small modules fit beside their temp file, the large do not.
        long free = Files.getFileStore(work).getUsableSpace();
        Path filler = work.resolve("filler");
        Files.write(filler, new byte[(int) Math.max(0, free - (120 << 10))]);
        String fillerHash = sha256(Files.readAllBytes(filler));

        CliRun r = Fixture.get().preresolve("--in-place", work.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.IO);
        assertThat(r.errors()).isNotEmpty().allSatisfy(l -> assertThat(l).contains("No space left on device"));
        Map<String, String> now = moduleHashes(work);
        assertThat(now.keySet()).isEqualTo(orig.keySet());
        int done = 0;
        for (String m : now.keySet()) {
            if (!now.get(m).equals(orig.get(m))) {
                assertThat(now.get(m)).as(m + " is neither original nor complete").isEqualTo(pre.get(m));
                done++;
            }
        }
        assertThat(done).as("modules preresolved").isPositive();
        assertThat(done + r.errors().size()).isEqualTo(modules);
        assertThat(Fixture.temps(work)).isEmpty();
        assertThat(sha256(Files.readAllBytes(filler))).isEqualTo(fillerHash);
    }

    // ----- unreadable module

    @Test
    void anUnreadableModuleIsOneErrorAndTheRestOfTheTreeIsPreresolved() throws Exception {
        Path work = tmp.resolve("work");
        copyTree(src, work);
        Path bad = work.resolve("fs/nls/nls_cp437.ko");
        CliRun r = runWithUnreadable(work, bad, false);
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.IO);
        assertThat(r.errors()).containsExactly("lkm-preresolver: fs/nls/nls_cp437.ko: cannot read: permission denied");
        Map<String, String> now = moduleHashes(work);
        for (String m : orig.keySet()) {
            assertThat(now.get(m)).as(m).isEqualTo(m.equals("fs/nls/nls_cp437.ko") ? orig.get(m) : pre.get(m));
        }
        assertThat(Fixture.temps(work)).isEmpty();
    }

    @Test
    void failFastStopsAtTheUnreadableModule() throws Exception {
        Path work = tmp.resolve("work");
        copyTree(src, work);
        CliRun r = runWithUnreadable(work, work.resolve("fs/nls/nls_cp437.ko"), true);
        assertThat(r.code()).isEqualTo(ExitCodes.IO);
        assertThat(r.errors()).hasSize(1);
        assertThat(sha256(Files.readAllBytes(work.resolve("fs/udf/udf.ko")))).as("a module after the failure")
                .isEqualTo(orig.get("fs/udf/udf.ko"));
    }

    /**
     * Runs in place with {@code bad} unreadable. As root, as a separate JVM under {@code nobody}
     * (setpriv), with the tree, kernel and class path where {@code nobody} can read them.
     */
    private CliRun runWithUnreadable(Path work, Path bad, boolean failFast) throws Exception {
        Fixture fx = Fixture.get();
        List<String> args = new ArrayList<>(List.of("preresolve", "--kernel", "", "--config", "", "--assume-nokaslr",
                "--strip-signature", "-j", "1", "--in-place", work.toString()));
        if (failFast) {
            args.add(1, "--fail-fast");
        }
        if (!Fixture.isRoot()) {
            Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("---------"));
            cleanup.add(() -> chmod(bad, "rw-r--r--"));
            args.set(args.indexOf("--kernel") + 1, fx.vmlinux.toString());
            args.set(args.indexOf("--config") + 1, fx.debian.config().toString());
            return cli(args);
        }
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path kdir = Files.createDirectories(tmp.resolve("kernel"));
        Path vmlinux = kdir.resolve("vmlinux");
        Files.createLink(vmlinux, fx.vmlinux);
        Path config = Files.copy(fx.debian.config(), kdir.resolve("config"));
        args.set(args.indexOf("--kernel") + 1, vmlinux.toString());
        args.set(args.indexOf("--config") + 1, config.toString());
        Path cp = Files.createDirectories(tmp.resolve("cp"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (Path e : Jvm.classpath()) {
            if (!Files.exists(e)) {
                continue;
            }
            Path dst = cp.resolve(i++ + "-" + e.getFileName());
            if (Files.isDirectory(e)) {
                copyTree(e, dst);
            } else {
                Files.copy(e, dst);
            }
            entries.add(dst.toString());
        }
        Fixture.sh("chmod", "-R", "a+rX", cp.toString(), kdir.toString());
        Fixture.sh("chown", "-R", "nobody:nogroup", work.toString());
        Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("---------"));
        return Fixture.child(Duration.ofMinutes(3), Fixture.childCommand(
                List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"),
                String.join(":", entries), args));
    }

    // ----- symbolic links

    @Test
    void aModuleThatIsASymlinkOutOfTheTreeIsNotFollowedInPlace() throws IOException {
        Path work = tmp.resolve("work");
        copyTree(src, work);
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path victim = Files.copy(src.resolve("fs/isofs/isofs.ko"), outside.resolve("victim.ko"));
        Path link = Files.createSymbolicLink(work.resolve("fs/nls/evil.ko"), Path.of("../../../outside/victim.ko"));

        CliRun r = Fixture.get().preresolve("--in-place", work.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.IO);
        assertThat(r.errors()).containsExactly("lkm-preresolver: fs/nls/evil.ko: is a symbolic link; not followed");
        assertThat(sha256(Files.readAllBytes(victim))).isEqualTo(orig.get("fs/isofs/isofs.ko"));
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readSymbolicLink(link)).isEqualTo(Path.of("../../../outside/victim.ko"));
        assertThat(moduleHashes(work)).as("the other modules").isEqualTo(pre);
    }

    @Test
    void anOutputTreeWithSymlinksOutOfItIsNeverWrittenThrough() throws IOException {
        Path out = tmp.resolve("out");
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path victim = Files.copy(src.resolve("fs/isofs/isofs.ko"), outside.resolve("victim.ko"));
        Files.createDirectories(out.resolve("fs/isofs"));
        Files.createSymbolicLink(out.resolve("fs/isofs/isofs.ko"), victim);
        Path elsewhere = Files.createDirectories(outside.resolve("fat"));
        Files.createSymbolicLink(out.resolve("fs/fat"), elsewhere);

        CliRun r = Fixture.get().preresolve("-o", out.toString(), src.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.IO);
        assertThat(r.errors()).hasSize(4).allSatisfy(l -> assertThat(l).contains("symbolic link"));
        assertThat(r.errors()).anySatisfy(l -> assertThat(l).startsWith("lkm-preresolver: fs/isofs/isofs.ko: "));
        assertThat(sha256(Files.readAllBytes(victim))).as("the file the link points to").isEqualTo(
                orig.get("fs/isofs/isofs.ko"));
        try (Stream<Path> s = Files.list(elsewhere)) {
            assertThat(s.toList()).as("the directory the link points to").isEmpty();
        }
        assertComplete(out, pre, 52);
        assertThat(Fixture.temps(out)).isEmpty();
    }

    // ----- not a regular file

    @Test
    void aFifoNamedLikeAModuleIsAnErrorNotAHang() throws IOException {
        Path work = tmp.resolve("work");
        copyTree(src, work);
        Path fifo = work.resolve("fs/nls/fifo.ko");
        Fixture.sh("mkfifo", fifo.toString());
        CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> Fixture.get().preresolve("--dry-run", "-q", work.toString()));
        assertThat(r.code()).isEqualTo(ExitCodes.IO);
        assertThat(r.errors()).containsExactly("lkm-preresolver: fs/nls/fifo.ko: not a regular file");
    }

    // ----- helpers

    /** Every module under {@code out} is complete (its reference hash); there are {@code n}. */
    private static void assertComplete(Path out, Map<String, String> expected, int n) throws IOException {
        Map<String, String> got = moduleHashes(out);
        assertThat(got).hasSize(n);
        got.forEach((k, v) -> assertThat(v).as(k + " complete").isEqualTo(expected.get(k)));
    }

    private static int countModules(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return (int) s.filter(p -> p.toString().endsWith(".ko") && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .count();
        }
    }

    /** Makes {@code dir} unwritable even for root (chattr +i), or by permissions for other users. */
    private void readOnly(Path dir) throws IOException {
        if (Fixture.isRoot()) {
            Fixture.sh("chattr", "+i", dir.toString());
            cleanup.add(() -> {
                try {
                    Fixture.sh("chattr", "-i", dir.toString());
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        } else {
            chmod(dir, "r-xr-xr-x");
            cleanup.add(() -> chmod(dir, "rwxr-xr-x"));
        }
    }

    private static void chmod(Path p, String perms) {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A small tmpfs at {@code dir} (root only; the test is skipped otherwise). */
    private Path tmpfs(Path dir, String size) throws IOException {
        Assumptions.assumeTrue(Fixture.isRoot(), "mounting a small tmpfs needs root");
        Files.createDirectories(dir);
        Fixture.sh("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
        cleanup.add(() -> {
            try {
                Fixture.sh("umount", dir.toString());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        return dir;
    }
}

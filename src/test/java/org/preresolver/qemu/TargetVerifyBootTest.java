package org.preresolver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.copyTree;
import static org.preresolver.testing.TestFiles.deleteTree;
import static org.preresolver.testing.TestFiles.moduleHashes;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.preresolver.cli.ExitCodes;
import org.preresolver.kernel.SymbolFiles;
import org.preresolver.testing.CliRun;

/**
 * {@code target-script} and {@code verify --target} on Debian's kernel under QEMU. The script that
 * {@code target-script} prints runs in the guest (busybox sh, as root) and captures the running
 * kernel; the capture leaves through a virtio disk (a tar written to /dev/vda). Two boots:
 * <ul>
 * <li>{@code nokaslr}, with the virtio modules preresolved for that kernel loaded (they carry the
 *     capture out): verify --target passes for the preresolved functional set;
 * <li>KASLR (no {@code nokaslr}; only plain modules loaded): verify --target fails with the KASLR
 *     reason. Re-targeting the modules to the addresses of that boot (Module.symvers plus the
 *     captured kallsyms, same release) reports RETARGETED and makes verify --target pass; re-running
 *     against vmlinuz gives back the first output byte for byte.
 * </ul>
 * Logs: target/qemu/TargetVerifyBootTest/.
 */
@Tag("qemu")
class TargetVerifyBootTest {
    private static final List<String> VIRTIO = List.of("virtio_ring", "virtio", "virtio_pci_legacy_dev",
            "virtio_pci_modern_dev", "virtio_pci", "virtio_blk");
    private static final String SCRIPT = """
            load_all
            wait_dev /dev/vda || mark DISK_MISSING vda
            check sh /capture.sh /tmp/cap
            mark CAPTURED "$(ls /tmp/cap | tr '\\n' ' ')"
            check tar -c -f /dev/vda -C /tmp/cap .
            sync
            unload_all
            """;

    static DebianKernel debian;
    static ModuleTree tree;
    static Path work;
    /** The functional set, signed, as Debian ships it. */
    static Path signed;
    /** The same, preresolved against vmlinuz by the CLI. */
    static Path pre;
    /** How many of the set's modules had symbols to preresolve. */
    static long preresolvedCount;
    static int setSize;
    static BootLog nokaslrLog;
    static BootLog kaslrLog;
    static Path nokaslr;
    static Path kaslr;

    @BeforeAll
    static void bootTwiceAndCapture() throws Exception {
        debian = DebianKernel.fetch();
        tree = debian.modules();
        work = Host.projectDir().resolve("target/qemu/TargetVerifyBootTest");
        deleteTree(work);
        Files.createDirectories(work);

        List<String> set = tree.loadOrder(FunctionalSet.MODULES);
        signed = work.resolve("signed");
        for (String m : set) {
            Path to = signed.resolve(tree.relativePath(m));
            Files.createDirectories(to.getParent());
            Files.copy(tree.path(m), to);
        }
        pre = work.resolve("pre");
        CliRun p = cli("preresolve", "-q", "--kernel", debian.vmlinuz().toString(), "--assume-nokaslr",
                "--strip-signature", "-o", pre.toString(), signed.toString());
        assertThat(p.code()).as(p.err()).isZero();
        Map<String, String> a = moduleHashes(signed);
        Map<String, String> b = moduleHashes(pre);
        setSize = set.size();
        preresolvedCount = a.keySet().stream().filter(k -> !a.get(k).equals(b.get(k))).count();

        CliRun ts = cli("target-script");
        assertThat(ts.code()).isZero();
        Path script = work.resolve("lkmpr-capture.sh");
        Files.writeString(script, ts.out(), StandardCharsets.UTF_8);

        List<String> virtio = tree.loadOrder(VIRTIO);
        List<Path> preVirtio = new ArrayList<>();
        List<Path> stdVirtio = new ArrayList<>();
        for (String m : virtio) {
            preVirtio.add(pre.resolve(tree.relativePath(m)));
            Path std = work.resolve("std").resolve(tree.relativePath(m));
            SignatureStripper.stripFile(tree.path(m), std);
            stdVirtio.add(std);
        }

        nokaslrLog = boot("nokaslr", preVirtio, script, false);
        nokaslr = extract(work.resolve("nokaslr.img"), work.resolve("capture-nokaslr"));
        kaslrLog = boot("kaslr", stdVirtio, script, true);
        kaslr = extract(work.resolve("kaslr.img"), work.resolve("capture-kaslr"));
    }

    private static BootLog boot(String name, List<Path> modules, Path script, boolean withKaslr) throws IOException {
        Path img = work.resolve(name + ".img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(32L << 20);
        }
        BootLog log = QemuGuest.x86_64(debian.vmlinuz()).modules(modules).script(SCRIPT)
                .file(script, "/capture.sh").kaslr(withKaslr)
                .qemuArgs("-drive", "file=" + img.toAbsolutePath() + ",format=raw,if=virtio")
                .timeout(Duration.ofSeconds(240)).boot(work.resolve("boot-" + name));
        System.out.printf("TargetVerifyBootTest: %s boot %d ms, log %s%n", name, log.elapsed().toMillis(),
                log.logFile());
        return log;
    }

    /** The tar the guest wrote to the disk, unpacked. */
    private static Path extract(Path img, Path dir) throws IOException {
        Files.createDirectories(dir);
        try (InputStream in = Files.newInputStream(img); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (!e.isFile()) {
                    continue;
                }
                Path to = dir.resolve(Path.of(e.getName()).getFileName().toString());
                Files.copy(tar, to);
            }
        }
        return dir;
    }

    @Test
    void theBootsRanThePrintedScriptAndTheCaptureCameOut() throws Exception {
        for (BootLog log : List.of(nokaslrLog, kaslrLog)) {
            assertThat(log.completed()).as(log.summary()).isTrue();
            assertThat(log.failedInsmods()).as(log.summary()).isEmpty();
            assertThat(log.failedChecks()).as(log.summary()).isEmpty();
            assertThat(log.markers("DISK_MISSING")).isEmpty();
            assertThat(log.marker("CAPTURED")).isEqualTo("cmdline kallsyms notes release");
            assertThat(log.problems()).as(log.summary()).isEmpty();
        }
        for (Path c : List.of(nokaslr, kaslr)) {
            assertThat(Files.readString(c.resolve("release")).strip()).isEqualTo(debian.release());
            assertThat(Files.size(c.resolve("kallsyms"))).isGreaterThan(1_000_000);
        }
        assertThat(Files.readString(nokaslr.resolve("cmdline"))).contains("nokaslr");
        assertThat(Files.readString(kaslr.resolve("cmdline"))).doesNotContain("nokaslr");
        // The notes carry the build-id of the vmlinux the modules were preresolved against.
        String buildId = org.preresolver.kernel.RunningKernel.buildIdFromNotes(
                Files.readAllBytes(nokaslr.resolve("notes"))).orElseThrow();
        assertThat(buildId).hasSize(40)
                .isEqualTo(org.preresolver.testing.LoadedKernels.of(debian).exports().identity().buildId());
    }

    @Test
    void verifyTargetPassesForANokaslrBoot() {
        CliRun v = cli("verify", "--target", nokaslr.toString(), pre.toString(), work.resolve("std").toString());
        assertThat(v.code()).as(v.err() + v.out()).isEqualTo(ExitCodes.OK);
        long ok = v.out().lines().filter(l -> l.startsWith("  OK      ")).count();
        assertThat(ok).isEqualTo(preresolvedCount).isGreaterThanOrEqualTo(80);
        // Plain: the std virtio modules, and the set's modules that had nothing to preresolve (copied signed).
        long plain = VIRTIO.size() + setSize - preresolvedCount;
        assertThat(v.out().lines().filter(l -> l.startsWith("  PLAIN   ")).count()).isEqualTo(plain);
        assertThat(v.out()).contains("verify: " + ok + " ok, 0 stale, " + plain + " not preresolved");
    }

    @Test
    void verifyTargetFailsForAKaslrBootAndSaysWhy() throws Exception {
        assumeKaslrMovedTheKernel();
        CliRun v = cli("verify", "-q", "--target", kaslr.toString(), pre.toString());
        assertThat(v.code()).as(v.err()).isEqualTo(ExitCodes.STALE);
        List<String> lines = v.out().lines().toList();
        assertThat(lines).hasSizeGreaterThanOrEqualTo(80).allSatisfy(l -> assertThat(l)
                .startsWith("  STALE   ")
                .containsPattern(": kernel booted with KASLR: \\S+ is at 0x[0-9a-f]+, preresolved 0x[0-9a-f]+ \\(")
                .contains("/proc/cmdline has no 'nokaslr'); boot it with 'nokaslr'")
                .doesNotContain("release").doesNotContain("build-id"));
    }

    @Test
    void aCaptureReadWithoutRootIsAClearError() throws Exception {
        Path zero = work.resolve("capture-nonroot");
        Files.createDirectories(zero);
        for (String f : List.of("release", "notes", "cmdline")) {
            Files.copy(nokaslr.resolve(f), zero.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        // What /proc/kallsyms shows a user: the same lines, every address 0.
        try (Stream<String> s = Files.lines(nokaslr.resolve("kallsyms"), StandardCharsets.ISO_8859_1)) {
            Files.write(zero.resolve("kallsyms"), s.map(l -> "0000000000000000" + l.substring(l.indexOf(' ')))
                    .toList(), StandardCharsets.ISO_8859_1);
        }
        CliRun v = cli("verify", "--target", zero.toString(), pre.toString());
        assertThat(v.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(v.out()).isEmpty();
        assertThat(v.err().lines().toList()).singleElement().satisfies(l -> assertThat(l)
                .startsWith("lkm-preresolver: " + zero + ": kallsyms: every address is 0")
                .contains("capture it again as root"));
    }

    @Test
    void retargetingToTheKaslrBootsAddressesMakesVerifyPassAndVmlinuzGivesTheFirstOutputBack() throws Exception {
        assumeKaslrMovedTheKernel();
        Path re = work.resolve("retarget");
        deleteTree(re);
        copyTree(pre, re);
        Path symvers = debian.root().resolve("usr/src/linux-headers-" + debian.release() + "/Module.symvers");
        CliRun p = cli("preresolve", "-v", "--symvers", symvers.toString(), "--system-map",
                kaslr.resolve("kallsyms").toString(), "--release", debian.release(), "--config",
                debian.config().toString(), "--assume-nokaslr", "--strip-signature", "--in-place", re.toString());
        assertThat(p.code()).as(p.err()).isZero();
        long retargeted = p.out().lines().filter(l -> l.startsWith("          retargeted")).count();
        assertThat(retargeted).as(p.out()).isGreaterThanOrEqualTo(80);
        assertThat(p.out().lines().filter(l -> l.startsWith("          unchanged")).count()).isZero();

        CliRun ok = cli("verify", "--target", kaslr.toString(), re.toString());
        assertThat(ok.code()).as(ok.out() + ok.err()).isEqualTo(ExitCodes.OK);
        assertThat(ok.out()).contains("verify: " + retargeted + " ok, 0 stale");
        CliRun stale = cli("verify", "-q", "--target", nokaslr.toString(), re.toString());
        assertThat(stale.code()).isEqualTo(ExitCodes.STALE);

        CliRun back = cli("preresolve", "-v", "--kernel", debian.vmlinuz().toString(), "--assume-nokaslr",
                "--strip-signature", "--in-place", re.toString());
        assertThat(back.code()).as(back.err()).isZero();
        assertThat(back.out().lines().filter(l -> l.startsWith("          retargeted")).count()).isEqualTo(retargeted);
        assertThat(moduleHashes(re)).isEqualTo(moduleHashes(pre));
    }

    /** KASLR picks one of hundreds of slots; in the rare boot that keeps the link address there is nothing to test. */
    private static void assumeKaslrMovedTheKernel() throws Exception {
        Map<String, Long> n = SymbolFiles.parseSystemMap(Files.readAllBytes(nokaslr.resolve("kallsyms")));
        Map<String, Long> k = SymbolFiles.parseSystemMap(Files.readAllBytes(kaslr.resolve("kallsyms")));
        assumeThat(k.get("_printk")).as("KASLR slot").isNotEqualTo(n.get("_printk"));
    }
}

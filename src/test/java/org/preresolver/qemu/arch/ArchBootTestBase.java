package org.preresolver.qemu.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.deleteTree;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.Architecture;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.SymbolFiles;
import org.preresolver.qemu.BootLog;
import org.preresolver.qemu.Host;
import org.preresolver.qemu.ModuleTree;
import org.preresolver.qemu.QemuGuest;
import org.preresolver.qemu.SignatureStripper;
import org.preresolver.testing.CliRun;

/**
 * The whole route on one architecture, with Debian's own kernel and modules:
 * <ol>
 * <li>fetch the image and headers packages and a static busybox for the architecture;</li>
 * <li>boot with {@code nokaslr} and capture {@code /proc/kallsyms} (the lines of vmlinux's exports and
 * {@link Kallsyms#IMAGE_BOUNDS});</li>
 * <li>read the exports with the tool: from the image where it holds the tables (i386 bzImage,
 * ppc64el vmlinux), else from Module.symvers plus the captured kallsyms; compare them with
 * Module.symvers (name, CRC, GPL, namespace) and kallsyms (address);</li>
 * <li>preresolve a functional set with the CLI ({@code --strip-signature}, {@code --assume-nokaslr});</li>
 * <li>boot again, load the set, mount an ext4 and a vfat image through loop devices, write and
 * read back, unmount, unload; capture kallsyms again.</li>
 * </ol>
 * Logs and files: {@code target/qemu/<TestClass>/}.
 */
@Tag("qemu")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ArchBootTestBase {
    /** Asked for; {@link #order} adds the dependencies. Modules built into a kernel are dropped. */
    static final List<String> WANTED = List.of("loop", "crc16", "crc32c_generic", "mbcache", "jbd2", "ext4", "fat",
            "vfat", "msdos", "nls_cp437", "nls_iso8859-1", "nls_utf8", "gf128mul", "ecb", "xts", "ctr", "cmac",
            "sha512_generic", "md4", "libdes", "des_generic");
    /** Must be modules on every architecture: the file systems used for real, and a dependency chain. */
    static final List<String> REQUIRED = List.of("ext4", "jbd2", "mbcache", "fat", "vfat");

    static final String EXT4_HELLO = "hello from the ext4 image";
    static final String VFAT_HELLO = "hello from the vfat image";
    static final String WRITTEN = "written by the guest";

    static final String FS_SCRIPT = """
            load_all
            lsmod_snapshot loaded
            mkdir -p /mnt/ext4 /mnt/vfat
            check mount -t ext4 -o loop /images/ext4.img /mnt/ext4
            check mount -t vfat -o loop,codepage=437,iocharset=utf8 /images/vfat.img /mnt/vfat
            mark EXT4_HELLO "$(cat /mnt/ext4/hello.txt)"
            mark VFAT_HELLO "$(cat /mnt/vfat/hello.txt)"
            lsmod_snapshot mounted
            echo "written by the guest ext4" > /mnt/ext4/written.txt
            echo "written by the guest vfat" > /mnt/vfat/written.txt
            check umount /mnt/ext4
            check umount /mnt/vfat
            check mount -t ext4 -o loop /images/ext4.img /mnt/ext4
            check mount -t vfat -o loop,codepage=437,iocharset=iso8859-1 /images/vfat.img /mnt/vfat
            mark EXT4_READBACK "$(cat /mnt/ext4/written.txt)"
            mark VFAT_READBACK "$(cat /mnt/vfat/written.txt)"
            check umount /mnt/ext4
            check umount /mnt/vfat
            for d in /dev/loop[0-9]*; do losetup -d $d 2>/dev/null; done
            lsmod_snapshot unmounted
            unload_all
            lsmod_snapshot final
            """;

    final GuestArch arch;
    ArchKernel kernel;
    ModuleTree tree;
    List<String> order;
    Path work;
    Path kallsymsFile;
    List<SymbolFiles.SymversEntry> symvers;
    KernelExports exports;
    BootLog capture;
    Map<String, Long> kallsyms;
    BootLog boot;
    Map<String, Long> kallsymsAgain;
    int cliExit;
    String cliOut;
    String cliErr;
    List<String> cliArgs;
    /** Module file name (e.g. ext4.ko) to {preresolved, undefined}. */
    final Map<String, int[]> counts = new LinkedHashMap<>();

    ArchBootTestBase(GuestArch arch) {
        this.arch = arch;
    }

    @BeforeAll
    void run() throws Exception {
        long t0 = System.nanoTime();
        work = Host.projectDir().resolve("target/qemu/" + getClass().getSimpleName());
        deleteTree(work);
        Files.createDirectories(work);
        kernel = ArchKernel.fetch(arch);
        long tFetched = System.nanoTime();
        tree = kernel.modules();
        List<String> wanted = WANTED.stream().filter(tree::isModule).toList();
        order = tree.loadOrder(wanted);

        // The originals, signed as Debian ships them.
        Path orig = work.resolve("orig");
        copyModules(tree, order, orig);
        Disks disks = disks(work.resolve("images"));
        Path ext4 = disks.ext4();
        Path vfat = disks.vfat();

        // 1. The exports of vmlinux per Module.symvers: the names whose kallsyms lines the guest prints.
        symvers = SymbolFiles.parseSymvers(Files.readAllBytes(kernel.symvers()));
        List<String> names = symvers.stream().filter(SymbolFiles.SymversEntry::fromVmlinux)
                .map(SymbolFiles.SymversEntry::name).toList();
        Path namesFile = Kallsyms.writeNames(work, names);
        kallsymsFile = work.resolve("kallsyms.txt");
        List<String> kernelArgs;
        if (arch.imageRoute()) {
            // 2a. The image holds the tables: no first boot; kallsyms is captured in the preresolved boot.
            kernelArgs = List.of("--kernel", kernel.image().toString());
            exports = KernelLoader.fromImage(kernel.image(), kernel.config()).exports();
        } else {
            // 2b. A first nokaslr boot captures kallsyms; exports are Module.symvers plus its addresses.
            Kallsyms.Captured c = Kallsyms.capture(kernel, namesFile, Duration.ofSeconds(180), work, kallsymsFile);
            capture = c.log();
            kallsyms = Kallsyms.globals(c.lines());
            kernelArgs = List.of("--symvers", kernel.symvers().toString(), "--system-map", kallsymsFile.toString(),
                    "--release", kernel.release());
            exports = KernelLoader.fromSymbolFiles(kernel.symvers(), kallsymsFile, kernel.config(), kernel.release())
                    .exports();
        }
        long tCaptured = System.nanoTime();

        // 3. Preresolve with the CLI.
        Path pre = work.resolve("pre");
        cliArgs = new ArrayList<>(List.of("preresolve"));
        cliArgs.addAll(kernelArgs);
        cliArgs.addAll(List.of("--config", kernel.config().toString(), "--assume-nokaslr", "--strip-signature"));
        cliArgs.addAll(extraPreresolveArgs());
        cliArgs.addAll(List.of("-j", "2", "-o", pre.toString(), orig.toString()));
        CliRun r = cli(cliArgs);
        cliExit = r.code();
        cliOut = r.out();
        cliErr = r.err();
        Files.writeString(work.resolve("preresolve.out"), String.join(" ", cliArgs) + "\n" + cliOut + cliErr);
        counts.putAll(org.preresolver.testing.PreresvLines.byFileName(cliOut));
        long tPreresolved = System.nanoTime();

        // 4. Boot the preresolved set.
        List<Path> files = new ArrayList<>();
        for (String m : order) {
            Path p = pre.resolve(tree.relativePath(m));
            files.add(Files.exists(p) ? p : orig.resolve(tree.relativePath(m)));
        }
        QemuGuest guest = kernel.guest().modules(files).script(FS_SCRIPT + extraScript() + Kallsyms.script())
                .file(namesFile, Kallsyms.NAMES).file(ext4, "/images/ext4.img").file(vfat, "/images/vfat.img")
                .timeout(Duration.ofSeconds(300));
        for (Map.Entry<Path, String> f : extraFiles().entrySet()) {
            guest.file(f.getKey(), f.getValue());
        }
        boot = guest.boot(work.resolve("boot-preresolved"));
        List<String> again = Kallsyms.lines(boot);
        kallsymsAgain = Kallsyms.globals(again);
        if (arch.imageRoute()) {
            Files.writeString(kallsymsFile, String.join("\n", again) + "\n", StandardCharsets.ISO_8859_1);
            kallsyms = kallsymsAgain;
        }
        long tEnd = System.nanoTime();
        int pres = counts.values().stream().mapToInt(c -> c[0]).sum();
        int undef = counts.values().stream().mapToInt(c -> c[1]).sum();
        System.out.printf(java.util.Locale.ROOT, "%s: %s %s, %d exports (%s), %d modules, %d/%d symbols preresolved; "
                + "fetch %.1f s, exports (with capture boot) %.1f s, preresolve %.1f s, preresolved boot %.1f s, total %.1f s%n",
                getClass().getSimpleName(), arch.debian(), kernel.release(), exports.size(), exports.source(),
                order.size(), pres, undef, s(tFetched - t0), s(tCaptured - tFetched), s(tPreresolved - tCaptured),
                s(tEnd - tPreresolved), s(tEnd - t0));
    }

    /**
     * Options added to the preresolve command line: {@code --allow-unverified-arch} until the
     * architecture table marks the architecture verified (by this test).
     */
    List<String> extraPreresolveArgs() {
        return Architecture.of(arch.machine()).map(Architecture::isVerified).orElse(false) ? List.of()
                : List.of("--allow-unverified-arch");
    }

    /** Guest script run after the file-system part, before the second kallsyms capture. */
    String extraScript() throws Exception {
        return "";
    }

    /** Extra files for the preresolved boot's initramfs: host file to guest path. */
    Map<Path, String> extraFiles() throws Exception {
        return Map.of();
    }

    private static double s(long nanos) {
        return nanos / 1e9;
    }

    @Test
    void functionalSetIsModulesWithDependencies() {
        for (String r : REQUIRED) {
            assertThat(tree.isModule(r)).as("%s is a module in %s", r, kernel.release()).isTrue();
        }
        assertThat(order).contains("loop", "crc16").hasSizeGreaterThanOrEqualTo(12);
        assertThat(tree.depends("ext4")).contains("jbd2", "mbcache");
        assertThat(tree.depends("vfat")).contains("fat");
        for (String m : order) {
            for (String d : tree.depends(m)) {
                assertThat(order.indexOf(d)).as("%s before %s", d, m).isBetween(0, order.indexOf(m) - 1);
            }
        }
    }

    @Test
    void exportsMatchModuleSymvers() {
        Map<String, SymbolFiles.SymversEntry> want = new LinkedHashMap<>();
        symvers.stream().filter(SymbolFiles.SymversEntry::fromVmlinux).forEach(e -> want.put(e.name(), e));
        assertThat(want).hasSizeGreaterThan(5000);
        assertThat(exports.names()).containsExactlyInAnyOrderElementsOf(want.keySet());
        assertThat(exports.size()).isEqualTo(want.size());
        for (KernelExport e : exports.all()) {
            SymbolFiles.SymversEntry s = want.get(e.name());
            assertThat(e.crc()).as("CRC of %s", e.name()).isEqualTo(s.crc());
            assertThat(e.gplOnly()).as("GPL of %s", e.name()).isEqualTo(s.gplOnly());
            assertThat(e.namespace()).as("namespace of %s", e.name()).isEqualTo(s.namespace());
        }
    }

    @Test
    void exportAddressesMatchTheBootedKernel() {
        BootLog captured = capture != null ? capture : boot;
        assertThat(captured.completed()).as(captured.summary()).isTrue();
        assertThat(captured.marker("KERNEL")).isEqualTo(kernel.release());
        int listed = 0;
        List<String> wrong = new ArrayList<>();
        for (KernelExport e : exports.all()) {
            Long k = kallsyms.get(e.name());
            if (k != null) {
                listed++;
                if (k != e.address()) {
                    wrong.add(String.format("%s: tool 0x%x, kallsyms 0x%x", e.name(), e.address(), k));
                }
            } else if (!arch.imageRoute()) {
                // Not in kallsyms (a variable, without CONFIG_KALLSYMS_ALL): no address, never preresolved.
                assertThat(e.address()).as(e.name()).isZero();
            }
        }
        assertThat(wrong).isEmpty();
        // Functions are always in kallsyms; most exports are functions.
        assertThat(listed).as("exports listed in kallsyms").isGreaterThan(exports.size() * 8 / 10);
    }

    @Test
    void kallsymsIsTheSameInBothBoots() {
        org.junit.jupiter.api.Assumptions.assumeFalse(arch.imageRoute(), "one boot only: exports come from the image");
        assertThat(kallsymsAgain).hasSameSizeAs(kallsyms).isEqualTo(kallsyms);
    }

    @Test
    void preresolveRunSucceeds() {
        assertThat(cliExit).as(cliOut + cliErr).isZero();
        assertThat(counts.keySet()).as(cliOut).containsExactlyInAnyOrderElementsOf(
                order.stream().map(m -> tree.relativePath(m).getFileName().toString()).toList());
        assertThat(counts.get("ext4.ko")[0]).as("ext4 symbols preresolved").isGreaterThan(10);
        int pres = counts.values().stream().mapToInt(c -> c[0]).sum();
        assertThat(pres).isGreaterThan(100);
    }

    @Test
    void preresolvedModulesAreUnsignedCopies() throws IOException {
        for (String m : order) {
            Path p = work.resolve("pre").resolve(tree.relativePath(m));
            byte[] original = Files.readAllBytes(tree.path(m));
            assertThat(p).as(m).exists();
            assertThat(SignatureStripper.isSigned(original)).as(m).isTrue();
            if (counts.get(p.getFileName().toString())[0] > 0) {
                assertThat(SignatureStripper.isSigned(Files.readAllBytes(p))).as(m).isFalse();
            } else {
                // Nothing to preresolve (e.g. crc16 has no undefined symbol): written unchanged, still signed.
                assertThat(Files.readAllBytes(p)).as(m).isEqualTo(original);
            }
        }
    }

    @Test
    void bootCompletes() {
        assertThat(boot.timedOut()).as(boot.summary()).isFalse();
        assertThat(boot.completed()).as(boot.summary()).isTrue();
        assertThat(boot.marker("KERNEL")).isEqualTo(kernel.release());
    }

    @Test
    void allModulesLoad() {
        assertThat(boot.insmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(order);
        assertThat(boot.failedInsmods()).as(boot.summary()).isEmpty();
        assertThat(boot.lsmod("loaded")).extracting(BootLog.LsmodEntry::name).containsExactlyInAnyOrderElementsOf(order);
        assertThat(boot.lsmod("loaded")).allSatisfy(e -> assertThat(e.state()).isEqualTo("Live"));
    }

    @Test
    void filesystemsWork() {
        assertFilesystemsWork(boot);
        assertThat(boot.useCounts("unmounted")).containsEntry("ext4", 0).containsEntry("vfat", 0)
                .containsEntry("nls_iso8859_1", 0);
    }

    @Test
    void onlyTheUnsignedTaintAndNothingWorse() {
        assertThat(boot.problems().stream().filter(l -> !arch.benign(l))).as(boot.summary()).isEmpty();
        assertThat(boot.unexpectedTaintLines()).isEmpty();
        assertThat(boot.taintLines()).singleElement().asString().contains(BootLog.UNSIGNED_TAINT);
        assertThat(boot.marker("TAINT_START")).isEqualTo("0");
        assertThat(boot.taintEnd()).isEqualTo(BootLog.TAINT_UNSIGNED_MODULE);
        if (capture != null) {
            assertThat(capture.problems().stream().filter(l -> !arch.benign(l))).as(capture.summary()).isEmpty();
        }
    }

    @Test
    void allModulesUnloadInReverseOrder() {
        List<String> reverse = new ArrayList<>(order);
        Collections.reverse(reverse);
        assertThat(boot.rmmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(reverse);
        assertThat(boot.failedRmmods()).as(boot.summary()).isEmpty();
        assertThat(boot.lsmod("final")).isEmpty();
    }

    @Test
    void architectureTableNamesThisTest() {
        Architecture a = Architecture.of(arch.machine()).orElseThrow();
        assertThat(a.isVerified()).isTrue();
        assertThat(a.verified()).contains(getClass().getSimpleName());
    }

    /** The modules of {@code order} copied from {@code tree} into {@code dir}, in the tree's layout. */
    static void copyModules(org.preresolver.qemu.ModuleTree tree, List<String> order, Path dir) throws IOException {
        for (String m : order) {
            Path dst = dir.resolve(tree.relativePath(m));
            Files.createDirectories(dst.getParent());
            Files.copy(tree.path(m), dst);
        }
    }

    /** The two disks every functional boot mounts, each holding hello.txt. */
    record Disks(Path ext4, Path vfat) {}

    static Disks disks(Path images) throws IOException {
        Files.createDirectories(images);
        return new Disks(org.preresolver.qemu.DiskImages.ext4(images.resolve("ext4.img"), 8,
                Map.of("hello.txt", EXT4_HELLO + "\n")),
                org.preresolver.qemu.DiskImages.vfat(images.resolve("vfat.img"), 4,
                        Map.of("hello.txt", VFAT_HELLO + "\n")));
    }

    /**
     * What {@link #FS_SCRIPT} shows of a working boot: every check passed, both disks read, written
     * and read back, and the filesystem modules in use while mounted.
     */
    static void assertFilesystemsWork(BootLog b) {
        assertThat(b.failedChecks()).as(b.summary()).isEmpty();
        assertThat(b.markers("CHECK")).hasSize(8);
        assertThat(b.marker("EXT4_HELLO")).isEqualTo(EXT4_HELLO);
        assertThat(b.marker("VFAT_HELLO")).isEqualTo(VFAT_HELLO);
        assertThat(b.marker("EXT4_READBACK")).isEqualTo(WRITTEN + " ext4");
        assertThat(b.marker("VFAT_READBACK")).isEqualTo(WRITTEN + " vfat");
        assertThat(b.useCounts("mounted")).containsEntry("ext4", 1).containsEntry("vfat", 1)
                .containsEntry("nls_cp437", 1).containsEntry("nls_utf8", 1);
    }
}

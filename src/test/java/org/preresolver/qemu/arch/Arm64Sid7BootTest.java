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
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.preresolver.testing.TestFiles;
import org.preresolver.elf.Elf;
import org.preresolver.elf.Symbol;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.SymbolFiles;
import org.preresolver.qemu.BootLog;
import org.preresolver.qemu.Host;
import org.preresolver.qemu.ModInfo;
import org.preresolver.qemu.ModuleTree;
import org.preresolver.qemu.SignatureStripper;
import org.preresolver.testing.CliRun;

/**
 * arm64 on 7.x (issue 17): Debian sid's arm64 kernel (the same ABI as sid's amd64 one, fetched by
 * {@code APT_ARCH=arm64 SUITE=sid scripts/fetch-debian-kernel.sh}) with the functional set of
 * {@link ArchBootTestBase}, in QEMU's virt machine, one boot per mode:
 * <ol>
 * <li>a {@code nokaslr} boot captures the link-time kallsyms lines of vmlinux's exports and the image bounds
 * (the raw arm64 {@code Image} has no symbols: exports come from Module.symvers plus those lines);</li>
 * <li>plain mode: {@code preresolve --assume-nokaslr}, booted with {@code nokaslr};</li>
 * <li>anchor mode: the same command without the option (the config says {@code CONFIG_RANDOMIZE_BASE=y}),
 * booted with KASLR on (QEMU's virt gives the kernel a {@code kaslr-seed}): {@code _stext} must be elsewhere
 * than at link time, every captured symbol moved by that one offset.</li>
 * </ol>
 * Each boot must load the set, mount ext4 and vfat through loop devices, write, read back after a remount,
 * unmount and unload everything, with only the unsigned-module taint. The originals are Debian's signed
 * {@code .ko.xz}, decompressed on the host (busybox insmod hands the file to init_module, which takes ELF).
 * Logs: target/qemu/Arm64Sid7BootTest/.
 */
@Tag("qemu")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Arm64Sid7BootTest {
    private final GuestArch arch = GuestArch.ARM64;
    private ArchKernel kernel;
    private ModuleTree tree;
    private List<String> order;
    private Path work;
    private List<SymbolFiles.SymversEntry> symvers;
    private KernelExports exports;
    private BootLog capture;
    private Map<String, Long> linkTime;
    private final Map<String, Run> runs = new LinkedHashMap<>();

    /** One mode: the tool's run on the set and the boot of its output. */
    record Run(int exit, String out, String err, Map<String, int[]> counts, Path dir, BootLog boot,
            Map<String, Long> kallsyms) {
    }

    @BeforeAll
    void run() throws Exception {
        long t0 = System.nanoTime();
        work = Host.projectDir().resolve("target/qemu/" + getClass().getSimpleName());
        deleteTree(work);
        Files.createDirectories(work);
        kernel = ArchKernel.fetchSuite(arch, "sid");
        tree = kernel.modules();
        order = tree.loadOrder(ArchBootTestBase.WANTED.stream().filter(tree::isModule).toList());
        Path orig = work.resolve("orig");
        for (String m : order) {
            Path dst = orig.resolve(elfName(m));
            Files.createDirectories(dst.getParent());
            Files.write(dst, ModInfo.moduleBytes(tree.path(m)));
        }
        ArchBootTestBase.Disks disks = ArchBootTestBase.disks(work.resolve("images"));
        Path ext4 = disks.ext4();
        Path vfat = disks.vfat();

        symvers = SymbolFiles.parseSymvers(Files.readAllBytes(kernel.symvers()));
        List<String> names = symvers.stream().filter(SymbolFiles.SymversEntry::fromVmlinux)
                .map(SymbolFiles.SymversEntry::name).toList();
        Path namesFile = Kallsyms.writeNames(work, names);
        Path kallsymsFile = work.resolve("kallsyms.txt");
        Kallsyms.Captured first = Kallsyms.capture(kernel, namesFile, Duration.ofSeconds(240), work, kallsymsFile);
        capture = first.log();
        List<String> captured = first.lines();
        linkTime = Kallsyms.globals(captured);
        exports = KernelLoader.fromSymbolFiles(kernel.symvers(), kallsymsFile, kernel.config(), kernel.release())
                .exports();
        long tCaptured = System.nanoTime();

        String script = "echo 0 > /proc/sys/kernel/kptr_restrict\n" + ArchBootTestBase.FS_SCRIPT + Kallsyms.script();
        for (String mode : List.of("plain", "anchor")) {
            Path pre = work.resolve(mode);
            List<String> args = new ArrayList<>(List.of("preresolve", "--symvers", kernel.symvers().toString(),
                    "--system-map", kallsymsFile.toString(), "--release", kernel.release(), "--config",
                    kernel.config().toString(), "--strip-signature"));
            if (mode.equals("plain")) {
                args.add("--assume-nokaslr");
            }
            args.addAll(List.of("-j", "2", "-o", pre.toString(), orig.toString()));
            CliRun r = cli(args);
            Files.writeString(work.resolve(mode + ".out"), String.join(" ", args) + "\n" + r.out() + r.err());
            BootLog b = kernel.guest().kaslr(mode.equals("anchor")).modules(moduleFiles(pre)).script(script)
                    .file(namesFile, Kallsyms.NAMES).file(ext4, "/images/ext4.img").file(vfat, "/images/vfat.img")
                    .timeout(Duration.ofSeconds(360)).boot(work.resolve("boot-" + mode));
            runs.put(mode, new Run(r.code(), r.out(), r.err(),
                    org.preresolver.testing.PreresvLines.byFileName(r.out()), pre, b,
                    b.completed() ? Kallsyms.globals(Kallsyms.lines(b)) : Map.of()));
        }
        long tEnd = System.nanoTime();
        System.out.printf(Locale.ROOT, "%s: %s, %d exports, %d modules, preresolved %d (plain) / %d (anchor) symbols;"
                + " _stext link %x, KASLR boot %s; capture %.1f s, modes %.1f s%n", getClass().getSimpleName(),
                kernel.release(), exports.size(), order.size(), total("plain"), total("anchor"), linkTime.get("_stext"),
                hex(runs.get("anchor").kallsyms().get("_stext")), (tCaptured - t0) / 1e9, (tEnd - tCaptured) / 1e9);
    }

    /** The module's path in the tree without the {@code .xz}: what the tool and the guest get. */
    private Path elfName(String m) {
        Path r = tree.relativePath(m);
        String n = r.getFileName().toString();
        return n.endsWith(".xz") ? r.resolveSibling(n.substring(0, n.length() - 3)) : r;
    }

    private List<Path> moduleFiles(Path dir) {
        return order.stream().map(m -> dir.resolve(elfName(m))).toList();
    }

    private int total(String mode) {
        return runs.get(mode).counts().values().stream().mapToInt(c -> c[0]).sum();
    }

    private static String hex(Long v) {
        return v == null ? "?" : Long.toHexString(v);
    }

    @Test
    void theKernelIsSid7OnArm64WithTheSameAbiAsAmd64() throws IOException {
        assertThat(kernel.release()).matches("7\\.\\d+\\.\\d+\\+deb\\d+-arm64");
        assertThat(kernel.release().replace("-arm64", "-amd64"))
                .isEqualTo(org.preresolver.qemu.DebianKernel.fetchSuite("sid").release());
        String config = Files.readString(kernel.config(), StandardCharsets.ISO_8859_1);
        assertThat(config).contains("\nCONFIG_RANDOMIZE_BASE=y\n", "\nCONFIG_RELOCATABLE=y\n",
                "\n# CONFIG_MODVERSIONS is not set\n");
        assertThat(Host.run(Duration.ofMinutes(1), null, "file", "-b", kernel.image().toString()).output())
                .contains("ARM64 boot executable Image");
        for (String r : ArchBootTestBase.REQUIRED) {
            assertThat(tree.isModule(r)).as(r).isTrue();
        }
        assertThat(tree.relativePath("ext4").getFileName().toString()).isEqualTo("ext4.ko.xz");
        assertThat(order).contains("loop", "crc16").hasSizeGreaterThanOrEqualTo(10);
        for (String m : order) {
            for (String d : tree.depends(m)) {
                assertThat(order.indexOf(d)).as("%s before %s", d, m).isBetween(0, order.indexOf(m) - 1);
            }
        }
    }

    /** Module.symvers against the tool's exports, and the captured kallsyms against their addresses. */
    @Test
    void exportsMatchModuleSymversAndTheBootedKernel() {
        Map<String, SymbolFiles.SymversEntry> want = new LinkedHashMap<>();
        symvers.stream().filter(SymbolFiles.SymversEntry::fromVmlinux).forEach(e -> want.put(e.name(), e));
        assertThat(want).hasSizeGreaterThan(5000);
        assertThat(exports.names()).containsExactlyInAnyOrderElementsOf(want.keySet());
        int listed = 0;
        for (KernelExport e : exports.all()) {
            SymbolFiles.SymversEntry s = want.get(e.name());
            assertThat(e.gplOnly()).as("GPL of %s", e.name()).isEqualTo(s.gplOnly());
            assertThat(e.namespace()).as("namespace of %s", e.name()).isEqualTo(s.namespace());
            Long k = linkTime.get(e.name());
            if (k != null) {
                assertThat(e.address()).as(e.name()).isEqualTo(k);
                listed++;
            }
        }
        assertThat(listed).isGreaterThan(exports.size() * 9 / 10); // CONFIG_KALLSYMS_ALL=y: variables too
        // No modversions on this kernel: modpost wrote 0x00000000 for every export, the kernel checks no CRC,
        // and the tool reads no CRC (else it would hold back every symbol of modules without __versions).
        assertThat(want.values()).allSatisfy(s -> assertThat(s.crc()).isZero());
        assertThat(exports.all()).allSatisfy(e -> assertThat(e.crc()).as(e.name()).isNull());
        assertThat(capture.kernelLines()).anyMatch(l -> l.contains("KASLR disabled on command line"));
    }

    @Test
    void toolRanInPlainModeWithItsWarningAndInAnchorModeWithout() throws IOException {
        Run plain = runs.get("plain");
        Run anchor = runs.get("anchor");
        assertThat(plain.exit()).as(plain.out() + plain.err()).isZero();
        assertThat(plain.err()).contains("WARNING").contains("nokaslr");
        assertThat(anchor.exit()).as(anchor.out() + anchor.err()).isZero();
        assertThat(anchor.err()).doesNotContain("WARNING");
        for (Run r : runs.values()) {
            assertThat(r.counts().keySet()).containsExactlyInAnyOrderElementsOf(
                    order.stream().map(m -> elfName(m).getFileName().toString()).toList());
            assertThat(r.counts().get("ext4.ko")[0]).isGreaterThan(100);
        }
        // Not vacuous: plain mode wrote absolute kernel addresses; anchor mode wrote none, and each
        // rewritten module keeps an undefined vmlinux function as its anchor.
        Path ext4 = elfName("ext4");
        long absPlain = TestFiles.symbols(plain.dir().resolve(ext4)).stream()
                .filter(s -> s.shndx() == Elf.SHN_ABS && s.bind() != Elf.STB_LOCAL && Long.compareUnsigned(s.value(),
                        0xffff000000000000L) >= 0).count();
        assertThat(absPlain).isEqualTo(plain.counts().get("ext4.ko")[0]);
        for (String m : order) {
            Path f = anchor.dir().resolve(elfName(m));
            List<Symbol> after = TestFiles.symbols(f);
            assertThat(after.stream().filter(s -> s.shndx() == Elf.SHN_ABS && s.bind() != Elf.STB_LOCAL
                    && Long.compareUnsigned(s.value(), 0xffff000000000000L) >= 0)).as(f.toString()).isEmpty();
            if (anchor.counts().get(f.getFileName().toString())[0] > 0) {
                assertThat(after.stream().filter(s -> s.index() > 0 && s.isUndefined())
                        .anyMatch(s -> linkTime.containsKey(s.name()))).as("%s keeps its anchor", f).isTrue();
                assertThat(SignatureStripper.isSigned(Files.readAllBytes(f))).as(f.toString()).isFalse();
            }
        }
    }

    @Test
    void plainBootHasNokaslrAndTheLinkTimeAddressesAnchorBootSlid() {
        BootLog plain = runs.get("plain").boot();
        BootLog anchor = runs.get("anchor").boot();
        for (BootLog b : List.of(capture, plain, anchor)) {
            assertThat(b.timedOut()).as(b.summary()).isFalse();
            assertThat(b.completed()).as(b.summary()).isTrue();
            assertThat(b.marker("KERNEL")).isEqualTo(kernel.release());
        }
        assertThat(plain.kernelLines()).anyMatch(l -> l.contains("KASLR disabled on command line"));
        assertThat(runs.get("plain").kallsyms()).isEqualTo(linkTime);
        assertThat(anchor.kernelLines()).noneMatch(l -> l.contains("Command line:") && l.contains("nokaslr"))
                .anyMatch(l -> l.contains("KASLR enabled"));
        Map<String, Long> k = runs.get("anchor").kallsyms();
        long slide = k.get("_stext") - linkTime.get("_stext");
        assertThat(slide).isNotZero();
        List<String> notBySlide = new ArrayList<>();
        for (Map.Entry<String, Long> e : linkTime.entrySet()) {
            Long now = k.get(e.getKey());
            if (now == null || now - e.getValue() != slide) {
                notBySlide.add(e.getKey());
            }
        }
        assertThat(notBySlide).isEmpty();
    }

    @Test
    void bothBootsLoadMountWriteReadBackAndUnload() {
        List<String> reverse = new ArrayList<>(order);
        Collections.reverse(reverse);
        for (Run r : runs.values()) {
            BootLog b = r.boot();
            assertThat(b.insmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(order);
            assertThat(b.failedInsmods()).as(b.summary()).isEmpty();
            assertThat(b.lsmod("loaded")).extracting(BootLog.LsmodEntry::name).containsExactlyInAnyOrderElementsOf(order);
            ArchBootTestBase.assertFilesystemsWork(b);
            assertThat(b.rmmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(reverse);
            assertThat(b.failedRmmods()).as(b.summary()).isEmpty();
            assertThat(b.lsmod("final")).isEmpty();
        }
    }

    @Test
    void onlyTheUnsignedTaintAndNothingWorse() {
        for (Run r : runs.values()) {
            BootLog b = r.boot();
            assertThat(b.problems().stream().filter(l -> !arch.benign(l))).as(b.summary()).isEmpty();
            assertThat(b.unexpectedTaintLines()).isEmpty();
            assertThat(b.taintLines()).singleElement().asString().contains(BootLog.UNSIGNED_TAINT);
            assertThat(b.marker("TAINT_START")).isEqualTo("0");
            assertThat(b.taintEnd()).isEqualTo(BootLog.TAINT_UNSIGNED_MODULE);
        }
    }
}

package org.preresolver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.deleteTree;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.preresolver.testing.CliRun;
import org.preresolver.testing.PreresvLines;

/**
 * The newest kernels as first-class targets (issue 17): Debian trixie's 6.12 and sid's 7.x amd64 kernels,
 * fetched by {@code SUITE=... scripts/fetch-debian-kernel.sh}, each with the functional set of
 * {@link FunctionalSet} preresolved by the tool and judged by that kernel in QEMU, three boots per suite:
 * <ul>
 * <li>plain mode ({@code --assume-nokaslr}), booted once with {@code nokaslr};
 * <li>anchor mode (no option: the config says {@code CONFIG_RANDOMIZE_BASE=y}), booted twice with KASLR,
 *     each boot reporting a different {@code _text} (a boot at the link-time base or at the other's is
 *     made again: {@link KaslrBoots}).
 * </ul>
 * Every boot must load all modules, mount ext4 and vfat, read, write, read back after a remount, unmount
 * and unload everything, with no kernel warning and only the unsigned-module taint; the anchor boots' use
 * counts, users and sizes must equal the plain boot's at every snapshot.
 *
 * <p>The trees are {@code .ko.xz}: the tool gets the signed originals decompressed on the host with
 * xz-java ({@link FunctionalSet#signedFiles()}), and its {@code .ko} output goes to the guest (busybox insmod
 * passes the file to init_module, which takes ELF only). The 7.x modules are ECDSA-signed; on 7.x per-CPU
 * symbols slide with the image, which the tool reads from the image's sections.
 *
 * <p>The module list is 6.1's, with the entries these kernels do not have as modules left out
 * ({@link #SKIPPED}); the load order comes from each module's own {@code depends=} (Debian ships no
 * modules.dep) through {@link ModuleTree#loadOrder}. Logs: target/qemu/NewKernelsBootTest/SUITE/.
 */
@Tag("qemu")
class NewKernelsBootTest {
    /**
     * Entries of {@link FunctionalSet#MODULES} that are no module of the suite's kernel, checked below
     * against its modules.builtin.
     * <ul>
     * <li>6.12: built in: the virtio PCI stack (virtio_ring, virtio, virtio_pci*), crc64, crct10dif_*,
     *     crc-t10dif, ecb, ctr, sha512_generic, sha3_generic, zsmalloc.
     * <li>7.x: built in: the virtio PCI stack, crc64, crc-t10dif, ecb, lz4_compress, lz4, zsmalloc; gone
     *     (the 6.14-6.17 crc and crypto library rework folded the generic C versions into lib/crc and the
     *     renamed crypto modules such as sha512, sha3, chacha, crc32c-cryptoapi): crc32c_generic,
     *     crc32_generic, crc7, crct10dif_common, crct10dif_generic, libcrc32c, xxhash_generic, ghash-generic,
     *     sha512_generic, sha3_generic, blake2b_generic, cryptd, crypto_simd, michael_mic, chacha_generic,
     *     poly1305_generic.
     * </ul>
     */
    static final Map<String, List<String>> SKIPPED = Map.of(
            "trixie", List.of("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
                    "virtio_pci", "crc64", "crct10dif_common", "crct10dif_generic", "crc-t10dif", "ecb", "ctr",
                    "sha512_generic", "sha3_generic", "zsmalloc"),
            "sid", List.of("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
                    "virtio_pci", "crc32c_generic", "crc32_generic", "crc64", "crc7", "crct10dif_common",
                    "crct10dif_generic", "crc-t10dif", "libcrc32c", "xxhash_generic", "ghash-generic", "ecb",
                    "sha512_generic", "sha3_generic", "blake2b_generic", "cryptd", "crypto_simd", "michael_mic",
                    "chacha_generic", "poly1305_generic", "lz4_compress", "lz4", "zsmalloc"));
    private static final List<String> BUILT_IN_ON_SID = List.of("virtio_ring", "virtio", "virtio_pci_legacy_dev",
            "virtio_pci_modern_dev", "virtio_pci", "crc64", "crc-t10dif", "ecb", "lz4_compress", "lz4", "zsmalloc");
    private static final int ANCHOR_BOOTS = 2;

    /** One suite's set, tool runs and boots. */
    record Run(FunctionalSet set, Tool plain, Tool anchor, BootLog plainBoot, List<BootLog> anchorBoots) {
        List<BootLog> all() {
            List<BootLog> l = new ArrayList<>(List.of(plainBoot));
            l.addAll(anchorBoots);
            return l;
        }
    }

    record Tool(int exit, String err, Map<String, int[]> reported, Path outDir) {
    }

    private static final Map<String, Run> RUNS = new LinkedHashMap<>();

    private static synchronized Run run(String suite) throws IOException {
        Run r = RUNS.get(suite);
        if (r != null) {
            return r;
        }
        Path work = Host.projectDir().resolve("target/qemu/NewKernelsBootTest/" + suite);
        deleteTree(work);
        FunctionalSet set = FunctionalSet.prepare(work, DebianKernel.fetchSuite(suite), true);
        Tool plain = tool(set, work.resolve("plain"), "--assume-nokaslr");
        Tool anchor = tool(set, work.resolve("anchored"));
        BootLog plainBoot = set.boot(plain.outDir(), work.resolve("boot-plain"));
        List<BootLog> anchorBoots = KaslrBoots.boot(ANCHOR_BOOTS, i -> QemuGuest.x86_64(set.kernel().vmlinuz())
                .kaslr(true).modules(set.moduleFiles(anchor.outDir()))
                .script(KaslrBoots.TEXT_MARK + FunctionalSet.SCRIPT).disk(set.ext4Image()).disk(set.vfatImage())
                .timeout(Duration.ofSeconds(300)).boot(work.resolve("boot-anchor-" + i)));
        System.out.printf("NewKernelsBootTest %s (%s): %d modules, skipped %s; boots %s ms%n", suite,
                set.kernel().release(), set.loadOrder().size(), set.skipped(), List.of(plainBoot.elapsed().toMillis(),
                        anchorBoots.get(0).elapsed().toMillis(), anchorBoots.get(1).elapsed().toMillis()));
        r = new Run(set, plain, anchor, plainBoot, anchorBoots);
        RUNS.put(suite, r);
        return r;
    }

    /** The tool, in-process, on the decompressed signed originals, against the suite's real vmlinuz. */
    private static Tool tool(FunctionalSet set, Path out, String... options) throws IOException {
        List<String> args = new ArrayList<>(List.of("preresolve", "--kernel", set.kernel().vmlinuz().toString()));
        args.addAll(List.of(options));
        args.addAll(List.of("--strip-signature", "-o", out.toString()));
        for (Path f : set.signedFiles()) {
            args.add(f.toString());
        }
        CliRun r = cli(args);
        return new Tool(r.code(), r.err(), PreresvLines.byFileName(r.out()), out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"trixie", "sid"})
    void theSkippedEntriesAreBuiltInOrGone(String suite) throws IOException {
        Run r = run(suite);
        ModuleTree tree = r.set().tree();
        assertThat(r.set().skipped()).isEqualTo(SKIPPED.get(suite));
        for (String m : r.set().skipped()) {
            assertThat(tree.isModule(m)).as(m).isFalse();
            boolean builtIn = suite.equals("trixie") || BUILT_IN_ON_SID.contains(m);
            assertThat(tree.isBuiltin(m)).as(m + " in modules.builtin").isEqualTo(builtIn);
        }
        // The set is still the functional one: the disk, both filesystems and their deps.
        assertThat(r.set().loadOrder()).contains("virtio_blk", "mbcache", "jbd2", "ext4", "fat", "vfat",
                "nls_cp437", "nls_utf8", "nls_iso8859_1").hasSizeGreaterThan(40);
        assertThat(r.set().kernel().release()).startsWith(suite.equals("trixie") ? "6.12." : "7.");
        // The originals are compressed and signed; the guest gets ELF.
        Path ext4 = tree.path("ext4");
        assertThat(ext4.getFileName().toString()).isEqualTo("ext4.ko.xz");
        byte[] elf = ModInfo.moduleBytes(ext4);
        assertThat(SignatureStripper.isSigned(elf)).isTrue();
        assertThat(Files.readAllBytes(r.set().signedFiles().get(r.set().loadOrder().indexOf("ext4"))))
                .isEqualTo(elf);
    }

    @ParameterizedTest
    @ValueSource(strings = {"trixie", "sid"})
    void toolPreresolvedEveryModuleInPlainAndAnchorMode(String suite) throws IOException {
        Run r = run(suite);
        int n = r.set().loadOrder().size();
        assertThat(r.plain().exit()).as(r.plain().err()).isZero();
        assertThat(r.plain().err().strip().lines().toList()).singleElement().asString()
                .startsWith("lkm-preresolver: WARNING:").contains("nokaslr");
        assertThat(r.anchor().exit()).as(r.anchor().err()).isZero();
        assertThat(r.anchor().err()).doesNotContain("WARNING").doesNotContain("nokaslr");
        for (Tool t : List.of(r.plain(), r.anchor())) {
            assertThat(t.reported()).hasSize(n);
            assertThat(t.reported().get("ext4.ko")[0]).as("ext4 preresolved").isGreaterThan(200);
            assertThat(r.set().moduleFiles(t.outDir())).hasSize(n)
                    .allSatisfy(f -> assertThat(f.getFileName().toString()).endsWith(".ko"));
            long total = t.reported().values().stream().mapToLong(c -> c[0]).sum();
            assertThat(total).isGreaterThan(1000);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"trixie", "sid"})
    void plainBootsWithNokaslrAndAnchorBootsWithDifferentKaslrBases(String suite) throws IOException {
        Run r = run(suite);
        for (BootLog b : r.all()) {
            assertThat(b.timedOut()).as(b.summary()).isFalse();
            assertThat(b.completed()).as(b.summary()).isTrue();
            assertThat(b.exitCode()).as(b.summary()).isZero();
            assertThat(b.marker("KERNEL")).isEqualTo(r.set().kernel().release());
        }
        assertThat(r.plainBoot().kernelLines()).anyMatch(l -> l.contains("Command line:") && l.contains("nokaslr"));
        for (BootLog b : r.anchorBoots()) {
            assertThat(b.kernelLines()).noneMatch(l -> l.contains("Command line:") && l.contains("nokaslr"));
            assertThat(b.marker("TEXT")).as(b.summary()).matches("[0-9a-f]{16}");
        }
        // A boot at the link-time base or at an earlier boot's proves nothing about KASLR; KaslrBoots made
        // another in its place.
        assertThat(KaslrBoots.randomisedBases(r.anchorBoots())).as("_text of the anchor boots, other than "
                + KaslrBoots.LINK_TIME_TEXT).hasSize(ANCHOR_BOOTS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"trixie", "sid"})
    void everyBootLoadsMountsWritesReadsBackAndUnloads(String suite) throws IOException {
        Run r = run(suite);
        List<String> reverse = new ArrayList<>(r.set().loadOrder());
        Collections.reverse(reverse);
        for (BootLog b : r.all()) {
            assertThat(b.insmods()).extracting(BootLog.ModuleOp::name)
                    .containsExactlyElementsOf(r.set().loadOrder());
            assertThat(b.failedInsmods()).as(b.summary()).isEmpty();
            assertThat(b.lsmod(FunctionalSet.LOADED)).extracting(BootLog.LsmodEntry::name)
                    .containsExactlyInAnyOrderElementsOf(r.set().loadOrder());
            assertThat(b.failedChecks()).as(b.summary()).isEmpty();
            assertThat(b.markers("DISK_MISSING")).isEmpty();
            assertThat(b.markers("CHECK")).hasSize(8);
            assertThat(b.marker("EXT4_HELLO")).isEqualTo(FunctionalSet.EXT4_HELLO);
            assertThat(b.marker("VFAT_HELLO")).isEqualTo(FunctionalSet.VFAT_HELLO);
            assertThat(b.marker("EXT4_READBACK")).isEqualTo(FunctionalSet.WRITTEN + " ext4");
            assertThat(b.marker("VFAT_READBACK")).isEqualTo(FunctionalSet.WRITTEN + " vfat");
            assertThat(b.useCounts(FunctionalSet.MOUNTED)).containsEntry("ext4", 1).containsEntry("jbd2", 1);
            assertThat(b.rmmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(reverse);
            assertThat(b.failedRmmods()).as(b.summary()).isEmpty();
            assertThat(b.lsmod(FunctionalSet.FINAL)).isEmpty();
        }
        for (BootLog b : r.anchorBoots()) {
            assertThat(b.lsmodDifferences(r.plainBoot())).as(b.summary()).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"trixie", "sid"})
    void noWarningAndOnlyTheUnsignedTaint(String suite) throws IOException {
        for (BootLog b : run(suite).all()) {
            assertThat(b.problems()).as(b.summary()).isEmpty();
            assertThat(b.unexpectedTaintLines()).as(b.summary()).isEmpty();
            assertThat(b.taintLines()).singleElement().asString().contains(BootLog.UNSIGNED_TAINT);
            assertThat(b.marker("TAINT_START")).isEqualTo("0");
            assertThat(b.taintEnd()).isEqualTo(BootLog.TAINT_UNSIGNED_MODULE);
        }
    }
}

package org.preresolver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.report.VerifyFormat;
import org.preresolver.cli.ExitCodes;
import org.preresolver.io.KernelLoader;
import org.preresolver.io.ModuleFiles;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.PreresolvedRecord;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.preresolve.Verifier;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.report.ModuleReport;
import org.preresolver.report.RunReport;
import org.preresolver.testing.CliRun;
import org.preresolver.testing.LoadedKernels;

/**
 * verify on real kernels: Debian's generic amd64 kernel and the cloud flavour of the same ABI.
 *
 * <p>The two flavours are built from the same sources but with other configurations, so the
 * exported addresses, the build-id, many modversions CRCs and the release string
 * ({@code 6.1.0-56-amd64} vs {@code 6.1.0-56-cloud-amd64}) all differ. A module preresolved for
 * one is therefore stale for the other, and re-preresolving it for the other is refused by the
 * vermagic check: the kernel would refuse the plain module too. Re-targeting to a kernel of the
 * same release at other addresses is shown in {@code TargetVerifyBootTest} with a KASLR boot.
 */
class VerifyDebianTest {
    private static final int SUBSET = 200;
    private static final String FAT = "kernel/fs/fat/fat.ko";

    @TempDir
    static Path tmp;

    static DebianKernel generic;
    static DebianKernel cloud;
    static KernelLoader.LoadedKernel gk;
    static KernelLoader.LoadedKernel ck;
    /** Signed generic modules that the cloud tree has too (same relative path). */
    static Path gen;
    /** {@code gen} preresolved against the generic kernel. */
    static Path pre;
    static RunReport preresolved;

    @BeforeAll
    static void preresolveASubsetForTheGenericKernel() throws Exception {
        generic = DebianKernel.fetch();
        cloud = DebianKernel.flavour("cloud-amd64");
        gk = LoadedKernels.of(generic);
        ck = LoadedKernels.of(cloud);
        Set<String> inCloud = relativeModules(cloud.modulesDir()).stream().collect(Collectors.toSet());
        List<String> all = relativeModules(generic.modulesDir()).stream().filter(inCloud::contains).toList();
        // Every n-th module of those both trees have (drivers, fs, net, crypto, lib, ...), and fat.
        List<String> both = new ArrayList<>();
        both.add(FAT);
        for (int i = 0; both.size() < SUBSET; i += all.size() / SUBSET) {
            if (!all.get(i).equals(FAT)) {
                both.add(all.get(i));
            }
        }
        assertThat(all).contains(FAT).hasSizeGreaterThan(SUBSET * 4);
        gen = tmp.resolve("gen");
        for (String r : both) {
            Path to = gen.resolve(r);
            Files.createDirectories(to.getParent());
            Files.copy(generic.modulesDir().resolve(r), to);
        }
        pre = tmp.resolve("pre");
        preresolved = run(gk.exports(), new RunConfig(List.of(gen), pre, false, false, false, threads(), false,
                List.of(), false));
        assertThat(preresolved.failures()).isZero();
        assertThat(preresolved.count(ModuleReport.Status.PRERESOLVED)).isGreaterThan(SUBSET - 10);
    }

    @Test
    void everyModuleVerifiesAgainstTheKernelItWasPreresolvedFor() throws Exception {
        Verify.Summary s = Verify.againstKernel(gk.exports(), List.of(pre), List.of(), threads(), r -> { });
        assertThat(s.results()).hasSize(SUBSET);
        assertThat(s.results()).filteredOn(r -> r.status() != Verify.Status.OK)
                .allSatisfy(r -> assertThat(r.status()).as(r.path() + " " + r.error())
                        .isEqualTo(Verify.Status.NOT_PRERESOLVED));
        assertThat(s.count(Verify.Status.OK)).isEqualTo(preresolved.count(ModuleReport.Status.PRERESOLVED));

        // The command: OK lines, a signed original is PLAIN (not an error), exit 0.
        String one = FAT;
        assertThat(gen.resolve(one)).exists();
        CliRun r = cli("verify", "-k", generic.vmlinuz().toString(), pre.resolve(one).toString(),
                gen.resolve(one).toString());
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
        assertThat(r.out()).containsPattern("(?m)^  OK      fat\\.ko \\(\\d+ preresolved symbols\\)$")
                .contains("  PLAIN   fat.ko (not preresolved)", "verify: 1 ok, 0 stale, 1 not preresolved");
    }

    @Test
    void everyModuleIsStaleForTheCloudFlavourWithTheReasonsOnOneLine() throws Exception {
        CliRun r = cli("verify", "-q", "-k", cloud.vmlinuz().toString(), pre.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.STALE);
        assertThat(r.err()).isEmpty();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize((int) preresolved.count(ModuleReport.Status.PRERESOLVED))
                .allMatch(l -> l.startsWith("  STALE   "))
                .allMatch(l -> l.contains("preresolved for release " + generic.release() + ", the kernel is "
                        + cloud.release()))
                .allMatch(l -> l.contains("preresolved for build-id "));

        Verify.Summary s = Verify.againstKernel(ck.exports(), List.of(pre), List.of(), threads(), x -> { });
        List<Verify.ModuleResult> stale = s.results().stream().filter(x -> x.status() == Verify.Status.STALE).toList();
        assertThat(stale).hasSize(lines.size());
        long moved = stale.stream().filter(x -> has(x.verdict(), Verifier.Kind.MOVED)).count();
        long crc = stale.stream().filter(x -> has(x.verdict(), Verifier.Kind.CHECKS)).count();
        System.out.printf("VerifyDebianTest: against cloud: %d stale, %d with moved addresses, %d refused by the "
                + "checks now%n", stale.size(), moved, crc);
        // The flavours' vmlinux differ in layout: nearly every module has a symbol at another address.
        assertThat(moved).isGreaterThan(stale.size() * 9L / 10);
    }

    @Test
    void preresolvingForTheCloudFlavourIsRefusedByVermagicAndWritesNothing() throws Exception {
        RunReport r = run(ck.exports(), RunConfig.dryRun(List.of(pre, gen)));
        assertThat(r.modules()).hasSize(2 * SUBSET).allSatisfy(m -> {
            assertThat(m.status()).isEqualTo(ModuleReport.Status.REFUSED);
            assertThat(m.error()).isEqualTo("vermagic release " + generic.release() + " does not match kernel release "
                    + cloud.release());
        });
    }

    /**
     * The re-plan: the same kernel identity and addresses, but an export whose CRC, namespace or
     * presence changed (the kind of change a rebuild with an edited struct or a new
     * {@code EXPORT_SYMBOL_NS} makes). Each change is reported, alone, with its reason.
     */
    @Test
    void theKernelsChecksAreReplayedForEveryPatchedSymbol() throws Exception {
        Path module = pre.resolve(FAT);
        byte[] elf = Files.readAllBytes(module);
        PreresolvedRecord rec = org.preresolver.preresolve.Restorer.record(org.preresolver.elf.ElfFile.parse(elf))
                .orElseThrow();
        String sym = org.preresolver.elf.ElfFile.parse(elf).symbolTable().symbols()
                .get(rec.patches().get(0).index()).name();
        KernelExport e = gk.exports().get(sym);
        assertThat(e.crc()).isNotNull();

        Map<String, Verifier.Verdict> v = new HashMap<>();
        v.put("same", Verifier.againstKernel(elf, gk.exports(), Options.defaults()));
        v.put("crc", Verifier.againstKernel(elf, replace(sym, new KernelExport(sym, e.address(), e.gplOnly(),
                e.namespace(), e.crc() ^ 1)), Options.defaults()));
        v.put("namespace", Verifier.againstKernel(elf, replace(sym, new KernelExport(sym, e.address(), e.gplOnly(),
                "LKMPR_TEST", e.crc())), Options.defaults()));
        v.put("address", Verifier.againstKernel(elf, replace(sym, new KernelExport(sym, e.address() + 0x40,
                e.gplOnly(), e.namespace(), e.crc())), Options.defaults()));
        v.put("gone", Verifier.againstKernel(elf, replace(sym, null), Options.defaults()));

        assertThat(v.get("same").stale()).isFalse();
        assertThat(v.get("same").patched()).isEqualTo(rec.patches().size());
        assertThat(v.get("crc").problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Verifier.Kind.CHECKS);
            assertThat(VerifyFormat.text(p)).contains(sym + ": modversions CRC mismatch");
        });
        assertThat(v.get("namespace").problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Verifier.Kind.CHECKS);
            assertThat(VerifyFormat.text(p)).contains(sym + ": namespace not imported LKMPR_TEST");
        });
        assertThat(v.get("address").problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Verifier.Kind.MOVED);
            assertThat(VerifyFormat.text(p)).contains(sym + " is at 0x" + Long.toHexString(e.address() + 0x40) + ", preresolved 0x"
                    + Long.toHexString(e.address()));
        });
        // A vmlinux export that vanished may come from a module now, which might not be GPL-compatible:
        // the kernel's inherit_taint() rule then keeps every GPL-only import undefined, so those go too.
        assertThat(v.get("gone").problems()).extracting(Verifier.Problem::kind)
                .containsExactly(Verifier.Kind.NOT_EXPORTED, Verifier.Kind.CHECKS);
        assertThat(VerifyFormat.text(v.get("gone").problems().get(0))).contains("1 of " + rec.patches().size()
                + " patched symbols is no longer exported by vmlinux (" + sym + ")");
        assertThat(VerifyFormat.text(v.get("gone").problems().get(1))).contains("GPL-only export kept for the "
                + "proprietary-provider check");
    }

    /**
     * The proprietary-provider guard depends on which modules export the other symbols. verify
     * learns them as preresolve does, from the modules given (and --tree): alone, a module that
     * needs another's exports cannot be confirmed and says why; with its tree it is OK.
     */
    @Test
    void theProviderGuardIsCheckedWithTheModulesTree() throws Exception {
        Path tree = tmp.resolve("ext4-tree");
        for (String r : List.of("kernel/fs/ext4/ext4.ko", "kernel/fs/jbd2/jbd2.ko", "kernel/fs/mbcache.ko",
                "kernel/lib/crc16.ko")) {
            Path to = tree.resolve(r);
            Files.createDirectories(to.getParent());
            Files.copy(generic.modulesDir().resolve(r), to);
        }
        Path out = tmp.resolve("ext4-pre");
        RunReport r = run(gk.exports(), new RunConfig(List.of(tree), out, false, false, false, threads(), false,
                List.of(), false));
        assertThat(r.failures()).isZero();
        Path ext4 = out.resolve("kernel/fs/ext4/ext4.ko");

        Verify.Summary alone = Verify.againstKernel(gk.exports(), List.of(ext4), List.of(), 1, x -> { });
        assertThat(alone.results()).singleElement().satisfies(x -> {
            assertThat(x.status()).isEqualTo(Verify.Status.STALE);
            assertThat(x.verdict().problems()).singleElement().satisfies(p -> {
                assertThat(p.kind()).isEqualTo(Verifier.Kind.CHECKS);
                assertThat(VerifyFormat.text(p)).contains("GPL-only export kept for the proprietary-provider check",
                        "verify them together (or pass their tree)");
            });
        });
        Verify.Summary withTree = Verify.againstKernel(gk.exports(), List.of(ext4), List.of(out), 1, x -> { });
        assertThat(withTree.results()).singleElement().satisfies(x -> assertThat(x.status())
                .as(String.valueOf(x.verdict())).isEqualTo(Verify.Status.OK));
    }

    /**
     * A preresolved module signed again by its user (here: a real PKCS#7 trailer appended, as
     * sign-file appends one) is still a preresolved module: verify checks it, restore gives the
     * signed original back, and a second run finds its record.
     */
    @Test
    void aReSignedPreresolvedModuleIsVerifiedRestoredAndRecognisedByASecondRun() throws Exception {
        byte[] original = Files.readAllBytes(gen.resolve(FAT));
        byte[] preresolved = Files.readAllBytes(pre.resolve(FAT));
        byte[] trailer = org.preresolver.kernel.ModuleSignature.parse(original).orElseThrow().trailer();
        byte[] resigned = Arrays.copyOf(preresolved, preresolved.length + trailer.length);
        System.arraycopy(trailer, 0, resigned, preresolved.length, trailer.length);

        Verifier.Verdict ok = Verifier.againstKernel(resigned, gk.exports(), Options.defaults());
        assertThat(ok.preresolved()).isTrue();
        assertThat(ok.stale()).isFalse();
        assertThat(Verifier.againstKernel(resigned, ck.exports(), Options.defaults()).stale()).isTrue();
        assertThat(Restore.original(resigned)).hasValueSatisfying(o -> assertThat(o).isEqualTo(original));
        org.preresolver.preresolve.Result again = new Preresolver(gk.exports(),
                Options.defaults().withStripSignature(true).withTool("lkm-preresolver test")).process(resigned);
        // With --strip-signature (no --sign-key) the run gives back the unsigned preresolved module.
        assertThat(again.previous()).isPresent();
        assertThat(again.output()).isEqualTo(preresolved);
    }

    private static boolean has(Verifier.Verdict v, Verifier.Kind k) {
        return v.problems().stream().anyMatch(p -> p.kind() == k);
    }

    /** The generic kernel's exports with one export replaced (or removed, for null). */
    private static KernelExports replace(String name, KernelExport with) {
        List<KernelExport> list = new ArrayList<>();
        for (KernelExport x : gk.exports().all()) {
            if (!x.name().equals(name)) {
                list.add(x);
            } else if (with != null) {
                list.add(with);
            }
        }
        return new KernelExports(gk.exports().identity(), null, list, "test");
    }

    private static List<String> relativeModules(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> ModuleFiles.isModuleName(p.getFileName().toString()))
                    .map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    static RunReport run(KernelExports k, RunConfig cfg) throws IOException {
        Options options = Options.defaults().withStripSignature(true).withTool("lkm-preresolver test");
        return new TreeRunner(p -> new Preresolver(k, options.withProviders(p))).run(cfg, m -> { });
    }

    static int threads() {
        return Runtime.getRuntime().availableProcessors();
    }
}

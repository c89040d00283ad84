package org.preresolver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.Symbol;
import org.preresolver.kernel.KernelModule;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.qemu.TestModules;
import org.preresolver.testing.CliRun;
import org.preresolver.testing.SymbolOracle;

/**
 * The safety rules of issue 3 on real out-of-tree modules built against Debian's 6.1 headers
 * ({@code scripts/build-test-modules.sh}, one module per rule): {@code explain --json}, run
 * in-process against Debian's real kernel image, must give every undefined symbol of every module
 * exactly the outcome and reason that {@code MANIFEST.tsv} expects, and {@code preresolve -o} must
 * write exactly that plan.
 */
class SafetyRulesExplainTest {
    private static DebianKernel kernel;
    /** Debian's vmlinux, extracted from its vmlinuz (loads faster; the same exports). */
    private static String vmlinux;
    private static TestModules mods;
    /** explain --json of all the modules together (the tree is known): module name -> JSON module. */
    private static Map<String, Map<String, Object>> explained;

    @BeforeAll
    static void explainAll() throws IOException {
        kernel = DebianKernel.fetch();
        mods = TestModules.build();
        vmlinux = kernel.vmlinux().toString();
        // Plain mode: the rules, one outcome per symbol (anchor mode keeps one more symbol: AnchorModeTest).
        List<String> args = new ArrayList<>(List.of("explain", "--json", "--assume-nokaslr", "-k", vmlinux));
        for (String m : TestModules.MODULES) {
            args.add(mods.ko(m).toString());
        }
        explained = byModule(run(args));
    }

    private static CliRun run(List<String> args) {
        CliRun r = cli(args);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.errLinesBesideKaslr()).as(r.toString()).isEmpty();
        return r;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> byModule(CliRun r) throws IOException {
        Map<String, Object> root = Json.object(r.out());
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        for (Object o : (List<Object>) root.get("modules")) {
            Map<String, Object> mod = (Map<String, Object>) o;
            String path = (String) mod.get("path");
            m.put(path.substring(0, path.length() - ".ko".length()), mod);
        }
        return m;
    }

    /** The JSON symbols of a module, by name (each name once in these modules). */
    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> symbols(Map<String, Object> module) {
        Map<String, Map<String, Object>> s = new LinkedHashMap<>();
        for (Object o : (List<Object>) module.getOrDefault("symbols", List.of())) {
            Map<String, Object> sym = (Map<String, Object>) o;
            assertThat(s.put((String) sym.get("name"), sym)).as("duplicate %s", sym.get("name")).isNull();
        }
        return s;
    }

    private static Map<String, Object> symbol(String module, String name) {
        Map<String, Object> s = symbols(explained.get(module)).get(name);
        assertThat(s).as("%s: %s explained", module, name).isNotNull();
        return s;
    }

    @Test
    void everyModuleIsExplainedWithExactlyTheUndefinedSymbolsOfTheManifest() {
        assertThat(explained.keySet()).containsExactlyElementsOf(TestModules.MODULES);
        assertThat(mods.manifestModules()).containsExactlyInAnyOrderElementsOf(TestModules.MODULES);
        for (String m : TestModules.MODULES) {
            List<String> want = mods.entries(m).stream().map(TestModules.Entry::symbol).toList();
            assertThat(symbols(explained.get(m)).keySet()).as(m).containsExactlyInAnyOrderElementsOf(want);
            assertThat(explained.get(m).get("status")).as(m).isIn("preresolved", "nothing-to-do");
        }
    }

    /** Every manifest line: preresolved to a kernel address, or left with the reason of its rule. */
    @Test
    void everySymbolHasTheOutcomeAndReasonOfItsRule() {
        Map<String, String> reasonOfRule = Map.of("gpl-only", "gpl-only", "namespace", "namespace-not-imported",
                "crc-mismatch", "crc-mismatch", "weak-not-exported", "weak-not-exported", "livepatch", "livepatch",
                "module-export", "exported-by-module", "no-versions", "no-versions", "no-version-entry",
                "no-version-entry", "address-zero", "address-zero", "gpl-taint-guard", "gpl-taint-guard");
        for (TestModules.Entry e : mods.entries()) {
            Map<String, Object> s = symbol(e.module(), e.symbol());
            String what = e.module() + ": " + e.symbol() + " (" + e.rule() + ")";
            assertThat(s.get("outcome")).as(what).isEqualTo(e.outcome());
            assertThat(s.get("weak")).as(what).isEqualTo(e.rule().startsWith("weak-"));
            if (e.preresolved()) {
                assertThat(e.rule()).isIn("ordinary", "gpl-ok", "namespace-imported", "weak-exported");
                long a = Long.parseUnsignedLong(((String) s.get("address")).substring(2), 16);
                // x86_64 without KASLR: kernel text and data start at 0xffffffff81000000.
                assertThat(Long.compareUnsigned(a, 0xffffffff81000000L)).as(what).isPositive();
                assertThat(s).doesNotContainKey("reason");
            } else {
                assertThat(s.get("reason")).as(what).isEqualTo(reasonOfRule.get(e.rule()));
                assertThat(s).doesNotContainKey("address");
            }
        }
    }

    @Test
    void nonGplModuleKeepsItsGplOnlySymbolUndefined() throws Exception {
        KernelModule m = KernelModule.parse(Files.readAllBytes(mods.ko("lkmpr_gpl_nonGPL")));
        assertThat(m.modinfo().license()).isEqualTo("Proprietary");
        assertThat(symbol("lkmpr_gpl_nonGPL", "ktime_get")).containsEntry("outcome", "left")
                .containsEntry("reason", "gpl-only").doesNotContainKey("detail");
        assertThat(symbolvers("ktime_get")[3]).isEqualTo("EXPORT_SYMBOL_GPL");
        // The same export in a GPL module is preresolved: the licence alone made the difference.
        assertThat(symbol("lkmpr_plain", "ktime_get")).containsEntry("outcome", "preresolved");
        // EXPORT_SYMBOL symbols of the proprietary module are still preresolved.
        assertThat(symbol("lkmpr_gpl_nonGPL", "_printk")).containsEntry("outcome", "preresolved");
    }

    @Test
    void missingImportNsKeepsTheNamespacedSymbolUndefinedAndNamesTheNamespace() throws Exception {
        KernelModule m = KernelModule.parse(Files.readAllBytes(mods.ko("lkmpr_ns_missing")));
        assertThat(m.modinfo().importedNamespaces()).containsExactly("LKMPRNS");
        assertThat(symbolvers("dma_buf_get")[4]).isEqualTo("DMA_BUF");
        assertThat(symbol("lkmpr_ns_missing", "dma_buf_get")).containsEntry("outcome", "left")
                .containsEntry("reason", "namespace-not-imported").containsEntry("detail", "DMA_BUF");
        assertThat(symbol("lkmpr_ns_ok", "dma_buf_get")).containsEntry("outcome", "preresolved");
    }

    @Test
    void mismatchedCrcKeepsTheSymbolUndefinedAndNamesBothCrcs() throws Exception {
        long kernelCrc = Long.decode(symbolvers("__kmalloc")[0]);
        long moduleCrc = KernelModule.parse(Files.readAllBytes(mods.ko("lkmpr_crc_bad"))).versions().crc("__kmalloc");
        assertThat(moduleCrc).isEqualTo(kernelCrc ^ 0xffffffffL);
        assertThat(symbol("lkmpr_crc_bad", "__kmalloc")).containsEntry("outcome", "left")
                .containsEntry("reason", "crc-mismatch")
                .containsEntry("detail", String.format("module 0x%08x, kernel 0x%08x", moduleCrc, kernelCrc));
        // Its other symbols keep their right CRCs and are preresolved; so is __kmalloc elsewhere.
        assertThat(symbol("lkmpr_crc_bad", "kfree")).containsEntry("outcome", "preresolved");
        assertThat(symbol("lkmpr_plain", "__kmalloc")).containsEntry("outcome", "preresolved");
    }

    @Test
    void weakReferenceIsPreresolvedOnlyWhenVmlinuxExportsIt() {
        assertThat(symbol("lkmpr_weak", "crc32_le")).containsEntry("weak", true).containsEntry("outcome", "preresolved");
        assertThat(symbol("lkmpr_weak", "lkmpr_nonexistent")).containsEntry("weak", true)
                .containsEntry("outcome", "left").containsEntry("reason", "weak-not-exported");
    }

    @Test
    void livepatchSymbolIsListedAndNeverTouched() throws Exception {
        String klp = ".klp.sym.vmlinux.saved_command_line,0";
        assertThat(symbol("lkmpr_livepatch", klp)).containsEntry("outcome", "left").containsEntry("reason", "livepatch");
        Symbol s = symbolNamed(Files.readAllBytes(mods.ko("lkmpr_livepatch")), klp);
        assertThat(s.shndx()).isEqualTo(Elf.SHN_LIVEPATCH);
        assertThat(explained.get("lkmpr_livepatch")).containsEntry("undefined", 4L).containsEntry("preresolved", 3L)
                .containsEntry("left", Map.of("livepatch", 1L));
    }

    @Test
    void moduleExportedSymbolNamesTheProviderWhenTheTreeIsKnown() throws Exception {
        assertThat(symbol("lkmpr_uses_dep", "lkmpr_provider_fn")).containsEntry("outcome", "left")
                .containsEntry("reason", "exported-by-module").containsEntry("detail", "lkmpr_dep_provider");

                String user = mods.ko("lkmpr_uses_dep").toString();
        Map<String, Object> withTree = symbols(byModule(run(List.of("explain", "--json", "-k", vmlinux, "--tree",
                mods.dir().toString(), user))).get("lkmpr_uses_dep")).get("lkmpr_provider_fn");
        assertThat(withTree).containsEntry("reason", "exported-by-module").containsEntry("detail", "lkmpr_dep_provider");

        Map<String, Object> alone = symbols(byModule(run(List.of("explain", "--json", "-k", vmlinux, user)))
                .get("lkmpr_uses_dep")).get("lkmpr_provider_fn");
        assertThat(alone).containsEntry("outcome", "left").containsEntry("reason", "not-exported");
    }

    @Test
    void plainModuleIsFullyPreresolved() {
        Map<String, Object> m = explained.get("lkmpr_plain");
        long n = mods.entries("lkmpr_plain").size();
        assertThat(n).isGreaterThanOrEqualTo(10);
        assertThat(m).containsEntry("undefined", n).containsEntry("preresolved", n).containsEntry("full", true)
                .containsEntry("left", Map.of());
    }

    @Test
    @SuppressWarnings("unchecked")
    void perModuleCountsAddUpToTheUndefinedSymbols() {
        for (String name : TestModules.MODULES) {
            Map<String, Object> m = explained.get(name);
            Map<String, Object> left = (Map<String, Object>) m.get("left");
            long sum = left.values().stream().mapToLong(v -> (Long) v).sum();
            assertThat((Long) m.get("preresolved") + sum).as(name).isEqualTo(m.get("undefined"));
            assertThat(m.get("undefined")).as(name).isEqualTo((long) mods.entries(name).size());
            Map<String, Long> byReason = new HashMap<>();
            symbols(m).values().stream().filter(s -> s.get("outcome").equals("left"))
                    .forEach(s -> byReason.merge((String) s.get("reason"), 1L, Long::sum));
            assertThat(left).as(name).isEqualTo(byReason);
        }
    }

    /** The text form says the same, one line per symbol. */
    @Test
    void textExplainNamesTheReasons() throws IOException {
        CliRun r = run(List.of("explain", "--assume-nokaslr", "-k", vmlinux, mods.ko("lkmpr_crc_bad").toString(),
                mods.ko("lkmpr_ns_missing").toString()));
        // The count from an independent oracle (readelf, modinfo, modversions, Module.symvers).
        SymbolOracle.Expected crcBad = SymbolOracle.ofKernel(kernel.root(), kernel.release())
                .expect(mods.ko("lkmpr_crc_bad"), null);
        assertThat(crcBad.left()).containsValue(SymbolOracle.Why.CRC_MISMATCH);
        assertThat(r.out()).contains("lkmpr_crc_bad.ko (" + crcBad.ratio() + " preresolved)")
                .containsPattern("__kmalloc +left: modversions CRC mismatch \\(module 0x[0-9a-f]{8}, kernel 0x[0-9a-f]{8}\\)")
                .containsPattern("dma_buf_get +left: namespace not imported \\(DMA_BUF\\)");
    }

    /** {@code preresolve -o} writes exactly the plan: SHN_ABS at the explained address, the rest untouched. */
    @Test
    @SuppressWarnings("unchecked")
    void preresolveWritesExactlyThePlan(@TempDir Path out) throws Exception {
        List<String> args = new ArrayList<>(List.of("preresolve", "-k", vmlinux,
                "--assume-nokaslr", "-o", out.toString()));
        TestModules.MODULES.forEach(m -> args.add(mods.ko(m).toString()));
        CliRun r = cli(args);
        assertThat(r.code()).as(r.toString()).isZero();
        for (String m : TestModules.MODULES) {
            byte[] in = Files.readAllBytes(mods.ko(m));
            ElfFile before = ElfFile.parse(in);
            ElfFile after = ElfFile.parse(Files.readAllBytes(out.resolve(m + ".ko")));
            List<Symbol> bs = before.symbolTable().symbols();
            List<Symbol> as = after.symbolTable().symbols();
            assertThat(as).hasSameSizeAs(bs);
            int abs = 0;
            for (Map<String, Object> s : symbols(explained.get(m)).values()) {
                int i = ((Long) s.get("index")).intValue();
                Symbol b = bs.get(i);
                Symbol a = as.get(i);
                assertThat(a.name()).isEqualTo(s.get("name"));
                if (s.get("outcome").equals("preresolved")) {
                    abs++;
                    assertThat(a.shndx()).as("%s %s", m, a.name()).isEqualTo(Elf.SHN_ABS);
                    assertThat("0x" + Long.toHexString(a.value())).as("%s %s", m, a.name()).isEqualTo(s.get("address"));
                } else {
                    assertThat(a.rawShndx()).as("%s %s", m, a.name()).isEqualTo(b.rawShndx());
                    assertThat(a.value()).as("%s %s", m, a.name()).isEqualTo(b.value());
                }
                assertThat(a.info()).isEqualTo(b.info());
                assertThat(a.other()).isEqualTo(b.other());
                assertThat(a.size()).isEqualTo(b.size());
            }
            long absInOutput = as.stream().filter(x -> x.shndx() == Elf.SHN_ABS && x.type() != Elf.STT_FILE
                    && !(x.bind() == Elf.STB_LOCAL)).count();
            assertThat(absInOutput).as(m).isEqualTo(abs).isEqualTo((Long) explained.get(m).get("preresolved"));
            // Never edited: __versions and .modinfo (lkmpr_nover has no __versions).
            for (String sec : List.of("__versions", ".modinfo")) {
                if (m.equals("lkmpr_nover") && sec.equals("__versions")) {
                    assertThat(after.section(sec)).isEmpty();
                    continue;
                }
                assertThat(after.sectionBytes(after.section(sec).orElseThrow()))
                        .isEqualTo(before.sectionBytes(before.section(sec).orElseThrow()));
            }
        }
    }

    private static Symbol symbolNamed(byte[] elf, String name) throws Exception {
        List<Symbol> hits = ElfFile.parse(elf).symbolTable().symbols().stream().filter(s -> s.name().equals(name)).toList();
        assertThat(hits).hasSize(1);
        return hits.get(0);
    }

    /** The headers' Module.symvers line of a vmlinux export: crc, name, owner, type, namespace. */
    private static String[] symbolvers(String name) throws IOException {
        Path f = kernel.root().resolve("usr/src/linux-headers-" + kernel.release() + "/Module.symvers");
        for (String line : Files.readAllLines(f, StandardCharsets.ISO_8859_1)) {
            String[] p = (line + "\t").split("\t", -1);
            if (p[1].equals(name)) {
                assertThat(p[2]).isEqualTo("vmlinux");
                return new String[] {p[0], p[1], p[2], p[3], p[4]};
            }
        }
        throw new AssertionError(name + " not in " + f);
    }
}

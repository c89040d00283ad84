package org.preresolver.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.preresolve.Reason;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.qemu.Host;
import org.preresolver.testing.SymbolOracle;

/**
 * The text, Markdown, CSV and JSON reports of a fixed set of real Debian modules ({@link GoldenSet}),
 * held against an independent oracle: every per-module number is computed from binutils, kmod and
 * the kernel package's Module.symvers ({@link SymbolOracle}). (The golden files that only the tool
 * itself regenerated, with {@code -Dlkmpr.updateGolden}, are gone: they could not fail for a reason
 * and broke whenever Debian moved its ABI.)
 */
class ReportGoldenTest {

    static RunReport run;
    static ReportModel model;

    @BeforeAll
    static void runOverTheSet() throws Exception {
        run = GoldenSet.run();
        model = ReportModel.of(run, 5);
    }

    /**
     * Every number of every module in the CSV, text and Markdown reports is the oracle's:
     * undefined symbols from readelf, preresolved and left (by reason) from Module.symvers, modinfo
     * and __versions ({@link SymbolOracle}), dependencies from modinfo.
     */
    @Test
    void reportsCarryTheOraclesCountsForEveryModule(@TempDir Path tmp) throws IOException {
        DebianKernel k = GoldenSet.kernel();
        Path tree = GoldenSet.copyTo(tmp.resolve("tree"));
        SymbolOracle oracle = SymbolOracle.ofKernel(k.root(), k.release());
        String csv = ReportFormat.CSV.render(model, true, "");
        String text = ReportFormat.TEXT.render(model, true, "");
        String md = ReportFormat.MARKDOWN.render(model, true, "");
        List<String> csvLines = csv.lines().toList();
        assertThat(csvLines.get(0)).isEqualTo("path,name,status,depends,standard,preresolved,left,share,left_reasons,error");
        assertThat(csvLines).hasSize(1 + GoldenSet.MODULES.size());
        long before = 0;
        long preresolved = 0;
        for (String m : GoldenSet.MODULES) {
            Path ko = tree.resolve(m);
            SymbolOracle.Expected e = oracle.expect(ko, tree);
            int deps = SymbolOracle.modinfo(ko, "depends").stream().mapToInt(d -> d.split(",").length).sum();
            String row = csvLines.stream().filter(l -> l.startsWith(m + ",")).findFirst().orElseThrow();
            String[] f = row.split(",", -1);
            String name = Path.of(m).getFileName().toString().replace(".ko", "");
            assertThat(f[1]).isEqualTo(name);
            assertThat(f[2]).as(row).isEqualTo(e.undefined().isEmpty() ? "nothing-to-do" : "preresolved");
            assertThat(Integer.parseInt(f[3])).as("depends of %s (modinfo)", m).isEqualTo(deps);
            assertThat(Integer.parseInt(f[4])).as("undefined of %s (readelf)", m).isEqualTo(e.undefined().size());
            assertThat(Integer.parseInt(f[5])).as("preresolved of %s (oracle: %s)", m, e.left())
                    .isEqualTo(e.preresolved());
            assertThat(Integer.parseInt(f[6])).as("left of %s", m).isEqualTo(e.left().size());
            assertThat(reasons(f[8])).as("left reasons of %s (oracle: %s)", m, e.left()).isEqualTo(oracleReasons(e));
            // The same numbers in the text and Markdown "Modules" tables.
            String share = e.undefined().isEmpty() ? "-"
                    : String.format(java.util.Locale.ROOT, "%.1f%%", 100.0 * e.preresolved() / e.undefined().size());
            assertThat(text.lines().filter(l -> l.startsWith(m + " ")).map(l -> List.of(l.strip().split("\\s+")))
                    .filter(l -> l.size() >= 7 && l.get(1).matches("[a-z-]+")).findFirst().orElseThrow())
                    .as("text row of %s", m)
                    .startsWith(m, f[2], f[4], f[5], f[6], share, f[3]);
            assertThat(md).as("markdown row of %s", m).containsPattern(java.util.regex.Pattern.quote(
                    "| " + m.replace("_", "\\_") + " | ") + ".*\\| " + f[4] + " \\| " + f[5] + " \\| " + f[6] + " \\| ");
            before += e.undefined().size();
            preresolved += e.preresolved();
        }
        long symversVmlinux = Files.readAllLines(k.root().resolve("usr/src/linux-headers-" + k.release()
                + "/Module.symvers")).stream().filter(l -> l.split("\t", -1)[2].equals("vmlinux")).count();
        String head = "release " + k.release() + ", " + symversVmlinux + " exports";
        assertThat(text.lines().findFirst().orElseThrow()).as("exports: vmlinux lines of Module.symvers").contains(head);
        assertThat(md.lines().findFirst().orElseThrow()).contains(head);
        assertThat(text).containsPattern("\nall +" + GoldenSet.MODULES.size() + " +" + before + " +" + preresolved
                + " +" + (before - preresolved) + " ");
    }

    private static Map<String, Integer> reasons(String field) {
        Map<String, Integer> m = new java.util.TreeMap<>();
        if (!field.isEmpty()) {
            for (String kv : field.split(";")) {
                String[] p = kv.split("=");
                m.put(p[0], Integer.parseInt(p[1]));
            }
        }
        return m;
    }

    /** The oracle's reasons under the tool's CSV keys. */
    private static Map<String, Integer> oracleReasons(SymbolOracle.Expected e) {
        Map<String, Integer> m = new java.util.TreeMap<>();
        for (SymbolOracle.Why w : e.left().values()) {
            String key = switch (w) {
                case IGNORED_NAME -> Reason.IGNORED_NAME.key();
                case NOT_EXPORTED -> Reason.NOT_EXPORTED.key();
                case EXPORTED_BY_MODULE -> Reason.EXPORTED_BY_MODULE.key();
                case GPL_ONLY -> Reason.GPL_ONLY.key();
                case NAMESPACE -> Reason.NAMESPACE_NOT_IMPORTED.key();
                case NO_VERSIONS -> Reason.NO_VERSIONS.key();
                case NO_VERSION_ENTRY -> Reason.NO_VERSION_ENTRY.key();
                case CRC_MISMATCH -> Reason.CRC_MISMATCH.key();
                case PROPRIETARY_PROVIDER -> Reason.GPL_TAINT_GUARD.key();
            };
            m.merge(key, 1, Integer::sum);
        }
        return m;
    }

    @Test
    void undefinedCountsAndDependenciesAgreeWithBinutilsAndKmod() throws IOException {
        Path dir = GoldenSet.kernel().modulesDir();
        assertThat(model.rows()).hasSize(GoldenSet.MODULES.size());
        for (ReportModel.Row r : model.rows()) {
            Path ko = dir.resolve(r.path());
            // nm -u: every undefined symbol; the plan covers the named global/weak ones, which on x86-64 is all
            String nm = Host.run(Duration.ofSeconds(30), null, "nm", "-u", ko.toString()).output();
            long undefined = nm.lines().filter(l -> !l.isBlank()).count();
            assertThat(r.before()).as("undefined symbols of %s", r.path()).isEqualTo(undefined);
            String deps = Host.run(Duration.ofSeconds(30), null, Host.tool("modinfo"), "-F", "depends",
                    ko.toString()).output().strip();
            int n = deps.isEmpty() ? 0 : deps.split(",").length;
            assertThat(r.dependencies()).as("depends= of %s", r.path()).isEqualTo(n);
            assertThat(r.preresolved() + r.after()).isEqualTo(r.before());
            assertThat(r.left().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(r.after());
        }
    }

    @Test
    void totalsClassesAndRankingsAreConsistentWithTheRows() {
        long before = model.rows().stream().mapToLong(ReportModel.Row::before).sum();
        long pre = model.rows().stream().mapToLong(ReportModel.Row::preresolved).sum();
        assertThat(model.totals().before()).isEqualTo(before).isEqualTo(run.undefinedTotal());
        assertThat(model.totals().preresolved()).isEqualTo(pre).isEqualTo(run.preresolvedTotal());
        assertThat(model.classes()).extracting(ReportModel.DependencyClass::label).containsExactly("0", "1", ">1");
        assertThat(model.classes().stream().mapToLong(ReportModel.DependencyClass::before).sum()).isEqualTo(before);
        assertThat(model.classes().stream().mapToInt(ReportModel.DependencyClass::modules).sum())
                .isEqualTo(model.rows().size());
        for (ReportModel.DependencyClass c : model.classes()) {
            int lo = c.label().equals(">1") ? 2 : Integer.parseInt(c.label());
            assertThat(c.modules()).isEqualTo((int) model.rows().stream()
                    .filter(r -> Math.min(2, r.dependencies()) == lo).count());
        }
        // the set has each class, and both kinds of "left": providers in the set and outside it
        assertThat(model.classes()).allSatisfy(c -> assertThat(c.modules()).isPositive());
        Map<Reason, Integer> left = run.leftByReason();
        assertThat(left).containsKeys(Reason.EXPORTED_BY_MODULE, Reason.NOT_EXPORTED);
        // best is sorted by share descending, worst ascending, and no module with nothing to look up is ranked
        assertThat(model.best()).hasSize(5).isSortedAccordingTo((a, b) -> Double.compare(b.share(), a.share()));
        assertThat(model.worst()).hasSize(5).isSortedAccordingTo((a, b) -> Double.compare(a.share(), b.share()));
        assertThat(model.best()).noneMatch(r -> r.before() == 0);
        assertThat(model.worst().get(0).share()).isLessThan(model.best().get(0).share());
        int[] hist = model.shareHistogram();
        assertThat(java.util.Arrays.stream(hist).sum()).isEqualTo((int) model.rows().stream()
                .filter(r -> r.before() > 0).count());
        assertThat(hist[10]).isEqualTo(model.totals().full());
    }

    @Test
    void csvHasOneRecordPerModuleAndQuotesFieldsWithCommas() {
        String csv = ReportFormat.CSV.render(model, true, "");
        assertThat(csv.lines().count()).isEqualTo(1 + model.rows().size());
        ModuleReport failed = ModuleReport.failure("kernel/x,y.ko", ModuleReport.Status.ERROR,
                "bad \"magic\", not ELF");
        RunReport r = new RunReport("k", "", 1, List.of(failed), true);
        String one = CsvFormat.render(ReportModel.of(r));
        assertThat(one.lines().skip(1).findFirst().orElseThrow())
                .isEqualTo("\"kernel/x,y.ko\",,error,,,,,,,\"bad \"\"magic\"\", not ELF\"");
    }

    @Test
    void jsonReportCarriesTheSameTotalsAsTheRows() throws IOException {
        String json = ReportFormat.JSON.render(model, true, "");
        var parser = new com.fasterxml.jackson.core.JsonFactory().createParser(json);
        long modules = 0;
        long standardSum = 0;
        long totalStandard = -1;
        int depth = 0;
        String section = "";
        while (parser.nextToken() != null) {
            var t = parser.currentToken();
            if (t == com.fasterxml.jackson.core.JsonToken.START_OBJECT
                    || t == com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
                depth++;
            } else if (t == com.fasterxml.jackson.core.JsonToken.END_OBJECT
                    || t == com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
                depth--;
            } else if (t == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                String f = parser.currentName();
                if (depth == 1) {
                    section = f;
                } else if (f.equals("standard")) {
                    parser.nextToken();
                    if (section.equals("totals")) {
                        totalStandard = parser.getLongValue();
                    } else if (section.equals("modules")) {
                        standardSum += parser.getLongValue();
                        modules++;
                    }
                }
            }
        }
        assertThat(modules).isEqualTo(model.rows().size());
        assertThat(totalStandard).isEqualTo(standardSum).isEqualTo(model.totals().before());
    }
}

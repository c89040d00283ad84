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
import org.preresolver.preresolve.Reason;
import org.preresolver.qemu.Host;

/**
 * The text, Markdown and CSV reports of a fixed set of real Debian modules ({@link GoldenSet})
 * against golden files in src/test/resources/golden/. After an intended change, regenerate them:
 * <pre>mvn -B verify -Dtest=ReportGoldenTest -Dlkmpr.updateGolden=true</pre>
 * and review the diff. The numbers themselves are checked against binutils and kmod here too.
 */
class ReportGoldenTest {
    static final String UPDATE = "lkmpr.updateGolden";

    static RunReport run;
    static ReportModel model;

    @BeforeAll
    static void runOverTheSet() throws Exception {
        run = GoldenSet.run();
        model = ReportModel.of(run, 5);
    }

    @Test
    void textReportMatchesGoldenFile() throws IOException {
        golden("report.txt", ReportFormat.TEXT.render(model, true, ""));
    }

    @Test
    void markdownReportMatchesGoldenFile() throws IOException {
        golden("report.md", ReportFormat.MARKDOWN.render(model, true, ""));
    }

    @Test
    void csvReportMatchesGoldenFile() throws IOException {
        golden("report.csv", ReportFormat.CSV.render(model, true, ""));
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

    /** Compares with the golden file, or rewrites it when -Dlkmpr.updateGolden=true. */
    static void golden(String name, String actual) throws IOException {
        Path file = Host.projectDir().resolve("src/test/resources/golden").resolve(name);
        if (Boolean.getBoolean(UPDATE)) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, actual, StandardCharsets.UTF_8);
        }
        assertThat(file).as("golden file %s (regenerate with -D%s=true)", file, UPDATE).exists();
        assertThat(actual).as("%s differs from the golden file; if intended, regenerate with -D%s=true", name, UPDATE)
                .isEqualTo(Files.readString(file, StandardCharsets.UTF_8));
    }
}

package org.preresolver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.qemu.Host;
import org.preresolver.report.GoldenSet;
import org.preresolver.report.ReportFormat;
import org.preresolver.report.ReportModel;
import org.preresolver.testing.CliRun;

/** {@code report} and {@code preresolve --report} on the command line: what the API reports, in every format. */
class ReportCommandTest {
    @TempDir
    static Path tmp;
    static DebianKernel kernel;
    static Path tree;

    @BeforeAll
    static void setUp() throws Exception {
        kernel = GoldenSet.kernel();
        tree = GoldenSet.copyTo(tmp.resolve("tree"));
    }

    /**
     * What the API's report of the same set renders to: ReportGoldenTest holds every number of it against
     * an independent oracle (readelf, modinfo, __versions, Module.symvers), so the CLI must write exactly it.
     */
    static String expected(ReportFormat format, int top) throws Exception {
        return format.render(ReportModel.of(GoldenSet.run(), top), true, ReportSpec.generator());
    }

    @Test
    void reportWritesTheCheckedTablesAndFollowsTheKaslrDecision() throws Exception {
        Path csv = tmp.resolve("r.csv");
        CliRun r = cli("report", "-k", kernel.vmlinuz().toString(), "--strip-signature", "--assume-nokaslr", "-f",
                "csv", "-o", csv.toString(), tree.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(Files.readString(csv)).isEqualTo(expected(ReportFormat.CSV, ReportModel.DEFAULT_TOP));
        // without --assume-nokaslr the report is made in anchor mode, as preresolve would, with nothing to note
        Path anchored = tmp.resolve("anchored.csv");
        CliRun a = cli("report", "-k", kernel.vmlinuz().toString(), "--strip-signature", "-f", "csv", "-o",
                anchored.toString(), tree.toString());
        assertThat(a.code()).isZero();
        assertThat(a.err()).doesNotContain("refuse").doesNotContain("WARNING");
        assertThat(Files.readString(anchored)).isNotEqualTo(expected(ReportFormat.CSV, ReportModel.DEFAULT_TOP))
                .contains("anchor=1");

        CliRun text = cli("report", "-k", kernel.vmlinuz().toString(), "--strip-signature", "--assume-nokaslr",
                "--top", "5", tree.toString());
        assertThat(text.code()).isZero();
        assertThat(text.out()).isEqualTo(expected(ReportFormat.TEXT, 5));
    }

    @Test
    void withoutStripSignatureSignedModulesAreReportedAsRefusedAndTheReportStillSucceeds() throws Exception {
        CliRun r = cli("report", "-k", kernel.vmlinuz().toString(), "--assume-nokaslr", "-f", "csv", tree.toString());
        assertThat(r.code()).isZero();
        int n = GoldenSet.MODULES.size();
        // every module that has something to preresolve is signed, hence refused; cast_common has nothing
        assertThat(r.out().lines().skip(1)).hasSize(n).filteredOn(l -> !l.startsWith("kernel/crypto/cast_common.ko,"))
                .hasSize(n - 1).allMatch(l -> l.contains(",refused,") && l.contains("module is signed"));
        assertThat(r.out()).contains("kernel/crypto/cast_common.ko,cast_common,nothing-to-do,0,0,0,0,,,");
        assertThat(r.err()).contains((n - 1) + " of " + n + " modules failed or were refused");
    }

    @Test
    void preresolveWritesReportsOfItsOwnRunToFilesAndStdout() throws Exception {
        Path md = tmp.resolve("reports/run.md");
        Path html = tmp.resolve("reports/run.html");
        CliRun r = cli("preresolve", "-k", kernel.vmlinuz().toString(), "--assume-nokaslr", "--strip-signature", "-n",
                "--report", "markdown:" + md, "--report", "html:" + html, "--report", "csv", tree.toString());
        assertThat(r.code()).isZero();
        assertThat(md).isRegularFile();
        // the full report (top 10) of the same run: its module table is the checked one's
        String mdText = Files.readString(md);
        String wantMd = expected(ReportFormat.MARKDOWN, ReportModel.DEFAULT_TOP);
        assertThat(mdText.substring(mdText.indexOf("## Modules"))).isEqualTo(wantMd.substring(
                wantMd.indexOf("## Modules")));
        assertThat(Files.readString(html)).startsWith("<!DOCTYPE html>").contains("id=\"chart-largest\"");
        // PRERESV lines and the summary first, then the CSV on stdout
        String out = r.out();
        assertThat(out.indexOf("  PRERESV")).isLessThan(out.indexOf("dry run: "));
        assertThat(out.substring(out.indexOf("path,name,status,"))).isEqualTo(expected(ReportFormat.CSV,
                ReportModel.DEFAULT_TOP));
    }

    @Test
    void aBadFormatIsAUsageError() {
        CliRun r = cli("report", "-k", kernel.vmlinuz().toString(), "-f", "pdf", tree.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("unknown report format 'pdf'");
        CliRun p = cli("preresolve", "-k", kernel.vmlinuz().toString(), "-n", "--report", "xls:x", tree.toString());
        assertThat(p.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(p.err()).contains("--report xls:x");
    }
}

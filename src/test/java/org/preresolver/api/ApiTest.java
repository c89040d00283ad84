package org.preresolver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.RefusedException;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.report.ModuleReport;
import org.preresolver.report.ReportFormat;
import org.preresolver.report.ReportModel;
import org.preresolver.report.RunReport;

/**
 * What an integrator (a Gradle or Maven plugin) does, through the library API only: load a
 * kernel, preresolve a tree or a module with options, and read the results as data. No CLI.
 */
class ApiTest {
    @TempDir
    Path tmp;
    static DebianKernel debian;
    static Kernel kernel;

    static final List<String> MODULES = List.of("crypto/xor.ko", "crypto/async_tx/async_tx.ko",
            "crypto/async_tx/async_xor.ko");

    @BeforeAll
    static void load() throws Exception {
        debian = DebianKernel.fetch();
        kernel = Kernel.fromImage(debian.vmlinuz());
    }

    Path tree() throws Exception {
        Path dir = tmp.resolve("in");
        for (String m : MODULES) {
            Path t = dir.resolve(m);
            Files.createDirectories(t.getParent());
            Files.copy(debian.modulesDir().resolve("kernel").resolve(m), t);
        }
        return dir;
    }

    @Test
    void theKernelTellsItsReleaseAndExports() {
        assertThat(kernel.release()).isEqualTo(debian.release());
        assertThat(kernel.exportCount()).isGreaterThan(5000).isEqualTo(kernel.exports().size());
        assertThat(kernel.source()).contains("vmlinuz-" + debian.release());
        assertThat(kernel.config()).isPresent();
    }

    /**
     * Inputs listed on a thread while something else goes on ({@link Inputs#start}) are the modules a
     * run over the paths takes, and what is wrong with them is thrown when they are used, not before.
     */
    @Test
    void inputsListedInTheBackgroundAreTheRunsModulesAndTheirErrorsComeWhenUsed() throws Exception {
        Path in = tree();
        Inputs listed = Inputs.start(List.of(in));
        RunReport r = Preresolve.against(kernel).withStripSignature(true).dryRun(listed);
        assertThat(listed.count()).isEqualTo(MODULES.size());
        assertThat(r.modules()).extracting(ModuleReport::path)
                .containsExactlyElementsOf(MODULES.stream().sorted().toList());
        Inputs missing = Inputs.start(List.of(tmp.resolve("no-such-tree")));
        assertThatThrownBy(missing::count).isInstanceOf(java.nio.file.NoSuchFileException.class);
        assertThatThrownBy(() -> Preresolve.against(kernel).dryRun(missing))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
    }

    @Test
    void aTreeIsWrittenToADirectoryAndEveryModuleReportedInOrder() throws Exception {
        Path in = tree();
        Path out = tmp.resolve("out");
        List<ModuleReport> seen = new ArrayList<>();
        RunReport r = Preresolve.against(kernel).withAssumeNokaslr(true).withStripSignature(true).withThreads(2)
                .withListener(seen::add).toDirectory(List.of(in), out);
        assertThat(r.dryRun()).isFalse();
        assertThat(r.release()).isEqualTo(debian.release());
        assertThat(r.modules()).extracting(ModuleReport::path)
                .containsExactly("crypto/async_tx/async_tx.ko", "crypto/async_tx/async_xor.ko", "crypto/xor.ko");
        assertThat(seen).isEqualTo(r.modules());
        for (ModuleReport m : r.modules()) {
            assertThat(m.status()).isEqualTo(ModuleReport.Status.PRERESOLVED);
            assertThat(m.preresolved()).isPositive().isLessThanOrEqualTo(m.undefined());
            byte[] written = Files.readAllBytes(out.resolve(m.path()));
            assertThat(written.length).isEqualTo(m.sizeOut());
            // the output restores, byte for byte, to the signed original
            assertThat(Restore.original(written)).hasValueSatisfying(
                    orig -> assertThat(orig).isEqualTo(readUnchecked(in.resolve(m.path()))));
        }
        // async_xor needs async_tx and xor, both in the tree: what vmlinux lacks is "exported by a module"
        ModuleReport xor = r.modules().get(1);
        assertThat(xor.depends()).containsExactlyInAnyOrder("async_tx", "xor");
        assertThat(xor.left()).containsOnlyKeys(org.preresolver.preresolve.Reason.EXPORTED_BY_MODULE);
        // the same results as a report
        String md = ReportFormat.MARKDOWN.render(ReportModel.of(r), true, "");
        assertThat(md).contains("crypto/async\\_tx/async\\_xor.ko", "| \\>1 | 1 |");
    }

    @Test
    void aDryRunWritesNothingAndInPlaceRewritesTheInputs() throws Exception {
        Path in = tree();
        byte[] before = Files.readAllBytes(in.resolve(MODULES.get(0)));
        Preresolve pre = Preresolve.against(kernel).withAssumeNokaslr(true).withStripSignature(true);
        RunReport dry = pre.dryRun(List.of(in));
        assertThat(dry.dryRun()).isTrue();
        assertThat(dry.preresolvedTotal()).isPositive();
        assertThat(Files.readAllBytes(in.resolve(MODULES.get(0)))).isEqualTo(before);
        RunReport done = pre.inPlace(List.of(in));
        assertThat(done.preresolvedTotal()).isEqualTo(dry.preresolvedTotal());
        assertThat(Restore.original(Files.readAllBytes(in.resolve(MODULES.get(0))))).hasValue(before);
    }

    @Test
    void oneModuleGivesEverySymbolsOutcome() throws Exception {
        Path ko = tree().resolve("crypto/async_tx/async_xor.ko");
        ModuleReport m = Preresolve.against(kernel).withAssumeNokaslr(true).withStripSignature(true).module(ko);
        assertThat(m.outcomes()).hasSize(m.undefined());
        assertThat(m.outcomes().stream().filter(o -> o.isPreresolved()).count()).isEqualTo(m.preresolved());
        assertThat(Files.readAllBytes(ko)).isEqualTo(readUnchecked(debian.modulesDir().resolve("kernel")
                .resolve("crypto/async_tx/async_xor.ko")));
    }

    @Test
    void safetyRefusalsComeBackAsDataOrAsTheKaslrException() throws Exception {
        Path in = tree();
        // Debian's kernel randomises its base: anchor mode, unless the caller assumes nokaslr (then plain, warned)
        assertThat(Preresolve.against(kernel).mode()).isEqualTo(Options.Mode.ANCHOR);
        assertThat(Preresolve.against(kernel).warning()).isEmpty();
        assertThat(Preresolve.against(kernel).withAssumeNokaslr(true).mode()).isEqualTo(Options.Mode.PLAIN);
        assertThat(Preresolve.against(kernel).withAssumeNokaslr(true).warning()).hasValueSatisfying(
                w -> assertThat(w).contains("nokaslr"));
        // signed modules are refused, module by module, without stripSignature
        RunReport r = Preresolve.against(kernel).withAssumeNokaslr(true).dryRun(List.of(in));
        assertThat(r.modules()).allSatisfy(m -> {
            assertThat(m.status()).isEqualTo(ModuleReport.Status.REFUSED);
            assertThat(m.error()).contains("signed");
        });
        assertThat(r.failures()).isEqualTo(MODULES.size());
    }

    /** The example of docs/java-api.md, with the paths of a small tree. */
    @Test
    void theDocumentedExampleRuns() throws Exception {
        Path modules = tree();
        Path outDir = tmp.resolve("out");
        // --- as in docs/java-api.md ---
        Kernel kernel = Kernel.fromImage(debian.vmlinuz());
        Preresolve pre = Preresolve.against(kernel)
                .withAssumeNokaslr(true)
                .withStripSignature(true)
                .withListener(m -> System.out.println(m.path() + " " + m.preresolved() + "/" + m.undefined()));

        RunReport run = pre.toDirectory(List.of(modules), outDir);
        for (ModuleReport m : run.modules()) {
            if (m.status().failed()) {
                System.err.println(m.path() + ": " + m.error());
            }
        }
        System.out.printf("%d/%d preresolved%n", run.preresolvedTotal(), run.undefinedTotal());

        String html = ReportFormat.HTML.render(ReportModel.of(run), true, "my-plugin 1.0");
        // ---
        assertThat(run.failures()).isZero();
        assertThat(run.modules()).hasSize(MODULES.size());
        assertThat(html).contains("<svg", "Made by my-plugin 1.0", "crypto/xor.ko");
        for (String m : MODULES) {
            assertThat(outDir.resolve(m)).isRegularFile();
        }
    }

    private static byte[] readUnchecked(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

package org.preresolver.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.TestFiles.moduleHashes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.api.RunConfig;
import org.preresolver.api.TreeRunner;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.report.ModuleReport;
import org.preresolver.report.RunReport;
import org.preresolver.testing.CliRun;

/**
 * Found by fuzzing: a preresolved module run again against a kernel that gives it nothing (here:
 * every CRC differs, as after a rebuild of the same release) must be put back to its original,
 * not reported as "internal check failed" and left bound to the old kernel's addresses.
 */
class RetargetToNothingTest {
    @TempDir
    Path tmp;

    @Test
    void aPreresolvedModuleThatTheNewKernelGivesNothingIsRestoredInPlace() throws Exception {
        Fixture fx = Fixture.get();
        Path work = tmp.resolve("tree");
        fx.copyModules(work, "lib/math");
        Map<String, String> orig = moduleHashes(work);
        CliRun first = fx.preresolve("--in-place", "-q", work.toString());
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(moduleHashes(work)).isNotEqualTo(orig);

        KernelExports k = KernelLoader.fromImage(fx.vmlinux, fx.debian.config()).exports();
        List<KernelExport> other = new ArrayList<>();
        for (KernelExport e : k.all()) {
            other.add(new KernelExport(e.name(), e.address(), e.gplOnly(), e.namespace(),
                    e.crc() == null ? null : e.crc() ^ 1, e.protectedSymbol()));
        }
        KernelExports rebuilt = new KernelExports(k.identity(), k.layout().orElse(null), other, "rebuilt");
        Options opts = Options.defaults().withStripSignature(true);
        List<ModuleReport> reports = new ArrayList<>();
        RunReport run = new TreeRunner(p -> new Preresolver(rebuilt, opts.withProviders(p)))
                .run(new RunConfig(List.of(work), null, true, false, false, 2, false, List.of(), true), reports::add);

        assertThat(reports).isNotEmpty().allSatisfy(r -> {
            assertThat(r.error()).isEmpty();
            assertThat(r.status()).isEqualTo(ModuleReport.Status.NOTHING_TO_DO);
        });
        assertThat(run.count(ModuleReport.Status.ERROR)).isZero();
        assertThat(moduleHashes(work)).as("every module back to its original bytes").isEqualTo(orig);
        assertThat(Files.exists(work.resolve("lib/math"))).isTrue();
    }
}

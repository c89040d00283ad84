package org.preresolver.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.report.ModuleReport;
import org.preresolver.report.RunReport;

/**
 * A dry run reads each module once and decides it before the tree's exports are all known,
 * assuming every name vmlinux does not export comes from a GPL-compatible module. Where the tree
 * says otherwise (a provider relicensed, a provider missing) the module must be decided again, so
 * that the dry run reports exactly what writing the tree does. On Debian's ext4 and the modules it
 * imports from: whether each GPL-only vmlinux export (Module.symvers) that ext4 imports is still
 * undefined in the written ext4 is read with {@code nm}.
 */
class DryRunOneReadTest {
    @TempDir
    static Path tmp;
    static DebianKernel debian;
    static Kernel kernel;
    /** The vmlinux exports that are EXPORT_SYMBOL_GPL, from Module.symvers. */
    static Set<String> gplOnly = new HashSet<>();

    static final List<String> MODULES = List.of("fs/ext4/ext4.ko", "fs/jbd2/jbd2.ko", "fs/mbcache.ko", "lib/crc16.ko");

    @BeforeAll
    static void load() throws Exception {
        debian = DebianKernel.fetch();
        kernel = Kernel.fromImage(debian.vmlinux(), debian.config());
        for (String line : Files.readAllLines(debian.symvers())) {
            String[] f = line.split("\t");
            if (f.length >= 4 && f[2].equals("vmlinux") && f[3].equals("EXPORT_SYMBOL_GPL")) {
                gplOnly.add(f[1]);
            }
        }
        assertThat(gplOnly).hasSizeGreaterThan(1000);
    }

    /** A tree of {@code modules}; jbd2's licence made proprietary when {@code relicense}. */
    static Path tree(String name, List<String> modules, boolean relicense) throws IOException {
        Path dir = tmp.resolve(name);
        for (String m : modules) {
            Path t = dir.resolve(m);
            Files.createDirectories(t.getParent());
            byte[] b = Files.readAllBytes(debian.modulesDir().resolve("kernel").resolve(m));
            if (relicense && m.endsWith("jbd2.ko")) {
                b = replaceOnce(b, "license=GPL\0", "license=Pro\0");
            }
            Files.write(t, b);
        }
        return dir;
    }

    @Test
    void aDryRunReportsWhatWritingTheTreeDoesWhateverTheProvidersAre() throws Exception {
        Preresolve pre = Preresolve.against(kernel).withStripSignature(true).withThreads(2);
        Path complete = tree("complete", MODULES, false);
        Path relicensed = tree("relicensed", MODULES, true);
        Path missing = tree("missing", List.of("fs/ext4/ext4.ko", "fs/mbcache.ko", "lib/crc16.ko"), false);
        int guardedWhenComplete = -1;
        int sized = 0;
        for (Path in : List.of(complete, relicensed, missing)) {
            Path out = tmp.resolve(in.getFileName() + "-out");
            RunReport written = pre.toDirectory(List.of(in), out);
            RunReport dry = pre.dryRun(List.of(in));
            assertThat(dry.modules()).hasSameSizeAs(written.modules());
            for (int i = 0; i < dry.modules().size(); i++) {
                ModuleReport d = dry.modules().get(i);
                ModuleReport w = written.modules().get(i);
                assertThat(d.path()).isEqualTo(w.path());
                assertThat(d.status()).as(d.path()).isEqualTo(w.status());
                assertThat(d.preresolved()).as(d.path()).isEqualTo(w.preresolved());
                assertThat(d.undefined()).as(d.path()).isEqualTo(w.undefined());
                assertThat(d.left()).as(d.path()).isEqualTo(w.left());
                assertThat(d.error()).as(d.path()).isEqualTo(w.error());
                // A dry run reports the size of each output it built: the size of the file that writing
                // the tree leaves.
                if (d.status() == ModuleReport.Status.PRERESOLVED) {
                    assertThat(d.uncompressedSizeOut()).as(d.path()).isEqualTo(Files.size(out.resolve(d.path())));
                    sized++;
                }
            }
            // What nm says of the written ext4: its GPL-only imports from vmlinux still undefined.
            Set<String> imports = nmUndefined(debian.modulesDir().resolve("kernel/fs/ext4/ext4.ko"));
            imports.retainAll(gplOnly);
            assertThat(imports).hasSizeGreaterThan(10);
            Set<String> left = nmUndefined(out.resolve("fs/ext4/ext4.ko"));
            left.retainAll(imports);
            if (in == complete) {
                guardedWhenComplete = left.size();
                // Every provider in the tree and GPL: the GPL-only imports are preresolved but the anchor.
                assertThat(left.size()).isLessThan(imports.size() / 2);
            } else {
                // A provider unknown or proprietary: every GPL-only import stays for the kernel's check.
                assertThat(left).as(in.getFileName().toString()).isEqualTo(imports);
            }
        }
        assertThat(guardedWhenComplete).isGreaterThanOrEqualTo(0);
        assertThat(sized).isGreaterThanOrEqualTo(6);
    }

    /**
     * A progress display follows {@link Preresolve#withProgress}: one call per module as it is
     * decided. A dry run hands out its reports only after the last of them; a written run hands
     * out each report before its progress call.
     */
    @Test
    void progressComesPerModuleAndADryRunsReportsAfterAllOfIt() throws Exception {
        Path in = tree("progress", MODULES, false);
        List<String> seen = new java.util.ArrayList<>();
        Preresolve pre = Preresolve.against(kernel).withStripSignature(true).withThreads(2)
                .withListener(m -> seen.add("report " + m.path())).withProgress(() -> seen.add("step"));
        pre.dryRun(List.of(in));
        assertThat(seen).hasSize(2 * MODULES.size());
        assertThat(seen.subList(0, MODULES.size())).containsOnly("step");
        assertThat(seen.subList(MODULES.size(), seen.size())).allSatisfy(e -> assertThat(e).startsWith("report "));
        seen.clear();
        pre.toDirectory(List.of(in), tmp.resolve("progress-out"));
        assertThat(seen).hasSize(2 * MODULES.size());
        for (int i = 0; i < seen.size(); i += 2) {
            assertThat(seen.get(i)).startsWith("report ");
            assertThat(seen.get(i + 1)).isEqualTo("step");
        }
    }

    static Set<String> nmUndefined(Path ko) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("nm", "-u", ko.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        Set<String> names = new HashSet<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals("U")) {
                names.add(f[1]);
            }
        }
        return names;
    }

    static byte[] replaceOnce(byte[] b, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.ISO_8859_1);
        byte[] t = to.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i + f.length <= b.length; i++) {
            if (java.util.Arrays.equals(b, i, i + f.length, f, 0, f.length)) {
                byte[] c = b.clone();
                System.arraycopy(t, 0, c, i, t.length);
                return c;
            }
        }
        throw new AssertionError(from + " not found");
    }
}

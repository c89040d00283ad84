package org.preresolver.debian;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.testing.CliRun;
import org.preresolver.testing.SymbolOracle;

/**
 * The whole Debian module tree (about 4000 modules), preresolved by the CLI, then held against
 * binutils' readelf: every patched symbol is ABS at its exported address, every remaining UND is a
 * symbol vmlinux does not export, and sections and relocations are otherwise unchanged.
 */
class DebianTreeTest {
    private static final Pattern LINE = Pattern.compile("  PRERESV (\\S+) \\((\\d+)/(\\d+)( \\*fully\\*)? preresolved\\)");

    @TempDir
    static Path tmp;
    static DebianKernel kernel;
    static KernelExports exports;
    static Path out;
    static int exit;
    static List<String> stdout;
    static String stderr;

    @BeforeAll
    static void run() throws Exception {
        kernel = DebianKernel.fetch();
        exports = KernelLoader.fromImage(kernel.vmlinuz(), null).exports();
        out = tmp.resolve("out");
        CliRun r = cli("preresolve", "--kernel", kernel.vmlinuz().toString(), "--assume-nokaslr",
                "--strip-signature", "-o", out.toString(), kernel.modulesDir().toString());
        exit = r.code();
        stdout = r.out().lines().toList();
        stderr = r.err();
    }

    static List<Path> modules() throws Exception {
        try (Stream<Path> s = Files.walk(kernel.modulesDir())) {
            return s.filter(p -> p.toString().endsWith(".ko")).sorted().toList();
        }
    }

    @Test
    void everyModuleIsPreresolvedWithoutErrorAndGetsItsLine() throws Exception {
        assertThat(exit).as(stderr).isZero();
        assertThat(stderr.lines().filter(l -> !l.contains("WARNING: this kernel has CONFIG_RANDOMIZE_BASE=y")))
                .as("stderr").isEmpty();
        List<Path> mods = modules();
        assertThat(mods).hasSizeGreaterThan(3500);
        List<String> lines = stdout.stream().filter(l -> l.startsWith("  PRERESV ")).toList();
        assertThat(lines).hasSameSizeAs(mods).allMatch(l -> LINE.matcher(l).matches());
        for (String l : lines) {
            Matcher m = LINE.matcher(l);
            assertThat(m.matches()).isTrue();
            int n = Integer.parseInt(m.group(2));
            int total = Integer.parseInt(m.group(3));
            assertThat(m.group(4) != null).as(l).isEqualTo(n == total && total > 0);
        }
        assertThat(stdout).anyMatch(l -> l.matches("\\d+ modules, \\d+/\\d+ undefined symbols preresolved .*, 0 errors"));
        try (Stream<Path> s = Files.walk(out)) {
            assertThat(s.filter(p -> p.toString().endsWith(".ko")).count()).isEqualTo(mods.size());
        }
    }

    /**
     * The counts of the PRERESV lines come from an independent oracle (readelf, modinfo, modversions
     * and the kernel package's Module.symvers): ext4, jbd2, xfs, usbcore and every 100th module.
     */
    @Test
    void preresolvedCountsAreTheOraclesForASampleOfModules() throws Exception {
        SymbolOracle oracle = SymbolOracle.ofKernel(kernel.root(), kernel.release());
        List<Path> mods = modules();
        List<Path> sample = new ArrayList<>();
        for (String m : List.of("fs/ext4/ext4.ko", "fs/jbd2/jbd2.ko", "fs/xfs/xfs.ko", "drivers/usb/core/usbcore.ko")) {
            sample.add(kernel.modulesDir().resolve("kernel").resolve(m));
        }
        for (int i = 0; i < mods.size(); i += 100) {
            sample.add(mods.get(i));
        }
        int withLeft = 0;
        for (Path ko : sample) {
            String rel = kernel.modulesDir().relativize(ko).toString();
            SymbolOracle.Expected e = oracle.expect(ko, kernel.modulesDir());
            String want = "  PRERESV " + rel + " (" + e.ratio()
                    + (e.preresolved() == e.undefined().size() && !e.undefined().isEmpty() ? " *fully*" : "")
                    + " preresolved)";
            assertThat(stdout).as("oracle for %s: left %s", rel, e.left()).contains(want);
            // And symbol by symbol: what readelf sees undefined in the output is what the oracle leaves.
            List<String> stillUndefined = SymbolOracle.undefinedSymbols(out.resolve(rel));
            assertThat(stillUndefined).as("UND in the output of %s", rel)
                    .containsExactlyInAnyOrderElementsOf(e.left().keySet());
            if (!e.left().isEmpty()) {
                withLeft++;
            }
        }
        // ext4 imports from jbd2, mbcache and crc16: not all of it can be preresolved.
        assertThat(oracle.expect(sample.get(0), kernel.modulesDir()).left()).isNotEmpty()
                .containsValue(SymbolOracle.Why.EXPORTED_BY_MODULE);
        assertThat(withLeft).isPositive();
    }

    @Test
    void readelfAgreesWithEveryPatchAndSeesNothingElseChanged() throws Exception {
        List<Path> mods = modules();
        long patchedTotal = ReadelfDump.comparePairs(mods, kernel.modulesDir(), out, stdout, (rel, x, y, reported) -> {
            int patched = compare(rel, x, y);
            assertThat(patched).as("patched symbols of %s vs its PRERESV line", rel).isEqualTo(reported);
            return patched;
        });
        assertThat(patchedTotal).isGreaterThan(100000);
    }

    /** Compares one module's readelf views; returns how many symbols went from UND to ABS. */
    private static int compare(String rel, ReadelfDump.FileDump a, ReadelfDump.FileDump b) {
        // Sections: the same, apart from .shstrtab's place and size, plus .preresolved at the end.
        assertThat(b.sections()).as(rel).hasSize(a.sections().size() + 1);
        for (int i = 0; i < a.sections().size(); i++) {
            String x = a.sections().get(i);
            String y = b.sections().get(i);
            if (x.startsWith(".shstrtab ")) {
                assertThat(y.split("\\s+")[0]).isEqualTo(".shstrtab");
                assertThat(fieldsExceptOffsetAndSize(y)).as(rel).isEqualTo(fieldsExceptOffsetAndSize(x));
            } else {
                assertThat(y).as("%s section %d", rel, i).isEqualTo(x);
            }
        }
        String extra = b.sections().get(a.sections().size());
        assertThat(extra).as(rel).startsWith(".preresolved ").contains("PROGBITS");
        assertThat(extra.split("\\s+")).as("no flags: not SHF_ALLOC").hasSize(9);
        // Relocations: the same entries; only the shown symbol value may differ.
        assertThat(b.relocations().keySet()).as(rel).containsExactlyElementsOf(a.relocations().keySet());
        for (String sec : a.relocations().keySet()) {
            List<String> x = a.relocations().get(sec);
            List<String> y = b.relocations().get(sec);
            assertThat(y).as("%s %s", rel, sec).hasSameSizeAs(x);
            for (int i = 0; i < x.size(); i++) {
                assertThat(withoutSymbolValue(y.get(i))).isEqualTo(withoutSymbolValue(x.get(i)));
            }
        }
        // Symbols: UND -> ABS at the exported address, or unchanged.
        assertThat(b.symbols()).as(rel).hasSameSizeAs(a.symbols());
        int patched = 0;
        for (int i = 0; i < a.symbols().size(); i++) {
            String[] x = a.symbols().get(i);
            String[] y = b.symbols().get(i);
            String name = x.length > 7 ? x[7] : "";
            if (x[6].equals("UND") && y[6].equals("ABS")) {
                KernelExport e = exports.get(name);
                assertThat(e).as("%s: %s is ABS but vmlinux does not export it", rel, name).isNotNull();
                assertThat(Long.parseUnsignedLong(y[1], 16)).as("%s: %s", rel, name).isEqualTo(e.address());
                assertThat(new String[] {y[2], y[3], y[4], y[5]}).isEqualTo(new String[] {x[2], x[3], x[4], x[5]});
                patched++;
            } else {
                assertThat(y).as("%s symbol %s", rel, name).isEqualTo(x);
                if (y[6].equals("UND") && !name.isEmpty()) {
                    KernelExport e = exports.get(name);
                    assertThat(e == null || e.address() == 0)
                            .as("%s: %s stays UND although vmlinux exports it", rel, name).isTrue();
                }
            }
        }
        return patched;
    }

    private static String fieldsExceptOffsetAndSize(String sectionLine) {
        String[] f = sectionLine.split("\\s+");
        // name type address off size es flg lk inf al
        return f[0] + " " + f[1] + " " + f[2] + " " + String.join(" ", java.util.Arrays.copyOfRange(f, 5, f.length));
    }

    private static String withoutSymbolValue(String relocLine) {
        String[] f = relocLine.strip().split("\\s+");
        if (f.length < 5) {
            return relocLine;
        }
        f[3] = "-";
        return String.join(" ", f);
    }
}

package org.preresolver.debian;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.testing.CliRun;

/**
 * Anchor mode over Debian's whole amd64 tree, held against binutils: {@code preresolve} with no
 * {@code --assume-nokaslr} on a kernel with {@code CONFIG_RANDOMIZE_BASE=y} picks anchor mode and finishes
 * with exit 0; {@code readelf} then shows, for every module, that the symbols that left {@code .symtab}
 * are vmlinux exports, that every relocation that named one now names the module's one anchor with its
 * addend moved by exactly the distance between the two exports, and that every other relocation, section
 * and symbol is unchanged; {@code restore} gives back every signed original byte for byte, and a second run
 * changes nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnchorDebianTreeTest {
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
        exports = KernelLoader.fromImage(kernel.vmlinux(), null).exports();
        out = tmp.resolve("out");
        CliRun r = cli("preresolve", "--kernel", kernel.vmlinux().toString(), "--strip-signature", "-o",
                out.toString(), kernel.modulesDir().toString());
        exit = r.code();
        stdout = r.out().lines().toList();
        stderr = r.err();
    }

    static List<Path> modules(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".ko")).sorted().toList();
        }
    }

    @Test
    @Order(1)
    void aKaslrKernelIsPreresolvedInAnchorModeWithoutAnyOption() throws Exception {
        assertThat(kernel.config()).content().contains("CONFIG_RANDOMIZE_BASE=y");
        assertThat(exit).as(stderr).isZero();
        assertThat(stderr).as("no KASLR warning or refusal").isEmpty();
        List<Path> mods = modules(kernel.modulesDir());
        assertThat(stdout.stream().filter(l -> l.startsWith("  PRERESV "))).hasSameSizeAs(mods)
                .allMatch(l -> LINE.matcher(l).matches());
        assertThat(stdout).anyMatch(l -> l.matches("\\d+ modules, \\d+/\\d+ undefined symbols preresolved .*, 0 errors"));
    }

    @Test
    @Order(2)
    void readelfSeesEveryRebaseAndNothingElseChanged() throws Exception {
        List<Path> mods = modules(kernel.modulesDir());
        long rebasedRelocations = ReadelfDump.comparePairs(mods, kernel.modulesDir(), out, stdout,
                AnchorDebianTreeTest::compare);
        assertThat(rebasedRelocations).isGreaterThan(100000);
    }

    /** Compares one module's readelf views; returns how many relocations were rebased on the anchor. */
    private static long compare(String rel, ReadelfDump.FileDump a, ReadelfDump.FileDump b, int reported) {
        // Sections: the same names, types, addresses and flags; .preresolved added, not SHF_ALLOC.
        assertThat(b.sections()).as(rel).hasSize(a.sections().size() + 1);
        for (int i = 0; i < a.sections().size(); i++) {
            String[] x = a.sections().get(i).split("\\s+");
            String[] y = b.sections().get(i).split("\\s+");
            assertThat(y[0] + " " + y[1] + " " + y[2]).as("%s section %d", rel, i).isEqualTo(x[0] + " " + x[1] + " " + x[2]);
            boolean moved = x[1].equals("SYMTAB") || x[1].equals("RELA") || x[1].equals("STRTAB") && x[0].equals(".shstrtab");
            if (!moved) {
                assertThat(b.sections().get(i)).as("%s section %d", rel, i).isEqualTo(a.sections().get(i));
            }
        }
        assertThat(b.sections().get(a.sections().size())).startsWith(".preresolved ").contains("PROGBITS");

        // Symbols: the ones gone are vmlinux exports; the rest are the same, except UND -> ABS (per-CPU offsets).
        Map<String, String[]> after = new HashMap<>();
        b.symbols().forEach(s -> after.put(key(s), s));
        Set<String> gone = new HashSet<>();
        int absolute = 0;
        for (String[] s : a.symbols()) {
            String[] t = after.get(key(s));
            String name = s.length > 7 ? s[7] : "";
            if (t == null) {
                assertThat(s[6]).as("%s: %s left .symtab", rel, name).isEqualTo("UND");
                KernelExport e = exports.get(name);
                assertThat(e).as("%s: %s left .symtab but vmlinux does not export it", rel, name).isNotNull();
                gone.add(name);
            } else if (s[6].equals("UND") && t[6].equals("ABS")) {
                assertThat(Long.parseUnsignedLong(t[1], 16)).as("%s: %s", rel, name).isEqualTo(exports.get(name).address());
                absolute++;
            } else {
                assertThat(java.util.Arrays.copyOfRange(t, 1, t.length))
                        .isEqualTo(java.util.Arrays.copyOfRange(s, 1, s.length));
            }
        }
        assertThat(b.symbols()).as(rel).hasSize(a.symbols().size() - gone.size());
        assertThat(gone.size() + absolute).as("%s: symbols bound vs its PRERESV line", rel).isEqualTo(reported);

        // Relocations: entry for entry the same place and type; the gone symbols' now name the anchor.
        assertThat(b.relocations().keySet()).as(rel).containsExactlyElementsOf(a.relocations().keySet());
        String anchor = null;
        long rebased = 0;
        for (String sec : a.relocations().keySet()) {
            List<String> x = a.relocations().get(sec);
            List<String> y = b.relocations().get(sec);
            assertThat(y).as("%s %s", rel, sec).hasSameSizeAs(x);
            for (int i = 1; i < x.size(); i++) {
                Reloc p = Reloc.parse(x.get(i));
                Reloc q = Reloc.parse(y.get(i));
                assertThat(q.offset + " " + q.type).as("%s %s #%d", rel, sec, i).isEqualTo(p.offset + " " + p.type);
                if (gone.contains(p.symbol)) {
                    if (anchor == null) {
                        anchor = q.symbol;
                        assertThat(exports.get(anchor)).as("%s: anchor %s", rel, anchor).isNotNull();
                        assertThat(gone).doesNotContain(anchor);
                    }
                    assertThat(q.symbol).as("%s %s #%d", rel, sec, i).isEqualTo(anchor);
                    assertThat(q.addend - p.addend).as("%s %s #%d: %s rebased on %s", rel, sec, i, p.symbol, anchor)
                            .isEqualTo(exports.get(p.symbol).address() - exports.get(anchor).address());
                    rebased++;
                } else {
                    assertThat(q.symbol + " " + q.addend).as("%s %s #%d", rel, sec, i).isEqualTo(p.symbol + " " + p.addend);
                }
            }
        }
        return rebased;
    }

    /** A symbol's identity across the two tables: its name, or (unnamed) its type and section. */
    private static String key(String[] s) {
        // A bound global goes from UND to ABS; local ABS symbols (assembler constants) keep their value.
        boolean unbound = (s[6].equals("UND") || s[6].equals("ABS")) && !s[4].equals("LOCAL");
        return s.length > 7 ? s[7] + "/" + s[4] + (unbound ? "" : "/" + s[6] + "/" + s[1])
                : s[3] + "/" + s[6] + "/" + s[1];
    }

    /** One readelf -W -r line: offset, info, type, symbol value, name, +/- addend. */
    private record Reloc(String offset, String type, String symbol, long addend) {
        static Reloc parse(String line) {
            String[] f = line.strip().split("\\s+");
            if (f.length >= 7) {
                long v = Long.parseUnsignedLong(f[6], 16);
                return new Reloc(f[0], f[2], f[4], f[5].equals("-") ? -v : v);
            }
            // No symbol: offset info type addend.
            return new Reloc(f[0], f[2], "", f.length > 3 ? Long.parseUnsignedLong(f[f.length - 1], 16) : 0);
        }
    }

    @Test
    @Order(3)
    void restoreGivesBackEverySignedOriginalAndASecondRunChangesNothing() throws Exception {
        Path back = tmp.resolve("back");
        CliRun r = cli("restore", "-o", back.toString(), out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<Path> mods = modules(kernel.modulesDir());
        List<String> differ = new ArrayList<>();
        for (Path p : mods) {
            Path q = back.resolve(kernel.modulesDir().relativize(p));
            if (!Files.exists(q) ? Files.mismatch(p, out.resolve(kernel.modulesDir().relativize(p))) != -1
                    : Files.mismatch(p, q) != -1) {
                differ.add(kernel.modulesDir().relativize(p).toString());
            }
        }
        assertThat(differ).as("modules whose restored bytes differ from Debian's signed original").isEmpty();

        // verify replays the kernel's checks on the anchored symbols, named from the restored original.
        CliRun verify = cli("verify", "--kernel", kernel.vmlinux().toString(), out.toString());
        assertThat(verify.code()).as(verify.err()).isZero();
        assertThat(verify.out()).doesNotContain("STALE");

        CliRun again = cli("preresolve", "--kernel", kernel.vmlinux().toString(), "--strip-signature", "-n",
                "--json", out.toString());
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).doesNotContain("\"status\":\"preresolved\"").doesNotContain("\"status\":\"retargeted\"");
    }
}

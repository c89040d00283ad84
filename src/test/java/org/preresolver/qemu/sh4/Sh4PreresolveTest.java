package org.preresolver.qemu.sh4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.deleteTree;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.preresolver.qemu.Host;
import org.preresolver.testing.CliRun;

/**
 * Preresolves the SH-4 kit's 20 modules (ELF32 RELA, R_SH_DIR32) and checks every count the tool prints
 * against binutils' {@code readelf -s} of the input and the output, Module.symvers and System.map; then
 * the kit README's table of a prototype's counts, the round trip through {@code restore}, and that
 * docs/sh4.md holds the table {@code scripts/sh4-table.py} makes from the JSON report.
 */
class Sh4PreresolveTest {
    private static final Pattern PRERESV = Pattern.compile(
            "^  PRERESV (\\S+) \\((\\d+)/(\\d+) (?:\\*fully\\* )?preresolved\\)$");

    private static Sh4Kit kit;
    private static Path work;
    private static CliRun run;
    /** PRERESV lines: file name to {n, m}. */
    private static final Map<String, int[]> printed = new LinkedHashMap<>();

    @BeforeAll
    static void preresolve() throws IOException {
        kit = Sh4Kit.find();
        work = Host.projectDir().resolve("target/sh4/Sh4PreresolveTest");
        deleteTree(work);
        run = kit.preresolveInto(work, false);
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).as("no KASLR warning: the kit's config has none").isEmpty();
        for (String line : run.out().split("\n")) {
            Matcher m = PRERESV.matcher(line);
            if (m.matches()) {
                printed.put(m.group(1), new int[] {Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))});
            }
        }
    }

    @Test
    void everyModuleGetsOnePreresvLine() throws IOException {
        assertThat(printed.keySet()).containsExactlyInAnyOrderElementsOf(kit.loadOrder()).hasSize(Sh4Kit.MODULE_COUNT);
        for (Map.Entry<String, int[]> e : printed.entrySet()) {
            int[] nm = e.getValue();
            String expected = nm[0] == nm[1] && nm[0] > 0
                    ? String.format("  PRERESV %s (%d/%d *fully* preresolved)", e.getKey(), nm[0], nm[1])
                    : String.format("  PRERESV %s (%d/%d preresolved)", e.getKey(), nm[0], nm[1]);
            assertThat(run.out()).contains(expected + "\n");
        }
    }

    /**
     * For every module: m is the number of undefined GLOBAL/WEAK symbols readelf sees in the input, n the
     * number that are no longer undefined in the output; each of those is now SHN_ABS with System.map's
     * address of a vmlinux export, and each one left is exported by a module (Module.symvers).
     */
    @Test
    void countsAgreeWithReadelfOnInputAndOutput() throws IOException {
        Set<String> fromVmlinux = new HashSet<>();
        Set<String> fromModules = new HashSet<>();
        for (Sh4Kit.SymversEntry e : kit.symversEntries()) {
            (e.vmlinux() ? fromVmlinux : fromModules).add(e.name());
        }
        Map<String, List<Long>> map = kit.systemMap(true);
        int total = 0;
        for (String f : kit.loadOrder()) {
            List<ReadelfSymbols.Sym> before = ReadelfSymbols.read(work.resolve("std").resolve(f));
            List<ReadelfSymbols.Sym> after = ReadelfSymbols.read(work.resolve("pre").resolve(f));
            List<String> undefBefore = ReadelfSymbols.undefinedNames(before);
            Set<String> undefAfter = new HashSet<>(ReadelfSymbols.undefinedNames(after));
            assertThat(after).as(f + ": same symbol count").hasSameSizeAs(before);
            int n = 0;
            for (ReadelfSymbols.Sym s : before) {
                if (!s.undefinedGlobal()) {
                    assertThat(after.get(s.index())).as(f + ": symbol " + s.name() + " untouched").isEqualTo(s);
                    continue;
                }
                ReadelfSymbols.Sym a = after.get(s.index());
                assertThat(a.name()).isEqualTo(s.name());
                if (undefAfter.contains(s.name())) {
                    assertThat(fromVmlinux).as(f + ": " + s.name() + " left undefined").doesNotContain(s.name());
                    assertThat(fromModules).as(f + ": " + s.name() + " comes from a module").contains(s.name());
                } else {
                    n++;
                    assertThat(a.ndx()).as(f + ": " + s.name()).isEqualTo("ABS");
                    assertThat(fromVmlinux).as(f + ": " + s.name() + " is a vmlinux export").contains(s.name());
                    assertThat(map.get(s.name())).as(f + ": System.map address of " + s.name()).contains(a.value());
                }
            }
            assertThat(printed.get(f)).as(f + ": PRERESV n/m against readelf").containsExactly(n, undefBefore.size());
            total += undefBefore.size();
        }
        assertThat(total).as("undefined symbols in the kit").isGreaterThan(900);
    }

    /** The two examples, spelled out: libata and pata_platform, from readelf alone. */
    @Test
    void libataAndPataPlatformLinesMatchReadelf() throws IOException {
        for (String f : List.of("libata.ko", "pata_platform.ko")) {
            int m = ReadelfSymbols.undefinedNames(ReadelfSymbols.read(work.resolve("std").resolve(f))).size();
            int left = ReadelfSymbols.undefinedNames(ReadelfSymbols.read(work.resolve("pre").resolve(f))).size();
            String line = String.format("  PRERESV %s (%d/%d preresolved)", f, m - left, m);
            System.out.printf("Sh4PreresolveTest: %s: readelf %d undefined before, %d after; tool printed \"%s\"%n", f, m,
                    left, line.strip());
            assertThat(run.out()).contains(line + "\n");
            assertThat(left).as(f + " keeps the symbols of the modules it depends on").isPositive();
        }
    }

    /** The kit README lists what a prototype preresolved (e.g. libata 140/165); this tool must agree. */
    @Test
    void countsMatchTheKitReadmeTable() throws IOException {
        Map<String, String> readme = kit.readmePreresolvedTable();
        assertThat(readme).containsKeys("libata", "pata_platform").hasSizeGreaterThanOrEqualTo(6);
        for (Map.Entry<String, String> e : readme.entrySet()) {
            int[] nm = printed.get(e.getKey() + ".ko");
            assertThat(nm).as(e.getKey() + " in the tool's output").isNotNull();
            assertThat(nm[0] + "/" + nm[1]).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    /** restore gives back the kit's modules byte for byte. */
    @Test
    void restoreGivesTheOriginalBytes() throws IOException {
        Path restored = work.resolve("restored");
        CliRun r = cli("restore", "-o", restored.toString(), work.resolve("pre").toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        for (String f : kit.loadOrder()) {
            Path out = Files.exists(restored.resolve(f)) ? restored.resolve(f) : restored.resolve("pre").resolve(f);
            assertThat(Files.readAllBytes(out)).as(f).isEqualTo(Files.readAllBytes(kit.modulesDir().resolve(f)));
        }
    }

    /** docs/sh4.md holds the table that scripts/sh4-table.py makes from the tool's JSON report. */
    @Test
    void docsTableIsTheOneTheJsonReportGives() throws IOException {
        CliRun json = cli("preresolve", "-k", kit.vmlinux().toString(), "--config",
                kit.config().toString(), "-n", "--json", kit.modulesDir().toString());
        assertThat(json.code()).as(json.err()).isZero();
        Path in = work.resolve("report.json");
        Files.writeString(in, json.out(), StandardCharsets.UTF_8);
        Path table = work.resolve("table.md");
        Host.Result r = Host.run(Duration.ofSeconds(30), null, "sh", "-c",
                "python3 \"$0\" --order \"$1\" < \"$2\" > \"$3\"", Host.script("scripts/sh4-table.py").toString(),
                kit.dir().resolve("load-order.txt").toString(), in.toString(), table.toString());
        assertThat(r.output()).isEmpty();
        String md = Files.readString(table);
        for (Map.Entry<String, int[]> e : printed.entrySet()) {
            int[] nm = e.getValue();
            assertThat(md).contains(String.format("| %s | %d | %d | %d/%d", Sh4Kit.moduleName(e.getKey()), nm[1],
                    nm[1] - nm[0], nm[0], nm[1]));
        }
        String doc = Files.readString(Host.projectDir().resolve("docs/sh4.md"));
        assertThat(doc).as("docs/sh4.md is stale: regenerate it as docs/sh4.md says")
                .contains("<!-- sh4-table begin -->\n" + md + "<!-- sh4-table end -->");
    }
}

package org.preresolver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.Symbol;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.testing.CliRun;

/**
 * Every module of Debian's kernel package, dry run with {@code --json}: every undefined symbol is
 * counted once, either preresolved or left for one reason, per module and in the summary.
 */
class DebianTreeReasonCountsTest {
    private static DebianKernel kernel;
    private static Map<String, Object> report;
    private static List<Map<String, Object>> modules;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void dryRunTheWholeTree() throws Exception {
        kernel = DebianKernel.fetch();
        CliRun r = cli("preresolve", "-k", kernel.vmlinux().toString(), "--assume-nokaslr",
                "--strip-signature", "--dry-run", "--json", kernel.modulesDir().toString());
        assertThat(r.code()).as(r.toString()).isZero();
        report = Json.object(r.out());
        modules = (List<Map<String, Object>>) (List<?>) report.get("modules");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private static long sum(Map<String, Object> byReason) {
        return byReason.values().stream().mapToLong(v -> (Long) v).sum();
    }

    @Test
    void everyModuleIsHandled() throws Exception {
        long files;
        try (Stream<Path> s = Files.walk(kernel.modulesDir())) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".ko")).count();
        }
        assertThat(files).isGreaterThan(3000);
        assertThat(modules).hasSize((int) files);
        Map<String, Object> summary = map(report.get("summary"));
        assertThat(summary).containsEntry("modules", files).containsEntry("errors", 0L);
        assertThat(modules).allSatisfy(m -> assertThat(m.get("status")).as((String) m.get("path"))
                .isIn("preresolved", "nothing-to-do"));
    }

    @Test
    void perModuleReasonCountsAddUpToItsUndefinedSymbols() {
        for (Map<String, Object> m : modules) {
            long undefined = (Long) m.get("undefined");
            long preresolved = (Long) m.get("preresolved");
            assertThat(preresolved + sum(map(m.get("left")))).as((String) m.get("path")).isEqualTo(undefined);
            assertThat(m.get("full")).as((String) m.get("path")).isEqualTo(undefined > 0 && preresolved == undefined);
        }
    }

    @Test
    void summaryReasonCountsAddUpToTheUndefinedTotal() {
        Map<String, Object> summary = map(report.get("summary"));
        long undefined = (Long) summary.get("undefined");
        long preresolved = (Long) summary.get("preresolved");
        Map<String, Object> left = map(summary.get("left"));
        assertThat(preresolved + sum(left)).isEqualTo(undefined);
        assertThat(undefined).isEqualTo(modules.stream().mapToLong(m -> (Long) m.get("undefined")).sum());
        assertThat(preresolved).isEqualTo(modules.stream().mapToLong(m -> (Long) m.get("preresolved")).sum());
        Map<String, Long> byReason = new HashMap<>();
        for (Map<String, Object> m : modules) {
            map(m.get("left")).forEach((k, v) -> byReason.merge(k, (Long) v, Long::sum));
        }
        assertThat(left).isEqualTo(byReason);
        // Debian's tree is consistent: everything left is exported by a module of the tree, but for
        // per-CPU fixed_percpu_data (address 0) in kvm-intel.
        assertThat(left.keySet()).contains("exported-by-module").doesNotContain("not-exported", "crc-mismatch",
                "gpl-only", "namespace-not-imported");
        assertThat(preresolved).isGreaterThan(100_000);
    }

    /**
     * The undefined count of each module equals the count read straight from its symbol table:
     * named global or weak symbols with {@code st_shndx} SHN_UNDEF or SHN_LIVEPATCH. No symbol is
     * dropped from, or counted twice in, the report.
     */
    @Test
    void undefinedCountsMatchTheSymbolTables() throws Exception {
        Path dir = kernel.modulesDir();
        long total = 0;
        for (Map<String, Object> m : modules) {
            ElfFile f = ElfFile.parse(Files.readAllBytes(dir.resolve((String) m.get("path"))));
            long n = 0;
            for (Symbol s : f.symbolTable().symbols()) {
                if (s.index() > 0 && !s.name().isEmpty() && (s.shndx() == Elf.SHN_UNDEF || s.shndx() == Elf.SHN_LIVEPATCH)
                        && (s.bind() == Elf.STB_GLOBAL || s.bind() == Elf.STB_WEAK)) {
                    n++;
                }
            }
            assertThat(m.get("undefined")).as((String) m.get("path")).isEqualTo(n);
            total += n;
        }
        assertThat(map(report.get("summary")).get("undefined")).isEqualTo(total);
    }
}

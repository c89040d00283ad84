package org.preresolver.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.preresolver.cli.Cli;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfEditor;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.Symbol;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;

/**
 * The safety-rule modules in Debian's real kernel: the originals in one boot, the tool's preresolved
 * copies in another (both {@code nokaslr}). For every module the kernel must react to the preresolved
 * copy exactly as to the original: the same insmod result and the same kernel messages
 * ("Unknown symbol", "disagrees about version of symbol", "uses symbol ... from namespace ..., but
 * does not import it", the modules' own "loaded" lines), the same {@code /proc/modules}.
 *
 * <p>Not vacuous: the preresolved boot also loads <em>naive</em> copies of the three modules the kernel
 * refuses, in which every symbol vmlinux exports was made absolute regardless of the rules. The kernel
 * loads those, so a tool that ignored a rule would be seen here. And every preresolved address is
 * compared with {@code /proc/kallsyms} of the running kernel. Logs: target/qemu/SafetyRulesBootTest/.
 */
@Tag("qemu")
class SafetyRulesBootTest {
    /** The modules the kernel refuses, and the symbol each is refused for. */
    private static final Map<String, String> REFUSED = Map.of("lkmpr_gpl_nonGPL", "ktime_get",
            "lkmpr_ns_missing", "dma_buf_get", "lkmpr_crc_bad", "__kmalloc");

    private static final String SCRIPT = """
            try_load() {  # VARIANT NAME FILE: insmod, its result, then the kernel messages it caused
                dmesg -c >/dev/null
                _o=$(insmod "$3" 2>&1); _rc=$?
                echo "=== LOAD $1 $2 rc=$_rc err=$(echo "$_o" | tr '\\n' ' ')"
                dmesg -c | sed "s/^/=== KMSG $1 $2 /"
            }
            try_unload() {  # VARIANT NAME
                dmesg -c >/dev/null
                _o=$(rmmod "$2" 2>&1); _rc=$?
                echo "=== UNLOAD $1 $2 rc=$_rc err=$(echo "$_o" | tr '\\n' ' ')"
                dmesg -c | sed "s/^/=== RMMSG $1 $2 /"
            }
            V=$(cat /variant)
            while read -r _name _file; do try_load "$V" "$_name" "/modules/$_file"; done < /modules/ORDER
            lsmod_snapshot loaded
            mark TAINT_ROUND "$(cat /proc/sys/kernel/tainted)"
            echo 0 > /proc/sys/kernel/kptr_restrict
            awk 'NR == FNR { want[$1] = 1; next } NF == 3 && ($3 in want) { print "=== KSYM " $3 " " $1 }' \\
                /ksyms.txt /proc/kallsyms
            sed '1!G;h;$!d' /modules/ORDER | while read -r _name _file; do
                if [ -e "/sys/module/$_name/initstate" ]; then try_unload "$V" "$_name"; fi
            done
            lsmod_snapshot unloaded
            for f in /naive/*.ko; do
                [ -f "$f" ] || continue
                n=$(basename "$f" .ko)
                try_load naive "$n" "$f"
                if [ -e "/sys/module/$n/initstate" ]; then try_unload naive "$n"; fi
            done
            """;
    private static final Pattern OP = Pattern.compile("(\\S+) (\\S+) rc=(\\d+) err=(.*)");
    private static final Pattern MSG = Pattern.compile("(\\S+) (\\S+) ?(.*)");

    private static TestModules mods;
    private static Path preDir;
    private static BootLog orig;
    private static BootLog pre;
    /** Global symbols the tool made absolute, by module, name to address. */
    private static final Map<String, Map<String, Long>> preresolved = new LinkedHashMap<>();
    private static final Map<String, Integer> naiveAbsolute = new LinkedHashMap<>();

    @BeforeAll
    static void preresolveAndBoot() throws Exception {
        DebianKernel kernel = DebianKernel.fetch();
        mods = TestModules.build();
        Path work = Host.projectDir().resolve("target/qemu/SafetyRulesBootTest");
        DiskImages.deleteTree(work);
        preDir = work.resolve("preresolved");
        Path naiveDir = work.resolve("naive");
        Files.createDirectories(naiveDir);

        List<String> args = new ArrayList<>(List.of("preresolve", "-k", kernel.vmlinuz().toString(),
                "--assume-nokaslr", "-o", preDir.toString()));
        TestModules.MODULES.forEach(m -> args.add(mods.ko(m).toString()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Cli.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
        assertThat(rc).as(out + "\n" + err).isZero();

        Set<String> names = new TreeSet<>();
        for (String m : TestModules.MODULES) {
            Map<String, Long> abs = new LinkedHashMap<>();
            for (Symbol s : symbols(preDir.resolve(m + ".ko"))) {
                if (s.shndx() == Elf.SHN_ABS && s.bind() != Elf.STB_LOCAL) {
                    abs.put(s.name(), s.value());
                    names.add(s.name());
                }
            }
            preresolved.put(m, abs);
        }
        Path ksyms = work.resolve("ksyms.txt");
        Files.writeString(ksyms, String.join("\n", names) + "\n", StandardCharsets.ISO_8859_1);

        // Naive copies: every undefined symbol that vmlinux exports made absolute, no rule applied.
        KernelExports exports = KernelLoader.fromImage(kernel.vmlinux(), kernel.config()).exports();
        List<Path> naive = new ArrayList<>();
        for (String m : REFUSED.keySet()) {
            ElfFile elf = ElfFile.parse(Files.readAllBytes(mods.ko(m)));
            ElfEditor ed = new ElfEditor(elf);
            int n = 0;
            for (Symbol s : elf.symbolTable().symbols()) {
                KernelExport e = s.shndx() == Elf.SHN_UNDEF && !s.name().isEmpty() ? exports.get(s.name()) : null;
                if (e != null && e.address() != 0) {
                    ed.setSymbol(s, e.address(), Elf.SHN_ABS);
                    n++;
                }
            }
            naiveAbsolute.put(m, n);
            Path f = naiveDir.resolve(m + ".ko");
            Files.write(f, ed.toBytes());
            naive.add(f);
        }

        orig = boot(kernel, work, "orig", TestModules.MODULES.stream().map(mods::ko).toList(), ksyms, List.of());
        pre = boot(kernel, work, "pre", TestModules.MODULES.stream().map(m -> preDir.resolve(m + ".ko")).toList(),
                ksyms, naive);
        System.out.printf("SafetyRulesBootTest: boots %d ms (originals), %d ms (preresolved + naive); logs %s, %s%n",
                orig.elapsed().toMillis(), pre.elapsed().toMillis(), orig.logFile(), pre.logFile());
    }

    private static BootLog boot(DebianKernel kernel, Path work, String variant, List<Path> modules, Path ksyms,
            List<Path> naive) throws IOException {
        Path v = work.resolve("variant-" + variant);
        Files.writeString(v, variant + "\n");
        QemuX86 q = QemuX86.builder(kernel.vmlinuz()).modules(modules).script(SCRIPT).file(v, "/variant")
                .file(ksyms, "/ksyms.txt").timeout(Duration.ofSeconds(180));
        for (Path n : naive) {
            q.file(n, "/naive/" + n.getFileName());
        }
        return q.boot(work.resolve("boot-" + variant));
    }

    private static List<Symbol> symbols(Path ko) throws IOException {
        try {
            return ElfFile.parse(Files.readAllBytes(ko)).symbolTable().symbols();
        } catch (FormatException e) {
            throw new IOException(ko + ": " + e.getMessage(), e);
        }
    }

    /** insmod (LOAD) or rmmod (UNLOAD) results of one variant: module to "rc=N err=...". */
    private static Map<String, String> ops(BootLog log, String key, String variant) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String v : log.markers(key)) {
            Matcher x = OP.matcher(v);
            assertThat(x.matches()).as(v).isTrue();
            if (x.group(1).equals(variant)) {
                m.put(x.group(2), "rc=" + x.group(3) + " err=" + x.group(4).strip());
            }
        }
        return m;
    }

    /**
     * Kernel messages a module's insmod (KMSG) or rmmod (RMMSG) caused, without timestamps and clock
     * values: the loader's and the modules' lines (they start with a module name, {@code lkmpr_...}) and
     * the generic taint note. Messages of unrelated background work that happen to fall in the same
     * window (clocksource switches and the like) are left out; {@link #bothBootsCompleteWithoutOopsOrWarning}
     * checks every line for problems.
     */
    private static List<String> messages(BootLog log, String key, String variant, String module) {
        List<String> out = new ArrayList<>();
        for (String v : log.markers(key)) {
            Matcher x = MSG.matcher(v);
            if (x.matches() && x.group(1).equals(variant) && x.group(2).equals(module)) {
                String m = x.group(3).replaceFirst("^\\[\\s*\\d+\\.\\d+\\]\\s*", "")
                        .replaceAll("(jiffies|ktime) -?\\d+", "$1 N");
                if (m.startsWith("lkmpr_") || m.equals("Disabling lock debugging due to kernel taint")) {
                    out.add(m);
                }
            }
        }
        return out;
    }

    @Test
    void bothBootsCompleteWithoutOopsOrWarning() {
        for (BootLog log : List.of(orig, pre)) {
            assertThat(log.timedOut()).as(log.summary()).isFalse();
            assertThat(log.completed()).as(log.summary()).isTrue();
            // (The script clears the kernel log after each insmod: the boot messages are in the console part.)
            assertThat(log.lines()).anyMatch(l -> l.contains("] Command line:") && l.contains(" nokaslr "));
            // Every line of the serial log (the console and the messages each insmod caused):
            // nothing but the expected refusals.
            List<String> bad = log.lines().stream()
                    .filter(l -> BootLog.PROBLEMS.stream().anyMatch(p -> p.matcher(l).find()))
                    .filter(l -> !l.contains("Unknown symbol") && !l.contains("disagrees about version of symbol"))
                    .toList();
            assertThat(bad).as(log.summary()).isEmpty();
        }
    }

    @Test
    void preresolvedCopiesReallyArePreresolved() {
        assertThat(preresolved.get("lkmpr_plain")).hasSize(mods.entries("lkmpr_plain").size());
        for (String m : TestModules.MODULES) {
            long want = mods.entries(m).stream().filter(TestModules.Entry::preresolved).count();
            assertThat(preresolved.get(m)).as(m).hasSize((int) want);
        }
        REFUSED.forEach((m, sym) -> {
            assertThat(preresolved.get(m)).as(m).isNotEmpty().doesNotContainKey(sym);
            assertThat(naiveAbsolute.get(m)).as(m).isEqualTo(preresolved.get(m).size() + 1);
        });
    }

    @Test
    void kernelReactsToEachPreresolvedModuleExactlyAsToTheOriginal() {
        Map<String, String> o = ops(orig, "LOAD", "orig");
        Map<String, String> p = ops(pre, "LOAD", "pre");
        assertThat(o.keySet()).containsExactlyElementsOf(TestModules.MODULES);
        assertThat(p).isEqualTo(o);
        for (String m : TestModules.MODULES) {
            List<String> om = messages(orig, "KMSG", "orig", m);
            assertThat(om).as(m).isNotEmpty();
            assertThat(messages(pre, "KMSG", "pre", m)).as(m).isEqualTo(om);
        }
        assertThat(ops(pre, "UNLOAD", "pre")).isEqualTo(ops(orig, "UNLOAD", "orig"));
        assertThat(pre.lsmodDifferences(orig)).isEmpty();
        assertThat(pre.marker("TAINT_ROUND")).isEqualTo(orig.marker("TAINT_ROUND"));
    }

    @Test
    void gplOnlySymbolInNonGplModuleIsRefusedByTheKernel() {
        for (BootLog log : List.of(orig, pre)) {
            String v = log == orig ? "orig" : "pre";
            // busybox insmod exits with the errno of init_module(): ENOENT
            assertThat(ops(log, "LOAD", v).get("lkmpr_gpl_nonGPL")).isEqualTo("rc=2 err=insmod: can't insert "
                    + "'/modules/002-lkmpr_gpl_nonGPL.ko': unknown symbol in module, or unknown parameter");
            assertThat(messages(log, "KMSG", v, "lkmpr_gpl_nonGPL"))
                    .contains("lkmpr_gpl_nonGPL: Unknown symbol ktime_get (err -2)");
        }
    }

    @Test
    void namespaceNotImportedIsRefusedByTheKernel() {
        for (BootLog log : List.of(orig, pre)) {
            String v = log == orig ? "orig" : "pre";
            assertThat(ops(log, "LOAD", v).get("lkmpr_ns_missing")).isEqualTo("rc=22 err=insmod: can't insert "
                    + "'/modules/003-lkmpr_ns_missing.ko': Invalid argument"); // EINVAL
            assertThat(messages(log, "KMSG", v, "lkmpr_ns_missing")).contains(
                    "lkmpr_ns_missing: module uses symbol (dma_buf_get) from namespace DMA_BUF, but does not import it.",
                    "lkmpr_ns_missing: Unknown symbol dma_buf_get (err -22)");
        }
    }

    @Test
    void crcMismatchIsRefusedByTheKernel() {
        for (BootLog log : List.of(orig, pre)) {
            String v = log == orig ? "orig" : "pre";
            assertThat(ops(log, "LOAD", v).get("lkmpr_crc_bad")).isEqualTo("rc=22 err=insmod: can't insert "
                    + "'/modules/005-lkmpr_crc_bad.ko': Invalid argument"); // EINVAL
            assertThat(messages(log, "KMSG", v, "lkmpr_crc_bad")).contains(
                    "lkmpr_crc_bad: disagrees about version of symbol __kmalloc",
                    "lkmpr_crc_bad: Unknown symbol __kmalloc (err -22)");
        }
    }

    @Test
    void plainWeakNamespaceLivepatchAndDependentModulesLoadAndUnload() {
        List<String> ok = TestModules.MODULES.stream().filter(m -> !REFUSED.containsKey(m)).toList();
        for (BootLog log : List.of(orig, pre)) {
            String v = log == orig ? "orig" : "pre";
            Map<String, String> loads = ops(log, "LOAD", v);
            for (String m : ok) {
                assertThat(loads.get(m)).as("%s %s", v, m).isEqualTo("rc=0 err=");
                assertThat(messages(log, "KMSG", v, m)).as("%s %s", v, m).anyMatch(l -> l.startsWith(m + ": loaded"));
            }
            // crc32_le(~0, "lkmpr", 5) is the complement of the standard CRC-32 of "lkmpr".
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update("lkmpr".getBytes(StandardCharsets.US_ASCII));
            assertThat(messages(log, "KMSG", v, "lkmpr_weak")).contains(String.format(
                    "lkmpr_weak: loaded (crc32_le present, crc %08x; lkmpr_nonexistent absent, -1)", ~crc.getValue() & 0xffffffffL));
            assertThat(messages(log, "KMSG", v, "lkmpr_uses_dep")).contains(
                    "lkmpr_dep_provider: lkmpr_provider_fn(1)", "lkmpr_uses_dep: loaded (lkmpr_provider_fn(1) = 43, jiffies N)");
            assertThat(messages(log, "KMSG", v, "lkmpr_ns_ok")).contains("lkmpr_ns_ok: loaded (dma_buf_get(-1) = -9)");
            assertThat(messages(log, "KMSG", v, "lkmpr_livepatch"))
                    .anyMatch(l -> l.startsWith("lkmpr_livepatch: loaded (saved_command_line \"console=ttyS0 nokaslr"));
            assertThat(log.lsmod("loaded")).extracting(BootLog.LsmodEntry::name).containsExactlyInAnyOrderElementsOf(ok);
            BootLog.LsmodEntry provider = log.lsmod("loaded").stream()
                    .filter(e -> e.name().equals("lkmpr_dep_provider")).findFirst().orElseThrow();
            assertThat(provider.useCount()).isEqualTo(1);
            assertThat(provider.users()).containsExactly("lkmpr_uses_dep");
            Map<String, String> unloads = ops(log, "UNLOAD", v);
            assertThat(unloads.keySet()).containsExactlyInAnyOrderElementsOf(ok);
            assertThat(unloads.values()).allMatch(r -> r.equals("rc=0 err="));
            assertThat(log.lsmod("unloaded")).isEmpty();
        }
    }

    /** Without the rules the kernel would have loaded them: what the tool must not let happen. */
    @Test
    void naiveCopiesSkipTheKernelChecks() {
        Map<String, String> loads = ops(pre, "LOAD", "naive");
        assertThat(loads.keySet()).containsExactlyInAnyOrderElementsOf(REFUSED.keySet());
        for (String m : REFUSED.keySet()) {
            assertThat(loads.get(m)).as(m).isEqualTo("rc=0 err=");
            assertThat(messages(pre, "KMSG", "naive", m)).as(m).anyMatch(l -> l.startsWith(m + ": loaded"))
                    .noneMatch(l -> l.contains("Unknown symbol") || l.contains("disagrees") || l.contains("namespace"));
        }
        assertThat(ops(pre, "UNLOAD", "naive").values()).hasSize(REFUSED.size()).allMatch(r -> r.equals("rc=0 err="));
    }

    /** Every address the tool wrote is the address of that symbol in the running (nokaslr) kernel. */
    @Test
    void preresolvedAddressesAreTheRunningKernelsAddresses() {
        Map<String, Set<Long>> kallsyms = new LinkedHashMap<>();
        for (String v : pre.markers("KSYM")) {
            String[] p = v.split(" ");
            kallsyms.computeIfAbsent(p[0], k -> new TreeSet<>()).add(Long.parseUnsignedLong(p[1], 16));
        }
        assertThat(orig.markers("KSYM")).isEqualTo(pre.markers("KSYM"));
        int n = 0;
        for (Map.Entry<String, Map<String, Long>> m : preresolved.entrySet()) {
            for (Map.Entry<String, Long> s : m.getValue().entrySet()) {
                assertThat(kallsyms.get(s.getKey())).as("%s: %s", m.getKey(), s.getKey()).contains(s.getValue());
                n++;
            }
        }
        assertThat(n).isGreaterThan(30);
    }
}

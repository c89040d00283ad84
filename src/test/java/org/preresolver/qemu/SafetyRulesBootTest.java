package org.preresolver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.deleteTree;

import java.io.IOException;
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
import org.preresolver.testing.TestFiles;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfEditor;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.Symbol;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.testing.CliRun;

/**
 * The safety-rule modules in Debian's real kernel: the originals in one boot, the tool's preresolved
 * copies in another (both {@code nokaslr}). For every module the kernel must react to the preresolved
 * copy exactly as to the original: the same insmod result and the same kernel messages
 * ("Unknown symbol", "disagrees about version of symbol", "uses symbol ... from namespace ..., but
 * does not import it", "no symbol version for", "kernel tainted", the proprietary-provider lines of
 * {@code inherit_taint()}, the modules' own "loaded" lines), the same {@code /proc/modules} and
 * module taints.
 *
 * <p>Not vacuous: the preresolved boot also loads <em>naive</em> copies of the modules the kernel
 * refuses, in which every symbol vmlinux exports was made absolute regardless of the rules. The kernel
 * loads those, so a tool that ignored a rule would be seen here. And every preresolved address is compared with
 * {@code /proc/kallsyms} of the running kernel. Logs: target/qemu/SafetyRulesBootTest/.
 *
 * <p>What is not shown in the kernel: a module without {@code __versions} gets the same verdict
 * naive or not on this kernel ({@code CONFIG_MODULE_FORCE_LOAD=y} force-loads it once for
 * {@code module_layout}, before any symbol), and an export at address 0 resolves to 0 either way;
 * for those the test shows the kernel's verdict and that the tool leaves the symbols undefined.
 */
@Tag("qemu")
class SafetyRulesBootTest {
    /** The modules the kernel refuses, and the vmlinux symbol the rule keeps undefined in each. */
    private static final Map<String, String> REFUSED = Map.of("lkmpr_gpl_nonGPL", "ktime_get",
            "lkmpr_ns_missing", "dma_buf_get", "lkmpr_crc_bad", "__kmalloc", "driverloader", "ktime_get",
            "lkmpr_taint_gpl_first", "ktime_get", "lkmpr_taint_prop_first", "ktime_get", "lkmpr_vers_missing",
            "kstrtouint");
    /** Loaded (unchanged) before the naive copies, which need its export. */
    private static final String PROP_PROVIDER = "lkmpr_prop_provider";

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
            while read -r _name _file; do
                if [ -e "/sys/module/$_name/taint" ]; then mark MODTAINT "$_name $(cat "/sys/module/$_name/taint")"; fi
            done < /modules/ORDER
            mark TAINT_ROUND "$(cat /proc/sys/kernel/tainted)"
            echo 0 > /proc/sys/kernel/kptr_restrict
            awk 'NR == FNR { want[$1] = 1; next } NF == 3 && ($3 in want) { print "=== KSYM " $3 " " $1 }' \\
                /ksyms.txt /proc/kallsyms
            sed '1!G;h;$!d' /modules/ORDER | while read -r _name _file; do
                if [ -e "/sys/module/$_name/initstate" ]; then try_unload "$V" "$_name"; fi
            done
            lsmod_snapshot unloaded
            if [ -f /naive/ORDER ]; then
                while read -r _name _file; do try_load naive "$_name" "/naive/$_file"; done < /naive/ORDER
                sed '1!G;h;$!d' /naive/ORDER | while read -r _name _file; do
                    if [ -e "/sys/module/$_name/initstate" ]; then try_unload naive "$_name"; fi
                done
            fi
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
        deleteTree(work);
        preDir = work.resolve("preresolved");
        Path naiveDir = work.resolve("naive");
        Files.createDirectories(naiveDir);

        List<String> args = new ArrayList<>(List.of("preresolve", "-k", kernel.vmlinuz().toString(),
                "--assume-nokaslr", "-o", preDir.toString()));
        TestModules.MODULES.forEach(m -> args.add(mods.ko(m).toString()));
        CliRun r = cli(args);
        assertThat(r.code()).as(r.toString()).isZero();

        Set<String> names = new TreeSet<>();
        for (String m : TestModules.MODULES) {
            Map<String, Long> abs = new LinkedHashMap<>();
            for (Symbol s : TestFiles.symbols(preDir.resolve(m + ".ko"))) {
                if (s.shndx() == Elf.SHN_ABS && s.bind() != Elf.STB_LOCAL) {
                    abs.put(s.name(), s.value());
                    names.add(s.name());
                }
            }
            preresolved.put(m, abs);
        }
        names.add("fixed_percpu_data"); // the export at address 0 (lkmpr_addr0)
        Path ksyms = work.resolve("ksyms.txt");
        Files.writeString(ksyms, String.join("\n", names) + "\n", StandardCharsets.ISO_8859_1);

        // Naive copies: every undefined symbol that vmlinux exports made absolute, no rule applied.
        KernelExports exports = KernelLoader.fromImage(kernel.vmlinux(), kernel.config()).exports();
        List<Path> naive = new ArrayList<>();
        naive.add(mods.ko(PROP_PROVIDER)); // unchanged: the naive lkmpr_taint_* copies take its export
        for (String m : TestModules.MODULES.stream().filter(REFUSED::containsKey).toList()) {
            naive.add(naive(m, exports, naiveDir));
        }

        orig = boot(kernel, work, "orig", TestModules.MODULES.stream().map(mods::ko).toList(), ksyms, List.of());
        pre = boot(kernel, work, "pre", TestModules.MODULES.stream().map(m -> preDir.resolve(m + ".ko")).toList(),
                ksyms, naive);
        System.out.printf("SafetyRulesBootTest: boots %d ms (originals), %d ms (preresolved + naive); logs %s, %s%n",
                orig.elapsed().toMillis(), pre.elapsed().toMillis(), orig.logFile(), pre.logFile());
    }

    /** A copy of module {@code m} in {@code dir} with every vmlinux export made absolute, no rule applied. */
    private static Path naive(String m, KernelExports exports, Path dir) throws IOException, FormatException {
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
        Files.createDirectories(dir);
        Path f = dir.resolve(m + ".ko");
        Files.write(f, ed.toBytes());
        return f;
    }

    /**
     * One boot: the variant's {@code modules} (in load order), then the {@code naive} ones (in /naive,
     * all loaded in order, then unloaded in reverse).
     */
    private static BootLog boot(DebianKernel kernel, Path work, String variant, List<Path> modules, Path ksyms,
            List<Path> naive) throws IOException {
        Path v = work.resolve("variant-" + variant);
        Files.writeString(v, variant + "\n");
        QemuGuest q = QemuGuest.x86_64(kernel.vmlinuz()).modules(modules).script(SCRIPT).file(v, "/variant")
                .file(ksyms, "/ksyms.txt").timeout(Duration.ofSeconds(180));
        for (Map.Entry<String, List<Path>> d : Map.of("naive", naive).entrySet()) {
            StringBuilder order = new StringBuilder();
            for (Path n : d.getValue()) {
                String name = n.getFileName().toString().replaceFirst("\\.ko$", "");
                order.append(name).append(' ').append(n.getFileName()).append('\n');
                q.file(n, "/" + d.getKey() + "/" + n.getFileName());
            }
            Path f = work.resolve(d.getKey() + "-order-" + variant);
            Files.writeString(f, order.toString());
            q.file(f, "/" + d.getKey() + "/ORDER");
        }
        return q.boot(work.resolve("boot-" + variant));
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
     * values: the loader's and the modules' lines (they start with a module name, {@code lkmpr_...} or
     * the module's own) and
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
                if (m.startsWith("lkmpr_") || m.startsWith(module + ":")
                        || m.equals("Disabling lock debugging due to kernel taint")) {
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
        assertThat(loads.keySet()).containsExactlyInAnyOrderElementsOf(
                java.util.stream.Stream.concat(REFUSED.keySet().stream(), java.util.stream.Stream.of(PROP_PROVIDER))
                        .toList());
        assertThat(loads.get(PROP_PROVIDER)).isEqualTo("rc=0 err=");
        for (String m : REFUSED.keySet()) {
            assertThat(loads.get(m)).as(m).isEqualTo("rc=0 err=");
            assertThat(messages(pre, "KMSG", "naive", m)).as(m).anyMatch(l -> l.startsWith(m + ": loaded"))
                    .noneMatch(l -> l.contains("Unknown symbol") || l.contains("disagrees") || l.contains("namespace")
                            || l.contains("module using GPL-only symbols"));
        }
        // Without a preresolved GPL-only symbol the proprietary provider's symbol only taints the module.
        for (String m : List.of("lkmpr_taint_gpl_first", "lkmpr_taint_prop_first")) {
            assertThat(messages(pre, "KMSG", "naive", m)).as(m).contains(m + ": module uses symbols lkmpr_prop_fn "
                    + "from proprietary module lkmpr_prop_provider, inheriting taint.",
                    m + ": loaded (ktime N, lkmpr_prop_fn(21) = 42)");
        }
        assertThat(ops(pre, "UNLOAD", "naive").values()).hasSize(REFUSED.size() + 1).allMatch(r -> r.equals("rc=0 err="));
    }

    /** readelf's view of a module: symbol name to .symtab index, and the section names. */
    private record Readelf(Map<String, Integer> symbols, Map<String, String> ndx, List<String> sections) {
        static Readelf of(Path ko) throws IOException {
            String out = Host.run(Duration.ofMinutes(1), null, "readelf", "-W", "-S", "-s", ko.toString()).output();
            Map<String, Integer> syms = new LinkedHashMap<>();
            Map<String, String> ndx = new LinkedHashMap<>();
            List<String> secs = new ArrayList<>();
            Pattern sym = Pattern.compile("^\\s*(\\d+): [0-9a-f]+\\s+\\d+ \\S+\\s+\\S+\\s+\\S+\\s+(\\S+) (\\S+)$");
            Pattern sec = Pattern.compile("^\\s*\\[\\s*\\d+\\] (\\S+)\\s");
            for (String l : out.split("\n")) {
                Matcher m = sym.matcher(l);
                if (m.find()) {
                    syms.putIfAbsent(m.group(3), Integer.parseInt(m.group(1)));
                    ndx.putIfAbsent(m.group(3), m.group(2));
                    continue;
                }
                Matcher x = sec.matcher(l);
                if (x.find()) {
                    secs.add(x.group(1));
                }
            }
            assertThat(syms).as(out).isNotEmpty();
            assertThat(secs).as(out).contains(".symtab", ".modinfo");
            return new Readelf(syms, ndx, secs);
        }
    }

    private static List<String> variants() {
        return List.of("orig", "pre");
    }

    private static BootLog log(String variant) {
        return variant.equals("orig") ? orig : pre;
    }

    /** Module taint flags after loading, as /sys/module/NAME/taint gives them. */
    private static Map<String, String> moduleTaints(BootLog log) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String v : log.markers("MODTAINT")) {
            String[] p = v.split(" ", 2);
            m.put(p[0], p.length > 1 ? p[1] : "");
        }
        return m;
    }

    /**
     * No {@code __versions} at all: this kernel (CONFIG_MODULE_FORCE_LOAD=y) force-loads the module,
     * warning once for module_layout and tainting it F; the tool leaves every vmlinux symbol undefined.
     */
    @Test
    void moduleWithoutVersionsIsForceLoadedWithTaintF() throws IOException {
        String m = "lkmpr_nover";
        assertThat(Readelf.of(mods.ko(m)).sections()).doesNotContain("__versions").contains("__lkmpr_nv");
        assertThat(Readelf.of(mods.ko("lkmpr_plain")).sections()).contains("__versions");
        assertThat(Files.readString(DebianKernel.fetch().config(), StandardCharsets.ISO_8859_1))
                .contains("\nCONFIG_MODULE_FORCE_LOAD=y\n").contains("\nCONFIG_MODVERSIONS=y\n");
        Readelf out = Readelf.of(preDir.resolve(m + ".ko"));
        for (TestModules.Entry e : mods.entries(m)) {
            assertThat(out.ndx().get(e.symbol())).as(e.symbol()).isEqualTo("UND");
        }
        assertThat(mods.entries(m)).hasSizeGreaterThanOrEqualTo(4);
        for (String v : variants()) {
            assertThat(ops(log(v), "LOAD", v).get(m)).as(v).isEqualTo("rc=0 err=");
            assertThat(messages(log(v), "KMSG", v, m)).as(v).contains(m + ": module_layout: kernel tainted.",
                    m + ": loaded (kstrtouint = 0, 17)");
            assertThat(moduleTaints(log(v)).get(m)).as(v).contains("F");
        }
    }

    /** The names of a module's {@code __versions} entries, from {@code readelf -x} (64-byte entries, name at +8). */
    private static List<String> versionNames(Path ko) throws IOException {
        String dump = Host.run(Duration.ofMinutes(1), null, "readelf", "-W", "-x", "__versions", ko.toString()).output();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (String l : dump.split("\n")) {
            if (l.startsWith("  0x") && l.length() > 13) {
                String hex = l.substring(13, Math.min(l.length(), 13 + 35)).replace(" ", "");
                for (int i = 0; i + 1 < hex.length(); i += 2) {
                    bytes.write(Integer.parseInt(hex.substring(i, i + 2), 16));
                }
            }
        }
        byte[] b = bytes.toByteArray();
        assertThat(b.length % 64).as(dump).isZero();
        List<String> names = new ArrayList<>();
        for (int at = 0; at < b.length; at += 64) {
            int end = at + 8;
            while (end < at + 64 && b[end] != 0) {
                end++;
            }
            names.add(new String(b, at + 8, end - at - 8, StandardCharsets.ISO_8859_1));
        }
        return names;
    }

    /**
     * A symbol without a __versions entry: Debian's 6.1 kernel says "no symbol version for" it at
     * every load and refuses it (err -22); a naive copy loads without a word.
     */
    @Test
    void missingVersionEntryIsRefusedByTheKernel() throws IOException {
        String m = "lkmpr_vers_missing";
        assertThat(versionNames(mods.ko("lkmpr_plain"))).contains("module_layout", "_printk");
        assertThat(versionNames(mods.ko(m))).contains("module_layout", "_printk", "lkmpr_unversioned")
                .doesNotContain("kstrtouint");
        assertThat(Readelf.of(mods.ko(m)).ndx()).containsEntry("kstrtouint", "UND");
        assertThat(Readelf.of(preDir.resolve(m + ".ko")).ndx()).containsEntry("kstrtouint", "UND");
        assertThat(preresolved.get(m)).isNotEmpty();
        for (String v : variants()) {
            assertThat(ops(log(v), "LOAD", v).get(m)).as(v).isEqualTo("rc=22 err=insmod: can't insert "
                    + "'/modules/011-lkmpr_vers_missing.ko': Invalid argument"); // EINVAL
            assertThat(messages(log(v), "KMSG", v, m)).as(v).containsSubsequence(m + ": no symbol version for kstrtouint",
                    m + ": Unknown symbol kstrtouint (err -22)").noneMatch(l -> l.contains(": loaded"));
        }
        assertThat(messages(pre, "KMSG", "naive", m)).contains(m + ": loaded (kstrtouint = 0, 23)")
                .noneMatch(l -> l.contains("symbol version"));
    }

    /** The export at address 0 in the image: the running kernel has it at 0 too, and resolves it itself. */
    @Test
    void exportAtAddressZeroIsLeftToTheKernelWhichResolvesItToZero() throws IOException {
        String m = "lkmpr_addr0";
        assertThat(Readelf.of(preDir.resolve(m + ".ko")).ndx()).containsEntry("fixed_percpu_data", "UND");
        assertThat(preresolved.get(m)).doesNotContainKey("fixed_percpu_data").isNotEmpty();
        for (String v : variants()) {
            assertThat(log(v).markers("KSYM")).as(v).contains("fixed_percpu_data 0000000000000000");
            assertThat(ops(log(v), "LOAD", v).get(m)).as(v).isEqualTo("rc=0 err=");
            assertThat(messages(log(v), "KMSG", v, m)).as(v).contains(m + ": loaded (&fixed_percpu_data 0)");
        }
    }

    /** driverloader says GPL, but the kernel treats it as proprietary: its GPL-only symbol is refused. */
    @Test
    void proprietaryByNameIsRefusedItsGplOnlySymbol() throws IOException {
        String ko = mods.ko("driverloader").toString();
        assertThat(Host.run(Duration.ofMinutes(1), null, "modinfo", "-F", "license", ko).output().strip()).isEqualTo("GPL");
        assertThat(Host.run(Duration.ofMinutes(1), null, "modinfo", "-F", "name", ko).output().strip())
                .isEqualTo("driverloader");
        assertThat(Readelf.of(preDir.resolve("driverloader.ko")).ndx()).containsEntry("ktime_get", "UND");
        for (String v : variants()) {
            assertThat(ops(log(v), "LOAD", v).get("driverloader")).as(v).isEqualTo("rc=2 err=insmod: can't insert "
                    + "'/modules/013-driverloader.ko': unknown symbol in module, or unknown parameter");
            assertThat(messages(log(v), "KMSG", v, "driverloader")).as(v)
                    .contains("driverloader: Unknown symbol ktime_get (err -2)").noneMatch(l -> l.contains(": loaded"));
        }
    }

    /**
     * inherit_taint(), ktime_get (GPL-only) before lkmpr_prop_fn (proprietary provider) in .symtab:
     * the provider's symbol is refused.
     */
    @Test
    void gplOnlySymbolBeforeAProprietaryProvidersSymbolIsRefused() throws IOException {
        String m = "lkmpr_taint_gpl_first";
        for (Path ko : List.of(mods.ko(m), preDir.resolve(m + ".ko"))) {
            Readelf r = Readelf.of(ko);
            assertThat(r.symbols().get("ktime_get")).as(ko.toString()).isLessThan(r.symbols().get("lkmpr_prop_fn"));
            assertThat(r.ndx()).as(ko.toString()).containsEntry("ktime_get", "UND").containsEntry("lkmpr_prop_fn", "UND");
        }
        for (String v : variants()) {
            assertThat(ops(log(v), "LOAD", v).get(m)).as(v).isEqualTo("rc=2 err=insmod: can't insert "
                    + "'/modules/015-lkmpr_taint_gpl_first.ko': unknown symbol in module, or unknown parameter");
            assertThat(messages(log(v), "KMSG", v, m)).as(v).containsSubsequence(
                    m + ": module using GPL-only symbols uses symbols lkmpr_prop_fn from proprietary module lkmpr_prop_provider.",
                    m + ": Unknown symbol lkmpr_prop_fn (err -2)").noneMatch(l -> l.contains("ktime_get") || l.contains(": loaded"));
            assertThat(ops(log(v), "LOAD", v).get(PROP_PROVIDER)).as(v).isEqualTo("rc=0 err=");
        }
    }

    /**
     * inherit_taint(), lkmpr_prop_fn (proprietary provider) before ktime_get (GPL-only) in .symtab:
     * the module inherits the proprietary taint and the GPL-only lookup fails. (The hole the tool had:
     * it preresolved ktime_get here, and the kernel loaded the module.)
     */
    @Test
    void gplOnlySymbolAfterAProprietaryProvidersSymbolIsRefused() throws IOException {
        String m = "lkmpr_taint_prop_first";
        for (Path ko : List.of(mods.ko(m), preDir.resolve(m + ".ko"))) {
            Readelf r = Readelf.of(ko);
            assertThat(r.symbols().get("lkmpr_prop_fn")).as(ko.toString()).isLessThan(r.symbols().get("ktime_get"));
            assertThat(r.ndx()).as(ko.toString()).containsEntry("ktime_get", "UND").containsEntry("lkmpr_prop_fn", "UND");
        }
        for (String v : variants()) {
            assertThat(ops(log(v), "LOAD", v).get(m)).as(v).isEqualTo("rc=2 err=insmod: can't insert "
                    + "'/modules/016-lkmpr_taint_prop_first.ko': unknown symbol in module, or unknown parameter");
            assertThat(messages(log(v), "KMSG", v, m)).as(v).containsSubsequence(
                    m + ": module uses symbols lkmpr_prop_fn from proprietary module lkmpr_prop_provider, inheriting taint.",
                    m + ": Unknown symbol ktime_get (err -2)").noneMatch(l -> l.contains(": loaded"));
        }
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

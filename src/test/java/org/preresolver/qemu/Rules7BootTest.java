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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfEditor;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.SectionHeader;
import org.preresolver.elf.Symbol;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.SymbolFiles;
import org.preresolver.testing.CliRun;

/**
 * The 6.14+ rules judged by Debian sid's 7.x amd64 kernel in QEMU (issue 17), on real Debian 7.x modules
 * changed byte for byte (signature stripped, then a name or a {@code .modinfo} value replaced by one of the
 * same length). Two {@code nokaslr} boots: the modules as they are ("orig"), and the tool's preresolved copies
 * ("pre") followed by <em>naive</em> copies of every module the kernel refused in the first boot (every vmlinux
 * export made absolute, no rule applied). For each case the kernel must give the preresolved copy the same
 * verdict as the original: the same insmod result and the same loader and module messages; and a naive copy
 * of a refused module must load, which shows that the tool's rule is what kept the verdict.
 *
 * <ul>
 * <li>{@code module:} namespaces ({@code EXPORT_SYMBOL_FOR_MODULES}): {@code autofs4} imports
 *     {@code __kernel_write} from {@code module:autofs4}; renamed {@code autofs5} (in
 *     {@code .gnu.linkonce.this_module} and {@code name=}) it must be refused. {@code kvm_intel} imports 21
 *     symbols from {@code module:kvm,kvm-amd,kvm-intel}: its name matches only through {@code mod_strncmp()}'s
 *     {@code -}/{@code _} equivalence, and the tool must preresolve them; renamed {@code kvm_intex} it is
 *     refused. {@code autofs4} without {@code intree} in its {@code .modinfo}: Debian's 7.2 still gives it the
 *     namespace (it loads, "loading out-of-tree module taints kernel."); the tool leaves the symbol to the
 *     kernel there (later kernels admit in-tree modules only), and the verdict is the same. No 7.x export has a tail glob ({@code ModuleNamespaceMatchTest} covers it).
 * <li>{@code __kflagstab}: 7.x has no {@code __ksymtab_gpl}; the GPL-only flag is a byte per export.
 *     {@code autofs4} with {@code license=MIT} must be refused its GPL-only symbols.
 * <li>Extended modversions cannot be judged by this kernel: Debian builds 7.x without
 *     {@code CONFIG_MODVERSIONS}, so vmlinux has no CRCs, modules carry neither {@code __versions} nor
 *     {@code __version_ext_*}, and the kernel checks nothing; shown below with readelf and the config.
 * </ul>
 * Logs: target/qemu/Rules7BootTest/.
 */
@Tag("qemu")
class Rules7BootTest {
    /** A module file to load: case name, the module name the kernel sees, the file. */
    record Case(String id, String name, Path file, boolean keep) {
    }

    private static final String SCRIPT = """
            run_case() {  # VARIANT CASE NAME FILE KEEP
                dmesg -c >/dev/null
                _o=$(insmod "$4" 2>&1); _rc=$?
                echo "=== LOAD $1 $2 rc=$_rc err=$(echo "$_o" | tr '\\n' ' ')"
                dmesg -c | sed "s/^/=== KMSG $1 $2 /"
                if [ -e "/sys/module/$3/initstate" ]; then
                    echo "=== MODTAINT $1 $2 $(cat /sys/module/$3/taint)"
                    if [ "$5" = 0 ]; then rmmod "$3"; echo "=== UNLOAD $1 $2 rc=$?"; fi
                fi
            }
            V=$(cat /variant)
            while read -r _c _n _f _k; do run_case "$V" "$_c" "$_n" "/cases/$_f" "$_k"; done < /cases/ORDER
            if [ -f /naive/ORDER ]; then
                while read -r _c _n _f _k; do run_case naive "$_c" "$_n" "/naive/$_f" 0; done < /naive/ORDER
            fi
            mark TAINT_ROUND "$(cat /proc/sys/kernel/tainted)"
            rmmod kvm; rmmod irqbypass
            lsmod_snapshot final
            """;
    private static final Pattern OP = Pattern.compile("(\\S+) (\\S+) rc=(\\d+) err=(.*)");
    private static final Pattern MSG = Pattern.compile("(\\S+) (\\S+) ?(.*)");

    private static DebianKernel kernel;
    private static KernelExports exports;
    private static Path work;
    private static final Map<String, Case> CASES = new LinkedHashMap<>();
    private static final Map<String, Case> PRE = new LinkedHashMap<>();
    private static final Map<String, Path> NAIVE = new LinkedHashMap<>();
    private static BootLog orig;
    private static BootLog pre;

    @BeforeAll
    static void buildAndBoot() throws Exception {
        kernel = DebianKernel.fetchSuite("sid");
        exports = KernelLoader.fromImage(kernel.vmlinux(), kernel.config()).exports();
        ModuleTree tree = kernel.modules();
        work = Host.projectDir().resolve("target/qemu/Rules7BootTest");
        deleteTree(work);
        Path in = work.resolve("in");
        Files.createDirectories(in);

        byte[] autofs4 = unsigned(tree, "autofs4");
        byte[] kvmIntel = unsigned(tree, "kvm_intel");
        add(in, "irqbypass", "irqbypass", unsigned(tree, "irqbypass"), true);
        add(in, "kvm", "kvm", unsigned(tree, "kvm"), true);
        add(in, "autofs4", "autofs4", autofs4, false);
        add(in, "autofs5", "autofs5", rename(autofs4, "autofs4", "autofs5"), false);
        add(in, "autofs4_notree", "autofs4", replace(autofs4, ".modinfo", "\0intree=Y\0", "\0intrex=Y\0"), false);
        add(in, "autofs4_mit", "autofs4", replace(autofs4, ".modinfo", "\0license=GPL\0", "\0license=MIT\0"), false);
        add(in, "kvm_intel", "kvm_intel", kvmIntel, false);
        add(in, "kvm_intex", "kvm_intex", rename(kvmIntel, "kvm_intel", "kvm_intex"), false);

        // The tool, in-process, plain mode against the ELF vmlinux of the booted image.
        Path preDir = work.resolve("pre");
        List<String> args = new ArrayList<>(List.of("preresolve", "--kernel", kernel.vmlinux().toString(),
                "--assume-nokaslr", "-o", preDir.toString()));
        CASES.values().forEach(c -> args.add(c.file().toString()));
        CliRun r = cli(args);
        Files.writeString(work.resolve("preresolve.out"), String.join(" ", args) + "\n" + r.out() + r.err());
        assertThat(r.code()).as(r.toString()).isZero();
        CASES.values().forEach(c -> PRE.put(c.id(), new Case(c.id(), c.name(), preDir.resolve(c.file().getFileName()),
                c.keep())));

        orig = boot("orig", CASES.values(), Map.of());
        // Naive copies of what the kernel refused.
        Path naiveDir = work.resolve("naive");
        Files.createDirectories(naiveDir);
        for (Map.Entry<String, String> e : ops(orig, "LOAD", "orig").entrySet()) {
            if (!e.getValue().startsWith("rc=0 ") && !e.getKey().equals("kvm_intel")) {
                NAIVE.put(e.getKey(), naive(CASES.get(e.getKey()).file(), naiveDir));
            }
        }
        pre = boot("pre", PRE.values(), NAIVE);
        System.out.printf("Rules7BootTest (%s): verdicts %s; boots %d ms, %d ms; logs %s, %s%n", kernel.release(),
                ops(orig, "LOAD", "orig"), orig.elapsed().toMillis(), pre.elapsed().toMillis(), orig.logFile(),
                pre.logFile());
    }

    private static byte[] unsigned(ModuleTree tree, String name) throws IOException {
        return SignatureStripper.strip(ModInfo.moduleBytes(tree.path(name)));
    }

    private static void add(Path dir, String id, String name, byte[] bytes, boolean keep) throws IOException {
        Path f = dir.resolve(id + ".ko");
        Files.write(f, bytes);
        CASES.put(id, new Case(id, name, f, keep));
    }

    /** The module renamed: its name in {@code .gnu.linkonce.this_module} and its {@code name=}. */
    private static byte[] rename(byte[] elf, String from, String to) throws FormatException {
        byte[] b = replace(elf, ".gnu.linkonce.this_module", "\0" + from + "\0", "\0" + to + "\0");
        return replace(b, ".modinfo", "\0name=" + from + "\0", "\0name=" + to + "\0");
    }

    /**
     * {@code from} replaced by {@code to} (same length), where it occurs exactly once in the section's bytes
     * (seen with a NUL before the section, so that a leading {@code \0} also matches its first string).
     */
    private static byte[] replace(byte[] elf, String section, String from, String to) throws FormatException {
        assertThat(to).hasSameSizeAs(from);
        SectionHeader s = ElfFile.parse(elf).section(section).orElseThrow();
        byte[] view = new byte[(int) s.size() + 1];
        System.arraycopy(elf, (int) s.offset(), view, 1, (int) s.size());
        byte[] f = from.getBytes(StandardCharsets.ISO_8859_1);
        int at = -1;
        for (int i = 0; i + f.length <= view.length; i++) {
            if (java.util.Arrays.equals(view, i, i + f.length, f, 0, f.length)) {
                assertThat(at).as("%s once in %s", from, section).isEqualTo(-1);
                at = i;
            }
        }
        assertThat(at).as("%s in %s", from.replace("\0", "\\0"), section).isNotNegative();
        System.arraycopy(to.getBytes(StandardCharsets.ISO_8859_1), 0, view, at, f.length);
        byte[] out = elf.clone();
        System.arraycopy(view, 1, out, (int) s.offset(), (int) s.size());
        return out;
    }

    /** A copy with every vmlinux export made absolute, no rule applied. */
    private static Path naive(Path ko, Path dir) throws IOException, FormatException {
        ElfFile elf = ElfFile.parse(Files.readAllBytes(ko));
        ElfEditor ed = new ElfEditor(elf);
        for (Symbol s : elf.symbolTable().symbols()) {
            KernelExport e = s.shndx() == Elf.SHN_UNDEF && !s.name().isEmpty() ? exports.get(s.name()) : null;
            if (e != null && e.address() != 0) {
                ed.setSymbol(s, e.address(), Elf.SHN_ABS);
            }
        }
        Path f = dir.resolve(ko.getFileName());
        Files.write(f, ed.toBytes());
        return f;
    }

    private static BootLog boot(String variant, java.util.Collection<Case> cases, Map<String, Path> naive)
            throws IOException {
        Path v = work.resolve("variant-" + variant);
        Files.writeString(v, variant + "\n");
        QemuGuest q = QemuGuest.x86_64(kernel.vmlinuz()).script(SCRIPT).file(v, "/variant")
                .timeout(Duration.ofSeconds(240));
        StringBuilder order = new StringBuilder();
        for (Case c : cases) {
            order.append(c.id()).append(' ').append(c.name()).append(' ').append(c.file().getFileName()).append(' ')
                    .append(c.keep() ? 1 : 0).append('\n');
            q.file(c.file(), "/cases/" + c.file().getFileName());
        }
        Path of = work.resolve("order-" + variant);
        Files.writeString(of, order.toString());
        q.file(of, "/cases/ORDER");
        if (!naive.isEmpty()) {
            StringBuilder n = new StringBuilder();
            for (Map.Entry<String, Path> e : naive.entrySet()) {
                n.append(e.getKey()).append(' ').append(CASES.get(e.getKey()).name()).append(' ')
                        .append(e.getValue().getFileName()).append(" 0\n");
                q.file(e.getValue(), "/naive/" + e.getValue().getFileName());
            }
            Path nf = work.resolve("naive-order");
            Files.writeString(nf, n.toString());
            q.file(nf, "/naive/ORDER");
        }
        return q.boot(work.resolve("boot-" + variant));
    }

    /** insmod results of one variant: case to "rc=N err=...". */
    private static Map<String, String> ops(BootLog log, String key, String variant) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String v : log.markers(key)) {
            Matcher x = OP.matcher(v);
            if (x.matches() && x.group(1).equals(variant)) {
                m.put(x.group(2), "rc=" + x.group(3) + " err=" + x.group(4).strip());
            }
        }
        return m;
    }

    /** The loader's and the module's messages for a case, without timestamps. */
    private static List<String> messages(BootLog log, String variant, String id) {
        String name = CASES.get(id).name();
        List<String> out = new ArrayList<>();
        for (String v : log.markers("KMSG")) {
            Matcher x = MSG.matcher(v);
            if (x.matches() && x.group(1).equals(variant) && x.group(2).equals(id)) {
                String m = x.group(3).replaceFirst("^\\[\\s*\\d+\\.\\d+\\]\\s*", "");
                if (m.startsWith(name + ":") || m.startsWith(name.replace('_', '-') + ":")) {
                    out.add(m);
                }
            }
        }
        return out;
    }

    /** readelf's symbol table of a module: name to Ndx ("UND", "ABS", a number). */
    private static Map<String, String> ndx(Path ko) throws IOException {
        String o = Host.run(Duration.ofMinutes(1), null, "readelf", "-W", "-s", ko.toString()).output();
        Map<String, String> m = new LinkedHashMap<>();
        Pattern p = Pattern.compile("^\\s*\\d+: [0-9a-f]+\\s+\\d+ \\S+\\s+(GLOBAL|WEAK)\\s+\\S+\\s+(\\S+) (\\S+)$");
        for (String l : o.split("\n")) {
            Matcher x = p.matcher(l);
            if (x.find()) {
                m.putIfAbsent(x.group(3), x.group(2));
            }
        }
        assertThat(m).as(o).isNotEmpty();
        return m;
    }

    /** Module.symvers: the vmlinux exports a module imports from namespace {@code ns}, by readelf's UND list. */
    private static List<String> importsFrom(Path ko, String ns) throws Exception {
        Map<String, SymbolFiles.SymversEntry> sv = new LinkedHashMap<>();
        SymbolFiles.parseSymvers(Files.readAllBytes(kernel.symvers())).stream()
                .filter(SymbolFiles.SymversEntry::fromVmlinux).forEach(e -> sv.put(e.name(), e));
        List<String> out = new ArrayList<>();
        ndx(ko).forEach((n, x) -> {
            if (x.equals("UND") && sv.containsKey(n) && sv.get(n).namespace().equals(ns)) {
                out.add(n);
            }
        });
        return out;
    }

    private static List<String> gplOnlyImports(Path ko) throws Exception {
        Map<String, SymbolFiles.SymversEntry> sv = new LinkedHashMap<>();
        SymbolFiles.parseSymvers(Files.readAllBytes(kernel.symvers())).stream()
                .filter(SymbolFiles.SymversEntry::fromVmlinux).forEach(e -> sv.put(e.name(), e));
        List<String> out = new ArrayList<>();
        ndx(ko).forEach((n, x) -> {
            if (x.equals("UND") && sv.containsKey(n) && sv.get(n).gplOnly()) {
                out.add(n);
            }
        });
        return out;
    }

    private static String modinfo(Path ko, String field) throws IOException {
        return Host.run(Duration.ofMinutes(1), null, "modinfo", "-F", field, ko.toString()).output().strip();
    }

    @Test
    void bothBootsCompleteAndTheKernelGivesEveryPreresolvedCopyTheOriginalsVerdict() {
        for (BootLog b : List.of(orig, pre)) {
            assertThat(b.timedOut()).as(b.summary()).isFalse();
            assertThat(b.completed()).as(b.summary()).isTrue();
            assertThat(b.marker("KERNEL")).isEqualTo(kernel.release());
            assertThat(b.lines()).anyMatch(l -> l.contains("] Command line:") && l.contains(" nokaslr"));
            assertThat(b.lsmod("final")).isEmpty();
        }
        Map<String, String> o = ops(orig, "LOAD", "orig");
        assertThat(o.keySet()).containsExactlyElementsOf(CASES.keySet());
        assertThat(ops(pre, "LOAD", "pre")).isEqualTo(o);
        for (String id : CASES.keySet()) {
            List<String> om = messages(orig, "orig", id);
            assertThat(messages(pre, "pre", id)).as(id).isEqualTo(om);
        }
        assertThat(ops(pre, "UNLOAD", "pre")).isEqualTo(ops(orig, "UNLOAD", "orig"));
        assertThat(pre.marker("TAINT_ROUND")).isNotNull();
    }

    /** Not vacuous: the copies the kernel judged really are preresolved, and the rules left exactly their symbols. */
    @Test
    void preresolvedCopiesArePreresolvedExceptWhereARuleSaysNo() throws Exception {
        for (Case c : PRE.values()) {
            long abs = ndx(c.file()).values().stream().filter(x -> x.equals("ABS")).count();
            assertThat(abs).as(c.id()).isGreaterThan(5);
        }
        assertThat(ndx(PRE.get("autofs4").file())).containsEntry("__kernel_write", "ABS");
        assertThat(ndx(PRE.get("autofs5").file())).containsEntry("__kernel_write", "UND");
        assertThat(ndx(PRE.get("autofs4_notree").file())).containsEntry("__kernel_write", "UND");
        // kvm_intel: every module:kvm,kvm-amd,kvm-intel import preresolved ("kvm-intel" matches "kvm_intel").
        List<String> kvmNs = importsFrom(CASES.get("kvm_intel").file(), "module:kvm,kvm-amd,kvm-intel");
        assertThat(kvmNs).hasSize(21);
        Map<String, String> intel = ndx(PRE.get("kvm_intel").file());
        Map<String, String> intex = ndx(PRE.get("kvm_intex").file());
        for (String s : kvmNs) {
            assertThat(intel).as(s).containsEntry(s, "ABS");
            assertThat(intex).as(s).containsEntry(s, "UND");
        }
        // kvm itself: module:kvm and the list.
        assertThat(importsFrom(CASES.get("kvm").file(), "module:kvm")).hasSize(6)
                .allSatisfy(s -> assertThat(ndx(PRE.get("kvm").file())).containsEntry(s, "ABS"));
        List<String> gpl = gplOnlyImports(CASES.get("autofs4_mit").file());
        assertThat(gpl).contains("__kernel_write", "init_user_ns").hasSizeGreaterThan(5);
        Map<String, String> mit = ndx(PRE.get("autofs4_mit").file());
        Map<String, String> gplOrig = ndx(PRE.get("autofs4").file());
        for (String s : gpl) {
            assertThat(mit).as(s).containsEntry(s, "UND");
            assertThat(gplOrig).as(s).containsEntry(s, "ABS");
        }
    }

    @Test
    void theChangedModulesSayWhatTheCasesNeed() throws Exception {
        Map<String, Path> f = new LinkedHashMap<>();
        CASES.forEach((k, c) -> f.put(k, c.file()));
        assertThat(modinfo(f.get("autofs4"), "name")).isEqualTo("autofs4");
        assertThat(modinfo(f.get("autofs5"), "name")).isEqualTo("autofs5");
        assertThat(modinfo(f.get("autofs4"), "intree")).isEqualTo("Y");
        assertThat(modinfo(f.get("autofs4_notree"), "intree")).isEmpty();
        assertThat(modinfo(f.get("autofs4"), "license")).isEqualTo("GPL");
        assertThat(modinfo(f.get("autofs4_mit"), "license")).isEqualTo("MIT");
        assertThat(modinfo(f.get("kvm_intel"), "name")).isEqualTo("kvm_intel");
        assertThat(modinfo(f.get("kvm_intex"), "name")).isEqualTo("kvm_intex");
        assertThat(importsFrom(f.get("autofs4"), "module:autofs4")).containsExactly("__kernel_write");
    }

    /** {@code module:autofs4}: the right name loads, another is refused; the naive copy of the other loads. */
    @Test
    void moduleNamespaceAdmitsOnlyTheNamedModule() {
        for (String v : List.of("orig", "pre")) {
            BootLog b = v.equals("orig") ? orig : pre;
            assertThat(ops(b, "LOAD", v).get("autofs4")).as(v).isEqualTo("rc=0 err=");
            assertThat(ops(b, "LOAD", v).get("autofs5")).as(v).startsWith("rc=").isNotEqualTo("rc=0 err=");
            assertThat(messages(b, v, "autofs5")).as(v).anyMatch(l -> l.contains("__kernel_write")
                    && l.contains("module:autofs4"));
        }
        assertThat(ops(pre, "LOAD", "naive").get("autofs5")).isEqualTo("rc=0 err=");
        assertThat(messages(pre, "naive", "autofs5")).noneMatch(l -> l.contains("namespace"));
    }

    /**
     * {@code module:kvm,kvm-amd,kvm-intel} and the module {@code kvm_intel}: the kernel resolves its symbols
     * (it then fails in its own init: QEMU's TCG CPU has no VMX) and refuses {@code kvm_intex} for the namespace.
     */
    @Test
    void moduleNamespaceMatchesDashAndUnderscoreAlike() {
        for (String v : List.of("orig", "pre")) {
            BootLog b = v.equals("orig") ? orig : pre;
            assertThat(messages(b, v, "kvm_intel")).as(v).noneMatch(l -> l.contains("namespace")
                    || l.contains("Unknown symbol"));
            assertThat(messages(b, v, "kvm_intex")).as(v).anyMatch(l -> l.contains("module:kvm,kvm-amd,kvm-intel"));
            assertThat(ops(b, "LOAD", v).get("kvm_intex")).as(v).isNotEqualTo(ops(b, "LOAD", v).get("kvm_intel"));
            assertThat(ops(b, "LOAD", v).get("kvm")).as(v).isEqualTo("rc=0 err=");
        }
        // The naive copy: the 21 vmlinux symbols pass without a word; kvm's own exports (namespace
        // module:kvm-amd,kvm-intel), which no tool may preresolve, still refuse it.
        assertThat(messages(orig, "orig", "kvm_intex")).anyMatch(l -> l.contains("module:kvm-amd,kvm-intel"));
        assertThat(messages(pre, "naive", "kvm_intex")).noneMatch(l -> l.contains("module:kvm,kvm-amd,kvm-intel"))
                .anyMatch(l -> l.contains("from namespace module:kvm-amd,kvm-intel"));
    }

    /** Without {@code intree}: whatever the kernel says, the preresolved copy gets the same (see the first test). */
    @Test
    void moduleNamespaceWithoutIntree() {
        String o = ops(orig, "LOAD", "orig").get("autofs4_notree");
        System.out.printf("Rules7BootTest: autofs4 without intree: %s %s%n", o, messages(orig, "orig", "autofs4_notree"));
        assertThat(ops(pre, "LOAD", "pre").get("autofs4_notree")).isEqualTo(o);
        if (!o.equals("rc=0 err=")) {
            assertThat(messages(orig, "orig", "autofs4_notree")).anyMatch(l -> l.contains("module:autofs4"));
            assertThat(ops(pre, "LOAD", "naive").get("autofs4_notree")).isEqualTo("rc=0 err=");
        }
    }

    /** {@code __kflagstab}: GPL-only exports (flag byte 1) are refused to a MIT module; the naive copy loads. */
    @Test
    void gplOnlyFlagFromKflagstabRefusesANonGplModule() throws IOException {
        String sections = Host.run(Duration.ofMinutes(1), null, "readelf", "-W", "-S", kernel.vmlinux().toString())
                .output();
        assertThat(sections).contains("__kflagstab").doesNotContain("__ksymtab_gpl");
        for (String v : List.of("orig", "pre")) {
            BootLog b = v.equals("orig") ? orig : pre;
            assertThat(ops(b, "LOAD", v).get("autofs4_mit")).as(v).startsWith("rc=").isNotEqualTo("rc=0 err=");
            assertThat(messages(b, v, "autofs4_mit")).as(v).anyMatch(l -> l.contains("Unknown symbol"));
        }
        assertThat(ops(pre, "LOAD", "naive").get("autofs4_mit")).isEqualTo("rc=0 err=");
        assertThat(messages(pre, "naive", "autofs4_mit")).noneMatch(l -> l.contains("Unknown symbol"));
    }

    /**
     * Extended modversions: not on Debian's 7.x. The config has no CONFIG_MODVERSIONS, vmlinux no
     * {@code __kcrctab}, Module.symvers only zero CRCs, the modules neither {@code __versions} nor
     * {@code __version_ext_crcs}/{@code __version_ext_names}; the tool reads no CRC, and the kernel loaded the
     * preresolved copies like the originals (above).
     */
    @Test
    void noModversionsOnThisKernelSoNoCrcRule() throws Exception {
        assertThat(Files.readString(kernel.config(), StandardCharsets.ISO_8859_1))
                .contains("\n# CONFIG_MODVERSIONS is not set\n");
        assertThat(Host.run(Duration.ofMinutes(1), null, "readelf", "-W", "-S", kernel.vmlinux().toString()).output())
                .doesNotContain("__kcrctab");
        assertThat(SymbolFiles.parseSymvers(Files.readAllBytes(kernel.symvers()))).hasSizeGreaterThan(10000)
                .allSatisfy(e -> assertThat(e.crc()).isZero());
        for (Case c : CASES.values()) {
            assertThat(Host.run(Duration.ofMinutes(1), null, "readelf", "-W", "-S", c.file().toString()).output())
                    .as(c.id()).doesNotContain("__versions").doesNotContain("__version_ext");
        }
        assertThat(exports.all()).hasSizeGreaterThan(10000).allSatisfy(e -> assertThat(e.crc()).isNull());
    }
}

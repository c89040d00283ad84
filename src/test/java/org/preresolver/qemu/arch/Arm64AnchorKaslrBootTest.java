package org.preresolver.qemu.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.deleteTree;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.preresolver.testing.TestFiles;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.Relocation;
import org.preresolver.elf.SectionHeader;
import org.preresolver.elf.Symbol;
import org.preresolver.kernel.Architecture;
import org.preresolver.kernel.SymbolFiles;
import org.preresolver.qemu.BootLog;
import org.preresolver.qemu.Host;
import org.preresolver.qemu.ModuleTree;
import org.preresolver.qemu.QemuGuest;
import org.preresolver.testing.CliRun;

/**
 * Anchor mode on arm64, judged by the kernel with KASLR on: Debian's arm64 6.1 kernel and the functional
 * set of {@link ArchBootTestBase}. One {@code nokaslr} boot captures the link-time kallsyms lines (the
 * exports and the image bounds, {@link Kallsyms#IMAGE_BOUNDS}); the signed originals go through
 * {@code preresolve --symvers --system-map --config --strip-signature} with NO {@code --assume-nokaslr}
 * (the config says {@code CONFIG_RANDOMIZE_BASE=y}, so the tool picks anchor mode); then the guest boots three
 * times WITHOUT {@code nokaslr} (QEMU's virt machine gives the kernel a {@code kaslr-seed}) and must load the
 * output, mount ext4 and vfat, write and read back, unmount and unload, with only the unsigned-module taint.
 * Each boot's kallsyms must show {@code _stext} (arm64 lists no {@code _text}) at an address other than
 * the link-time one and other than the other boots', every captured symbol moved by that same offset,
 * and the log must say "KASLR enabled". Logs: target/qemu/Arm64AnchorKaslrBootTest/.
 */
@Tag("qemu")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Arm64AnchorKaslrBootTest {
    private static final int BOOTS = 3;
    private static final int R_AARCH64_JUMP26 = 282;
    private static final int R_AARCH64_CALL26 = 283;

    private final GuestArch arch = GuestArch.ARM64;
    private ArchKernel kernel;
    private ModuleTree tree;
    private List<String> order;
    private Path work;
    private BootLog capture;
    /** Link-time addresses: the nokaslr capture. */
    private Map<String, Long> linkTime;
    private int cliExit;
    private String cliOut;
    private String cliErr;
    private final Map<String, int[]> counts = new LinkedHashMap<>();
    private final List<BootLog> boots = new ArrayList<>();
    private final List<Map<String, Long>> bootKallsyms = new ArrayList<>();

    @BeforeAll
    void run() throws Exception {
        long t0 = System.nanoTime();
        work = Host.projectDir().resolve("target/qemu/" + getClass().getSimpleName());
        deleteTree(work);
        Files.createDirectories(work);
        kernel = ArchKernel.fetch(arch);
        tree = kernel.modules();
        order = tree.loadOrder(ArchBootTestBase.WANTED.stream().filter(tree::isModule).toList());
        Path orig = work.resolve("orig");
        ArchBootTestBase.copyModules(tree, order, orig);
        ArchBootTestBase.Disks disks = ArchBootTestBase.disks(work.resolve("images"));
        Path ext4 = disks.ext4();
        Path vfat = disks.vfat();

        // 1. Link-time kallsyms: one nokaslr boot prints the exports' lines and the image bounds.
        List<String> names = SymbolFiles.parseSymvers(Files.readAllBytes(kernel.symvers())).stream()
                .filter(SymbolFiles.SymversEntry::fromVmlinux).map(SymbolFiles.SymversEntry::name).toList();
        Path namesFile = Kallsyms.writeNames(work, names);
        Path kallsymsFile = work.resolve("kallsyms.txt");
        Kallsyms.Captured first = Kallsyms.capture(kernel, namesFile, Duration.ofSeconds(180), work, kallsymsFile);
        capture = first.log();
        List<String> captured = first.lines();
        linkTime = Kallsyms.globals(captured);
        long tCaptured = System.nanoTime();

        // 2. Preresolve without --assume-nokaslr: anchor mode.
        Path pre = work.resolve("pre");
        List<String> args = new ArrayList<>(List.of("preresolve", "--symvers", kernel.symvers().toString(),
                "--system-map", kallsymsFile.toString(), "--release", kernel.release(), "--config",
                kernel.config().toString(), "--strip-signature", "-j", "2", "-o", pre.toString(), orig.toString()));
        CliRun r = cli(args);
        cliExit = r.code();
        cliOut = r.out();
        cliErr = r.err();
        Files.writeString(work.resolve("preresolve.out"), String.join(" ", args) + "\n" + cliOut + cliErr);
        counts.putAll(org.preresolver.testing.PreresvLines.byFileName(cliOut));
        long tPreresolved = System.nanoTime();

        // 3. Three boots with KASLR on. The base of ext4 (/proc/modules) tells whether calls into the
        //    kernel went through PLT entries (more than 128 MiB away).
        String fs = ArchBootTestBase.FS_SCRIPT;
        if (!fs.startsWith("load_all\n")) {
            throw new IllegalStateException("FS_SCRIPT no longer starts with load_all");
        }
        String script = "echo 0 > /proc/sys/kernel/kptr_restrict\nload_all\n"
                + "mark EXT4_BASE \"$(awk '$1==\"ext4\"{print $6}' /proc/modules)\"\n"
                + fs.substring("load_all\n".length()) + Kallsyms.script();
        for (int i = 1; i <= BOOTS; i++) {
            QemuGuest guest = kernel.guest().kaslr(true).modules(moduleFiles(pre)).script(script)
                    .file(namesFile, Kallsyms.NAMES).file(ext4, "/images/ext4.img").file(vfat, "/images/vfat.img")
                    .timeout(Duration.ofSeconds(300));
            BootLog b = guest.boot(work.resolve("boot-kaslr-" + i));
            boots.add(b);
            bootKallsyms.add(b.completed() ? Kallsyms.globals(Kallsyms.lines(b)) : Map.of());
        }
        long tEnd = System.nanoTime();

        // What the loader's count_plts() reserves, and how many distinct targets it can emit, before and after.
        long[] plt = new long[4];
        for (int i = 0; i < order.size(); i++) {
            long[] a = plts(orig.resolve(tree.relativePath(order.get(i))));
            long[] b = plts(moduleFiles(pre).get(i));
            plt[0] += a[0];
            plt[1] += b[0];
            plt[2] += a[1];
            plt[3] += b[1];
        }
        StringBuilder far = new StringBuilder();
        for (int i = 0; i < boots.size(); i++) {
            far.append(String.format(Locale.ROOT, " boot %d: _stext %s, ext4 at %s (%s);", i + 1,
                    hex(bootKallsyms.get(i).get("_stext")), boots.get(i).marker("EXT4_BASE"), needsPlt(i)));
        }
        int pres = counts.values().stream().mapToInt(c -> c[0]).sum();
        int undef = counts.values().stream().mapToInt(c -> c[1]).sum();
        System.out.printf(Locale.ROOT, "%s: %s, %d modules, %d/%d symbols preresolved (anchor mode); "
                + "count_plts() slots %d -> %d, distinct branch targets %d -> %d;%s capture %.1f s, preresolve %.1f s, "
                + "%d KASLR boots %.1f s%n", getClass().getSimpleName(), kernel.release(), order.size(), pres, undef,
                plt[0], plt[1], plt[2], plt[3], far, (tCaptured - t0) / 1e9, (tPreresolved - tCaptured) / 1e9, BOOTS,
                (tEnd - tPreresolved) / 1e9);
    }

    private List<Path> moduleFiles(Path pre) {
        return order.stream().map(m -> pre.resolve(tree.relativePath(m))).toList();
    }

    private static String hex(Long v) {
        return v == null ? "?" : Long.toHexString(v);
    }

    private String needsPlt(int boot) {
        Long stext = bootKallsyms.get(boot).get("_stext");
        String base = boots.get(boot).marker("EXT4_BASE");
        if (stext == null || base == null || !base.startsWith("0x")) {
            return "?";
        }
        long d = Math.abs(Long.parseUnsignedLong(base.substring(2), 16) - stext);
        return d >= (128L << 20) ? String.format(Locale.ROOT, "%d MiB away: calls through PLT entries", d >> 20)
                : String.format(Locale.ROOT, "%d MiB away: direct calls", d >> 20);
    }

    /**
     * arch/arm64/kernel/module-plts.c of Linux 6.1: {@code count_plts()} over the CALL26/JUMP26
     * relocations of executable sections whose symbol is not defined in the patched section, sorted
     * by (type, symbol, addend) as {@code module_frob_arch_sections()} sorts them: a slot for each one
     * with a non-zero addend, and one per run of equal (type, symbol) with addend 0. Also the number of
     * distinct (type, symbol, addend) it can emit (module_emit_plt_entry() merges equal neighbours).
     */
    private static long[] plts(Path ko) throws IOException {
        try {
            ElfFile f = ElfFile.parse(Files.readAllBytes(ko));
            List<Symbol> syms = f.symbolTable().symbols();
            long slots = 0;
            long distinct = 0;
            for (SectionHeader s : f.sections()) {
                if (s.type() != Elf.SHT_RELA || s.info() <= 0 || s.info() >= f.sections().size()
                        || (f.sections().get((int) s.info()).flags() & Elf.SHF_EXECINSTR) == 0) {
                    continue;
                }
                List<Relocation> rel = new ArrayList<>();
                for (Relocation r : f.relocations(s)) {
                    if ((r.type() == R_AARCH64_JUMP26 || r.type() == R_AARCH64_CALL26)
                            && syms.get(r.symbol()).shndx() != s.info()) {
                        rel.add(r);
                    }
                }
                rel.sort(Comparator.comparingInt(Relocation::type).thenComparingInt(Relocation::symbol)
                        .thenComparingLong(Relocation::addend));
                for (int i = 0; i < rel.size(); i++) {
                    Relocation r = rel.get(i);
                    boolean dup = i > 0 && rel.get(i - 1).type() == r.type() && rel.get(i - 1).symbol() == r.symbol()
                            && rel.get(i - 1).addend() == r.addend();
                    if (r.addend() != 0 || !dup) {
                        slots++;
                    }
                    if (!dup) {
                        distinct++;
                    }
                }
            }
            return new long[] {slots, distinct};
        } catch (FormatException e) {
            throw new IOException(ko + ": " + e.getMessage(), e);
        }
    }

    @Test
    void captureHasTheImageBoundsArm64Lists() {
        assertThat(capture.completed()).as(capture.summary()).isTrue();
        assertThat(capture.kernelLines()).anyMatch(l -> l.contains("KASLR disabled on command line"));
        // arm64 without CONFIG_KALLSYMS_ALL lists the text ranges, not _text/_end (scripts/kallsyms.c).
        assertThat(linkTime).containsKeys("_stext", "_etext", "_sinittext", "_einittext");
        assertThat(linkTime.get("_stext")).isEqualTo(0xffff800008010000L); // KIMAGE_VADDR + 64 KiB head
    }

    @Test
    void toolChoseAnchorModeWithoutAnyOption() {
        assertThat(cliExit).as(cliOut + cliErr).isZero();
        assertThat(cliErr).doesNotContain("WARNING").doesNotContain("nokaslr");
        assertThat(counts.keySet()).containsExactlyInAnyOrderElementsOf(
                order.stream().map(m -> tree.relativePath(m).getFileName().toString()).toList());
        assertThat(counts.get("ext4.ko")[0]).isGreaterThan(100);
    }

    /**
     * Not vacuous: the booted modules are rewritten. Each has fewer undefined symbols than its original by
     * the tool's count, no absolute symbol (arm64 has no zero-based per-CPU offsets), the preresolved
     * symbols are gone from .symtab, and one undefined vmlinux export (the anchor) remains.
     */
    @Test
    void bootedModulesAreAnchoredNotAbsolute() throws IOException {
        Path pre = work.resolve("pre");
        Path orig = work.resolve("orig");
        long rebased = 0;
        for (String m : order) {
            Path f = pre.resolve(tree.relativePath(m));
            List<Symbol> before = TestFiles.symbols(orig.resolve(tree.relativePath(m)));
            List<Symbol> after = TestFiles.symbols(f);
            int[] c = counts.get(f.getFileName().toString());
            assertThat(c).as(f.toString()).isNotNull();
            long undefBefore = before.stream().filter(s -> s.index() > 0 && s.isUndefined() && !s.name().isEmpty())
                    .count();
            long undefAfter = after.stream().filter(s -> s.index() > 0 && s.isUndefined() && !s.name().isEmpty())
                    .count();
            long absBefore = before.stream().filter(s -> s.shndx() == Elf.SHN_ABS && s.bind() != Elf.STB_LOCAL).count();
            long absAfter = after.stream().filter(s -> s.shndx() == Elf.SHN_ABS && s.bind() != Elf.STB_LOCAL).count();
            assertThat(absAfter).as(f.toString()).isEqualTo(absBefore);
            assertThat(after.stream().filter(s -> s.shndx() == Elf.SHN_ABS))
                    .as(f.toString()).allSatisfy(s -> assertThat(s.value()).isLessThan(0xffff000000000000L));
            assertThat(undefBefore - undefAfter).as(f.toString()).isEqualTo(c[0]);
            assertThat(after).as(f.toString()).hasSize(before.size() - c[0]);
            if (c[0] > 0) {
                assertThat(undefAfter).as("%s keeps its anchor", f).isPositive();
                assertThat(after.stream().filter(s -> s.index() > 0 && s.isUndefined())
                        .anyMatch(s -> linkTime.containsKey(s.name()))).as("%s: an undefined vmlinux function", f).isTrue();
            }
            rebased += c[0];
        }
        assertThat(rebased).isGreaterThan(900);
    }

    @Test
    void everyBootRandomisedTheKernelDifferently() {
        long link = linkTime.get("_stext");
        Set<Long> texts = new HashSet<>();
        for (BootLog b : boots) {
            assertThat(b.timedOut()).as(b.summary()).isFalse();
            assertThat(b.completed()).as(b.summary()).isTrue();
            assertThat(b.kernelLines()).noneMatch(l -> l.contains("Command line:") && l.contains("nokaslr"));
            assertThat(b.kernelLines()).noneMatch(l -> l.contains("KASLR disabled"));
            assertThat(b.kernelLines()).anyMatch(l -> l.contains("KASLR enabled"));
        }
        for (Map<String, Long> k : bootKallsyms) {
            Long stext = k.get("_stext");
            assertThat(stext).isNotNull().isNotEqualTo(link);
            texts.add(stext);
            // The premise of anchor mode: the whole image moves by one offset. Every symbol captured in both
            // boots moved by _stext's offset.
            long slide = stext - link;
            List<String> moved = new ArrayList<>();
            for (Map.Entry<String, Long> e : linkTime.entrySet()) {
                Long now = k.get(e.getKey());
                if (now != null && now - e.getValue() != slide) {
                    moved.add(e.getKey());
                }
            }
            assertThat(moved).isEmpty();
            assertThat(k.keySet()).containsAll(linkTime.keySet());
        }
        assertThat(texts).as("_stext of the boots").hasSize(BOOTS);
    }

    @Test
    void everyBootLoadsMountsWritesAndUnloads() {
        List<String> reverse = new ArrayList<>(order);
        Collections.reverse(reverse);
        for (BootLog b : boots) {
            assertThat(b.marker("KERNEL")).isEqualTo(kernel.release());
            assertThat(b.insmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(order);
            assertThat(b.failedInsmods()).as(b.summary()).isEmpty();
            assertThat(b.lsmod("loaded")).extracting(BootLog.LsmodEntry::name).containsExactlyInAnyOrderElementsOf(order);
            assertThat(b.lsmod("loaded")).allSatisfy(e -> assertThat(e.state()).isEqualTo("Live"));
            ArchBootTestBase.assertFilesystemsWork(b);
            assertThat(b.useCounts("unmounted")).containsEntry("ext4", 0).containsEntry("vfat", 0)
                    .containsEntry("nls_iso8859_1", 0);
            assertThat(b.rmmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(reverse);
            assertThat(b.failedRmmods()).as(b.summary()).isEmpty();
            assertThat(b.lsmod("final")).isEmpty();
        }
    }

    @Test
    void onlyTheUnsignedTaintAndNothingWorse() {
        for (BootLog b : boots) {
            assertThat(b.problems().stream().filter(l -> !arch.benign(l))).as(b.summary()).isEmpty();
            assertThat(b.unexpectedTaintLines()).isEmpty();
            assertThat(b.taintLines()).singleElement().asString().contains(BootLog.UNSIGNED_TAINT);
            assertThat(b.marker("TAINT_START")).isEqualTo("0");
            assertThat(b.taintEnd()).isEqualTo(BootLog.TAINT_UNSIGNED_MODULE);
        }
    }

    @Test
    void architectureTableNamesThisTestForAnchorMode() {
        Architecture a = Architecture.of(arch.machine()).orElseThrow();
        assertThat(a.isAnchorVerified()).isTrue();
        assertThat(a.anchorVerified()).contains(getClass().getSimpleName());
    }
}

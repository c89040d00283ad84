package org.preresolver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.SectionHeader;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.testing.CliRun;

/** The command line in-process, on Debian's kernel and real modules: outputs, errors and exit codes. */
class CliTest {
    @TempDir
    Path tmp;
    static DebianKernel kernel;

    @BeforeAll
    static void fetch() throws Exception {
        kernel = DebianKernel.fetch();
    }

    Path module(String rel) {
        return kernel.modulesDir().resolve("kernel").resolve(rel);
    }

    /** A small tree of real modules copied into {@code dir}. */
    Path tree(Path dir, String... rels) throws Exception {
        for (String r : rels) {
            Path t = dir.resolve(r);
            Files.createDirectories(t.getParent());
            Files.copy(module(r), t);
        }
        return dir;
    }

    String[] preresolve(String... more) {
        List<String> a = new ArrayList<>(List.of("preresolve", "--kernel", kernel.vmlinuz().toString(),
                "--assume-nokaslr", "--strip-signature"));
        a.addAll(Arrays.asList(more));
        return a.toArray(String[]::new);
    }

    @Test
    void helpListsTheCommandsAndTheExitCodes() {
        CliRun r = cli("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("preresolve", "explain", "exports", "restore", "Exit codes:",
                "3  malformed input", "5  refused for safety");
        assertThat(cli("preresolve", "--help").out()).contains("--in-place", "--dry-run", "--strip-signature",
                "Exit codes:");
    }

    @Test
    void usageErrorsGetOneLineAndExitCode2() {
        CliRun unknown = cli("preresolve", "--bogus", tmp.toString());
        assertThat(unknown.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).startsWith("lkm-preresolver: Unknown option: '--bogus'");
        CliRun noKernel = cli("preresolve", "-n", tmp.toString());
        assertThat(noKernel.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(noKernel.err().strip()).isEqualTo(
                "lkm-preresolver: no kernel given: use --kernel FILE, or --symvers FILE --system-map FILE");
        CliRun twoModes = cli(preresolve("-n", "--in-place", tmp.toString()));
        assertThat(twoModes.code()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void aMissingKernelIsAnIoErrorAndANonKernelIsBadInput() throws Exception {
        CliRun missing = cli("preresolve", "--kernel", tmp.resolve("nope").toString(), "-n", tmp.toString());
        assertThat(missing.code()).isEqualTo(ExitCodes.IO);
        assertThat(missing.err().strip()).isEqualTo("lkm-preresolver: " + tmp.resolve("nope") + ": no such file or directory");
        Path text = Files.writeString(tmp.resolve("vmlinux"), "not a kernel at all, just text\n".repeat(100));
        CliRun bad = cli("preresolve", "--kernel", text.toString(), "-n", tmp.toString());
        assertThat(bad.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(bad.err().lines()).hasSize(1);
        assertThat(bad.err()).startsWith("lkm-preresolver: " + text + ": not an ELF vmlinux");
    }

    @Test
    void malformedModulesGetOneLineEachExit3AndNoOutputWhileTheRestIsDone() throws Exception {
        Path in = tree(tmp.resolve("in"), "fs/nls/nls_utf8.ko");
        byte[] good = Files.readAllBytes(module("fs/nls/nls_utf8.ko"));
        int elfLength = org.preresolver.kernel.ModuleSignature.parse(good).orElseThrow().moduleLength();
        Files.write(in.resolve("truncated.ko"), Arrays.copyOf(good, good.length / 3));
        byte[] badOffset = good.clone();
        ByteReader.put64(badOffset, 40, good.length + 4096L, true); // e_shoff past the end
        Files.write(in.resolve("bad-shoff.ko"), badOffset);
        Files.write(in.resolve("no-symtab.ko"), withoutSymtab(good));
        Path out = tmp.resolve("out");
        CliRun r = cli(preresolve("-o", out.toString(), in.toString()));
        assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.errLinesBesideKaslr()).containsExactlyInAnyOrder(
                "lkm-preresolver: bad-shoff.ko: section header table of 34 entries (2176 bytes) beyond end of the "
                        + "module data (" + elfLength + " bytes before the signature) at 0x"
                        + Long.toHexString(good.length + 4096L),
                "lkm-preresolver: no-symtab.ko: no .symtab section",
                r.errLinesBesideKaslr().stream().filter(l -> l.startsWith("lkm-preresolver: truncated.ko: "))
                        .findFirst().orElse("missing line for truncated.ko"));
        assertThat(out.resolve("truncated.ko")).doesNotExist();
        assertThat(out.resolve("bad-shoff.ko")).doesNotExist();
        assertThat(out.resolve("no-symtab.ko")).doesNotExist();
        assertThat(out.resolve("fs/nls/nls_utf8.ko")).exists();
        assertThat(r.out()).contains("  PRERESV fs/nls/nls_utf8.ko (").contains("3 errors");
        try (Stream<Path> s = Files.list(in)) {
            assertThat(s.filter(p -> p.getFileName().toString().contains("preresv-tmp"))).isEmpty();
        }
    }

    /** Turns the SHT_SYMTAB section into PROGBITS: the module then has no symbol table. */
    private static byte[] withoutSymtab(byte[] module) throws Exception {
        int len = module.length;
        byte[] b = module.clone();
        ElfFile f = ElfFile.parse(Arrays.copyOf(b, len - 0)); // signature trailer is ignored by ElfFile
        for (SectionHeader s : f.sections()) {
            if (s.type() == Elf.SHT_SYMTAB) {
                ByteReader.put32(b, (int) s.headerOffset() + 4, Elf.SHT_PROGBITS, true);
            }
        }
        return b;
    }

    @Test
    void dryRunWritesNothingAndJsonCarriesTheSameCounts() throws Exception {
        Path in = tree(tmp.resolve("in"), "fs/jbd2/jbd2.ko", "fs/nls/nls_utf8.ko");
        byte[] before = Files.readAllBytes(in.resolve("fs/jbd2/jbd2.ko"));
        // jbd2's count from an independent oracle (readelf, modinfo, modversions, Module.symvers).
        org.preresolver.testing.SymbolOracle.Expected jbd2 = org.preresolver.testing.SymbolOracle
                .ofKernel(kernel.root(), kernel.release()).expect(in.resolve("fs/jbd2/jbd2.ko"), in);
        assertThat(jbd2.undefined()).hasSizeGreaterThan(100);
        String full = jbd2.left().isEmpty() ? " *fully*" : "";
        CliRun text = cli(preresolve("-n", in.toString()));
        assertThat(text.code()).isZero();
        assertThat(text.out()).contains("  PRERESV fs/jbd2/jbd2.ko (" + jbd2.ratio() + full + " preresolved)")
                .contains("dry run: 2 modules");
        assertThat(Files.readAllBytes(in.resolve("fs/jbd2/jbd2.ko"))).isEqualTo(before);
        try (Stream<Path> s = Files.walk(in)) {
            assertThat(s.filter(Files::isRegularFile).count()).isEqualTo(2);
        }
        CliRun json = cli(preresolve("-n", "--json", in.toString()));
        assertThat(json.code()).isZero();
        Map<String, Object> top = topLevelNumbers(json.out());
        assertThat(top).containsEntry("modules", 2L).containsEntry("errors", 0L);
        assertThat(json.out()).contains("\"path\" : \"fs/jbd2/jbd2.ko\"", "\"preresolved\" : " + jbd2.preresolved(),
                "\"full\" : " + jbd2.left().isEmpty());
    }

    private static Map<String, Object> topLevelNumbers(String json) throws Exception {
        Map<String, Object> m = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser(json)) {
            String field = null;
            int depth = 0;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                switch (t) {
                    case START_OBJECT, START_ARRAY -> depth++;
                    case END_OBJECT, END_ARRAY -> depth--;
                    case FIELD_NAME -> field = p.currentName();
                    case VALUE_NUMBER_INT -> {
                        if (depth == 2) {
                            m.put(field, p.getLongValue());
                        }
                    }
                    default -> { }
                }
            }
        }
        return m;
    }

    @Test
    void inPlaceTwiceChangesNothingTheSecondTimeAndRestoreGivesTheSignedOriginalBack() throws Exception {
        Path in = tree(tmp.resolve("in"), "fs/jbd2/jbd2.ko", "fs/mbcache.ko");
        byte[] signed = Files.readAllBytes(in.resolve("fs/jbd2/jbd2.ko"));
        CliRun first = cli(preresolve("--in-place", in.toString()));
        assertThat(first.code()).isZero();
        byte[] once = Files.readAllBytes(in.resolve("fs/jbd2/jbd2.ko"));
        assertThat(once).isNotEqualTo(signed);
        CliRun second = cli(preresolve("--in-place", "-v", in.toString()));
        assertThat(second.code()).isZero();
        assertThat(second.out()).contains("unchanged");
        assertThat(Files.readAllBytes(in.resolve("fs/jbd2/jbd2.ko"))).isEqualTo(once);
        CliRun restore = cli("restore", "--in-place", in.toString());
        assertThat(restore.code()).isZero();
        assertThat(restore.out()).contains("  RESTORE fs/jbd2/jbd2.ko", "2 restored");
        assertThat(Files.readAllBytes(in.resolve("fs/jbd2/jbd2.ko"))).isEqualTo(signed);
        assertThat(in.resolve(".lkm-preresolver.lock")).doesNotExist();
    }

    @Test
    void aSignedModuleIsRefusedWithoutStripSignature() throws Exception {
        Path in = tree(tmp.resolve("in"), "fs/nls/nls_utf8.ko");
        CliRun r = cli("preresolve", "--kernel", kernel.vmlinuz().toString(), "--assume-nokaslr", "-o",
                tmp.resolve("out").toString(), in.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.errLinesBesideKaslr()).containsExactly("lkm-preresolver: fs/nls/nls_utf8.ko: module is signed and "
                + "preresolving would invalidate the signature; pass --strip-signature (output unsigned) or re-sign it with "
                + "--sign-key/--sign-cert");
        assertThat(tmp.resolve("out/fs/nls/nls_utf8.ko")).doesNotExist();
    }

    @Test
    void exportsDumpDiffsCleanlyAgainstModuleSymvers() throws Exception {
        CliRun r = cli("exports", "--symvers-only", "--kernel", kernel.vmlinuz().toString());
        assertThat(r.code()).isZero();
        List<String> symvers = Files.readAllLines(kernel.root().resolve("usr/src/linux-headers-" + kernel.release()
                + "/Module.symvers")).stream().filter(l -> l.split("\t")[2].equals("vmlinux")).sorted().toList();
        assertThat(r.out().lines().sorted().toList()).isEqualTo(symvers);
        CliRun withAddr = cli("exports", "--kernel", kernel.vmlinuz().toString());
        assertThat(withAddr.out().lines().filter(l -> l.contains("\t_printk\t")).findFirst().orElseThrow())
                .matches("0x[0-9a-f]{8}\t_printk\tvmlinux\tEXPORT_SYMBOL\t\tffffffff8[0-9a-f]{7}");
    }
}

package org.preresolver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.qemu.TestModules;
import org.preresolver.testing.CliRun;
import org.preresolver.testing.SymbolOracle;

/**
 * The whole-run and whole-module refusals of issue 3, through the CLI with Debian's real kernel image
 * ({@code vmlinuz}, its config in {@code /boot} beside it): KASLR without {@code --assume-nokaslr},
 * an unknown configuration, a vermagic from another release, a module for another machine. Each is
 * one line on stderr and exit code 5; nothing is written.
 */
class SafetyRefusalsCliTest {
    private static DebianKernel kernel;
    private static TestModules mods;
    private static String vmlinuz;
    /** The ELF vmlinux extracted from vmlinuz, config-RELEASE beside it: the same kernel, loaded 10x faster. */
    private static String vmlinux;

    @BeforeAll
    static void fetch() throws IOException {
        kernel = DebianKernel.fetch();
        mods = TestModules.build();
        vmlinuz = kernel.vmlinuz().toString();
        vmlinux = kernel.vmlinux().toString();
        assertThat(Files.readString(kernel.config())).contains("\nCONFIG_RANDOMIZE_BASE=y\n");
    }

    private static List<String> files(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).toList();
        }
    }

    /**
     * Debian's amd64 kernel randomises its base (its config says so); x86_64 is proven in anchor mode
     * (AnchorKaslrBootTest), so no option is needed and nothing is said: one image symbol stays undefined.
     * The refusal for architectures where anchor mode is not proven is KaslrCheckTest's.
     */
    @Test
    void kaslrKernelGetsAnchorModeWithoutAnyOption(@TempDir Path tmp) throws IOException {
        assertThat(Files.readString(kernel.config(), StandardCharsets.ISO_8859_1)).contains("\nCONFIG_RANDOMIZE_BASE=y\n");
        Path out = tmp.resolve("out");
        CliRun r = cli("preresolve", "-k", vmlinuz, "-o", out.toString(),
                mods.ko("lkmpr_plain").toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCodes.OK);
        assertThat(r.err()).as(r.toString()).isEmpty();
        int undefined = undefinedSymbols(mods.ko("lkmpr_plain"));
        assertThat(r.out()).contains("PRERESV lkmpr_plain.ko (" + (undefined - 1) + "/" + undefined + " preresolved)");
        assertThat(files(out)).hasSize(1);

        // The same with the config named explicitly, and with the extracted ELF vmlinux (config-RELEASE beside it).
        for (CliRun again : List.of(
                cli("preresolve", "-k", vmlinux, "--config", kernel.config().toString(), "--dry-run",
                        mods.ko("lkmpr_plain").toString()),
                cli("preresolve", "-k", vmlinux, "--dry-run", mods.ko("lkmpr_plain").toString()))) {
            assertThat(again.code()).as(again.toString()).isEqualTo(ExitCodes.OK);
            assertThat(again.err()).isEmpty();
            assertThat(again.out()).contains("(" + (undefined - 1) + "/" + undefined + " preresolved)");
        }
    }

    /** Undefined, named, non-local symbols, as readelf lists them. */
    private static int undefinedSymbols(Path ko) throws IOException {
        try {
            Process p = new ProcessBuilder("readelf", "-W", "-s", ko.toString()).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            p.waitFor();
            return (int) text.lines().map(l -> l.strip().split("\\s+"))
                    .filter(f -> f.length >= 8 && f[6].equals("UND") && !f[4].equals("LOCAL")).count();
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
    }

    @Test
    void assumeNokaslrWarnsOnceLoudlyAndGoesAhead(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        List<String> args = new ArrayList<>(List.of("preresolve", "-k", vmlinuz, "--assume-nokaslr", "-o",
                out.toString()));
        TestModules.MODULES.forEach(m -> args.add(mods.ko(m).toString()));
        CliRun r = cli(args);
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCodes.OK);
        assertThat(r.errLines()).as(r.toString()).singleElement().asString()
                .startsWith("lkm-preresolver: WARNING: ").contains("CONFIG_RANDOMIZE_BASE=y").contains("'nokaslr'")
                .contains("ONLY");
        assertThat(files(out)).hasSize(TestModules.MODULES.size());
        // The count from an independent oracle (readelf, modinfo, modversions, Module.symvers).
        SymbolOracle.Expected plain = SymbolOracle.ofKernel(kernel.root(), kernel.release())
                .expect(mods.ko("lkmpr_plain"), null);
        assertThat(plain.left()).as("lkmpr_plain imports only what vmlinux gives it").isEmpty();
        assertThat(r.out()).contains("PRERESV lkmpr_plain.ko (" + plain.ratio() + " *fully* preresolved)");
    }

    @Test
    void configWithoutRandomizeBaseNeedsNoOption(@TempDir Path tmp) throws IOException {
        Path cfg = tmp.resolve("config");
        Files.writeString(cfg, Files.readString(kernel.config(), StandardCharsets.ISO_8859_1)
                .replace("\nCONFIG_RANDOMIZE_BASE=y\n", "\n# CONFIG_RANDOMIZE_BASE is not set\n"),
                StandardCharsets.ISO_8859_1);
        CliRun r = cli("preresolve", "-k", vmlinux, "--config", cfg.toString(), "--dry-run",
                mods.ko("lkmpr_plain").toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCodes.OK);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void unknownConfigGetsAnchorModeWhichIsRightEitherWay(@TempDir Path tmp) throws IOException {
        // The kernel alone: no --config, no config-RELEASE or .config beside it, and Debian builds without IKCONFIG.
        // (A link outside the @TempDir, which JUnit would warn about deleting.)
        Path alone = org.preresolver.qemu.Host.projectDir().resolve("target/kernel-without-config");
        Files.createDirectories(alone);
        Path image = alone.resolve("vmlinux");
        Files.deleteIfExists(image);
        Files.createSymbolicLink(image, Path.of(vmlinux));
        Path out = tmp.resolve("out");
        CliRun r = cli("preresolve", "-k", image.toString(), "-o", out.toString(),
                mods.ko("lkmpr_plain").toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCodes.OK);
        assertThat(r.err()).as(r.toString()).isEmpty();
        int undefined = undefinedSymbols(mods.ko("lkmpr_plain"));
        assertThat(r.out()).contains("(" + (undefined - 1) + "/" + undefined + " preresolved)");
        assertThat(files(out)).hasSize(1);

        CliRun assumed = cli("preresolve", "-k", image.toString(), "--assume-nokaslr", "--dry-run",
                mods.ko("lkmpr_plain").toString());
        assertThat(assumed.code()).as(assumed.toString()).isEqualTo(ExitCodes.OK);
        assertThat(assumed.errLines()).singleElement().asString().startsWith("lkm-preresolver: WARNING: ")
                .contains("cannot tell").contains("nokaslr");
    }

    @Test
    void vermagicOfAnotherReleaseIsRefused(@TempDir Path tmp) throws IOException {
        // A real Debian module whose vermagic is patched in place to another ABI (same length).
        Path real = kernel.modulesDir().resolve("kernel/lib/crc16.ko");
        byte[] b = Files.readAllBytes(real);
        String release = kernel.release();
        String other = release.replaceFirst("-\\d+-", "-99-");
        assertThat(other).isNotEqualTo(release).hasSameSizeAs(release);
        byte[] from = ("vermagic=" + release + " ").getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(b, from);
        assertThat(at).isPositive();
        assertThat(indexOf(b, from, at + 1)).isEqualTo(-1);
        System.arraycopy(("vermagic=" + other + " ").getBytes(StandardCharsets.US_ASCII), 0, b, at, from.length);
        Path in = tmp.resolve("in");
        Files.createDirectories(in);
        Files.write(in.resolve("crc16.ko"), b);
        Files.copy(mods.ko("lkmpr_plain"), in.resolve("lkmpr_plain.ko"));

        Path out = tmp.resolve("out");
        CliRun r = cli("preresolve", "-k", vmlinux, "--assume-nokaslr", "--strip-signature", "-o",
                out.toString(), in.resolve("crc16.ko").toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.errLines()).as(r.toString()).hasSize(2); // the KASLR warning, then the refusal
        assertThat(r.errLines().get(1)).isEqualTo("lkm-preresolver: crc16.ko: vermagic release " + other
                + " does not match kernel release " + release);
        assertThat(files(out)).isEmpty();

        // In a tree, the other modules are still done; the run says so with exit 5.
        CliRun tree = cli("preresolve", "-k", vmlinux, "--assume-nokaslr", "--strip-signature",
                "-o", out.toString(), in.toString());
        assertThat(tree.code()).as(tree.toString()).isEqualTo(ExitCodes.REFUSED);
        assertThat(tree.errLines()).filteredOn(l -> !l.contains("WARNING")).singleElement().asString()
                .contains("crc16.ko: vermagic release " + other);
        assertThat(files(out)).containsExactly("lkmpr_plain.ko");
    }

    @Test
    void sh4ModulesAreRefusedAgainstTheX86Kernel(@TempDir Path tmp) throws IOException {
        // The kit lookup the SH-4 tests use (../shared/sh4, -Dlkmpr.sh4Kit, LKMPR_SH4_KIT); it throws when absent.
        Path sh4 = org.preresolver.qemu.sh4.Sh4Kit.find().modulesDir();
        List<Path> kos;
        try (Stream<Path> s = Files.list(sh4)) {
            kos = s.filter(p -> p.getFileName().toString().endsWith(".ko")).sorted().toList();
        }
        assertThat(kos).hasSizeGreaterThanOrEqualTo(10);
        Path one = kos.stream().filter(p -> p.getFileName().toString().equals("crc16.ko")).findFirst().orElseThrow();
        Path out = tmp.resolve("out");
        CliRun r = cli("preresolve", "-k", vmlinux, "--assume-nokaslr", "-o", out.toString(),
                one.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.errLines()).filteredOn(l -> !l.contains("WARNING")).singleElement().asString()
                .isEqualTo("lkm-preresolver: crc16.ko: module is ELF32 LSB " + Elf.machineName(Elf.EM_SH)
                        + ", kernel is ELF64 LSB " + Elf.machineName(Elf.EM_X86_64));

        List<String> args = new ArrayList<>(List.of("preresolve", "-k", vmlinux, "--assume-nokaslr", "-o",
                out.toString()));
        kos.forEach(p -> args.add(p.toString()));
        CliRun all = cli(args);
        assertThat(all.code()).isEqualTo(ExitCodes.REFUSED);
        assertThat(all.errLines()).filteredOn(l -> l.contains(": module is ELF32 LSB")).hasSameSizeAs(kos);
        assertThat(files(out)).isEmpty();
    }

    @Test
    void x86ModulePatchedToAnotherMachineIsRefused(@TempDir Path tmp) throws Exception {
        byte[] b = Files.readAllBytes(mods.ko("lkmpr_plain"));
        assertThat(ElfFile.parse(b).header().machine()).isEqualTo(Elf.EM_X86_64);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(18, (short) Elf.EM_AARCH64); // e_machine
        Path in = tmp.resolve("lkmpr_plain.ko");
        Files.write(in, b);
        CliRun r = cli("preresolve", "-k", vmlinux, "--assume-nokaslr", "--dry-run", in.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.errLines()).filteredOn(l -> !l.contains("WARNING")).singleElement().asString()
                .isEqualTo("lkm-preresolver: lkmpr_plain.ko: module is ELF64 LSB " + Elf.machineName(Elf.EM_AARCH64)
                        + ", kernel is ELF64 LSB " + Elf.machineName(Elf.EM_X86_64));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        return indexOf(hay, needle, 0);
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

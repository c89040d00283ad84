package org.preresolver.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.elf.FormatException;
import org.preresolver.kernel.Compression;
import org.preresolver.qemu.DebianKernel;

/**
 * Many .ko.xz modules through one {@code xz} process, both ways. Inputs are Debian sid's own .ko.xz
 * modules; what they decode to is what the host's {@code xz -dc} gives for each file alone, and what
 * is written must be what the kernel's decompressor takes (CRC32 check, a dictionary of at most 1 MiB,
 * as {@code xz -lvv} reports them) and decode with {@code xz -dc} to the input.
 */
class ModuleCodecXzTest {
    static List<Path> files;

    @BeforeAll
    static void modules() throws Exception {
        Path net = DebianKernel.fetchSuite("sid").modulesDir().resolve("kernel/net/ipv4");
        try (Stream<Path> s = Files.walk(net)) {
            files = s.filter(p -> p.toString().endsWith(".ko.xz")).sorted().limit(20).toList();
        }
        assertThat(files).hasSize(20);
    }

    static byte[] run(List<String> cmd, Path stdin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        if (stdin != null) {
            pb.redirectInput(stdin.toFile());
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("%s", cmd).isZero();
        return out;
    }

    @Test
    void decodeAllGivesWhatXzGivesForEachFile() throws Exception {
        assertThat(NativeXz.available()).as("xz on the PATH").isTrue();
        List<byte[]> in = new ArrayList<>();
        for (Path f : files) {
            in.add(Files.readAllBytes(f));
        }
        List<ModuleCodec.Decoded> dec = ModuleCodec.decodeAll(in);
        for (int i = 0; i < files.size(); i++) {
            assertThat(dec.get(i)).as("decoded %s", files.get(i)).isNotNull();
            assertThat(dec.get(i).elf()).as("%s", files.get(i)).isEqualTo(run(List.of("xz", "-dc", files.get(i).toString()), null));
            assertThat(dec.get(i).compression()).isEqualTo(Compression.XZ);
            assertThat(dec.get(i).fileSize()).isEqualTo(in.get(i).length);
        }
    }

    @Test
    void aCorruptModuleInTheBatchIsLeftToTheOneByOneDecoderWhichNamesTheProblem() throws Exception {
        List<byte[]> in = new ArrayList<>();
        for (Path f : files.subList(0, 4)) {
            in.add(Files.readAllBytes(f));
        }
        byte[] bad = in.get(2).clone();
        bad[bad.length / 2] ^= 0x55; // inside the LZMA2 data: the CRC32 or the decoder fails
        in.set(2, bad);
        List<ModuleCodec.Decoded> dec = ModuleCodec.decodeAll(in);
        assertThat(dec.get(2)).isNull();
        assertThatThrownBy(() -> ModuleCodec.decode(bad)).isInstanceOf(FormatException.class)
                .hasMessageStartingWith("corrupt xz stream");
        for (int i : new int[] {0, 1, 3}) {
            byte[] want = run(List.of("xz", "-dc", files.get(i).toString()), null);
            byte[] got = dec.get(i) != null ? dec.get(i).elf() : ModuleCodec.decode(in.get(i)).elf();
            assertThat(got).isEqualTo(want);
        }
    }

    @Test
    void encodeAllWritesWhatTheKernelDecompresses(@TempDir Path dir) throws Exception {
        List<byte[]> elfs = new ArrayList<>();
        for (Path f : files.subList(0, 6)) {
            elfs.add(run(List.of("xz", "-dc", f.toString()), null));
        }
        List<byte[]> batch = ModuleCodec.encodeAll(elfs, Compression.XZ);
        List<byte[]> inProcess = new ArrayList<>();
        for (byte[] e : elfs) {
            inProcess.add(ModuleCodec.encodeInProcess(e, Compression.XZ));
        }
        List<byte[]> outs = new ArrayList<>(batch);
        outs.addAll(inProcess);
        for (int i = 0; i < outs.size(); i++) {
            Path f = dir.resolve(i + ".ko.xz");
            Files.write(f, outs.get(i));
            assertThat(run(List.of("xz", "-dc", f.toString()), null)).isEqualTo(elfs.get(i % elfs.size()));
            String info = new String(run(List.of("xz", "-lvv", f.toString()), null), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(info).contains("Check:             CRC32");
            assertThat(info).containsPattern("--lzma2=dict=(1MiB|\\d{1,3}KiB)");
            assertThat(info).doesNotContain("--x86").doesNotContain("--delta");
        }
        // The batch is the xz command at kbuild's settings, byte for byte (single-threaded: xz 5.6+ defaults to -T0).
        for (int i = 0; i < elfs.size(); i++) {
            Path f = dir.resolve("elf" + i);
            Files.write(f, elfs.get(i));
            assertThat(batch.get(i)).isEqualTo(run(List.of("xz", "--check=crc32", "--lzma2=dict=1MiB", "-T1", "-c"), f));
        }
    }
}

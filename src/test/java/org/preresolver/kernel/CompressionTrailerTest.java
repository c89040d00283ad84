package org.preresolver.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.preresolver.qemu.DebianKernel;

/**
 * Image payloads as kbuild makes them: the compressor's command from the kernel's
 * {@code scripts/Makefile.lib} (and {@code scripts/xz_wrap.sh}), then {@code size_append}, the
 * uncompressed size as 4 little-endian bytes after the stream. Every format must decode exactly its
 * stream and ignore the trailer. The input is the first 9 MiB of Debian's real vmlinux (more than
 * one 8 MiB lz4 legacy block); the compressed forms come from the host's own tools.
 */
class CompressionTrailerTest {
    record Kbuild(String name, Compression format, List<String> command) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Kbuild> formats() {
        return Stream.of(
                new Kbuild("gzip", Compression.GZIP, List.of("gzip", "-n", "-f", "-9")),
                new Kbuild("xzkern", Compression.XZ, List.of("xz", "--check=crc32", "--x86", "--lzma2=,dict=32MiB")),
                new Kbuild("zstd22", Compression.ZSTD, List.of("zstd", "-22", "--ultra", "-q", "-c")),
                new Kbuild("lz4", Compression.LZ4_LEGACY, List.of("lz4", "-l", "-9", "-c")),
                new Kbuild("bzip2", Compression.BZIP2, List.of("bzip2", "-9")),
                new Kbuild("lzma", Compression.LZMA, List.of("lzma", "-9")));
    }

    static byte[] input;

    @BeforeAll
    static void input() throws Exception {
        Path vmlinux = DebianKernel.fetch().vmlinux();
        byte[] all = Files.readAllBytes(vmlinux);
        input = Arrays.copyOf(all, Math.min(all.length, 9 << 20));
        assertThat(input.length).isEqualTo(9 << 20);
    }

    static byte[] kbuild(List<String> command, byte[] data) throws Exception {
        Path in = Files.createTempFile("payload", ".bin");
        try {
            Files.write(in, data);
            Process p = new ProcessBuilder(command).redirectInput(in.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("%s finished", command).isTrue();
            assertThat(p.exitValue()).as("%s exit code", command).isZero();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(out);
            int n = data.length; // size_append: printf the size as 4 little-endian bytes
            b.write(new byte[] {(byte) n, (byte) (n >>> 8), (byte) (n >>> 16), (byte) (n >>> 24)});
            return b.toByteArray();
        } finally {
            Files.deleteIfExists(in);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("formats")
    void decodesTheStreamAndIgnoresSizeAppend(Kbuild k) throws Exception {
        byte[] payload = kbuild(k.command(), input);
        assertThat(Compression.detect(payload)).isEqualTo(k.format());
        // with the size hint (as KernelImage passes it) and without
        assertThat(k.format().decompress(payload, 0, payload.length, Compression.DEFAULT_LIMIT, input.length))
                .isEqualTo(input);
        assertThat(k.format().decompress(payload, 0, payload.length, Compression.DEFAULT_LIMIT)).isEqualTo(input);
    }
}

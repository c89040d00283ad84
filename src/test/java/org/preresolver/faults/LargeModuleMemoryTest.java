package org.preresolver.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.testing.CliRun;

/**
 * The largest module Debian ships, sid's {@code amdgpu.ko.xz} (6 MB, 45 MiB decoded, signed), in a
 * JVM limited to a 256 MiB heap, as a separate process: preresolved and written ({@code -o}),
 * restored from that output, and dry-run in anchor mode. It ran out of memory before (the decoded
 * module was copied six times over: without its signature, for the editor, for the appended
 * record, and three times by the output check).
 *
 * <p>Independent checks: the number of undefined symbols the report gives is {@code readelf}'s
 * count of named undefined global and weak symbols of the module {@code xz -dc} gives; the output
 * is what the kernel's decompressor takes ({@code xz -lvv}: CRC32, 1 MiB dictionary); restoring it
 * gives back exactly the bytes {@code xz -dc} gives for the original.
 */
class LargeModuleMemoryTest {
    static DebianKernel sid;
    static Path amdgpu;

    @BeforeAll
    static void module() throws IOException {
        sid = DebianKernel.fetchSuite("sid");
        try (Stream<Path> s = Files.walk(sid.modulesDir().resolve("kernel/drivers/gpu/drm/amd"))) {
            amdgpu = s.filter(p -> p.getFileName().toString().equals("amdgpu.ko.xz")).findFirst().orElseThrow();
        }
    }

    static byte[] run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("%s finished", cmd).isTrue();
        assertThat(p.exitValue()).as("%s", cmd).isZero();
        return out;
    }

    static CliRun cli256(List<String> args) throws Exception {
        return cli("-Xmx256m", args);
    }

    static CliRun cli(String heap, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Jvm.java(), heap, "-XX:+UseSerialGC", "-cp",
                Jvm.classpathString(), "org.preresolver.cli.Main"));
        cmd.addAll(args);
        return Fixture.child(Duration.ofMinutes(10), cmd);
    }

    /** readelf's named undefined GLOBAL/WEAK symbols of {@code elf}: what simplify_symbols() looks up. */
    static long undefinedByReadelf(Path elf) throws Exception {
        String out = new String(run(List.of("readelf", "-W", "-s", elf.toString())),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        Pattern row = Pattern.compile("^\\s*\\d+:\\s+\\S+\\s+\\d+\\s+\\S+\\s+(GLOBAL|WEAK)\\s+\\S+\\s+UND\\s+(\\S+)");
        return out.lines().map(row::matcher).filter(Matcher::find).count();
    }

    @Test
    void amdgpuIsPreresolvedWrittenAndRestoredInA256MiBHeap(@TempDir Path tmp) throws Exception {
        Path decoded = tmp.resolve("amdgpu.ko");
        Files.write(decoded, run(List.of("xz", "-dc", amdgpu.toString())));
        assertThat(Files.size(decoded)).as("decoded size").isGreaterThan(40L << 20);
        long undefined = undefinedByReadelf(decoded);
        assertThat(undefined).isGreaterThan(1000);

        Path out = tmp.resolve("out");
        CliRun r = cli256(List.of("preresolve", "-k", sid.vmlinux().toString(), "--assume-nokaslr",
                "--strip-signature", "-j", "2", "-o", out.toString(), amdgpu.toString()));
        assertThat(r.err()).doesNotContain("out of memory").doesNotContain("OutOfMemoryError");
        assertThat(r.code()).as(r.err()).isZero();
        Matcher m = Pattern.compile("PRERESV amdgpu\\.ko\\.xz \\((\\d+)/(\\d+) preresolved\\)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(Long.parseLong(m.group(2))).as("undefined symbols, as readelf counts them").isEqualTo(undefined);
        assertThat(Long.parseLong(m.group(1))).isPositive();

        Path written = out.resolve("amdgpu.ko.xz");
        String list = new String(run(List.of("xz", "-lvv", written.toString())), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(list).contains("CRC32").contains("--lzma2=dict=1MiB");

        Path back = tmp.resolve("back");
        CliRun rr = cli256(List.of("restore", "-o", back.toString(), written.toString()));
        assertThat(rr.err()).doesNotContain("out of memory");
        assertThat(rr.code()).as(rr.err()).isZero();
        byte[] restored = run(List.of("xz", "-dc", back.resolve("amdgpu.ko.xz").toString()));
        assertThat(restored).as("restored amdgpu.ko, signature included").isEqualTo(Files.readAllBytes(decoded));
    }

    @Test
    void amdgpuRunsInAnchorModeInA256MiBHeap() throws Exception {
        CliRun r = cli256(List.of("preresolve", "-k", sid.vmlinux().toString(), "--strip-signature",
                "-j", "2", "-n", amdgpu.toString()));
        assertThat(r.err()).doesNotContain("out of memory").doesNotContain("OutOfMemoryError");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("anchor mode").containsPattern("PRERESV amdgpu\\.ko\\.xz \\(\\d+/"
                + undefinedByReadelf(decodedOnce()) + " preresolved\\)");
    }

    /**
     * A 17-byte .ko.zst whose frame header claims 260 MB (under the 256 MiB decompression limit,
     * over a 128 MiB heap): decoded into an array of the size a frame records, it would be an
     * out-of-memory error; the claim is more than 17 bytes of
     * zstd can hold, so the stream decoder reads it and zstd itself reports the frame corrupt (its
     * one RLE block gives 128 KiB, not the recorded size). The real module beside it is preresolved.
     */
    @Test
    void aZstdFrameClaimingMoreThanItCanHoldIsCorruptNotAnAllocation(@TempDir Path tmp) throws Exception {
        Path tree = tmp.resolve("tree");
        Files.createDirectories(tree);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(17).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xfd2fb528); // magic
        b.put((byte) 0xe0); // frame header: 8-byte content size, single segment, no checksum
        b.putLong(260_000_000L); // the claimed content size
        int block = 1 | 1 << 1 | (128 << 10) << 3; // last block, RLE, 128 KiB
        b.put((byte) block).put((byte) (block >> 8)).put((byte) (block >> 16));
        b.put((byte) 0); // the repeated byte
        Files.write(tree.resolve("liar.ko.zst"), b.array());
        Path real;
        try (Stream<Path> s = Files.walk(sid.modulesDir().resolve("kernel/lib"))) {
            real = s.filter(p -> p.getFileName().toString().equals("crc-itu-t.ko.xz")).findFirst().orElseThrow();
        }
        Files.copy(real, tree.resolve("crc-itu-t.ko.xz"));
        CliRun r = cli("-Xmx128m", List.of("preresolve", "-k", sid.vmlinux().toString(), "--assume-nokaslr",
                "--strip-signature", "-j", "1", "-n", tree.toString()));
        assertThat(r.errors()).as(r.err()).singleElement().asString()
                .startsWith("lkm-preresolver: liar.ko.zst: corrupt zstd stream: ");
        assertThat(r.code()).isEqualTo(org.preresolver.cli.ExitCodes.BAD_INPUT);
        assertThat(r.out()).containsPattern("PRERESV crc-itu-t\\.ko\\.xz \\(\\d+/\\d+ (\\*fully\\* )?preresolved\\)");
    }

    private static Path decodedOnce() throws Exception {
        Path f = Files.createTempFile("amdgpu", ".ko");
        f.toFile().deleteOnExit();
        Files.write(f, run(List.of("xz", "-dc", amdgpu.toString())));
        return f;
    }
}

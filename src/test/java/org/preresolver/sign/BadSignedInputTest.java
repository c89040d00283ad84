package org.preresolver.sign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.TestFiles.deleteTree;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.preresolver.cli.ExitCodes;
import org.preresolver.io.ModuleCodec;
import org.preresolver.kernel.Compression;
import org.preresolver.kernel.ModuleSignature;
import org.preresolver.testing.CliRun;

/**
 * Damaged signed and compressed modules: a cut signature trailer, a lying {@code sig_len}, a
 * corrupt or cut xz or zstd stream. Each gives one error line naming the file, exit code 3
 * (malformed input), and no output file.
 */
class BadSignedInputTest {

    @Test
    void damagedTrailersAndStreamsAreOneLineErrorsWithNoOutput() throws Exception {
        SignTools t = SignTools.get();
        byte[] signed = Files.readAllBytes(t.module("drivers/net/dummy.ko"));
        ModuleSignature sig = ModuleSignature.parse(signed).orElseThrow();
        int info = signed.length - ModuleSignature.MAGIC.length - ModuleSignature.INFO_SIZE;
        int sigLen = sig.signature().length;

        // file name -> what its error line must say
        Map<String, byte[]> files = new LinkedHashMap<>();
        Map<String, String> expect = new LinkedHashMap<>();
        for (int cut : new int[] {1, ModuleSignature.MAGIC.length + ModuleSignature.INFO_SIZE, 300}) {
            files.put("cut" + cut + ".ko", Arrays.copyOf(signed, signed.length - cut));
            expect.put("cut" + cut + ".ko", "truncated module signature");
        }
        for (long len : new long[] {sigLen + 1, sigLen - 1, sigLen + 100_000L, 0xffff_ffffL}) {
            byte[] b = signed.clone();
            ByteBuffer.wrap(b).putInt(info + 8, (int) len);
            String name = "siglen" + len + ".ko";
            files.put(name, b);
            expect.put(name, len > info ? "sig_len " + len + " is larger than the file"
                    : "sig_len " + len + " does not match the PKCS#7 signature");
        }
        for (Compression c : List.of(Compression.XZ, Compression.ZSTD)) {
            byte[] packed = ModuleCodec.encode(signed, c);
            String ext = c == Compression.XZ ? ".ko.xz" : ".ko.zst";
            byte[] flipped = packed.clone();
            flipped[packed.length / 2] ^= 0x5a;
            files.put("flipped" + ext, flipped);
            expect.put("flipped" + ext, "corrupt " + c.label() + " stream");
            files.put("cut" + ext, Arrays.copyOf(packed, packed.length / 2));
            expect.put("cut" + ext, "corrupt " + c.label() + " stream");
        }

        Path in = t.dir.resolve("bad-in");
        Path out = t.dir.resolve("bad-out");
        deleteTree(in);
        deleteTree(out);
        Files.createDirectories(in);
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Files.write(in.resolve(e.getKey()), e.getValue());
        }

        CliRun r = t.preresolve("--sign-key", t.rsaPem.toString(), "--sign-cert", t.rsaDer.toString(),
                "--json", "-o", out.toString(), in.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.BAD_INPUT);
        List<String> lines = r.errors();
        assertThat(lines).hasSize(files.size());
        for (Map.Entry<String, String> e : expect.entrySet()) {
            assertThat(lines).as(e.getKey()).filteredOn(l -> l.startsWith("lkm-preresolver: " + e.getKey() + ": "))
                    .singleElement().asString().contains(e.getValue());
        }
        assertThat(r.out()).contains("\"error\" : " + files.size(), "\"preresolved\" : 0");
        if (Files.exists(out)) {
            try (Stream<Path> s = Files.walk(out)) {
                assertThat(s.filter(Files::isRegularFile).toList()).isEmpty();
            }
        }
        // Every line is one line: no stack trace, no "null".
        assertThat(r.err()).doesNotContain("\tat ", "Exception", "null");
    }
}

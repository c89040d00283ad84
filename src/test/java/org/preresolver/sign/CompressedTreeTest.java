package org.preresolver.sign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.deleteTree;
import static org.preresolver.testing.TestFiles.sha256;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.preresolver.kernel.Compression;
import org.preresolver.qemu.Host;
import org.preresolver.testing.CliRun;

/**
 * Debian modules compressed with the system's xz, zstd and gzip as kbuild compresses them
 * ({@code scripts/Makefile.modinst}), preresolved (and re-signed) as a tree: every output is in
 * its input's format, passes the tool's own integrity test, is read by kmod's modinfo, and
 * decompresses to exactly what preresolving the uncompressed module gives.
 */
class CompressedTreeTest {
    /** Format, file suffix, compress command (kbuild's flags; the file is appended). */
    static final String[][] FORMATS = {
        {"xz", ".xz", "xz --check=crc32 --lzma2=dict=1MiB -f"},
        {"zstd", ".zst", "zstd --rm -f -q"},
        {"gzip", ".gz", "gzip -n -f"},
    };

    static SignTools t;
    static Path plain;
    static Path packed;
    static Path plainOut;
    static Path packedOut;
    static List<Path> modules;
    static Map<String, Map<String, Object>> json;

    @BeforeAll
    static void setUp() throws Exception {
        long t0 = System.nanoTime();
        t = SignTools.get();
        Path base = t.dir.resolve("compressed");
        deleteTree(base);
        plain = base.resolve("plain");
        packed = base.resolve("packed");
        plainOut = base.resolve("plain-out");
        packedOut = base.resolve("packed-out");
        // A few dozen Debian modules: the nls tables and some network drivers, each compressed
        // three ways (one format per module so that the tree mixes them, as none does in life).
        modules = new ArrayList<>();
        for (String dir : List.of("fs/nls", "drivers/net")) {
            try (Stream<Path> s = Files.list(t.module(dir))) {
                s.filter(p -> p.toString().endsWith(".ko")).sorted().limit(18)
                        .forEach(p -> modules.add(t.kernel.modulesDir().resolve("kernel").relativize(p)));
            }
        }
        assertThat(modules).hasSizeGreaterThanOrEqualTo(30);
        for (int i = 0; i < modules.size(); i++) {
            Path m = modules.get(i);
            Files.createDirectories(plain.resolve(m).getParent());
            Files.copy(t.module(m.toString()), plain.resolve(m));
            Path dst = packed.resolve(m);
            Files.createDirectories(dst.getParent());
            Files.copy(t.module(m.toString()), dst);
        }
        for (int k = 0; k < FORMATS.length; k++) {
            List<String> cmd = new ArrayList<>(List.of(FORMATS[k][2].split(" ")));
            for (int i = k; i < modules.size(); i += FORMATS.length) {
                cmd.add(packed.resolve(modules.get(i)).toString());
            }
            Host.run(java.time.Duration.ofMinutes(2), null, cmd.toArray(String[]::new));
        }
        String[] sign = {"--sign-key", t.rsaPem.toString(), "--sign-cert", t.rsaDer.toString()};
        CliRun r0 = t.preresolve(concat(sign, "-q", "-o", plainOut.toString(), plain.toString()));
        assertThat(r0.code()).as(r0.err()).isZero();
        CliRun r1 = t.preresolve(concat(sign, "--json", "-o", packedOut.toString(), packed.toString()));
        assertThat(r1.code()).as(r1.err()).isZero();
        json = modulesByPath(r1.out());
        System.out.printf("CompressedTreeTest: %d modules compressed and preresolved twice in %d ms%n", modules.size(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static String[] format(int i) {
        return FORMATS[i % FORMATS.length];
    }

    private static Path packedName(Path dir, int i) {
        Path m = modules.get(i);
        return dir.resolve(m.resolveSibling(m.getFileName() + format(i)[1]));
    }

    @Test
    void everyOutputIsInItsInputsFormatAndDecompressesToThePreresolvedModule() throws Exception {
        Path scratch = t.dir.resolve("compressed/decompressed");
        Files.createDirectories(scratch);
        for (int i = 0; i < modules.size(); i++) {
            Path out = packedName(packedOut, i);
            byte[] bytes = Files.readAllBytes(out);
            assertThat(Compression.detect(bytes).label()).as(out.toString()).isEqualTo(format(i)[0]);
            // Decompressed by the system tool, not by this project's codec.
            Path copy = scratch.resolve(i + ".ko" + format(i)[1]);
            Files.write(copy, bytes);
            String tool = format(i)[0];
            Host.run(java.time.Duration.ofMinutes(1), null, tool, "-d", "-f", "-q", copy.toString());
            byte[] expected = Files.readAllBytes(plainOut.resolve(modules.get(i)));
            assertThat(Files.readAllBytes(scratch.resolve(i + ".ko"))).as(out.toString()).isEqualTo(expected);
            assertThat(expected).isNotEqualTo(Files.readAllBytes(plain.resolve(modules.get(i)))); // preresolved
        }
    }

    @Test
    void systemToolsTestEveryOutput() throws Exception {
        for (int k = 0; k < FORMATS.length; k++) {
            List<String> cmd = new ArrayList<>(List.of(FORMATS[k][0], "-t", "-q"));
            for (int i = k; i < modules.size(); i += FORMATS.length) {
                cmd.add(packedName(packedOut, i).toString());
            }
            Host.run(java.time.Duration.ofMinutes(1), null, cmd.toArray(String[]::new));
        }
        // The kernel's in-kernel xz decompressor (CONFIG_MODULE_DECOMPRESS) needs CRC32 checks.
        String list = Host.run(java.time.Duration.ofMinutes(1), null, "xz", "--robot", "--list",
                packedName(packedOut, 0).toString()).output();
        assertThat(list).contains("\tCRC32\t").doesNotContain("CRC64").doesNotContain("SHA-256");
    }

    /**
     * The kernel's zstd module decompressor sizes its workspace from the frame header's window
     * size: every .ko.zst output has the frame parameters the {@code zstd} command (kbuild's
     * {@code zstd --rm -f -q}) gives the same preresolved module: window size, XXH64 check, and
     * the decompressed size recorded, as {@code zstd -lv} reports them.
     */
    @Test
    void zstdOutputsHaveTheFrameOfTheZstdCommand() throws Exception {
        Path scratch = t.dir.resolve("compressed/zstd-frames");
        Files.createDirectories(scratch);
        int checked = 0;
        for (int i = 0; i < modules.size(); i++) {
            if (!format(i)[0].equals("zstd")) {
                continue;
            }
            Path ref = scratch.resolve(i + ".ko.zst");
            Host.run(java.time.Duration.ofMinutes(1), null, "zstd", "-q", "-f", "-o", ref.toString(),
                    plainOut.resolve(modules.get(i)).toString());
            String ours = frame(packedName(packedOut, i));
            assertThat(ours).as(packedName(packedOut, i).toString()).contains("Check: XXH64")
                    .contains("Decompressed Size:").isEqualTo(frame(ref));
            checked++;
        }
        assertThat(checked).isGreaterThanOrEqualTo(10);
    }

    /** The frame lines of {@code zstd -lv}: window size, decompressed size, check type. */
    private static String frame(Path f) throws Exception {
        String out = Host.run(java.time.Duration.ofMinutes(1), null, "zstd", "-lv", f.toString()).output();
        return String.join("\n", out.lines().map(String::strip).filter(l -> l.startsWith("Window Size:")
                || l.startsWith("Decompressed Size:") || l.startsWith("Check:")).map(l -> l.startsWith("Check:")
                ? l.replaceAll("^(Check: \\S+).*", "$1") : l).toList());
    }

    @Test
    void modinfoReadsEveryOutputAndItsNewSignature() throws Exception {
        String features = Host.run(java.time.Duration.ofMinutes(1), null, "modinfo", "--version").output();
        for (int i = 0; i < modules.size(); i++) {
            Path out = packedName(packedOut, i);
            if (format(i)[0].equals("gzip") && !features.contains("+ZLIB")) {
                // This kmod was built without zlib (e.g. Debian 12's kmod 30: "-ZLIB"): it cannot open
                // any .ko.gz, so read the decompressed output instead.
                Path copy = t.dir.resolve("compressed/modinfo-gz.ko");
                Host.run(java.time.Duration.ofMinutes(1), null, "sh", "-c", "gzip -dc '" + out + "' > '" + copy + "'");
                out = copy;
            }
            String name = modules.get(i).getFileName().toString().replace(".ko", "").replace('-', '_');
            String info = Host.run(java.time.Duration.ofMinutes(1), null, "modinfo", out.toString()).output();
            assertThat(info).as(out.toString()).contains("name:           " + name,
                    "signer:         Build time autogenerated kernel key", "sig_hashalgo:   sha256");
        }
    }

    @Test
    void jsonReportsCompressedAndUncompressedSizes() throws Exception {
        assertThat(json).hasSize(modules.size());
        for (int i = 0; i < modules.size(); i++) {
            String path = packed.relativize(packedName(packed, i)).toString();
            Map<String, Object> m = json.get(path);
            assertThat(m).as(path).isNotNull();
            assertThat(m.get("compression")).isEqualTo(format(i)[0]);
            assertThat(m.get("status")).isEqualTo("preresolved");
            assertThat(m.get("resigned")).isEqualTo(Boolean.TRUE);
            assertThat(m.get("sizeIn")).isEqualTo(Files.size(packedName(packed, i)));
            assertThat(m.get("sizeOut")).isEqualTo(Files.size(packedName(packedOut, i)));
            assertThat(m.get("uncompressedSizeOut")).isEqualTo(Files.size(plainOut.resolve(modules.get(i))));
            assertThat((Long) m.get("sizeOut")).isLessThan((Long) m.get("uncompressedSizeOut"));
        }
    }

    @Test
    void restoringACompressedOutputGivesBackTheSignedOriginal() throws Exception {
        Path back = t.dir.resolve("compressed/restored");
        CliRun r = cli("restore", "-q", "-o", back.toString(), packedOut.toString());
        assertThat(r.code()).as(r.err()).isZero();
        for (int i = 0; i < FORMATS.length; i++) {
            Path restored = packedName(back, i);
            byte[] bytes = Files.readAllBytes(restored);
            assertThat(Compression.detect(bytes).label()).isEqualTo(format(i)[0]);
            byte[] original = Compression.detect(bytes).decompress(bytes, 0, bytes.length, Compression.DEFAULT_LIMIT);
            assertThat(sha256(original)).isEqualTo(sha256(Files.readAllBytes(
                    t.module(modules.get(i).toString()))));
        }
    }

    /** The "modules" array of a run's JSON, by path; numbers as Long. */
    private static Map<String, Map<String, Object>> modulesByPath(String text) throws IOException {
        Map<String, Map<String, Object>> out = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser(text)) {
            while (p.nextToken() != null) {
                if (p.currentToken() == JsonToken.FIELD_NAME && p.currentName().equals("modules")
                        && p.getParsingContext().getParent().inRoot()) {
                    p.nextToken(); // [
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String key = p.currentName();
                            JsonToken v = p.nextToken();
                            switch (v) {
                                case VALUE_NUMBER_INT -> m.put(key, p.getLongValue());
                                case VALUE_STRING -> m.put(key, p.getText());
                                case VALUE_TRUE, VALUE_FALSE -> m.put(key, p.getBooleanValue());
                                default -> p.skipChildren();
                            }
                        }
                        out.put((String) m.get("path"), m);
                    }
                }
            }
        }
        return out;
    }
}

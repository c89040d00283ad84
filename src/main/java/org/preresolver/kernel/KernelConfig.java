package org.preresolver.kernel;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.preresolver.elf.FormatException;

/**
 * A kernel {@code .config}: {@code CONFIG_X=value} lines; {@code # CONFIG_X is not set} and
 * absent options read as unset.
 */
public final class KernelConfig {
    private static final byte[] IKCFG_ST = "IKCFG_ST".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] IKCFG_ED = "IKCFG_ED".getBytes(StandardCharsets.US_ASCII);

    private final Map<String, String> values;
    private final String source;
    private final String text;

    private KernelConfig(Map<String, String> values, String source, String text) {
        this.values = Collections.unmodifiableMap(values);
        this.source = source;
        this.text = text;
    }

    /** The configuration as it was read. */
    public String text() {
        return text;
    }

    public static KernelConfig parse(String text, String source) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            line = line.strip();
            if (!line.startsWith("CONFIG_")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq > 0) {
                String v = line.substring(eq + 1);
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                m.put(line.substring(0, eq), v);
            }
        }
        return new KernelConfig(m, source, text);
    }

    /**
     * The configuration embedded in an image by {@code CONFIG_IKCONFIG}: a gzip stream between
     * the markers {@code IKCFG_ST} and {@code IKCFG_ED}.
     */
    public static Optional<KernelConfig> embedded(org.preresolver.elf.ElfFile vmlinux, String source)
            throws FormatException {
        int[] r = KernelRelease.rodata(vmlinux);
        return embedded(vmlinux.data(), r[0], r[1], source);
    }

    public static Optional<KernelConfig> embedded(byte[] image, String source) throws FormatException {
        return embedded(image, 0, image.length, source);
    }

    private static Optional<KernelConfig> embedded(byte[] image, int start, int limit, String source)
            throws FormatException {
        int st = KernelRelease.indexOf(image, IKCFG_ST, start, limit);
        if (st < 0) {
            return Optional.empty();
        }
        int from = st + IKCFG_ST.length;
        int ed = KernelRelease.indexOf(image, IKCFG_ED, from, limit);
        if (ed < 0 || Compression.detect(image, from) != Compression.GZIP) {
            return Optional.empty();
        }
        byte[] text = Compression.GZIP.decompress(image, from, ed - from, 16L << 20);
        return Optional.of(parse(new String(text, StandardCharsets.ISO_8859_1), source + " (IKCONFIG)"));
    }

    public Optional<String> get(String option) {
        return Optional.ofNullable(values.get(option));
    }

    public boolean isEnabled(String option) {
        String v = values.get(option);
        return "y".equals(v) || "m".equals(v);
    }

    /** {@code CONFIG_RANDOMIZE_BASE=y}: the kernel's base address changes at every boot. */
    public boolean randomizesBase() {
        return isEnabled("CONFIG_RANDOMIZE_BASE");
    }

    public String source() {
        return source;
    }
}

package org.preresolver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The safety-rule test modules of {@code src/test/modules}, built against Debian's headers by
 * {@code scripts/build-test-modules.sh} into {@code target/test-modules/} (the script caches
 * itself: a second build with the same sources does nothing), with their {@code MANIFEST.tsv}.
 *
 * <pre>{@code
 * TestModules t = TestModules.build();
 * Path ko = t.ko("lkmpr_crc_bad");                      // target/test-modules/lkmpr_crc_bad.ko
 * for (TestModules.Entry e : t.entries("lkmpr_crc_bad")) ...   // one per undefined symbol
 * }</pre>
 */
public final class TestModules {
    /** Every module the script builds, in a load order that works (the provider before its user). */
    public static final List<String> MODULES = List.of("lkmpr_plain", "lkmpr_gpl_nonGPL", "lkmpr_ns_missing",
            "lkmpr_ns_ok", "lkmpr_crc_bad", "lkmpr_weak", "lkmpr_livepatch", "lkmpr_dep_provider", "lkmpr_uses_dep",
            "lkmpr_nover", "lkmpr_vers_missing", "lkmpr_addr0", "driverloader", "lkmpr_prop_provider",
            "lkmpr_taint_gpl_first", "lkmpr_taint_prop_first");

    /**
     * One line of MANIFEST.tsv: the expected outcome of one undefined symbol.
     *
     * @param module the module name, without {@code .ko}
     * @param rule ordinary, gpl-ok, namespace-imported, weak-exported (preresolved); gpl-only, namespace,
     *     crc-mismatch, weak-not-exported, livepatch, module-export, no-versions, no-version-entry,
     *     address-zero, gpl-taint-guard (left)
     * @param outcome "preresolved" or "left"
     */
    public record Entry(String module, String rule, String symbol, String outcome, String detail) {
        public boolean preresolved() {
            return outcome.equals("preresolved");
        }
    }

    private static TestModules built;

    private final Path dir;
    private final List<Entry> entries;

    private TestModules(Path dir, List<Entry> entries) {
        this.dir = dir;
        this.entries = List.copyOf(entries);
    }

    /** Builds (or finds up to date) the modules for Debian's default kernel; once per JVM. */
    public static synchronized TestModules build() throws IOException {
        if (built != null) {
            return built;
        }
        DebianKernel k = DebianKernel.fetch();
        Path out = Host.projectDir().resolve("target/test-modules");
        ProcessBuilder pb = new ProcessBuilder("sh", Host.script("scripts/build-test-modules.sh").toString(),
                out.toString()).redirectErrorStream(true).directory(Host.projectDir().toFile());
        // The kernel is already fetched: the script uses it as it is.
        pb.environment().put("LKMPR_KERNEL_DIR", k.root().getParent().toString());
        Path log = Files.createTempFile("lkmpr-build-test-modules", ".log");
        try {
            pb.redirectOutput(log.toFile());
            Process p = pb.start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException("scripts/build-test-modules.sh timed out");
            }
            if (p.exitValue() != 0) {
                throw new IOException("scripts/build-test-modules.sh failed (" + p.exitValue() + "):\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(log);
        }
        List<Entry> es = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("MANIFEST.tsv"), StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length != 5 || !f[0].endsWith(".ko")) {
                throw new IOException("MANIFEST.tsv: bad line: " + line);
            }
            es.add(new Entry(f[0].substring(0, f[0].length() - 3), f[1], f[2], f[3], f[4]));
        }
        built = new TestModules(out, es);
        return built;
    }

    /** {@code target/test-modules} */
    public Path dir() {
        return dir;
    }

    public Path ko(String module) {
        return dir.resolve(module + ".ko");
    }

    /** Every line of the manifest, in its order. */
    public List<Entry> entries() {
        return entries;
    }

    public List<Entry> entries(String module) {
        return entries.stream().filter(e -> e.module().equals(module)).toList();
    }

    /** The entry of one symbol; throws when the manifest has none. */
    public Entry entry(String module, String symbol) {
        return entries.stream().filter(e -> e.module().equals(module) && e.symbol().equals(symbol)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("MANIFEST.tsv has no " + module + " " + symbol));
    }

    /** Modules named in the manifest. */
    public Set<String> manifestModules() {
        Set<String> s = new LinkedHashSet<>();
        entries.forEach(e -> s.add(e.module()));
        return s;
    }
}

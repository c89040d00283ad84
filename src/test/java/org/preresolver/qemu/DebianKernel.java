package org.preresolver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * Debian's kernel packages unpacked by {@code scripts/fetch-debian-kernel.sh} (run once per JVM and ABI).
 *
 * @param root    the unpacked root ({@code boot/}, {@code lib/modules/}, {@code usr/src/})
 * @param release the release string, e.g. {@code 6.1.0-56-amd64}
 */
public record DebianKernel(Path root, String release) {
    private static final java.util.Map<String, DebianKernel> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    /** Debian's default amd64 kernel ABI as chosen by the fetch script. */
    public static DebianKernel fetch() throws IOException {
        return fetch("");
    }

    /** @param abi e.g. {@code 6.1.0-56-amd64}; empty for the fetch script's default */
    public static synchronized DebianKernel fetch(String abi) throws IOException {
        DebianKernel k = CACHE.get(abi);
        if (k != null) {
            return k;
        }
        Path script = Host.script("scripts/fetch-debian-kernel.sh");
        Host.Result r = abi.isEmpty()
                ? Host.run(Duration.ofMinutes(20), Host.projectDir(), "sh", script.toString())
                : Host.run(Duration.ofMinutes(20), Host.projectDir(), "sh", script.toString(), abi);
        // stderr is merged; the cache dir is the last line.
        String[] lines = r.output().strip().split("\n");
        Path dir = Path.of(lines[lines.length - 1].strip());
        Path root = dir.resolve("root");
        String release;
        try (Stream<Path> s = Files.list(root.resolve("lib/modules"))) {
            release = s.map(p -> p.getFileName().toString()).filter(n -> Files.isDirectory(root.resolve("lib/modules/" + n + "/kernel")))
                    .findFirst().orElseThrow(() -> new IOException("no lib/modules/<release>/kernel under " + root));
        }
        k = new DebianKernel(root, release);
        CACHE.put(abi, k);
        return k;
    }

    public Path vmlinuz() {
        return root.resolve("boot/vmlinuz-" + release);
    }

    public Path config() {
        return root.resolve("boot/config-" + release);
    }

    /** {@code lib/modules/<release>} */
    public Path modulesDir() {
        return root.resolve("lib/modules/" + release);
    }

    public ModuleTree modules() throws IOException {
        return ModuleTree.open(modulesDir());
    }
}

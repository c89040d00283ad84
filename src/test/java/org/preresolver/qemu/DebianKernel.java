package org.preresolver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * Debian's kernel packages unpacked by {@code scripts/fetch-debian-kernel.sh} (run once per JVM and ABI).
 *
 * @param root    the unpacked root ({@code boot/}, {@code lib/modules/} or {@code usr/lib/modules/}, {@code usr/src/})
 * @param release the release string, e.g. {@code 6.1.0-56-amd64}
 */
public record DebianKernel(Path root, String release) {
    private static final java.util.Map<String, DebianKernel> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    /** Debian's default amd64 kernel ABI as chosen by the fetch script. */
    public static DebianKernel fetch() throws IOException {
        return fetch("");
    }

    /** @param abi e.g. {@code 6.1.0-56-amd64}; empty for the fetch script's default */
    public static DebianKernel fetch(String abi) throws IOException {
        return fetchSuite("", abi);
    }

    /**
     * The default amd64 kernel of another Debian suite ({@code trixie}: 6.12, {@code sid}: 7.x), fetched
     * by {@code SUITE=suite scripts/fetch-debian-kernel.sh} through a private apt configuration.
     */
    public static DebianKernel fetchSuite(String suite) throws IOException {
        return fetchSuite(suite, "");
    }

    private static synchronized DebianKernel fetchSuite(String suite, String abi) throws IOException {
        String key = suite + ":" + abi;
        DebianKernel k = CACHE.get(key);
        if (k != null) {
            return k;
        }
        Path script = Host.script("scripts/fetch-debian-kernel.sh");
        java.util.List<String> cmd = new java.util.ArrayList<>();
        if (!suite.isEmpty()) {
            cmd.addAll(java.util.List.of("env", "SUITE=" + suite));
        }
        cmd.addAll(java.util.List.of("sh", script.toString()));
        if (!abi.isEmpty()) {
            cmd.add(abi);
        }
        Host.Result r = Host.run(Duration.ofMinutes(20), Host.projectDir(), cmd.toArray(String[]::new));
        // stderr is merged; the cache dir is the last line.
        String[] lines = r.output().strip().split("\n");
        Path dir = Path.of(lines[lines.length - 1].strip());
        Path root = dir.resolve("root");
        String release = null;
        // Debian 12 and older: lib/modules; since Debian 13 (merged /usr): usr/lib/modules.
        for (String mods : new String[] {"lib/modules", "usr/lib/modules"}) {
            if (release == null && Files.isDirectory(root.resolve(mods))) {
                try (Stream<Path> s = Files.list(root.resolve(mods))) {
                    release = s.map(p -> p.getFileName().toString())
                            .filter(n -> Files.isDirectory(root.resolve(mods + "/" + n + "/kernel"))).findFirst().orElse(null);
                }
            }
        }
        if (release == null) {
            throw new IOException("no lib/modules/<release>/kernel or usr/lib/modules/<release>/kernel under " + root);
        }
        k = new DebianKernel(root, release);
        CACHE.put(key, k);
        return k;
    }

    /** {@code boot/vmlinuz-RELEASE}, or since Debian's 7.x packages {@code usr/lib/modules/RELEASE/vmlinuz}. */
    public Path vmlinuz() {
        Path boot = root.resolve("boot/vmlinuz-" + release);
        return Files.exists(boot) ? boot : modulesDir().resolve("vmlinuz");
    }

    /**
     * The ELF vmlinux inside {@link #vmlinuz()}, extracted once into the cache beside {@code root/}
     * (with {@code config-RELEASE} copied beside it, as in /boot). The same kernel; it loads in a tenth of
     * a second where the xz-compressed image takes two, so tests that run the tool many times use it.
     */
    public synchronized Path vmlinux() throws IOException {
        Path dir = root.getParent().resolve("vmlinux-elf");
        Path elf = dir.resolve("vmlinux-" + release);
        Path cfg = dir.resolve("config-" + release);
        if (Files.isRegularFile(elf) && Files.isRegularFile(cfg)) {
            return elf;
        }
        Files.createDirectories(dir);
        byte[] data;
        try {
            data = org.preresolver.kernel.KernelImage.parse(Files.readAllBytes(vmlinuz())).vmlinux().data();
        } catch (org.preresolver.elf.FormatException e) {
            throw new IOException(vmlinuz() + ": " + e.getMessage(), e);
        }
        writeAtomically(cfg, Files.readAllBytes(config()));
        writeAtomically(elf, data);
        return elf;
    }

    private static void writeAtomically(Path target, byte[] data) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, data);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** {@code boot/config-RELEASE}, or {@code usr/lib/modules/RELEASE/config} where Debian's 7.x packages put it. */
    public Path config() {
        Path boot = root.resolve("boot/config-" + release);
        return Files.exists(boot) ? boot : modulesDir().resolve("config");
    }

    /** {@code lib/modules/<release>}, or {@code usr/lib/modules/<release>} (Debian 13 and newer) */
    public Path modulesDir() {
        Path lib = root.resolve("lib/modules/" + release);
        return Files.isDirectory(lib) ? lib : root.resolve("usr/lib/modules/" + release);
    }

    /** {@code usr/src/linux-headers-RELEASE/Module.symvers}, from the headers package of the same build. */
    public Path symvers() {
        return root.resolve("usr/src/linux-headers-" + release + "/Module.symvers");
    }

    public ModuleTree modules() throws IOException {
        return ModuleTree.open(modulesDir());
    }
}

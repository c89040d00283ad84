package org.preresolver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.preresolver.testing.TestKernels;

/**
 * Debian's kernel packages unpacked by {@code scripts/fetch-debian-kernel.sh} (run once per JVM and ABI).
 * Which ABI is {@link TestKernels}' choice, never the caller's.
 *
 * @param root    the unpacked root ({@code boot/}, {@code lib/modules/} or {@code usr/lib/modules/}, {@code usr/src/})
 * @param release the release string, e.g. {@code 6.1.0-56-amd64}
 */
public record DebianKernel(Path root, String release) {
    private static final java.util.Map<String, DebianKernel> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    /** The amd64 kernel of this run: the ABI {@link TestKernels#debianAbi()} chose. */
    public static DebianKernel fetch() throws IOException {
        return fetchAbi(TestKernels.debianAbi());
    }

    /**
     * Another flavour of this run's ABI, e.g. {@code flavour("cloud-amd64")}: the same ABI number as
     * {@link #fetch()}.
     */
    public static DebianKernel flavour(String flavour) throws IOException {
        return fetchAbi(TestKernels.withFlavour(flavour));
    }

    private static synchronized DebianKernel fetchAbi(String abi) throws IOException {
        DebianKernel k = CACHE.get(abi);
        if (k != null) {
            return k;
        }
        Path script = Host.script("scripts/fetch-debian-kernel.sh");
        Host.Result r = TestKernels.fetch("Debian kernel " + abi, "sh", script.toString(), abi);
        k = unpacked(r);
        if (!k.release().equals(abi)) {
            throw new TestKernels.KernelUnavailable(k.root() + " holds kernel " + k.release() + ", not " + abi
                    + ": delete " + k.root().getParent() + " and run again");
        }
        CACHE.put(abi, k);
        return k;
    }

    /**
     * The default amd64 kernel of another Debian suite ({@code trixie}: 6.12, {@code sid}: 7.x), fetched
     * by {@code SUITE=suite scripts/fetch-debian-kernel.sh} through a private apt configuration: the
     * newest kernels are first-class test targets, whichever ABI the suite has today.
     */
    public static synchronized DebianKernel fetchSuite(String suite) throws IOException {
        String key = "suite:" + suite;
        DebianKernel k = CACHE.get(key);
        if (k != null) {
            return k;
        }
        Path script = Host.script("scripts/fetch-debian-kernel.sh");
        k = unpacked(TestKernels.fetch("Debian " + suite + " kernel", "env", "SUITE=" + suite, "sh",
                script.toString()));
        CACHE.put(key, k);
        return k;
    }

    /** The kernel the fetch script unpacked: the cache dir is the last line it printed. */
    private static DebianKernel unpacked(Host.Result r) throws IOException {
        String[] lines = r.output().strip().split("\n");
        return at(Path.of(lines[lines.length - 1].strip()).resolve("root"));
    }

    /**
     * The kernel unpacked at {@code root}: the release is the directory under {@code lib/modules} (Debian 12
     * and older) or {@code usr/lib/modules} (since Debian 13, merged /usr) that has a {@code kernel/} directory.
     */
    public static DebianKernel at(Path root) throws IOException {
        for (String mods : new String[] {"lib/modules", "usr/lib/modules"}) {
            if (Files.isDirectory(root.resolve(mods))) {
                try (Stream<Path> s = Files.list(root.resolve(mods))) {
                    String release = s.map(p -> p.getFileName().toString())
                            .filter(n -> Files.isDirectory(root.resolve(mods + "/" + n + "/kernel"))).findFirst()
                            .orElse(null);
                    if (release != null) {
                        return new DebianKernel(root, release);
                    }
                }
            }
        }
        throw new IOException("no lib/modules/<release>/kernel or usr/lib/modules/<release>/kernel under " + root);
    }

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

    public Path config() {
        Path boot = root.resolve("boot/config-" + release);
        return Files.exists(boot) ? boot : modulesDir().resolve("config");
    }

    /** {@code lib/modules/<release>} */
    public Path modulesDir() {
        Path lib = root.resolve("lib/modules/" + release);
        return Files.isDirectory(lib) ? lib : root.resolve("usr/lib/modules/" + release);
    }

    public Path symvers() {
        return root.resolve("usr/src/linux-headers-" + release + "/Module.symvers");
    }

    public ModuleTree modules() throws IOException {
        return ModuleTree.open(modulesDir());
    }
}

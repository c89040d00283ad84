package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.preresolver.elf.FormatException;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelConfig;
import org.preresolver.kernel.KernelExports;
import org.preresolver.preresolve.KaslrCheck;
import org.preresolver.preresolve.RefusedException;

/**
 * The kernel that modules are preresolved against: the symbols vmlinux exports, its identity,
 * and its configuration when one was found. Load it once and use it for many runs.
 */
public final class Kernel {
    private final KernelLoader.LoadedKernel loaded;

    private Kernel(KernelLoader.LoadedKernel loaded) {
        this.loaded = loaded;
    }

    /** A kernel already loaded with {@link KernelLoader}. */
    public static Kernel of(KernelLoader.LoadedKernel loaded) {
        return new Kernel(java.util.Objects.requireNonNull(loaded, "loaded"));
    }

    /**
     * Loads a kernel image: an ELF {@code vmlinux}, an x86 bzImage/vmlinuz, or a compressed
     * vmlinux. The configuration is the image's own (IKCONFIG), else {@code config-RELEASE} or
     * {@code .config} beside the image.
     *
     * @throws FormatException the image cannot be read as a kernel
     */
    public static Kernel fromImage(Path image) throws IOException, FormatException {
        return new Kernel(KernelLoader.fromImage(image, null));
    }

    /** Loads a kernel image with an explicit {@code .config} (for the KASLR check). */
    public static Kernel fromImage(Path image, Path config) throws IOException, FormatException {
        return new Kernel(KernelLoader.fromImage(image, config));
    }

    /**
     * Loads a kernel from {@code Module.symvers} and {@code System.map} (or a captured
     * {@code /proc/kallsyms}), for images this tool cannot read.
     *
     * @param config the {@code .config}, or null
     * @param release the kernel release, or null when unknown
     */
    public static Kernel fromSymbolFiles(Path symvers, Path systemMap, Path config, String release)
            throws IOException, FormatException {
        return new Kernel(KernelLoader.fromSymbolFiles(symvers, systemMap, config, release));
    }

    /** The kernel release, "" when unknown. */
    public String release() {
        return loaded.exports().identity().release();
    }

    /** What the exports were read from, e.g. {@code vmlinuz-6.1.0-56-amd64 (bzImage, xz payload)}. */
    public String source() {
        return loaded.exports().source();
    }

    /** How many symbols vmlinux exports. */
    public int exportCount() {
        return loaded.exports().size();
    }

    /** The export table itself. */
    public KernelExports exports() {
        return loaded.exports();
    }

    /** The configuration, when one was found. */
    public Optional<KernelConfig> config() {
        return loaded.config();
    }

    /**
     * The KASLR decision: plain (absolute) mode for a kernel that does not randomise its base or
     * that the user says boots with {@code nokaslr}; anchor mode for one that does, or may, where
     * anchor mode is proven; with the warning to show once.
     *
     * @throws RefusedException the kernel randomises, or may randomise, its base and neither mode is right
     */
    public KaslrCheck.Decision kaslr(boolean assumeNokaslr) throws RefusedException {
        return KaslrCheck.decide(loaded.exports().identity(), loaded.config(), loaded.configNote(), assumeNokaslr);
    }
}

package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.preresolver.elf.FormatException;
import org.preresolver.io.FileBytes;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelConfig;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.KernelImage;
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

    /** True for a 64-bit kernel (addresses shown with 16 hex digits), false for 32-bit. */
    public boolean is64() {
        return loaded.exports().identity().is64() || loaded.exports().identity().machine() == 0;
    }

    /**
     * The installed module tree that belongs with {@code image}: {@code /usr/lib/modules/R/} for
     * {@code /usr/lib/modules/R/vmlinuz}, {@code lib/modules/R} beside {@code boot/vmlinuz-R}.
     */
    public static Optional<Path> moduleTreeBeside(Path image) {
        return KernelLoader.moduleTreeBeside(image);
    }

    /** What {@link #extract} wrote: the image's form, and the size of the ELF vmlinux. */
    public record Extracted(String form, int bytes) {}

    /**
     * Writes the ELF vmlinux inside a kernel image (bzImage, compressed vmlinux) to {@code output},
     * atomically.
     *
     * @throws FormatException the image cannot be read as a kernel; the message names it
     */
    public static Extracted extract(Path image, Path output) throws IOException, FormatException {
        KernelImage img;
        try {
            img = KernelImage.parse(FileBytes.read(image));
        } catch (FormatException e) {
            throw e.withSource(image.toString());
        }
        org.preresolver.io.AtomicWriter.write(output, img.vmlinux().data(), null);
        return new Extracted(img.form(), img.vmlinux().data().length);
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

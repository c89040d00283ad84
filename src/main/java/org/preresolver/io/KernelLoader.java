package org.preresolver.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.kernel.ExportTableReader;
import org.preresolver.kernel.KernelConfig;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.KernelImage;
import org.preresolver.kernel.SymbolFiles;

/** Reads the kernel side of a run from files: exports, identity and configuration. */
public final class KernelLoader {
    private KernelLoader() {}

    /**
     * A loaded kernel.
     *
     * @param config the kernel's configuration, when one was found
     * @param configNote where the configuration came from, or why there is none
     */
    public record LoadedKernel(KernelExports exports, Optional<KernelConfig> config, String configNote) {}

    /**
     * Loads exports from an ELF vmlinux or a compressed image.
     *
     * @param configFile an explicit {@code --config}, or null to look for one: the image's own
     *     (IKCONFIG), then {@code config-RELEASE} beside the image (Debian's /boot), then
     *     {@code .config} beside it (a kernel build tree)
     */
    public static LoadedKernel fromImage(Path image, Path configFile) throws IOException, FormatException {
        return fromImage(image, configFile, ExportsCache.standard().orElse(null));
    }

    /**
     * As {@link #fromImage(Path, Path)}, with an explicit cache for compressed images (null: none).
     * An ELF vmlinux is always read directly: that is as fast as the cache.
     */
    public static LoadedKernel fromImage(Path image, Path configFile, ExportsCache cache)
            throws IOException, FormatException {
        byte[] data = Files.readAllBytes(image);
        KernelExports exports;
        Optional<KernelConfig> embedded;
        String key = null;
        Optional<ExportsCache.Entry> hit = Optional.empty();
        if (cache != null && !ElfFile.isElf(data)) {
            key = ExportsCache.key(data);
            hit = cache.get(key);
        }
        if (hit.isPresent()) {
            exports = hit.get().exports();
            String cfg = hit.get().embeddedConfig();
            embedded = cfg.isEmpty() ? Optional.empty()
                    : Optional.of(KernelConfig.parse(cfg, image + " (IKCONFIG)"));
        } else {
            try {
                KernelImage img = KernelImage.parse(data);
                exports = ExportTableReader.read(img.vmlinux(), image.getFileName() + " (" + img.form() + ")");
                embedded = KernelConfig.embedded(img.vmlinux(), image.toString());
            } catch (FormatException e) {
                throw e.withSource(image.toString());
            }
            if (key != null) {
                cache.put(key, new ExportsCache.Entry(exports, embedded.map(KernelConfig::text).orElse("")));
            }
        }
        Optional<KernelConfig> config;
        String note;
        if (configFile != null) {
            config = Optional.of(readConfig(configFile));
            note = configFile.toString();
        } else {
            config = embedded;
            note = config.map(KernelConfig::source).orElse(null);
            if (config.isEmpty()) {
                Path dir = image.toAbsolutePath().getParent();
                String rel = exports.identity().release();
                for (Path cand : new Path[] {rel.isEmpty() ? null : dir.resolve("config-" + rel), dir.resolve(".config")}) {
                    if (cand != null && Files.isRegularFile(cand)) {
                        config = Optional.of(readConfig(cand));
                        note = cand.toString();
                        break;
                    }
                }
            }
            if (config.isEmpty()) {
                note = "no configuration found (no --config, no IKCONFIG in the image, no config-" + rel(exports)
                        + " or .config beside it)";
            }
        }
        return new LoadedKernel(exports, config, note);
    }

    /** Loads exports from {@code Module.symvers} and a {@code System.map} (or captured kallsyms). */
    public static LoadedKernel fromSymbolFiles(Path symvers, Path systemMap, Path configFile, String release)
            throws IOException, FormatException {
        var entries = parse(symvers, SymbolFiles::parseSymvers);
        Map<String, Long> addresses = parse(systemMap, SymbolFiles::parseSystemMap);
        KernelExports exports = SymbolFiles.exports(entries, addresses, SymbolFiles.unknownIdentity(
                release == null ? "" : release), symvers.getFileName() + " + " + systemMap.getFileName());
        Optional<KernelConfig> config = configFile == null ? Optional.empty() : Optional.of(readConfig(configFile));
        return new LoadedKernel(exports, config, configFile == null ? "no --config given" : configFile.toString());
    }

    public static KernelConfig readConfig(Path file) throws IOException {
        return KernelConfig.parse(Files.readString(file, StandardCharsets.ISO_8859_1), file.toString());
    }

    private interface Parser<T> {
        T parse(byte[] data) throws FormatException;
    }

    private static <T> T parse(Path file, Parser<T> p) throws IOException, FormatException {
        try {
            return p.parse(Files.readAllBytes(file));
        } catch (FormatException e) {
            throw e.withSource(file.toString());
        }
    }

    private static String rel(KernelExports e) {
        return e.identity().release().isEmpty() ? "RELEASE" : e.identity().release();
    }
}

package org.preresolver.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
     *     (IKCONFIG), then the files of {@link #configCandidates}
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
        KernelExports exports = null;
        Optional<KernelConfig> embedded = Optional.empty();
        try {
            // An ELF vmlinux: only the sections read (a tenth of it). Anything wrong with it is
            // reported from the whole file, whose offsets the messages name.
            KernelImage compact = FileBytes.readCompactly(image, KernelImage::parseCompact);
            if (compact != null) {
                exports = ExportTableReader.read(compact.vmlinux(), image.getFileName() + " (" + compact.form() + ")");
                if (configFile == null) { // else not looked at: a scan of .rodata
                    embedded = KernelConfig.embedded(compact.vmlinux(), image.toString());
                }
            }
        } catch (FormatException e) {
            exports = null;
        }
        if (exports == null) {
            byte[] data = FileBytes.read(image);
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
                for (Path cand : configCandidates(image, exports.identity().release())) {
                    if (Files.isRegularFile(cand)) {
                        config = Optional.of(readConfig(cand));
                        note = cand.toString();
                        break;
                    }
                }
            }
            if (config.isEmpty()) {
                note = "no configuration found (no --config, no IKCONFIG in the image, no config-" + rel(exports)
                        + " or .config beside it, no config beside a vmlinuz in modules/" + rel(exports)
                        + "/, no /boot/config-" + rel(exports) + ")";
            }
        }
        return new LoadedKernel(exports, config, note);
    }

    /**
     * Where a kernel's configuration is looked for when the image has none (IKCONFIG), in order:
     * <ol>
     * <li>{@code config-RELEASE} beside the image (Debian 12 and older, and most distributions: /boot);
     * <li>{@code config} beside an image named {@code vmlinuz*} in a directory named after the release
     *     (Debian 13+ installs {@code /usr/lib/modules/RELEASE/{vmlinuz,config,System.map}});
     * <li>{@code boot/config-RELEASE} of the root the image is installed under (an image in
     *     {@code ROOT/usr/lib/modules/RELEASE/} or {@code ROOT/lib/modules/RELEASE/}: an unpacked package
     *     or the running system, whose root is /);
     * <li>{@code /boot/config-RELEASE} of this machine;
     * <li>{@code .config} beside the image (a kernel build tree).
     * </ol>
     *
     * @param release the image's release string, or "" when unknown (only {@code .config} and a
     *     {@code config} beside a {@code vmlinuz} are then candidates)
     */
    public static List<Path> configCandidates(Path image, String release) {
        Path dir = image.toAbsolutePath().getParent();
        String name = image.getFileName().toString();
        List<Path> out = new ArrayList<>();
        if (!release.isEmpty()) {
            out.add(dir.resolve("config-" + release));
        }
        if (name.startsWith("vmlinuz") && (release.isEmpty() || dir.getFileName() != null
                && dir.getFileName().toString().equals(release))) {
            out.add(dir.resolve("config"));
        }
        if (!release.isEmpty()) {
            installRoot(dir).ifPresent(root -> out.add(root.resolve("boot/config-" + release)));
            Path boot = Path.of("/boot/config-" + release);
            if (!out.contains(boot)) {
                out.add(boot);
            }
        }
        out.add(dir.resolve(".config"));
        return out;
    }

    /**
     * The module tree of an image installed as Debian 13+ installs it, {@code .../modules/RELEASE/vmlinuz}
     * beside {@code kernel/}: that directory, the tree to preresolve when no module is named.
     */
    public static Optional<Path> moduleTreeBeside(Path image) {
        Path dir = image.toAbsolutePath().getParent();
        if (dir == null || !image.getFileName().toString().startsWith("vmlinuz") || dir.getParent() == null
                || dir.getParent().getFileName() == null
                || !dir.getParent().getFileName().toString().equals("modules")
                || !Files.isDirectory(dir.resolve("kernel"))) {
            return Optional.empty();
        }
        return Optional.of(dir);
    }

    /** {@code ROOT} for a directory {@code ROOT/usr/lib/modules/R} or {@code ROOT/lib/modules/R}. */
    private static Optional<Path> installRoot(Path modulesRelease) {
        Path modules = modulesRelease.getParent();
        if (modules == null || modules.getFileName() == null || !modules.getFileName().toString().equals("modules")) {
            return Optional.empty();
        }
        Path lib = modules.getParent();
        if (lib == null || lib.getFileName() == null || !lib.getFileName().toString().equals("lib")) {
            return Optional.empty();
        }
        Path root = lib.getParent();
        if (root != null && root.getFileName() != null && root.getFileName().toString().equals("usr")) {
            root = root.getParent();
        }
        return Optional.ofNullable(root);
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
            return p.parse(FileBytes.read(file));
        } catch (FormatException e) {
            throw e.withSource(file.toString());
        }
    }

    private static String rel(KernelExports e) {
        return e.identity().release().isEmpty() ? "RELEASE" : e.identity().release();
    }
}
